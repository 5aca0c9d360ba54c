using ObjStore.Core;
using ObjStore.Core.Jobs;
using ObjStore.Erasure;
using ObjStore.Metadata;
using ObjStore.Objects;
using ObjStore.Storage.Format;

namespace ObjStore.Jobs.Shards;

/// <summary>A shard that is missing or bad, and why.</summary>
public sealed record ShardProblem(int Index, string StoreId, string Problem);

/// <summary>
/// Reads shards whole, as the gateway sees them: every block against its checksum, the footer against the layout the
/// catalogue holds, and the whole data section against the footer's keyed digest.
/// </summary>
public sealed class ShardInspector(ShardCluster cluster)
{
    /// <summary>The shards of a layout (or the shards <paramref name="only"/>) that are missing, short, corrupt or footerless.</summary>
    public async Task<IReadOnlyList<ShardProblem>> VerifyAsync(DataRef data, IoBudget budget, CancellationToken cancellationToken, IReadOnlyCollection<int>? only = null)
    {
        var layout = data.Layout;
        var stripes = new StripeLayout(layout.DataShards, layout.ParityShards, layout.StripeSize);
        var problems = new List<ShardProblem>();
        var block = new byte[stripes.BlockSize + StripeLayout.ChecksumSize];
        for (int index = 0; index < layout.Placement.Count; index++)
        {
            if (only is not null && !only.Contains(index))
            {
                continue;
            }
            if (await VerifyShardAsync(layout, stripes, data.Size, index, block, budget, cancellationToken) is { } problem)
            {
                problems.Add(new ShardProblem(index, layout.Placement[index], problem));
            }
        }
        return problems;
    }

    private async Task<string?> VerifyShardAsync(
        ObjectLayout layout, StripeLayout stripes, long size, int index, byte[] block, IoBudget budget, CancellationToken cancellationToken)
    {
        if (!cluster.Stores.TryGetValue(layout.Placement[index], out var store))
        {
            return "store not configured";
        }
        try
        {
            await using var reader = await store.OpenAsync(ShardId.For(layout.DataId, index), cancellationToken);
            using var digest = ShardDigest.Create(cluster.ShardKey, ShardId.For(layout.DataId, index));
            if (await ShardVerifier.VerifyBlocksAsync(reader, stripes, size, block, budget, cancellationToken, digest) is { } problem)
            {
                return problem;
            }
            var footer = await ReadFooterAsync(reader, stripes.ShardDataLength(size), cancellationToken);
            return footer is null ? "footer missing or corrupt"
                : footer.DataId != layout.DataId || footer.Index != index ? "footer names another shard"
                : footer.Layout != layout.Kind ? $"footer's layout is {footer.Layout}, the catalogue's {layout.Kind}"
                : digest.Check(footer);
        }
        catch (ShardNotFoundException)
        {
            return "missing";
        }
        catch (ShardFormatException)
        {
            return null; // written by a newer build: not this one's to judge, heal or collect
        }
        catch (Exception e) when (ShardCluster.IsShardFailure(e))
        {
            return "unreadable: " + e.Message;
        }
    }

    /// <summary>The footer after a data section of <paramref name="dataLength"/> bytes; null when it is not intact.</summary>
    public static async Task<ShardFooter?> ReadFooterAsync(IShardReader reader, long dataLength, CancellationToken cancellationToken)
    {
        var tail = new byte[ShardVerifier.FooterReadLimit];
        int n = await reader.ReadAsync(dataLength, tail, cancellationToken);
        return n == tail.Length ? null : ShardFooter.Parse(tail.AsSpan(0, n));
    }
}
