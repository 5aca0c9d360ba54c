using ObjStore.TestKit;
using ObjStore.TestKit.Faults;

namespace ObjStore.Objects.Tests;

/// <summary>Freeing the shards of deleted objects when a store cannot delete: nothing is leaked, nothing spins.</summary>
public sealed class ShardGarbageTests
{
    [Fact]
    public async Task LayoutsAStoreCouldNotFreeStayQueuedUntilItCanAndACollectionIsOnePass()
    {
        await using var cluster = new TestCluster<FailingShardStore>(store => FailingShardStore.Unavailable(store, ShardCalls.Delete));
        await cluster.CreateBucketAsync();
        for (int i = 0; i < 120; i++)
        {
            await cluster.PutAsync($"k{i:D3}", TestData.Bytes(100, i));
        }
        cluster.Faults[0].Enabled = true; // s0 refuses every delete
        for (int i = 0; i < 120; i++)
        {
            Assert.True((await cluster.Layer.DeleteObjectAsync(TestCluster.Bucket, $"k{i:D3}", null, false, CancellationToken.None)).Found);
        }
        Assert.Equal(120, (await cluster.Catalogue.Shards.PendingDeletesAsync(1000)).Count);

        int before = cluster.Faults[0].CallCount;
        await cluster.Layer.Garbage.CollectPendingAsync(CancellationToken.None);
        Assert.Equal(120, cluster.Faults[0].CallCount - before); // each queued layout asked once, none again and again
        Assert.Equal(120, (await cluster.Catalogue.Shards.PendingDeletesAsync(1000)).Count);

        cluster.Faults[0].Enabled = false;
        await cluster.Layer.Garbage.CollectPendingAsync(CancellationToken.None);
        Assert.Empty(await cluster.Catalogue.Shards.PendingDeletesAsync(1000));
        Assert.Empty(await cluster.AllShardsAsync());
    }
}
