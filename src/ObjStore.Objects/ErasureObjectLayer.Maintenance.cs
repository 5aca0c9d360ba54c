using ObjStore.Core;
using ObjStore.Erasure;
using ObjStore.Metadata;

namespace ObjStore.Objects;

/// <summary>A shard that is missing or bad, and why.</summary>
public sealed record ShardProblem(int Index, string StoreId, string Problem);

/// <summary>Progress of a maintenance pass: items (layouts or shards) and bytes, reported as they go.</summary>
public interface IJobProgress
{
    void SetTotal(long items, long bytes);

    void Advance(long items, long bytes);
}

/// <summary>
/// Scrub, heal and garbage collection of shards. Scrubbing reads every block of every shard and checks it against its
/// checksum, the footer against the layout, and the whole data section against the footer's keyed digest; healing rebuilds the bad shards of a layout from k good ones, stripe by
/// stripe, and writes them whole to their place (replacing the bad file atomically); collection deletes shards nothing
/// in the catalogue names, once they are older than the grace period (so writes in flight are never touched).
/// </summary>
public sealed partial class ErasureObjectLayer
{
    /// <summary>
    /// Reads every shard of a layout (or the shards <paramref name="only"/>) whole; returns the shards that are
    /// missing, short, corrupt or footerless.
    /// </summary>
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
            string? problem = await VerifyShardAsync(layout, stripes, data.Size, index, block, budget, cancellationToken);
            if (problem is not null)
            {
                problems.Add(new ShardProblem(index, layout.Placement[index], problem));
            }
        }
        return problems;
    }

    private async Task<string?> VerifyShardAsync(
        ObjectLayout layout, StripeLayout stripes, long size, int index, byte[] block, IoBudget budget, CancellationToken cancellationToken)
    {
        if (!_stores.TryGetValue(layout.Placement[index], out var store))
        {
            return "store not configured";
        }
        try
        {
            await using var reader = await store.OpenAsync(ShardId.For(layout.DataId, index), cancellationToken);
            using var digest = ShardDigest.Create(_shardKey, ShardId.For(layout.DataId, index));
            if (await ShardVerifier.VerifyBlocksAsync(reader, stripes, size, block, budget, cancellationToken, digest) is { } problem)
            {
                return problem;
            }
            var footer = await ReadFooterAsync(reader, stripes.ShardDataLength(size), cancellationToken);
            return footer is null ? "footer missing or corrupt"
                : footer.DataId != layout.DataId || footer.Index != index ? "footer names another shard"
                : digest.Check(footer);
        }
        catch (ShardNotFoundException)
        {
            return "missing";
        }
        catch (Exception e) when (IsShardFailure(e))
        {
            return "unreadable: " + e.Message;
        }
    }

    private static async Task<ShardFooter?> ReadFooterAsync(IShardReader reader, long dataLength, CancellationToken cancellationToken)
    {
        var tail = new byte[ShardVerifier.FooterReadLimit];
        int n = await reader.ReadAsync(dataLength, tail, cancellationToken);
        return n == tail.Length ? null : ShardFooter.Parse(tail.AsSpan(0, n));
    }

    /// <summary>
    /// Rewrites the shards <paramref name="bad"/> of a layout from k good ones, in their place. Throws
    /// <see cref="ReadQuorumException"/> when fewer than k shards are good.
    /// </summary>
    public Task HealAsync(DataRef data, IReadOnlyCollection<int> bad, IoBudget budget, CancellationToken cancellationToken) =>
        RewriteShardsAsync(data, bad.ToDictionary(i => i, i => data.Layout.Placement[i]), avoid: bad, budget, cancellationToken);

    /// <summary>
    /// Writes shards of a layout afresh to the stores in <paramref name="targets"/> (index to store): each stripe is read
    /// from k good shards (never from <paramref name="avoid"/>), rebuilt where needed, re-encoded, and the target
    /// shards' blocks streamed to new shards committed with a footer copied from a good shard.
    /// </summary>
    private async Task RewriteShardsAsync(
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
        var codec = Codec(layout.DataShards, layout.ParityShards);
        var writers = new Dictionary<int, IShardWriter>();
        var digests = targets.Keys.ToDictionary(index => index, index => ShardDigest.Create(_shardKey, ShardId.For(layout.DataId, index)));
        try
        {
            foreach (var (index, storeId) in targets)
            {
                writers[index] = await _stores[storeId].CreateAsync(ShardId.For(layout.DataId, index), cancellationToken);
            }
            await using var readers = new ShardReaders(this, layout, avoid);
            using var stripe = new StripeBuffer(codec, stripes);
            var checksum = new byte[StripeLayout.ChecksumSize];
            long stripeCount = stripes.StripeCount(data.Size);
            for (long s = 0; s < stripeCount; s++)
            {
                await readers.ReadStripeAsync(stripe, stripes, data.Size, s, cancellationToken);
                stripe.Seal(stripe.DataLength);
                foreach (var (index, writer) in writers)
                {
                    await budget.SpendAsync(stripe.BlockLength, cancellationToken);
                    stripe.WriteChecksum(index, checksum);
                    digests[index].AppendStripe(stripe.Block(index).Span, checksum);
                    await writer.WriteAsync(stripe.Block(index), cancellationToken);
                    await writer.WriteAsync(checksum, cancellationToken);
                }
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

    // ---- draining ------------------------------------------------------------------------------------------------

    public const string Draining = "draining";
    public const string Drained = "drained";

    private volatile IReadOnlySet<string> _closedStores = new HashSet<string>();

    /// <summary>Reloads which stores take no new shards (draining or drained).</summary>
    public async Task RefreshStoreStatesAsync()
    {
        var states = await _catalogue.StoreStatesAsync();
        _closedStores = states.Where(s => s.Value is Draining or Drained).Select(s => s.Key).ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>Where new shards may go: every store but draining and drained ones (all, if too few would remain).</summary>
    private IReadOnlyList<PlacementNode> OpenTopology(int needed)
    {
        var closed = _closedStores;
        if (closed.Count == 0)
        {
            return _topology;
        }
        var open = _topology.Where(n => !closed.Contains(n.Id)).ToList();
        return open.Count >= needed ? open : _topology;
    }

    /// <summary>
    /// Moves every shard off <paramref name="storeId"/>: each is re-encoded from the other shards onto a store the object
    /// does not use yet (by placement rank), the catalogue updated, and the old shard deleted. The store takes no new
    /// shards from the start and is marked drained (removable) at the end. Returns how many shards moved.
    /// </summary>
    public async Task<int> DrainAsync(string storeId, IoBudget budget, IJobProgress progress, CancellationToken cancellationToken)
    {
        if (!_stores.ContainsKey(storeId))
        {
            throw new ArgumentException($"No store '{storeId}'.", nameof(storeId));
        }
        await _catalogue.SetStoreStateAsync(storeId, Draining);
        await RefreshStoreStatesAsync();
        int moved = 0;
        await foreach (var data in _catalogue.EnumerateDataAsync(cancellationToken: cancellationToken))
        {
            int index = data.Layout.Placement.ToList().IndexOf(storeId);
            if (index >= 0)
            {
                var candidates = OpenTopology(0).Where(n => !data.Layout.Placement.Contains(n.Id) && n.Id != storeId).ToList();
                if (candidates.Count == 0)
                {
                    throw new InvalidOperationException(
                        $"Cannot drain {storeId}: {data.Bucket}/{data.Key} already uses every other store (needs more stores than k+m).");
                }
                string destination = Placement.Choose(candidates, 1, data.Bucket, data.Key, data.Layout.DataId)[0];
                await MoveShardsAsync(data, new Dictionary<int, string> { [index] = destination }, budget, cancellationToken);
                moved++;
            }
            progress.Advance(1, data.Size);
        }
        await _catalogue.SetStoreStateAsync(storeId, Drained);
        return moved;
    }

    /// <summary>
    /// Moves shards so every layout sits where placement puts it today: after stores are added, existing objects spread
    /// onto them as new ones already do. A layout whose placement over the open stores differs gets its misplaced shards
    /// re-encoded onto the stores it lacks, then the catalogue updated and the old shards deleted; one that cannot be
    /// moved now (a store down) is skipped and counted. Returns (shards moved, layouts skipped).
    /// </summary>
    public async Task<(int Moved, int Skipped)> RebalanceAsync(IoBudget budget, IJobProgress progress, CancellationToken cancellationToken)
    {
        int moved = 0, skipped = 0;
        await foreach (var data in _catalogue.EnumerateDataAsync(cancellationToken: cancellationToken))
        {
            var placement = data.Layout.Placement;
            var topology = OpenTopology(placement.Count);
            var ideal = Placement.Choose(topology, placement.Count, data.Bucket, data.Key, data.Layout.DataId);
            var lacking = ideal.Where(store => !placement.Contains(store)).ToList();
            var misplaced = Enumerable.Range(0, placement.Count).Where(i => !ideal.Contains(placement[i])).ToList();
            if (misplaced.Count > 0)
            {
                try
                {
                    await MoveShardsAsync(data, misplaced.Zip(lacking).ToDictionary(m => m.First, m => m.Second), budget, cancellationToken);
                    moved += misplaced.Count;
                }
                catch (Exception e) when (IsShardFailure(e) || e is ReadQuorumException)
                {
                    LogRebalanceSkipped(_logger, data.Layout.DataId, data.Bucket, data.Key, e.Message);
                    skipped++;
                }
            }
            progress.Advance(1, data.Size);
        }
        return (moved, skipped);
    }

    /// <summary>Re-encodes shards onto other stores, points the catalogue at them, then deletes the old ones.</summary>
    private async Task MoveShardsAsync(DataRef data, Dictionary<int, string> moves, IoBudget budget, CancellationToken cancellationToken)
    {
        await RewriteShardsAsync(data, moves, avoid: [], budget, cancellationToken);
        foreach (var (index, destination) in moves)
        {
            string source = data.Layout.Placement[index];
            await _catalogue.MoveShardAsync(data.Layout.DataId, index, destination);
            try
            {
                await _stores[source].DeleteAsync(ShardId.For(data.Layout.DataId, index), cancellationToken);
            }
            catch (Exception e) when (IsShardFailure(e))
            {
                LogShardDeleteFailed(_logger, data.Layout.DataId, index, source, e);
            }
        }
    }

    private async Task<ShardFooter?> GoodFooterAsync(ObjectLayout layout, long dataLength, IReadOnlyCollection<int> bad, CancellationToken cancellationToken)
    {
        for (int index = 0; index < layout.Placement.Count; index++)
        {
            if (bad.Contains(index) || !_stores.TryGetValue(layout.Placement[index], out var store))
            {
                continue;
            }
            try
            {
                await using var reader = await store.OpenAsync(ShardId.For(layout.DataId, index), cancellationToken);
                if (await ReadFooterAsync(reader, dataLength, cancellationToken) is { } footer && footer.DataId == layout.DataId)
                {
                    return footer;
                }
            }
            catch (Exception e) when (IsShardFailure(e))
            {
                // try the next shard
            }
        }
        return null;
    }

    /// <summary>Deletes shards no catalogue entry names and older than <paramref name="grace"/>; returns how many.</summary>
    public async Task<int> CollectOrphansAsync(TimeSpan grace, IJobProgress progress, CancellationToken cancellationToken)
    {
        if (!await _catalogue.HasBucketsAsync())
        {
            // An empty catalogue over stores that hold shards is a lost catalogue, not garbage: rebuild it first.
            return 0;
        }
        int deleted = 0;
        var cutoff = _clock.GetUtcNow() - grace;
        var verdicts = new Dictionary<string, bool>(StringComparer.Ordinal);
        foreach (var store in _stores.Values)
        {
            await foreach (var entry in store.ListAsync(cancellationToken))
            {
                progress.Advance(1, entry.Length);
                if (entry.Modified > cutoff)
                {
                    continue; // maybe a write in flight: its catalogue row may be about to commit
                }
                string dataId = ShardId.Parse(entry.ShardId).DataId;
                if (!verdicts.TryGetValue(dataId, out bool referenced))
                {
                    verdicts[dataId] = referenced = await _catalogue.IsDataReferencedAsync(dataId);
                }
                if (!referenced)
                {
                    await store.DeleteAsync(entry.ShardId, cancellationToken);
                    deleted++;
                }
            }
        }
        return deleted;
    }
}

/// <summary>
/// The rate limit of background I/O (scrub, heal, drain): bytes a second and operations (block reads or writes) a
/// second, 0 for no limit. Each operation is scheduled after the previous ones at the slower of the two rates; at most
/// a second of unused budget carries over, so a pause is not followed by a burst that foreground reads would feel.
/// </summary>
public sealed class IoBudget(long bytesPerSecond, long opsPerSecond = 0, TimeProvider? clock = null)
{
    private static readonly TimeSpan Carry = TimeSpan.FromSeconds(1);
    private readonly TimeProvider _clock = clock ?? TimeProvider.System;
    private readonly Lock _lock = new();
    private long _free = long.MinValue; // timestamp from which the budget has room again

    public static IoBudget Unlimited { get; } = new(0);

    public async ValueTask SpendAsync(long bytes, CancellationToken cancellationToken)
    {
        var wait = Reserve(bytes);
        if (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait, _clock, cancellationToken);
        }
    }

    /// <summary>Books one operation of <paramref name="bytes"/>; returns how long to wait before doing it.</summary>
    public TimeSpan Reserve(long bytes)
    {
        double cost = Math.Max(
            bytesPerSecond > 0 ? (double)bytes / bytesPerSecond : 0,
            opsPerSecond > 0 ? 1.0 / opsPerSecond : 0);
        if (cost == 0)
        {
            return TimeSpan.Zero;
        }
        lock (_lock)
        {
            long now = _clock.GetTimestamp();
            long start = Math.Max(_free, now - (long)(Carry.TotalSeconds * _clock.TimestampFrequency));
            _free = start + (long)(cost * _clock.TimestampFrequency);
            return start > now ? TimeSpan.FromSeconds((double)(start - now) / _clock.TimestampFrequency) : TimeSpan.Zero;
        }
    }
}
