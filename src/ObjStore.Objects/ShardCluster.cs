using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using ObjStore.Core;
using ObjStore.Erasure;
using ObjStore.Metadata;

namespace ObjStore.Objects;

/// <summary>
/// The shard stores an object layer writes to and reads from, with what every fan-out over them shares: the placement
/// topology and which stores are closed to new shards (draining), free space, read latency for hedging, the codecs and
/// the shard digest key. The object API and the background jobs use the same instance.
/// </summary>
public sealed class ShardCluster
{
    private readonly ConcurrentDictionary<(LayoutKind, int, int), IErasureCode> _codecs = new();
    private volatile IReadOnlySet<string> _closedStores = new HashSet<string>();
    private readonly OneAtATime _storeStateReloads = new();

    /// <param name="topology">Failure domain and weight of each store; by default each store is its own domain.</param>
    /// <param name="metrics">The store and codec instruments; none when null (tests, benchmarks' stores).</param>
    public ShardCluster(IEnumerable<IShardStore> stores, ObjectLayerOptions options, ILogger logger, TimeProvider? clock = null,
        IReadOnlyList<PlacementNode>? topology = null, ObjectLayerMetrics? metrics = null)
    {
        options.Validate();
        // Every call to a store goes through its instrumented wrapper: timed, counted, traced (InstrumentedShardStore).
        Stores = stores.ToDictionary(s => s.Id, s => (IShardStore)new InstrumentedShardStore(s, metrics), StringComparer.Ordinal);
        Metrics = metrics;
        Topology = topology ?? [.. Stores.Keys.Order(StringComparer.Ordinal).Select(id => new PlacementNode(id, id))];
        if (Topology.Any(n => !Stores.ContainsKey(n.Id)))
        {
            throw new ArgumentException("Every node of the topology must be one of the stores.", nameof(topology));
        }
        if (Topology.Count < options.DataShards + options.ParityShards)
        {
            throw new ArgumentException(
                $"Layout {options.DataShards}+{options.ParityShards} needs {options.DataShards + options.ParityShards} stores; {Topology.Count} given.");
        }
        ShardKey = options.ShardDigestKey is { Length: > 0 } shardKey
            ? shardKey
            : throw new ArgumentException("ObjectLayerOptions.ShardDigestKey must be set.", nameof(options));
        Options = options;
        Logger = logger;
        Clock = clock ?? TimeProvider.System;
        ReadLatency = new ReadLatency(options.HedgePercentile, options.HedgeFloor);
        Space = new StoreSpace(Stores, options.ReserveBytes, Clock);
    }

    public IReadOnlyDictionary<string, IShardStore> Stores { get; }

    /// <summary>The store and codec instruments, when the host has them.</summary>
    public ObjectLayerMetrics? Metrics { get; }
    public IReadOnlyList<PlacementNode> Topology { get; }
    public ObjectLayerOptions Options { get; }

    /// <summary>The key of every shard footer's digest (<see cref="Storage.Format.ShardDigest"/>).</summary>
    public byte[] ShardKey { get; }

    public ILogger Logger { get; }
    public TimeProvider Clock { get; }
    internal ReadLatency ReadLatency { get; }
    internal StoreSpace Space { get; }

    /// <summary>
    /// The store a layout names. One that is no longer configured (a catalogue older than a node's removal) is a store
    /// that is down: its shards are rebuilt from the others, never a failure of the request.
    /// </summary>
    public IShardStore Store(string storeId) =>
        Stores.TryGetValue(storeId, out var store) ? store : throw new StoreUnavailableException($"Store {storeId} is not configured.");

    /// <summary>The code a layout's shards were written with: Reed-Solomon for striped layouts, copies for replicated ones.</summary>
    public IErasureCode Codec(ObjectLayout layout) => _codecs.GetOrAdd((layout.Kind, layout.DataShards, layout.ParityShards), key => key.Item1 switch
    {
        LayoutKind.Striped => new ReedSolomon(key.Item2, key.Item3),
        LayoutKind.Replicated when key.Item2 == 1 => new ReplicationCode(1 + key.Item3),
        _ => throw new InvalidOperationException($"Layout {key.Item1} {key.Item2}+{key.Item3} is not one this build writes or reads."),
    });

    /// <summary>Reloads which stores take no new shards (draining or drained), after any reload already running.</summary>
    public Task RefreshStoreStatesAsync(IStoreStateCatalogue states) => _storeStateReloads.RunAsync(async () =>
    {
        var all = await states.StatesAsync();
        _closedStores = all.Where(s => s.Value is StoreStates.Draining or StoreStates.Drained).Select(s => s.Key).ToHashSet(StringComparer.Ordinal);
    });

    /// <summary>Where new shards may go: every store but draining and drained ones (all, if too few would remain).</summary>
    public IReadOnlyList<PlacementNode> OpenTopology(int needed)
    {
        var closed = _closedStores;
        if (closed.Count == 0)
        {
            return Topology;
        }
        var open = Topology.Where(n => !closed.Contains(n.Id)).ToList();
        return open.Count >= needed ? open : Topology;
    }

    /// <summary>
    /// Failures of one shard store, which quorum absorbs; anything else (cancellation, bugs) propagates. Stores report
    /// their failures as <see cref="IOException"/>s (<see cref="StoreUnavailableException"/>,
    /// <see cref="ShardNotFoundException"/>, <see cref="StoreFullException"/>, ...); a local disk may also refuse access.
    /// </summary>
    public static bool IsShardFailure(Exception e) => e is IOException or TimeoutException or UnauthorizedAccessException;

    /// <summary>
    /// How loudly a store's failure is logged: a store already known to be down (<see cref="StoreUnavailableException"/>)
    /// was reported once by its monitor, so each operation it misses is a debug line; any other failure a warning.
    /// </summary>
    public static LogLevel ExpectedFailureLevel(Exception e) => e is StoreUnavailableException ? LogLevel.Debug : LogLevel.Warning;

    /// <summary>A failure as one line for the log: its type and message, without the stack (the failure is expected).</summary>
    public static string Describe(Exception e) => $"{e.GetType().Name}: {e.Message}";
}

/// <summary>The one rule for how many shards a layout needs: k to read, the configured write quorum to commit.</summary>
public static class Quorum
{
    public static bool CanRead(ObjectLayout layout, int goodShards) => goodShards >= layout.DataShards;

    /// <summary>True when enough stores are up for a striped write, the strictest layout (readiness).</summary>
    public static bool CanWrite(ObjectLayerOptions options, int durableShards) => durableShards >= options.EffectiveWriteQuorum;

    public static bool CanWrite(ObjectLayerOptions options, ObjectLayout layout, int durableShards) => durableShards >= WriteQuorum(options, layout);

    /// <summary>
    /// Shards that must be durable before a write of this layout commits. Striped: the configured quorum (default
    /// k+1). Replicated: as many copies as leave the same number of shards missing as the striped quorum allows
    /// (k+m minus the quorum), so with the default k+1 at 4+2 that is 2 of 3 copies: either layout, once committed,
    /// survives one more loss before it is healed, and at a quorum of k+m every copy must be durable.
    /// </summary>
    public static int WriteQuorum(ObjectLayerOptions options, ObjectLayout layout) => layout.Kind == LayoutKind.Replicated
        ? layout.TotalShards - (options.DataShards + options.ParityShards - options.EffectiveWriteQuorum)
        : options.EffectiveWriteQuorum;
}
