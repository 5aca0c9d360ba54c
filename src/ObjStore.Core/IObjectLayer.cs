namespace ObjStore.Core;

/// <summary>
/// The object layer's seam: what the S3 front end (or any other API) may ask of the store. Implementations stream;
/// no call holds a whole object in memory.
/// </summary>
public interface IObjectLayer
{
    Task CreateBucketAsync(string bucket, CancellationToken cancellationToken);
    Task DeleteBucketAsync(string bucket, CancellationToken cancellationToken);
    Task<BucketInfo?> GetBucketAsync(string bucket, CancellationToken cancellationToken);
    Task<IReadOnlyList<BucketInfo>> ListBucketsAsync(CancellationToken cancellationToken);

    /// <summary>Stores the body; the object is visible only once this returns.</summary>
    Task<ObjectInfo> PutObjectAsync(PutObjectRequest request, Stream body, CancellationToken cancellationToken);

    /// <exception cref="ObjectStoreException">NoSuchBucket or NoSuchKey.</exception>
    Task<ObjectInfo> GetObjectInfoAsync(string bucket, string key, CancellationToken cancellationToken);

    /// <summary>Writes bytes [offset, offset+length) of a committed object, reconstructing lost shards on the fly.</summary>
    Task ReadObjectAsync(ObjectInfo info, long offset, long length, Stream destination, CancellationToken cancellationToken);

    /// <summary>Deletes the object; true when it existed.</summary>
    Task<bool> DeleteObjectAsync(string bucket, string key, CancellationToken cancellationToken);

    /// <summary>Copies a committed object's content under a new request (metadata already decided by the caller).</summary>
    Task<ObjectInfo> CopyObjectAsync(ObjectInfo source, PutObjectRequest destination, CancellationToken cancellationToken);

    Task<ListPage> ListObjectsAsync(ListRequest request, CancellationToken cancellationToken);

    /// <summary>True when the store can serve reads and writes now.</summary>
    Task<bool> IsReadyAsync(CancellationToken cancellationToken);
}
