using Microsoft.Extensions.Logging;
using ObjStore.Core;
using ObjStore.Metadata;
using ObjStore.Objects.Maintenance;

namespace ObjStore.Hosting;

/// <summary>
/// Notices a store that came back empty: every data folder has an instance id made when it was first used, so a node
/// restarted on a wiped or replaced disk reports a new one (<see cref="IShardStore.Instance"/>, which a remote store
/// learns from the health probes it already runs: no requests of its own here). That queues a heal of every layout
/// with a shard on the store, without waiting for reads or the next scrub to stumble on the missing shards one by one.
/// </summary>
public static partial class StoreInstanceWatch
{
    public static async Task RunAsync(IReadOnlyList<IShardStore> stores, Catalogue catalogue, TimeSpan interval, ILogger logger, CancellationToken stopping)
    {
        var known = new Dictionary<string, string>(StringComparer.Ordinal);
        using var timer = new PeriodicTimer(interval);
        try
        {
            do
            {
                foreach (var store in stores)
                {
                    try
                    {
                        await CheckAsync(store, catalogue, known, logger);
                    }
                    catch (Exception e) when (e is Microsoft.Data.Sqlite.SqliteException or ObjectDisposedException)
                    {
                        LogCheckFailed(logger, store.Id, e.Message);
                    }
                }
            }
            while (await timer.WaitForNextTickAsync(stopping));
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
    }

    private static async Task CheckAsync(IShardStore store, Catalogue catalogue, Dictionary<string, string> known, ILogger logger)
    {
        if (store.Instance is not { } instance || known.GetValueOrDefault(store.Id) == instance)
        {
            return;
        }
        string? previous = await catalogue.SwapStoreInstanceAsync(store.Id, instance);
        known[store.Id] = instance;
        if (previous is not null && previous != instance)
        {
            LogCameBackEmpty(logger, store.Id, previous, instance);
            await catalogue.EnsureJobQueuedAsync(JobKinds.Heal, JobPlacement.StoreTarget(store.Id), priority: 15);
        }
    }

    [LoggerMessage(EventId = 3201, Level = LogLevel.Warning, Message = "Store {StoreId} came back with a new data folder ({Previous} -> {Current}): healing every shard it held")]
    private static partial void LogCameBackEmpty(ILogger logger, string storeId, string previous, string current);

    [LoggerMessage(EventId = 3202, Level = LogLevel.Debug, Message = "Could not check store {StoreId}: {Reason}")]
    private static partial void LogCheckFailed(ILogger logger, string storeId, string reason);
}
