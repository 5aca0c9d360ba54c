using System.Runtime.ExceptionServices;
using System.Threading.Channels;
using ObjStore.Core;
using ObjStore.Erasure;
using ObjStore.Metadata;
using ObjStore.Payload;

namespace ObjStore.Objects;

/// <summary>Reads committed objects back, part by part and stripe by stripe, reconstructing lost shards on the fly.</summary>
public sealed class ObjectReader(ShardCluster cluster, IShardCatalogue shards, IDataKeys? dataKeys)
{
    /// <summary>
    /// The read path: for each stripe the range touches, read the block of k shards in parallel (data shards first, so
    /// the happy path decodes nothing), verify each block's checksum, and swap in a parity shard for any shard that is
    /// missing, failing or corrupt. A shard that failed once is not asked again for this object. Fewer than k good
    /// blocks fails the read: wrong bytes are never written.
    /// </summary>
    /// <param name="customerKey">The client's key of an SSE-C object (checked against the object's fingerprint).</param>
    public async Task ReadObjectAsync(ObjectInfo info, long offset, long length, Stream destination, CustomerKey? customerKey, CancellationToken cancellationToken)
    {
        if (info.Metadata.Encryption is { Mode: EncryptionMode.Customer } customer
            && (customerKey is null || !customerKey.Matches(customer.CustomerKeyFingerprint ?? "")))
        {
            throw new ObjectStoreException(ErrorKind.AccessDenied, "Access Denied"); // even for no bytes: an SSE-C object reads only with its key
        }
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
            if (part.Encoding is null)
            {
                await ReadPartAsync(part, from, to - from, destination, cancellationToken);
            }
            else
            {
                await ReadEncodedPartAsync(info, part, from, to - from, destination, customerKey, cancellationToken);
            }
        }
    }

    /// <summary>
    /// Bytes [offset, offset+length) of a compressed or encrypted part: the range is mapped down the layers (the
    /// zstd frames holding it, then the AES-GCM packages holding those), only those stored bytes are read, and they
    /// flow back up through decryption (each package's tag checked before a byte of it moves on) and decompression,
    /// which cut the range out. A range never costs more than a package and a frame at each end.
    /// </summary>
    private async Task ReadEncodedPartAsync(
        ObjectInfo info, ObjectPart part, long offset, long length, Stream destination, CustomerKey? customerKey, CancellationToken cancellationToken)
    {
        var encoding = part.Encoding!;
        var frames = encoding.Frames is { } index ? FrameIndex.Parse(index) : null;
        long compressedTotal = frames?.StoredLength ?? part.Size;
        if (frames is not null && frames.PlainLength != part.Size)
        {
            throw new InvalidDataException($"Part {part.Number}'s frame index covers {frames.PlainLength} bytes, not its {part.Size}.");
        }
        ReadOnlyMemory<byte>? key = null;
        if (encoding.SealedKey is { } sealedKey)
        {
            var encryption = info.Metadata.Encryption ?? throw new InvalidDataException($"Part {part.Number} has a data key but the object no encryption.");
            key = await (dataKeys ?? throw new InvalidOperationException("No data keys: encrypted objects cannot be read."))
                .OpenAsync(encryption, sealedKey, customerKey, cancellationToken);
        }
        if ((key is null ? compressedTotal : Packages.StoredLength(compressedTotal)) != encoding.StoredSize)
        {
            throw new InvalidDataException($"Part {part.Number} stores {encoding.StoredSize} bytes, which its encoding does not account for.");
        }

        // Down the layers: plaintext range -> frames -> packages -> stored range.
        long storedOffset = offset, storedLength = length;
        DecompressingStream? decompressor = null;
        DecryptingStream? decryptor = null;
        Stream sink = destination;
        try
        {
            if (frames is not null)
            {
                var range = frames.StoredRange(offset, length);
                sink = decompressor = new DecompressingStream(sink, frames, range.FirstFrame, range.Skip, length);
                (storedOffset, storedLength) = (range.StoredOffset, range.StoredLength);
            }
            if (key is { } dataKey)
            {
                var range = Packages.StoredRange(storedOffset, storedLength, compressedTotal);
                sink = decryptor = new DecryptingStream(sink, dataKey, ReadOnlyMemory<byte>.Empty, range.FirstPackage, encoding.StoredSize, range.Skip, storedLength);
                (storedOffset, storedLength) = (range.StoredOffset, range.StoredLength);
            }
            await ReadPartAsync(part, storedOffset, storedLength, sink, cancellationToken);
            if (decryptor is not null)
            {
                await decryptor.CompleteAsync(cancellationToken);
            }
            if (decompressor is not null)
            {
                await decompressor.CompleteAsync(cancellationToken);
            }
        }
        finally
        {
            if (decryptor is not null)
            {
                await decryptor.DisposeAsync();
            }
            if (decompressor is not null)
            {
                await decompressor.DisposeAsync();
            }
        }
    }

    /// <summary>
    /// Stored bytes [offset, offset+length) of one part, relative to the part. The shards are read stripe after stripe into
    /// a few buffers ahead of the client (<see cref="ObjectLayerOptions.ReadAheadStripes"/>), so a remote read's round
    /// trips, and a moment when the client or a node is slow, overlap the transfer instead of adding to it. Memory:
    /// that many stripes per request.
    /// </summary>
    private async Task ReadPartAsync(ObjectPart part, long offset, long length, Stream destination, CancellationToken cancellationToken)
    {
        var objectLayout = part.Layout;
        var layout = new StripeLayout(objectLayout.DataShards, objectLayout.ParityShards, objectLayout.StripeSize);
        var codec = cluster.Codec(objectLayout);
        await using var readers = new ShardReadSet(cluster, objectLayout);
        long end = offset + length;
        long first = offset / layout.StripeDataSize, last = (end - 1) / layout.StripeDataSize;
        if (first == last)
        {
            // One stripe (every small object): nothing to read ahead of, so no reading task, channels or second buffer.
            await ReadOneStripeAsync(part, layout, readers, codec, first, offset, end, destination, cancellationToken);
            return;
        }
        int depth = (int)Math.Min(cluster.Options.ReadAheadStripes, last - first + 1);
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
                    await FillAsync(stripe, readers, layout, part.StoredSize, s, offset, end, stop.Token);
                    filled.Writer.TryWrite(stripe); // never full: at most depth buffers exist
                }
                filled.Writer.Complete();
            }
            catch (Exception e)
            {
                filled.Writer.Complete(e);
            }
        }, CancellationToken.None);
        bool recorded = false;
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
                if (s == last)
                {
                    // Every shard is read: what was bad is recorded before the client has the last byte, so a client
                    // that saw the whole object can count on the heal queue knowing.
                    await RecordBadAsync(readers, objectLayout);
                    recorded = true;
                }
                await WriteRangeAsync(stripe, layout, s, offset, end, destination, cancellationToken);
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
            if (!recorded)
            {
                await RecordBadAsync(readers, objectLayout);
            }
        }
    }

    private async Task ReadOneStripeAsync(
        ObjectPart part, StripeLayout layout, ShardReadSet readers, IErasureCode codec, long s, long offset, long end, Stream destination,
        CancellationToken cancellationToken)
    {
        using var stripe = new StripeBuffer(codec, layout);
        bool recorded = false;
        try
        {
            await FillAsync(stripe, readers, layout, part.StoredSize, s, offset, end, cancellationToken);
            await RecordBadAsync(readers, part.Layout); // before the client has the bytes, as above
            recorded = true;
            await WriteRangeAsync(stripe, layout, s, offset, end, destination, cancellationToken);
        }
        finally
        {
            if (!recorded)
            {
                await RecordBadAsync(readers, part.Layout);
            }
        }
    }

    /// <summary>Reads stripe <paramref name="s"/>: only the data blocks holding [offset, end) when that suffices, else the stripe.</summary>
    private static async Task FillAsync(
        StripeBuffer stripe, ShardReadSet readers, StripeLayout layout, long partSize, long s, long offset, long end, CancellationToken cancellationToken)
    {
        var (firstBlock, lastBlock) = BlocksHolding(layout, partSize, s, offset, end);
        if (lastBlock - firstBlock + 1 == layout.DataShards
            || !await readers.TryReadDataBlocksAsync(stripe, layout, partSize, s, firstBlock, lastBlock, cancellationToken))
        {
            await readers.ReadStripeAsync(stripe, layout, partSize, s, cancellationToken);
        }
    }

    /// <summary>Writes the bytes of [offset, end) that stripe <paramref name="s"/> holds.</summary>
    private static async Task WriteRangeAsync(StripeBuffer stripe, StripeLayout layout, long s, long offset, long end, Stream destination, CancellationToken cancellationToken)
    {
        long stripeStart = s * layout.StripeDataSize;
        int from = (int)Math.Max(0, offset - stripeStart);
        int to = (int)Math.Min(stripe.DataLength, end - stripeStart);
        await destination.WriteAsync(stripe.Data[from..to], cancellationToken);
    }

    /// <summary>Shards the read found missing or corrupt go to the heal queue.</summary>
    private async Task RecordBadAsync(ShardReadSet readers, ObjectLayout layout)
    {
        if (readers.Bad.Count > 0)
        {
            await shards.RecordDegradedAsync(layout, [.. readers.Bad], "found missing or corrupt by a read");
        }
    }

    /// <summary>The data blocks of stripe <paramref name="stripe"/> that hold bytes of [offset, end) of the part.</summary>
    private static (int First, int Last) BlocksHolding(StripeLayout layout, long partSize, long stripe, long offset, long end)
    {
        long stripeStart = stripe * layout.StripeDataSize;
        int length = layout.StripeDataLength(partSize, stripe);
        int blockLength = layout.BlockLength(length);
        long from = Math.Max(offset - stripeStart, 0);
        long to = Math.Min(end - stripeStart, length);
        return ((int)(from / blockLength), (int)((to - 1) / blockLength));
    }
}
