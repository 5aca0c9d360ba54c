using System.Buffers;
using System.Collections.Concurrent;
using System.Buffers.Binary;
using ZstdSharp;
using ZstdSharp.Unsafe;

namespace ObjStore.Payload;

/// <summary>
/// Write-only stream: takes the stored bytes of frames starting at <c>firstFrame</c> (as
/// <see cref="FrameIndex.StoredRange"/> said), decompresses each whole frame, checking it decompresses to exactly
/// its plain length, and writes to <c>destination</c> the plaintext after the first <c>skip</c> bytes, exactly
/// <c>take</c> bytes. <see cref="CompleteAsync"/> must be called at the end: only it can tell a range cut short.
/// Leaves <c>destination</c> open.
/// </summary>
/// <remarks>
/// A compressed frame carries zstd's content checksum and this stream refuses a frame whose header does not
/// announce one, so a corrupted compressed frame throws <see cref="InvalidDataException"/> rather than yielding
/// wrong bytes. A raw frame has no checksum of its own: the layers outside (the encryption's tags, the shards'
/// checksums) are what catch its corruption.
/// </remarks>
public sealed class DecompressingStream : WriteOnlyPayloadStream
{
    private const uint ZstdMagic = 0xFD2FB528;
    private const byte ContentChecksumFlag = 0x04;

    private readonly Stream _destination;
    private readonly FrameIndex _index;
    private readonly int _endFrame;
    private int _nextFrame;
    private long _skip;
    private long _take;
    private readonly byte[] _stored;
    private int _storedCount;
    private bool _failed;
    private bool _disposed;

    /// <summary>
    /// Frames being decompressed, oldest first: each on its own core while the next arrive and the oldest is written,
    /// so a large GET decompresses at the speed of every core rather than one. At most <see cref="_depth"/>.
    /// </summary>
    private readonly Queue<Decoding> _inFlight = new();
    private readonly int _depth = Math.Max(2, Environment.ProcessorCount);
    private readonly ConcurrentBag<Decompressor> _decompressors = [];

    private sealed record Decoding(int Frame, byte[] Stored, int StoredLength, byte[]? Plain, Task Done);

    public DecompressingStream(Stream destination, FrameIndex index, int firstFrame, int skip, long take)
    {
        ArgumentNullException.ThrowIfNull(destination);
        ArgumentNullException.ThrowIfNull(index);
        ArgumentOutOfRangeException.ThrowIfNegative(firstFrame);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(firstFrame, index.Count);
        ArgumentOutOfRangeException.ThrowIfNegative(skip);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(skip, index.FrameSize);
        ArgumentOutOfRangeException.ThrowIfNegative(take);
        if (take > 0)
        {
            ArgumentOutOfRangeException.ThrowIfGreaterThan(take,
                index.PlainLength - ((long)firstFrame * index.FrameSize) - skip);
        }
        _destination = destination;
        _index = index;
        _nextFrame = firstFrame;
        _endFrame = take == 0 ? firstFrame : firstFrame + (int)((skip + take - 1) / index.FrameSize) + 1;
        _skip = skip;
        _take = take;
        int largestStored = 0;
        for (int frame = firstFrame; frame < _endFrame; frame++)
        {
            largestStored = Math.Max(largestStored, index.StoredLengthOf(frame));
        }
        _stored = ArrayPool<byte>.Shared.Rent(largestStored);
    }

    public override bool CanWrite => !_disposed;

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_failed)
        {
            throw new InvalidOperationException("A frame of this range already failed to decompress.");
        }
        while (!buffer.IsEmpty)
        {
            if (_nextFrame == _endFrame)
            {
                throw new InvalidOperationException(
                    $"More stored bytes than the range's frames (up to frame {_endFrame - 1}) were written.");
            }
            int size = _index.StoredLengthOf(_nextFrame);
            // A writer that hands whole frames has them taken where they are, without the copy through _stored.
            if (_storedCount == 0 && buffer.Length >= size)
            {
                await StartAsync(buffer[..size], cancellationToken).ConfigureAwait(false);
                buffer = buffer[size..];
                continue;
            }
            int count = Math.Min(size - _storedCount, buffer.Length);
            buffer.Span[..count].CopyTo(_stored.AsSpan(_storedCount));
            _storedCount += count;
            buffer = buffer[count..];
            if (_storedCount == size)
            {
                _storedCount = 0;
                await StartAsync(_stored.AsMemory(0, size), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Starts decoding the next whole frame (its bytes copied: the caller's buffer is theirs again on return).</summary>
    private async ValueTask StartAsync(ReadOnlyMemory<byte> stored, CancellationToken cancellationToken)
    {
        int frame = _nextFrame++;
        if (_index.IsRaw(frame) && _inFlight.Count == 0)
        {
            await WriteInRangeAsync(stored, _index.PlainLengthOf(frame), cancellationToken).ConfigureAwait(false);
            return;
        }
        byte[] copy = ArrayPool<byte>.Shared.Rent(stored.Length);
        stored.CopyTo(copy);
        byte[]? plain = null;
        Task done = Task.CompletedTask;
        if (!_index.IsRaw(frame))
        {
            plain = ArrayPool<byte>.Shared.Rent(_index.PlainLengthOf(frame));
            int storedLength = stored.Length;
            done = Task.Run(() => Decompress(copy.AsSpan(0, storedLength), frame, plain), CancellationToken.None);
        }
        _inFlight.Enqueue(new Decoding(frame, copy, stored.Length, plain, done));
        while (_inFlight.Count >= _depth)
        {
            await WriteOldestAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Waits for the oldest frame in flight and writes what the range wants of it.</summary>
    private async ValueTask WriteOldestAsync(CancellationToken cancellationToken)
    {
        var decoding = _inFlight.Dequeue();
        try
        {
            try
            {
                await decoding.Done.ConfigureAwait(false);
            }
            catch
            {
                _failed = true;
                throw;
            }
            int plainCount = _index.PlainLengthOf(decoding.Frame);
            var plain = decoding.Plain is { } decoded ? decoded.AsMemory(0, plainCount) : decoding.Stored.AsMemory(0, decoding.StoredLength);
            await WriteInRangeAsync(plain, plainCount, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            Return(decoding);
        }
    }

    private async ValueTask WriteInRangeAsync(ReadOnlyMemory<byte> plain, int plainCount, CancellationToken cancellationToken)
    {
        int from = (int)Math.Min(_skip, plainCount);
        _skip -= from;
        int count = (int)Math.Min(_take, plainCount - from);
        _take -= count;
        if (count > 0)
        {
            await _destination.WriteAsync(plain.Slice(from, count), cancellationToken).ConfigureAwait(false);
        }
    }

    private void Decompress(ReadOnlySpan<byte> stored, int frame, byte[] plain)
    {
        int plainCount = _index.PlainLengthOf(frame);
        if (stored.Length < 5 || BinaryPrimitives.ReadUInt32LittleEndian(stored) != ZstdMagic ||
            (stored[4] & ContentChecksumFlag) == 0)
        {
            throw new InvalidDataException($"Frame {frame} is no zstd frame with a content checksum.");
        }
        if (!_decompressors.TryTake(out var decompressor))
        {
            decompressor = new Decompressor();
            // A frame's window is at most its content (one segment); frames go up to MaxFrameSize, above zstd's
            // default limit, and one-shot decompression into the plain buffer allocates no window however large.
            decompressor.SetParameter(ZSTD_dParameter.ZSTD_d_windowLogMax, 30);
        }
        int written;
        try
        {
            written = decompressor.Unwrap(stored, plain.AsSpan(0, plainCount));
        }
        catch (ZstdException e)
        {
            throw new InvalidDataException($"Frame {frame} does not decompress: {e.Message}", e);
        }
        finally
        {
            _decompressors.Add(decompressor);
        }
        if (written != plainCount)
        {
            throw new InvalidDataException($"Frame {frame} decompresses to {written} bytes, not {plainCount}.");
        }
    }

    /// <summary>
    /// Writes the frames still in flight; throws <see cref="InvalidDataException"/> when one does not decompress or
    /// fewer stored bytes arrived than the range needs.
    /// </summary>
    public async Task CompleteAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        cancellationToken.ThrowIfCancellationRequested();
        while (_inFlight.Count > 0)
        {
            await WriteOldestAsync(cancellationToken).ConfigureAwait(false);
        }
        if (_failed || _nextFrame < _endFrame)
        {
            throw new InvalidDataException(
                $"The range ended before its frames did: {_endFrame - _nextFrame} of them missing or cut short.");
        }
    }



    private static void Return(Decoding decoding)
    {
        ArrayPool<byte>.Shared.Return(decoding.Stored, clearArray: true);
        if (decoding.Plain is { } plain)
        {
            ArrayPool<byte>.Shared.Return(plain, clearArray: true);
        }
    }

    public override async ValueTask DisposeAsync()
    {
        if (!_disposed)
        {
            foreach (var decoding in _inFlight)
            {
                try
                {
                    await decoding.Done.ConfigureAwait(false);
                }
                catch (InvalidDataException)
                {
                    // the read has failed already; waiting was for the buffers' sake
                }
            }
        }
        await base.DisposeAsync().ConfigureAwait(false);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_disposed)
        {
            _disposed = true;
            // Frames still in flight (the read failed or was abandoned) finish before their buffers go back.
            foreach (var decoding in _inFlight)
            {
                try
                {
                    decoding.Done.Wait();
                }
                catch (AggregateException)
                {
                    // the read has failed already; this frame's error adds nothing
                }
                Return(decoding);
            }
            _inFlight.Clear();
            while (_decompressors.TryTake(out var decompressor))
            {
                decompressor.Dispose();
            }
            ArrayPool<byte>.Shared.Return(_stored, clearArray: true);
        }
        base.Dispose(disposing);
    }
}
