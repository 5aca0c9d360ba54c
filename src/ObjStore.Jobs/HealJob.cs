using Microsoft.Extensions.Logging;
using ObjStore.Core;
using ObjStore.Core.Jobs;
using ObjStore.Jobs.Shards;
using ObjStore.Metadata;
using ObjStore.Objects;

namespace ObjStore.Jobs;

/// <summary>
/// Heal: "degraded" (what reads, writes and scrubs recorded), "store:ID" (every layout with a shard on that store:
/// after a node came back empty), "*" (everything) or "bucket[/prefix]". Each layout's shards are read whole; the bad
/// ones are rebuilt from k good ones in their place. A layout that cannot be rebuilt now is logged and skipped.
/// </summary>
public sealed partial class HealJob(ShardCluster cluster, ICatalogue catalogue, MaintenanceOptions options, ForegroundActivity requests, ILogger<HealJob> logger) : IBackgroundJob
{
    private readonly ShardInspector _inspector = new(cluster);
    private readonly ShardRewriter _rewriter = new(cluster, catalogue.Shards);

    public string Kind => JobKinds.Heal;

    public async Task<object> RunAsync(string target, IJobProgress progress, CancellationToken cancellationToken)
    {
        var budget = options.HealBudget(cluster.Clock, requests);
        int checkedLayouts = 0, healed = 0;
        string? store = JobPlacement.StoreOf(target);
        // Layouts are healed several at once: one layout's rewrite is a single stream (read k, rebuild, write), so
        // one at a time leaves cores and disks idle between its steps.
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, options.HealParallelism), CancellationToken = cancellationToken };
        await Parallel.ForEachAsync(LayoutsAsync(target, progress, cancellationToken), parallel, async (data, cancel) =>
        {
            Interlocked.Increment(ref checkedLayouts);
            // A store that came back empty: only its shards are in question (the others' health is scrub's), so
            // only they are checked, not every shard of every layout read whole first.
            var only = store is null ? null : Enumerable.Range(0, data.Layout.Placement.Count).Where(i => data.Layout.Placement[i] == store).ToList();
            if (await HealOneAsync(data, budget, only, cancel))
            {
                Interlocked.Increment(ref healed);
            }
            await catalogue.Shards.ClearDegradedAsync(data.Layout.DataId);
            progress.Advance(1, data.Size);
        });
        return new { target, checkedLayouts, healed };
    }

    private async IAsyncEnumerable<DataRef> LayoutsAsync(string target, IJobProgress progress,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (target == JobKinds.Degraded)
        {
            // Every id taken is cleared once visited (or the job fails), and the ones still being healed are not
            // taken twice: the loop ends when no new ids appear.
            var taken = new HashSet<string>(StringComparer.Ordinal);
            while (true)
            {
                var rows = await catalogue.Shards.DegradedAsync(1000);
                var ids = rows.Select(r => r.DataId).Where(taken.Add).ToList();
                if (ids.Count == 0)
                {
                    yield break;
                }
                progress.SetTotal(taken.Count, 0);
                foreach (var dataId in ids)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    if (await catalogue.Shards.FindDataAsync(dataId) is { } data)
                    {
                        yield return data;
                    }
                    else
                    {
                        await catalogue.Shards.ClearDegradedAsync(dataId); // deleted since: nothing to heal
                        progress.Advance(1, 0);
                    }
                }
            }
        }
        string? store = JobPlacement.StoreOf(target);
        var (bucket, prefix) = store is null ? JobScope.Parse(target) : (null, "");
        var totals = await catalogue.Shards.MeasureDataAsync(bucket, prefix, store);
        progress.SetTotal(totals.Layouts, totals.Bytes);
        await foreach (var data in catalogue.Shards.EnumerateDataAsync(bucket, prefix, cancellationToken))
        {
            if (store is null || data.Layout.Placement.Contains(store))
            {
                yield return data;
            }
        }
    }

    private async Task<bool> HealOneAsync(DataRef data, IoBudget budget, IReadOnlyCollection<int>? only, CancellationToken cancellationToken)
    {
        var problems = await _inspector.VerifyAsync(data, budget, cancellationToken, only);
        if (problems.Count == 0)
        {
            return false;
        }
        try
        {
            await _rewriter.HealAsync(data, [.. problems.Select(p => p.Index)], budget, cancellationToken);
        }
        catch (ReadQuorumException e)
        {
            // Fewer than k good shards: this object cannot be rebuilt now. The rest of the job goes on; scrub finds
            // it again, and a node that comes back may bring enough shards for a later heal.
            LogUnhealable(logger, data.Layout.DataId, data.Bucket, data.Key, e.Message);
            return false;
        }
        LogHealed(logger, data.Layout.DataId, data.Bucket, data.Key, string.Join(", ", problems.Select(p => $"{p.Index}@{p.StoreId}: {p.Problem}")));
        return true;
    }

    [LoggerMessage(EventId = 6006, Level = LogLevel.Error, Message = "Cannot heal {DataId} ({Bucket}/{Key}): {Reason}")]
    private static partial void LogUnhealable(ILogger logger, string dataId, string bucket, string key, string reason);

    [LoggerMessage(EventId = 6004, Level = LogLevel.Warning, Message = "Healed {DataId} ({Bucket}/{Key}): {Problems}")]
    private static partial void LogHealed(ILogger logger, string dataId, string bucket, string key, string problems);
}

/// <summary>A job's scope target: "*" is everything; otherwise "bucket" or "bucket/prefix".</summary>
public static class JobScope
{
    public static (string? Bucket, string Prefix) Parse(string target)
    {
        if (target is "*" or "")
        {
            return (null, "");
        }
        int slash = target.IndexOf('/');
        return slash < 0 ? (target, "") : (target[..slash], target[(slash + 1)..]);
    }
}
