using ObjStore.Core;
using ObjStore.TestKit;
using ObjStore.TestKit.Faults;

namespace ObjStore.Objects.Tests;

/// <summary>
/// A GET rebuilds what up to m shards fail to give (a store down, a shard gone, wrong bytes) and, when more than m
/// fail, fails with ReadQuorumException: never wrong bytes, at most a correct beginning before the failure.
/// </summary>
public sealed class ReadReconstructionTests
{
    private static readonly byte[] Data = TestData.Bytes(50_001, 3); // 13 stripes of 4 KiB, the last one short

    private static async Task<(TestCluster<ShardStoreDecorator> Cluster, ObjectInfo Info)> WriteAsync(ReadFault fault)
    {
        var cluster = new TestCluster<ShardStoreDecorator>(store => ReadFaults.Make(fault, store));
        await cluster.CreateBucketAsync();
        return (cluster, await cluster.PutAsync("object", Data));
    }

    public static TheoryData<ReadFault, int[]> UpToM()
    {
        var data = new TheoryData<ReadFault, int[]>();
        foreach (var fault in Enum.GetValues<ReadFault>())
        {
            foreach (int[] shards in new[] { Array.Empty<int>(), [0], [3], [5], [0, 1], [1, 3], [0, 4], [4, 5] })
            {
                data.Add(fault, shards);
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(UpToM))]
    public async Task ReadsAreExactWithUpToMShardsFailing(ReadFault fault, int[] failing)
    {
        var (cluster, info) = await WriteAsync(fault);
        await using var _ = cluster;
        foreach (int shard in failing)
        {
            cluster.FaultOf(info, shard).Enabled = true;
        }

        Assert.Equal(Data, await cluster.GetAsync(info));
        Assert.Equal(Data[12_345..40_000], await cluster.GetAsync(info, 12_345, 40_000 - 12_345));
        Assert.Equal(Data[^1..], await cluster.GetAsync(info, Data.Length - 1, 1));

        // A read asks the k data shards and a parity shard only in place of one that failed: with only parity
        // shards failing, they are never asked.
        bool parityAsked = failing.Any(i => i < 4);
        Assert.All(failing.Where(i => i >= 4), i => Assert.Equal(parityAsked, Asked(cluster.FaultOf(info, i))));
        // Missing and corrupt shards a read met are recorded for healing; a store that is down is not a shard's fault.
        var degraded = (await cluster.Catalogue.Shards.DegradedAsync(100)).Select(d => d.Index).Order();
        Assert.Equal(fault == ReadFault.Unavailable || !parityAsked ? [] : failing.Order(), degraded);
    }

    private static bool Asked(ShardStoreDecorator fault) => fault switch
    {
        FailingShardStore failing => failing.Failures > 0,
        CorruptingShardStore corrupting => corrupting.Corrupted > 0,
        _ => throw new ArgumentOutOfRangeException(nameof(fault)),
    };

    public static TheoryData<ReadFault, int[]> MoreThanM()
    {
        var data = new TheoryData<ReadFault, int[]>();
        foreach (var fault in Enum.GetValues<ReadFault>())
        {
            foreach (int[] shards in new[] { new[] { 0, 1, 2 }, [0, 4, 5], [3, 4, 5], [0, 1, 2, 3, 4, 5] })
            {
                data.Add(fault, shards);
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(MoreThanM))]
    public async Task ReadsFailWithoutWrongBytesWithMoreThanMShardsFailing(ReadFault fault, int[] failing)
    {
        var (cluster, info) = await WriteAsync(fault);
        await using var _ = cluster;
        foreach (int shard in failing)
        {
            cluster.FaultOf(info, shard).Enabled = true;
        }

        using var destination = new MemoryStream();
        var lost = await Assert.ThrowsAsync<ReadQuorumException>(
            () => cluster.Layer.ReadObjectAsync(info, 0, info.Size, destination, null, CancellationToken.None));

        Assert.Equal(4, lost.Need);
        Assert.InRange(lost.Have, 0, 3);
        Assert.Equal(ErrorKind.ReadQuorumLost, lost.Kind);
        Assert.Equal(0, destination.Length); // the first stripe already lacks k good blocks
    }

    [Fact]
    public async Task StoresFailingPartWayThroughARead()
    {
        await using var cluster = new TestCluster<FailingShardStore>(store => FailingShardStore.Unavailable(store, ShardCalls.Read, afterCalls: 6));
        await cluster.CreateBucketAsync();
        var info = await cluster.PutAsync("object", Data);
        // Three data shards fail from the seventh stripe on: parity replaces two of them, one too few.
        foreach (int shard in new[] { 0, 1, 2 })
        {
            cluster.FaultOf(info, shard).Enabled = true;
        }

        using var destination = new MemoryStream();
        await Assert.ThrowsAsync<ReadQuorumException>(() => cluster.Layer.ReadObjectAsync(info, 0, info.Size, destination, null, CancellationToken.None));

        // Six stripes were read whole; what reached the client before the failure is exactly the object's start.
        byte[] written = destination.ToArray();
        Assert.InRange(written.Length, 0, 6 * 4096);
        Assert.Equal(Data[..written.Length], written);
        Assert.Equal(6, cluster.FaultOf(info, 0).CallCount - cluster.FaultOf(info, 0).Failures);
    }

    [Fact]
    public async Task AShardOnAStoreNoLongerConfiguredIsRebuiltNotAFailure()
    {
        // A catalogue older than a node's removal (restored from a backup) names a store this gateway does not have.
        var (cluster, info) = await WriteAsync(ReadFault.Unavailable);
        await using (cluster)
        {
            Assert.True(await cluster.Catalogue.Shards.MoveShardAsync(info.Parts[0].Layout.DataId, 0, "gone"));
            var moved = await cluster.Layer.GetObjectInfoAsync(TestCluster.Bucket, "object", null, CancellationToken.None);
            Assert.Equal("gone", moved.Parts[0].Layout.Placement[0]);

            Assert.Equal(Data, await cluster.GetAsync(moved));
            Assert.Equal(Data.AsSpan(10, 20).ToArray(), await cluster.GetAsync(moved, 10, 20)); // the narrow read too
        }
    }
}
