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

    /// <summary>Bytes [offset, offset+length) of one part, relative to the part.</summary>
    private async Task ReadPartAsync(ObjectPart part, long offset, long length, Stream destination, CancellationToken cancellationToken)
    {
        var objectLayout = part.Layout;
        var layout = new StripeLayout(objectLayout.DataShards, objectLayout.ParityShards, objectLayout.StripeSize);
        var codec = Codec(objectLayout.DataShards, objectLayout.ParityShards);
        await using var readers = new ShardReaders(this, objectLayout);
        using var stripe = new StripeBuffer(codec, layout);
        long end = offset + length;
        for (long s = offset / layout.StripeDataSize; s * layout.StripeDataSize < end; s++)
        {
            await readers.ReadStripeAsync(stripe, layout, part.Size, s, cancellationToken);
            long stripeStart = s * layout.StripeDataSize;
            int from = (int)Math.Max(0, offset - stripeStart);
            int to = (int)Math.Min(stripe.DataLength, end - stripeStart);
            await destination.WriteAsync(stripe.Data[from..to], cancellationToken);
        }
    }

    private sealed class ShardReaders(ErasureObjectLayer owner, ObjectLayout layout) : IAsyncDisposable
    {
        private readonly IShardReader?[] _readers = new IShardReader?[layout.Placement.Count];
        private readonly bool[] _failed = new bool[layout.Placement.Count];
        private readonly byte[][] _checksums = Enumerable.Range(0, layout.Placement.Count).Select(_ => new byte[StripeLayout.ChecksumSize]).ToArray();
        private readonly bool[] _present = new bool[layout.Placement.Count];

        public async Task ReadStripeAsync(StripeBuffer stripe, StripeLayout stripeLayout, long objectSize, long index, CancellationToken cancellationToken)
        {
            stripe.BeginRead(stripeLayout.StripeDataLength(objectSize, index));
            long blockOffset = stripeLayout.BlockOffset(index);
            Array.Clear(_present);
            int k = layout.DataShards;
            int good = 0;
            int next = 0;
            while (good < k)
            {
                // Ask as many untried shards as are still missing, all at once.
                var batch = new List<int>();
                for (; next < _readers.Length && batch.Count < k - good; next++)
                {
                    if (!_failed[next])
                    {
                        batch.Add(next);
                    }
                }
                if (batch.Count == 0)
                {
                    throw new ReadQuorumException(good, k, $"stripe {index} of {layout.DataId}");
                }
                var results = await Task.WhenAll(batch.Select(i => ReadBlockAsync(stripe, i, blockOffset, cancellationToken)));
                for (int b = 0; b < batch.Count; b++)
                {
                    if (results[b])
                    {
                        _present[batch[b]] = true;
                        good++;
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

        private async Task<bool> ReadBlockAsync(StripeBuffer stripe, int index, long offset, CancellationToken cancellationToken)
        {
            string reason;
            try
            {
                var reader = _readers[index] ??= await owner._stores[layout.Placement[index]]
                    .OpenAsync(ShardId.For(layout.DataId, index), cancellationToken);
                var block = stripe.Block(index);
                if (await reader.ReadAsync(offset, block, cancellationToken) == block.Length
                    && await reader.ReadAsync(offset + block.Length, _checksums[index], cancellationToken) == StripeLayout.ChecksumSize)
                {
                    if (stripe.VerifyBlock(index, _checksums[index]))
                    {
                        return true;
                    }
                    reason = "checksum mismatch";
                }
                else
                {
                    reason = "shard too short";
                }
            }
            catch (Exception e) when (IsShardFailure(e) || e is KeyNotFoundException)
            {
                reason = e.Message;
            }
            _failed[index] = true;
            LogShardReadFailed(owner._logger, layout.DataId, index, layout.Placement[index], reason);
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
