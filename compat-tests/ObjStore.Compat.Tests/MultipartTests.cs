using System.Net;
using System.Security.Cryptography;
using Amazon.S3;
using Amazon.S3.Model;
using Amazon.S3.Transfer;

namespace ObjStore.Compat.Tests;

[Collection(SharedEndpoint.Name)]
public class MultipartTests(S3Endpoint endpoint) : IAsyncLifetime
{
    private const int MiB = 1 << 20;
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

    private async Task<string> StartAsync(string key, Action<InitiateMultipartUploadRequest>? configure = null)
    {
        var request = new InitiateMultipartUploadRequest { BucketName = _bucket, Key = key };
        configure?.Invoke(request);
        return (await _s3.InitiateMultipartUploadAsync(request)).UploadId;
    }

    private async Task<PartETag> UploadAsync(string key, string uploadId, int number, byte[] data)
    {
        var response = await _s3.UploadPartAsync(new UploadPartRequest
        {
            BucketName = _bucket, Key = key, UploadId = uploadId, PartNumber = number, InputStream = new MemoryStream(data),
        });
        return new PartETag(number, response.ETag);
    }

    private Task<CompleteMultipartUploadResponse> CompleteAsync(string key, string uploadId, params PartETag[] parts) =>
        _s3.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest { BucketName = _bucket, Key = key, UploadId = uploadId, PartETags = [.. parts] });

    private async Task<byte[]> GetBytesAsync(GetObjectRequest request)
    {
        request.BucketName = _bucket;
        using var response = await _s3.GetObjectAsync(request);
        using var buffer = new MemoryStream();
        await response.ResponseStream.CopyToAsync(buffer);
        return buffer.ToArray();
    }

    private static string MultipartETag(params byte[][] parts) =>
        $"\"{Convert.ToHexStringLower(MD5.HashData(parts.SelectMany(p => MD5.HashData(p)).ToArray()))}-{parts.Length}\"";

    [Fact]
    public async Task ThreePartsCompleteIntoOneObjectWithTheMultipartETag()
    {
        byte[] one = RandomBytes(5 * MiB, 1), two = RandomBytes(5 * MiB + 1, 2), three = RandomBytes(MiB + 3, 3);
        string id = await StartAsync("mp/three", r =>
        {
            r.ContentType = "application/x-parts";
            r.Metadata.Add("origin", "compat");
        });
        var parts = await Task.WhenAll(UploadAsync("mp/three", id, 1, one), UploadAsync("mp/three", id, 2, two), UploadAsync("mp/three", id, 3, three));
        var complete = await CompleteAsync("mp/three", id, parts);
        Assert.Equal(MultipartETag(one, two, three), complete.ETag);

        byte[] all = [.. one, .. two, .. three];
        Assert.Equal(all, await GetBytesAsync(new GetObjectRequest { Key = "mp/three" }));
        var head = await _s3.GetObjectMetadataAsync(_bucket, "mp/three");
        Assert.Equal(all.Length, head.ContentLength);
        Assert.Equal("application/x-parts", head.Headers.ContentType);
        Assert.Equal("compat", head.Metadata["origin"]);

        // A range spanning all three parts, and one inside a single part.
        long from = 5 * MiB - 10, to = 10 * MiB + 20;
        Assert.Equal(all[(int)from..(int)(to + 1)], await GetBytesAsync(new GetObjectRequest { Key = "mp/three", ByteRange = new ByteRange(from, to) }));
        Assert.Equal(all[^7..], await GetBytesAsync(new GetObjectRequest { Key = "mp/three", ByteRange = new ByteRange("bytes=-7") }));
    }

    [Fact]
    public async Task PartNumberReadsOnePartAndReportsThePartsCount()
    {
        byte[] one = RandomBytes(5 * MiB, 4), two = RandomBytes(12345, 5);
        string id = await StartAsync("mp/parts");
        await CompleteAsync("mp/parts", id, await UploadAsync("mp/parts", id, 1, one), await UploadAsync("mp/parts", id, 2, two));

        using var response = await _s3.GetObjectAsync(new GetObjectRequest { BucketName = _bucket, Key = "mp/parts", PartNumber = 2 });
        Assert.Equal(HttpStatusCode.PartialContent, response.HttpStatusCode);
        Assert.Equal(2, response.PartsCount);
        using var buffer = new MemoryStream();
        await response.ResponseStream.CopyToAsync(buffer);
        Assert.Equal(two, buffer.ToArray());

        var head = await _s3.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = _bucket, Key = "mp/parts", PartNumber = 1 });
        Assert.Equal(one.Length, head.ContentLength);
        Assert.Equal(2, head.PartsCount);

        var e = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => _s3.GetObjectAsync(new GetObjectRequest { BucketName = _bucket, Key = "mp/parts", PartNumber = 3 }));
        Assert.Equal(HttpStatusCode.RequestedRangeNotSatisfiable, e.StatusCode);
    }

    [Fact]
    public async Task UnknownPartOrWrongETagIsInvalidPart()
    {
        string id = await StartAsync("mp/invalid");
        var one = await UploadAsync("mp/invalid", id, 1, RandomBytes(100, 8));
        var wrongETag = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => CompleteAsync("mp/invalid", id, new PartETag(1, "\"0123456789abcdef0123456789abcdef\"")));
        Assert.Equal("InvalidPart", wrongETag.ErrorCode);
        var unknown = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => CompleteAsync("mp/invalid", id, one, new PartETag(2, one.ETag)));
        Assert.Equal("InvalidPart", unknown.ErrorCode);
        // The refused completions left the upload intact: it still completes.
        await CompleteAsync("mp/invalid", id, one);
    }

    [Fact]
    public async Task APartBelowFiveMiBBeforeTheLastIsEntityTooSmall()
    {
        string id = await StartAsync("mp/small");
        var one = await UploadAsync("mp/small", id, 1, RandomBytes(5 * MiB - 1, 9));
        var two = await UploadAsync("mp/small", id, 2, RandomBytes(10, 10));
        var e = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => CompleteAsync("mp/small", id, one, two));
        Assert.Equal("EntityTooSmall", e.ErrorCode);
        Assert.Equal(HttpStatusCode.BadRequest, e.StatusCode);
        // A single small part is fine: it is the last.
        await CompleteAsync("mp/small", id, two);
        Assert.Equal(10, (await _s3.GetObjectMetadataAsync(_bucket, "mp/small")).ContentLength);
    }

    [Fact]
    public async Task UnknownUploadIdIsNoSuchUploadEverywhere()
    {
        const string bogus = "0000000000000000000000000000dead";
        async Task Expect(Func<Task> call)
        {
            var e = await Assert.ThrowsAnyAsync<AmazonS3Exception>(call);
            Assert.Equal("NoSuchUpload", e.ErrorCode);
            Assert.Equal(HttpStatusCode.NotFound, e.StatusCode);
        }
        await Expect(() => UploadAsync("mp/none", bogus, 1, [1, 2, 3]));
        await Expect(() => CompleteAsync("mp/none", bogus, new PartETag(1, "\"00\"")));
        await Expect(() => _s3.AbortMultipartUploadAsync(_bucket, "mp/none", bogus));
        await Expect(() => _s3.ListPartsAsync(_bucket, "mp/none", bogus));
        // An upload id is bound to its key.
        string id = await StartAsync("mp/bound");
        await Expect(() => UploadAsync("mp/other-key", id, 1, [1]));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(10_001)]
    public async Task PartNumbersOutsideOneToTenThousandAreInvalidArgument(int number)
    {
        string id = await StartAsync("mp/numbers");
        var e = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => UploadAsync("mp/numbers", id, number, [1]));
        Assert.Equal("InvalidArgument", e.ErrorCode);
    }

    [Fact]
    public async Task AbortRemovesTheUploadAndItsParts()
    {
        string id = await StartAsync("mp/abort");
        await UploadAsync("mp/abort", id, 1, RandomBytes(1000, 11));
        Assert.Contains((await _s3.ListMultipartUploadsAsync(_bucket)).MultipartUploads ?? [], u => u.UploadId == id);
        var aborted = await _s3.AbortMultipartUploadAsync(_bucket, "mp/abort", id);
        Assert.Equal(HttpStatusCode.NoContent, aborted.HttpStatusCode);
        Assert.DoesNotContain((await _s3.ListMultipartUploadsAsync(_bucket)).MultipartUploads ?? [], u => u.UploadId == id);
        var e = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => _s3.ListPartsAsync(_bucket, "mp/abort", id));
        Assert.Equal("NoSuchUpload", e.ErrorCode);
        var missing = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => _s3.GetObjectMetadataAsync(_bucket, "mp/abort"));
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task ListPartsPagesWithMarkers()
    {
        string id = await StartAsync("mp/list");
        var uploaded = new List<PartETag>();
        for (int n = 1; n <= 5; n++)
        {
            uploaded.Add(await UploadAsync("mp/list", id, n, RandomBytes(100 + n, n)));
        }
        var first = await _s3.ListPartsAsync(new ListPartsRequest { BucketName = _bucket, Key = "mp/list", UploadId = id, MaxParts = 2 });
        Assert.True(first.IsTruncated);
        Assert.Equal([1, 2], first.Parts.Select(p => p.PartNumber ?? 0));
        Assert.Equal(2, first.NextPartNumberMarker);
        Assert.Equal(101, first.Parts[0].Size);
        Assert.Equal(uploaded[0].ETag, first.Parts[0].ETag);
        var rest = await _s3.ListPartsAsync(new ListPartsRequest { BucketName = _bucket, Key = "mp/list", UploadId = id, PartNumberMarker = "2" });
        Assert.False(rest.IsTruncated);
        Assert.Equal([3, 4, 5], rest.Parts.Select(p => p.PartNumber ?? 0));
    }

    [Fact]
    public async Task ListMultipartUploadsHonoursPrefixDelimiterAndMarkers()
    {
        string a1 = await StartAsync("up/a");
        string a2 = await StartAsync("up/a");
        string b = await StartAsync("up/b");
        string nested = await StartAsync("up/dir/c");
        await StartAsync("elsewhere");

        var all = await _s3.ListMultipartUploadsAsync(new ListMultipartUploadsRequest { BucketName = _bucket, Prefix = "up/" });
        Assert.Equal([a1, a2, b, nested], all.MultipartUploads.Select(u => u.UploadId));
        Assert.Equal(["up/a", "up/a", "up/b", "up/dir/c"], all.MultipartUploads.Select(u => u.Key));

        var delimited = await _s3.ListMultipartUploadsAsync(new ListMultipartUploadsRequest { BucketName = _bucket, Prefix = "up/", Delimiter = "/" });
        Assert.Equal([a1, a2, b], delimited.MultipartUploads.Select(u => u.UploadId));
        Assert.Equal(["up/dir/"], delimited.CommonPrefixes);

        var page = await _s3.ListMultipartUploadsAsync(new ListMultipartUploadsRequest { BucketName = _bucket, Prefix = "up/", MaxUploads = 1 });
        Assert.True(page.IsTruncated);
        Assert.Equal("up/a", page.NextKeyMarker);
        Assert.Equal(a1, page.NextUploadIdMarker);
        var next = await _s3.ListMultipartUploadsAsync(new ListMultipartUploadsRequest
        {
            BucketName = _bucket, Prefix = "up/", KeyMarker = page.NextKeyMarker, UploadIdMarker = page.NextUploadIdMarker,
        });
        Assert.Equal([a2, b, nested], next.MultipartUploads.Select(u => u.UploadId));
        var afterKey = await _s3.ListMultipartUploadsAsync(new ListMultipartUploadsRequest { BucketName = _bucket, Prefix = "up/", KeyMarker = "up/a" });
        Assert.Equal([b, nested], afterKey.MultipartUploads.Select(u => u.UploadId));
    }

    [Fact]
    public async Task UploadingAPartNumberAgainReplacesThePart()
    {
        string id = await StartAsync("mp/replace");
        await UploadAsync("mp/replace", id, 1, RandomBytes(5 * MiB, 12));
        var two = await UploadAsync("mp/replace", id, 2, RandomBytes(50, 13));
        byte[] newer = RandomBytes(5 * MiB, 14);
        var one = await UploadAsync("mp/replace", id, 1, newer);
        var parts = await _s3.ListPartsAsync(_bucket, "mp/replace", id);
        Assert.Equal(2, parts.Parts.Count);
        await CompleteAsync("mp/replace", id, one, two);
        var bytes = await GetBytesAsync(new GetObjectRequest { Key = "mp/replace" });
        Assert.Equal(newer, bytes[..newer.Length]);
    }

    [Fact]
    public async Task UploadPartCopyTakesARangeOfAnotherObject()
    {
        byte[] source = RandomBytes(6 * MiB + 77, 15);
        var put = await _s3.PutObjectAsync(new PutObjectRequest { BucketName = _bucket, Key = "copy/source", InputStream = new MemoryStream(source) });
        string id = await StartAsync("copy/target");
        var first = await _s3.CopyPartAsync(new CopyPartRequest
        {
            SourceBucket = _bucket, SourceKey = "copy/source", DestinationBucket = _bucket, DestinationKey = "copy/target",
            UploadId = id, PartNumber = 1, FirstByte = 0, LastByte = 5 * MiB - 1, ETagToMatch = [put.ETag],
        });
        var second = await _s3.CopyPartAsync(new CopyPartRequest
        {
            SourceBucket = _bucket, SourceKey = "copy/source", DestinationBucket = _bucket, DestinationKey = "copy/target",
            UploadId = id, PartNumber = 2, FirstByte = 5 * MiB, LastByte = source.Length - 1,
        });
        await CompleteAsync("copy/target", id, new PartETag(1, first.ETag), new PartETag(2, second.ETag));
        Assert.Equal(source, await GetBytesAsync(new GetObjectRequest { Key = "copy/target" }));

        var e = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => _s3.CopyPartAsync(new CopyPartRequest
        {
            SourceBucket = _bucket, SourceKey = "copy/source", DestinationBucket = _bucket, DestinationKey = "copy/x",
            UploadId = id, PartNumber = 1, ETagToMatch = ["\"not-the-etag\""],
        }));
        Assert.Equal(HttpStatusCode.PreconditionFailed, e.StatusCode);
    }

    [Fact]
    public async Task CompositeChecksumWhenTheUploadAsksForOne()
    {
        byte[] one = RandomBytes(5 * MiB, 16), two = RandomBytes(999, 17);
        string id = await StartAsync("mp/crc", r => r.ChecksumAlgorithm = ChecksumAlgorithm.CRC32);
        var p1 = await _s3.UploadPartAsync(new UploadPartRequest { BucketName = _bucket, Key = "mp/crc", UploadId = id, PartNumber = 1, InputStream = new MemoryStream(one), ChecksumAlgorithm = ChecksumAlgorithm.CRC32 });
        var p2 = await _s3.UploadPartAsync(new UploadPartRequest { BucketName = _bucket, Key = "mp/crc", UploadId = id, PartNumber = 2, InputStream = new MemoryStream(two), ChecksumAlgorithm = ChecksumAlgorithm.CRC32 });
        Assert.False(string.IsNullOrEmpty(p1.ChecksumCRC32));
        var complete = await _s3.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
        {
            BucketName = _bucket, Key = "mp/crc", UploadId = id,
            PartETags = [new PartETag { PartNumber = 1, ETag = p1.ETag, ChecksumCRC32 = p1.ChecksumCRC32 }, new PartETag { PartNumber = 2, ETag = p2.ETag, ChecksumCRC32 = p2.ChecksumCRC32 }],
        });
        Assert.EndsWith("-2", complete.ChecksumCRC32);
        byte[] expected = [.. one, .. two];
        Assert.Equal(expected, await GetBytesAsync(new GetObjectRequest { Key = "mp/crc", ChecksumMode = ChecksumMode.ENABLED }));
    }

    [Fact]
    public async Task TransferUtilityUploadsAndDownloadsInParts()
    {
        byte[] data = RandomBytes(21 * MiB + 5, 18);
        using var transfer = new TransferUtility(_s3);
        await transfer.UploadAsync(new TransferUtilityUploadRequest
        {
            BucketName = _bucket, Key = "transfer/object", InputStream = new MemoryStream(data), PartSize = 5 * MiB,
        });
        var head = await _s3.GetObjectMetadataAsync(_bucket, "transfer/object");
        Assert.EndsWith("-5\"", head.ETag);

        string path = Path.Combine(Path.GetTempPath(), "objstore-transfer-" + Guid.NewGuid().ToString("N"));
        try
        {
            await transfer.DownloadAsync(new TransferUtilityDownloadRequest { BucketName = _bucket, Key = "transfer/object", FilePath = path });
            byte[] downloaded = await File.ReadAllBytesAsync(path);
            Assert.Equal(SHA256.HashData(data), SHA256.HashData(downloaded));
        }
        finally
        {
            File.Delete(path);
        }
        await using var stream = await transfer.OpenStreamAsync(_bucket, "transfer/object");
        using var buffer = new MemoryStream();
        await stream.CopyToAsync(buffer);
        Assert.Equal(data, buffer.ToArray());
    }

    [Fact]
    public async Task RetryingACompletionThatSucceededReturnsTheSameObject()
    {
        string id = await StartAsync("mp/retry");
        var part = await UploadAsync("mp/retry", id, 1, RandomBytes(321, 19));
        var first = await CompleteAsync("mp/retry", id, part);
        var again = await CompleteAsync("mp/retry", id, part);
        Assert.Equal(first.ETag, again.ETag);
    }
}
