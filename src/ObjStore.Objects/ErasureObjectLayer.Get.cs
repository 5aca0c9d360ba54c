using System.Runtime.ExceptionServices;
using System.Threading.Channels;
using ObjStore.Core;
using ObjStore.Erasure;

namespace ObjStore.Objects;

public sealed partial class ErasureObjectLayer
{
    /// <summary>
    /// The read path: for each stripe the range touches, read the block of k shards in parallel (data shards first, so
    /// the happy path decodes nothing), verify each block's checksum, and swap in a parity shard for any shard that is
    /// missing, failing or corrupt. A shard that failed once is not asked again for this object. Fewer than k good
    /// blocks fails the read: wrong bytes are never written.
    /// </summary>
    public async Task ReadObjectAsync(ObjectInfo info, long offset, long length, Stream destination, CancellationToken cancellationToken)
    {
        if (length == 0)
        {
            return;
        }
        if (offset < 0 || length < 0 || offset + length > info.Size)
        {
            throw new ArgumentOutOfRangeException(nameof(offset), "The range is outside the object.");
        }
        long end = offset + length;
        foreach (var part in info.Parts)
        {
            long partEnd = part.Offset + part.Size;
            if (partEnd <= offset || part.Offset >= end)
            {
                continue;
            }
            long from = Math.Max(offset, part.Offset) - part.Offset;
            long to = Math.Min(end, partEnd) - part.Offset;
            await ReadPartAsync(part, from, to - from, destination, cancellationToken);
        }
    }

    /// <summary>
    /// Bytes [offset, offset+length) of one part, relative to the part. The shards are read stripe after stripe into
    /// a few buffers ahead of the client (<see cref="ObjectLayerOptions.ReadAheadStripes"/>), so a remote read's round
    /// trips, and a moment when the client or a node is slow, overlap the transfer instead of adding to it. Memory:
    /// that many stripes per request.
    /// </summary>
    private async Task ReadPartAsync(ObjectPart part, long offset, long length, Stream destination, CancellationToken cancellationToken)
    {
        var objectLayout = part.Layout;
        var layout = new StripeLayout(objectLayout.DataShards, objectLayout.ParityShards, objectLayout.StripeSize);
        var codec = Codec(objectLayout.DataShards, objectLayout.ParityShards);
        await using var readers = new ShardReaders(this, objectLayout);
        long end = offset + length;
        long first = offset / layout.StripeDataSize, last = (end - 1) / layout.StripeDataSize;
        int depth = (int)Math.Min(_options.ReadAheadStripes, last - first + 1);
        var buffers = new StripeBuffer[depth];
        var free = Channel.CreateBounded<StripeBuffer>(depth);
        var filled = Channel.CreateBounded<StripeBuffer>(depth);
        for (int i = 0; i < depth; i++)
        {
            buffers[i] = new StripeBuffer(codec, layout);
            free.Writer.TryWrite(buffers[i]);
        }
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var reading = Task.Run(async () =>
        {
            try
            {
                for (long s = first; s <= last; s++)
                {
                    var stripe = await free.Reader.ReadAsync(stop.Token);
                    await readers.ReadStripeAsync(stripe, layout, part.Size, s, stop.Token);
                    filled.Writer.TryWrite(stripe); // never full: at most depth buffers exist
                }
                filled.Writer.Complete();
            }
            catch (Exception e)
            {
                filled.Writer.Complete(e);
            }
        }, CancellationToken.None);
        try
        {
            for (long s = first; s <= last; s++)
            {
                StripeBuffer stripe;
                try
                {
                    stripe = await filled.Reader.ReadAsync(cancellationToken);
                }
                catch (ChannelClosedException e) when (e.InnerException is not null)
                {
                    ExceptionDispatchInfo.Throw(e.InnerException); // the reading task's failure, as it was thrown
                    throw;
                }
                long stripeStart = s * layout.StripeDataSize;
                int from = (int)Math.Max(0, offset - stripeStart);
                int to = (int)Math.Min(stripe.DataLength, end - stripeStart);
                await destination.WriteAsync(stripe.Data[from..to], cancellationToken);
                free.Writer.TryWrite(stripe);
            }
        }
        finally
        {
            // The client went away, a write failed or the read did: stop reading ahead before the buffers go back.
            await stop.CancelAsync();
            await reading;
            foreach (var buffer in buffers)
            {
                buffer.Dispose();
            }
            if (readers.Bad.Count > 0)
            {
                await _catalogue.RecordDegradedShardsAsync(objectLayout, [.. readers.Bad], "found missing or corrupt by a read");
            }
        }
    }

    /// <summary>
    /// The shard readers of one read. Per stripe it asks k shards at once (data shards first), replaces a shard that
    /// fails (missing, corrupt block, node error or timeout, node marked down) by the next untried one, and hedges: a
    /// stripe still waiting after the hedge delay asks one more shard, and the first k good blocks win. Reads still in
    /// flight then are cancelled and awaited (they write into this stripe's buffer); their shards are asked last from
    /// then on. A failed shard is not asked again for this read, nor are the shards to <c>avoid</c> (being healed).
    /// </summary>
    private sealed class ShardReaders(ErasureObjectLayer owner, ObjectLayout layout, IReadOnlyCollection<int>? avoid = null) : IAsyncDisposable
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
                while (good < k)
                {
                    if (inflight.Count == 0)
                    {
                        throw new ReadQuorumException(good, k, $"stripe {index} of {layout.DataId}");
                    }
                    var reads = inflight.Select(f => (Task)f.Read).ToList();
                    if (hedge is null && _asked.Count(a => a) < _readers.Length)
                    {
                        hedge = Task.Delay(owner._readLatency.HedgeDelay, stripeCancel.Token);
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
                    int at = inflight.FindIndex(f => f.Read == done);
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
                var reader = _readers[index] ??= await owner._stores[layout.Placement[index]]
                    .OpenAsync(ShardId.For(layout.DataId, index), cancellationToken);
                var block = stripe.Block(index);
                if (await reader.ReadBlockAsync(offset, block, _checksums[index], cancellationToken))
                {
                    if (stripe.VerifyBlock(index, _checksums[index]))
                    {
                        owner._readLatency.Record(System.Diagnostics.Stopwatch.GetElapsedTime(started));
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
            catch (Exception e) when (IsShardFailure(e) || e is KeyNotFoundException)
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
                LogShardReadFailed(owner._logger, layout.DataId, index, layout.Placement[index], reason);
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
    }
}
