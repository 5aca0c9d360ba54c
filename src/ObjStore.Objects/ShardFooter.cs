using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using ObjStore.Core;

namespace ObjStore.Objects;

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
    public static ReadOnlySpan<byte> Magic => "OBJSHRD1"u8;

    public int FormatVersion { get; init; } = 2;
    public required string Bucket { get; init; }
    public required string Key { get; init; }
    public required string DataId { get; init; }
    public required int Index { get; init; }
    public required int DataShards { get; init; }
    public required int ParityShards { get; init; }
    public required int StripeSize { get; init; }
    public required long Size { get; init; }
    public required string ETag { get; init; }
    public string? ContentType { get; init; }
    public Dictionary<string, string> Headers { get; init; } = [];
    public Dictionary<string, string> UserMetadata { get; init; } = [];
    public ChecksumAlgorithm ChecksumAlgorithm { get; init; }

    /// <summary>The object's storage class, so a catalogue rebuilt from footers keeps it (absent in older footers: STANDARD).</summary>
    public string StorageClass { get; init; } = "STANDARD";
    public string? Checksum { get; init; }
    public required DateTimeOffset Created { get; init; }

    /// <summary>Set on parts of multipart uploads: the upload and the part's number; Size and ETag are the part's.</summary>
    public string? UploadId { get; init; }
    public int? PartNumber { get; init; }

    /// <summary>
    /// Format 2: the keyed digest of this shard's data section (<see cref="ShardDigest"/>: AES-GMAC per stripe, HMAC
    /// of the tags), hex;
    /// set by each writer at commit (it differs per shard).
    /// </summary>
    [JsonPropertyName("digest")]
    public string? Digest { get; init; }

    /// <summary>The footer of a single-PUT object's shards (index 0; each writer sets its own).</summary>
    public static ShardFooter Describe(ObjectInfo info)
    {
        var layout = info.Parts[0].Layout;
        return new ShardFooter
        {
            Bucket = info.Bucket,
            Key = info.Key,
            DataId = layout.DataId,
            Index = 0,
            DataShards = layout.DataShards,
            ParityShards = layout.ParityShards,
            StripeSize = layout.StripeSize,
            Size = info.Size,
            ETag = info.ETag,
            ContentType = info.ContentType,
            Headers = new(info.Headers),
            UserMetadata = new(info.UserMetadata),
            ChecksumAlgorithm = info.ChecksumAlgorithm,
            Checksum = info.Checksum,
            StorageClass = info.StorageClass,
            Created = info.LastModified,
        };
    }

    /// <summary>The footer of a part's shards: the upload's metadata, so a lost catalogue can be rebuilt from nodes.</summary>
    public static ShardFooter Describe(MultipartUpload upload, int partNumber, ObjectLayout layout, long size, string etag, string? checksum, DateTimeOffset created) => new()
    {
        Bucket = upload.Bucket,
        Key = upload.Key,
        DataId = layout.DataId,
        Index = 0,
        DataShards = layout.DataShards,
        ParityShards = layout.ParityShards,
        StripeSize = layout.StripeSize,
        Size = size,
        ETag = etag,
        ContentType = upload.ContentType,
        Headers = new(upload.Headers),
        UserMetadata = new(upload.UserMetadata),
        ChecksumAlgorithm = upload.ChecksumAlgorithm,
        Checksum = checksum,
        StorageClass = upload.StorageClass,
        Created = created,
        UploadId = upload.UploadId,
        PartNumber = partNumber,
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
        try
        {
            return JsonSerializer.Deserialize<ShardFooter>(json);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public override string ToString() => Encoding.UTF8.GetString(JsonSerializer.SerializeToUtf8Bytes(this));
}
