using ObjStore.Core;

namespace ObjStore.Objects;

/// <summary>
/// Free space per store, as of at most <see cref="MaxAge"/> ago, and the reserve new data may not eat into. A store
/// with less free space than <see cref="ObjectLayerOptions.ReserveBytes"/> takes no new objects, so deletes (which
/// write the catalogue), the catalogue itself and heal, which may use the reserve, keep working when data fills the
/// disks. Health is asked in the background once the last answer is older than <see cref="MaxAge"/>; only the first
/// ask of a store is waited for.
/// </summary>
internal sealed class StoreSpace(IReadOnlyDictionary<string, IShardStore> stores, long reserveBytes, TimeProvider clock)
{
    public static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(1);

    private readonly Dictionary<string, Entry> _entries = stores.Keys.ToDictionary(id => id, _ => new Entry(), StringComparer.Ordinal);

    private static readonly IReadOnlySet<string> None = new HashSet<string>();

    /// <summary>A store that answers with less free space than the reserve.</summary>
    public bool IsFull(StoreHealth health) => reserveBytes > 0 && health.Ready && health.FreeBytes < reserveBytes;

    /// <summary>A store's health as it answers now; one that does not answer is not ready.</summary>
    public static async Task<StoreHealth> AskAsync(IShardStore store, CancellationToken cancellationToken)
    {
        try
        {
            return await store.GetHealthAsync(cancellationToken);
        }
        catch (Exception e) when (e is IOException or TimeoutException)
        {
            return new StoreHealth(false, 0, 0);
        }
    }

    /// <summary>Stores (of <paramref name="storeIds"/>) with less free space than the reserve, as of the last answers.</summary>
    public async Task<IReadOnlySet<string>> FullStoresAsync(IEnumerable<string> storeIds, CancellationToken cancellationToken)
    {
        if (reserveBytes <= 0)
        {
            return None;
        }
        HashSet<string>? full = null; // every PUT asks: no allocation while no store is full
        foreach (var id in storeIds)
        {
            if (await HealthAsync(id, cancellationToken) is { } health && IsFull(health))
            {
                (full ??= new HashSet<string>(StringComparer.Ordinal)).Add(id);
            }
        }
        return full ?? None;
    }

    /// <summary>The last known health of a store (asked now if never asked, refreshed in the background if stale).</summary>
    private async Task<StoreHealth?> HealthAsync(string storeId, CancellationToken cancellationToken)
    {
        var entry = _entries[storeId];
        var known = entry.Health;
        if (known is null)
        {
            await RefreshAsync(storeId, entry, cancellationToken);
            return entry.Health;
        }
        if (clock.GetUtcNow() - entry.AskedAt > MaxAge && Interlocked.CompareExchange(ref entry.Refreshing, 1, 0) == 0)
        {
            _ = Task.Run(async () =>
            {
                try
                {
                    await RefreshAsync(storeId, entry, CancellationToken.None);
                }
                finally
                {
                    Volatile.Write(ref entry.Refreshing, 0);
                }
            }, CancellationToken.None);
        }
        return known;
    }

    private async Task RefreshAsync(string storeId, Entry entry, CancellationToken cancellationToken)
    {
        entry.AskedAt = clock.GetUtcNow();
        entry.Health = await AskAsync(stores[storeId], cancellationToken);
    }

    private sealed class Entry
    {
        public volatile StoreHealth? Health;
        public DateTimeOffset AskedAt;
        public int Refreshing;
    }
}
