using ObjStore.Core;
using ObjStore.TestKit;
using ObjStore.TestKit.Faults;

namespace ObjStore.Objects.Tests;

/// <summary>
/// A PUT commits only once its write quorum (k+1 = 5 of 6 by default) is durable: below it nothing is visible and no
/// shard is left anywhere; at or above it the object is whole and the shards that missed are recorded for healing.
/// </summary>
public sealed class WriteQuorumTests
{
    private static readonly CancellationToken None = CancellationToken.None;
    private static readonly byte[] Data = TestData.Bytes(50_001, 1); // 13 stripes of 4 KiB, the last one short

    private static async Task AssertNothingAtAsync<TFault>(TestCluster<TFault> cluster, string key) where TFault : ShardStoreDecorator
    {
        var missing = await Assert.ThrowsAnyAsync<ObjectStoreException>(() => cluster.Layer.GetObjectInfoAsync(TestCluster.Bucket, key, null, None));
        Assert.Equal(ErrorKind.NoSuchKey, missing.Kind);
        Assert.Empty((await cluster.Layer.ListObjectsAsync(new ListRequest { Bucket = TestCluster.Bucket }, None)).Objects);
    }

    [Theory]
    [InlineData(ShardCalls.Create)]
    [InlineData(ShardCalls.Write)]
    [InlineData(ShardCalls.Commit)]
    public async Task APutMissingItsQuorumFailsAndLeavesNothing(ShardCalls failing)
    {
        await using var cluster = new TestCluster<FailingShardStore>(s => FailingShardStore.Unavailable(s, failing));
        await cluster.CreateBucketAsync();
        foreach (int down in new[] { 0, 2, 5 })
        {
            cluster.Faults[down].Enabled = true;
        }

        var lost = await Assert.ThrowsAsync<WriteQuorumException>(() => cluster.PutAsync("key", Data));

        Assert.Equal((3, 5), (lost.Have, lost.Need));
        Assert.Equal(ErrorKind.WriteQuorumLost, lost.Kind);
        Assert.All(new[] { 0, 2, 5 }, down => Assert.True(cluster.Faults[down].Failures > 0));
        await AssertNothingAtAsync(cluster, "key");
        Assert.Empty(await cluster.AllShardsAsync()); // the healthy stores' committed shards were deleted again
        Assert.Empty(cluster.TempFiles());
        Assert.Equal(0, await cluster.Catalogue.Shards.CountDegradedAsync());
    }

    [Fact]
    public async Task APutMissingItsQuorumLeavesTheObjectItWouldHaveReplaced()
    {
        await using var cluster = new TestCluster<FailingShardStore>(s => FailingShardStore.Unavailable(s, ShardCalls.Commit));
        await cluster.CreateBucketAsync();
        var first = await cluster.PutAsync("key", Data);
        var before = (await cluster.AllShardsAsync()).Select(e => e.ShardId).Order(StringComparer.Ordinal).ToList();
        foreach (var fault in cluster.Faults.Take(3))
        {
            fault.Enabled = true;
        }

        await Assert.ThrowsAsync<WriteQuorumException>(() => cluster.PutAsync("key", TestData.Bytes(9_999, 2)));

        var current = await cluster.Layer.GetObjectInfoAsync(TestCluster.Bucket, "key", null, None);
        Assert.Equal(first.ETag, current.ETag);
        Assert.Equal(Data, await cluster.GetAsync(current));
        Assert.Equal(before, (await cluster.AllShardsAsync()).Select(e => e.ShardId).Order(StringComparer.Ordinal));
    }

    /// <summary>
    /// A quorum that stores with room would have met is 507 (retrying soon will not help); one that stores which are
    /// down would have been needed for as well is an outage that passes (503).
    /// </summary>
    [Theory]
    [InlineData(3, 0, typeof(InsufficientStorageException))]
    [InlineData(2, 1, typeof(InsufficientStorageException))] // 3 written + 2 full = 5: the full ones alone cost the quorum
    [InlineData(1, 2, typeof(WriteQuorumException))]         // 3 written + 1 full = 4: stores being down cost it too
    public async Task AQuorumMissedForFullStoresIsInsufficientStorageAndForDownStoresAQuorumLoss(int full, int down, Type expected)
    {
        await using var cluster = new TestCluster<FailingShardStore>(
            s => TestCluster.StoreIndex(s.Id) < full ? FailingShardStore.Full(s) : FailingShardStore.Unavailable(s, ShardCalls.Writes));
        await cluster.CreateBucketAsync();
        foreach (var fault in cluster.Faults.Take(full + down))
        {
            fault.Enabled = true;
        }

        var error = await Assert.ThrowsAnyAsync<ObjectStoreException>(() => cluster.PutAsync("key", Data));

        Assert.IsType(expected, error);
        await AssertNothingAtAsync(cluster, "key");
        Assert.Empty(await cluster.AllShardsAsync());
    }

    [Theory]
    [InlineData(ShardCalls.Create, 1, null)]
    [InlineData(ShardCalls.Write, 1, null)]
    [InlineData(ShardCalls.Commit, 1, null)]
    [InlineData(ShardCalls.Commit, 2, 4)]
    [InlineData(ShardCalls.Write, 2, 4)]
    public async Task APutMeetingItsQuorumWithoutEveryShardSucceedsAndRecordsTheMissingOnes(ShardCalls failing, int down, int? writeQuorum)
    {
        await using var cluster = new TestCluster<FailingShardStore>(s => FailingShardStore.Unavailable(s, failing), configure: o => o.WriteQuorum = writeQuorum);
        await cluster.CreateBucketAsync();
        var failed = cluster.Faults.Skip(1).Take(down).ToList();
        foreach (var fault in failed)
        {
            fault.Enabled = true;
        }

        var info = await cluster.PutAsync("key", Data);

        var layout = info.Parts[0].Layout;
        var missing = failed.Select(f => (layout.DataId, Index: layout.Placement.ToList().IndexOf(f.Id), StoreId: f.Id)).OrderBy(m => m.Index).ToList();
        var degraded = await cluster.Catalogue.Shards.DegradedAsync(100);
        Assert.Equal(missing, degraded.Select(d => (d.DataId, d.Index, d.StoreId)).OrderBy(d => d.Index));
        Assert.Equal(StoreCountMinus(down), (await cluster.AllShardsAsync()).Count);
        Assert.Empty(cluster.TempFiles());
        Assert.Equal(Data, await cluster.GetAsync(info));
        Assert.Equal("key", Assert.Single((await cluster.Layer.ListObjectsAsync(new ListRequest { Bucket = TestCluster.Bucket }, None)).Objects).Key);
    }

    private static int StoreCountMinus(int down) => TestCluster.StoreCount - down;
    /// <summary>
    /// The six stores share one filesystem: a PUT commits its six shards and then syncs that filesystem once, not
    /// once per shard.
    /// </summary>
    [Fact]
    public async Task ThePutOfSixShardsOnOneFilesystemSyncsItOnce()
    {
        var syncs = new SyncCounter(fail: false);
        await using var cluster = new TestCluster<SyncCountingStore>(s => new SyncCountingStore(s, syncs));
        await cluster.CreateBucketAsync();

        var info = await cluster.PutAsync("key", Data);

        Assert.Equal((6, 1), (syncs.Commits, syncs.Syncs));
        Assert.Equal(Data, await cluster.GetAsync(info));
        Assert.Equal(6, (await cluster.AllShardsAsync()).Count);
    }

    /// <summary>A sync that fails leaves every shard of its filesystem undurable: here all six, below quorum.</summary>
    [Fact]
    public async Task AFailedSyncCountsNoneOfItsShards()
    {
        var syncs = new SyncCounter(fail: true);
        await using var cluster = new TestCluster<SyncCountingStore>(s => new SyncCountingStore(s, syncs));
        await cluster.CreateBucketAsync();

        var lost = await Assert.ThrowsAsync<WriteQuorumException>(() => cluster.PutAsync("key", Data));

        Assert.Equal((0, 5), (lost.Have, lost.Need));
        Assert.Equal(1, syncs.Syncs);
        await AssertNothingAtAsync(cluster, "key");
        Assert.Empty(await cluster.AllShardsAsync());
    }

    /// <summary>The deferred commits of one test's stores and the syncs that follow them, each shared sync counted once.</summary>
    private sealed class SyncCounter(bool fail)
    {
        private readonly Dictionary<IShardSync, CountingSync> _wrapped = new(ReferenceEqualityComparer.Instance);

        public int Commits { get; private set; }

        public int Syncs => _wrapped.Values.Sum(sync => sync.Count);

        public CountingSync Wrap(IShardSync sync)
        {
            lock (_wrapped)
            {
                Commits++;
                if (!_wrapped.TryGetValue(sync, out var counting))
                {
                    _wrapped[sync] = counting = new CountingSync(sync, fail);
                }
                return counting;
            }
        }
    }

    private sealed class CountingSync(IShardSync inner, bool fail) : IShardSync
    {
        private int _count;

        public int Count => Volatile.Read(ref _count);

        public Task SyncAsync()
        {
            Interlocked.Increment(ref _count);
            return fail ? Task.FromException(new IOException("syncfs failed: errno 5")) : inner.SyncAsync();
        }
    }

    private sealed class SyncCountingStore(IShardStore inner, SyncCounter counter) : ShardStoreDecorator(inner, ShardCalls.Commit)
    {
        protected override IShardSync WrapSync(IShardSync sync) => counter.Wrap(sync);
    }
}
