using ObjStore.Core;
using ObjStore.Core.Jobs;
using ObjStore.Objects;
using ObjStore.Storage.Format;

namespace ObjStore.Jobs;

/// <summary>
/// What the stores say of themselves: every shard ends with a footer naming its bucket, key, layout, sizes, checksums
/// and metadata (and, for a part, its upload and part number), so reading every footer is enough to find every object
/// without the catalogue. Rebuild-metadata and restoring a catalogue backup both start here.
/// </summary>
public sealed class FooterScan(ShardCluster cluster)
{
    /// <summary>One data id as found: a footer, and the store holding each shard index (null where none was found).</summary>
    public sealed record Found(ShardFooter Footer, string?[] Placement);

    /// <summary>Reads the footer of every shard on every store, by data id; also returns how many shards were scanned.</summary>
    public async Task<(IReadOnlyDictionary<string, Found> ByData, int Shards)> ScanAsync(IJobProgress? progress, CancellationToken cancellationToken)
    {
        var byData = new Dictionary<string, Found>(StringComparer.Ordinal);
        int shards = 0;
        foreach (var store in cluster.Stores.Values)
        {
            await foreach (var entry in store.ListAsync(cancellationToken))
            {
                shards++;
                progress?.Advance(1, entry.Length);
                var footer = await ReadFooterAtEndAsync(store, entry, cancellationToken);
                if (footer is null || footer.Index < 0 || footer.Index >= footer.DataShards + footer.ParityShards)
                {
                    continue;
                }
                if (!byData.TryGetValue(footer.DataId, out var found))
                {
                    found = new Found(footer, new string?[footer.DataShards + footer.ParityShards]);
                    byData[footer.DataId] = found;
                }
                found.Placement[footer.Index] = store.Id;
            }
        }
        return (byData, shards);
    }

    /// <summary>
    /// The layout a footer describes. An index no store holds is given a configured store (its shard is missing there,
    /// which reads route around and heal repairs): a layout must name a store for every index.
    /// </summary>
    public ObjectLayout LayoutOf(Found found) =>
        new(found.Footer.DataShards, found.Footer.ParityShards, found.Footer.StripeSize, found.Footer.DataId,
            [.. found.Placement.Select((id, i) => id ?? cluster.Topology[i % cluster.Topology.Count].Id)])
        {
            Kind = found.Footer.Layout,
        };

    /// <summary>The single-PUT object a shard footer describes.</summary>
    public ObjectInfo SingleObjectOf(Found found) => found.Footer.ToObject(LayoutOf(found));

    private static async Task<ShardFooter?> ReadFooterAtEndAsync(IShardStore store, ShardEntry entry, CancellationToken cancellationToken)
    {
        try
        {
            await using var reader = await store.OpenAsync(entry.ShardId, cancellationToken);
            return await ShardVerifier.ReadFooterAtEndAsync(reader, entry.Length, cancellationToken) is var (footer, _)
                && ShardId.For(footer.DataId, footer.Index) == entry.ShardId ? footer : null;
        }
        catch (Exception e) when (ShardCluster.IsShardFailure(e))
        {
            return null;
        }
    }
}
