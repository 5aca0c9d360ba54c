using ObjStore.Core;

namespace ObjStore.Metadata.Tests;

/// <summary>Writes issued together, as concurrent PUTs, DELETEs and completions issue them: each lands, or fails, alone.</summary>
public abstract partial class CatalogueContract
{
    [Fact]
    public async Task ConcurrentWritesAllLandAndAreAllVisible()
    {
        string plain = await BucketAsync();
        string versioned = await BucketAsync("versioned");
        await Catalogue.Buckets.SetVersioningAsync(versioned, VersioningState.Enabled);
        await Catalogue.Uploads.CreateAsync(Upload(plain, "multi", "u1"));
        await Catalogue.Uploads.CommitPartAsync(plain, "multi", "u1", new ObjectPart(1, 0, 5, "e1", null, Layout()));

        // Issued from thread-pool threads without awaiting one another (a write that finds the catalogue idle may run
        // on its caller's thread before returning): distinct keys, versions of one hot key, delete markers and a completion.
        var writes = new List<Task>();
        for (int i = 0; i < 100; i++)
        {
            string key = $"k{i:D3}";
            writes.Add(Task.Run(() => Catalogue.Objects.CommitAsync(ObjectAt(plain, key), null, false)));
        }
        for (int i = 0; i < 50; i++)
        {
            string gone = $"gone{i:D2}";
            writes.Add(Task.Run(() => Catalogue.Objects.CommitAsync(ObjectAt(versioned, "hot") with { VersionId = VersionIds.New(Clock.GetUtcNow()) }, null, false)));
            writes.Add(Task.Run(() => Catalogue.Objects.DeleteAsync(versioned, gone, null, false)));
        }
        writes.Add(Task.Run(() => Catalogue.Uploads.CompleteAsync(plain, "multi", "u1", (upload, parts) => Assemble(upload, parts, Clock.GetUtcNow()))));
        await Task.WhenAll(writes);

        var listed = await Catalogue.Objects.ListAsync(new ListRequest { Bucket = plain });
        Assert.Equal([.. Enumerable.Range(0, 100).Select(i => $"k{i:D3}"), "multi"], listed.Objects.Select(o => o.Key));
        var hot = (await Catalogue.Objects.ListVersionsAsync(new ListVersionsRequest { Bucket = versioned, Prefix = "hot" })).Versions;
        Assert.Equal(50, hot.Select(v => v.VersionId).Distinct().Count());
        Assert.Single(hot, v => v.IsLatest);
        var markers = (await Catalogue.Objects.ListVersionsAsync(new ListVersionsRequest { Bucket = versioned, Prefix = "gone" })).Versions;
        Assert.Equal(50, markers.Count(v => v.IsDeleteMarker && v.IsLatest));
    }

    [Fact]
    public async Task AFailingWriteAmongConcurrentOnesFailsAloneWithItsOwnError()
    {
        string bucket = await BucketAsync();
        var taken = ObjectAt(bucket, "taken");
        await Catalogue.Objects.CommitAsync(taken, null, false);
        await Catalogue.Buckets.CreateAsync("locked", Clock.GetUtcNow(), objectLock: true);
        var locked = ObjectAt("locked", "k") with
        {
            VersionId = VersionIds.New(Clock.GetUtcNow()),
            Lock = new ObjectLock(new ObjectRetention(RetentionMode.Compliance, Clock.GetUtcNow().AddDays(1)), false),
        };
        await Catalogue.Objects.CommitAsync(locked, null, false);

        var good = Enumerable.Range(0, 20).Select(i => Task.Run(() => Catalogue.Objects.CommitAsync(ObjectAt(bucket, $"good{i:D2}"), null, false))).ToList();
        var exists = Task.Run(() => Catalogue.Objects.CommitAsync(ObjectAt(bucket, "taken", etag: "ffffffffffffffffffffffffffffffff"), null, ifNoneMatchAny: true));
        var noBucket = Task.Run(() => Catalogue.Objects.CommitAsync(ObjectAt("missing", "k"), null, false));
        var retained = Task.Run(() => Catalogue.Objects.DeleteAsync("locked", "k", locked.VersionId, bypassGovernance: false));
        var moreGood = Enumerable.Range(20, 20).Select(i => Task.Run(() => Catalogue.Objects.CommitAsync(ObjectAt(bucket, $"good{i:D2}"), null, false))).ToList();

        Assert.Equal(ErrorKind.PreconditionFailed, (await Assert.ThrowsAsync<ObjectStoreException>(() => exists)).Kind);
        Assert.Equal(ErrorKind.NoSuchBucket, (await Assert.ThrowsAsync<ObjectStoreException>(() => noBucket)).Kind);
        Assert.Equal(ErrorKind.AccessDenied, (await Assert.ThrowsAsync<ObjectStoreException>(() => retained)).Kind);
        await Task.WhenAll(good.Concat(moreGood));
        var listed = await Catalogue.Objects.ListAsync(new ListRequest { Bucket = bucket, Prefix = "good" });
        Assert.Equal(40, listed.Objects.Count);
        Assert.Equal(taken.ETag, (await Catalogue.Objects.GetAsync(bucket, "taken"))!.ETag);
        Assert.NotNull(await Catalogue.Objects.GetAsync("locked", "k", locked.VersionId));
        Assert.Null(await Catalogue.Buckets.GetAsync("missing"));
    }
}
