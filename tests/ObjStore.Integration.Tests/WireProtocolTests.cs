using Amazon.S3;
using Amazon.S3.Model;

namespace ObjStore.Integration.Tests;

/// <summary>
/// What SDKs cannot be made to send, or do not show, with raw signed headers: checksum headers S3 refuses, the
/// detail elements of InvalidPartNumber.
/// </summary>
public class WireProtocolTests
{
    private static KeyValuePair<string, string> H(string name, string value) => new(name, value);

    private static async Task<bool> ExistsAsync(AmazonS3Client s3, string bucket, string key)
    {
        try
        {
            await s3.GetObjectMetadataAsync(bucket, key);
            return true;
        }
        catch (AmazonS3Exception e) when (e.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            return false;
        }
    }

    [Theory]
    [InlineData("x-amz-checksum-crc32", "", "InvalidRequest", "Value for x-amz-checksum-crc32 header is invalid.")]
    [InlineData("x-amz-checksum-crc32", "AAAA", "InvalidRequest", "Value for x-amz-checksum-crc32 header is invalid.")]
    [InlineData("x-amz-checksum-sha256", "not base64!", "InvalidRequest", "Value for x-amz-checksum-sha256 header is invalid.")]
    [InlineData("x-amz-checksum-crc33", "AAAAAA==", "InvalidRequest", "The algorithm type you specified in x-amz-checksum- header is invalid.")]
    [InlineData("x-amz-checksum-crc32", "AAAAAA==", "BadDigest", "The CRC32 you specified did not match the calculated checksum.")]
    [InlineData("x-amz-checksum-xxhash3", "AAAAAAAAAAA=", "NotImplemented", "The XXHASH3 checksum algorithm is not implemented (CRC32, CRC32C, CRC64NVME, SHA1 and SHA256 are).")]
    [InlineData("x-amz-sdk-checksum-algorithm", "MD4", "InvalidRequest", "Value for x-amz-sdk-checksum-algorithm header is invalid.")]
    public async Task AChecksumHeaderIsCheckedAsS3ChecksIt(string header, string value, string code, string message)
    {
        await using var server = await DevServer.StartAsync("2+1");
        using var s3 = server.Client();
        await s3.PutBucketAsync("checked");
        var response = await RawS3.SendSignedAsync(server, "PUT", "/checked/k", "hello", signed: [H(header, value)]);
        Assert.Contains($"<Code>{code}</Code><Message>{message}</Message>", response.Body, StringComparison.Ordinal);
        Assert.False(await ExistsAsync(s3, "checked", "k"));
    }

    [Fact]
    public async Task APartNumberTheObjectLacksNamesTheNumberAndTheCount()
    {
        await using var server = await DevServer.StartAsync("2+1");
        using var s3 = server.Client();
        await s3.PutBucketAsync("parts");
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = "parts", Key = "single", ContentBody = "one part" });
        var beyond = await RawS3.SendSignedAsync(server, "GET", "/parts/single?partNumber=2");
        Assert.Equal(416, beyond.Status);
        Assert.Contains("<Code>InvalidPartNumber</Code><Message>The requested partnumber is not satisfiable</Message>", beyond.Body, StringComparison.Ordinal);
        Assert.Contains("<PartNumberRequested>2</PartNumberRequested><ActualPartCount>1</ActualPartCount>", beyond.Body, StringComparison.Ordinal);
        foreach (string bad in new[] { "0", "10001", "abc", "-1" })
        {
            var invalid = await RawS3.SendSignedAsync(server, "GET", $"/parts/single?partNumber={bad}");
            Assert.Equal(400, invalid.Status);
            Assert.Contains("<Code>InvalidArgument</Code>", invalid.Body, StringComparison.Ordinal);
        }
        var whole = await RawS3.SendSignedAsync(server, "GET", "/parts/single?partNumber=1");
        Assert.Equal((206, "bytes 0-7/8", "one part"), (whole.Status, whole.Headers["content-range"], whole.Body));
        Assert.False(whole.Headers.ContainsKey("x-amz-mp-parts-count"));
    }
}
