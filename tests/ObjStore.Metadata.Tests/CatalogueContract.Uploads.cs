using ObjStore.Core;

namespace ObjStore.Metadata.Tests;

public abstract partial class CatalogueContract
{
    protected MultipartUpload Upload(string bucket, string key, string uploadId, ObjectMetadata? metadata = null) => new()
    {
        UploadId = uploadId,
        Bucket = bucket,
        Key = key,
        Initiated = Clock.GetUtcNow(),
        Metadata = metadata ?? ObjectMetadata.Default,
    };

    private static ObjectInfo Assemble(MultipartUpload upload, IReadOnlyList<ObjectPart> parts, DateTimeOffset now)
    {
        long offset = 0;
        var chosen = new List<ObjectPart>();
        foreach (var part in parts)
        {
            chosen.Add(part with { Offset = offset });
            offset += part.Size;
        }
        return new ObjectInfo
        {
            Bucket = upload.Bucket,
            Key = upload.Key,
            Size = offset,
            ETag = "etag-" + parts.Count,
            LastModified = now,
            Metadata = upload.Metadata,
            Parts = chosen,
            IsMultipart = true,
            UploadId = upload.UploadId,
        };
    }

    [Fact]
    public async Task AnUploadTakesPartsReplacesThemAndCompletesIntoAnObject()
    {
        string bucket = await BucketAsync();
        var missing = await Assert.ThrowsAsync<ObjectStoreException>(() => Catalogue.Uploads.CreateAsync(Upload("nope", "k", "u0")));
        Assert.Equal(ErrorKind.NoSuchBucket, missing.Kind);
        await Catalogue.Uploads.CreateAsync(Upload(bucket, "big", "u1", new ObjectMetadata { ContentType = "video/mp4", StorageClass = "GLACIER" }));
        Assert.Null(await Catalogue.Uploads.GetAsync(bucket, "other", "u1")); // an upload lives at its own key only

        var part1 = Layout();
        var part1Again = Layout();
        var part2 = Layout();
        var part3 = Layout();
        Assert.Null(await Catalogue.Uploads.CommitPartAsync(bucket, "big", "u1", new ObjectPart(1, 0, 5, "e1", null, part1)));
        Assert.Equal(part1.DataId, (await Catalogue.Uploads.CommitPartAsync(bucket, "big", "u1", new ObjectPart(1, 0, 6, "e1b", null, part1Again)))!.DataId);
        await Catalogue.Uploads.CommitPartAsync(bucket, "big", "u1", new ObjectPart(2, 0, 7, "e2", null, part2));
        await Catalogue.Uploads.CommitPartAsync(bucket, "big", "u1", new ObjectPart(3, 0, 8, "e3", null, part3));
        var (listed, truncated) = await Catalogue.Uploads.ListPartsAsync("u1", 1, 1);
        Assert.Equal(2, Assert.Single(listed).Number);
        Assert.True(truncated);

        // Completion keeps parts 1 and 3; part 2 and the replaced part 1 are garbage.
        var (info, garbage) = await Catalogue.Uploads.CompleteAsync(bucket, "big", "u1",
            (upload, stored) => Assemble(upload, [.. stored.Where(p => p.Number != 2)], Clock.GetUtcNow()));
        Assert.Equal([part2.DataId], garbage.Select(g => g.DataId));
        Assert.Equal(14, info.Size);
        var back = await Catalogue.Objects.GetAsync(bucket, "big");
        Assert.NotNull(back);
        Assert.True(back.IsMultipart);
        Assert.Equal(("video/mp4", "GLACIER"), (back.Metadata.ContentType, back.Metadata.StorageClass));
        Assert.Equal([(1, 0L, part1Again.DataId), (3, 6L, part3.DataId)], back.Parts.Select(p => (p.Number, p.Offset, p.Layout.DataId)));
        var pending = (await Catalogue.Shards.PendingDeletesAsync(10)).Select(l => l.DataId).ToList();
        Assert.Contains(part1.DataId, pending);
        Assert.Contains(part2.DataId, pending);

        // A retried completion returns what the first made; the upload itself is gone.
        var (again, none) = await Catalogue.Uploads.CompleteAsync(bucket, "big", "u1", (_, _) => throw new InvalidOperationException("not called"));
        Assert.Equal(info.Size, again.Size);
        Assert.Empty(none);
        Assert.Null(await Catalogue.Uploads.GetAsync(bucket, "big", "u1"));
        var late = await Assert.ThrowsAsync<ObjectStoreException>(() =>
            Catalogue.Uploads.CommitPartAsync(bucket, "big", "u1", new ObjectPart(4, 0, 1, "e4", null, Layout())));
        Assert.Equal(ErrorKind.NoSuchUpload, late.Kind);

        // Overwriting a multipart object retires all of its parts.
        var replaced = await Catalogue.Objects.CommitAsync(ObjectAt(bucket, "big"), null, false);
        Assert.Equal([part1Again.DataId, part3.DataId], replaced.Select(l => l.DataId));
    }

    [Fact]
    public async Task AbortingAnUploadReturnsItsPartsAndForgetsIt()
    {
        string bucket = await BucketAsync();
        await Catalogue.Uploads.CreateAsync(Upload(bucket, "k", "u1"));
        var part = Layout();
        await Catalogue.Uploads.CommitPartAsync(bucket, "k", "u1", new ObjectPart(1, 0, 5, "e1", null, part));
        var wrongKey = await Assert.ThrowsAsync<ObjectStoreException>(() => Catalogue.Uploads.AbortAsync(bucket, "other", "u1"));
        Assert.Equal(ErrorKind.NoSuchUpload, wrongKey.Kind);
        Assert.Equal(part.DataId, Assert.Single(await Catalogue.Uploads.AbortAsync(bucket, "k", "u1")).DataId);
        Assert.Null(await Catalogue.Uploads.GetAsync(bucket, "k", "u1"));
        await Assert.ThrowsAsync<ObjectStoreException>(() => Catalogue.Uploads.AbortAsync(bucket, "k", "u1"));
    }

    [Fact]
    public async Task UploadsListInKeyAndIdOrderWithPrefixesAndMarkers()
    {
        string bucket = await BucketAsync();
        foreach (var (key, id) in new[] { ("b", "u2"), ("a", "u1"), ("b", "u3"), ("dir/x", "u4"), ("dir/y", "u5") })
        {
            await Catalogue.Uploads.CreateAsync(Upload(bucket, key, id));
        }
        var all = await Catalogue.Uploads.ListAsync(new ListUploadsRequest { Bucket = bucket, Delimiter = "/" });
        Assert.Equal([("a", "u1"), ("b", "u2"), ("b", "u3")], all.Uploads.Select(u => (u.Key, u.UploadId)));
        Assert.Equal(["dir/"], all.CommonPrefixes);
        Assert.False(all.IsTruncated);

        var page = await Catalogue.Uploads.ListAsync(new ListUploadsRequest { Bucket = bucket, MaxUploads = 2 });
        Assert.True(page.IsTruncated);
        Assert.Equal(("b", "u2"), (page.NextKeyMarker, page.NextUploadIdMarker));
        var rest = await Catalogue.Uploads.ListAsync(new ListUploadsRequest
        {
            Bucket = bucket, KeyMarker = page.NextKeyMarker, UploadIdMarker = page.NextUploadIdMarker,
        });
        Assert.Equal(["u3", "u4", "u5"], rest.Uploads.Select(u => u.UploadId));
    }

    [Fact]
    public async Task UploadsInitiatedBeforeACutoffAreFoundOldestFirst()
    {
        string bucket = await BucketAsync();
        await Catalogue.Uploads.CreateAsync(Upload(bucket, "k", "old"));
        Clock.Advance(TimeSpan.FromDays(8));
        await Catalogue.Uploads.CreateAsync(Upload(bucket, "k", "new"));
        var cutoff = Clock.GetUtcNow() - TimeSpan.FromDays(7);
        Assert.Equal(["old"], (await Catalogue.Uploads.InitiatedBeforeAsync(cutoff, 10)).Select(u => u.UploadId));
    }
}
