namespace ObjStore.Core;

/// <summary>What went wrong, in the object layer's words; the S3 layer maps each kind to one S3 error.</summary>
public enum ErrorKind
{
    NoSuchBucket,
    NoSuchKey,
    BucketAlreadyOwnedByYou,
    BucketNotEmpty,
    InvalidBucketName,
    KeyTooLong,
    PreconditionFailed,
    BadDigest,
    IncompleteBody,
    EntityTooLarge,
    InvalidArgument,
    InvalidRequest,
    MalformedXml,
    NoSuchUpload,
    InvalidPart,
    InvalidPartOrder,
    EntityTooSmall,
    ReadQuorumLost,
    WriteQuorumLost,
}

/// <summary>A typed failure crossing the object layer's seam; never matched on its message.</summary>
public class ObjectStoreException(ErrorKind kind, string message, Exception? inner = null) : Exception(message, inner)
{
    public ErrorKind Kind { get; } = kind;
}

/// <summary>Fewer than k shards could be read: the data cannot be served (and wrong bytes never are).</summary>
public sealed class ReadQuorumException(int have, int need, string detail)
    : ObjectStoreException(ErrorKind.ReadQuorumLost, $"Read quorum lost: {have} good shards, {need} needed ({detail}).")
{
    public int Have { get; } = have;
    public int Need { get; } = need;
}

/// <summary>Fewer shards than the write quorum became durable: nothing was committed.</summary>
public sealed class WriteQuorumException(int have, int need, string detail)
    : ObjectStoreException(ErrorKind.WriteQuorumLost, $"Write quorum lost: {have} shards durable, {need} needed ({detail}).")
{
    public int Have { get; } = have;
    public int Need { get; } = need;
}

/// <summary>A shard is not on its store.</summary>
public sealed class ShardNotFoundException(string shardId) : IOException($"Shard {shardId} not found.")
{
    public string ShardId { get; } = shardId;
}

/// <summary>A whole store is unreachable (a node marked down): every shard on it is, no single shard is at fault.</summary>
public class StoreUnavailableException(string message) : IOException(message);
