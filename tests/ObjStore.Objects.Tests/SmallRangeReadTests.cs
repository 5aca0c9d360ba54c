using ObjStore.Core;
using ObjStore.TestKit;
using ObjStore.TestKit.Faults;

namespace ObjStore.Objects.Tests;

/// <summary>
/// A small range reads only the data blocks that hold it, not the k blocks of its stripe, and widens to the whole
/// stripe (rebuilding from parity) only when such a block is missing or corrupt.
/// </summary>
public sealed class SmallRangeReadTests
{
    // 4 KiB stripes at 4+2: blocks of 1 KiB. Three stripes; the range below sits inside data block 2 of stripe 1.
    private static readonly byte[] Data = TestData.Bytes(3 * 4096, 11);
    private const long Offset = 4096 + (2 * 1024) + 100;
    private const int Length = 100;

    /// <summary>Counts the block reads each store answers (it fails none: the count is past any read).</summary>
    private static FailingShardStore Counting(IShardStore store) => FailingShardStore.Unavailable(store, ShardCalls.Read, afterCalls: int.MaxValue);

    [Fact]
    public async Task ARangeInsideOneBlockReadsThatBlockAlone()
    {
        await using var cluster = new TestCluster<FailingShardStore>(Counting);
        await cluster.CreateBucketAsync();
        var info = await cluster.PutAsync("object", Data);
        foreach (var store in cluster.Faults)
        {
            store.Enabled = true;
        }

        Assert.Equal(Data.AsSpan((int)Offset, Length).ToArray(), await cluster.GetAsync(info, Offset, Length));

        var reads = Enumerable.Range(0, 6).Select(shard => cluster.FaultOf(info, shard).CallCount).ToList();
        Assert.Equal([0, 0, 1, 0, 0, 0], reads);
    }

    [Fact]
    public async Task ARangeAcrossStripesReadsOnlyTheBlocksItTouchesAtEitherEnd()
    {
        await using var cluster = new TestCluster<FailingShardStore>(Counting);
        await cluster.CreateBucketAsync();
        var info = await cluster.PutAsync("object", Data);
        foreach (var store in cluster.Faults)
        {
            store.Enabled = true;
        }

        // From block 3 of stripe 0 to block 0 of stripe 2: stripe 1 whole (4 blocks), one block at each end.
        long offset = 3 * 1024 + 5, end = (2 * 4096) + 10;
        Assert.Equal(Data.AsSpan((int)offset, (int)(end - offset)).ToArray(), await cluster.GetAsync(info, offset, end - offset));
        var reads = Enumerable.Range(0, 6).Select(shard => cluster.FaultOf(info, shard).CallCount).ToList();
        Assert.Equal([2, 1, 1, 2, 0, 0], reads);
    }

    [Fact]
    public async Task AMissingBlockWidensTheReadToTheStripeAndIsRecorded()
    {
        await using var cluster = new TestCluster<FailingShardStore>(store => FailingShardStore.NotFound(store, ShardCalls.Reads));
        await cluster.CreateBucketAsync();
        var info = await cluster.PutAsync("object", Data);
        cluster.FaultOf(info, 2).Enabled = true;

        Assert.Equal(Data.AsSpan((int)Offset, Length).ToArray(), await cluster.GetAsync(info, Offset, Length));

        var degraded = Assert.Single(await cluster.Catalogue.Shards.DegradedAsync(10));
        Assert.Equal((info.Parts[0].Layout.DataId, 2), (degraded.DataId, degraded.Index));
    }

    [Fact]
    public async Task ACorruptBlockIsNeverServedFromTheNarrowRead()
    {
        await using var cluster = new TestCluster<CorruptingShardStore>(store => new CorruptingShardStore(store));
        await cluster.CreateBucketAsync();
        var info = await cluster.PutAsync("object", Data);
        cluster.FaultOf(info, 2).Enabled = true;

        Assert.Equal(Data.AsSpan((int)Offset, Length).ToArray(), await cluster.GetAsync(info, Offset, Length));
        Assert.Contains(await cluster.Catalogue.Shards.DegradedAsync(10), d => d.Index == 2);
    }
}
