using ObjStore.Core;
using ObjStore.Core.Jobs;
using ObjStore.Erasure;
using ObjStore.Metadata;
using ObjStore.Objects;
using ObjStore.Storage.Format;

namespace ObjStore.Jobs.Shards;

/// <summary>
/// Writes shards of a layout afresh from k good ones: in their place (heal), or onto other stores (drain, rebalance).
/// Each stripe is read through a <see cref="ShardReadSet"/>, rebuilt where needed, re-encoded, and the target shards'
/// blocks streamed to new shards, committed with a footer copied from a good shard and a digest of their own.
/// </summary>
public sealed class ShardRewriter(ShardCluster cluster, IShardCatalogue shards)
{
    /// <summary>
    /// Rewrites the shards <paramref name="bad"/> of a layout in their place. Throws <see cref="ReadQuorumException"/>
    /// when fewer than k shards are good.
    /// </summary>
    public Task HealAsync(DataRef data, IReadOnlyCollection<int> bad, IoBudget budget, CancellationToken cancellationToken) =>
        RewriteAsync(data, bad.ToDictionary(i => i, i => data.Layout.Placement[i]), avoid: bad, budget, cancellationToken);

    /// <summary>Re-encodes shards onto other stores (index to store), points the catalogue at them, then deletes the old ones.</summary>
    public async Task MoveAsync(DataRef data, IReadOnlyDictionary<int, string> moves, IoBudget budget, CancellationToken cancellationToken)
    {
        await RewriteAsync(data, moves, avoid: [], budget, cancellationToken);
        foreach (var (index, destination) in moves)
        {
            string source = data.Layout.Placement[index];
            await shards.MoveShardAsync(data.Layout.DataId, index, destination);
            try
            {
                await cluster.Store(source).DeleteAsync(ShardId.For(data.Layout.DataId, index), cancellationToken);
            }
            catch (Exception e) when (ShardCluster.IsShardFailure(e))
            {
                ShardGarbage.LogShardDeleteFailed(cluster.Logger, data.Layout.DataId, index, source, e);
            }
        }
    }

    private async Task RewriteAsync(
        DataRef data, IReadOnlyDictionary<int, string> targets, IReadOnlyCollection<int> avoid, IoBudget budget, CancellationToken cancellationToken)
    {
        if (targets.Count == 0)
        {
            return;
        }
        var layout = data.Layout;
        var stripes = new StripeLayout(layout.DataShards, layout.ParityShards, layout.StripeSize);
        var footer = await GoodFooterAsync(layout, stripes.ShardDataLength(data.Size), avoid, cancellationToken)
            ?? throw new ReadQuorumException(0, layout.DataShards, $"no good shard footer for {layout.DataId}");
        var codec = cluster.Codec(layout);
        var writers = new Dictionary<int, IShardWriter>();
        var digests = targets.Keys.ToDictionary(index => index, index => ShardDigest.Create(cluster.ShardKey, ShardId.For(layout.DataId, index)));
        try
        {
            foreach (var (index, storeId) in targets)
            {
                writers[index] = await cluster.Stores[storeId].CreateAsync(ShardId.For(layout.DataId, index), cancellationToken);
            }
            await using var readers = new ShardReadSet(cluster, layout, avoid);
            // Two buffers: stripe s+1 is read while stripe s is encoded and written, so the reads of the good shards
            // and the writes of the new ones overlap instead of taking turns.
            using var first = new StripeBuffer(codec, stripes);
            using var second = new StripeBuffer(codec, stripes);
            var checksum = new byte[StripeLayout.ChecksumSize];
            long stripeCount = stripes.StripeCount(data.Size);
            var (stripe, spare) = (first, second);
            Task reading = stripeCount > 0 ? readers.ReadStripeAsync(stripe, stripes, data.Size, 0, cancellationToken) : Task.CompletedTask;
            try
            {
                for (long s = 0; s < stripeCount; s++)
                {
                    await reading;
                    reading = s + 1 < stripeCount ? readers.ReadStripeAsync(spare, stripes, data.Size, s + 1, cancellationToken) : Task.CompletedTask;
                    stripe.Seal(stripe.DataLength);
                    cluster.Metrics?.Encoded(stripe.DataLength);
                    foreach (var (index, writer) in writers)
                    {
                        await budget.SpendAsync(stripe.BlockLength, cancellationToken);
                        stripe.WriteChecksum(index, checksum);
                        digests[index].AppendStripe(stripe.Block(index).Span, checksum);
                        await writer.WriteBlockAsync(stripe.Block(index), checksum, cancellationToken);
                    }
                    (stripe, spare) = (spare, stripe);
                }
            }
            finally
            {
                await Task.WhenAny(reading); // never leave a read in flight on a buffer about to go back to the pool
            }
            foreach (var (index, writer) in writers)
            {
                await writer.CommitAsync((footer with { Index = index, Digest = digests[index].Finish() }).Serialize(), cancellationToken);
            }
        }
        finally
        {
            foreach (var writer in writers.Values)
            {
                await writer.DisposeAsync();
            }
            foreach (var digest in digests.Values)
            {
                digest.Dispose();
            }
        }
    }

    private async Task<ShardFooter?> GoodFooterAsync(ObjectLayout layout, long dataLength, IReadOnlyCollection<int> bad, CancellationToken cancellationToken)
    {
        for (int index = 0; index < layout.Placement.Count; index++)
        {
            if (bad.Contains(index) || !cluster.Stores.TryGetValue(layout.Placement[index], out var store))
            {
                continue;
            }
            try
            {
                await using var reader = await store.OpenAsync(ShardId.For(layout.DataId, index), cancellationToken);
                if (await ShardInspector.ReadFooterAsync(reader, dataLength, cancellationToken) is { } footer && footer.DataId == layout.DataId)
                {
                    return footer;
                }
            }
            catch (Exception e) when (ShardCluster.IsShardFailure(e))
            {
                // try the next shard
            }
        }
        return null;
    }
}
