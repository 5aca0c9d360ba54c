using ObjStore.Core.Jobs;
using ObjStore.Jobs.Shards;
using ObjStore.Metadata;
using ObjStore.Objects;

namespace ObjStore.Jobs;

/// <summary>
/// Drain (target: a store id): moves every shard off the store. Each is re-encoded from the other shards onto a store
/// the object does not use yet (by placement rank), the catalogue updated, and the old shard deleted. The store takes
/// no new shards from the start and is marked drained (removable) at the end.
/// </summary>
public sealed class DrainJob(ShardCluster cluster, ICatalogue catalogue, MaintenanceOptions options, ForegroundActivity requests) : IBackgroundJob
{
    private readonly ShardRewriter _rewriter = new(cluster, catalogue.Shards);

    public string Kind => JobKinds.Drain;

    public async Task<object> RunAsync(string target, IJobProgress progress, CancellationToken cancellationToken)
    {
        string storeId = target;
        if (!cluster.Stores.ContainsKey(storeId))
        {
            throw new ArgumentException($"No store '{storeId}'.", nameof(target));
        }
        var budget = options.HealBudget(cluster.Clock, requests);
        await catalogue.Stores.SetStateAsync(storeId, StoreStates.Draining);
        await cluster.RefreshStoreStatesAsync(catalogue.Stores);
        int moved = 0;
        var totals = await catalogue.Shards.MeasureDataAsync(); // every layout is looked at; those on the store move
        progress.SetTotal(totals.Layouts, totals.Bytes);
        await foreach (var data in catalogue.Shards.EnumerateDataAsync(cancellationToken: cancellationToken))
        {
            int index = data.Layout.Placement.ToList().IndexOf(storeId);
            if (index >= 0)
            {
                var candidates = cluster.OpenTopology(0).Where(n => !data.Layout.Placement.Contains(n.Id) && n.Id != storeId).ToList();
                if (candidates.Count == 0)
                {
                    throw new InvalidOperationException(
                        $"Cannot drain {storeId}: {data.Bucket}/{data.Key} already uses every other store (needs more stores than k+m).");
                }
                string destination = Placement.Choose(candidates, 1, data.Bucket, data.Key, data.Layout.DataId)[0];
                await _rewriter.MoveAsync(data, new Dictionary<int, string> { [index] = destination }, budget, cancellationToken);
                moved++;
            }
            progress.Advance(1, data.Size);
        }
        await catalogue.Stores.SetStateAsync(storeId, StoreStates.Drained);
        return new { store = storeId, shardsMoved = moved };
    }
}
