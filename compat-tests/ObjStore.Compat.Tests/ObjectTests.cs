using System.Net;
using System.Security.Cryptography;
using System.Text;
using Amazon.S3;
using Amazon.S3.Model;

namespace ObjStore.Compat.Tests;

[Collection(SharedEndpoint.Name)]
public class ObjectTests(S3Endpoint endpoint) : IAsyncLifetime
{
    private readonly AmazonS3Client _s3 = endpoint.Client();
    private readonly string _bucket = S3Endpoint.NewBucketName();

    public Task InitializeAsync() => _s3.PutBucketAsync(_bucket);

    public Task DisposeAsync()
    {
        _s3.Dispose();
        return Task.CompletedTask;
    }

    private static byte[] RandomBytes(int size, int seed)
    {
        var bytes = new byte[size];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private async Task<byte[]> GetBytesAsync(string key, ByteRange? range = null)
    {
        using var response = await _s3.GetObjectAsync(new GetObjectRequest { BucketName = _bucket, Key = key, ByteRange = range });
        using var buffer = new MemoryStream();
        await response.ResponseStream.CopyToAsync(buffer);
        return buffer.ToArray();
    }

    /// <summary>
    /// The default ObjStore:ReplicateUpTo of the server these tests start: objects of at most this many bytes are
    /// stored as copies, larger ones striped (another endpoint may not replicate at all; the tests hold either way).
    /// </summary>
    private const int ReplicationThreshold = 65_536;

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(4096)]
    [InlineData(ReplicationThreshold - 1)]
    [InlineData(ReplicationThreshold)]
    [InlineData(ReplicationThreshold + 1)]
    [InlineData(1_048_575)]
    [InlineData(1_048_576)]
    [InlineData(1_048_577)]
    [InlineData(5_000_003)]
    public async Task PutAndGetRoundTripWithMd5ETag(int size)
    {
        var data = RandomBytes(size, size);
        var put = await _s3.PutObjectAsync(new PutObjectRequest { BucketName = _bucket, Key = $"size/{size}", InputStream = new MemoryStream(data) });
        string md5 = Convert.ToHexStringLower(MD5.HashData(data));
        Assert.Equal($"\"{md5}\"", put.ETag);
        Assert.Equal(data, await GetBytesAsync($"size/{size}"));
        var head = await _s3.GetObjectMetadataAsync(_bucket, $"size/{size}");
        Assert.Equal(size, head.ContentLength);
        Assert.Equal($"\"{md5}\"", head.ETag);
    }

    [Fact]
    public async Task MetadataAndStandardHeadersRoundTrip()
    {
        var request = new PutObjectRequest { BucketName = _bucket, Key = "meta", ContentBody = "hello", ContentType = "text/plain" };
        request.Metadata["colour"] = "blue";
        request.Metadata["x-amz-meta-Mixed-Case"] = "Value";
        request.Headers.CacheControl = "max-age=60";
        request.Headers.ContentDisposition = "attachment; filename=\"h.txt\"";
        request.Headers.ContentLanguage = "en";
        request.StorageClass = S3StorageClass.StandardInfrequentAccess;
        await _s3.PutObjectAsync(request);
        var head = await _s3.GetObjectMetadataAsync(_bucket, "meta");
        Assert.Equal("text/plain", head.Headers.ContentType);
        Assert.Equal("blue", head.Metadata["colour"]);
        Assert.Equal("Value", head.Metadata["mixed-case"]);
        Assert.Equal("max-age=60", head.Headers.CacheControl);
        Assert.Equal("attachment; filename=\"h.txt\"", head.Headers.ContentDisposition);
        Assert.Equal("en", head.Headers["Content-Language"]);
        Assert.Equal(S3StorageClass.StandardInfrequentAccess, head.StorageClass);
    }

    [Fact]
    public async Task MissingKeyIsNoSuchKey()
    {
        var e = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => _s3.GetObjectAsync(_bucket, "nope"));
        Assert.Equal("NoSuchKey", e.ErrorCode);
        Assert.Equal(HttpStatusCode.NotFound, e.StatusCode);
    }

    [Fact]
    public async Task RangesReturnExactBytes()
    {
        var data = RandomBytes(3_000_000, 7);
        await _s3.PutObjectAsync(new PutObjectRequest { BucketName = _bucket, Key = "r", InputStream = new MemoryStream(data) });
        Assert.Equal(data[10..21], await GetBytesAsync("r", new ByteRange(10, 20)));
        Assert.Equal(data[1_048_000..2_100_000], await GetBytesAsync("r", new ByteRange(1_048_000, 2_099_999)));
        Assert.Equal(data[^100..], await GetBytesAsync("r", new ByteRange("bytes=-100")));
        Assert.Equal(data[2_999_990..], await GetBytesAsync("r", new ByteRange("bytes=2999990-")));
        using var partial = await _s3.GetObjectAsync(new GetObjectRequest { BucketName = _bucket, Key = "r", ByteRange = new ByteRange(0, 9) });
        Assert.Equal(HttpStatusCode.PartialContent, partial.HttpStatusCode);
        Assert.Equal("bytes 0-9/3000000", partial.ContentRange);
        var e = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => _s3.GetObjectAsync(new GetObjectRequest { BucketName = _bucket, Key = "r", ByteRange = new ByteRange(3_000_000, 3_000_010) }));
        Assert.Equal("InvalidRange", e.ErrorCode);
        Assert.Equal(HttpStatusCode.RequestedRangeNotSatisfiable, e.StatusCode);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4096)]
    [InlineData(ReplicationThreshold)]     // the largest replicated object
    [InlineData(ReplicationThreshold + 1)] // the smallest striped one
    public async Task RangesOfObjectsAroundTheReplicationThresholdReturnExactBytes(int size)
    {
        var data = RandomBytes(size, size + 3);
        string key = $"small-range/{size}";
        await _s3.PutObjectAsync(new PutObjectRequest { BucketName = _bucket, Key = key, InputStream = new MemoryStream(data) });
        Assert.Equal(data[..1], await GetBytesAsync(key, new ByteRange(0, 0)));
        Assert.Equal(data[^1..], await GetBytesAsync(key, new ByteRange(size - 1, size - 1)));
        Assert.Equal(data[(size / 4)..(size / 2 + 1)], await GetBytesAsync(key, new ByteRange(size / 4, size / 2)));
        Assert.Equal(data[Math.Max(0, size - 100)..], await GetBytesAsync(key, new ByteRange("bytes=-100")));
        using var partial = await _s3.GetObjectAsync(new GetObjectRequest { BucketName = _bucket, Key = key, ByteRange = new ByteRange(0, size - 1) });
        Assert.Equal(HttpStatusCode.PartialContent, partial.HttpStatusCode);
        Assert.Equal($"bytes 0-{size - 1}/{size}", partial.ContentRange);
        // A copy of a small object is small as well, and reads back whole.
        await _s3.CopyObjectAsync(_bucket, key, _bucket, key + "/copy");
        Assert.Equal(data, await GetBytesAsync(key + "/copy"));
    }

    [Fact]
    public async Task ConditionalGetsFollowS3Precedence()
    {
        var put = await _s3.PutObjectAsync(new PutObjectRequest { BucketName = _bucket, Key = "c", ContentBody = "conditional" });
        var notModified = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => _s3.GetObjectAsync(new GetObjectRequest { BucketName = _bucket, Key = "c", EtagToNotMatch = put.ETag }));
        Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);
        var failed = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => _s3.GetObjectAsync(new GetObjectRequest { BucketName = _bucket, Key = "c", EtagToMatch = "\"0000\"" }));
        Assert.Equal(HttpStatusCode.PreconditionFailed, failed.StatusCode);
        // If-Match true wins over If-Unmodified-Since false.
        using var ok = await _s3.GetObjectAsync(new GetObjectRequest { BucketName = _bucket, Key = "c", EtagToMatch = put.ETag, UnmodifiedSinceDate = DateTime.UtcNow.AddDays(-1) });
        Assert.Equal(HttpStatusCode.OK, ok.HttpStatusCode);
        var modifiedSince = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => _s3.GetObjectAsync(new GetObjectRequest { BucketName = _bucket, Key = "c", ModifiedSinceDate = DateTime.UtcNow.AddDays(1) }));
        Assert.Equal(HttpStatusCode.NotModified, modifiedSince.StatusCode);
    }

    [Fact]
    public async Task ConditionalPutIfNoneMatchStarCreatesOnlyOnce()
    {
        await _s3.PutObjectAsync(new PutObjectRequest { BucketName = _bucket, Key = "lock", ContentBody = "first", IfNoneMatch = "*" });
        var e = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => _s3.PutObjectAsync(new PutObjectRequest { BucketName = _bucket, Key = "lock", ContentBody = "second", IfNoneMatch = "*" }));
        Assert.Equal(HttpStatusCode.PreconditionFailed, e.StatusCode);
        Assert.Equal("first", Encoding.UTF8.GetString(await GetBytesAsync("lock")));
    }

    [Fact]
    public async Task FlexibleChecksumsAreVerifiedStoredAndReturned()
    {
        foreach (var algorithm in new[] { ChecksumAlgorithm.CRC32, ChecksumAlgorithm.CRC32C, ChecksumAlgorithm.CRC64NVME, ChecksumAlgorithm.SHA1, ChecksumAlgorithm.SHA256 })
        {
            string key = "checksum/" + algorithm.Value;
            var put = await _s3.PutObjectAsync(new PutObjectRequest { BucketName = _bucket, Key = key, ContentBody = "checksummed content", ChecksumAlgorithm = algorithm });
            using var get = await _s3.GetObjectAsync(new GetObjectRequest { BucketName = _bucket, Key = key, ChecksumMode = ChecksumMode.ENABLED });
            await get.ResponseStream.CopyToAsync(Stream.Null);
            string? returned = algorithm.Value switch
            {
                "CRC32" => get.ChecksumCRC32,
                "CRC32C" => get.ChecksumCRC32C,
                "CRC64NVME" => get.ChecksumCRC64NVME,
                "SHA1" => get.ChecksumSHA1,
                _ => get.ChecksumSHA256,
            };
            Assert.False(string.IsNullOrEmpty(returned), algorithm.Value);
        }
        // A wrong checksum in a header is BadDigest, and nothing is stored.
        var bad = new PutObjectRequest { BucketName = _bucket, Key = "checksum/bad", ContentBody = "data", ChecksumCRC32 = "AAAAAA==" };
        var e = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => _s3.PutObjectAsync(bad));
        Assert.Equal("BadDigest", e.ErrorCode);
        Assert.Equal("NoSuchKey", (await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => _s3.GetObjectAsync(_bucket, "checksum/bad"))).ErrorCode);
    }

    /// <summary>
    /// partNumber is a ranged GET of that part (206 with Content-Range, as S3 answers). An object not uploaded in
    /// parts is its own part 1 and has no parts count; a part it does not have is 416 InvalidPartNumber.
    /// </summary>
    [Fact]
    public async Task PartNumberOfASinglePartObject()
    {
        var data = RandomBytes(10_000, 3);
        await _s3.PutObjectAsync(new PutObjectRequest { BucketName = _bucket, Key = "single", InputStream = new MemoryStream(data) });

        using (var part = await _s3.GetObjectAsync(new GetObjectRequest { BucketName = _bucket, Key = "single", PartNumber = 1 }))
        {
            Assert.Equal(HttpStatusCode.PartialContent, part.HttpStatusCode);
            Assert.Equal("bytes 0-9999/10000", part.ContentRange);
            Assert.Null(part.PartsCount);
            using var buffer = new MemoryStream();
            await part.ResponseStream.CopyToAsync(buffer);
            Assert.Equal(data, buffer.ToArray());
        }
        var head = await _s3.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = _bucket, Key = "single", PartNumber = 1 });
        Assert.Equal(HttpStatusCode.PartialContent, head.HttpStatusCode);
        Assert.Equal(10_000, head.ContentLength);
        Assert.Null(head.PartsCount);

        var beyond = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => _s3.GetObjectAsync(new GetObjectRequest { BucketName = _bucket, Key = "single", PartNumber = 2 }));
        Assert.Equal((HttpStatusCode.RequestedRangeNotSatisfiable, "InvalidPartNumber"), (beyond.StatusCode, beyond.ErrorCode));
        var headBeyond = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => _s3.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = _bucket, Key = "single", PartNumber = 2 }));
        Assert.Equal(HttpStatusCode.RequestedRangeNotSatisfiable, headBeyond.StatusCode);
    }

    [Fact]
    public async Task PartNumberOfAMultipartObject()
    {
        byte[] one = RandomBytes(5 << 20, 4), two = RandomBytes(1234, 5);
        string id = (await _s3.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest { BucketName = _bucket, Key = "parts" })).UploadId;
        var p1 = await _s3.UploadPartAsync(new UploadPartRequest { BucketName = _bucket, Key = "parts", UploadId = id, PartNumber = 1, InputStream = new MemoryStream(one) });
        var p2 = await _s3.UploadPartAsync(new UploadPartRequest { BucketName = _bucket, Key = "parts", UploadId = id, PartNumber = 2, InputStream = new MemoryStream(two) });
        await _s3.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest { BucketName = _bucket, Key = "parts", UploadId = id, PartETags = [new PartETag(1, p1.ETag), new PartETag(2, p2.ETag)] });

        using (var part = await _s3.GetObjectAsync(new GetObjectRequest { BucketName = _bucket, Key = "parts", PartNumber = 2 }))
        {
            Assert.Equal(HttpStatusCode.PartialContent, part.HttpStatusCode);
            Assert.Equal($"bytes {5 << 20}-{(5 << 20) + 1233}/{(5 << 20) + 1234}", part.ContentRange);
            Assert.Equal(2, part.PartsCount);
            using var buffer = new MemoryStream();
            await part.ResponseStream.CopyToAsync(buffer);
            Assert.Equal(two, buffer.ToArray());
        }
        var beyond = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => _s3.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = _bucket, Key = "parts", PartNumber = 3 }));
        Assert.Equal(HttpStatusCode.RequestedRangeNotSatisfiable, beyond.StatusCode);
    }

    [Fact]
    public async Task TwoChecksumValuesAreInvalidRequest()
    {
        var both = new PutObjectRequest
        {
            BucketName = _bucket, Key = "checksum/two", ContentBody = "data",
            ChecksumCRC32 = "AAAAAA==",
            ChecksumSHA1 = Convert.ToBase64String(new byte[20]), // well-formed; the algorithms are compared first
        };
        var e = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => _s3.PutObjectAsync(both));
        Assert.Equal((HttpStatusCode.BadRequest, "InvalidRequest"), (e.StatusCode, e.ErrorCode));
        Assert.Equal("Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.", e.Message);
    }

    /// <summary>AWS documents PutObject: a value header of another algorithm than x-amz-sdk-checksum-algorithm is BadDigest.</summary>
    [Fact]
    public async Task AChecksumValueOfAnotherAlgorithmThanTheOneNamedIsBadDigest()
    {
        var mismatched = new PutObjectRequest
        {
            BucketName = _bucket, Key = "checksum/named", ContentBody = "data", ChecksumAlgorithm = ChecksumAlgorithm.SHA256,
            ChecksumSHA1 = "oXyaqmHoChv3HQ2FCvTluqmAC70=", // the right SHA-1 of "data": only the algorithms disagree
        };
        var e = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => _s3.PutObjectAsync(mismatched));
        Assert.Equal((HttpStatusCode.BadRequest, "BadDigest"), (e.StatusCode, e.ErrorCode));
        Assert.Equal("NoSuchKey", (await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => _s3.GetObjectAsync(_bucket, "checksum/named"))).ErrorCode);
    }

    [Fact]
    public async Task WrongContentMd5IsBadDigest()
    {
        var request = new PutObjectRequest { BucketName = _bucket, Key = "md5", ContentBody = "payload", MD5Digest = Convert.ToBase64String(MD5.HashData("other"u8)) };
        var e = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => _s3.PutObjectAsync(request));
        Assert.Equal("BadDigest", e.ErrorCode);
    }

    [Theory]
    [InlineData("../../x")]
    [InlineData("a//b")]
    [InlineData("100%")]
    [InlineData("a+b")]
    [InlineData("with space")]
    [InlineData("trailing/")]
    [InlineData("ünïcödé/日本語/😀")]
    [InlineData("Case")]
    [InlineData("case")]
    [InlineData("caf\u00e9")]
    [InlineData("cafe\u0301")]
    [InlineData("?query&like=1#frag")]
    public async Task KeysAreDataNotPaths(string key)
    {
        await _s3.PutObjectAsync(new PutObjectRequest { BucketName = _bucket, Key = key, ContentBody = "value of " + key });
        Assert.Equal("value of " + key, Encoding.UTF8.GetString(await GetBytesAsync(key)));
        var listed = await _s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = _bucket, Prefix = key });
        Assert.Contains(listed.S3Objects, o => o.Key == key);
    }

    [Fact]
    public async Task KeysOf1024BytesWorkAndLongerAreKeyTooLong()
    {
        string longest = new string('k', 1020) + "ü" + "kk"; // 1024 bytes of UTF-8
        await _s3.PutObjectAsync(new PutObjectRequest { BucketName = _bucket, Key = longest, ContentBody = "long" });
        Assert.Equal("long", Encoding.UTF8.GetString(await GetBytesAsync(longest)));
        var e = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => _s3.PutObjectAsync(new PutObjectRequest { BucketName = _bucket, Key = longest + "k", ContentBody = "x" }));
        Assert.Equal("KeyTooLongError", e.ErrorCode);
    }

    [Fact]
    public async Task OverwriteReplacesAndDeleteIsIdempotent()
    {
        await _s3.PutObjectAsync(new PutObjectRequest { BucketName = _bucket, Key = "o", ContentBody = "one" });
        await _s3.PutObjectAsync(new PutObjectRequest { BucketName = _bucket, Key = "o", ContentBody = "two" });
        Assert.Equal("two", Encoding.UTF8.GetString(await GetBytesAsync("o")));
        var deleted = await _s3.DeleteObjectAsync(_bucket, "o");
        Assert.Equal(HttpStatusCode.NoContent, deleted.HttpStatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await _s3.DeleteObjectAsync(_bucket, "o")).HttpStatusCode);
    }

    [Fact]
    public async Task DeleteObjectsReportsEachKeyAndQuietReportsOnlyErrors()
    {
        for (int i = 0; i < 5; i++)
        {
            await _s3.PutObjectAsync(new PutObjectRequest { BucketName = _bucket, Key = $"batch/{i}", ContentBody = "x" });
        }
        var result = await _s3.DeleteObjectsAsync(new DeleteObjectsRequest
        {
            BucketName = _bucket,
            Objects = [new KeyVersion { Key = "batch/0" }, new KeyVersion { Key = "batch/1" }, new KeyVersion { Key = "batch/missing" }],
        });
        Assert.Equal(3, result.DeletedObjects.Count);
        var quiet = await _s3.DeleteObjectsAsync(new DeleteObjectsRequest
        {
            BucketName = _bucket,
            Quiet = true,
            Objects = [new KeyVersion { Key = "batch/2" }, new KeyVersion { Key = "batch/3" }],
        });
        Assert.Empty(quiet.DeletedObjects ?? []);
        var left = await _s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = _bucket, Prefix = "batch/" });
        Assert.Equal(["batch/4"], left.S3Objects.Select(o => o.Key));
    }

    [Fact]
    public async Task CopyKeepsOrReplacesMetadata()
    {
        var source = new PutObjectRequest { BucketName = _bucket, Key = "src", ContentBody = "copy me", ContentType = "text/x-src" };
        source.Metadata["origin"] = "source";
        await _s3.PutObjectAsync(source);

        var copy = await _s3.CopyObjectAsync(new CopyObjectRequest { SourceBucket = _bucket, SourceKey = "src", DestinationBucket = _bucket, DestinationKey = "dst/copy" });
        Assert.Equal($"\"{Convert.ToHexStringLower(MD5.HashData("copy me"u8))}\"", copy.ETag);
        var head = await _s3.GetObjectMetadataAsync(_bucket, "dst/copy");
        Assert.Equal("source", head.Metadata["origin"]);
        Assert.Equal("text/x-src", head.Headers.ContentType);

        var replace = new CopyObjectRequest { SourceBucket = _bucket, SourceKey = "src", DestinationBucket = _bucket, DestinationKey = "src", MetadataDirective = S3MetadataDirective.REPLACE, ContentType = "text/x-new" };
        replace.Metadata["origin"] = "replaced";
        await _s3.CopyObjectAsync(replace);
        var replaced = await _s3.GetObjectMetadataAsync(_bucket, "src");
        Assert.Equal("replaced", replaced.Metadata["origin"]);
        Assert.Equal("copy me", Encoding.UTF8.GetString(await GetBytesAsync("src")));

        var self = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => _s3.CopyObjectAsync(new CopyObjectRequest { SourceBucket = _bucket, SourceKey = "src", DestinationBucket = _bucket, DestinationKey = "src" }));
        Assert.Equal("InvalidRequest", self.ErrorCode);

        var unmet = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => _s3.CopyObjectAsync(new CopyObjectRequest { SourceBucket = _bucket, SourceKey = "src", DestinationBucket = _bucket, DestinationKey = "x", ETagToMatch = "\"nope\"" }));
        Assert.Equal(HttpStatusCode.PreconditionFailed, unmet.StatusCode);
    }

    [Fact]
    public async Task PresignedUrlsWorkWithPlainHttp()
    {
        await _s3.PutObjectAsync(new PutObjectRequest { BucketName = _bucket, Key = "shared file.txt", ContentBody = "presigned" });
        string url = await _s3.GetPreSignedURLAsync(new GetPreSignedUrlRequest { BucketName = _bucket, Key = "shared file.txt", Expires = DateTime.UtcNow.AddMinutes(5), Protocol = Protocol.HTTP });
        using var http = new HttpClient();
        Assert.Equal("presigned", await http.GetStringAsync(url));
        var tampered = await http.GetAsync(url.Replace("shared", "shaded", StringComparison.Ordinal));
        Assert.Equal(HttpStatusCode.Forbidden, tampered.StatusCode);
    }
}
