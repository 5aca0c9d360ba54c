using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using ObjStore.Core;
using ObjStore.Core.Jobs;
using ObjStore.Metadata;

namespace ObjStore.Jobs;

/// <summary>
/// Queues the periodic work: a heal whenever degraded shards are recorded, a scrub of every store every scrub period
/// (one job per store, so each goes to the node that holds it), a GC every GC interval, a catalogue backup every
/// backup interval, a lifecycle pass of every bucket with lifecycle rules every lifecycle interval, each only if the
/// same job is not already queued or running; with each GC, jobs finished longer ago than the job history are deleted. Which worker runs a job is decided when workers ask for work
/// (<see cref="IJobCatalogue.ClaimAsync"/>).
/// </summary>
public sealed partial class MaintenanceScheduler(
    ICatalogue catalogue, MaintenanceOptions options, IReadOnlyList<string> storeIds, TimeProvider clock, ILogger<MaintenanceScheduler> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var nextScrub = clock.GetUtcNow() + options.ScrubPeriod;
        var nextGc = clock.GetUtcNow() + options.GcInterval;
        var nextBackup = clock.GetUtcNow() + options.BackupInterval;
        var nextLifecycle = clock.GetUtcNow(); // a restart must not put the rules off by a whole interval
        using var timer = new PeriodicTimer(options.AutoHealInterval, clock);
        try
        {
            do
            {
                try
                {
                    if (await catalogue.Shards.CountDegradedAsync() > 0)
                    {
                        await catalogue.Jobs.EnsureQueuedAsync(JobKinds.Heal, JobKinds.Degraded, priority: 10);
                    }
                    var now = clock.GetUtcNow();
                    if (now >= nextScrub)
                    {
                        foreach (string store in storeIds)
                        {
                            await catalogue.Jobs.EnsureQueuedAsync(JobKinds.Scrub, JobPlacement.StoreTarget(store), priority: 0);
                        }
                        nextScrub = now + options.ScrubPeriod;
                    }
                    if (now >= nextBackup)
                    {
                        await catalogue.Jobs.EnsureQueuedAsync(JobKinds.Backup, "*", priority: 15);
                        nextBackup = now + options.BackupInterval;
                    }
                    if (now >= nextLifecycle)
                    {
                        foreach (string bucket in await catalogue.Buckets.ListWithConfigAsync(BucketConfigKinds.Lifecycle))
                        {
                            await catalogue.Jobs.EnsureQueuedAsync(JobKinds.Lifecycle, JobPlacement.BucketTarget(bucket), priority: 3);
                        }
                        nextLifecycle = now + options.LifecycleInterval;
                    }
                    if (now >= nextGc)
                    {
                        await catalogue.Jobs.PruneFinishedAsync(options.JobHistory);
                        await catalogue.Jobs.EnsureQueuedAsync(JobKinds.Gc, "*", priority: 5);
                        nextGc = now + options.GcInterval;
                    }
                }
                catch (Exception e) when (!stoppingToken.IsCancellationRequested)
                {
                    LogRoundFailed(logger, e); // a busy or failing catalogue: the next round tries again
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    [LoggerMessage(EventId = 6007, Level = LogLevel.Warning, Message = "A scheduling round failed; the next one tries again")]
    private static partial void LogRoundFailed(ILogger logger, Exception e);
}
