using Microsoft.Extensions.Logging;
using ObjStore.Core;
using ObjStore.Core.Jobs;
using ObjStore.Jobs.Shards;
using ObjStore.Metadata;
using ObjStore.Objects;

namespace ObjStore.Jobs;

/// <summary>
/// Rebalance: moves shards so every layout sits where placement puts it today, so that after stores are added existing
/// objects spread onto them as new ones already do. A layout whose placement over the open stores differs gets its
/// misplaced shards re-encoded onto the stores it lacks; one that cannot be moved now (a store down) is skipped and
/// counted.
/// </summary>
public sealed partial class RebalanceJob(ShardCluster cluster, ICatalogue catalogue, MaintenanceOptions options, ForegroundActivity requests, ILogger<RebalanceJob> logger) : IBackgroundJob
{
    private readonly ShardRewriter _rewriter = new(cluster, catalogue.Shards);

    public string Kind => JobKinds.Rebalance;

    public async Task<object> RunAsync(string target, IJobProgress progress, CancellationToken cancellationToken)
    {
        var budget = options.HealBudget(cluster.Clock, requests);
        int moved = 0, skipped = 0;
        var totals = await catalogue.Shards.MeasureDataAsync();
        progress.SetTotal(totals.Layouts, totals.Bytes);
        await foreach (var data in catalogue.Shards.EnumerateDataAsync(cancellationToken: cancellationToken))
        {
            var placement = data.Layout.Placement;
            var ideal = Placement.Choose(cluster.OpenTopology(placement.Count), placement.Count, data.Bucket, data.Key, data.Layout.DataId);
            var lacking = ideal.Where(store => !placement.Contains(store)).ToList();
            var misplaced = Enumerable.Range(0, placement.Count).Where(i => !ideal.Contains(placement[i])).ToList();
            if (misplaced.Count > 0)
            {
                try
                {
                    await _rewriter.MoveAsync(data, misplaced.Zip(lacking).ToDictionary(m => m.First, m => m.Second), budget, cancellationToken);
                    moved += misplaced.Count;
                }
                catch (Exception e) when (ShardCluster.IsShardFailure(e) || e is ReadQuorumException)
                {
                    LogRebalanceSkipped(logger, data.Layout.DataId, data.Bucket, data.Key, e.Message);
                    skipped++;
                }
            }
            progress.Advance(1, data.Size);
        }
        return new { shardsMoved = moved, layoutsSkipped = skipped };
    }

    [LoggerMessage(EventId = 1004, Level = LogLevel.Warning, Message = "Rebalance skipped {DataId} ({Bucket}/{Key}) for now: {Reason}")]
    private static partial void LogRebalanceSkipped(ILogger logger, string dataId, string bucket, string key, string reason);
}
