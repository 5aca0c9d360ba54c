using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using ObjStore.Core;
using ObjStore.Core.Jobs;
using ObjStore.Metadata;

namespace ObjStore.Jobs;

/// <summary>
/// Notices a store that came back empty: every data folder has an instance id made when it was first used, so a node
/// restarted on a wiped or replaced disk reports a new one (<see cref="IShardStore.Instance"/>, which a remote store
/// learns from the health probes it already runs: no requests of its own here). That queues a heal of every layout
/// with a shard on the store, without waiting for reads or the next scrub to stumble on the missing shards one by one.
/// </summary>
public sealed partial class StoreInstanceWatch(IReadOnlyList<IShardStore> stores, ICatalogue catalogue, TimeSpan interval, TimeProvider clock, ILogger<StoreInstanceWatch> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var known = new Dictionary<string, string>(StringComparer.Ordinal);
        using var timer = new PeriodicTimer(interval, clock);
        try
        {
            do
            {
                foreach (var store in stores)
                {
                    try
                    {
                        await CheckAsync(store, known);
                    }
                    catch (Exception e) when (!stoppingToken.IsCancellationRequested)
                    {
                        LogCheckFailed(logger, store.Id, e.Message);
                    }
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task CheckAsync(IShardStore store, Dictionary<string, string> known)
    {
        if (store.Instance is not { } instance || known.GetValueOrDefault(store.Id) == instance)
        {
            return;
        }
        string? previous = await catalogue.Stores.SwapInstanceAsync(store.Id, instance);
        known[store.Id] = instance;
        if (previous is not null && previous != instance)
        {
            LogCameBackEmpty(logger, store.Id, previous, instance);
            await catalogue.Jobs.EnsureQueuedAsync(JobKinds.Heal, JobPlacement.StoreTarget(store.Id), priority: 15);
        }
    }

    [LoggerMessage(EventId = 3201, Level = LogLevel.Warning, Message = "Store {StoreId} came back with a new data folder ({Previous} -> {Current}): healing every shard it held")]
    private static partial void LogCameBackEmpty(ILogger logger, string storeId, string previous, string current);

    [LoggerMessage(EventId = 3202, Level = LogLevel.Debug, Message = "Could not check store {StoreId}: {Reason}")]
    private static partial void LogCheckFailed(ILogger logger, string storeId, string reason);
}
