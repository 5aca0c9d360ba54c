using System.Net;
using Amazon.S3.Model;

namespace ObjStore.Compat.Tests;

/// <summary>
/// The standard headers and metadata an object is written with come back byte for byte, commas and the spaces after
/// them included. They are read on the wire: AWSSDK.S3 keeps only the first of a comma-separated Content-Encoding.
/// (Runs of spaces, and Expires, are checked with curl in tests/clients/protocol.sh: .NET's HttpClient rewrites the
/// first, and drops an Expires request header AWSSDK.S3 4.1 has signed, so the store refuses the signature.)
/// </summary>
[Collection(SharedEndpoint.Name)]
public class StoredHeaderTests(S3Endpoint endpoint) : AccessTestBase(endpoint)
{
    private static readonly (string Name, string Value)[] Sent =
    [
        ("Content-Encoding", "deflate, gzip"),
        ("Cache-Control", "no-cache, no-store"),
        ("Content-Disposition", "attachment; filename=\"a, b.txt\""),
        ("Content-Language", "en, fr"),
        ("x-amz-meta-list", "a, b,c"),
    ];

    private static PutObjectRequest WithHeaders(PutObjectRequest request)
    {
        request.Headers.ContentEncoding = "deflate, gzip";
        request.Headers.CacheControl = "no-cache, no-store";
        request.Headers.ContentDisposition = "attachment; filename=\"a, b.txt\"";
        request.Headers.ContentLanguage = "en, fr";
        request.Metadata["list"] = "a, b,c";
        return request;
    }

    /// <summary>Each header as the store sent it, unparsed.</summary>
    private async Task<Dictionary<string, string>> ReceivedAsync(HttpMethod method, string bucket, string key)
    {
        using var response = await Access.SendAsRootAsync(method, $"/{bucket}/{key}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return response.Headers.NonValidated.Concat(response.Content.Headers.NonValidated)
            .ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task HeadAndGetAnswerTheHeadersAsSent()
    {
        string bucket = await NewBucketAsync();
        // The SDK's default upload is aws-chunked, which it adds to Content-Encoding: "deflate, gzip, aws-chunked".
        await Root.PutObjectAsync(WithHeaders(new PutObjectRequest { BucketName = bucket, Key = "commas", ContentBody = "compressed, twice" }));
        foreach (var method in new[] { HttpMethod.Head, HttpMethod.Get })
        {
            var received = await ReceivedAsync(method, bucket, "commas");
            Assert.All(Sent, h => Assert.Equal(h.Value, received.GetValueOrDefault(h.Name)));
        }
    }

    [Fact]
    public async Task APlainUploadAndAMultipartUploadKeepThemToo()
    {
        string bucket = await NewBucketAsync();
        await Root.PutObjectAsync(WithHeaders(new PutObjectRequest { BucketName = bucket, Key = "plain", ContentBody = "x", UseChunkEncoding = false }));
        var upload = new InitiateMultipartUploadRequest { BucketName = bucket, Key = "parts" };
        upload.Headers.ContentEncoding = "deflate, gzip";
        upload.Headers.CacheControl = "no-cache, no-store";
        upload.Headers.ContentDisposition = "attachment; filename=\"a, b.txt\"";
        upload.Headers.ContentLanguage = "en, fr";
        upload.Metadata["list"] = "a, b,c";
        string id = (await Root.InitiateMultipartUploadAsync(upload)).UploadId;
        var part = await Root.UploadPartAsync(new UploadPartRequest { BucketName = bucket, Key = "parts", UploadId = id, PartNumber = 1, InputStream = new MemoryStream([1, 2, 3]) });
        await Root.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest { BucketName = bucket, Key = "parts", UploadId = id, PartETags = [new PartETag(1, part.ETag)] });
        foreach (var key in new[] { "plain", "parts" })
        {
            var received = await ReceivedAsync(HttpMethod.Head, bucket, key);
            Assert.All(Sent, h => Assert.Equal(h.Value, received.GetValueOrDefault(h.Name)));
        }
    }
}
