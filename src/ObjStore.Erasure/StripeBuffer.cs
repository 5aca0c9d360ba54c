using System.Buffers;
using System.Buffers.Binary;
using System.IO.Hashing;

namespace ObjStore.Erasure;

/// <summary>
/// One stripe's k+m blocks in a single pooled buffer, reused stripe after stripe. The data blocks sit back to back at
/// the start, so object bytes read straight into <see cref="DataRegion"/> need no copy to become blocks: block j of a
/// stripe whose blocks are b bytes long is bytes [j*b, (j+1)*b), zero-padded past the object data.
/// </summary>
public sealed class StripeBuffer : IDisposable
{
    private readonly IErasureCode _codec;
    private readonly StripeLayout _layout;
    private readonly Memory<byte>[] _blocks;
    private readonly ReadOnlyMemory<byte>[] _dataBlocks;
    private readonly Memory<byte>[] _parityBlocks;
    private readonly ulong[] _checksums;
    private byte[]? _buffer;

    public StripeBuffer(IErasureCode codec, StripeLayout layout)
    {
        if (codec.DataShards != layout.DataShards || codec.ParityShards != layout.ParityShards)
        {
            throw new ArgumentException("The codec and the layout disagree on k and m.", nameof(layout));
        }
        _codec = codec;
        _layout = layout;
        _buffer = ArrayPool<byte>.Shared.Rent(layout.TotalShards * layout.BlockSize);
        _blocks = new Memory<byte>[layout.TotalShards];
        _dataBlocks = new ReadOnlyMemory<byte>[layout.DataShards];
        _parityBlocks = new Memory<byte>[layout.ParityShards];
        _checksums = new ulong[layout.TotalShards];
        SetDataLength(layout.StripeDataSize);
    }

    public StripeLayout Layout => _layout;

    /// <summary>Object bytes in the current stripe.</summary>
    public int DataLength { get; private set; }

    /// <summary>Length of every block of the current stripe.</summary>
    public int BlockLength { get; private set; }

    /// <summary>Room for one full stripe of object data; fill it, then call <see cref="Seal"/>.</summary>
    public Memory<byte> DataRegion => Buffer.AsMemory(0, _layout.StripeDataSize);

    /// <summary>The current stripe's object bytes (valid after <see cref="Seal"/> or <see cref="Rebuild"/>).</summary>
    public ReadOnlyMemory<byte> Data => Buffer.AsMemory(0, DataLength);

    public Memory<byte> Block(int index) => _blocks[index];

    /// <summary>
    /// Ends a stripe of <paramref name="dataLength"/> bytes written into <see cref="DataRegion"/>: pads, computes the
    /// parity blocks and every block's checksum.
    /// </summary>
    public void Seal(int dataLength)
    {
        SetDataLength(dataLength);
        Buffer.AsSpan(dataLength, (BlockLength * _layout.DataShards) - dataLength).Clear();
        _codec.Encode(_dataBlocks, _parityBlocks);
        for (int i = 0; i < _blocks.Length; i++)
        {
            _checksums[i] = XxHash3.HashToUInt64(_blocks[i].Span);
        }
    }

    /// <summary>Prepares to read back a stripe of <paramref name="dataLength"/> object bytes: fill blocks, then rebuild.</summary>
    public void BeginRead(int dataLength) => SetDataLength(dataLength);

    /// <summary>True when block <paramref name="index"/> as filled matches the stored checksum.</summary>
    public bool VerifyBlock(int index, ReadOnlySpan<byte> storedChecksum) => ChecksumMatches(_blocks[index].Span, storedChecksum);

    /// <summary>True when <paramref name="block"/> matches its stored (little-endian XxHash3) checksum.</summary>
    public static bool ChecksumMatches(ReadOnlySpan<byte> block, ReadOnlySpan<byte> storedChecksum) =>
        XxHash3.HashToUInt64(block) == BinaryPrimitives.ReadUInt64LittleEndian(storedChecksum);

    /// <summary>Rebuilds the data blocks not marked present; afterwards <see cref="Data"/> holds the stripe.</summary>
    /// <exception cref="TooFewShardsException">Fewer than k blocks are present.</exception>
    public void Rebuild(ReadOnlySpan<bool> present, bool includeParity = false) =>
        _codec.Reconstruct(_blocks, present, dataOnly: !includeParity);

    /// <summary>Writes the stored (little-endian) form of block <paramref name="index"/>'s checksum.</summary>
    public void WriteChecksum(int index, Span<byte> destination) =>
        BinaryPrimitives.WriteUInt64LittleEndian(destination, _checksums[index]);

    public void Dispose()
    {
        var buffer = Interlocked.Exchange(ref _buffer, null);
        if (buffer is not null)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private byte[] Buffer => _buffer ?? throw new ObjectDisposedException(nameof(StripeBuffer));

    private void SetDataLength(int dataLength)
    {
        if (dataLength < 0 || dataLength > _layout.StripeDataSize)
        {
            throw new ArgumentOutOfRangeException(nameof(dataLength), dataLength, "Outside one stripe.");
        }
        DataLength = dataLength;
        BlockLength = _layout.BlockLength(dataLength);
        var buffer = Buffer;
        int parityStart = _layout.StripeDataSize;
        for (int i = 0; i < _layout.DataShards; i++)
        {
            _blocks[i] = buffer.AsMemory(i * BlockLength, BlockLength);
            _dataBlocks[i] = _blocks[i];
        }
        for (int p = 0; p < _layout.ParityShards; p++)
        {
            _blocks[_layout.DataShards + p] = buffer.AsMemory(parityStart + (p * BlockLength), BlockLength);
            _parityBlocks[p] = _blocks[_layout.DataShards + p];
        }
    }
}
