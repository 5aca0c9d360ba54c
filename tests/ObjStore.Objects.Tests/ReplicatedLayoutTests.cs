using Microsoft.Extensions.Logging.Abstractions;
using ObjStore.Core;
using ObjStore.Storage.Format;
using ObjStore.TestKit;
using ObjStore.TestKit.Faults;

namespace ObjStore.Objects.Tests;

/// <summary>
/// Small objects as 1+m full copies (4+2 makes three): which objects get them, one file per copy, one read per GET,
/// up to m copies failing in every way a shard can, m+1 failing as cleanly as striping, the write quorum, multipart
/// parts, and objects of both layouts side by side when the threshold changes.
/// </summary>
public sealed class ReplicatedLayoutTests
{
    private static readonly CancellationToken None = CancellationToken.None;
    private static readonly byte[] Data = TestData.Bytes(10_001, 11); // three 4 KiB stripes of copies, the last one short

    [Theory]
    [InlineData(0, LayoutKind.Replicated)]
    [InlineData(1, LayoutKind.Replicated)]
    [InlineData(4095, LayoutKind.Replicated)]
    [InlineData(4096, LayoutKind.Replicated)] // exactly at the threshold
    [InlineData(4097, LayoutKind.Striped)]
    [InlineData(50_000, LayoutKind.Striped)]
    public async Task ObjectsUpToTheThresholdAreReplicatedAndLargerOnesStriped(int size, LayoutKind expected)
    {
        await using var cluster = new TestCluster<FailingShardStore>(s => FailingShardStore.Unavailable(s), configure: o => o.ReplicateUpTo = 4096);
        await cluster.CreateBucketAsync();
        byte[] data = TestData.Bytes(size, size);

        var info = await cluster.PutAsync("object", data);

        var layout = info.Parts[0].Layout;
        Assert.Equal(expected, layout.Kind);
        Assert.Equal(expected == LayoutKind.Replicated ? (1, 2) : (4, 2), (layout.DataShards, layout.ParityShards));
        Assert.Equal(layout.TotalShards, layout.Placement.Distinct().Count());
        Assert.Equal(layout.TotalShards, (await cluster.AllShardsAsync()).Count);
        var stored = await cluster.Layer.GetObjectInfoAsync(TestCluster.Bucket, "object", null, None);
        Assert.Equal(layout.Kind, stored.Parts[0].Layout.Kind); // the catalogue keeps the layout
        Assert.Equal(data, await cluster.GetAsync(stored));
    }

    [Fact]
    public async Task EveryCopyIsTheWholeObjectInOneBlockWithItsOwnFooter()
    {
        await using var cluster = new TestCluster<FailingShardStore>(s => FailingShardStore.Unavailable(s), configure: o => o.ReplicateUpTo = 4096);
        await cluster.CreateBucketAsync();
        byte[] data = TestData.Bytes(4096, 3);
        var info = await cluster.PutAsync("thumb", data);
        var layout = info.Parts[0].Layout;

        for (int copy = 0; copy < 3; copy++)
        {
            var store = cluster.Locals[TestCluster.StoreIndex(layout.Placement[copy])];
            byte[] file = await File.ReadAllBytesAsync(store.PathOf(ShardId.For(layout.DataId, copy)));
            // One block of exactly the object's size, its 8-byte checksum, the footer: nothing padded to a stripe.
            Assert.Equal(data, file[..4096]);
            Assert.True(Erasure.StripeBuffer.ChecksumMatches(file.AsSpan(0, 4096), file.AsSpan(4096, 8)));
            var footer = ShardFooter.Parse(file.AsSpan(4096 + 8));
            Assert.NotNull(footer);
            Assert.Equal((ShardFooter.ReplicatedFormat, LayoutKind.Replicated, copy, 1, 2), (footer.FormatVersion, footer.Layout, footer.Index, footer.DataShards, footer.ParityShards));
            Assert.Equal(info.ETag, footer.ETag);
        }
    }

    [Fact]
    public async Task AHealthyGetReadsOneCopyOnce()
    {
        await using var cluster = new TestCluster<FailingShardStore>(s => FailingShardStore.Unavailable(s, ShardCalls.Reads, afterCalls: int.MaxValue),
            layout: LayoutKind.Replicated);
        await cluster.CreateBucketAsync();
        byte[] data = TestData.Bytes(4000, 5);
        var info = await cluster.PutAsync("object", data);
        foreach (var fault in cluster.Faults)
        {
            fault.Enabled = true; // counting only: afterCalls is never reached
        }

        Assert.Equal(data, await cluster.GetAsync(info));
        Assert.Equal(data[100..200], await cluster.GetAsync(info, 100, 100));

        // Two GETs: each one open and one read of one copy, the others never asked.
        Assert.Equal(4, cluster.Faults.Sum(f => f.CallCount));
        Assert.Equal(4, cluster.FaultOf(info, 0).CallCount);
    }

    public static TheoryData<ReadFault, int[]> UpToM()
    {
        var data = new TheoryData<ReadFault, int[]>();
        foreach (var fault in Enum.GetValues<ReadFault>())
        {
            foreach (int[] copies in new[] { Array.Empty<int>(), [0], [1], [2], [0, 1], [0, 2], [1, 2] })
            {
                data.Add(fault, copies);
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(UpToM))]
    public async Task ReadsAreExactWithUpToMCopiesFailing(ReadFault fault, int[] failing)
    {
        // No hedged reads (their delay runs on the real clock): on a loaded machine a slow good copy would be hedged
        // to the next one, and this test counts which copies a failover asks.
        await using var cluster = new TestCluster<ShardStoreDecorator>(
            store => ReadFaults.Make(fault, store), configure: options => options.HedgeFloor = TimeSpan.FromHours(1), layout: LayoutKind.Replicated);
        await cluster.CreateBucketAsync();
        var info = await cluster.PutAsync("object", Data);
        foreach (int copy in failing)
        {
            cluster.FaultOf(info, copy).Enabled = true;
        }

        Assert.Equal(Data, await cluster.GetAsync(info));
        Assert.Equal(Data[4_000..9_000], await cluster.GetAsync(info, 4_000, 5_000)); // a range across stripes
        Assert.Equal(Data[^1..], await cluster.GetAsync(info, Data.Length - 1, 1));

        // A copy is asked only in place of one before it that failed, and a missing or corrupt copy a read met is
        // recorded for healing (a store that is down is not the copy's fault).
        int firstGood = Enumerable.Range(0, 3).First(i => !failing.Contains(i));
        Assert.All(Enumerable.Range(firstGood + 1, 2 - firstGood), later => Assert.Equal(0, CallsOf(cluster.FaultOf(info, later))));
        var degraded = (await cluster.Catalogue.Shards.DegradedAsync(100)).Select(d => d.Index).Order();
        Assert.Equal(fault == ReadFault.Unavailable ? [] : failing.Where(i => i < firstGood).Order(), degraded);
    }

    private static int CallsOf(ShardStoreDecorator fault) => fault switch
    {
        FailingShardStore failing => failing.Failures,
        CorruptingShardStore corrupting => corrupting.Corrupted,
        _ => throw new ArgumentOutOfRangeException(nameof(fault)),
    };

    [Theory]
    [InlineData(ReadFault.Unavailable)]
    [InlineData(ReadFault.NotFound)]
    [InlineData(ReadFault.Corrupt)]
    public async Task ReadsFailWithoutWrongBytesWithEveryCopyFailing(ReadFault fault)
    {
        await using var cluster = new TestCluster<ShardStoreDecorator>(store => ReadFaults.Make(fault, store), layout: LayoutKind.Replicated);
        await cluster.CreateBucketAsync();
        var info = await cluster.PutAsync("object", Data);
        foreach (int copy in new[] { 0, 1, 2 })
        {
            cluster.FaultOf(info, copy).Enabled = true;
        }

        using var destination = new MemoryStream();
        var lost = await Assert.ThrowsAsync<ReadQuorumException>(
            () => cluster.Layer.ReadObjectAsync(info, 0, info.Size, destination, null, None));

        // The same error a striped object gives (503 over S3), with the counts of this layout: one copy needed.
        Assert.Equal((0, 1), (lost.Have, lost.Need));
        Assert.Equal(ErrorKind.ReadQuorumLost, lost.Kind);
        Assert.Equal(0, destination.Length);
    }

    /// <summary>Every store refuses one copy index while enabled: the store of that copy is down for this write, whatever the placement.</summary>
    private sealed class CopyRefused(IShardStore inner, Func<int, bool> refused, ShardCalls calls) : ShardStoreDecorator(inner, calls)
    {
        protected override ValueTask BeforeAsync(ShardCalls kind, string? shardId, CancellationToken cancellationToken) =>
            shardId is not null && refused(int.Parse(shardId[^2..], System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture))
                ? ValueTask.FromException(new StoreUnavailableException($"Store {Id} is down for {shardId} (injected)."))
                : ValueTask.CompletedTask;
    }

    [Theory]
    [InlineData(0, ShardCalls.Create)]
    [InlineData(2, ShardCalls.Write)]
    [InlineData(1, ShardCalls.Commit)]
    public async Task ACopyWhoseStoreWasDownDuringTheWriteIsRecordedAndTheOthersServeTheObject(int copy, ShardCalls failing)
    {
        await using var cluster = new TestCluster<CopyRefused>(s => new CopyRefused(s, i => i == copy, failing), faultsEnabled: true, layout: LayoutKind.Replicated);
        await cluster.CreateBucketAsync();

        var info = await cluster.PutAsync("degraded", Data);

        var layout = info.Parts[0].Layout;
        var missing = Assert.Single(await cluster.Catalogue.Shards.DegradedAsync(100));
        Assert.Equal((layout.DataId, copy, layout.Placement[copy], "not written"), (missing.DataId, missing.Index, missing.StoreId, missing.Reason));
        Assert.Equal(
            [.. Enumerable.Range(0, 3).Where(i => i != copy).Select(i => ShardId.For(layout.DataId, i))],
            (await cluster.AllShardsAsync()).Select(e => e.ShardId).Order(StringComparer.Ordinal));
        Assert.Empty(cluster.TempFiles());
        Assert.Equal(Data, await cluster.GetAsync(info));
    }

    [Theory]
    [InlineData(ShardCalls.Create)]
    [InlineData(ShardCalls.Write)]
    [InlineData(ShardCalls.Commit)]
    public async Task TwoOfThreeCopiesMeetTheDefaultQuorumAndOneDoesNot(ShardCalls failing)
    {
        await using var cluster = new TestCluster<FailingShardStore>(s => FailingShardStore.Unavailable(s, failing), layout: LayoutKind.Replicated);
        await cluster.CreateBucketAsync();
        var probe = await cluster.PutAsync("probe", Data);
        Assert.Equal(2, Quorum.WriteQuorum(cluster.Options, probe.Parts[0].Layout));
        var before = (await cluster.AllShardsAsync()).Select(e => e.ShardId).Order(StringComparer.Ordinal).ToList();

        // Every store down but one: whatever the placement, at most one copy can become durable.
        foreach (var fault in cluster.Faults.Skip(1))
        {
            fault.Enabled = true;
        }
        var lost = await Assert.ThrowsAsync<WriteQuorumException>(() => cluster.PutAsync("lost", Data));
        Assert.Equal(2, lost.Need);
        Assert.InRange(lost.Have, 0, 1);
        Assert.Equal(before, (await cluster.AllShardsAsync()).Select(e => e.ShardId).Order(StringComparer.Ordinal)); // the durable copy deleted again
        Assert.Empty(cluster.TempFiles());
        var missing = await Assert.ThrowsAnyAsync<ObjectStoreException>(() => cluster.Layer.GetObjectInfoAsync(TestCluster.Bucket, "lost", null, None));
        Assert.Equal(ErrorKind.NoSuchKey, missing.Kind);
    }

    [Theory]
    [InlineData(null, 2)]
    [InlineData(4, 1)] // WriteQuorum = k: no shard beyond the data for stripes, one copy for replicas
    [InlineData(6, 3)] // k+m: every shard, every copy
    public async Task TheReplicatedQuorumLeavesAsManyShardsMissingAsTheStripedOne(int? writeQuorum, int copies)
    {
        int refusedCount = 0;
        await using var cluster = new TestCluster<CopyRefused>(s => new CopyRefused(s, i => i < refusedCount, ShardCalls.Commit),
            faultsEnabled: true, configure: o => o.WriteQuorum = writeQuorum, layout: LayoutKind.Replicated);
        var layout = new ObjectLayout(1, 2, 4096, ShardId.NewDataId(), ["s0", "s1", "s2"]) { Kind = LayoutKind.Replicated };
        var striped = new ObjectLayout(4, 2, 4096, ShardId.NewDataId(), ["s0", "s1", "s2", "s3", "s4", "s5"]);
        Assert.Equal(copies, Quorum.WriteQuorum(cluster.Options, layout));
        Assert.Equal(6 - Quorum.WriteQuorum(cluster.Options, striped), 3 - copies);
        await cluster.CreateBucketAsync();

        // As many copies refused as the quorum spares: committed. One more: refused, and nothing left behind.
        refusedCount = 3 - copies;
        Assert.Equal(Data, await cluster.GetAsync(await cluster.PutAsync("spared", Data)));
        var before = (await cluster.AllShardsAsync()).Select(e => e.ShardId).Order(StringComparer.Ordinal).ToList();
        refusedCount = 4 - copies;
        var lost = await Assert.ThrowsAsync<WriteQuorumException>(() => cluster.PutAsync("one-too-many", Data));
        Assert.Equal((copies - 1, copies), (lost.Have, lost.Need));
        Assert.Equal(before, (await cluster.AllShardsAsync()).Select(e => e.ShardId).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task CopiesGoToDistinctFailureDomains()
    {
        await using var cluster = new TestCluster<FailingShardStore>(s => FailingShardStore.Unavailable(s), layout: LayoutKind.Replicated);
        // Three domains of two stores each: three copies, one in every domain, for every object.
        var topology = Enumerable.Range(0, 6).Select(i => new PlacementNode($"s{i}", $"rack-{i / 2}")).ToList();
        var racked = new ShardCluster(cluster.Faults, cluster.Options, NullLogger.Instance, cluster.Clock, topology);
        var layer = new ErasureObjectLayer(cluster.Catalogue, racked);
        await cluster.CreateBucketAsync();
        for (int i = 0; i < 20; i++)
        {
            var info = await layer.PutObjectAsync(new PutObjectRequest { Bucket = TestCluster.Bucket, Key = $"k{i}", DeclaredLength = 100 }, new MemoryStream(new byte[100]), None);
            Assert.Equal(3, info.Parts[0].Layout.Placement.Select(s => TestCluster.StoreIndex(s) / 2).Distinct().Count());
        }
    }

    [Fact]
    public async Task ABodyOfUnknownLengthIsStriped()
    {
        await using var cluster = new TestCluster<FailingShardStore>(s => FailingShardStore.Unavailable(s), layout: LayoutKind.Replicated);
        await cluster.CreateBucketAsync();
        var info = await cluster.Layer.PutObjectAsync(new PutObjectRequest { Bucket = TestCluster.Bucket, Key = "unknown" }, new MemoryStream(Data), None);
        Assert.Equal(LayoutKind.Striped, info.Parts[0].Layout.Kind);
        Assert.Equal(Data, await cluster.GetAsync(info));
    }

    [Fact]
    public async Task ChangingTheThresholdLeavesEveryObjectReadableInTheLayoutItWasWrittenWith()
    {
        await using var cluster = new TestCluster<FailingShardStore>(s => FailingShardStore.Unavailable(s), configure: o => o.ReplicateUpTo = 8192);
        await cluster.CreateBucketAsync();
        byte[] small = TestData.Bytes(5000, 1), large = TestData.Bytes(20_000, 2);
        var replicated = await cluster.PutAsync("small-then", small);
        var striped = await cluster.PutAsync("large", large);

        // The same catalogue and stores under a gateway that replicates nothing, then one that replicates everything.
        foreach (long threshold in new[] { 0L, long.MaxValue })
        {
            var options = new ObjectLayerOptions
            {
                DataShards = 4, ParityShards = 2, StripeSize = 4096, ReserveBytes = 0, ShardDigestKey = cluster.Options.ShardDigestKey, ReplicateUpTo = threshold,
            };
            var layer = new ErasureObjectLayer(cluster.Catalogue, new ShardCluster(cluster.Faults, options, NullLogger.Instance, cluster.Clock));
            var written = await layer.PutObjectAsync(
                new PutObjectRequest { Bucket = TestCluster.Bucket, Key = $"small-now-{threshold}", DeclaredLength = small.Length }, new MemoryStream(small), None);
            Assert.Equal(threshold == 0 ? LayoutKind.Striped : LayoutKind.Replicated, written.Parts[0].Layout.Kind);

            foreach (var (key, data, kind) in new[]
            {
                ("small-then", small, LayoutKind.Replicated), ("large", large, LayoutKind.Striped),
                ($"small-now-{threshold}", small, written.Parts[0].Layout.Kind),
            })
            {
                var info = await layer.GetObjectInfoAsync(TestCluster.Bucket, key, null, None);
                Assert.Equal(kind, info.Parts[0].Layout.Kind);
                using var destination = new MemoryStream();
                await layer.ReadObjectAsync(info, 0, info.Size, destination, null, None);
                Assert.Equal(data, destination.ToArray());
            }
        }
        Assert.Equal(LayoutKind.Replicated, replicated.Parts[0].Layout.Kind);
        Assert.Equal(LayoutKind.Striped, striped.Parts[0].Layout.Kind);
    }

    [Fact]
    public async Task ASmallLastPartIsReplicatedAndTheObjectReadsAcrossBothLayouts()
    {
        await using var cluster = new TestCluster<FailingShardStore>(s => FailingShardStore.Unavailable(s, ShardCalls.Reads),
            configure: o => { o.ReplicateUpTo = 4096; o.MinPartSize = 8192; });
        await cluster.CreateBucketAsync();
        byte[] one = TestData.Bytes(10_000, 1), two = TestData.Bytes(3000, 2);
        var upload = await cluster.Layer.CreateMultipartUploadAsync(new PutObjectRequest { Bucket = TestCluster.Bucket, Key = "mp" }, None);
        var (p1, _) = await cluster.Layer.UploadPartAsync(
            new PutObjectRequest { Bucket = TestCluster.Bucket, Key = "mp", DeclaredLength = one.Length }, upload.UploadId, 1, new MemoryStream(one), None);
        var (p2, _) = await cluster.Layer.UploadPartAsync(
            new PutObjectRequest { Bucket = TestCluster.Bucket, Key = "mp", DeclaredLength = two.Length }, upload.UploadId, 2, new MemoryStream(two), None);
        Assert.Equal((LayoutKind.Striped, LayoutKind.Replicated), (p1.Layout.Kind, p2.Layout.Kind));

        await cluster.Layer.CompleteMultipartUploadAsync(TestCluster.Bucket, "mp", upload.UploadId, [new(1, p1.ETag), new(2, p2.ETag)], None);
        var info = await cluster.Layer.GetObjectInfoAsync(TestCluster.Bucket, "mp", null, None);

        Assert.Equal([LayoutKind.Striped, LayoutKind.Replicated], info.Parts.Select(p => p.Layout.Kind));
        byte[] whole = [.. one, .. two];
        Assert.Equal(whole, await cluster.GetAsync(info));
        Assert.Equal(whole[9_000..11_000], await cluster.GetAsync(info, 9_000, 2_000)); // across the two parts
        // The replicated part's first copy lost: read from another.
        Assert.Equal(whole, await ReadWithCopyDownAsync(cluster, info));
    }

    private static async Task<byte[]> ReadWithCopyDownAsync(TestCluster<FailingShardStore> cluster, ObjectInfo info)
    {
        var fault = cluster.Faults[TestCluster.StoreIndex(info.Parts[1].Layout.Placement[0])];
        fault.Enabled = true;
        try
        {
            return await cluster.GetAsync(info);
        }
        finally
        {
            fault.Enabled = false;
        }
    }

    [Fact]
    public void AReplicatedObjectIsOneBlockOfItsOwnSizeUpToAStripe()
    {
        Assert.Equal(64, ObjectWriter.ReplicatedStripeSize(0, 1 << 20));
        Assert.Equal(64, ObjectWriter.ReplicatedStripeSize(1, 1 << 20));
        Assert.Equal(4096, ObjectWriter.ReplicatedStripeSize(4096, 1 << 20));
        Assert.Equal(4160, ObjectWriter.ReplicatedStripeSize(4097, 1 << 20));
        Assert.Equal(1 << 20, ObjectWriter.ReplicatedStripeSize(5 << 20, 1 << 20)); // larger than a stripe: stripes of copies
    }
}
