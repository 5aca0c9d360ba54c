using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;
using System.Text.Json;
using ObjStore.Core;
using ObjStore.Storage.Format;

namespace ObjStore.Storage.Tests;

/// <summary>
/// The shard footer, byte for byte (docs/format.md): every shard on every disk was written in this format, so a
/// change here must be a new format version with a reader for the old one, never an accident of a refactoring.
/// </summary>
public sealed class ShardFooterFormatTests
{
    /// <summary>One footer with every field set.</summary>
    internal static ShardFooter Golden() => new()
    {
        Bucket = "photos",
        Key = "2026/12/01/cat.jpg",
        DataId = "0123456789abcdef0123456789abcdef",
        Index = 4,
        DataShards = 4,
        ParityShards = 2,
        StripeSize = 1 << 20,
        Size = 5_000_000,
        ETag = "9e107d9d372bb6826bd81d3542a419d6",
        Checksum = "yZRlqg==",
        Created = new DateTimeOffset(2026, 12, 1, 12, 34, 56, 789, TimeSpan.FromHours(1)),
        UploadId = "upload-0001",
        PartNumber = 3,
        Digest = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff",
        Metadata = new ObjectMetadata
        {
            ContentType = "image/jpeg",
            Headers = new Dictionary<string, string> { ["Cache-Control"] = "max-age=60" },
            UserMetadata = new Dictionary<string, string> { ["camera"] = "x100" },
            ChecksumAlgorithm = ChecksumAlgorithm.Crc32C,
            StorageClass = "GLACIER",
        },
    };

    /// <summary>
    /// <see cref="Golden"/>'s footer JSON as every build since format 1 writes it: the names of docs/format.md's table,
    /// in this order,
    /// ChecksumAlgorithm as its number (2, CRC32C), Created in ISO 8601 with its offset.
    /// </summary>
    private const string GoldenJson =
        "{\"FormatVersion\":2,\"Bucket\":\"photos\",\"Key\":\"2026/12/01/cat.jpg\",\"DataId\":\"0123456789abcdef0123456789abcdef\","
        + "\"Index\":4,\"DataShards\":4,\"ParityShards\":2,\"StripeSize\":1048576,\"Size\":5000000,"
        + "\"ETag\":\"9e107d9d372bb6826bd81d3542a419d6\","
        + "\"ContentType\":\"image/jpeg\",\"Headers\":{\"Cache-Control\":\"max-age=60\"},\"UserMetadata\":{\"camera\":\"x100\"},"
        + "\"ChecksumAlgorithm\":2,\"StorageClass\":\"GLACIER\","
        + "\"Checksum\":\"yZRlqg==\",\"Created\":\"2026-12-01T12:34:56.789+01:00\","
        + "\"UploadId\":\"upload-0001\",\"PartNumber\":3,\"digest\":\"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\"}";

    /// <summary>
    /// The 20-byte trailer after it: 556 (the JSON's length) as int32 LE, XxHash64 (seed 0) of the JSON as uint64 LE
    /// (0x1240d7404f62debc, checked against an independent implementation), and "OBJSHRD1".
    /// </summary>
    private const string GoldenTrailerHex = "2c020000" + "bcde624f40d74012" + "4f424a5348524431";

    private static byte[] GoldenBytes() => [.. Encoding.UTF8.GetBytes(GoldenJson), .. Convert.FromHexString(GoldenTrailerHex)];

    /// <summary>A JSON footer with the trailer docs/format.md describes, built here independently of ShardFooter.</summary>
    private static byte[] Frame(string json)
    {
        byte[] utf8 = Encoding.UTF8.GetBytes(json);
        var bytes = new byte[utf8.Length + 20];
        utf8.CopyTo(bytes, 0);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(utf8.Length), utf8.Length);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(utf8.Length + 4), XxHash64.HashToUInt64(utf8));
        "OBJSHRD1"u8.CopyTo(bytes.AsSpan(utf8.Length + 12));
        return bytes;
    }

    private static void AssertSame(ShardFooter expected, ShardFooter? actual)
    {
        Assert.NotNull(actual);
        // The record's own equality compares the metadata dictionaries by reference: compare them by content.
        Assert.Equal(expected with { Metadata = ObjectMetadata.Default }, actual with { Metadata = ObjectMetadata.Default });
        Assert.Equal(expected.Metadata.ContentType, actual.Metadata.ContentType);
        Assert.Equal(expected.Metadata.Headers, actual.Metadata.Headers);
        Assert.Equal(expected.Metadata.UserMetadata, actual.Metadata.UserMetadata);
        Assert.Equal(expected.Metadata.ChecksumAlgorithm, actual.Metadata.ChecksumAlgorithm);
        Assert.Equal(expected.Metadata.StorageClass, actual.Metadata.StorageClass);
        Assert.Equal(expected.Created.Offset, actual.Created.Offset);
    }

    [Fact]
    public void AFooterSerializesToThePinnedBytes()
    {
        byte[] bytes = Golden().Serialize();
        Assert.Equal(Convert.ToHexStringLower(GoldenBytes()), Convert.ToHexStringLower(bytes));
        // The same bytes as the format's description builds them.
        Assert.Equal(Frame(GoldenJson), bytes);
        Assert.Equal(ShardFooter.TrailerSize, bytes.Length - Encoding.UTF8.GetByteCount(GoldenJson));
    }

    [Fact]
    public void ThePinnedBytesParseToTheSameFooter()
    {
        AssertSame(Golden(), ShardFooter.Parse(GoldenBytes()));
    }

    [Fact]
    public void AFooterIsFoundAtTheEndOfAShardWhateverPrecedesIt()
    {
        byte[] shard = [.. TestKit.TestData.Bytes(10_000, 1), .. GoldenBytes()];
        AssertSame(Golden(), ShardFooter.Parse(shard));
        AssertSame(Golden(), ShardFooter.Parse(shard.AsSpan(shard.Length - 1000)));
    }

    [Fact]
    public void TheJsonNamesAreTheDocumentedOnes()
    {
        using var json = JsonDocument.Parse(Golden().Serialize().AsMemory(..^ShardFooter.TrailerSize));
        string[] documented =
        [
            "FormatVersion", "Bucket", "Key", "DataId", "Index", "DataShards", "ParityShards", "StripeSize", "Size", "ETag",
            "ContentType", "Headers", "UserMetadata", "ChecksumAlgorithm", "StorageClass", "Checksum", "Created", "UploadId",
            "PartNumber", "digest",
        ];
        Assert.Equal(documented, json.RootElement.EnumerateObject().Select(p => p.Name));
        Assert.Equal(ShardFooter.StripedFormat, json.RootElement.GetProperty("FormatVersion").GetInt32());
    }

    [Fact]
    public void AFormat1FooterWithoutDigestOrStorageClassParsesAsStandard()
    {
        const string format1 =
            "{\"FormatVersion\":1,\"Bucket\":\"b\",\"Key\":\"k\",\"DataId\":\"fedcba9876543210fedcba9876543210\",\"Index\":0,\"DataShards\":2,"
            + "\"ParityShards\":1,\"StripeSize\":65536,\"Size\":10,\"ETag\":\"00112233445566778899aabbccddeeff\",\"ContentType\":\"text/plain\","
            + "\"Headers\":{},\"UserMetadata\":{\"a\":\"b\"},\"ChecksumAlgorithm\":0,\"Checksum\":null,"
            + "\"Created\":\"2025-01-02T03:04:05+00:00\",\"UploadId\":null,\"PartNumber\":null}";
        var footer = ShardFooter.Parse(Frame(format1));

        Assert.NotNull(footer);
        Assert.Equal(1, footer.FormatVersion);
        Assert.Null(footer.Digest);
        Assert.Equal("STANDARD", footer.Metadata.StorageClass);
        Assert.Equal("text/plain", footer.Metadata.ContentType);
        Assert.Equal("b", footer.Metadata.UserMetadata["a"]);
        Assert.Equal(ChecksumAlgorithm.None, footer.Metadata.ChecksumAlgorithm);
        Assert.Equal(new DateTimeOffset(2025, 1, 2, 3, 4, 5, TimeSpan.Zero), footer.Created);
    }

    [Fact]
    public void UnknownPropertiesAreIgnored()
    {
        string extended = GoldenJson[..^1] + ",\"AddedByALaterBuild\":{\"x\":[1,2]}}";
        AssertSame(Golden(), ShardFooter.Parse(Frame(extended)));
    }

    [Fact]
    public void AFooterOfANewerFormatIsRefusedNotTakenForCorrupt()
    {
        string newer = GoldenJson.Replace("\"FormatVersion\":2", "\"FormatVersion\":5", StringComparison.Ordinal);
        var refused = Assert.Throws<ShardFormatException>(() => ShardFooter.Parse(Frame(newer)));
        Assert.Equal(5, refused.Format);
        Assert.Contains("upgrade objstore", refused.Message, StringComparison.Ordinal);
    }

    public static TheoryData<string> Corruptions() => new()
    {
        "magic", "length too long", "length too short", "length negative", "hash", "json byte", "not json", "too short",
    };

    [Theory]
    [MemberData(nameof(Corruptions))]
    public void ACorruptTrailerOrJsonParsesAsNull(string corruption)
    {
        byte[] bytes = GoldenBytes();
        int json = bytes.Length - ShardFooter.TrailerSize;
        switch (corruption)
        {
            case "magic":
                bytes[^1] ^= 0x01;
                break;
            case "length too long":
                BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(json), json + 1);
                break;
            case "length too short":
                BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(json), 1);
                break;
            case "length negative":
                BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(json), -5);
                break;
            case "hash":
                bytes[json + 4] ^= 0x80;
                break;
            case "json byte":
                bytes[json / 2] ^= 0x20;
                break;
            case "not json":
                bytes = Frame("{\"FormatVersion\":2,\"Bucket\":");
                break;
            case "too short":
                bytes = bytes[^19..];
                break;
        }
        Assert.Null(ShardFooter.Parse(bytes));
    }

    /// <summary>A replicated copy's footer (format 3), as <see cref="ShardFooter.Describe(ObjectInfo)"/> writes it for copy 2.</summary>
    internal static ShardFooter GoldenReplicated()
    {
        var layout = new ObjectLayout(1, 2, 4096, "fedcba9876543210fedcba9876543210", ["s0", "s1", "s2"]) { Kind = LayoutKind.Replicated };
        var created = new DateTimeOffset(2026, 12, 1, 12, 34, 56, 789, TimeSpan.Zero);
        var info = new ObjectInfo
        {
            Bucket = "thumbs",
            Key = "2026/12/01/cat.webp",
            Size = 4096,
            ETag = "620f0b67a91f7f74151bc5be745b7110",
            LastModified = created,
            Metadata = new ObjectMetadata { ContentType = "image/webp" },
            VersionId = "0194f3c2a1b0aabbccddeeff00112233",
            Parts = [new ObjectPart(1, 0, 4096, "620f0b67a91f7f74151bc5be745b7110", null, layout)],
        };
        return ShardFooter.Describe(info) with { Index = 2, Digest = "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100" };
    }

    /// <summary>
    /// Format 3: format 2's fields in format 2's order, <c>"Layout":1</c> (replicated) last; FormatVersion 3 so that a
    /// build from before replication refuses the copy instead of decoding it as Reed-Solomon with k = 1.
    /// </summary>
    private const string GoldenReplicatedJson =
        "{\"FormatVersion\":3,\"Bucket\":\"thumbs\",\"Key\":\"2026/12/01/cat.webp\",\"DataId\":\"fedcba9876543210fedcba9876543210\","
        + "\"Index\":2,\"DataShards\":1,\"ParityShards\":2,\"StripeSize\":4096,\"Size\":4096,"
        + "\"ETag\":\"620f0b67a91f7f74151bc5be745b7110\","
        + "\"ContentType\":\"image/webp\",\"Headers\":{},\"UserMetadata\":{},\"ChecksumAlgorithm\":0,\"StorageClass\":\"STANDARD\","
        + "\"Checksum\":null,\"Created\":\"2026-12-01T12:34:56.789+00:00\",\"UploadId\":null,\"PartNumber\":null,"
        + "\"digest\":\"ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100\","
        + "\"VersionId\":\"0194f3c2a1b0aabbccddeeff00112233\",\"Layout\":1}";

    /// <summary>555 as int32 LE, XxHash64 0x4e3051cbdf6e1876 (computed by an independent XXH64), "OBJSHRD1".</summary>
    private const string GoldenReplicatedTrailerHex = "2b020000" + "76186edfcb51304e" + "4f424a5348524431";

    [Fact]
    public void AReplicatedFooterSerializesToThePinnedFormat3Bytes()
    {
        byte[] expected = [.. Encoding.UTF8.GetBytes(GoldenReplicatedJson), .. Convert.FromHexString(GoldenReplicatedTrailerHex)];
        Assert.Equal(Convert.ToHexStringLower(expected), Convert.ToHexStringLower(GoldenReplicated().Serialize()));
        Assert.Equal(Frame(GoldenReplicatedJson), expected);

        var parsed = ShardFooter.Parse(expected);
        Assert.NotNull(parsed);
        Assert.Equal((ShardFooter.ReplicatedFormat, LayoutKind.Replicated, 1, 2), (parsed.FormatVersion, parsed.Layout, parsed.DataShards, parsed.ParityShards));
        AssertSame(GoldenReplicated(), parsed);
    }

    /// <summary>The shards of a compressed and SSE-S3 encrypted payload (<see cref="AnEncodedFooterSerializesToThePinnedFormat4Bytes"/>).</summary>
    internal static ShardFooter GoldenEncoded()
    {
        var layout = new ObjectLayout(4, 2, 1 << 20, "0123456789abcdef0123456789abcdef", ["s0", "s1", "s2", "s3", "s4", "s5"]);
        var created = new DateTimeOffset(2026, 12, 2, 1, 2, 3, 4, TimeSpan.Zero);
        var encoding = new PartEncoding(70_048)
        {
            SealedKey = [.. Enumerable.Range(0, 65).Select(i => (byte)i)],
            Frames = Convert.FromHexString("00001000e093040000000000a0110100"),
        };
        var info = new ObjectInfo
        {
            Bucket = "logs",
            Key = "2026/12/02/app.log",
            Size = 300_000,
            ETag = "9e107d9d372bb6826bd81d3542a419d6",
            LastModified = created,
            Metadata = new ObjectMetadata { ContentType = "text/plain", Encryption = new ObjectEncryption(EncryptionMode.S3) },
            Parts = [new ObjectPart(1, 0, 300_000, "9e107d9d372bb6826bd81d3542a419d6", null, layout) { Encoding = encoding }],
        };
        return ShardFooter.Describe(info) with { Index = 1, Digest = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff" };
    }

    /// <summary>
    /// Format 4: format 2's fields in format 2's order, then the object's encryption, the payload's plain size, its
    /// sealed data key and its frame index; <c>Size</c> is the payload's stored size. FormatVersion 4 so that a build
    /// from before encryption refuses the shard instead of serving ciphertext or compressed frames as the object.
    /// </summary>
    private const string GoldenEncodedJson =
        "{\"FormatVersion\":4,\"Bucket\":\"logs\",\"Key\":\"2026/12/02/app.log\","
        + "\"DataId\":\"0123456789abcdef0123456789abcdef\",\"Index\":1,\"DataShards\":4,\"ParityShards\":2,"
        + "\"StripeSize\":1048576,\"Size\":70048,\"ETag\":\"9e107d9d372bb6826bd81d3542a419d6\",\"ContentType\":\"text/plain\","
        + "\"Headers\":{},\"UserMetadata\":{},\"ChecksumAlgorithm\":0,\"StorageClass\":\"STANDARD\",\"Checksum\":null,"
        + "\"Created\":\"2026-12-02T01:02:03.004+00:00\",\"UploadId\":null,\"PartNumber\":null,"
        + "\"digest\":\"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\",\"Encryption\":{\"Mode\":1,"
        + "\"KmsKeyId\":null,\"KmsContext\":null,\"BucketKeyEnabled\":false,\"CustomerKeyFingerprint\":null},"
        + "\"PlainSize\":300000,"
        + "\"SealedKey\":\"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1Njc4OTo7PD0+P0A=\","
        + "\"Frames\":\"AAAQAOCTBAAAAAAAoBEBAA==\"}";

    /// <summary>Length, XxHash64 (computed by an independent XXH64) and "OBJSHRD1".</summary>
    private const string GoldenEncodedTrailerHex = "01030000" + "0464c2082a65870f" + "4f424a5348524431";

    [Fact]
    public void AnEncodedFooterSerializesToThePinnedFormat4Bytes()
    {
        byte[] expected = [.. Encoding.UTF8.GetBytes(GoldenEncodedJson), .. Convert.FromHexString(GoldenEncodedTrailerHex)];
        Assert.Equal(Convert.ToHexStringLower(expected), Convert.ToHexStringLower(GoldenEncoded().Serialize()));

        var parsed = ShardFooter.Parse(expected);
        Assert.NotNull(parsed);
        Assert.Equal((ShardFooter.EncodedFormat, 70_048L, 300_000L), (parsed.FormatVersion, parsed.Size, parsed.ObjectSize));
        Assert.Equal(EncryptionMode.S3, parsed.Metadata.Encryption?.Mode);
        var restored = parsed.ToObject(GoldenEncoded().ToObject(new ObjectLayout(4, 2, 1 << 20, parsed.DataId, ["s0", "s1", "s2", "s3", "s4", "s5"])).Parts[0].Layout);
        Assert.Equal(300_000, restored.Size);
        Assert.Equal(70_048, restored.Parts[0].StoredSize);
        Assert.Equal(GoldenEncoded().SealedKey, restored.Parts[0].Encoding!.SealedKey);
        Assert.Equal(GoldenEncoded().Frames, restored.Parts[0].Encoding!.Frames);
    }

    [Fact]
    public void EncryptionModeNumbersAreFixed()
    {
        // Stored in format 4 footers and in the catalogue's encryption column: never renumber.
        Assert.Equal((0, 1, 2, 3), ((int)EncryptionMode.None, (int)EncryptionMode.S3, (int)EncryptionMode.Kms, (int)EncryptionMode.Customer));
    }

    [Fact]
    public void AStripedLayoutStillWritesFormat2WithoutALayoutField()
    {
        var striped = Golden();
        var described = ShardFooter.Describe(striped.ToObject(new ObjectLayout(4, 2, 1 << 20, striped.DataId, ["a", "b", "c", "d", "e", "f"])));
        string json = Encoding.UTF8.GetString(described.Serialize().AsSpan(..^ShardFooter.TrailerSize));
        Assert.StartsWith("{\"FormatVersion\":2,", json, StringComparison.Ordinal);
        Assert.DoesNotContain("\"Layout\"", json, StringComparison.Ordinal);
        Assert.Equal(LayoutKind.Striped, ShardFooter.Parse(GoldenBytes())!.Layout);
    }

    [Theory]
    [InlineData("\"DataShards\":1", "\"DataShards\":2")] // copies have one data shard: anything else is not a footer this build wrote
    [InlineData("\"Layout\":1", "\"Layout\":7")]          // a layout this build does not know, without a newer format
    public void AReplicatedFooterOfTheWrongShapeParsesAsNull(string field, string replacement)
    {
        Assert.Null(ShardFooter.Parse(Frame(GoldenReplicatedJson.Replace(field, replacement, StringComparison.Ordinal))));
    }

    [Fact]
    public void LayoutKindNumbersAreFixed()
    {
        // Stored in format 3 footers and in the catalogue's layout_kind column: never renumber.
        Assert.Equal(0, (int)LayoutKind.Striped);
        Assert.Equal(1, (int)LayoutKind.Replicated);
        Assert.Equal(2, Enum.GetValues<LayoutKind>().Length);
    }

    [Fact]
    public void ChecksumAlgorithmNumbersAreFixed()
    {
        // Stored in footers and in the catalogue's checksum_algo column: never renumber.
        Assert.Equal(0, (int)ChecksumAlgorithm.None);
        Assert.Equal(1, (int)ChecksumAlgorithm.Crc32);
        Assert.Equal(2, (int)ChecksumAlgorithm.Crc32C);
        Assert.Equal(3, (int)ChecksumAlgorithm.Crc64Nvme);
        Assert.Equal(4, (int)ChecksumAlgorithm.Sha1);
        Assert.Equal(5, (int)ChecksumAlgorithm.Sha256);
        Assert.Equal(6, Enum.GetValues<ChecksumAlgorithm>().Length);
    }
}
