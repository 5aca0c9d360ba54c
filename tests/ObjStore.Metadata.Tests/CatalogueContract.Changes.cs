using System.Threading.Channels;
using ObjStore.Core;

namespace ObjStore.Metadata.Tests;

public abstract partial class CatalogueContract
{
    /// <summary>The catalogue a gateway that follows changes holds: another process's over the same database, or this one.</summary>
    protected virtual ICatalogue Follower => Catalogue;

    /// <summary>Whether the follower hears of changes over the network (and first hears "everything" once it listens).</summary>
    protected virtual bool FollowsOverTheNetwork => false;

    [Fact]
    public async Task CommittedChangesToCachedSettingsAreAnnouncedToFollowersAndFailedOnesAreNot()
    {
        var heard = Channel.CreateUnbounded<CatalogueChange>();
        Follower.Changes.Changed += change => heard.Writer.TryWrite(change);
        using var stop = new CancellationTokenSource();
        var following = Follower.Changes.FollowAsync(_ => { }, stop.Token);
        if (FollowsOverTheNetwork)
        {
            Assert.Equal(CatalogueChange.Everything, await NextAsync(heard.Reader)); // listening now
        }

        await BucketAsync("b1");
        Assert.Equal(CatalogueChange.OfBucket("b1"), await NextAsync(heard.Reader));
        await Catalogue.Buckets.PutConfigAsync("b1", "policy", "{}");
        Assert.Equal(CatalogueChange.OfBucket("b1"), await NextAsync(heard.Reader));
        await Assert.ThrowsAnyAsync<Exception>(() => Catalogue.Buckets.SetObjectLockAsync("b1", null)); // not versioned: refused, rolled back
        await Catalogue.Buckets.SetVersioningAsync("b1", VersioningState.Enabled);
        Assert.Equal(CatalogueChange.OfBucket("b1"), await NextAsync(heard.Reader)); // the refused write announced nothing
        await Catalogue.Identities.AddUserAsync(new UserRecord("alice", "c0ffee", Clock.GetUtcNow(), false, null));
        Assert.Equal(CatalogueChange.Identities, await NextAsync(heard.Reader));
        await Catalogue.Stores.SetStateAsync("s1", "draining");
        Assert.Equal(CatalogueChange.StoreStates, await NextAsync(heard.Reader));
        Assert.True(await Catalogue.Buckets.DeleteAsync("b1"));
        Assert.Equal(CatalogueChange.OfBucket("b1"), await NextAsync(heard.Reader));

        await stop.CancelAsync();
        await following; // ends quietly when cancelled
        Assert.False(heard.Reader.TryRead(out var extra), $"heard {extra} too");
    }

    private static async Task<CatalogueChange> NextAsync(ChannelReader<CatalogueChange> reader)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20)); // a bound on a hang, not a measured time
        return await reader.ReadAsync(timeout.Token);
    }

    [Theory]
    [InlineData("bucket:photos", CatalogueChangeKind.Bucket, "photos")]
    [InlineData("bucket:", CatalogueChangeKind.Bucket, "")]
    [InlineData("identities", CatalogueChangeKind.Identities, null)]
    [InlineData("stores", CatalogueChangeKind.StoreStates, null)]
    [InlineData("everything", CatalogueChangeKind.Everything, null)]
    [InlineData("kms-keys", CatalogueChangeKind.Everything, null)] // a newer gateway's kind: forget everything
    public void ChangePayloadsRoundTripAndUnknownOnesMeanEverything(string payload, CatalogueChangeKind kind, string? bucket)
    {
        var change = CatalogueChange.Parse(payload);
        Assert.Equal(new CatalogueChange(kind, bucket), change);
        if (kind != CatalogueChangeKind.Everything || payload == "everything")
        {
            Assert.Equal(payload, change.ToPayload());
        }
    }

    [Fact]
    public void AChangeTooLongForANotificationIsAnnouncedAsEverything() =>
        Assert.Equal("everything", CatalogueChange.OfBucket(new string('b', 8000)).ToPayload());
}
