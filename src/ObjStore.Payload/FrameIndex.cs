using System.Buffers.Binary;
using ZstdSharp;

namespace ObjStore.Payload;

/// <summary>
/// The frame index of a compressed payload: every frame holds <see cref="FrameSize"/> plaintext bytes (the last one
/// fewer, never 0), stored either zstd-compressed or raw (when compressing did not make it smaller). Each frame is
/// an independent zstd frame, so a range read decompresses only the frames it covers.
/// Entry = stored length (&lt; 2^31) | 0x8000_0000 if raw.
/// </summary>
public sealed class FrameIndex
{
    public const int DefaultFrameSize = 1 << 20;

    /// <summary>The largest frame size: its compress bound must stay below 2^31, the bound of an entry.</summary>
    public const int MaxFrameSize = 1 << 30;

    private const uint RawFlag = 0x8000_0000;
    private const int HeaderSize = 12;

    private readonly uint[] _entries;
    private readonly long[] _storedOffsets;

    /// <exception cref="InvalidDataException">The entries do not describe a payload of this plain length.</exception>
    internal FrameIndex(int frameSize, long plainLength, uint[] entries)
    {
        if (frameSize is < 1 or > MaxFrameSize)
        {
            throw new InvalidDataException($"A frame size of {frameSize} bytes is not in [1, {MaxFrameSize}].");
        }
        if (plainLength < 0)
        {
            throw new InvalidDataException($"A plain length of {plainLength} bytes is negative.");
        }
        long count = (plainLength / frameSize) + (plainLength % frameSize == 0 ? 0 : 1);
        if (count != entries.Length)
        {
            throw new InvalidDataException(
                $"{plainLength} plain bytes in frames of {frameSize} are {count} frames, but the index has {entries.Length}.");
        }
        FrameSize = frameSize;
        PlainLength = plainLength;
        _entries = entries;
        _storedOffsets = new long[entries.Length + 1];
        for (int frame = 0; frame < entries.Length; frame++)
        {
            int stored = StoredLengthOf(frame);
            int plain = PlainLengthOf(frame);
            if (stored == 0)
            {
                throw new InvalidDataException($"Frame {frame} is stored in 0 bytes.");
            }
            if (IsRaw(frame) ? stored != plain : stored > Compressor.GetCompressBound(plain))
            {
                throw new InvalidDataException(IsRaw(frame)
                    ? $"Raw frame {frame} is stored in {stored} bytes, not its {plain} plain bytes."
                    : $"Compressed frame {frame} is stored in {stored} bytes, more than zstd's bound for {plain} bytes.");
            }
            _storedOffsets[frame + 1] = _storedOffsets[frame] + stored;
        }
    }

    public int FrameSize { get; }
    public long PlainLength { get; }
    public int Count => _entries.Length;

    /// <summary>The sum of the frames' stored lengths.</summary>
    public long StoredLength => _storedOffsets[^1];

    public bool IsRaw(int frame) => (_entries[frame] & RawFlag) != 0;
    public int StoredLengthOf(int frame) => (int)(_entries[frame] & ~RawFlag);
    public long StoredOffsetOf(int frame) => _storedOffsets[frame];

    public int PlainLengthOf(int frame)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(frame);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(frame, Count);
        return frame < Count - 1 ? FrameSize : (int)(PlainLength - ((long)frame * FrameSize));
    }

    /// <summary>Compact bytes: [4: frame size LE][8: plain length LE][4 x Count: entries LE].</summary>
    public byte[] ToBytes()
    {
        var bytes = new byte[HeaderSize + (4 * _entries.Length)];
        BinaryPrimitives.WriteInt32LittleEndian(bytes, FrameSize);
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(4), PlainLength);
        for (int frame = 0; frame < _entries.Length; frame++)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(HeaderSize + (4 * frame)), _entries[frame]);
        }
        return bytes;
    }

    /// <summary>
    /// Reads <see cref="ToBytes"/>'s layout and validates everything: the entry count consistent with the plain
    /// length, stored lengths above 0, raw frames stored at exactly their plain length and compressed ones never
    /// bigger than zstd's bound.
    /// </summary>
    /// <exception cref="InvalidDataException">The bytes are no valid index.</exception>
    public static FrameIndex Parse(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < HeaderSize || (bytes.Length - HeaderSize) % 4 != 0)
        {
            throw new InvalidDataException($"A frame index of {bytes.Length} bytes is not 12 bytes plus 4 per frame.");
        }
        int frameSize = BinaryPrimitives.ReadInt32LittleEndian(bytes);
        long plainLength = BinaryPrimitives.ReadInt64LittleEndian(bytes[4..]);
        var entries = new uint[(bytes.Length - HeaderSize) / 4];
        for (int frame = 0; frame < entries.Length; frame++)
        {
            entries[frame] = BinaryPrimitives.ReadUInt32LittleEndian(bytes[(HeaderSize + (4 * frame))..]);
        }
        return new FrameIndex(frameSize, plainLength, entries);
    }

    /// <summary>
    /// The frames covering plaintext [offset, offset+length): the stored range to read, its first frame and the
    /// plaintext bytes to skip in it. An empty range reads nothing.
    /// </summary>
    public FrameRange StoredRange(long offset, long length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(offset, PlainLength);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, PlainLength - offset);
        int first = (int)(offset / FrameSize);
        if (length == 0)
        {
            return new FrameRange(_storedOffsets[first], 0, first, 0);
        }
        int last = (int)((offset + length - 1) / FrameSize);
        long start = _storedOffsets[first];
        return new FrameRange(start, _storedOffsets[last + 1] - start, first, (int)(offset - ((long)first * FrameSize)));
    }
}

public readonly record struct FrameRange(long StoredOffset, long StoredLength, int FirstFrame, int Skip);
