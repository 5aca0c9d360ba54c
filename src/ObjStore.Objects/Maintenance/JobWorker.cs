using System.Text.Json;
using Microsoft.Extensions.Logging;
using ObjStore.Core;
using ObjStore.Metadata;

namespace ObjStore.Objects.Maintenance;

/// <summary>Settings of background maintenance: rates, lease, cadence.</summary>
public sealed class MaintenanceOptions
{
    /// <summary>Scrub reads at most this many bytes a second (0: unlimited).</summary>
    public long ScrubBytesPerSecond { get; set; } = 64L << 20;

    /// <summary>Scrub reads at most this many blocks a second (0: unlimited): small objects' blocks are tiny.</summary>
    public long ScrubOpsPerSecond { get; set; } = 1000;

    /// <summary>Heal writes at most this many bytes a second (0: unlimited).</summary>
    public long HealBytesPerSecond { get; set; } = 128L << 20;

    /// <summary>Heal (and drain) read and write at most this many blocks a second (0: unlimited).</summary>
    public long HealOpsPerSecond { get; set; } = 2000;

    /// <summary>A claimed job's lease; renewed while it runs, so a dead worker's job is free again after this long.</summary>
    public TimeSpan JobLease { get; set; } = TimeSpan.FromSeconds(30);

    public TimeSpan JobPollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Shards younger than this are never collected, however unreferenced (a write may be in flight).</summary>
    public TimeSpan GcGrace { get; set; } = TimeSpan.FromHours(1);

    public TimeSpan GcInterval { get; set; } = TimeSpan.FromHours(6);

    /// <summary>One full scrub pass is started this often.</summary>
    public TimeSpan ScrubPeriod { get; set; } = TimeSpan.FromDays(7);

    /// <summary>How often the catalogue is backed up into the store itself (system bucket _objstore).</summary>
    public TimeSpan BackupInterval { get; set; } = TimeSpan.FromHours(6);

    /// <summary>Catalogue backups kept; older ones are deleted.</summary>
    public int BackupsKept { get; set; } = 8;

    /// <summary>Finished jobs stay listed (and their results readable) this long, then are deleted.</summary>
    public TimeSpan JobHistory { get; set; } = TimeSpan.FromDays(30);

    /// <summary>A worker that has not asked for work for this long is taken for dead: its queued jobs go to others.</summary>
    public TimeSpan WorkerTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>How often known degraded shards are looked for and a heal queued.</summary>
    public TimeSpan AutoHealInterval { get; set; } = TimeSpan.FromSeconds(30);
}

public static class JobKinds
{
    public const string Heal = "heal";
    public const string Scrub = "scrub";
    public const string Gc = "gc";
    public const string RebuildMetadata = "rebuild-metadata";
    public const string Backup = "backup";
    public const string Drain = "drain";
    public const string Rebalance = "rebalance";

    /// <summary>The heal target that means "every shard recorded as degraded".</summary>
    public const string Degraded = "degraded";

    public static readonly string[] All = [Heal, Scrub, Gc, RebuildMetadata, Backup, Drain, Rebalance];
}

/// <summary>
/// The gateway's (or dev process's) job worker: it can run every kind of job on every store. It asks the catalogue for
/// the jobs the scheduler gave it (each ask is also its heartbeat and load report), runs them under a lease, and writes
/// progress back with every renewal; a worker that loses its lease (it stalled, and the job went to another worker)
/// stops. Failures go back to the queue with exponential backoff until the job is out of attempts.
/// </summary>
public sealed partial class JobWorker(ErasureObjectLayer layer, Catalogue catalogue, MaintenanceOptions options, ILogger logger, string workerId)
{
    private readonly IoMeter _io = new();

    public async Task RunAsync(CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                var job = await catalogue.ClaimJobAsync(new WorkerInfo(workerId, JobKinds.All, IoBytesPerSecond: _io.BytesPerSecond),
                    options.JobLease, options.WorkerTimeout);
                if (job is null)
                {
                    await Task.Delay(options.JobPollInterval, stopping);
                    continue;
                }
                await ExecuteAsync(job, stopping);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                LogWorkerError(logger, e);
                await Task.Delay(options.JobPollInterval, CancellationToken.None);
            }
        }
    }

    private async Task ExecuteAsync(JobInfo job, CancellationToken stopping)
    {
        using var lost = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        using var progress = new LeasedProgress(catalogue, job.Id, workerId, options.JobLease, _io, lost);
        var renewing = progress.KeepAliveAsync();
        LogJobStarted(logger, job.Id, job.Kind, job.Target, job.Attempts);
        try
        {
            object result = job.Kind switch
            {
                JobKinds.Heal => await HealAsync(job.Target, progress, lost.Token),
                JobKinds.Scrub => await ScrubAsync(job.Target, progress, lost.Token),
                JobKinds.Gc => await CollectAsync(progress, lost.Token),
                JobKinds.RebuildMetadata => await RebuildAsync(progress, lost.Token),
                JobKinds.Backup => new { key = await layer.BackupCatalogueAsync(options.BackupsKept, lost.Token) },
                JobKinds.Drain => new { store = job.Target, shardsMoved = await layer.DrainAsync(job.Target, new IoBudget(options.HealBytesPerSecond, options.HealOpsPerSecond), progress, lost.Token) },
                JobKinds.Rebalance => await RebalanceAsync(progress, lost.Token),
                _ => throw new InvalidOperationException($"unknown job kind '{job.Kind}'"),
            };
            await progress.StopAsync(renewing);
            await catalogue.FinishJobAsync(job.Id, workerId, succeeded: true, null, JsonSerializer.Serialize(result), TimeSpan.Zero);
            LogJobFinished(logger, job.Id, job.Kind, "succeeded");
        }
        catch (Exception e) when (!stopping.IsCancellationRequested)
        {
            await progress.StopAsync(renewing);
            await catalogue.FinishJobAsync(job.Id, workerId, succeeded: false, e.Message, null, JobPlacement.Backoff(job.Attempts));
            LogJobFailed(logger, job.Id, job.Kind, e.Message);
        }
    }

    /// <summary>
    /// Heal: "degraded" (what reads, writes and scrubs recorded), "store:ID" (every layout with a shard on that store:
    /// after a node came back empty), "*" (everything) or "bucket[/prefix]".
    /// </summary>
    private async Task<object> HealAsync(string target, LeasedProgress progress, CancellationToken ct)
    {
        var budget = new IoBudget(options.HealBytesPerSecond, options.HealOpsPerSecond);
        int checkedLayouts = 0, healed = 0;
        if (target == JobKinds.Degraded)
        {
            while (true)
            {
                // Every id taken is cleared below (or the job fails): the loop ends when no new rows appear.
                var rows = await catalogue.DegradedShardsAsync(1000);
                if (rows.Count == 0)
                {
                    break;
                }
                var ids = rows.Select(r => r.DataId).Distinct(StringComparer.Ordinal).ToList();
                progress.SetTotal(progress.ItemsDone + ids.Count, 0);
                foreach (var dataId in ids)
                {
                    var data = await catalogue.FindDataAsync(dataId);
                    if (data is not null)
                    {
                        checkedLayouts++;
                        healed += await HealOneAsync(data, budget, ct) ? 1 : 0;
                    }
                    await catalogue.ClearDegradedAsync(dataId);
                    progress.Advance(1, data?.Size ?? 0);
                }
            }
            return new { target, checkedLayouts, healed };
        }
        string? store = JobPlacement.StoreOf(target);
        var (bucket, prefix) = store is null ? ParseScope(target) : (null, "");
        await foreach (var data in catalogue.EnumerateDataAsync(bucket, prefix, ct))
        {
            if (store is not null && !data.Layout.Placement.Contains(store))
            {
                continue;
            }
            checkedLayouts++;
            healed += await HealOneAsync(data, budget, ct) ? 1 : 0;
            await catalogue.ClearDegradedAsync(data.Layout.DataId);
            progress.Advance(1, data.Size);
        }
        return new { target, checkedLayouts, healed };
    }

    private async Task<bool> HealOneAsync(DataRef data, IoBudget budget, CancellationToken ct)
    {
        var problems = await layer.VerifyAsync(data, IoBudget.Unlimited, ct);
        if (problems.Count == 0)
        {
            return false;
        }
        try
        {
            await layer.HealAsync(data, [.. problems.Select(p => p.Index)], budget, ct);
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

    /// <summary>Scrub: "*" (every shard) or "store:ID" (the shards on one store, read over the network).</summary>
    private async Task<object> ScrubAsync(string target, LeasedProgress progress, CancellationToken ct)
    {
        var budget = new IoBudget(options.ScrubBytesPerSecond, options.ScrubOpsPerSecond);
        string? store = JobPlacement.StoreOf(target);
        int layouts = 0, shards = 0, bad = 0;
        await foreach (var data in catalogue.EnumerateDataAsync(cancellationToken: ct))
        {
            var only = store is null ? null
                : Enumerable.Range(0, data.Layout.Placement.Count).Where(i => data.Layout.Placement[i] == store).ToList();
            if (only is { Count: 0 })
            {
                continue;
            }
            var problems = await layer.VerifyAsync(data, budget, ct, only);
            layouts++;
            shards += only?.Count ?? data.Layout.Placement.Count;
            if (problems.Count > 0)
            {
                bad += problems.Count;
                foreach (var reason in problems.GroupBy(p => p.Problem))
                {
                    await catalogue.RecordDegradedShardsAsync(data.Layout, [.. reason.Select(p => p.Index)], "scrub: " + reason.Key);
                }
            }
            progress.Advance(1, data.Size);
        }
        if (bad > 0)
        {
            await catalogue.EnsureJobQueuedAsync(JobKinds.Heal, JobKinds.Degraded, priority: 10);
        }
        return new { target, layouts, shards, bad };
    }

    private async Task<object> CollectAsync(LeasedProgress progress, CancellationToken ct)
    {
        await layer.CollectPendingDeletesAsync(ct);
        int expiredUploads = await layer.ExpireAbandonedUploadsAsync(ct);
        int orphans = await layer.CollectOrphansAsync(options.GcGrace, progress, ct);
        return new { expiredUploads, orphansDeleted = orphans };
    }

    private async Task<object> RebalanceAsync(LeasedProgress progress, CancellationToken ct)
    {
        var (moved, skipped) = await layer.RebalanceAsync(new IoBudget(options.HealBytesPerSecond, options.HealOpsPerSecond), progress, ct);
        return new { shardsMoved = moved, layoutsSkipped = skipped };
    }

    private async Task<object> RebuildAsync(LeasedProgress progress, CancellationToken ct)
    {
        var (objects, shards) = await layer.RebuildCatalogueAsync(progress, ct);
        return new { shardsScanned = shards, objectsRestored = objects };
    }

    /// <summary>"*" is everything; otherwise "bucket" or "bucket/prefix".</summary>
    public static (string? Bucket, string Prefix) ParseScope(string target)
    {
        if (target is "*" or "")
        {
            return (null, "");
        }
        int slash = target.IndexOf('/');
        return slash < 0 ? (target, "") : (target[..slash], target[(slash + 1)..]);
    }

    [LoggerMessage(EventId = 6006, Level = LogLevel.Error, Message = "Cannot heal {DataId} ({Bucket}/{Key}): {Reason}")]
    private static partial void LogUnhealable(ILogger logger, string dataId, string bucket, string key, string reason);

    [LoggerMessage(EventId = 6001, Level = LogLevel.Information, Message = "Job {Id} ({Kind} {Target}) started, attempt {Attempt}")]
    private static partial void LogJobStarted(ILogger logger, long id, string kind, string target, int attempt);

    [LoggerMessage(EventId = 6002, Level = LogLevel.Information, Message = "Job {Id} ({Kind}) {State}")]
    private static partial void LogJobFinished(ILogger logger, long id, string kind, string state);

    [LoggerMessage(EventId = 6003, Level = LogLevel.Warning, Message = "Job {Id} ({Kind}) failed: {Error}")]
    private static partial void LogJobFailed(ILogger logger, long id, string kind, string error);

    [LoggerMessage(EventId = 6004, Level = LogLevel.Warning, Message = "Healed {DataId} ({Bucket}/{Key}): {Problems}")]
    private static partial void LogHealed(ILogger logger, string dataId, string bucket, string key, string problems);

    [LoggerMessage(EventId = 6005, Level = LogLevel.Error, Message = "The job worker hit an error; continuing")]
    private static partial void LogWorkerError(ILogger logger, Exception e);

    /// <summary>Progress counters, written to the job row with each lease renewal; a lost lease cancels the job.</summary>
    private sealed class LeasedProgress(Catalogue catalogue, long jobId, string owner, TimeSpan lease, IoMeter io, CancellationTokenSource lost)
        : JobCounters(io), IDisposable
    {
        private readonly CancellationTokenSource _stop = new();

        public async Task KeepAliveAsync()
        {
            var every = lease / 3;
            try
            {
                while (true)
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(every.TotalMilliseconds, 1000)), _stop.Token);
                    if (!await catalogue.RenewJobAsync(jobId, owner, lease, ItemsDone, ItemsTotal, BytesDone, BytesTotal))
                    {
                        await lost.CancelAsync();
                        return;
                    }
                }
            }
            catch (OperationCanceledException)
            {
            }
        }

        public async Task StopAsync(Task renewing)
        {
            await _stop.CancelAsync();
            await renewing;
            await catalogue.RenewJobAsync(jobId, owner, lease, ItemsDone, ItemsTotal, BytesDone, BytesTotal);
        }

        public void Dispose() => _stop.Dispose();
    }
}
