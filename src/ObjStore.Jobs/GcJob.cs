using ObjStore.Core;
using ObjStore.Core.Jobs;
using ObjStore.Metadata;
using ObjStore.Objects;

namespace ObjStore.Jobs;

/// <summary>
/// GC: frees the shards the catalogue has queued for deletion, aborts abandoned uploads, then deletes orphans: shards
/// no catalogue entry names and older than the grace period (so writes in flight are never touched).
/// </summary>
public sealed class GcJob(ShardCluster cluster, ICatalogue catalogue, ErasureObjectLayer objects, UploadExpiry uploads, MaintenanceOptions options) : IBackgroundJob
{
    public string Kind => JobKinds.Gc;

    public async Task<object> RunAsync(string target, IJobProgress progress, CancellationToken cancellationToken)
    {
        await objects.Garbage.CollectPendingAsync(cancellationToken);
        int expiredUploads = await uploads.ExpireAsync(cancellationToken);
        int orphans = await CollectOrphansAsync(progress, cancellationToken);
        return new { expiredUploads, orphansDeleted = orphans };
    }

    private async Task<int> CollectOrphansAsync(IJobProgress progress, CancellationToken cancellationToken)
    {
        if (!await catalogue.Buckets.AnyAsync())
        {
            // An empty catalogue over stores that hold shards is a lost catalogue, not garbage: rebuild it first.
            return 0;
        }
        int deleted = 0;
        var cutoff = cluster.Clock.GetUtcNow() - options.GcGrace;
        var verdicts = new Dictionary<string, bool>(StringComparer.Ordinal);
        foreach (var store in cluster.Stores.Values)
        {
            await foreach (var entry in store.ListAsync(cancellationToken))
            {
                progress.Advance(1, entry.Length);
                if (entry.Modified > cutoff)
                {
                    continue; // maybe a write in flight: its catalogue row may be about to commit
                }
                string dataId = ShardId.Parse(entry.ShardId).DataId;
                if (!verdicts.TryGetValue(dataId, out bool referenced))
                {
                    verdicts[dataId] = referenced = await catalogue.Shards.IsDataReferencedAsync(dataId);
                }
                if (!referenced)
                {
                    await store.DeleteAsync(entry.ShardId, cancellationToken);
                    deleted++;
                }
            }
        }
        return deleted;
    }
}
