using System.Buffers;
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
public sealed class DecompressingStream : Stream
{
    private const uint ZstdMagic = 0xFD2FB528;
    private const byte ContentChecksumFlag = 0x04;

    private readonly Stream _destination;
    private readonly FrameIndex _index;
    private readonly int _endFrame;
    private int _nextFrame;
    private long _skip;
    private long _take;
    private readonly Decompressor? _decompressor;
    private readonly byte[] _stored;
    private int _storedCount;
    private readonly byte[] _plain;
    private bool _failed;
    private bool _disposed;

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
        bool anyCompressed = false;
        for (int frame = firstFrame; frame < _endFrame; frame++)
        {
            largestStored = Math.Max(largestStored, index.StoredLengthOf(frame));
            anyCompressed |= !index.IsRaw(frame);
        }
        _stored = ArrayPool<byte>.Shared.Rent(largestStored);
        // Only the last frame is shorter, so the first frame of the range is its longest plaintext.
        _plain = ArrayPool<byte>.Shared.Rent(take == 0 ? 0 : index.PlainLengthOf(firstFrame));
        if (anyCompressed)
        {
            _decompressor = new Decompressor();
            // A frame's window is at most its content (one segment); frames go up to MaxFrameSize, above zstd's
            // default limit, and one-shot decompression into _plain allocates no window however large.
            _decompressor.SetParameter(ZSTD_dParameter.ZSTD_d_windowLogMax, 30);
        }
    }

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => !_disposed;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

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
            // A writer that hands whole frames has them decompressed where they are, without the copy through _stored.
            if (_storedCount == 0 && buffer.Length >= size)
            {
                await DecodeAndWriteAsync(buffer[..size], cancellationToken).ConfigureAwait(false);
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
                await DecodeAndWriteAsync(_stored.AsMemory(0, size), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async ValueTask DecodeAndWriteAsync(ReadOnlyMemory<byte> stored, CancellationToken cancellationToken)
    {
        int frame = _nextFrame++;
        int plainCount = _index.PlainLengthOf(frame);
        ReadOnlyMemory<byte> plain = stored;
        if (!_index.IsRaw(frame))
        {
            Decompress(stored.Span, frame, plainCount);
            plain = _plain.AsMemory(0, plainCount);
        }
        int from = (int)Math.Min(_skip, plainCount);
        _skip -= from;
        int count = (int)Math.Min(_take, plainCount - from);
        _take -= count;
        if (count > 0)
        {
            await _destination.WriteAsync(plain.Slice(from, count), cancellationToken).ConfigureAwait(false);
        }
    }

    private void Decompress(ReadOnlySpan<byte> stored, int frame, int plainCount)
    {
        _failed = true;
        if (stored.Length < 5 || BinaryPrimitives.ReadUInt32LittleEndian(stored) != ZstdMagic ||
            (stored[4] & ContentChecksumFlag) == 0)
        {
            throw new InvalidDataException($"Frame {frame} is no zstd frame with a content checksum.");
        }
        int written;
        try
        {
            written = _decompressor!.Unwrap(stored, _plain.AsSpan(0, plainCount));
        }
        catch (ZstdException e)
        {
            throw new InvalidDataException($"Frame {frame} does not decompress: {e.Message}", e);
        }
        if (written != plainCount)
        {
            throw new InvalidDataException($"Frame {frame} decompresses to {written} bytes, not {plainCount}.");
        }
        _failed = false;
    }

    /// <summary>Throws <see cref="InvalidDataException"/> when fewer stored bytes arrived than the range needs.</summary>
    public Task CompleteAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        cancellationToken.ThrowIfCancellationRequested();
        if (_failed || _nextFrame < _endFrame)
        {
            return Task.FromException(new InvalidDataException(
                $"The range ended before its frames did: {_endFrame - _nextFrame} of them missing or cut short."));
        }
        return Task.CompletedTask;
    }

    public override void Write(byte[] buffer, int offset, int count) =>
        WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    /// <summary>Nothing to flush: a partial frame cannot be decompressed before the rest of it arrives.</summary>
    public override void Flush()
    {
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_disposed)
        {
            _disposed = true;
            _decompressor?.Dispose();
            ArrayPool<byte>.Shared.Return(_stored, clearArray: true);
            ArrayPool<byte>.Shared.Return(_plain, clearArray: true);
        }
        base.Dispose(disposing);
    }
}
