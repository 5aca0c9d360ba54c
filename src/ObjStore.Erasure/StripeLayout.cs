namespace ObjStore.Erasure;

/// <summary>
/// How an object's bytes map onto k+m shards. The object is cut into stripes of <see cref="StripeDataSize"/> bytes
/// (the last one short); stripe s becomes one block on every shard. A full stripe has blocks of
/// <see cref="BlockSize"/>; the short last stripe has blocks of ceil(length / k), so a 1 KiB object does not cost
/// k blocks of a full stripe. On a shard every block is followed by its <see cref="ChecksumSize"/>-byte XxHash3.
/// </summary>
public sealed class StripeLayout
{
    public const int ChecksumSize = 8;
    public const int DefaultStripeSize = 1 << 20;
    private const int BlockAlignment = 64;

    /// <param name="stripeSize">Requested object bytes per stripe; rounded up so blocks are a multiple of 64 bytes.</param>
    public StripeLayout(int dataShards, int parityShards, int stripeSize = DefaultStripeSize)
    {
        if (dataShards < 1 || parityShards < 0 || dataShards + parityShards > ReedSolomon.MaxTotalShards)
        {
            throw new ArgumentOutOfRangeException(nameof(dataShards), $"Invalid layout {dataShards}+{parityShards}.");
        }
        if (stripeSize < 1 || stripeSize > 64 << 20)
        {
            throw new ArgumentOutOfRangeException(nameof(stripeSize), stripeSize, "Stripe size must be 1 B to 64 MiB.");
        }
        DataShards = dataShards;
        ParityShards = parityShards;
        int perBlock = (stripeSize + dataShards - 1) / dataShards;
        BlockSize = (perBlock + BlockAlignment - 1) / BlockAlignment * BlockAlignment;
        StripeDataSize = BlockSize * dataShards;
    }

    public int DataShards { get; }
    public int ParityShards { get; }
    public int TotalShards => DataShards + ParityShards;

    /// <summary>Bytes of one block of a full stripe.</summary>
    public int BlockSize { get; }

    /// <summary>Object bytes carried by one full stripe: k x <see cref="BlockSize"/>.</summary>
    public int StripeDataSize { get; }

    public long StripeCount(long objectSize) => (objectSize + StripeDataSize - 1) / StripeDataSize;

    /// <summary>Object bytes in stripe <paramref name="stripe"/>.</summary>
    public int StripeDataLength(long objectSize, long stripe) =>
        (int)Math.Min(StripeDataSize, objectSize - (stripe * StripeDataSize));

    /// <summary>Block length of a stripe that carries <paramref name="stripeDataLength"/> object bytes.</summary>
    public int BlockLength(int stripeDataLength) =>
        stripeDataLength == StripeDataSize ? BlockSize : (stripeDataLength + DataShards - 1) / DataShards;

    /// <summary>Where stripe <paramref name="stripe"/>'s block starts in a shard's data section.</summary>
    public long BlockOffset(long stripe) => stripe * (BlockSize + ChecksumSize);

    /// <summary>Size of every shard's data section (blocks and their checksums) for an object of this size.</summary>
    public long ShardDataLength(long objectSize)
    {
        long stripes = StripeCount(objectSize);
        if (stripes == 0)
        {
            return 0;
        }
        int last = BlockLength(StripeDataLength(objectSize, stripes - 1));
        return BlockOffset(stripes - 1) + last + ChecksumSize;
    }
}
