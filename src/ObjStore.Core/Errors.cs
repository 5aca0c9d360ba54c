namespace ObjStore.Core;

/// <summary>What went wrong, in the object layer's words; the S3 layer maps each kind to one S3 error.</summary>
public enum ErrorKind
{
    NoSuchBucket,
    NoSuchKey,
    BucketAlreadyOwnedByYou,
    BucketAlreadyExists,
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
    InsufficientStorage,
    AccessDenied,
    NoSuchVersion,
    InvalidBucketState,
    ObjectLockConfigurationNotFound,
    NoSuchObjectLockConfiguration,
    MethodNotAllowed,

    /// <summary>SSE-KMS named a key the key provider does not have.</summary>
    KmsKeyNotFound,

    /// <summary>A data key cannot be opened here: sealed under a master key this process was not given.</summary>
    KeyUnavailable,

    /// <summary>Something the request depended on changed while it ran; a retry will see the new state.</summary>
    ConcurrentChange,
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

/// <summary>
/// Too few stores with room (free space above the reserve, or not out of space) for the write quorum: nothing was
/// committed. Unlike a lost quorum, retrying soon will not help, so it is not reported as "slow down".
/// </summary>
public sealed class InsufficientStorageException(int have, int need)
    : ObjectStoreException(ErrorKind.InsufficientStorage,
        $"Not enough free space: {have} stores can take the write, {need} needed. Delete objects or add capacity.");

/// <summary>A store is out of space (ENOSPC, or below its reserve): this shard cannot be written there.</summary>
public sealed class StoreFullException(string message, Exception? inner = null) : IOException(message, inner)
{
    /// <summary>True for the errors a full filesystem gives: ENOSPC and EDQUOT (Linux 28 and 122, macOS 28 and 69), or
    /// ERROR_DISK_FULL and ERROR_HANDLE_DISK_FULL on Windows. .NET puts the errno (or Win32 code) in HResult.</summary>
    public static bool IsDiskFull(IOException e) => (e.HResult & 0xFFFF) switch
    {
        28 => !OperatingSystem.IsWindows(),
        122 => OperatingSystem.IsLinux(),
        69 => OperatingSystem.IsMacOS(),
        0x70 or 0x27 => OperatingSystem.IsWindows(),
        _ => false,
    };
}

/// <summary>A shard is not on its store.</summary>
public sealed class ShardNotFoundException(string shardId) : IOException($"Shard {shardId} not found.")
{
    public string ShardId { get; } = shardId;
}

/// <summary>A whole store is unreachable (a node marked down): every shard on it is, no single shard is at fault.</summary>
public class StoreUnavailableException(string message, Exception? inner = null) : IOException(message, inner);
