using ObjStore.Core;

namespace ObjStore.Metadata.Tests;

public abstract partial class CatalogueContract
{
    [Fact]
    public async Task PendingDeletesStayUntilCompletedAndPageInDataIdOrder()
    {
        string bucket = await BucketAsync();
        var first = ObjectAt(bucket, "a");
        var second = ObjectAt(bucket, "b");
        await Catalogue.Objects.CommitAsync(first, null, false);
        await Catalogue.Objects.CommitAsync(second, null, false);
        await Catalogue.Objects.DeleteAsync(bucket, "a", null, false);
        Clock.Advance(TimeSpan.FromSeconds(1));
        await Catalogue.Objects.DeleteAsync(bucket, "b", null, false);
        string[] both = [first.Parts[0].Layout.DataId, second.Parts[0].Layout.DataId];
        Assert.Equal(both.Order(StringComparer.Ordinal), (await Catalogue.Shards.PendingDeletesAsync(10)).Select(l => l.DataId));
        var firstPage = Assert.Single(await Catalogue.Shards.PendingDeletesAsync(1));
        Assert.Equal(both.Max(StringComparer.Ordinal), Assert.Single(await Catalogue.Shards.PendingDeletesAsync(1, firstPage.DataId)).DataId);
        Assert.Empty(await Catalogue.Shards.PendingDeletesAsync(10, both.Max(StringComparer.Ordinal)));
        Assert.True(await Catalogue.Shards.IsDataReferencedAsync(first.Parts[0].Layout.DataId)); // queued: not an orphan yet
        await Catalogue.Shards.CompleteDeleteAsync(first.Parts[0].Layout.DataId);
        Assert.Equal([second.Parts[0].Layout.DataId], (await Catalogue.Shards.PendingDeletesAsync(10)).Select(l => l.DataId));
        Assert.False(await Catalogue.Shards.IsDataReferencedAsync(first.Parts[0].Layout.DataId));
    }

    [Fact]
    public async Task DegradedShardsAreRecordedOnceCountedAndCleared()
    {
        var layout = Layout();
        await Catalogue.Shards.RecordDegradedAsync(layout, [1, 4], "not written");
        await Catalogue.Shards.RecordDegradedAsync(layout, [1], "again");
        Assert.Equal(2, await Catalogue.Shards.CountDegradedAsync());
        var rows = await Catalogue.Shards.DegradedAsync(10);
        Assert.Equal([(1, "s1"), (4, "s4")], rows.Select(r => (r.Index, r.StoreId)).Order());
        await Catalogue.Shards.ClearDegradedAsync(layout.DataId);
        Assert.Equal(0, await Catalogue.Shards.CountDegradedAsync());
    }

    [Fact]
    public async Task DataIsFoundByIdListedInIdOrderAndMovedShardByShard()
    {
        string bucket = await BucketAsync();
        var single = ObjectAt(bucket, "photos/cat");
        await Catalogue.Objects.CommitAsync(single, null, false);
        await Catalogue.Objects.CommitAsync(ObjectAt(bucket, "docs/readme"), null, false);
        await Catalogue.Uploads.CreateAsync(Upload(bucket, "photos/big", "u1"));
        var part = Layout();
        await Catalogue.Uploads.CommitPartAsync(bucket, "photos/big", "u1", new ObjectPart(1, 0, 5, "e1", null, part));

        var found = await Catalogue.Shards.FindDataAsync(single.Parts[0].Layout.DataId);
        Assert.Equal((bucket, "photos/cat", 10L), (found!.Bucket, found.Key, found.Size));
        var foundPart = await Catalogue.Shards.FindDataAsync(part.DataId);
        Assert.Equal(("photos/big", 5L), (foundPart!.Key, foundPart.Size)); // a part of an upload in progress
        Assert.Null(await Catalogue.Shards.FindDataAsync("nothing"));
        Assert.True(await Catalogue.Shards.IsDataReferencedAsync(part.DataId));

        // Listing covers committed objects only (an upload's parts join once it completes), in data-id order.
        var all = new List<DataRef>();
        await foreach (var data in Catalogue.Shards.EnumerateDataAsync())
        {
            all.Add(data);
        }
        Assert.Equal(2, all.Count);
        Assert.Equal(all.Select(d => d.Layout.DataId).Order(StringComparer.Ordinal), all.Select(d => d.Layout.DataId));
        var page = await Catalogue.Shards.ListDataAsync(all[0].Layout.DataId, 10);
        Assert.Equal([all[1].Layout.DataId], page.Select(d => d.Layout.DataId));
        Assert.Equal(["photos/cat"], (await Catalogue.Shards.ListDataAsync(null, 10, bucket, "photos/")).Select(d => d.Key));

        Assert.True(await Catalogue.Shards.MoveShardAsync(single.Parts[0].Layout.DataId, 2, "s9"));
        Assert.Equal(["s0", "s1", "s9", "s3", "s4", "s5"], (await Catalogue.Objects.GetAsync(bucket, "photos/cat"))!.Parts[0].Layout.Placement);
        Assert.False(await Catalogue.Shards.MoveShardAsync("nothing", 2, "s9"));
    }

    [Fact]
    public async Task StoreStatesAndInstancesAreRemembered()
    {
        Assert.Empty(await Catalogue.Stores.StatesAsync());
        await Catalogue.Stores.SetStateAsync("s1", StoreStates.Draining);
        await Catalogue.Stores.SetStateAsync("s1", StoreStates.Drained);
        Assert.Equal(StoreStates.Drained, (await Catalogue.Stores.StatesAsync())["s1"]);
        Assert.Null(await Catalogue.Stores.SwapInstanceAsync("s1", "i1"));
        Assert.Equal("i1", await Catalogue.Stores.SwapInstanceAsync("s1", "i2"));
        Assert.Equal("i2", await Catalogue.Stores.SwapInstanceAsync("s1", "i2"));
    }

    [Fact]
    public async Task ABackupIsACatalogueOfItsOwn()
    {
        string bucket = await BucketAsync();
        await Catalogue.Objects.CommitAsync(ObjectAt(bucket, "k"), null, false);
        string path = Path.Combine(Path.GetTempPath(), $"objstore-backup-{Guid.NewGuid():N}.db");
        try
        {
            await Catalogue.BackupToAsync(path);
            using var copy = OpenCopy(path);
            Assert.NotNull(await copy.Objects.GetAsync(bucket, "k"));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task ItsSizeOnDiskIsMeasured()
    {
        await BucketAsync();
        await Catalogue.Objects.CommitAsync(ObjectAt("bucket", "k"), null, false);
        Assert.True(await Catalogue.SizeBytesAsync() > 0);
    }

    /// <summary>Opens what <see cref="ICatalogue.BackupToAsync"/> wrote.</summary>
    protected abstract ICatalogue OpenCopy(string path);
}

public abstract partial class CatalogueContract
{
    private static ObjectLayout Replicated() => new(1, 2, 4096, $"copy{Interlocked.Increment(ref _ids):D6}", ["s3", "s0", "s5"]) { Kind = LayoutKind.Replicated };

    [Fact]
    public async Task EachObjectAndPartKeepsItsOwnLayoutKind()
    {
        string bucket = await BucketAsync();
        var copies = Replicated();
        var single = ObjectAt(bucket, "small") with { Parts = [new ObjectPart(1, 0, 10, "e", null, copies)] };
        await Catalogue.Objects.CommitAsync(single, null, false);
        var stripedObject = ObjectAt(bucket, "large");
        await Catalogue.Objects.CommitAsync(stripedObject, null, false);
        await Catalogue.Uploads.CreateAsync(Upload(bucket, "mixed", "u1"));
        var stripedPart = Layout();
        var copiedPart = Replicated();
        await Catalogue.Uploads.CommitPartAsync(bucket, "mixed", "u1", new ObjectPart(1, 0, 5, "e1", null, stripedPart));
        await Catalogue.Uploads.CommitPartAsync(bucket, "mixed", "u1", new ObjectPart(2, 0, 3, "e2", null, copiedPart));
        Assert.Equal([LayoutKind.Striped, LayoutKind.Replicated], (await Catalogue.Uploads.ListPartsAsync("u1", 0, 10)).Parts.Select(p => p.Layout.Kind));
        Assert.Equal(LayoutKind.Replicated, (await Catalogue.Shards.FindDataAsync(copiedPart.DataId))!.Layout.Kind);
        await Catalogue.Uploads.CompleteAsync(bucket, "mixed", "u1", (upload, stored) => Assemble(upload, stored, Clock.GetUtcNow()));

        var back = await Catalogue.Objects.GetAsync(bucket, "small");
        Assert.Equal((LayoutKind.Replicated, 1, 2, 4096), (back!.Parts[0].Layout.Kind, back.Parts[0].Layout.DataShards, back.Parts[0].Layout.ParityShards, back.Parts[0].Layout.StripeSize));
        Assert.Equal(["s3", "s0", "s5"], back.Parts[0].Layout.Placement);
        Assert.Equal(LayoutKind.Striped, (await Catalogue.Objects.GetAsync(bucket, "large"))!.Parts[0].Layout.Kind);
        Assert.Equal([LayoutKind.Striped, LayoutKind.Replicated], (await Catalogue.Objects.GetAsync(bucket, "mixed"))!.Parts.Select(p => p.Layout.Kind));
        Assert.Equal(LayoutKind.Replicated, (await Catalogue.Shards.FindDataAsync(copies.DataId))!.Layout.Kind);
        var listed = (await Catalogue.Shards.ListDataAsync(null, 100)).ToDictionary(d => d.Layout.DataId, d => d.Layout.Kind);
        Assert.Equal(LayoutKind.Replicated, listed[copies.DataId]);
        Assert.Equal(LayoutKind.Replicated, listed[copiedPart.DataId]);
        Assert.Equal(LayoutKind.Striped, listed[stripedPart.DataId]);
        Assert.Equal(LayoutKind.Striped, listed[stripedObject.Parts[0].Layout.DataId]);

        // A move of one copy keeps the kind.
        Assert.True(await Catalogue.Shards.MoveShardAsync(copies.DataId, 1, "s4"));
        var moved = (await Catalogue.Objects.GetAsync(bucket, "small"))!.Parts[0].Layout;
        Assert.Equal((LayoutKind.Replicated, "s4"), (moved.Kind, moved.Placement[1]));
    }
}

public abstract partial class CatalogueContract
{
    [Fact]
    public async Task DataTotalsCountWhatTheListingListsWithTheirStoredBytesAndTheirStore()
    {
        string bucket = await BucketAsync();
        string other = await BucketAsync("other");
        ObjectInfo At(string b, string key, long size, string[] placement, long? stored = null)
        {
            var info = ObjectAt(b, key, size);
            var layout = new ObjectLayout(2, 1, 1 << 20, $"{b}-{key}", placement);
            return info with { Parts = [info.Parts[0] with { Layout = layout, Encoding = stored is { } s ? new PartEncoding(s) : null }] };
        }
        await Catalogue.Objects.CommitAsync(At(bucket, "logs/a", 100, ["s0", "s1", "s2"]), null, false);
        await Catalogue.Objects.CommitAsync(At(bucket, "logs/b", 1000, ["s1", "s2", "s3"], stored: 300), null, false);
        await Catalogue.Objects.CommitAsync(At(bucket, "img/c", 10, ["s3", "s4", "s5"]), null, false);
        await Catalogue.Objects.CommitAsync(At(other, "d", 5, ["s10", "s4", "s5"]), null, false);

        Assert.Equal(new DataTotals(4, 100 + 300 + 10 + 5), await Catalogue.Shards.MeasureDataAsync());
        Assert.Equal(new DataTotals(2, 400), await Catalogue.Shards.MeasureDataAsync(bucket, "logs/"));
        Assert.Equal(new DataTotals(2, 310), await Catalogue.Shards.MeasureDataAsync(store: "s3"));
        Assert.Equal(new DataTotals(1, 5), await Catalogue.Shards.MeasureDataAsync(store: "s10")); // not s1's
        Assert.Equal(new DataTotals(0, 0), await Catalogue.Shards.MeasureDataAsync(store: "s9"));
        var listed = new List<DataRef>();
        await foreach (var data in Catalogue.Shards.EnumerateDataAsync())
        {
            listed.Add(data);
        }
        Assert.Equal(listed.Count, (await Catalogue.Shards.MeasureDataAsync()).Layouts);
        Assert.Equal(listed.Sum(d => d.Size), (await Catalogue.Shards.MeasureDataAsync()).Bytes);
    }
}
