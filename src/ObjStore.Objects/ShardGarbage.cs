using Microsoft.Extensions.Logging;
using ObjStore.Core;
using ObjStore.Metadata;

namespace ObjStore.Objects;

/// <summary>
/// Frees the shards of data the catalogue no longer references: replaced and deleted objects, dropped parts. A layout
/// leaves the catalogue's pending deletes only once every one of its shards is gone, so a crash or a store that is
/// down leaves it for the next collection, never a leaked shard.
/// </summary>
public sealed partial class ShardGarbage(ShardCluster cluster, IShardCatalogue shards)
{
    public async Task FreeAsync(IEnumerable<ObjectLayout> layouts)
    {
        foreach (var layout in layouts)
        {
            await FreeAsync(layout);
        }
    }

    /// <summary>Deletes every shard of the layout; true (and the layout forgotten) when all are gone.</summary>
    public async Task<bool> FreeAsync(ObjectLayout layout)
    {
        bool all = true;
        await Task.WhenAll(layout.Placement.Select(async (storeId, index) =>
        {
            try
            {
                if (cluster.Stores.TryGetValue(storeId, out var store))
                {
                    await store.DeleteAsync(ShardId.For(layout.DataId, index), CancellationToken.None);
                }
            }
            catch (Exception e) when (ShardCluster.IsShardFailure(e))
            {
                all = false;
                LogShardDeleteFailed(cluster.Logger, layout.DataId, index, storeId, e);
            }
        }));
        if (all)
        {
            await shards.CompleteDeleteAsync(layout.DataId);
        }
        return all;
    }

    /// <summary>
    /// Frees what the catalogue has queued (left over by a crash, or by a store that was down), one pass in data-id
    /// order: each layout is tried once, and one that cannot be freed yet (a store down) stays queued for the next
    /// collection without holding up the ones after it.
    /// </summary>
    public async Task CollectPendingAsync(CancellationToken cancellationToken)
    {
        string? after = null;
        while (!cancellationToken.IsCancellationRequested)
        {
            var batch = await shards.PendingDeletesAsync(100, after);
            if (batch.Count == 0)
            {
                return;
            }
            foreach (var layout in batch)
            {
                await FreeAsync(layout);
            }
            after = batch[^1].DataId;
        }
    }

    /// <summary>One line, no stack trace: the delete stays queued and GC retries it (see <see cref="ShardCluster.ExpectedFailureLevel"/>).</summary>
    public static void LogShardDeleteFailed(ILogger logger, string dataId, int index, string storeId, Exception e)
    {
        var level = ShardCluster.ExpectedFailureLevel(e);
        if (logger.IsEnabled(level))
        {
            string reason = ShardCluster.Describe(e);
            LogShardDeleteFailed(logger, level, dataId, index, storeId, reason);
        }
    }

    [LoggerMessage(EventId = 1001, Message = "Could not delete shard {DataId}.{Index} on {StoreId} ({Reason}); left for GC")]
    private static partial void LogShardDeleteFailed(ILogger logger, LogLevel level, string dataId, int index, string storeId, string reason);
}
