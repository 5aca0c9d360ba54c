namespace ObjStore.Core;

public sealed record BucketInfo(string Name, DateTimeOffset Created);

/// <summary>The flexible checksums S3 knows.</summary>
public enum ChecksumAlgorithm
{
    None,
    Crc32,
    Crc32C,
    Crc64Nvme,
    Sha1,
    Sha256,
}

/// <summary>Where an object's bytes live: the erasure layout and the shard stores holding shards 0..k+m-1.</summary>
public sealed record ObjectLayout(int DataShards, int ParityShards, int StripeSize, string DataId, IReadOnlyList<string> Placement);

/// <summary>A committed object as the catalogue knows it.</summary>
public sealed record ObjectInfo
{
    public required string Bucket { get; init; }
    public required string Key { get; init; }
    public required long Size { get; init; }

    /// <summary>Hex MD5 of the content, unquoted.</summary>
    public required string ETag { get; init; }

    public required DateTimeOffset LastModified { get; init; }
    public string? ContentType { get; init; }

    /// <summary>Stored response headers: Cache-Control, Content-Disposition, Content-Encoding, Content-Language, Expires.</summary>
    public IReadOnlyDictionary<string, string> Headers { get; init; } = new Dictionary<string, string>();

    /// <summary>x-amz-meta-* values, keyed by the lower-case suffix.</summary>
    public IReadOnlyDictionary<string, string> UserMetadata { get; init; } = new Dictionary<string, string>();

    public ChecksumAlgorithm ChecksumAlgorithm { get; init; }

    /// <summary>Base64 of the checksum of the whole content, when one was requested.</summary>
    public string? Checksum { get; init; }

    public string StorageClass { get; init; } = "STANDARD";
    public required ObjectLayout Layout { get; init; }
}

/// <summary>What a PUT brings besides the body.</summary>
public sealed record PutObjectRequest
{
    public required string Bucket { get; init; }
    public required string Key { get; init; }
    public string? ContentType { get; init; }
    public IReadOnlyDictionary<string, string> Headers { get; init; } = new Dictionary<string, string>();
    public IReadOnlyDictionary<string, string> UserMetadata { get; init; } = new Dictionary<string, string>();
    public string StorageClass { get; init; } = "STANDARD";

    /// <summary>Exact body length when the client declared it; the body must then have exactly this many bytes.</summary>
    public long? DeclaredLength { get; init; }

    /// <summary>Content-MD5, decoded; BadDigest when the body differs.</summary>
    public byte[]? ExpectedMd5 { get; init; }

    public ChecksumAlgorithm ChecksumAlgorithm { get; init; }

    /// <summary>
    /// The expected checksum (base64), read once the body has ended, since aws-chunked bodies carry it in a trailer.
    /// Null result: none was sent, the computed value is stored.
    /// </summary>
    public Func<string?>? ExpectedChecksum { get; init; }

    /// <summary>If-Match on PUT: commit only if the current ETag equals this (unquoted).</summary>
    public string? IfMatch { get; init; }

    /// <summary>If-None-Match: * on PUT: commit only if no object exists at the key.</summary>
    public bool IfNoneMatchAny { get; init; }
}

/// <summary>One page of a listing: keys (with their objects) and common prefixes, in UTF-8 binary order.</summary>
public sealed record ListPage(
    IReadOnlyList<ObjectInfo> Objects, IReadOnlyList<string> CommonPrefixes, bool IsTruncated, string? NextMarker);

public sealed record ListRequest
{
    public required string Bucket { get; init; }
    public string Prefix { get; init; } = "";
    public string? Delimiter { get; init; }

    /// <summary>List only keys (and prefixes) strictly after this one.</summary>
    public string? StartAfter { get; init; }

    public int MaxKeys { get; init; } = 1000;
}
