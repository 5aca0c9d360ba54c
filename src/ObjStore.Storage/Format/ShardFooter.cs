using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text.Json;
using System.Text.Json.Serialization;
using ObjStore.Core;

namespace ObjStore.Storage.Format;

/// <summary>
/// The self-describing end of every shard file, written at commit when the ETag and checksum are known:
/// <code>
/// offset from end  size  field
/// -20 - n          n     UTF-8 JSON: the fields below
/// -20              4     n, little-endian
/// -16              8     XxHash64 of the JSON, little-endian
/// -8               8     magic "OBJSHRD1"
/// </code>
/// A shard's data section (blocks and their checksums, <see cref="Erasure.StripeLayout"/>) precedes it from offset 0.
/// A node's folder alone is enough to rebuild the catalogue, and a scrubber can check a shard with no database.
/// Format 2 adds <see cref="Digest"/> ("digest"): the keyed digest of the data section (<see cref="ShardDigest"/>);
/// scrub reports a footer without one (format 1) as corrupt.
/// </summary>
public sealed record ShardFooter
{
    public const int TrailerSize = 20;

    /// <summary>The newest footer format this build writes and reads; a newer one is refused (<see cref="Parse"/>).</summary>
    public const int CurrentFormat = EncodedFormat;

    /// <summary>The format of a striped layout's shards: what every build since the keyed digest writes and reads.</summary>
    public const int StripedFormat = 2;

    /// <summary>
    /// The format of a replicated layout's copies: format 2 plus <see cref="Layout"/>. Only replicated shards carry
    /// it, so a build from before replication refuses them ("upgrade objstore") instead of decoding a copy as a
    /// Reed-Solomon k = 1 shard, whose parity is scaled, and "healing" the other copies into wrong bytes.
    /// </summary>
    public const int ReplicatedFormat = 3;

    /// <summary>
    /// The format of a compressed or encrypted payload's shards: format 3 plus <see cref="PlainSize"/>,
    /// <see cref="SealedKey"/>, <see cref="Frames"/> and the object's encryption. Only such shards carry it, so a
    /// build from before encryption refuses them instead of serving ciphertext as the object.
    /// </summary>
    public const int EncodedFormat = 4;

    public static ReadOnlySpan<byte> Magic => "OBJSHRD1"u8;

    // Every field has a fixed JSON name and place: renaming or moving a property must never change the disk format
    // (docs/format.md). The order is the one the first format wrote.
    [JsonPropertyName("FormatVersion"), JsonPropertyOrder(1)] public int FormatVersion { get; init; } = StripedFormat;
    [JsonPropertyName("Bucket"), JsonPropertyOrder(2)] public required string Bucket { get; init; }
    [JsonPropertyName("Key"), JsonPropertyOrder(3)] public required string Key { get; init; }
    [JsonPropertyName("DataId"), JsonPropertyOrder(4)] public required string DataId { get; init; }
    [JsonPropertyName("Index"), JsonPropertyOrder(5)] public required int Index { get; init; }
    [JsonPropertyName("DataShards"), JsonPropertyOrder(6)] public required int DataShards { get; init; }
    [JsonPropertyName("ParityShards"), JsonPropertyOrder(7)] public required int ParityShards { get; init; }
    [JsonPropertyName("StripeSize"), JsonPropertyOrder(8)] public required int StripeSize { get; init; }

    /// <summary>
    /// The bytes the shards encode: the object's size (a part's, for a part of a multipart upload), unless the
    /// payload was compressed or encrypted (format 4), when the object's size is <see cref="PlainSize"/>.
    /// </summary>
    [JsonPropertyName("Size"), JsonPropertyOrder(9)] public required long Size { get; init; }

    [JsonPropertyName("ETag"), JsonPropertyOrder(10)] public required string ETag { get; init; }
    [JsonPropertyName("Checksum"), JsonPropertyOrder(16)] public string? Checksum { get; init; }
    [JsonPropertyName("Created"), JsonPropertyOrder(17)] public required DateTimeOffset Created { get; init; }

    /// <summary>Set on parts of multipart uploads: the upload and the part's number; Size and ETag are the part's.</summary>
    [JsonPropertyName("UploadId"), JsonPropertyOrder(18)] public string? UploadId { get; init; }

    [JsonPropertyName("PartNumber"), JsonPropertyOrder(19)] public int? PartNumber { get; init; }

    /// <summary>
    /// Format 2: the keyed digest of this shard's data section (<see cref="ShardDigest"/>: AES-GMAC per stripe, HMAC
    /// of the tags), hex; set by each writer at commit (it differs per shard).
    /// </summary>
    [JsonPropertyName("digest"), JsonPropertyOrder(20)] public string? Digest { get; init; }

    /// <summary>
    /// The version the shards belong to; absent (null) for the <c>null</c> version, as every footer written before
    /// versioning is. A part's footer carries the version its upload will complete as.
    /// </summary>
    [JsonPropertyName("VersionId"), JsonPropertyOrder(21), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? VersionId { get; init; }

    /// <summary>The Object Lock retention and legal hold the version was written with (later changes live in the catalogue only).</summary>
    [JsonPropertyName("LockMode"), JsonPropertyOrder(22), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? LockMode { get; init; }

    [JsonPropertyName("RetainUntil"), JsonPropertyOrder(23), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public DateTimeOffset? RetainUntil { get; init; }

    [JsonPropertyName("LegalHold"), JsonPropertyOrder(24), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public bool LegalHold { get; init; }

    /// <summary>
    /// Format 3: how the shards encode the bytes, as its stored number (<see cref="LayoutKind"/>); absent (striped) in
    /// every footer of a striped layout, so those stay byte for byte format 2.
    /// </summary>
    [JsonPropertyName("Layout"), JsonPropertyOrder(25), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public LayoutKind Layout { get; init; }

    /// <summary>Format 4: the payload's size before compression and encryption; absent when it is stored as sent.</summary>
    [JsonPropertyName("PlainSize"), JsonPropertyOrder(27), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public long? PlainSize { get; init; }

    /// <summary>Format 4: the payload's data key, sealed (never the key itself), base64.</summary>
    [JsonPropertyName("SealedKey"), JsonPropertyOrder(28), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public byte[]? SealedKey { get; init; }

    /// <summary>Format 4: the compression frame index, base64.</summary>
    [JsonPropertyName("Frames"), JsonPropertyOrder(29), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public byte[]? Frames { get; init; }

    /// <summary>The object's (or part's) size as clients see it.</summary>
    [JsonIgnore]
    public long ObjectSize => PlainSize ?? Size;

    /// <summary>How the payload was transformed before erasure coding, as the catalogue records it.</summary>
    [JsonIgnore]
    public PartEncoding? Encoding => PlainSize is null ? null : new PartEncoding(Size) { SealedKey = SealedKey, Frames = Frames };

    /// <summary>The version's lock as the footer records it.</summary>
    [JsonIgnore]
    public ObjectLock Lock =>
        LockMode is null && !LegalHold ? ObjectLock.None
        : new(LockMode is null || RetainUntil is null ? null
            // An unknown mode in an intact footer is read as the stronger one: a rebuild must not weaken a lock.
            : new ObjectRetention(RetentionModes.Parse(LockMode) ?? RetentionMode.Compliance, RetainUntil.Value), LegalHold ? true : null);

    /// <summary>The object's metadata, stored flat in the JSON under the names and at the places below, as format 1 wrote it.</summary>
    [JsonIgnore] public ObjectMetadata Metadata { get; init; } = ObjectMetadata.Default;

    [JsonInclude, JsonPropertyName("ContentType"), JsonPropertyOrder(11)]
    private string? ContentTypeField { get => Metadata.ContentType; init => Metadata = Metadata with { ContentType = value }; }

    [JsonInclude, JsonPropertyName("Headers"), JsonPropertyOrder(12)]
    private Dictionary<string, string> HeadersField { get => new(Metadata.Headers); init => Metadata = Metadata with { Headers = value ?? [] }; }

    [JsonInclude, JsonPropertyName("UserMetadata"), JsonPropertyOrder(13)]
    private Dictionary<string, string> UserMetadataField { get => new(Metadata.UserMetadata); init => Metadata = Metadata with { UserMetadata = value ?? [] }; }

    /// <summary>Stored as its number (<see cref="Core.ChecksumAlgorithm"/> values are fixed).</summary>
    [JsonInclude, JsonPropertyName("ChecksumAlgorithm"), JsonPropertyOrder(14)]
    private ChecksumAlgorithm ChecksumAlgorithmField { get => Metadata.ChecksumAlgorithm; init => Metadata = Metadata with { ChecksumAlgorithm = value }; }

    /// <summary>Format 4: the object's server-side encryption; absent when none.</summary>
    [JsonInclude, JsonPropertyName("Encryption"), JsonPropertyOrder(26), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    private ObjectEncryption? EncryptionField { get => Metadata.Encryption; init => Metadata = Metadata with { Encryption = value }; }

    /// <summary>Absent in footers written before it was added: STANDARD.</summary>
    [JsonInclude, JsonPropertyName("StorageClass"), JsonPropertyOrder(15)]
    private string StorageClassField { get => Metadata.StorageClass; init => Metadata = Metadata with { StorageClass = value ?? "STANDARD" }; }

    /// <summary>The footer of a single-PUT object's shards (index 0; each writer sets its own).</summary>
    public static ShardFooter Describe(ObjectInfo info) =>
        Describe(info.Bucket, info.Key, info.Parts[0].Layout, info.Size, info.Parts[0].Encoding, info.ETag, info.Checksum, info.LastModified,
            info.Metadata, info.VersionId, info.Lock);

    /// <summary>The footer of a part's shards: the upload's metadata, so a lost catalogue can be rebuilt from nodes.</summary>
    public static ShardFooter Describe(
        MultipartUpload upload, int partNumber, ObjectLayout layout, long size, PartEncoding? encoding, string etag, string? checksum, DateTimeOffset created) =>
        Describe(upload.Bucket, upload.Key, layout, size, encoding, etag, checksum, created, upload.Metadata, upload.VersionId, upload.Lock) with
        {
            UploadId = upload.UploadId,
            PartNumber = partNumber,
        };

    private static ShardFooter Describe(
        string bucket, string key, ObjectLayout layout, long size, PartEncoding? encoding, string etag, string? checksum, DateTimeOffset created,
        ObjectMetadata metadata, string versionId, ObjectLock objectLock) => new()
    {
        FormatVersion = encoding is not null || metadata.Encryption is not null ? EncodedFormat
            : layout.Kind == LayoutKind.Replicated ? ReplicatedFormat : StripedFormat,
        PlainSize = encoding is null ? null : size,
        SealedKey = encoding?.SealedKey,
        Frames = encoding?.Frames,
        Layout = layout.Kind,
        VersionId = versionId == VersionIds.Null ? null : versionId,
        LockMode = objectLock.Retention is { } r ? RetentionModes.Name(r.Mode) : null,
        RetainUntil = objectLock.Retention?.RetainUntil,
        LegalHold = objectLock.LegalHold == true,
        Bucket = bucket,
        Key = key,
        DataId = layout.DataId,
        Index = 0,
        DataShards = layout.DataShards,
        ParityShards = layout.ParityShards,
        StripeSize = layout.StripeSize,
        Size = encoding?.StoredSize ?? size,
        ETag = etag,
        Checksum = checksum,
        Created = created,
        Metadata = metadata,
    };

    /// <summary>The single-PUT object this footer describes, at <paramref name="layout"/>.</summary>
    public ObjectInfo ToObject(ObjectLayout layout) => new()
    {
        Bucket = Bucket,
        Key = Key,
        Size = ObjectSize,
        ETag = ETag,
        Checksum = Checksum,
        LastModified = Created,
        Metadata = Metadata,
        VersionId = VersionId ?? VersionIds.Null,
        Lock = Lock,
        Parts = [new ObjectPart(1, 0, ObjectSize, ETag, Checksum, layout) { LastModified = Created, Encoding = Encoding }],
    };

    public byte[] Serialize()
    {
        byte[] json = JsonSerializer.SerializeToUtf8Bytes(this);
        var bytes = new byte[json.Length + TrailerSize];
        json.CopyTo(bytes, 0);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(json.Length), json.Length);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(json.Length + 4), XxHash64.HashToUInt64(json));
        Magic.CopyTo(bytes.AsSpan(json.Length + 12));
        return bytes;
    }

    /// <summary>Parses a footer from the last bytes of a shard; null when they are not a valid footer.</summary>
    public static ShardFooter? Parse(ReadOnlySpan<byte> tail)
    {
        if (tail.Length < TrailerSize || !tail[^8..].SequenceEqual(Magic))
        {
            return null;
        }
        int length = BinaryPrimitives.ReadInt32LittleEndian(tail[^TrailerSize..]);
        if (length < 2 || length > tail.Length - TrailerSize)
        {
            return null;
        }
        var json = tail.Slice(tail.Length - TrailerSize - length, length);
        if (XxHash64.HashToUInt64(json) != BinaryPrimitives.ReadUInt64LittleEndian(tail[^16..]))
        {
            return null;
        }
        ShardFooter? footer;
        try
        {
            footer = JsonSerializer.Deserialize<ShardFooter>(json);
        }
        catch (JsonException)
        {
            return null;
        }
        if (footer is { FormatVersion: > CurrentFormat })
        {
            // Intact, but written by a newer build: not corrupt, and not to be healed or collected by this one.
            throw new ShardFormatException(footer.FormatVersion);
        }
        // A layout this build knows, with the shape it has: copies have one data shard.
        return footer is null || footer.Layout is LayoutKind.Striped || (footer.Layout is LayoutKind.Replicated && footer.DataShards == 1)
            ? footer
            : null;
    }

    public override string ToString() => System.Text.Encoding.UTF8.GetString(JsonSerializer.SerializeToUtf8Bytes(this));
}

/// <summary>A shard written in a footer format newer than this build reads: run a newer objstore.</summary>
public sealed class ShardFormatException(int format)
    : IOException($"The shard's footer is format {format}, newer than this build reads ({ShardFooter.CurrentFormat}); upgrade objstore.")
{
    public int Format { get; } = format;
}
