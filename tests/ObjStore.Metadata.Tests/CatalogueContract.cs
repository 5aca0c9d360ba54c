using Microsoft.Extensions.Time.Testing;
using ObjStore.Core;

namespace ObjStore.Metadata.Tests;

/// <summary>
/// What every catalogue implementation must do, whatever its database: each implementation's test class derives from
/// this one and says how to open a fresh, empty catalogue over the given clock. Time is a fake clock throughout, so
/// leases, backoffs, expiry and pruning are tested by moving it, never by sleeping.
/// </summary>
public abstract partial class CatalogueContract : IDisposable
{
    protected CatalogueContract()
    {
        Clock = new FakeTimeProvider(new DateTimeOffset(2026, 12, 1, 12, 0, 0, TimeSpan.Zero));
        Catalogue = Open(Clock);
    }

    protected FakeTimeProvider Clock { get; }

    protected ICatalogue Catalogue { get; }

    /// <summary>A fresh, empty catalogue of the implementation under test.</summary>
    protected abstract ICatalogue Open(TimeProvider clock);

    public virtual void Dispose()
    {
        Catalogue.Dispose();
        GC.SuppressFinalize(this);
    }

    private static int _ids;

    protected static ObjectLayout Layout(string? dataId = null) =>
        new(4, 2, 1 << 20, dataId ?? $"data{Interlocked.Increment(ref _ids):D6}", ["s0", "s1", "s2", "s3", "s4", "s5"]);

    protected ObjectInfo ObjectAt(string bucket, string key, long size = 10, string etag = "0123456789abcdef0123456789abcdef", ObjectMetadata? metadata = null)
    {
        var layout = Layout();
        return new ObjectInfo
        {
            Bucket = bucket,
            Key = key,
            Size = size,
            ETag = etag,
            LastModified = Clock.GetUtcNow(),
            Metadata = metadata ?? ObjectMetadata.Default,
            Parts = [new ObjectPart(1, 0, size, etag, null, layout) { LastModified = Clock.GetUtcNow() }],
        };
    }

    protected async Task<string> BucketAsync(string name = "bucket")
    {
        Assert.True(await Catalogue.Buckets.CreateAsync(name, Clock.GetUtcNow()));
        return name;
    }

    // ---- buckets -------------------------------------------------------------------------------------------------

    [Fact]
    public async Task BucketsAreCreatedOnceListedInNameOrderAndDeletedOnlyWhenEmpty()
    {
        Assert.False(await Catalogue.Buckets.AnyAsync());
        await BucketAsync("zeta");
        await BucketAsync("alpha");
        Assert.False(await Catalogue.Buckets.CreateAsync("alpha", Clock.GetUtcNow()));
        Assert.True(await Catalogue.Buckets.AnyAsync());
        Assert.Equal(["alpha", "zeta"], (await Catalogue.Buckets.ListAsync()).Select(b => b.Name));
        Assert.Equal(Clock.GetUtcNow(), (await Catalogue.Buckets.GetAsync("zeta"))!.Created);
        Assert.Null(await Catalogue.Buckets.GetAsync("missing"));

        await Catalogue.Objects.CommitAsync(ObjectAt("zeta", "k"), null, false);
        var refused = await Assert.ThrowsAsync<ObjectStoreException>(() => Catalogue.Buckets.DeleteAsync("zeta"));
        Assert.Equal(ErrorKind.BucketNotEmpty, refused.Kind);
        Assert.True(await Catalogue.Buckets.DeleteAsync("alpha"));
        Assert.False(await Catalogue.Buckets.DeleteAsync("alpha"));
    }

    [Fact]
    public async Task DeletingABucketDropsItsUploadsAndQueuesTheirParts()
    {
        string bucket = await BucketAsync();
        await Catalogue.Uploads.CreateAsync(Upload(bucket, "k", "u1"));
        var part = Layout();
        await Catalogue.Uploads.CommitPartAsync(bucket, "k", "u1", new ObjectPart(1, 0, 5, "e1", null, part));
        Assert.True(await Catalogue.Buckets.DeleteAsync(bucket));
        Assert.Contains(await Catalogue.Shards.PendingDeletesAsync(10), l => l.DataId == part.DataId);
        Assert.Null(await Catalogue.Uploads.GetAsync(bucket, "k", "u1"));
    }

    // ---- objects -------------------------------------------------------------------------------------------------

    [Fact]
    public async Task AnObjectComesBackAsCommittedWithItsMetadataAndLayout()
    {
        string bucket = await BucketAsync();
        var metadata = new ObjectMetadata
        {
            ContentType = "text/plain",
            Headers = new Dictionary<string, string> { ["Cache-Control"] = "no-cache" },
            UserMetadata = new Dictionary<string, string> { ["colour"] = "blue" },
            ChecksumAlgorithm = ChecksumAlgorithm.Crc32C,
            StorageClass = "GLACIER",
        };
        var info = ObjectAt(bucket, "dir/é.txt", metadata: metadata) with { Checksum = "AAAAAA==" };
        Assert.Empty(await Catalogue.Objects.CommitAsync(info, null, false));

        var back = await Catalogue.Objects.GetAsync(bucket, "dir/é.txt");
        Assert.NotNull(back);
        Assert.Equal((info.Size, info.ETag, info.LastModified, info.Checksum), (back.Size, back.ETag, back.LastModified, back.Checksum));
        Assert.Equal((metadata.ContentType, metadata.ChecksumAlgorithm, metadata.StorageClass),
            (back.Metadata.ContentType, back.Metadata.ChecksumAlgorithm, back.Metadata.StorageClass));
        Assert.Equal(metadata.Headers, back.Metadata.Headers);
        Assert.Equal(metadata.UserMetadata, back.Metadata.UserMetadata);
        var layout = Assert.Single(back.Parts).Layout;
        Assert.Equal(info.Parts[0].Layout.DataId, layout.DataId);
        Assert.Equal(info.Parts[0].Layout.Placement, layout.Placement);
        Assert.Equal((4, 2, 1 << 20), (layout.DataShards, layout.ParityShards, layout.StripeSize));
        Assert.Null(await Catalogue.Objects.GetAsync(bucket, "dir/e.txt"));
    }

    [Fact]
    public async Task AnOverwriteReturnsAndQueuesTheReplacedLayoutAndADeleteReturnsTheLast()
    {
        string bucket = await BucketAsync();
        var first = ObjectAt(bucket, "k");
        var second = ObjectAt(bucket, "k");
        await Catalogue.Objects.CommitAsync(first, null, false);
        var replaced = await Catalogue.Objects.CommitAsync(second, null, false);
        Assert.Equal(first.Parts[0].Layout.DataId, Assert.Single(replaced).DataId);
        Assert.Contains(await Catalogue.Shards.PendingDeletesAsync(10), l => l.DataId == first.Parts[0].Layout.DataId);
        Assert.Equal(second.Parts[0].Layout.DataId, (await Catalogue.Objects.GetAsync(bucket, "k"))!.Parts[0].Layout.DataId);

        var removed = await Catalogue.Objects.DeleteAsync(bucket, "k", null, false);
        Assert.Equal(second.Parts[0].Layout.DataId, Assert.Single(removed.Garbage).DataId);
        Assert.False((await Catalogue.Objects.DeleteAsync(bucket, "k", null, false)).Found);
        Assert.Null(await Catalogue.Objects.GetAsync(bucket, "k"));
    }

    [Fact]
    public async Task WritePreconditionsAreCheckedInTheCommit()
    {
        string bucket = await BucketAsync();
        var missingBucket = await Assert.ThrowsAsync<ObjectStoreException>(() => Catalogue.Objects.CommitAsync(ObjectAt("nope", "k"), null, false));
        Assert.Equal(ErrorKind.NoSuchBucket, missingBucket.Kind);
        var nothing = await Assert.ThrowsAsync<ObjectStoreException>(() => Catalogue.Objects.CommitAsync(ObjectAt(bucket, "k"), "\"abc\"", false));
        Assert.Equal(ErrorKind.NoSuchKey, nothing.Kind);

        await Catalogue.Objects.CommitAsync(ObjectAt(bucket, "k", etag: "abc"), null, ifNoneMatchAny: true);
        var exists = await Assert.ThrowsAsync<ObjectStoreException>(() => Catalogue.Objects.CommitAsync(ObjectAt(bucket, "k"), null, ifNoneMatchAny: true));
        Assert.Equal(ErrorKind.PreconditionFailed, exists.Kind);
        var differs = await Assert.ThrowsAsync<ObjectStoreException>(() => Catalogue.Objects.CommitAsync(ObjectAt(bucket, "k"), "\"other\"", false));
        Assert.Equal(ErrorKind.PreconditionFailed, differs.Kind);
        await Catalogue.Objects.CommitAsync(ObjectAt(bucket, "k", etag: "def"), "\"x\", \"abc\"", false);
        Assert.Equal("def", (await Catalogue.Objects.GetAsync(bucket, "k"))!.ETag);
    }

    [Fact]
    public async Task RestoreSkipsWhatIsThereAndKeepsBothOfTwoNullVersions()
    {
        var old = ObjectAt("restored", "k");
        Assert.True(await Catalogue.Objects.RestoreAsync(old)); // the bucket comes back with it
        Assert.NotNull(await Catalogue.Buckets.GetAsync("restored"));
        Assert.False(await Catalogue.Objects.RestoreAsync(old));
        Clock.Advance(TimeSpan.FromSeconds(1));
        var newer = ObjectAt("restored", "k");
        Assert.True(await Catalogue.Objects.RestoreAsync(newer));
        Assert.Equal(newer.Parts[0].Layout.DataId, (await Catalogue.Objects.GetAsync("restored", "k"))!.Parts[0].Layout.DataId);
        var versions = (await Catalogue.Objects.ListVersionsAsync(new ListVersionsRequest { Bucket = "restored" })).Versions;
        Assert.Equal(VersionIds.Null, versions[0].VersionId);
        Assert.NotEqual(VersionIds.Null, versions[1].VersionId); // the older kept, under an id of its own
        Assert.Empty(await Catalogue.Shards.PendingDeletesAsync(10));
        Assert.Equal(VersioningState.Unversioned, (await Catalogue.Buckets.GetAsync("restored"))!.Versioning);
    }

    [Fact]
    public async Task ARestoredVersionIsTakenOffTheDeleteQueue()
    {
        string bucket = await BucketAsync();
        var gone = ObjectAt(bucket, "k");
        await Catalogue.Objects.CommitAsync(gone, null, false);
        await Catalogue.Objects.DeleteAsync(bucket, "k", null, false);
        Assert.Single(await Catalogue.Shards.PendingDeletesAsync(10));
        Assert.True(await Catalogue.Objects.RestoreAsync(gone)); // a rebuild found its shards before GC freed them
        Assert.Empty(await Catalogue.Shards.PendingDeletesAsync(10));
    }

    // ---- listing -------------------------------------------------------------------------------------------------

    [Fact]
    public async Task ListingIsInUtf8ByteOrderWithCommonPrefixesRolledUp()
    {
        string bucket = await BucketAsync();
        string[] keys = ["a/1", "a/2", "b", "Z", "é", "z", "a/sub/3", "\U0001F600", "\uFFFD"];
        foreach (var key in keys)
        {
            await Catalogue.Objects.CommitAsync(ObjectAt(bucket, key), null, false);
        }
        var all = await Catalogue.Objects.ListAsync(new ListRequest { Bucket = bucket });
        Assert.Equal(keys.OrderBy(k => k, Comparer<string>.Create((x, y) => KeyOrder.Compare(KeyOrder.Bytes(x), KeyOrder.Bytes(y)))),
            all.Objects.Select(o => o.Key));
        Assert.Equal(["Z", "a/1", "a/2", "a/sub/3", "b", "z", "é", "\uFFFD", "\U0001F600"], all.Objects.Select(o => o.Key));

        var rolled = await Catalogue.Objects.ListAsync(new ListRequest { Bucket = bucket, Delimiter = "/" });
        Assert.Equal(["a/"], rolled.CommonPrefixes);
        Assert.DoesNotContain(rolled.Objects, o => o.Key.StartsWith("a/", StringComparison.Ordinal));

        var under = await Catalogue.Objects.ListAsync(new ListRequest { Bucket = bucket, Prefix = "a/", Delimiter = "/" });
        Assert.Equal(["a/1", "a/2"], under.Objects.Select(o => o.Key));
        Assert.Equal(["a/sub/"], under.CommonPrefixes);
    }

    [Fact]
    public async Task ListingPagesWithStartAfterAndReportsTruncation()
    {
        string bucket = await BucketAsync();
        foreach (var key in new[] { "k1", "k2", "k3", "p/x", "p/y", "q" })
        {
            await Catalogue.Objects.CommitAsync(ObjectAt(bucket, key), null, false);
        }
        var page = await Catalogue.Objects.ListAsync(new ListRequest { Bucket = bucket, Delimiter = "/", MaxKeys = 4 });
        Assert.Equal(["k1", "k2", "k3"], page.Objects.Select(o => o.Key));
        Assert.Equal(["p/"], page.CommonPrefixes);
        Assert.True(page.IsTruncated);
        Assert.Equal("p/", page.NextMarker);

        var next = await Catalogue.Objects.ListAsync(new ListRequest { Bucket = bucket, Delimiter = "/", StartAfter = page.NextMarker, MaxKeys = 4 });
        Assert.Equal(["q"], next.Objects.Select(o => o.Key));
        Assert.Empty(next.CommonPrefixes);
        Assert.False(next.IsTruncated);
        Assert.Null(next.NextMarker);

        var exact = await Catalogue.Objects.ListAsync(new ListRequest { Bucket = bucket, MaxKeys = 6 });
        Assert.False(exact.IsTruncated); // a full page that ends the bucket is not truncated
        Assert.Empty((await Catalogue.Objects.ListAsync(new ListRequest { Bucket = bucket, MaxKeys = 0 })).Objects);
    }
}
