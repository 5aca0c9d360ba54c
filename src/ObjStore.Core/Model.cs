namespace ObjStore.Core;

public sealed record BucketInfo(string Name, DateTimeOffset Created)
{
    public VersioningState Versioning { get; init; }

    /// <summary>Set at creation (or by PutObjectLockConfiguration on a versioned bucket), never unset.</summary>
    public bool ObjectLockEnabled { get; init; }

    public DefaultRetention? DefaultRetention { get; init; }

    /// <summary>The canonical id of the user that created the bucket (the root user's for buckets made before users).</summary>
    public string Owner { get; init; } = "";

    /// <summary>
    /// The bucket's stored configuration documents by kind (<see cref="BucketConfigKinds"/>): its policy, ACL, CORS
    /// rules, public access block, ownership controls. Read with the bucket, so one lookup serves a request.
    /// </summary>
    public IReadOnlyDictionary<string, string> Configs { get; init; } = new Dictionary<string, string>();

    /// <summary>The version id a write into this bucket makes now: a new one when enabled, else <c>null</c>.</summary>
    public string NewVersionId(DateTimeOffset now) => Versioning == VersioningState.Enabled ? VersionIds.New(now) : VersionIds.Null;
}

/// <summary>The kinds of bucket configuration document the catalogue keeps (one row each; opaque to it).</summary>
public static class BucketConfigKinds
{
    public const string Policy = "policy";
    public const string Acl = "acl";
    public const string Cors = "cors";
    public const string PublicAccessBlock = "public-access-block";
    public const string OwnershipControls = "ownership-controls";
    public const string Tagging = "tagging";
    public const string Lifecycle = "lifecycle";

    /// <summary>Default encryption (Put/GetBucketEncryption), as <c>ObjectEncryption</c> JSON.</summary>
    public const string Encryption = "encryption";

    /// <summary>Compression settings (<see cref="CompressionSettings"/>), an admin setting.</summary>
    public const string Compression = "compression";
}

/// <summary>The flexible checksums S3 knows. The numbers are stored (catalogue rows, shard footers): never renumber.</summary>
public enum ChecksumAlgorithm
{
    None = 0,
    Crc32 = 1,
    Crc32C = 2,
    Crc64Nvme = 3,
    Sha1 = 4,
    Sha256 = 5,
}

/// <summary>
/// What an object carries from its PUT (or its upload's creation) to every GET. The catalogue row, every shard footer
/// and the S3 layer share this one record, so a field added here reaches all three.
/// </summary>
public sealed record ObjectMetadata
{
    public static readonly ObjectMetadata Default = new();

    public string? ContentType { get; init; }

    /// <summary>Stored response headers: Cache-Control, Content-Disposition, Content-Encoding, Content-Language, Expires.</summary>
    public IReadOnlyDictionary<string, string> Headers { get; init; } = new Dictionary<string, string>();

    /// <summary>x-amz-meta-* values, keyed by the lower-case suffix.</summary>
    public IReadOnlyDictionary<string, string> UserMetadata { get; init; } = new Dictionary<string, string>();

    public ChecksumAlgorithm ChecksumAlgorithm { get; init; }

    public string StorageClass { get; init; } = "STANDARD";

    /// <summary>Server-side encryption; null: stored as sent (compression aside, which is per part and invisible).</summary>
    public ObjectEncryption? Encryption { get; init; }
}

/// <summary>
/// How an object's shards encode its bytes. The numbers are stored (catalogue rows, shard footers): never renumber.
/// </summary>
public enum LayoutKind
{
    /// <summary>Reed-Solomon striping: k data shards and m parity shards, any k of which rebuild the object.</summary>
    Striped = 0,

    /// <summary>
    /// Full copies: k is 1 and every one of the 1+m shards holds all the bytes (a small object: one file per copy, one
    /// read per GET). Not the same as Reed-Solomon with k = 1, whose parity shards are scaled copies.
    /// </summary>
    Replicated = 1,
}

/// <summary>Where an object's bytes live: the erasure layout and the shard stores holding shards 0..k+m-1.</summary>
public sealed record ObjectLayout(int DataShards, int ParityShards, int StripeSize, string DataId, IReadOnlyList<string> Placement)
{
    /// <summary>The code of the shards; everything written before replication existed is striped.</summary>
    public LayoutKind Kind { get; init; } = LayoutKind.Striped;

    public int TotalShards => DataShards + ParityShards;
}

/// <summary>
/// One independently erasure-coded run of an object's bytes: the whole object of a single PUT (number 1), or one part
/// of a multipart upload. Offset is where it starts in the object.
/// </summary>
public sealed record ObjectPart(int Number, long Offset, long Size, string ETag, string? Checksum, ObjectLayout Layout)
{
    public DateTimeOffset LastModified { get; init; }

    /// <summary>How the part's bytes were compressed or encrypted before erasure coding; null: stored as sent.</summary>
    public PartEncoding? Encoding { get; init; }

    /// <summary>The bytes the shards encode: <see cref="Size"/> unless the part is compressed or encrypted.</summary>
    public long StoredSize => Encoding?.StoredSize ?? Size;
}

/// <summary>A listing entry: what ListObjects reports of a key, without the part layout.</summary>
public sealed record ObjectSummary(
    string Key, long Size, string ETag, DateTimeOffset LastModified, string StorageClass, ChecksumAlgorithm ChecksumAlgorithm)
{
    /// <summary>As <see cref="ObjectInfo.Owner"/>.</summary>
    public string? Owner { get; init; }
}

/// <summary>A ListObjectVersions entry: a version or a delete marker.</summary>
public sealed record VersionSummary(ObjectSummary Entry, string VersionId, bool IsLatest, bool IsDeleteMarker);

/// <summary>A committed object as the catalogue knows it.</summary>
public sealed record ObjectInfo
{
    public required string Bucket { get; init; }
    public required string Key { get; init; }
    public required long Size { get; init; }

    /// <summary>Hex MD5 of the content, unquoted.</summary>
    public required string ETag { get; init; }

    public required DateTimeOffset LastModified { get; init; }

    public ObjectMetadata Metadata { get; init; } = ObjectMetadata.Default;

    /// <summary>Base64 of the checksum (in <see cref="ObjectMetadata.ChecksumAlgorithm"/>) of the whole content, when one was requested.</summary>
    public string? Checksum { get; init; }

    /// <summary>The object's bytes in order: one part for a single PUT, the completed parts of a multipart upload.</summary>
    public required IReadOnlyList<ObjectPart> Parts { get; init; }

    /// <summary>True when the object was assembled by CompleteMultipartUpload (its ETag then ends in -N).</summary>
    public bool IsMultipart { get; init; }

    /// <summary>The upload a multipart object was completed from; null for a single PUT.</summary>
    public string? UploadId { get; init; }

    public string VersionId { get; init; } = VersionIds.Null;

    /// <summary>A delete marker: a version with no content that makes its key look deleted while it is the latest.</summary>
    public bool IsDeleteMarker { get; init; }

    /// <summary>True when no newer version of the key exists (as read; a GET of the key without a version id reads the latest).</summary>
    public bool IsLatest { get; init; } = true;

    public ObjectLock Lock { get; init; } = ObjectLock.None;

    /// <summary>The version's access control list (JSON, see ObjStore.Access); null: the bucket owner has full control.</summary>
    public string? Acl { get; init; }

    /// <summary>The canonical id of the version's owner when it is not the bucket owner (a writer, where ACLs are enabled).</summary>
    public string? Owner { get; init; }

    /// <summary>The version's tags (at most 10; keys unique).</summary>
    public IReadOnlyDictionary<string, string> Tags { get; init; } = new Dictionary<string, string>();

    /// <summary>
    /// The bucket's versioning when this version was read or written (not stored with it): a response names the
    /// version, <c>null</c> included, only when the bucket's versioning was ever enabled.
    /// </summary>
    public VersioningState BucketVersioning { get; init; }
}

/// <summary>An upload in progress: the object's metadata, fixed when the upload was created.</summary>
public sealed record MultipartUpload
{
    public required string UploadId { get; init; }
    public required string Bucket { get; init; }
    public required string Key { get; init; }
    public required DateTimeOffset Initiated { get; init; }
    public ObjectMetadata Metadata { get; init; } = ObjectMetadata.Default;

    /// <summary>The version id the completed object will have, decided when the upload was created.</summary>
    public string VersionId { get; init; } = VersionIds.Null;

    /// <summary>The lock the completed object will have.</summary>
    public ObjectLock Lock { get; init; } = ObjectLock.None;

    /// <summary>The ACL the completed object will have (as <see cref="ObjectInfo.Acl"/>).</summary>
    public string? Acl { get; init; }

    /// <summary>The completed object's owner (as <see cref="ObjectInfo.Owner"/>).</summary>
    public string? Owner { get; init; }

    /// <summary>The completed object's tags.</summary>
    public IReadOnlyDictionary<string, string> Tags { get; init; } = new Dictionary<string, string>();
}

/// <summary>A part as UploadPart stored it, with its upload's encryption (which the response reports).</summary>
public sealed record StoredPart(ObjectPart Part, ObjectEncryption? Encryption);

/// <summary>A part named in CompleteMultipartUpload: its number, the ETag the client got, and optionally a checksum.</summary>
public sealed record CompletedPart(int Number, string ETag, string? Checksum = null);

/// <summary>One page of ListParts.</summary>
public sealed record PartsPage(MultipartUpload Upload, IReadOnlyList<ObjectPart> Parts, bool IsTruncated);

/// <summary>One page of ListMultipartUploads, in (key, initiation) order.</summary>
public sealed record UploadsPage(
    IReadOnlyList<MultipartUpload> Uploads, IReadOnlyList<string> CommonPrefixes, bool IsTruncated, string? NextKeyMarker, string? NextUploadIdMarker);

public sealed record ListUploadsRequest
{
    public required string Bucket { get; init; }
    public string Prefix { get; init; } = "";
    public string? Delimiter { get; init; }
    public string? KeyMarker { get; init; }
    public string? UploadIdMarker { get; init; }
    public int MaxUploads { get; init; } = 1000;
}

/// <summary>What a PUT brings besides the body.</summary>
public sealed record PutObjectRequest
{
    public required string Bucket { get; init; }
    public required string Key { get; init; }

    /// <summary>The object's metadata; its checksum algorithm is the one the body is checked (and stored) with.</summary>
    public ObjectMetadata Metadata { get; init; } = ObjectMetadata.Default;

    /// <summary>Exact body length when the client declared it; the body must then have exactly this many bytes.</summary>
    public long? DeclaredLength { get; init; }

    /// <summary>Content-MD5, decoded; BadDigest when the body differs.</summary>
    public byte[]? ExpectedMd5 { get; init; }

    /// <summary>
    /// The expected checksum (base64), read once the body has ended, since aws-chunked bodies carry it in a trailer.
    /// Null result: none was sent, the computed value is stored.
    /// </summary>
    public Func<string?>? ExpectedChecksum { get; init; }

    /// <summary>If-Match on PUT: commit only if the current ETag equals this (unquoted).</summary>
    public string? IfMatch { get; init; }

    /// <summary>If-None-Match: * on PUT: commit only if no object exists at the key.</summary>
    public bool IfNoneMatchAny { get; init; }

    /// <summary>The Object Lock the request asks for; null: the bucket's default retention, if any.</summary>
    public ObjectLock? Lock { get; init; }

    /// <summary>The new version's ACL (as <see cref="ObjectInfo.Acl"/>).</summary>
    public string? Acl { get; init; }

    /// <summary>The new version's owner (as <see cref="ObjectInfo.Owner"/>).</summary>
    public string? Owner { get; init; }

    /// <summary>The new version's tags.</summary>
    public IReadOnlyDictionary<string, string> Tags { get; init; } = new Dictionary<string, string>();

    /// <summary>SSE-C: the client's key (the mode itself is <see cref="ObjectMetadata.Encryption"/>).</summary>
    public CustomerKey? CustomerKey { get; init; }
}

/// <summary>One page of a listing: keys (with their objects) and common prefixes, in UTF-8 binary order.</summary>
public sealed record ListPage(
    IReadOnlyList<ObjectSummary> Objects, IReadOnlyList<string> CommonPrefixes, bool IsTruncated, string? NextMarker);

public sealed record ListRequest
{
    public required string Bucket { get; init; }
    public string Prefix { get; init; } = "";
    public string? Delimiter { get; init; }

    /// <summary>List only keys (and prefixes) strictly after this one.</summary>
    public string? StartAfter { get; init; }

    public int MaxKeys { get; init; } = 1000;
}

public sealed record ListVersionsRequest
{
    public required string Bucket { get; init; }
    public string Prefix { get; init; } = "";
    public string? Delimiter { get; init; }

    /// <summary>List versions after this key (all of its versions, unless <see cref="VersionIdMarker"/> names one).</summary>
    public string? KeyMarker { get; init; }

    /// <summary>With <see cref="KeyMarker"/>: list that key's versions older than this one, then later keys.</summary>
    public string? VersionIdMarker { get; init; }

    public int MaxKeys { get; init; } = 1000;
}

/// <summary>One page of ListObjectVersions: keys in UTF-8 binary order, each key's versions newest first.</summary>
public sealed record VersionsPage(
    IReadOnlyList<VersionSummary> Versions, IReadOnlyList<string> CommonPrefixes, bool IsTruncated, string? NextKeyMarker, string? NextVersionIdMarker);
