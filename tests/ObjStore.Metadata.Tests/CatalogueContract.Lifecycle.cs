using ObjStore.Core;
using ObjStore.Core.Jobs;

namespace ObjStore.Metadata.Tests;

/// <summary>What a lifecycle pass needs of every catalogue: whole-key version scans, conditional expiries, checkpoints.</summary>
public abstract partial class CatalogueContract
{
    private async Task<List<VersionEntry>> ScanAllAsync(string bucket, string prefix = "", int limit = 2)
    {
        var all = new List<VersionEntry>();
        string? after = null;
        while (await Catalogue.Objects.ScanVersionsAsync(bucket, prefix, after, limit) is { Count: > 0 } page)
        {
            Assert.True(page.Select(v => v.Key).Distinct().All(k => !all.Any(v => v.Key == k)), "a key came split across pages");
            all.AddRange(page);
            after = page[^1].Key;
        }
        return all;
    }

    [Fact]
    public async Task AVersionScanPagesByWholeKeysNewestFirstWithTagsAndLocks()
    {
        string bucket = await VersionedBucketAsync();
        var tags = new Dictionary<string, string> { ["t"] = "1" };
        var held = new ObjectLock(null, LegalHold: true);
        await Catalogue.Objects.CommitAsync(VersionAt(bucket, "a/1") with { Tags = tags }, null, false);
        for (int i = 0; i < 3; i++)
        {
            Clock.Advance(TimeSpan.FromSeconds(1));
            await Catalogue.Objects.CommitAsync(VersionAt(bucket, "a/2", objectLock: i == 0 ? held : null), null, false);
        }
        await Catalogue.Objects.DeleteAsync(bucket, "b/1", null, false); // a key that is only a delete marker
        await Catalogue.Objects.CommitAsync(VersionAt(bucket, "c/1"), null, false);

        var all = await ScanAllAsync(bucket, limit: 2); // a/2's three versions come whole although the limit is 2
        Assert.Equal(["a/1", "a/2", "a/2", "a/2", "b/1", "c/1"], all.Select(v => v.Key));
        var a2 = all.Where(v => v.Key == "a/2").ToList();
        Assert.Equal([true, false, false], a2.Select(v => v.IsLatest));
        Assert.True(a2[0].LastModified > a2[1].LastModified && a2[1].Sequence < a2[0].Sequence);
        Assert.True(a2[2].Lock.LegalHold);
        Assert.Equal("1", all[0].Tags["t"]);
        Assert.True(all.Single(v => v.Key == "b/1").IsDeleteMarker);

        Assert.Equal(["a/1", "a/2", "a/2", "a/2"], (await ScanAllAsync(bucket, "a/")).Select(v => v.Key));
        Assert.Equal(["c/1"], (await Catalogue.Objects.ScanVersionsAsync(bucket, "", "b/1", 100)).Select(v => v.Key));
        Assert.Equal(6, await Catalogue.Objects.CountVersionsAsync(bucket, ""));
        Assert.Equal(4, await Catalogue.Objects.CountVersionsAsync(bucket, "a/"));
    }

    [Fact]
    public async Task ExpiringTheCurrentVersionRemovesItOrAddsAMarkerOnlyWhileItIsStillCurrent()
    {
        string plain = await BucketAsync("plain");
        await Catalogue.Objects.CommitAsync(ObjectAt(plain, "k"), null, false);
        var judged = Assert.Single(await Catalogue.Objects.ScanVersionsAsync(plain, "", null, 10));
        await Catalogue.Objects.CommitAsync(ObjectAt(plain, "k"), null, false); // rewritten after it was judged
        Assert.False((await Catalogue.Objects.ExpireAsync(plain, judged, ExpiryAction.ExpireCurrent)).Found);
        var current = Assert.Single(await Catalogue.Objects.ScanVersionsAsync(plain, "", null, 10));
        var removed = await Catalogue.Objects.ExpireAsync(plain, current, ExpiryAction.ExpireCurrent);
        Assert.True(removed.Found);
        Assert.Single(removed.Garbage);
        Assert.Null(await Catalogue.Objects.GetAsync(plain, "k"));

        string versioned = await VersionedBucketAsync();
        await Catalogue.Objects.CommitAsync(VersionAt(versioned, "k"), null, false);
        var version = Assert.Single(await Catalogue.Objects.ScanVersionsAsync(versioned, "", null, 10));
        var marked = await Catalogue.Objects.ExpireAsync(versioned, version, ExpiryAction.ExpireCurrent);
        Assert.True(marked.Found && marked.DeleteMarker);
        Assert.Empty(marked.Garbage);
        // A second pass over the same judgement adds nothing: the version is no longer current.
        Assert.False((await Catalogue.Objects.ExpireAsync(versioned, version, ExpiryAction.ExpireCurrent)).Found);
        Assert.Equal([true, false], (await Catalogue.Objects.ScanVersionsAsync(versioned, "", null, 10)).Select(v => v.IsDeleteMarker));
    }

    [Fact]
    public async Task ANoncurrentVersionIsRemovedUnlessLockedAndAnExpiredMarkerOnlyWhenAlone()
    {
        string bucket = await VersionedBucketAsync();
        var held = new ObjectLock(null, LegalHold: true);
        await Catalogue.Objects.CommitAsync(VersionAt(bucket, "held", objectLock: held), null, false);
        await Catalogue.Objects.CommitAsync(VersionAt(bucket, "held"), null, false);
        await Catalogue.Objects.CommitAsync(VersionAt(bucket, "free"), null, false);
        await Catalogue.Objects.DeleteAsync(bucket, "free", null, false);

        var versions = await Catalogue.Objects.ScanVersionsAsync(bucket, "", null, 100);
        var heldOld = versions.Single(v => v.Key == "held" && !v.IsLatest);
        var refused = await Assert.ThrowsAsync<ObjectStoreException>(() => Catalogue.Objects.ExpireAsync(bucket, heldOld, ExpiryAction.RemoveNoncurrent));
        Assert.Equal(ErrorKind.AccessDenied, refused.Kind);
        // The latest is not noncurrent: nothing happens.
        Assert.False((await Catalogue.Objects.ExpireAsync(bucket, versions.Single(v => v.Key == "held" && v.IsLatest), ExpiryAction.RemoveNoncurrent)).Found);

        var marker = versions.Single(v => v.Key == "free" && v.IsDeleteMarker);
        Assert.False((await Catalogue.Objects.ExpireAsync(bucket, marker, ExpiryAction.RemoveExpiredDeleteMarker)).Found); // a version is behind it
        var old = versions.Single(v => v.Key == "free" && !v.IsDeleteMarker);
        var gone = await Catalogue.Objects.ExpireAsync(bucket, old, ExpiryAction.RemoveNoncurrent);
        Assert.True(gone.Found);
        Assert.Single(gone.Garbage);
        Assert.True((await Catalogue.Objects.ExpireAsync(bucket, marker, ExpiryAction.RemoveExpiredDeleteMarker)).Found);
        Assert.Empty(await Catalogue.Objects.ScanVersionsAsync(bucket, "free", null, 100));
    }

    [Fact]
    public async Task BucketsWithAConfigurationKindAreListed()
    {
        await BucketAsync("one");
        await BucketAsync("two");
        await BucketAsync("three");
        await Catalogue.Buckets.PutConfigAsync("two", BucketConfigKinds.Lifecycle, "{}");
        await Catalogue.Buckets.PutConfigAsync("one", BucketConfigKinds.Lifecycle, "{}");
        await Catalogue.Buckets.PutConfigAsync("three", BucketConfigKinds.Tagging, "{}");
        Assert.Equal(["one", "two"], await Catalogue.Buckets.ListWithConfigAsync(BucketConfigKinds.Lifecycle));
    }

    [Fact]
    public async Task AJobsCheckpointSurvivesItsWorkersDeathAndReachesTheNextAttempt()
    {
        long id = await Jobs.EnqueueAsync(JobKinds.Lifecycle, JobPlacement.BucketTarget("b"));
        var first = await Jobs.ClaimAsync(Gateway("g1"), Lease, Alive);
        Assert.Null(first!.Checkpoint);
        Assert.True(await Jobs.RenewAsync(id, "g1", Lease, new JobProgress(5, 10, 0, 0, "0:key-5")));
        Assert.True(await Jobs.RenewAsync(id, "g1", Lease, new JobProgress(6, 10, 0, 0))); // no checkpoint: the last one stays
        Clock.Advance(Lease + TimeSpan.FromMinutes(10)); // g1 dies; its lease runs out
        Assert.Null(await Jobs.ClaimAsync(Gateway("g2"), Lease, Alive)); // the round requeues it, with backoff
        Clock.Advance(TimeSpan.FromMinutes(10));
        var second = await Jobs.ClaimAsync(Gateway("g2"), Lease, Alive);
        Assert.Equal((id, "0:key-5", 6L), (second!.Id, second.Checkpoint, second.ItemsDone));
    }
}
