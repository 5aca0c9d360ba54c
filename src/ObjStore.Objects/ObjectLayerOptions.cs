namespace ObjStore.Objects;

public sealed class ObjectLayerOptions
{
    public int DataShards { get; set; } = 4;
    public int ParityShards { get; set; } = 2;

    /// <summary>Object bytes per stripe (rounded up to k x 64).</summary>
    public int StripeSize { get; set; } = 1 << 20;

    /// <summary>
    /// Objects (and parts) whose declared size is at most this many bytes are stored as 1+m full copies on distinct
    /// failure domains instead of k+m stripes: the same number of lost stores survived, one file per copy, one read
    /// per GET. A body of unknown length is striped. 0 turns replication off. The layout is recorded per object, so
    /// changing this leaves every stored object readable.
    /// </summary>
    public long ReplicateUpTo { get; set; } = DefaultReplicateUpTo;

    public const long DefaultReplicateUpTo = 64 << 10;

    /// <summary>Stripes a GET reads ahead of the client (its memory: this many stripe buffers).</summary>
    public int ReadAheadStripes { get; set; } = 4;

    /// <summary>Shards that must be durable before a PUT commits; default k+1, at least k and at most k+m.</summary>
    public int? WriteQuorum { get; set; }

    /// <summary>The largest single PUT, S3's 5 GiB.</summary>
    public long MaxObjectSize { get; set; } = 5L << 30;

    /// <summary>The largest part, S3's 5 GiB; 10,000 parts of up to this size make S3's largest object, 5 TiB and more.</summary>
    public long MaxPartSize { get; set; } = 5L << 30;

    /// <summary>Every part but the last must be at least this big (S3's 5 MiB) when the upload completes.</summary>
    public long MinPartSize { get; set; } = 5L << 20;

    /// <summary>Uploads older than this are abandoned: background cleanup aborts them and frees their parts.</summary>
    public TimeSpan UploadExpiry { get; set; } = TimeSpan.FromDays(7);

    /// <summary>A stripe read waiting longer than this percentile of recent block reads asks one more shard.</summary>
    public double HedgePercentile { get; set; } = 0.99;

    /// <summary>The hedge delay never drops below this (local disks answer in microseconds; noise is not slowness).</summary>
    public TimeSpan HedgeFloor { get; set; } = TimeSpan.FromMilliseconds(20);

    /// <summary>
    /// Free space each store keeps back from new objects (deletes, the catalogue and heal may use it); a store below it
    /// takes no new shards, and too few stores with room answer 507 InsufficientStorage. 0 turns it off.
    /// </summary>
    public long ReserveBytes { get; set; } = 512L << 20;

    /// <summary>
    /// The key of the shard footers' digest (<see cref="Storage.Format.ShardDigest"/>): set by the composition root (from the
    /// cluster secret, or dev mode's key file); the object layer refuses to start without it.
    /// </summary>
    public byte[]? ShardDigestKey { get; set; }

    /// <summary>The configured quorum (checked by <see cref="Validate"/>), or k+1 (k+m when there is no parity).</summary>
    public int EffectiveWriteQuorum => WriteQuorum ?? Math.Min(DataShards + 1, DataShards + ParityShards);

    public void Validate()
    {
        if (DataShards < 1 || ParityShards < 0 || DataShards + ParityShards > 256)
        {
            throw new ArgumentException($"Invalid erasure layout {DataShards}+{ParityShards}.");
        }
        if (MinPartSize < 0 || MaxPartSize < MinPartSize || UploadExpiry <= TimeSpan.Zero)
        {
            throw new ArgumentException("Part sizes must satisfy 0 <= MinPartSize <= MaxPartSize, and UploadExpiry must be positive.");
        }
        // A compressed payload's frame index (4 bytes a MiB, base64 in every shard's footer) must fit the 64 KiB a
        // footer may take: 8 GiB is 11 KiB of it, with room for metadata.
        if (Math.Max(MaxObjectSize, MaxPartSize) > 8L << 30)
        {
            throw new ArgumentException("MaxObjectSize and MaxPartSize are at most 8 GiB: a compressed payload's frame index lives in its footers.");
        }
        if (ReserveBytes < 0)
        {
            throw new ArgumentException($"ReserveBytes {ReserveBytes} must not be negative.");
        }
        if (ReplicateUpTo < 0)
        {
            throw new ArgumentException($"ReplicateUpTo {ReplicateUpTo} must not be negative (0 turns replication off).");
        }
        if (ReadAheadStripes is < 1 or > 64)
        {
            throw new ArgumentException($"ReadAheadStripes {ReadAheadStripes} must be 1 to 64.");
        }
        if (StripeSize is < 4096 or > 64 << 20)
        {
            throw new ArgumentException($"Stripe size {StripeSize} must be 4 KiB to 64 MiB.");
        }
        // Below k a committed object could not be read back; above k+m no write could ever commit.
        if (WriteQuorum is { } quorum && (quorum < DataShards || quorum > DataShards + ParityShards))
        {
            throw new ArgumentException(
                $"Write quorum {quorum} must be from K ({DataShards}) to K+M ({DataShards + ParityShards}) for erasure {DataShards}+{ParityShards}.");
        }
    }
}
