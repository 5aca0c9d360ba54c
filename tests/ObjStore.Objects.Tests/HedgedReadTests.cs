using Microsoft.Extensions.Time.Testing;
using ObjStore.TestKit;
using ObjStore.TestKit.Faults;

namespace ObjStore.Objects.Tests;

/// <summary>
/// A stripe read still waiting after the hedge delay asks one more shard: a store that holds a data shard and stops
/// answering costs a GET one hedge delay, not a timeout. The stalled store's gate stays closed throughout, so without
/// hedging the GET could only hang (and the test fail at its guard).
/// </summary>
public sealed class HedgedReadTests
{
    private static readonly byte[] Data = TestData.Bytes(50_001, 4);

    /// <summary>Far longer than any hedge delay: only a GET that never completes reaches it.</summary>
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(60);

    [Theory]
    [InlineData(ShardCalls.Read, 0)]
    [InlineData(ShardCalls.Read, 3)]
    [InlineData(ShardCalls.Open, 1)]
    public async Task AGetCompletesWhileADataShardsStoreIsStalled(ShardCalls stalled, int shard)
    {
        await using var cluster = new TestCluster<StallingShardStore>(store => new StallingShardStore(store, stalled),
            configure: o => o.HedgeFloor = TimeSpan.FromMilliseconds(1));
        await cluster.CreateBucketAsync();
        var info = await cluster.PutAsync("object", Data);
        var stall = cluster.FaultOf(info, shard);
        stall.Enabled = true;

        byte[] read = await cluster.GetAsync(info).WaitAsync(Guard);

        Assert.Equal(Data, read);
        Assert.False(stall.IsReleased);
        Assert.True(stall.Stalls >= 1, "the stalled shard was asked");
        // Every read held at the gate was cancelled once the hedge had won: none is left waiting.
        Assert.Equal(stall.Stalls, stall.Cancellations);
        Assert.All(cluster.Faults.Where(f => f != stall), f => Assert.Equal(0, f.Stalls));
    }

    [Fact]
    public async Task AGetCompletesWhileADataShardsStoreIsSlowOnItsClock()
    {
        var slowClock = new FakeTimeProvider(); // never advanced: the slow store's reads would take for ever
        await using var cluster = new TestCluster<SlowShardStore>(store => new SlowShardStore(store, TimeSpan.FromHours(1), slowClock),
            configure: o => o.HedgeFloor = TimeSpan.FromMilliseconds(1));
        await cluster.CreateBucketAsync();
        var info = await cluster.PutAsync("object", Data);
        var slow = cluster.FaultOf(info, 2);
        slow.Enabled = true;

        Assert.Equal(Data, await cluster.GetAsync(info).WaitAsync(Guard));
        Assert.True(slow.Delays >= 1);
    }

    [Fact]
    public async Task AStallBeyondWhatParityCoversFailsInsteadOfHanging()
    {
        // Three stalled stores of six: a hedge can ask at most two more shards, so a stripe can never gather k = 4.
        // The read ends only when the caller gives up, and gives no bytes it does not have.
        await using var cluster = new TestCluster<StallingShardStore>(store => new StallingShardStore(store),
            configure: o => o.HedgeFloor = TimeSpan.FromMilliseconds(1));
        await cluster.CreateBucketAsync();
        var info = await cluster.PutAsync("object", Data);
        var stalled = new[] { 0, 1, 4 }.Select(i => cluster.FaultOf(info, i)).ToList();
        stalled.ForEach(s => s.Enabled = true);

        using var cancel = new CancellationTokenSource();
        using var destination = new MemoryStream();
        var get = cluster.Layer.ReadObjectAsync(info, 0, info.Size, destination, null, cancel.Token);
        await Task.WhenAll(stalled.Select(s => s.Stalled)).WaitAsync(Guard); // every stalled store was asked: the hedges ran
        Assert.False(get.IsCompleted);
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => get.WaitAsync(Guard));
        Assert.Equal(0, destination.Length);
        Assert.All(stalled, s => Assert.Equal(s.Stalls, s.Cancellations));
    }
}
