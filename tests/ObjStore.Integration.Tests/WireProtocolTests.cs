using System.Buffers.Binary;
using System.IO.Hashing;
using System.Net.Sockets;
using System.Text;
using Amazon.S3;
using Amazon.S3.Model;
using ObjStore.S3.Auth;

namespace ObjStore.Integration.Tests;

/// <summary>
/// What SDKs cannot be made to send, on a raw socket or with raw signed headers: bodies in HTTP chunks without a
/// Content-Length, checksum headers S3 refuses, the detail elements of InvalidPartNumber.
/// </summary>
public class WireProtocolTests
{
    private static KeyValuePair<string, string> H(string name, string value) => new(name, value);

    /// <summary>A signed request written to a socket exactly as given, its body in HTTP chunks; the whole answer as text.</summary>
    private static async Task<string> SendChunkedAsync(DevServer server, string method, string target, byte[] body,
        IEnumerable<KeyValuePair<string, string>>? signed = null, string payloadHash = SigV4.UnsignedPayload)
    {
        var uri = new Uri(server.Url);
        var request = new StringBuilder($"{method} {target} HTTP/1.1\r\nHost: {uri.Authority}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n");
        foreach (var (name, value) in RawS3.SignHeaders(server, method, target, signed, payloadHash: payloadHash))
        {
            request.Append(name).Append(": ").Append(value).Append("\r\n");
        }
        request.Append("\r\n");
        using var client = new TcpClient();
        await client.ConnectAsync(uri.Host, uri.Port);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request.ToString()));
        if (body.Length > 0)
        {
            await stream.WriteAsync(Encoding.ASCII.GetBytes($"{body.Length:x}\r\n"));
            await stream.WriteAsync(body);
            await stream.WriteAsync("\r\n"u8.ToArray());
        }
        await stream.WriteAsync("0\r\n\r\n"u8.ToArray());
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return await reader.ReadToEndAsync();
    }

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

    /// <summary>S3 needs the length of a plain body up front: HTTP chunks without one are 411 MissingContentLength.</summary>
    [Fact]
    public async Task APlainBodyInHttpChunksWithoutItsLengthIsMissingContentLength()
    {
        await using var server = await DevServer.StartAsync("2+1");
        using var s3 = server.Client();
        await s3.PutBucketAsync("chunked");
        string put = await SendChunkedAsync(server, "PUT", "/chunked/plain", "hello"u8.ToArray());
        Assert.StartsWith("HTTP/1.1 411 ", put, StringComparison.Ordinal);
        Assert.Contains("<Code>MissingContentLength</Code><Message>You must provide the Content-Length HTTP header.</Message>", put, StringComparison.Ordinal);
        Assert.False(await ExistsAsync(s3, "chunked", "plain"));

        string id = (await s3.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest { BucketName = "chunked", Key = "parts" })).UploadId;
        string part = await SendChunkedAsync(server, "PUT", $"/chunked/parts?partNumber=1&uploadId={id}", "hello"u8.ToArray());
        Assert.StartsWith("HTTP/1.1 411 ", part, StringComparison.Ordinal);
        Assert.Empty((await s3.ListPartsAsync(new ListPartsRequest { BucketName = "chunked", Key = "parts", UploadId = id })).Parts ?? []);
    }

    /// <summary>
    /// aws-cli 1.x over HTTPS: aws-chunked inside HTTP chunks, no Content-Length, the object's length in
    /// x-amz-decoded-content-length. That is a length up front, and it works.
    /// </summary>
    [Fact]
    public async Task AwsChunkedInsideHttpChunksWithItsDecodedLengthIsStored()
    {
        await using var server = await DevServer.StartAsync("2+1");
        using var s3 = server.Client();
        await s3.PutBucketAsync("chunked");
        byte[] data = "hello, chunks"u8.ToArray();
        var crcBytes = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(crcBytes, Crc32.HashToUInt32(data)); // S3 writes CRCs big-endian
        string crc = Convert.ToBase64String(crcBytes);
        byte[] framed = Encoding.ASCII.GetBytes($"{data.Length:x}\r\n{Encoding.ASCII.GetString(data)}\r\n0\r\nx-amz-checksum-crc32:{crc}\r\n\r\n");
        string put = await SendChunkedAsync(server, "PUT", "/chunked/framed", framed,
            [H("Content-Encoding", "aws-chunked"), H("x-amz-decoded-content-length", data.Length.ToString(System.Globalization.CultureInfo.InvariantCulture)), H("x-amz-trailer", "x-amz-checksum-crc32")],
            SigV4.StreamingUnsignedTrailer);
        Assert.StartsWith("HTTP/1.1 200 ", put, StringComparison.Ordinal);
        Assert.Equal(data, await s3.GetBytesAsync("chunked", "framed"));

        string unannounced = await SendChunkedAsync(server, "PUT", "/chunked/unannounced", framed,
            [H("Content-Encoding", "aws-chunked"), H("x-amz-trailer", "x-amz-checksum-crc32")], SigV4.StreamingUnsignedTrailer);
        Assert.StartsWith("HTTP/1.1 411 ", unannounced, StringComparison.Ordinal);
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
