using System.Diagnostics.Metrics;
using ObjStore.Core;
using ObjStore.Core.Jobs;
using ObjStore.Metadata;

namespace ObjStore.Hosting.Monitoring;

/// <summary>
/// The cluster's gauges (meter <see cref="MeterName"/>): each shard store's state and space, the degraded shards
/// waiting for heal, the jobs by kind and state with the running ones' progress, and the catalogue's size on disk.
/// </summary>
/// <remarks>
/// Gauges are observed synchronously, while asking a store or the catalogue is not: <see cref="RefreshAsync"/> takes a
/// snapshot (called before each scrape) and the gauges read the latest one. Nothing is asked between scrapes, so an
/// idle cluster costs nothing.
/// </remarks>
public sealed class ClusterMetrics
{
    public const string MeterName = "ObjStore.Cluster";

    private readonly IObjectLayer _objects;
    private readonly ICatalogue _catalogue;
    private readonly Lock _gate = new();
    private Task? _refresh;
    private volatile Snapshot _latest = Snapshot.Empty;

    public ClusterMetrics(IMeterFactory meters, IObjectLayer objects, ICatalogue catalogue)
    {
        _objects = objects;
        _catalogue = catalogue;
        var meter = meters.Create(MeterName);
        meter.CreateObservableGauge("objstore.store.up", () => PerStore(s => s.Up ? 1 : 0), "{store}", "1 while the shard store answers, else 0.");
        meter.CreateObservableGauge("objstore.store.full", () => PerStore(s => s.Full ? 1 : 0), "{store}", "1 while the store has no room above its reserve.");
        meter.CreateObservableGauge("objstore.store.free", () => PerStore(s => s.FreeBytes), "By", "Free bytes on the store's disk.");
        meter.CreateObservableGauge("objstore.store.total", () => PerStore(s => s.TotalBytes), "By", "Size of the store's disk.");
        meter.CreateObservableGauge("objstore.cluster.ready", () => _latest.Ready ? 1 : 0, null, "1 while enough stores are up for a write quorum.");
        meter.CreateObservableGauge("objstore.cluster.writable", () => _latest.Writable ? 1 : 0, null, "1 while enough stores are up and have room for new objects.");
        meter.CreateObservableGauge("objstore.shards.degraded", () => _latest.DegradedShards, "{shard}", "Shards recorded as missing or bad, waiting for heal (the heal backlog).");
        meter.CreateObservableGauge("objstore.jobs", () => _latest.Jobs, "{job}", "Jobs among the latest 1000, by kind and state.");
        meter.CreateObservableGauge("objstore.jobs.running.items.done", () => _latest.ItemsDone, "{item}", "Items done by the running jobs, by kind.");
        meter.CreateObservableGauge("objstore.jobs.running.items.total", () => _latest.ItemsTotal, "{item}", "Items the running jobs know they have to do (0: not known), by kind.");
        meter.CreateObservableGauge("objstore.jobs.running.done", () => _latest.BytesDone, "By", "Bytes done by the running jobs, by kind.");
        meter.CreateObservableGauge("objstore.catalogue.size", () => _latest.CatalogueBytes, "By", "The catalogue on disk: SQLite's file and write-ahead log, or PostgreSQL's database.");
    }

    private IEnumerable<Measurement<long>> PerStore(Func<StoreReadiness, long> value) =>
        _latest.Stores.Select(s => new Measurement<long>(value(s), new KeyValuePair<string, object?>("store", s.Id)));

    /// <summary>Takes a new snapshot; scrapes that come while one is taken share it.</summary>
    public Task RefreshAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (_refresh is null || _refresh.IsCompleted)
            {
                // Not the caller's token: a scrape that hangs up must not fail the snapshot the others wait for.
                _refresh = TakeSnapshotAsync();
            }
            return _refresh.WaitAsync(cancellationToken);
        }
    }

    private async Task TakeSnapshotAsync()
    {
        var readiness = await _objects.GetReadinessAsync(CancellationToken.None);
        long degraded = await _catalogue.Shards.CountDegradedAsync();
        var jobs = await _catalogue.Jobs.ListAsync(1000);
        var running = jobs.Where(j => j.State == JobStates.Running).GroupBy(j => j.Kind, StringComparer.Ordinal).ToList();
        _latest = new Snapshot(
            readiness.Ready, readiness.Writable, readiness.Stores, degraded,
            [.. jobs.GroupBy(j => (j.Kind, j.State)).Select(g => new Measurement<long>(g.Count(), Tag("kind", g.Key.Kind), Tag("state", g.Key.State)))],
            [.. running.Select(g => new Measurement<long>(g.Sum(j => j.ItemsDone), Tag("kind", g.Key)))],
            [.. running.Select(g => new Measurement<long>(g.Sum(j => j.ItemsTotal), Tag("kind", g.Key)))],
            [.. running.Select(g => new Measurement<long>(g.Sum(j => j.BytesDone), Tag("kind", g.Key)))],
            await _catalogue.SizeBytesAsync());
    }

    private static KeyValuePair<string, object?> Tag(string name, string value) => new(name, value);

    private sealed record Snapshot(
        bool Ready, bool Writable, IReadOnlyList<StoreReadiness> Stores, long DegradedShards, Measurement<long>[] Jobs,
        Measurement<long>[] ItemsDone, Measurement<long>[] ItemsTotal, Measurement<long>[] BytesDone, long CatalogueBytes)
    {
        public static readonly Snapshot Empty = new(false, false, [], 0, [], [], [], [], 0);
    }
}
