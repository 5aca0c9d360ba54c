namespace ObjStore.Core;

/// <summary>
/// The object layer's seam: what the S3 front end (or any other API) may ask of the store. Implementations stream;
/// no call holds a whole object in memory.
/// </summary>
public interface IObjectLayer
{
    /// <summary>
    /// Creates a bucket owned by <paramref name="owner"/> (a canonical id, "" for the root user) with its first
    /// configuration documents; with <paramref name="objectLock"/>, with Object Lock and versioning enabled.
    /// </summary>
    /// <exception cref="ObjectStoreException">BucketAlreadyOwnedByYou or BucketAlreadyExists (another owner's).</exception>
    Task CreateBucketAsync(string bucket, bool objectLock, string owner, IReadOnlyDictionary<string, string> configs, CancellationToken cancellationToken);
    Task DeleteBucketAsync(string bucket, CancellationToken cancellationToken);
    /// <summary>The bucket with its configuration documents.</summary>
    Task<BucketInfo?> GetBucketAsync(string bucket, CancellationToken cancellationToken);

    /// <summary>Stores one configuration document of the bucket (<see cref="BucketConfigKinds"/>). NoSuchBucket.</summary>
    Task PutBucketConfigAsync(string bucket, string kind, string document, CancellationToken cancellationToken);

    /// <summary>Removes one configuration document; false when there was none. NoSuchBucket.</summary>
    Task<bool> DeleteBucketConfigAsync(string bucket, string kind, CancellationToken cancellationToken);
    Task<IReadOnlyList<BucketInfo>> ListBucketsAsync(CancellationToken cancellationToken);

    /// <exception cref="ObjectStoreException">NoSuchBucket; InvalidBucketState when suspending a bucket with Object Lock.</exception>
    Task SetBucketVersioningAsync(string bucket, VersioningState state, CancellationToken cancellationToken);

    /// <summary>Enables Object Lock on a versioned bucket and sets (or clears) its default retention.</summary>
    Task SetObjectLockConfigurationAsync(string bucket, DefaultRetention? defaultRetention, CancellationToken cancellationToken);

    /// <summary>Stores the body; the object is visible only once this returns.</summary>
    Task<ObjectInfo> PutObjectAsync(PutObjectRequest request, Stream body, CancellationToken cancellationToken);

    /// <summary>
    /// The latest version of the key, or the version named (<see cref="VersionIds.Null"/> names the null version). It
    /// may be a delete marker (<see cref="ObjectInfo.IsDeleteMarker"/>): the caller answers for it.
    /// </summary>
    /// <exception cref="ObjectStoreException">NoSuchBucket, NoSuchKey or NoSuchVersion.</exception>
    Task<ObjectInfo> GetObjectInfoAsync(string bucket, string key, string? versionId, CancellationToken cancellationToken);

    /// <summary>Writes bytes [offset, offset+length) of a committed object, reconstructing lost shards on the fly.</summary>
    /// <param name="customerKey">An SSE-C object's key, as the client sent it (AccessDenied when it is not the object's).</param>
    Task ReadObjectAsync(ObjectInfo info, long offset, long length, Stream destination, CustomerKey? customerKey, CancellationToken cancellationToken);

    /// <summary>
    /// S3's DELETE: with a version id removes that version for good (refused under Object Lock, unless a GOVERNANCE
    /// retention is bypassed); without one removes the object, or in a versioned bucket adds a delete marker.
    /// </summary>
    Task<DeleteOutcome> DeleteObjectAsync(string bucket, string key, string? versionId, bool bypassGovernance, CancellationToken cancellationToken);

    /// <summary>Sets a version's retention (null removes it) under the Object Lock rules; returns the version id.</summary>
    Task<string> SetObjectRetentionAsync(string bucket, string key, string? versionId, ObjectRetention? retention, bool bypassGovernance, CancellationToken cancellationToken);

    /// <summary>Sets or clears a version's legal hold; returns the version id.</summary>
    Task<string> SetObjectLegalHoldAsync(string bucket, string key, string? versionId, bool legalHold, CancellationToken cancellationToken);

    /// <summary>Replaces a version's ACL (the latest when <paramref name="versionId"/> is null); returns the version id.</summary>
    Task<string> SetObjectAclAsync(string bucket, string key, string? versionId, string? acl, CancellationToken cancellationToken);

    /// <summary>Replaces a version's tags (the latest when <paramref name="versionId"/> is null); returns the version id.</summary>
    Task<string> SetObjectTagsAsync(string bucket, string key, string? versionId, IReadOnlyDictionary<string, string> tags, CancellationToken cancellationToken);

    /// <summary>Copies a committed object's content under a new request (metadata already decided by the caller).</summary>
    Task<ObjectInfo> CopyObjectAsync(ObjectInfo source, CustomerKey? sourceKey, PutObjectRequest destination, CancellationToken cancellationToken);

    Task<ListPage> ListObjectsAsync(ListRequest request, CancellationToken cancellationToken);

    Task<VersionsPage> ListObjectVersionsAsync(ListVersionsRequest request, CancellationToken cancellationToken);

    // ---- multipart ----

    /// <summary>Starts an upload carrying the request's metadata and checksum algorithm.</summary>
    Task<MultipartUpload> CreateMultipartUploadAsync(PutObjectRequest request, CancellationToken cancellationToken);

    /// <summary>Stores one part (erasure-coded as it arrives); replaces an earlier part with the same number.</summary>
    /// <exception cref="ObjectStoreException">NoSuchUpload, InvalidArgument (part number), BadDigest, ...</exception>
    Task<StoredPart> UploadPartAsync(PutObjectRequest request, string uploadId, int partNumber, Stream body, CancellationToken cancellationToken);

    /// <summary>Stores bytes [offset, offset+length) of a committed object as a part.</summary>
    Task<StoredPart> UploadPartCopyAsync(
        PutObjectRequest request, string uploadId, int partNumber, ObjectInfo source, CustomerKey? sourceKey, long offset, long length,
        CancellationToken cancellationToken);

    /// <summary>Makes the named parts the object at the upload's key; writes metadata only, no data moves.</summary>
    Task<ObjectInfo> CompleteMultipartUploadAsync(
        string bucket, string key, string uploadId, IReadOnlyList<CompletedPart> parts, CancellationToken cancellationToken);

    /// <summary>Ends the upload and frees every part's shards.</summary>
    Task AbortMultipartUploadAsync(string bucket, string key, string uploadId, CancellationToken cancellationToken);

    Task<PartsPage> ListPartsAsync(string bucket, string key, string uploadId, int partNumberMarker, int maxParts, CancellationToken cancellationToken);

    Task<UploadsPage> ListMultipartUploadsAsync(ListUploadsRequest request, CancellationToken cancellationToken);

    /// <summary>Whether the store can serve reads and writes now, with each shard store's state and free space.</summary>
    Task<Readiness> GetReadinessAsync(CancellationToken cancellationToken);
}

/// <summary>
/// Ready when enough shard stores answer for a write quorum (reads and deletes work, so a load balancer keeps the
/// gateway); writable when enough of them also have room above the reserve, else new objects get 507.
/// </summary>
public sealed record Readiness(bool Ready, bool Writable, IReadOnlyList<StoreReadiness> Stores);

public sealed record StoreReadiness(string Id, bool Up, bool Full, long FreeBytes, long TotalBytes);
