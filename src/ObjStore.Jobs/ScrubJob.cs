using ObjStore.Core.Jobs;
using ObjStore.Jobs.Shards;
using ObjStore.Metadata;
using ObjStore.Objects;

namespace ObjStore.Jobs;

/// <summary>
/// Scrub: "*" (every shard) or "store:ID" (the shards on one store, read over the network; the node holding it scrubs
/// its own disk instead when it runs jobs). Bad shards are recorded as degraded and a heal is queued.
/// </summary>
public sealed class ScrubJob(ShardCluster cluster, ICatalogue catalogue, MaintenanceOptions options) : IBackgroundJob
{
    private readonly ShardInspector _inspector = new(cluster);

    public string Kind => JobKinds.Scrub;

    public async Task<object> RunAsync(string target, IJobProgress progress, CancellationToken cancellationToken)
    {
        var budget = options.ScrubBudget(cluster.Clock);
        string? store = JobPlacement.StoreOf(target);
        int layouts = 0, shards = 0, bad = 0;
        var totals = await catalogue.Shards.MeasureDataAsync(store: store);
        progress.SetTotal(totals.Layouts, totals.Bytes);
        await foreach (var data in catalogue.Shards.EnumerateDataAsync(cancellationToken: cancellationToken))
        {
            var only = store is null ? null
                : Enumerable.Range(0, data.Layout.Placement.Count).Where(i => data.Layout.Placement[i] == store).ToList();
            if (only is { Count: 0 })
            {
                continue;
            }
            var problems = await _inspector.VerifyAsync(data, budget, cancellationToken, only);
            layouts++;
            shards += only?.Count ?? data.Layout.Placement.Count;
            bad += problems.Count;
            foreach (var reason in problems.GroupBy(p => p.Problem))
            {
                await catalogue.Shards.RecordDegradedAsync(data.Layout, [.. reason.Select(p => p.Index)], "scrub: " + reason.Key);
            }
            progress.Advance(1, data.Size);
        }
        if (bad > 0)
        {
            await catalogue.Jobs.EnsureQueuedAsync(JobKinds.Heal, JobKinds.Degraded, priority: 10);
        }
        return new { target, layouts, shards, bad };
    }
}

/// <summary>
/// What a storage node's scrub of its own disk found: each corrupt shard is recorded for healing, if the catalogue
/// still references it there (an unreferenced shard is GC's business), and a heal is queued.
/// </summary>
public static class ScrubFindings
{
    /// <summary>Returns how many shards were recorded.</summary>
    public static async Task<int> RecordAsync(ICatalogue catalogue, string storeId, IReadOnlyList<CorruptShard> corrupt)
    {
        int recorded = 0;
        foreach (var shard in corrupt)
        {
            if (!Core.ShardId.IsValid(shard.ShardId))
            {
                continue;
            }
            var (dataId, index) = Core.ShardId.Parse(shard.ShardId);
            var data = await catalogue.Shards.FindDataAsync(dataId);
            if (data is not null && index < data.Layout.Placement.Count && data.Layout.Placement[index] == storeId)
            {
                await catalogue.Shards.RecordDegradedAsync(data.Layout, [index], $"scrub on {storeId}: {shard.Problem}");
                recorded++;
            }
        }
        if (recorded > 0)
        {
            await catalogue.Jobs.EnsureQueuedAsync(JobKinds.Heal, JobKinds.Degraded, priority: 10);
        }
        return recorded;
    }
}
