using System.Buffers;
using ZstdSharp;
using ZstdSharp.Unsafe;

namespace ObjStore.Payload;

/// <summary>
/// Read-only stream: reads plaintext from <c>source</c> in frame-size pieces, compresses each on its own and yields
/// the stored frames back to back; a frame that does not shrink is stored raw. <see cref="Index"/> is complete once
/// a read returned 0. Holds two frames: the plaintext and its compressed form. Leaves <c>source</c> open.
/// </summary>
public sealed class CompressingStream : ReadOnlyPayloadStream
{
    private readonly Stream _source;
    private readonly Compressor _compressor;
    private readonly int _frameSize;
    private readonly byte[] _plain;
    private readonly byte[] _compressed;
    private readonly List<uint> _entries = [];
    private ReadOnlyMemory<byte> _pending;
    private bool _disposed;

    public CompressingStream(Stream source, int level, int frameSize = FrameIndex.DefaultFrameSize)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentOutOfRangeException.ThrowIfLessThan(frameSize, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(frameSize, FrameIndex.MaxFrameSize);
        _source = source;
        _frameSize = frameSize;
        _compressor = new Compressor(level);
        // Each frame carries a checksum of its content, so a corrupted frame fails to decompress instead of
        // decompressing to wrong bytes.
        _compressor.SetParameter(ZSTD_cParameter.ZSTD_c_checksumFlag, 1);
        _plain = ArrayPool<byte>.Shared.Rent(frameSize);
        _compressed = ArrayPool<byte>.Shared.Rent(frameSize);
    }

    public long PlainBytesRead { get; private set; }

    /// <summary>The index of the frames yielded; null until the stream has ended.</summary>
    public FrameIndex? Index { get; private set; }

    public override bool CanRead => !_disposed;

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (buffer.IsEmpty)
        {
            return 0;
        }
        while (_pending.IsEmpty)
        {
            if (Index is not null)
            {
                return 0;
            }
            int plainCount = await FillAsync(cancellationToken).ConfigureAwait(false);
            if (plainCount == 0)
            {
                Index = new FrameIndex(_frameSize, PlainBytesRead, [.. _entries]);
                return 0;
            }
            _pending = Compress(plainCount);
        }
        int count = Math.Min(buffer.Length, _pending.Length);
        _pending.Span[..count].CopyTo(buffer.Span);
        _pending = _pending[count..];
        return count;
    }

    private async ValueTask<int> FillAsync(CancellationToken cancellationToken)
    {
        int count = 0;
        while (count < _frameSize)
        {
            int read = await _source.ReadAsync(_plain.AsMemory(count, _frameSize - count), cancellationToken)
                .ConfigureAwait(false);
            if (read == 0)
            {
                break;
            }
            count += read;
            PlainBytesRead += read;
        }
        return count;
    }

    /// <summary>One attempt: a destination one byte shorter than the plaintext makes zstd give up on a frame that
    /// would not shrink, and the frame is stored raw.</summary>
    private ReadOnlyMemory<byte> Compress(int plainCount)
    {
        if (plainCount > 1 && _compressor.TryWrap(_plain.AsSpan(0, plainCount), _compressed.AsSpan(0, plainCount - 1),
                out int written))
        {
            _entries.Add((uint)written);
            return _compressed.AsMemory(0, written);
        }
        _entries.Add((uint)plainCount | 0x8000_0000);
        return _plain.AsMemory(0, plainCount);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_disposed)
        {
            _disposed = true;
            _pending = default;
            _compressor.Dispose();
            ArrayPool<byte>.Shared.Return(_plain, clearArray: true);
            ArrayPool<byte>.Shared.Return(_compressed, clearArray: true);
        }
        base.Dispose(disposing);
    }
}
