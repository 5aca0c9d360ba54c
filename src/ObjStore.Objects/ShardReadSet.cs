using Microsoft.Extensions.Logging;
using ObjStore.Core;
using ObjStore.Erasure;

namespace ObjStore.Objects;

/// <summary>
/// The shard readers of one read. Per stripe it asks k shards at once (data shards first), replaces a shard that
/// fails (missing, corrupt block, node error or timeout, node marked down) by the next untried one, and hedges: a
/// stripe still waiting after the hedge delay asks one more shard, and the first k good blocks win. Reads still in
/// flight then are cancelled and awaited (they write into this stripe's buffer); their shards are asked last from
/// then on. A failed shard is not asked again for this read, nor are the shards to <c>avoid</c> (being healed).
/// </summary>
public sealed partial class ShardReadSet(ShardCluster cluster, ObjectLayout layout, IReadOnlyCollection<int>? avoid = null) : IAsyncDisposable
{
    private readonly IShardReader?[] _readers = new IShardReader?[layout.Placement.Count];
    private readonly bool[] _failed = Enumerable.Range(0, layout.Placement.Count).Select(i => avoid?.Contains(i) == true).ToArray();
    private readonly bool[] _slow = new bool[layout.Placement.Count];
    private readonly byte[][] _checksums = Enumerable.Range(0, layout.Placement.Count).Select(_ => new byte[StripeLayout.ChecksumSize]).ToArray();
    private readonly bool[] _present = new bool[layout.Placement.Count];
    private readonly bool[] _asked = new bool[layout.Placement.Count];
    private readonly List<int> _bad = [];

    /// <summary>Shards found missing or corrupt (not merely unreachable): to record for healing.</summary>
    public IReadOnlyList<int> Bad => _bad;

    /// <summary>
    /// Reads only data blocks <paramref name="first"/>..<paramref name="last"/> of a stripe, each verified against its
    /// checksum: a small range needs no more than the blocks that hold it. False when one of them is missing, corrupt
    /// or slower than the hedge delay; the caller then reads the whole stripe, which routes around a failed shard and
    /// hedges a slow one (a block late here is not marked slow: the whole-stripe reads after it keep asking it first).
    /// </summary>
    public async Task<bool> TryReadDataBlocksAsync(
        StripeBuffer stripe, StripeLayout stripeLayout, long objectSize, long index, int first, int last, CancellationToken cancellationToken)
    {
        for (int i = first; i <= last; i++)
        {
            if (_failed[i])
            {
                return false;
            }
        }
        stripe.BeginRead(stripeLayout.StripeDataLength(objectSize, index));
        long blockOffset = stripeLayout.BlockOffset(index);
        using var hedge = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var reads = new Task<bool>[last - first + 1];
        for (int i = first; i <= last; i++)
        {
            reads[i - first] = ReadBlockAsync(stripe, i, blockOffset, hedge.Token);
        }
        if (!reads.All(r => r.IsCompleted))
        {
            hedge.CancelAfter(cluster.ReadLatency.HedgeDelay); // local reads finish inline: no timer for them
        }
        var read = await Task.WhenAll(reads);
        cancellationToken.ThrowIfCancellationRequested();
        bool whole = read.All(ok => ok);
        if (whole)
        {
            cluster.Metrics?.Decoded(Math.Min((long)(last - first + 1) * stripe.BlockLength, stripe.DataLength));
        }
        return whole;
    }

    public async Task ReadStripeAsync(StripeBuffer stripe, StripeLayout stripeLayout, long objectSize, long index, CancellationToken cancellationToken)
    {
        stripe.BeginRead(stripeLayout.StripeDataLength(objectSize, index));
        long blockOffset = stripeLayout.BlockOffset(index);
        Array.Clear(_present);
        Array.Clear(_asked);
        int k = layout.DataShards;
        int good = 0;
        using var stripeCancel = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var inflight = new List<(Task<bool> Read, int Shard)>(k + 2);
        bool Launch()
        {
            int next = NextCandidate();
            if (next < 0)
            {
                return false;
            }
            _asked[next] = true;
            inflight.Add((ReadBlockAsync(stripe, next, blockOffset, stripeCancel.Token), next));
            return true;
        }
        for (int i = 0; i < k && Launch(); i++)
        {
        }
        try
        {
            Task? hedge = null;
            while (!Quorum.CanRead(layout, good))
            {
                if (inflight.Count == 0)
                {
                    // Reads that ended because the caller stopped are not failures of the shards: say so as such.
                    cancellationToken.ThrowIfCancellationRequested();
                    throw new ReadQuorumException(good, k, $"stripe {index} of {layout.DataId}");
                }
                // A read that already ended (a local read ends inline) is taken without arming a hedge timer.
                int at = inflight.FindIndex(f => f.Read.IsCompleted);
                if (at < 0)
                {
                    var reads = inflight.Select(f => (Task)f.Read).ToList();
                    if (hedge is null && _asked.Count(a => a) < _readers.Length)
                    {
                        hedge = Task.Delay(cluster.ReadLatency.HedgeDelay, stripeCancel.Token);
                    }
                    if (hedge is not null)
                    {
                        reads.Add(hedge);
                    }
                    var done = await Task.WhenAny(reads);
                    if (done == hedge)
                    {
                        hedge = null; // the next hedge waits a full delay again
                        Launch();
                        continue;
                    }
                    at = inflight.FindIndex(f => f.Read == done);
                }
                var (read, shard) = inflight[at];
                inflight.RemoveAt(at);
                if (await read)
                {
                    _present[shard] = true;
                    good++;
                }
                else
                {
                    Launch();
                }
            }
        }
        finally
        {
            if (inflight.Count > 0)
            {
                await stripeCancel.CancelAsync();
                await Task.WhenAll(inflight.Select(f => f.Read));
                foreach (var (_, shard) in inflight)
                {
                    _slow[shard] = !_failed[shard];
                }
            }
        }
        bool allData = true;
        for (int i = 0; i < k; i++)
        {
            allData &= _present[i];
        }
        if (!allData)
        {
            stripe.Rebuild(_present);
            cluster.Metrics?.Reconstructed(stripe.DataLength);
        }
        else
        {
            cluster.Metrics?.Decoded(stripe.DataLength);
        }
    }

    /// <summary>Untried shards in order of preference: healthy data shards, healthy parity, then slow ones.</summary>
    private int NextCandidate()
    {
        for (int pass = 0; pass < 2; pass++)
        {
            for (int i = 0; i < _readers.Length; i++)
            {
                if (!_asked[i] && !_failed[i] && _slow[i] == (pass == 1))
                {
                    return i;
                }
            }
        }
        return -1;
    }

    /// <summary>True when the block and its checksum were read and verified; false (shard now failed) otherwise.</summary>
    private async Task<bool> ReadBlockAsync(StripeBuffer stripe, int index, long offset, CancellationToken cancellationToken)
    {
        string reason;
        bool bad = false, unavailable = false;
        long started = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            var reader = _readers[index] ??= await cluster.Store(layout.Placement[index])
                .OpenAsync(ShardId.For(layout.DataId, index), cancellationToken);
            var block = stripe.Block(index);
            if (await reader.ReadBlockAsync(offset, block, _checksums[index], cancellationToken))
            {
                if (stripe.VerifyBlock(index, _checksums[index]))
                {
                    cluster.ReadLatency.Record(System.Diagnostics.Stopwatch.GetElapsedTime(started));
                    return true;
                }
                reason = "checksum mismatch";
            }
            else
            {
                reason = "shard too short";
            }
            bad = true;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return false; // a hedge won, or the request ended: not the shard's fault
        }
        catch (Exception e) when (ShardCluster.IsShardFailure(e))
        {
            reason = e.Message;
            bad = e is ShardNotFoundException;
            unavailable = e is StoreUnavailableException; // the store's own monitor reports it, once
        }
        _failed[index] = true;
        if (bad)
        {
            lock (_bad)
            {
                _bad.Add(index);
            }
        }
        if (!unavailable)
        {
            LogShardReadFailed(cluster.Logger, layout.DataId, index, layout.Placement[index], reason);
        }
        return false;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var reader in _readers)
        {
            if (reader is not null)
            {
                await reader.DisposeAsync();
            }
        }
    }

    [LoggerMessage(EventId = 1003, Level = LogLevel.Warning, Message = "Shard {Index} of {DataId} on {StoreId} unreadable ({Reason}); reconstructing from parity")]
    private static partial void LogShardReadFailed(ILogger logger, string dataId, int index, string storeId, string reason);
}
