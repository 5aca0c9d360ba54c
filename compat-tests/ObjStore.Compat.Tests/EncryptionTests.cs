using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Amazon.S3;
using Amazon.S3.Model;
using Amazon.S3.Transfer;

namespace ObjStore.Compat.Tests;

/// <summary>
/// A server that takes SSE-C keys over loopback HTTP (S3:AllowCustomerKeysOverHttp), as the SSE-C tests need:
/// S3 itself takes them only over TLS.
/// </summary>
public sealed class CustomerKeysOverHttpEndpoint : S3Endpoint
{
    protected override IReadOnlyDictionary<string, string> Settings { get; } = new Dictionary<string, string>
    {
        ["S3:AllowCustomerKeysOverHttp"] = "true",
    };
}

[CollectionDefinition(Name)]
public sealed class CustomerKeysOverHttp : ICollectionFixture<CustomerKeysOverHttpEndpoint>
{
    public const string Name = "customer-keys-over-http";
}

/// <summary>An SSE-C key as a client sends it: 256 bits in base64, and the base64 MD5 of those bits.</summary>
internal sealed record SseCustomerKey(string Key, string Md5)
{
    public static SseCustomerKey New()
    {
        byte[] key = RandomNumberGenerator.GetBytes(32);
        return new SseCustomerKey(Convert.ToBase64String(key), Convert.ToBase64String(MD5.HashData(key)));
    }
}

/// <summary>
/// Server-side encryption through AWSSDK.S3 with default settings: SSE-S3, SSE-KMS (keys made through the admin API)
/// and SSE-C on PUT, GET and HEAD, multipart uploads, copies and part copies, bucket default encryption, and the
/// TransferUtility; every object read back and compared byte for byte, and every error as S3 answers it.
/// </summary>
[Collection(CustomerKeysOverHttp.Name)]
public class EncryptionTests(CustomerKeysOverHttpEndpoint endpoint) : AccessTestBase(endpoint)
{
    private const int MiB = 1024 * 1024;
    private const int Package = 64 * 1024;

    private static byte[] Data(int size, int seed)
    {
        var data = new byte[size];
        new Random(seed).NextBytes(data);
        return data;
    }

    private static string Md5ETag(byte[] data) => "\"" + Convert.ToHexStringLower(MD5.HashData(data)) + "\"";

    private static string Base64Json(string json) => Convert.ToBase64String(Encoding.UTF8.GetBytes(json));

    private static async Task<byte[]> BytesAsync(GetObjectResponse response)
    {
        using var buffer = new MemoryStream();
        await response.ResponseStream.CopyToAsync(buffer);
        return buffer.ToArray();
    }

    private static byte[] Slice(byte[] data, long first, long last) => data[(int)first..(int)(last + 1)];

    /// <summary>A new key of the built-in key provider, through the admin API (POST /kms/keys?id=ID).</summary>
    private async Task<string> NewKmsKeyAsync()
    {
        string id = "compat-" + Guid.NewGuid().ToString("N")[..12];
        var (status, body) = await Access.AdminAsync(HttpMethod.Post, "/kms/keys?id=" + Uri.EscapeDataString(id));
        Assert.True(status == HttpStatusCode.Created, $"add kms key {id}: {(int)status} {body}");
        return id;
    }

    private Task<PutObjectResponse> PutBytesAsync(string bucket, string key, byte[] data, Action<PutObjectRequest>? with = null)
    {
        var request = new PutObjectRequest { BucketName = bucket, Key = key, InputStream = new MemoryStream(data) };
        with?.Invoke(request);
        return Root.PutObjectAsync(request);
    }

    private async Task<(GetObjectResponse Response, byte[] Bytes)> GetAsync(
        string bucket, string key, SseCustomerKey? customerKey = null, ByteRange? range = null, int? partNumber = null)
    {
        var request = new GetObjectRequest { BucketName = bucket, Key = key, ByteRange = range, PartNumber = partNumber };
        if (customerKey is not null)
        {
            request.ServerSideEncryptionCustomerMethod = ServerSideEncryptionCustomerMethod.AES256;
            request.ServerSideEncryptionCustomerProvidedKey = customerKey.Key;
            request.ServerSideEncryptionCustomerProvidedKeyMD5 = customerKey.Md5;
        }
        var response = await Root.GetObjectAsync(request);
        using (response)
        {
            return (response, await BytesAsync(response));
        }
    }

    private Task<GetObjectMetadataResponse> HeadAsync(string bucket, string key, SseCustomerKey? customerKey = null)
    {
        var request = new GetObjectMetadataRequest { BucketName = bucket, Key = key };
        if (customerKey is not null)
        {
            request.ServerSideEncryptionCustomerMethod = ServerSideEncryptionCustomerMethod.AES256;
            request.ServerSideEncryptionCustomerProvidedKey = customerKey.Key;
            request.ServerSideEncryptionCustomerProvidedKeyMD5 = customerKey.Md5;
        }
        return Root.GetObjectMetadataAsync(request);
    }

    private static void WithCustomerKey(PutObjectRequest request, SseCustomerKey key)
    {
        request.ServerSideEncryptionCustomerMethod = ServerSideEncryptionCustomerMethod.AES256;
        request.ServerSideEncryptionCustomerProvidedKey = key.Key;
        request.ServerSideEncryptionCustomerProvidedKeyMD5 = key.Md5;
    }

    /// <summary>No x-amz-server-side-encryption in a response (the SDK's null, or its None).</summary>
    private static void NoServerSideEncryption(ServerSideEncryptionMethod? method) =>
        Assert.True(method is null || method == ServerSideEncryptionMethod.None, $"x-amz-server-side-encryption: {method}");

    /// <summary>The ranged GETs a 64 KiB-package payload gets wrong first: either side of each package and MiB boundary.</summary>
    private async Task RangesReadBackAsync(string bucket, string key, byte[] data, SseCustomerKey? customerKey, params (long First, long Last)[] ranges)
    {
        foreach (var (first, last) in ranges)
        {
            var (response, bytes) = await GetAsync(bucket, key, customerKey, new ByteRange(first, last));
            Assert.Equal(HttpStatusCode.PartialContent, response.HttpStatusCode);
            Assert.True(Slice(data, first, last).AsSpan().SequenceEqual(bytes), $"bytes {first}-{last} of {key}");
        }
    }

    // ---- SSE-S3 ----------------------------------------------------------------------------------------------------

    [Fact]
    public async Task SseS3ObjectIsReportedAndReadBackWholeAndInRanges()
    {
        string bucket = await NewBucketAsync();
        var data = Data(3 * MiB + 12_345, seed: 1);
        var put = await PutBytesAsync(bucket, "sse-s3", data, r => r.ServerSideEncryptionMethod = ServerSideEncryptionMethod.AES256);
        Assert.Equal(ServerSideEncryptionMethod.AES256, put.ServerSideEncryptionMethod);
        Assert.Equal(Md5ETag(data), put.ETag); // SSE-S3 objects keep the MD5 ETag

        var head = await HeadAsync(bucket, "sse-s3");
        Assert.Equal(ServerSideEncryptionMethod.AES256, head.ServerSideEncryptionMethod);
        Assert.Equal(data.Length, head.ContentLength);
        Assert.Equal(Md5ETag(data), head.ETag);

        var (get, bytes) = await GetAsync(bucket, "sse-s3");
        Assert.Equal(ServerSideEncryptionMethod.AES256, get.ServerSideEncryptionMethod);
        Assert.Equal(data, bytes);

        await RangesReadBackAsync(bucket, "sse-s3", data, null,
            (Package - 1, Package - 1), (Package, Package), (Package + 1, Package + 1),
            (Package - 1, Package + 1), (0, Package - 1), (Package - 10, 2 * Package + 10),
            (MiB - 100, MiB + 100), (MiB - 1, 2 * MiB), (2 * MiB + 1, data.Length - 1), (data.Length - 1, data.Length - 1));
    }

    [Fact]
    public async Task SseS3HeaderOnGetOrHeadIsInvalidArgument()
    {
        string bucket = await NewBucketAsync();
        await PutBytesAsync(bucket, "sse-s3", Data(100, seed: 2), r => r.ServerSideEncryptionMethod = ServerSideEncryptionMethod.AES256);
        // The SDK has no x-amz-server-side-encryption on GetObjectRequest: sent raw, signed by the root key.
        using var get = await Access.SendAsRootAsync(HttpMethod.Get, $"/{bucket}/sse-s3", headers: [new("x-amz-server-side-encryption", "AES256")]);
        var error = await AccessFixture.ErrorOf(get);
        Assert.Equal((HttpStatusCode.BadRequest, "InvalidArgument"), (error.Status, error.Code));
        using var head = await Access.SendAsRootAsync(HttpMethod.Head, $"/{bucket}/sse-s3", headers: [new("x-amz-server-side-encryption", "AES256")]);
        Assert.Equal(HttpStatusCode.BadRequest, head.StatusCode);
    }

    // ---- SSE-KMS ---------------------------------------------------------------------------------------------------

    [Fact]
    public async Task SseKmsObjectWithANamedKeyBucketKeyAndContext()
    {
        string bucket = await NewBucketAsync();
        string keyId = await NewKmsKeyAsync();
        var data = Data(200_000, seed: 3);
        string context = Base64Json("""{"department":"compat","purpose":"test"}""");
        var put = await PutBytesAsync(bucket, "kms", data, r =>
        {
            r.ServerSideEncryptionMethod = ServerSideEncryptionMethod.AWSKMS;
            r.ServerSideEncryptionKeyManagementServiceKeyId = keyId;
            r.ServerSideEncryptionKeyManagementServiceEncryptionContext = context;
            r.BucketKeyEnabled = true;
        });
        Assert.Equal(ServerSideEncryptionMethod.AWSKMS, put.ServerSideEncryptionMethod);
        Assert.EndsWith(keyId, put.ServerSideEncryptionKeyManagementServiceKeyId, StringComparison.Ordinal); // AWS answers the key's ARN
        Assert.True(put.BucketKeyEnabled);
        Assert.NotEqual(Md5ETag(data), put.ETag); // SSE-KMS ETags are not the MD5 of the data
        // The context comes back (AWS may add aws:s3:arn to it): every pair sent is in it.
        var returned = JsonSerializer.Deserialize<Dictionary<string, string>>(
            Encoding.UTF8.GetString(Convert.FromBase64String(put.ServerSideEncryptionKeyManagementServiceEncryptionContext)))!;
        Assert.Equal("compat", returned["department"]);
        Assert.Equal("test", returned["purpose"]);

        var (get, bytes) = await GetAsync(bucket, "kms");
        Assert.Equal(data, bytes);
        Assert.Equal(ServerSideEncryptionMethod.AWSKMS, get.ServerSideEncryptionMethod);
        Assert.EndsWith(keyId, get.ServerSideEncryptionKeyManagementServiceKeyId, StringComparison.Ordinal);
        Assert.True(get.BucketKeyEnabled);
        Assert.Equal(put.ETag, get.ETag);
        var head = await HeadAsync(bucket, "kms");
        Assert.Equal(ServerSideEncryptionMethod.AWSKMS, head.ServerSideEncryptionMethod);
        Assert.EndsWith(keyId, head.ServerSideEncryptionKeyManagementServiceKeyId, StringComparison.Ordinal);
        Assert.True(head.BucketKeyEnabled);
        await RangesReadBackAsync(bucket, "kms", data, null, (Package - 1, Package + 1), (150_000, data.Length - 1));

        // The key named by its ARN is the same key.
        var byArn = await PutBytesAsync(bucket, "kms-arn", data, r =>
        {
            r.ServerSideEncryptionMethod = ServerSideEncryptionMethod.AWSKMS;
            r.ServerSideEncryptionKeyManagementServiceKeyId = $"arn:aws:kms:us-east-1:000000000000:key/{keyId}";
        });
        Assert.EndsWith(keyId, byArn.ServerSideEncryptionKeyManagementServiceKeyId, StringComparison.Ordinal);
        Assert.Equal(data, (await GetAsync(bucket, "kms-arn")).Bytes);
    }

    [Fact]
    public async Task SseKmsWithoutAKeyIdUsesTheDefaultKey()
    {
        string bucket = await NewBucketAsync();
        var data = Data(1000, seed: 4);
        var put = await PutBytesAsync(bucket, "kms-default", data, r => r.ServerSideEncryptionMethod = ServerSideEncryptionMethod.AWSKMS);
        Assert.Equal(ServerSideEncryptionMethod.AWSKMS, put.ServerSideEncryptionMethod);
        Assert.EndsWith("aws/s3", put.ServerSideEncryptionKeyManagementServiceKeyId, StringComparison.Ordinal);
        Assert.Null(put.ServerSideEncryptionKeyManagementServiceEncryptionContext);
        var (get, bytes) = await GetAsync(bucket, "kms-default");
        Assert.Equal(data, bytes);
        Assert.EndsWith("aws/s3", get.ServerSideEncryptionKeyManagementServiceKeyId, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SseKmsRequestErrors()
    {
        string bucket = await NewBucketAsync();
        string keyId = await NewKmsKeyAsync();
        var data = Data(10, seed: 5);
        var unknown = await FailsAsync(HttpStatusCode.BadRequest, "KMS.NotFoundException", () => PutBytesAsync(bucket, "unknown-key", data, r =>
        {
            r.ServerSideEncryptionMethod = ServerSideEncryptionMethod.AWSKMS;
            r.ServerSideEncryptionKeyManagementServiceKeyId = "no-such-key-" + Guid.NewGuid().ToString("N")[..8];
        }));
        await FailsAsync(HttpStatusCode.BadRequest, "InvalidArgument", () => PutBytesAsync(bucket, "aes-with-key", data, r =>
        {
            r.ServerSideEncryptionMethod = ServerSideEncryptionMethod.AES256;
            r.ServerSideEncryptionKeyManagementServiceKeyId = keyId;
        }));
        foreach (string context in new[] { "not base64!", Base64Json("not json"), Base64Json("""["a","b"]"""), Base64Json("""{"a":1}"""), Base64Json("null") })
        {
            await FailsAsync(HttpStatusCode.BadRequest, "InvalidArgument", () => PutBytesAsync(bucket, "bad-context", data, r =>
            {
                r.ServerSideEncryptionMethod = ServerSideEncryptionMethod.AWSKMS;
                r.ServerSideEncryptionKeyManagementServiceKeyId = keyId;
                r.ServerSideEncryptionKeyManagementServiceEncryptionContext = context;
            }));
        }
        var unsupported = await FailsAsync(HttpStatusCode.BadRequest, "InvalidArgument", () => PutBytesAsync(bucket, "aes512", data,
            r => r.ServerSideEncryptionMethod = new ServerSideEncryptionMethod("AES512")));
        Assert.Contains("not supported", unsupported.Message, StringComparison.Ordinal);
        // Nothing was written by the refused requests.
        var listed = await Root.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket });
        Assert.Empty(listed.S3Objects ?? []);
        Assert.NotNull(unknown.Message);
    }

    // ---- SSE-C -----------------------------------------------------------------------------------------------------

    [Fact]
    public async Task SseCObjectIsReadWithItsKeyAndEchoesIt()
    {
        string bucket = await NewBucketAsync();
        var key = SseCustomerKey.New();
        var data = Data(300_000, seed: 6);
        var put = await PutBytesAsync(bucket, "sse-c", data, r => WithCustomerKey(r, key));
        Assert.Equal(ServerSideEncryptionCustomerMethod.AES256, put.ServerSideEncryptionCustomerMethod);
        Assert.Equal(key.Md5, put.ServerSideEncryptionCustomerProvidedKeyMD5);
        NoServerSideEncryption(put.ServerSideEncryptionMethod);
        Assert.NotEqual(Md5ETag(data), put.ETag); // "The ETag in the response is not the MD5 of the object data."

        var (get, bytes) = await GetAsync(bucket, "sse-c", key);
        Assert.Equal(data, bytes);
        Assert.Equal(ServerSideEncryptionCustomerMethod.AES256, get.ServerSideEncryptionCustomerMethod);
        Assert.Equal(key.Md5, get.ServerSideEncryptionCustomerProvidedKeyMD5);
        Assert.Equal(put.ETag, get.ETag);
        var head = await HeadAsync(bucket, "sse-c", key);
        Assert.Equal(ServerSideEncryptionCustomerMethod.AES256, head.ServerSideEncryptionCustomerMethod);
        Assert.Equal(key.Md5, head.ServerSideEncryptionCustomerProvidedKeyMD5);
        Assert.Equal(data.Length, head.ContentLength);
        await RangesReadBackAsync(bucket, "sse-c", data, key,
            (Package - 1, Package - 1), (Package, Package), (Package + 1, Package + 1), (Package - 5, 3 * Package + 5), (data.Length - 10, data.Length - 1));
    }

    [Fact]
    public async Task SseCReadsNeedTheRightKey()
    {
        string bucket = await NewBucketAsync();
        var key = SseCustomerKey.New();
        await PutBytesAsync(bucket, "sse-c", Data(1000, seed: 7), r => WithCustomerKey(r, key));

        await FailsAsync(HttpStatusCode.BadRequest, "InvalidRequest", () => GetAsync(bucket, "sse-c"));
        var headWithout = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => HeadAsync(bucket, "sse-c"));
        Assert.Equal(HttpStatusCode.BadRequest, headWithout.StatusCode); // a HEAD error has no body, only its status

        var other = SseCustomerKey.New();
        await FailsAsync(HttpStatusCode.Forbidden, "AccessDenied", () => GetAsync(bucket, "sse-c", other));

        // The key-MD5 must be the key's; checked before the object is looked at.
        var mismatched = key with { Md5 = other.Md5 };
        var e = await FailsAsync(HttpStatusCode.BadRequest, "InvalidArgument", () => GetAsync(bucket, "sse-c", mismatched));
        Assert.Contains("MD5", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SseCHeadWithTheWrongKeyIsAccessDenied()
    {
        string bucket = await NewBucketAsync();
        var key = SseCustomerKey.New();
        await PutBytesAsync(bucket, "sse-c", Data(1000, seed: 20), r => WithCustomerKey(r, key));
        var headWrong = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => HeadAsync(bucket, "sse-c", SseCustomerKey.New()));
        Assert.Equal(HttpStatusCode.Forbidden, headWrong.StatusCode);
    }

    [Fact]
    public async Task SseCGetObjectAttributesNeedsTheRightKey()
    {
        string bucket = await NewBucketAsync();
        var key = SseCustomerKey.New();
        var other = SseCustomerKey.New();
        await PutBytesAsync(bucket, "sse-c", Data(1000, seed: 21), r => WithCustomerKey(r, key));
        GetObjectAttributesRequest Attributes(SseCustomerKey? with) => new()
        {
            BucketName = bucket, Key = "sse-c", ObjectAttributes = [ObjectAttributes.ETag, ObjectAttributes.ObjectSize],
            SSECustomerAlgorithm = with is null ? null : ServerSideEncryptionCustomerMethod.AES256, SSECustomerKey = with?.Key, SSECustomerKeyMD5 = with?.Md5,
        };
        Assert.Equal(1000, (await Root.GetObjectAttributesAsync(Attributes(key))).ObjectSize);
        await FailsAsync(HttpStatusCode.BadRequest, "InvalidRequest", () => Root.GetObjectAttributesAsync(Attributes(null)));
        await FailsAsync(HttpStatusCode.Forbidden, "AccessDenied", () => Root.GetObjectAttributesAsync(Attributes(other)));
    }

    /// <summary>An empty object has no bytes to open, and still takes only its key.</summary>
    [Fact]
    public async Task SseCEmptyObjectNeedsTheRightKey()
    {
        string bucket = await NewBucketAsync();
        var key = SseCustomerKey.New();
        await PutBytesAsync(bucket, "empty", [], r => WithCustomerKey(r, key));
        Assert.Empty((await GetAsync(bucket, "empty", key)).Bytes);
        await FailsAsync(HttpStatusCode.BadRequest, "InvalidRequest", () => GetAsync(bucket, "empty"));
        await FailsAsync(HttpStatusCode.Forbidden, "AccessDenied", () => GetAsync(bucket, "empty", SseCustomerKey.New()));
    }

    [Fact]
    public async Task SseCKeyErrorsOnWrites()
    {
        string bucket = await NewBucketAsync();
        var data = Data(100, seed: 8);
        var key = SseCustomerKey.New();
        var e = await FailsAsync(HttpStatusCode.BadRequest, "InvalidArgument", () => PutBytesAsync(bucket, "md5-mismatch", data,
            r => WithCustomerKey(r, key with { Md5 = SseCustomerKey.New().Md5 })));
        Assert.Contains("MD5", e.Message, StringComparison.Ordinal);
        byte[] shortKey = RandomNumberGenerator.GetBytes(16);
        await FailsAsync(HttpStatusCode.BadRequest, "InvalidArgument", () => PutBytesAsync(bucket, "short-key", data,
            r => WithCustomerKey(r, new SseCustomerKey(Convert.ToBase64String(shortKey), Convert.ToBase64String(MD5.HashData(shortKey))))));
        byte[] longKey = RandomNumberGenerator.GetBytes(48);
        await FailsAsync(HttpStatusCode.BadRequest, "InvalidArgument", () => PutBytesAsync(bucket, "long-key", data,
            r => WithCustomerKey(r, new SseCustomerKey(Convert.ToBase64String(longKey), Convert.ToBase64String(MD5.HashData(longKey))))));
        await FailsAsync(HttpStatusCode.BadRequest, "InvalidEncryptionAlgorithmError", () => PutBytesAsync(bucket, "aes512", data, r =>
        {
            WithCustomerKey(r, key);
            r.ServerSideEncryptionCustomerMethod = new ServerSideEncryptionCustomerMethod("AES512");
        }));
        // SSE-C and x-amz-server-side-encryption together.
        await FailsAsync(HttpStatusCode.BadRequest, "InvalidArgument", () => PutBytesAsync(bucket, "both", data, r =>
        {
            WithCustomerKey(r, key);
            r.ServerSideEncryptionMethod = ServerSideEncryptionMethod.AES256;
        }));
        var listed = await Root.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket });
        Assert.Empty(listed.S3Objects ?? []);
    }

    [Fact]
    public async Task SseCHeadersOnAnObjectNotEncryptedWithAKeyAreInvalidRequest()
    {
        string bucket = await NewBucketAsync();
        var data = Data(100, seed: 9);
        await PutBytesAsync(bucket, "plain", data);
        await PutBytesAsync(bucket, "sse-s3", data, r => r.ServerSideEncryptionMethod = ServerSideEncryptionMethod.AES256);
        var key = SseCustomerKey.New();
        foreach (string name in new[] { "plain", "sse-s3" })
        {
            await FailsAsync(HttpStatusCode.BadRequest, "InvalidRequest", () => GetAsync(bucket, name, key));
            var head = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => HeadAsync(bucket, name, key));
            Assert.Equal(HttpStatusCode.BadRequest, head.StatusCode);
        }
    }

    // ---- multipart -------------------------------------------------------------------------------------------------

    /// <summary>Three 5 MiB parts and a tail, as the parts of one object.</summary>
    private static readonly int[] PartSizes = [5 * MiB, 5 * MiB, 5 * MiB, 123_457];

    private static IEnumerable<(int Number, int Offset, int Size)> Parts()
    {
        int offset = 0;
        for (int i = 0; i < PartSizes.Length; i++)
        {
            yield return (i + 1, offset, PartSizes[i]);
            offset += PartSizes[i];
        }
    }

    private static UploadPartRequest Part(string bucket, string key, string uploadId, int number, byte[] data, int offset, int size, SseCustomerKey? customerKey)
    {
        var request = new UploadPartRequest
        {
            BucketName = bucket, Key = key, UploadId = uploadId, PartNumber = number, InputStream = new MemoryStream(data, offset, size),
        };
        if (customerKey is not null)
        {
            request.ServerSideEncryptionCustomerMethod = ServerSideEncryptionCustomerMethod.AES256;
            request.ServerSideEncryptionCustomerProvidedKey = customerKey.Key;
            request.ServerSideEncryptionCustomerProvidedKeyMD5 = customerKey.Md5;
        }
        return request;
    }

    /// <summary>GETs across the part boundaries, and of part 2 by number, compared with <paramref name="data"/>.</summary>
    private async Task MultipartReadsBackAsync(string bucket, string key, byte[] data, SseCustomerKey? customerKey)
    {
        var (whole, bytes) = await GetAsync(bucket, key, customerKey);
        Assert.Equal(data, bytes);
        Assert.EndsWith($"-{PartSizes.Length}\"", whole.ETag, StringComparison.Ordinal);
        await RangesReadBackAsync(bucket, key, data, customerKey,
            (5 * MiB - 1, 5 * MiB), (5 * MiB - 10, 5 * MiB + 10), (5 * MiB + Package - 1, 5 * MiB + Package + 1),
            (10 * MiB - 3, 15 * MiB + 3), (15 * MiB - 1, data.Length - 1));
        var (part, partBytes) = await GetAsync(bucket, key, customerKey, partNumber: 2);
        Assert.Equal(HttpStatusCode.PartialContent, part.HttpStatusCode);
        Assert.Equal(PartSizes.Length, part.PartsCount);
        Assert.True(Slice(data, 5 * MiB, 10 * MiB - 1).AsSpan().SequenceEqual(partBytes), "part 2");
    }

    [Fact]
    public async Task SseS3MultipartUpload()
    {
        string bucket = await NewBucketAsync();
        var data = Data(PartSizes.Sum(), seed: 10);
        var create = await Root.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest
        {
            BucketName = bucket, Key = "mp", ServerSideEncryptionMethod = ServerSideEncryptionMethod.AES256,
        });
        Assert.Equal(ServerSideEncryptionMethod.AES256, create.ServerSideEncryptionMethod);
        // Only the parts of an SSE-C upload take a key.
        await FailsAsync(HttpStatusCode.BadRequest, "InvalidRequest",
            () => Root.UploadPartAsync(Part(bucket, "mp", create.UploadId, 1, data, 0, 1000, SseCustomerKey.New())));
        var etags = new List<PartETag>();
        foreach (var (number, offset, size) in Parts())
        {
            var part = await Root.UploadPartAsync(Part(bucket, "mp", create.UploadId, number, data, offset, size, null));
            Assert.Equal(ServerSideEncryptionMethod.AES256, part.ServerSideEncryptionMethod);
            etags.Add(new PartETag(number, part.ETag));
        }
        var complete = await Root.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
        {
            BucketName = bucket, Key = "mp", UploadId = create.UploadId, PartETags = etags,
        });
        Assert.Equal(ServerSideEncryptionMethod.AES256, complete.ServerSideEncryptionMethod);
        Assert.Equal(ServerSideEncryptionMethod.AES256, (await HeadAsync(bucket, "mp")).ServerSideEncryptionMethod);
        await MultipartReadsBackAsync(bucket, "mp", data, null);
    }

    [Fact]
    public async Task SseCMultipartUploadTakesTheSameKeyOnEveryPart()
    {
        string bucket = await NewBucketAsync();
        var key = SseCustomerKey.New();
        var data = Data(PartSizes.Sum(), seed: 11);
        var create = await Root.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest
        {
            BucketName = bucket, Key = "mp",
            ServerSideEncryptionCustomerMethod = ServerSideEncryptionCustomerMethod.AES256,
            ServerSideEncryptionCustomerProvidedKey = key.Key, ServerSideEncryptionCustomerProvidedKeyMD5 = key.Md5,
        });
        Assert.Equal(ServerSideEncryptionCustomerMethod.AES256, create.ServerSideEncryptionCustomerMethod);
        Assert.Equal(key.Md5, create.ServerSideEncryptionCustomerProvidedKeyMD5);

        var small = Data(1000, seed: 12);
        await FailsAsync(HttpStatusCode.BadRequest, "InvalidRequest",
            () => Root.UploadPartAsync(Part(bucket, "mp", create.UploadId, 1, small, 0, small.Length, null)));
        var e = await FailsAsync(HttpStatusCode.BadRequest, "InvalidArgument",
            () => Root.UploadPartAsync(Part(bucket, "mp", create.UploadId, 1, small, 0, small.Length, SseCustomerKey.New())));
        Assert.Contains("did not match", e.Message, StringComparison.Ordinal);

        var etags = new List<PartETag>();
        foreach (var (number, offset, size) in Parts())
        {
            var part = await Root.UploadPartAsync(Part(bucket, "mp", create.UploadId, number, data, offset, size, key));
            Assert.Equal(ServerSideEncryptionCustomerMethod.AES256, part.SSECustomerAlgorithm);
            Assert.NotEqual(Md5ETag(data[offset..(offset + size)]), part.ETag);
            etags.Add(new PartETag(number, part.ETag));
        }
        var complete = await Root.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
        {
            BucketName = bucket, Key = "mp", UploadId = create.UploadId, PartETags = etags,
        });
        // CompleteMultipartUpload's response has no SSE-C fields; no SSE-S3/SSE-KMS either.
        NoServerSideEncryption(complete.ServerSideEncryptionMethod);
        var head = await HeadAsync(bucket, "mp", key);
        Assert.Equal(key.Md5, head.ServerSideEncryptionCustomerProvidedKeyMD5);
        Assert.Equal(data.Length, head.ContentLength);
        await FailsAsync(HttpStatusCode.BadRequest, "InvalidRequest", () => GetAsync(bucket, "mp"));
        await MultipartReadsBackAsync(bucket, "mp", data, key);
    }

    [Fact]
    public async Task SseKmsMultipartUploadReportsItsKeyOnEveryStep()
    {
        string bucket = await NewBucketAsync();
        string keyId = await NewKmsKeyAsync();
        var data = Data(100_000, seed: 13);
        var create = await Root.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest
        {
            BucketName = bucket, Key = "mp", ServerSideEncryptionMethod = ServerSideEncryptionMethod.AWSKMS,
            ServerSideEncryptionKeyManagementServiceKeyId = keyId,
        });
        Assert.Equal(ServerSideEncryptionMethod.AWSKMS, create.ServerSideEncryptionMethod);
        Assert.EndsWith(keyId, create.ServerSideEncryptionKeyManagementServiceKeyId, StringComparison.Ordinal);
        var part = await Root.UploadPartAsync(Part(bucket, "mp", create.UploadId, 1, data, 0, data.Length, null));
        Assert.Equal(ServerSideEncryptionMethod.AWSKMS, part.ServerSideEncryptionMethod);
        Assert.EndsWith(keyId, part.SSEKMSKeyId, StringComparison.Ordinal);
        var complete = await Root.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
        {
            BucketName = bucket, Key = "mp", UploadId = create.UploadId, PartETags = [new PartETag(1, part.ETag)],
        });
        Assert.Equal(ServerSideEncryptionMethod.AWSKMS, complete.ServerSideEncryptionMethod);
        Assert.EndsWith(keyId, complete.ServerSideEncryptionKeyManagementServiceKeyId, StringComparison.Ordinal);
        var (get, bytes) = await GetAsync(bucket, "mp");
        Assert.Equal(data, bytes);
        Assert.EndsWith(keyId, get.ServerSideEncryptionKeyManagementServiceKeyId, StringComparison.Ordinal);
    }

    // ---- copies ----------------------------------------------------------------------------------------------------

    [Fact]
    public async Task CopyEncryptsAsTheRequestSaysNotAsTheSource()
    {
        string bucket = await NewBucketAsync();
        string keyId = await NewKmsKeyAsync();
        var data = Data(150_000, seed: 14);
        await PutBytesAsync(bucket, "plain", data);

        // plain -> SSE-S3
        var toS3 = await Root.CopyObjectAsync(new CopyObjectRequest
        {
            SourceBucket = bucket, SourceKey = "plain", DestinationBucket = bucket, DestinationKey = "sse-s3",
            ServerSideEncryptionMethod = ServerSideEncryptionMethod.AES256,
        });
        Assert.Equal(ServerSideEncryptionMethod.AES256, toS3.ServerSideEncryptionMethod);
        var (s3Copy, s3Bytes) = await GetAsync(bucket, "sse-s3");
        Assert.Equal(data, s3Bytes);
        Assert.Equal(ServerSideEncryptionMethod.AES256, s3Copy.ServerSideEncryptionMethod);
        NoServerSideEncryption((await HeadAsync(bucket, "plain")).ServerSideEncryptionMethod);

        // SSE-C source -> SSE-KMS destination
        var key = SseCustomerKey.New();
        await PutBytesAsync(bucket, "sse-c", data, r => WithCustomerKey(r, key));
        await FailsAsync(HttpStatusCode.BadRequest, "InvalidRequest", () => Root.CopyObjectAsync(new CopyObjectRequest
        {
            SourceBucket = bucket, SourceKey = "sse-c", DestinationBucket = bucket, DestinationKey = "no-source-key",
        }));
        var toKms = await Root.CopyObjectAsync(new CopyObjectRequest
        {
            SourceBucket = bucket, SourceKey = "sse-c", DestinationBucket = bucket, DestinationKey = "kms",
            CopySourceServerSideEncryptionCustomerMethod = ServerSideEncryptionCustomerMethod.AES256,
            CopySourceServerSideEncryptionCustomerProvidedKey = key.Key,
            CopySourceServerSideEncryptionCustomerProvidedKeyMD5 = key.Md5,
            ServerSideEncryptionMethod = ServerSideEncryptionMethod.AWSKMS,
            ServerSideEncryptionKeyManagementServiceKeyId = keyId,
        });
        Assert.Equal(ServerSideEncryptionMethod.AWSKMS, toKms.ServerSideEncryptionMethod);
        Assert.EndsWith(keyId, toKms.ServerSideEncryptionKeyManagementServiceKeyId, StringComparison.Ordinal);
        var (kmsCopy, kmsBytes) = await GetAsync(bucket, "kms");
        Assert.Equal(data, kmsBytes);
        Assert.EndsWith(keyId, kmsCopy.ServerSideEncryptionKeyManagementServiceKeyId, StringComparison.Ordinal);
        var absent = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => HeadAsync(bucket, "no-source-key"));
        Assert.Equal(HttpStatusCode.NotFound, absent.StatusCode);
    }

    /// <summary>A copy whose source key is not the source's is AccessDenied, as a GET with it is, and writes nothing.</summary>
    [Fact]
    public async Task CopyWithTheWrongSourceKeyIsAccessDenied()
    {
        string bucket = await NewBucketAsync();
        var key = SseCustomerKey.New();
        var wrongKey = SseCustomerKey.New();
        await PutBytesAsync(bucket, "sse-c", Data(1000, seed: 22), r => WithCustomerKey(r, key));
        await FailsAsync(HttpStatusCode.Forbidden, "AccessDenied", () => Root.CopyObjectAsync(new CopyObjectRequest
        {
            SourceBucket = bucket, SourceKey = "sse-c", DestinationBucket = bucket, DestinationKey = "wrong-source-key",
            CopySourceServerSideEncryptionCustomerMethod = ServerSideEncryptionCustomerMethod.AES256,
            CopySourceServerSideEncryptionCustomerProvidedKey = wrongKey.Key,
            CopySourceServerSideEncryptionCustomerProvidedKeyMD5 = wrongKey.Md5,
        }));
        var absent = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => HeadAsync(bucket, "wrong-source-key"));
        Assert.Equal(HttpStatusCode.NotFound, absent.StatusCode);

        var create = await Root.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest { BucketName = bucket, Key = "copy" });
        await FailsAsync(HttpStatusCode.Forbidden, "AccessDenied", () => Root.CopyPartAsync(new CopyPartRequest
        {
            SourceBucket = bucket, SourceKey = "sse-c", DestinationBucket = bucket, DestinationKey = "copy", UploadId = create.UploadId, PartNumber = 1,
            CopySourceServerSideEncryptionCustomerMethod = ServerSideEncryptionCustomerMethod.AES256,
            CopySourceServerSideEncryptionCustomerProvidedKey = wrongKey.Key,
            CopySourceServerSideEncryptionCustomerProvidedKeyMD5 = wrongKey.Md5,
        }));
        var parts = await Root.ListPartsAsync(new ListPartsRequest { BucketName = bucket, Key = "copy", UploadId = create.UploadId });
        Assert.Empty(parts.Parts ?? []);
    }

    [Fact]
    public async Task CopyInPlaceChangingEncryptionNeedsNoReplace()
    {
        string bucket = await NewBucketAsync();
        var data = Data(70_000, seed: 15);
        await PutBytesAsync(bucket, "object", data, r => r.Metadata["kept"] = "yes");

        // Unchanged: refused. Encryption named: allowed with the COPY directive, metadata kept.
        await FailsAsync(HttpStatusCode.BadRequest, "InvalidRequest", () => Root.CopyObjectAsync(new CopyObjectRequest
        {
            SourceBucket = bucket, SourceKey = "object", DestinationBucket = bucket, DestinationKey = "object",
        }));
        var toKms = await Root.CopyObjectAsync(new CopyObjectRequest
        {
            SourceBucket = bucket, SourceKey = "object", DestinationBucket = bucket, DestinationKey = "object",
            ServerSideEncryptionMethod = ServerSideEncryptionMethod.AWSKMS,
        });
        Assert.Equal(ServerSideEncryptionMethod.AWSKMS, toKms.ServerSideEncryptionMethod);
        var head = await HeadAsync(bucket, "object");
        Assert.Equal(ServerSideEncryptionMethod.AWSKMS, head.ServerSideEncryptionMethod);
        Assert.Equal("yes", head.Metadata["kept"]);
        Assert.Equal(data, (await GetAsync(bucket, "object")).Bytes);

        // SSE-KMS -> SSE-C in place: the key is needed from then on.
        var key = SseCustomerKey.New();
        var toCustomer = await Root.CopyObjectAsync(new CopyObjectRequest
        {
            SourceBucket = bucket, SourceKey = "object", DestinationBucket = bucket, DestinationKey = "object",
            ServerSideEncryptionCustomerMethod = ServerSideEncryptionCustomerMethod.AES256,
            ServerSideEncryptionCustomerProvidedKey = key.Key, ServerSideEncryptionCustomerProvidedKeyMD5 = key.Md5,
        });
        Assert.Equal(ServerSideEncryptionCustomerMethod.AES256, toCustomer.ServerSideEncryptionCustomerMethod);
        NoServerSideEncryption(toCustomer.ServerSideEncryptionMethod);
        await FailsAsync(HttpStatusCode.BadRequest, "InvalidRequest", () => GetAsync(bucket, "object"));
        var (get, bytes) = await GetAsync(bucket, "object", key);
        Assert.Equal(data, bytes);
        Assert.Equal("yes", get.Metadata["kept"]);
    }

    [Fact]
    public async Task UploadPartCopyFromAnSseCSource()
    {
        string bucket = await NewBucketAsync();
        var sourceKey = SseCustomerKey.New();
        var destinationKey = SseCustomerKey.New();
        var data = Data(5 * MiB + 4321, seed: 16);
        await PutBytesAsync(bucket, "source", data, r => WithCustomerKey(r, sourceKey));
        var create = await Root.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest
        {
            BucketName = bucket, Key = "copy",
            ServerSideEncryptionCustomerMethod = ServerSideEncryptionCustomerMethod.AES256,
            ServerSideEncryptionCustomerProvidedKey = destinationKey.Key, ServerSideEncryptionCustomerProvidedKeyMD5 = destinationKey.Md5,
        });
        CopyPartRequest CopyPart(int number, long first, long last, SseCustomerKey? source) => new()
        {
            SourceBucket = bucket, SourceKey = "source", DestinationBucket = bucket, DestinationKey = "copy", UploadId = create.UploadId,
            PartNumber = number, FirstByte = first, LastByte = last,
            CopySourceServerSideEncryptionCustomerMethod = source is null ? null : ServerSideEncryptionCustomerMethod.AES256,
            CopySourceServerSideEncryptionCustomerProvidedKey = source?.Key,
            CopySourceServerSideEncryptionCustomerProvidedKeyMD5 = source?.Md5,
            ServerSideEncryptionCustomerMethod = ServerSideEncryptionCustomerMethod.AES256,
            ServerSideEncryptionCustomerProvidedKey = destinationKey.Key,
            ServerSideEncryptionCustomerProvidedKeyMD5 = destinationKey.Md5,
        };
        await FailsAsync(HttpStatusCode.BadRequest, "InvalidRequest", () => Root.CopyPartAsync(CopyPart(1, 0, 5 * MiB - 1, null)));
        var first = await Root.CopyPartAsync(CopyPart(1, 0, 5 * MiB - 1, sourceKey));
        var second = await Root.CopyPartAsync(CopyPart(2, 5 * MiB, data.Length - 1, sourceKey));
        await Root.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
        {
            BucketName = bucket, Key = "copy", UploadId = create.UploadId,
            PartETags = [new PartETag(1, first.ETag), new PartETag(2, second.ETag)],
        });
        var (get, bytes) = await GetAsync(bucket, "copy", destinationKey);
        Assert.Equal(data, bytes);
        Assert.Equal(destinationKey.Md5, get.ServerSideEncryptionCustomerProvidedKeyMD5);
        await FailsAsync(HttpStatusCode.Forbidden, "AccessDenied", () => GetAsync(bucket, "copy", sourceKey));
        await RangesReadBackAsync(bucket, "copy", data, destinationKey, (5 * MiB - 2, 5 * MiB + 1));
    }

    // ---- bucket default encryption ---------------------------------------------------------------------------------

    private Task<PutBucketEncryptionResponse> PutDefaultAsync(string bucket, ServerSideEncryptionMethod algorithm, string? keyId = null, bool? bucketKey = null) =>
        Root.PutBucketEncryptionAsync(new PutBucketEncryptionRequest
        {
            BucketName = bucket,
            ServerSideEncryptionConfiguration = new ServerSideEncryptionConfiguration
            {
                ServerSideEncryptionRules =
                [
                    new ServerSideEncryptionRule
                    {
                        ServerSideEncryptionByDefault = new ServerSideEncryptionByDefault
                        {
                            ServerSideEncryptionAlgorithm = algorithm, ServerSideEncryptionKeyManagementServiceKeyId = keyId,
                        },
                        BucketKeyEnabled = bucketKey,
                    },
                ],
            },
        });

    [Fact]
    public async Task BucketDefaultEncryptionIsSetReadAppliedAndDeleted()
    {
        string bucket = await NewBucketAsync();
        string keyId = await NewKmsKeyAsync();
        var data = Data(5000, seed: 17);

        await PutDefaultAsync(bucket, ServerSideEncryptionMethod.AES256);
        var rule = Assert.Single((await Root.GetBucketEncryptionAsync(new GetBucketEncryptionRequest { BucketName = bucket }))
            .ServerSideEncryptionConfiguration.ServerSideEncryptionRules);
        Assert.Equal(ServerSideEncryptionMethod.AES256, rule.ServerSideEncryptionByDefault.ServerSideEncryptionAlgorithm);
        Assert.Null(rule.ServerSideEncryptionByDefault.ServerSideEncryptionKeyManagementServiceKeyId);
        Assert.NotEqual(true, rule.BucketKeyEnabled);
        Assert.Equal(ServerSideEncryptionMethod.AES256, (await PutBytesAsync(bucket, "default-s3", data)).ServerSideEncryptionMethod);
        Assert.Equal(ServerSideEncryptionMethod.AES256, (await HeadAsync(bucket, "default-s3")).ServerSideEncryptionMethod);

        await PutDefaultAsync(bucket, ServerSideEncryptionMethod.AWSKMS, keyId, bucketKey: true);
        rule = Assert.Single((await Root.GetBucketEncryptionAsync(new GetBucketEncryptionRequest { BucketName = bucket }))
            .ServerSideEncryptionConfiguration.ServerSideEncryptionRules);
        Assert.Equal(ServerSideEncryptionMethod.AWSKMS, rule.ServerSideEncryptionByDefault.ServerSideEncryptionAlgorithm);
        Assert.Equal(keyId, rule.ServerSideEncryptionByDefault.ServerSideEncryptionKeyManagementServiceKeyId);
        Assert.True(rule.BucketKeyEnabled);

        // Every write without encryption headers gets the default: PUT, COPY, CreateMultipartUpload.
        var put = await PutBytesAsync(bucket, "default-kms", data);
        Assert.Equal(ServerSideEncryptionMethod.AWSKMS, put.ServerSideEncryptionMethod);
        Assert.EndsWith(keyId, put.ServerSideEncryptionKeyManagementServiceKeyId, StringComparison.Ordinal);
        Assert.True(put.BucketKeyEnabled);
        Assert.NotEqual(Md5ETag(data), put.ETag);
        var (get, bytes) = await GetAsync(bucket, "default-kms");
        Assert.Equal(data, bytes);
        Assert.EndsWith(keyId, get.ServerSideEncryptionKeyManagementServiceKeyId, StringComparison.Ordinal);
        var copy = await Root.CopyObjectAsync(new CopyObjectRequest
        {
            SourceBucket = bucket, SourceKey = "default-s3", DestinationBucket = bucket, DestinationKey = "copied",
        });
        Assert.Equal(ServerSideEncryptionMethod.AWSKMS, copy.ServerSideEncryptionMethod);
        Assert.EndsWith(keyId, copy.ServerSideEncryptionKeyManagementServiceKeyId, StringComparison.Ordinal);
        var upload = await Root.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest { BucketName = bucket, Key = "mp" });
        Assert.Equal(ServerSideEncryptionMethod.AWSKMS, upload.ServerSideEncryptionMethod);
        Assert.EndsWith(keyId, upload.ServerSideEncryptionKeyManagementServiceKeyId, StringComparison.Ordinal);
        await Root.AbortMultipartUploadAsync(new AbortMultipartUploadRequest { BucketName = bucket, Key = "mp", UploadId = upload.UploadId });

        // A request's own encryption takes precedence over the default.
        var s3 = await PutBytesAsync(bucket, "override-s3", data, r => r.ServerSideEncryptionMethod = ServerSideEncryptionMethod.AES256);
        Assert.Equal(ServerSideEncryptionMethod.AES256, s3.ServerSideEncryptionMethod);
        Assert.Equal(Md5ETag(data), s3.ETag);
        Assert.Equal(ServerSideEncryptionMethod.AES256, (await HeadAsync(bucket, "override-s3")).ServerSideEncryptionMethod);
        var otherKms = await PutBytesAsync(bucket, "override-kms", data, r => r.ServerSideEncryptionMethod = ServerSideEncryptionMethod.AWSKMS);
        Assert.EndsWith(keyId, otherKms.ServerSideEncryptionKeyManagementServiceKeyId, StringComparison.Ordinal); // aws:kms alone: the default's key
        var customerKey = SseCustomerKey.New();
        var customer = await PutBytesAsync(bucket, "override-c", data, r => WithCustomerKey(r, customerKey));
        Assert.Equal(customerKey.Md5, customer.ServerSideEncryptionCustomerProvidedKeyMD5);
        NoServerSideEncryption(customer.ServerSideEncryptionMethod);
        Assert.Equal(data, (await GetAsync(bucket, "override-c", customerKey)).Bytes);

        var deleted = await Root.DeleteBucketEncryptionAsync(new DeleteBucketEncryptionRequest { BucketName = bucket });
        Assert.Equal(HttpStatusCode.NoContent, deleted.HttpStatusCode);
        // AWSSDK.S3 hands back GetBucketEncryption's 404 as an empty response with the status; the code is read on the wire.
        var afterDelete = await Root.GetBucketEncryptionAsync(new GetBucketEncryptionRequest { BucketName = bucket });
        Assert.Equal(HttpStatusCode.NotFound, afterDelete.HttpStatusCode);
        using var raw = await Access.SendAsRootAsync(HttpMethod.Get, $"/{bucket}?encryption");
        var error = await AccessFixture.ErrorOf(raw);
        Assert.Equal((HttpStatusCode.NotFound, "ServerSideEncryptionConfigurationNotFoundError"), (error.Status, error.Code));
        NoServerSideEncryption((await PutBytesAsync(bucket, "after-delete", data)).ServerSideEncryptionMethod);
        Assert.Equal(Md5ETag(data), (await HeadAsync(bucket, "after-delete")).ETag);
        // Objects written under the default keep their encryption.
        Assert.Equal(ServerSideEncryptionMethod.AWSKMS, (await HeadAsync(bucket, "default-kms")).ServerSideEncryptionMethod);
    }

    [Fact]
    public async Task BucketDefaultKmsWithoutAKeyUsesTheDefaultKey()
    {
        string bucket = await NewBucketAsync();
        await PutDefaultAsync(bucket, ServerSideEncryptionMethod.AWSKMS);
        var rule = Assert.Single((await Root.GetBucketEncryptionAsync(new GetBucketEncryptionRequest { BucketName = bucket }))
            .ServerSideEncryptionConfiguration.ServerSideEncryptionRules);
        Assert.Null(rule.ServerSideEncryptionByDefault.ServerSideEncryptionKeyManagementServiceKeyId);
        var data = Data(100, seed: 18);
        var put = await PutBytesAsync(bucket, "object", data);
        Assert.Equal(ServerSideEncryptionMethod.AWSKMS, put.ServerSideEncryptionMethod);
        Assert.EndsWith("aws/s3", put.ServerSideEncryptionKeyManagementServiceKeyId, StringComparison.Ordinal);
        Assert.Equal(data, (await GetAsync(bucket, "object")).Bytes);
    }

    [Fact]
    public async Task InvalidBucketEncryptionConfigurations()
    {
        string bucket = await NewBucketAsync();
        string keyId = await NewKmsKeyAsync();
        await FailsAsync(HttpStatusCode.BadRequest, "InvalidArgument", () => PutDefaultAsync(bucket, ServerSideEncryptionMethod.AES256, keyId));
        foreach (string body in new[]
        {
            "<ServerSideEncryptionConfiguration><Rule>",
            """<ServerSideEncryptionConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>AES512</SSEAlgorithm></ApplyServerSideEncryptionByDefault></Rule></ServerSideEncryptionConfiguration>""",
            """<ServerSideEncryptionConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"></ServerSideEncryptionConfiguration>""",
            """<NotEncryption xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>AES256</SSEAlgorithm></ApplyServerSideEncryptionByDefault></Rule></NotEncryption>""",
        })
        {
            byte[] bytes = Encoding.UTF8.GetBytes(body);
            using var response = await Access.SendAsRootAsync(HttpMethod.Put, $"/{bucket}?encryption", bytes,
                [new("Content-MD5", Convert.ToBase64String(MD5.HashData(bytes)))]);
            var error = await AccessFixture.ErrorOf(response);
            Assert.True((HttpStatusCode.BadRequest, "MalformedXML") == (error.Status, error.Code), $"{body}: {(int)error.Status} {error.Code}");
        }
        // Nothing was set.
        Assert.Equal(HttpStatusCode.NotFound, (await Root.GetBucketEncryptionAsync(new GetBucketEncryptionRequest { BucketName = bucket })).HttpStatusCode);
    }

    // ---- TransferUtility -------------------------------------------------------------------------------------------

    [Fact]
    public async Task TransferUtilityRoundTripsAnSseCObjectInParts()
    {
        string bucket = await NewBucketAsync();
        var key = SseCustomerKey.New();
        var data = Data(11 * MiB + 777, seed: 19);
        // Parts from 5 MiB, so an 11 MiB object takes the SDK's multipart path (every part with the key).
        using var transfer = new TransferUtility(Root, new TransferUtilityConfig { MinSizeBeforePartUpload = 5 * MiB });
        var uploaded = await transfer.UploadWithResponseAsync(new TransferUtilityUploadRequest
        {
            BucketName = bucket, Key = "transfer", InputStream = new MemoryStream(data), PartSize = 5 * MiB,
            ServerSideEncryptionCustomerMethod = ServerSideEncryptionCustomerMethod.AES256,
            ServerSideEncryptionCustomerProvidedKey = key.Key, ServerSideEncryptionCustomerProvidedKeyMD5 = key.Md5,
        });
        Assert.Contains("-", uploaded.ETag, StringComparison.Ordinal); // uploaded in parts
        var head = await HeadAsync(bucket, "transfer", key);
        Assert.Equal(data.Length, head.ContentLength);
        Assert.Equal(3, (await GetAsync(bucket, "transfer", key, partNumber: 1)).Response.PartsCount);

        string path = Path.Combine(Path.GetTempPath(), "objstore-compat-" + Guid.NewGuid().ToString("N"));
        try
        {
            await transfer.DownloadAsync(new TransferUtilityDownloadRequest
            {
                BucketName = bucket, Key = "transfer", FilePath = path,
                ServerSideEncryptionCustomerMethod = ServerSideEncryptionCustomerMethod.AES256,
                ServerSideEncryptionCustomerProvidedKey = key.Key, ServerSideEncryptionCustomerProvidedKeyMD5 = key.Md5,
            });
            Assert.Equal(data, await File.ReadAllBytesAsync(path));
        }
        finally
        {
            File.Delete(path);
        }
        using var stream = await transfer.OpenStreamAsync(new TransferUtilityOpenStreamRequest
        {
            BucketName = bucket, Key = "transfer",
            ServerSideEncryptionCustomerMethod = ServerSideEncryptionCustomerMethod.AES256,
            ServerSideEncryptionCustomerProvidedKey = key.Key, ServerSideEncryptionCustomerProvidedKeyMD5 = key.Md5,
        });
        using var buffer = new MemoryStream();
        await stream.CopyToAsync(buffer);
        Assert.Equal(data, buffer.ToArray());
    }
}

/// <summary>
/// A server with the default settings refuses SSE-C over plain HTTP, as S3 does ("must be made over a secure
/// connection"), on writes and on reads, before it looks at the object; SSE-S3 over HTTP is fine.
/// </summary>
[Collection(SharedEndpoint.Name)]
public class CustomerKeysNeedTlsTests(S3Endpoint endpoint) : AccessTestBase(endpoint)
{
    [Fact]
    public async Task SseCOverPlainHttpIsRefused()
    {
        string bucket = await NewBucketAsync();
        var key = SseCustomerKey.New();
        var put = await FailsAsync(HttpStatusCode.BadRequest, "InvalidRequest", () => Root.PutObjectAsync(new PutObjectRequest
        {
            BucketName = bucket, Key = "sse-c", ContentBody = "secret",
            ServerSideEncryptionCustomerMethod = ServerSideEncryptionCustomerMethod.AES256,
            ServerSideEncryptionCustomerProvidedKey = key.Key, ServerSideEncryptionCustomerProvidedKeyMD5 = key.Md5,
        }));
        Assert.Contains("secure connection", put.Message, StringComparison.Ordinal);
        var initiate = await FailsAsync(HttpStatusCode.BadRequest, "InvalidRequest", () => Root.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest
        {
            BucketName = bucket, Key = "sse-c-mp",
            ServerSideEncryptionCustomerMethod = ServerSideEncryptionCustomerMethod.AES256,
            ServerSideEncryptionCustomerProvidedKey = key.Key, ServerSideEncryptionCustomerProvidedKeyMD5 = key.Md5,
        }));
        Assert.Contains("secure connection", initiate.Message, StringComparison.Ordinal);

        await PutAsync(Root, bucket, "plain", "plain");
        var get = await FailsAsync(HttpStatusCode.BadRequest, "InvalidRequest", () => Root.GetObjectAsync(new GetObjectRequest
        {
            BucketName = bucket, Key = "plain",
            ServerSideEncryptionCustomerMethod = ServerSideEncryptionCustomerMethod.AES256,
            ServerSideEncryptionCustomerProvidedKey = key.Key, ServerSideEncryptionCustomerProvidedKeyMD5 = key.Md5,
        }));
        Assert.Contains("secure connection", get.Message, StringComparison.Ordinal);

        var absent = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => Root.GetObjectMetadataAsync(bucket, "sse-c"));
        Assert.Equal(HttpStatusCode.NotFound, absent.StatusCode);
        Assert.Empty((await Root.ListMultipartUploadsAsync(new ListMultipartUploadsRequest { BucketName = bucket })).MultipartUploads ?? []);
        var s3 = await Root.PutObjectAsync(new PutObjectRequest
        {
            BucketName = bucket, Key = "sse-s3", ContentBody = "fine", ServerSideEncryptionMethod = ServerSideEncryptionMethod.AES256,
        });
        Assert.Equal(ServerSideEncryptionMethod.AES256, s3.ServerSideEncryptionMethod);
        Assert.Equal("fine", await ReadAsync(Root, bucket, "sse-s3"));
    }
}
