using System.Net;
using Amazon.S3;
using Amazon.S3.Model;
using BucketConfigKinds = ObjStore.Core.BucketConfigKinds;

namespace ObjStore.Integration.Tests;

/// <summary>
/// A bucket's stored configuration that no longer parses (written under laxer rules, or damaged) fails closed and
/// never turns the bucket's requests into 500s.
/// </summary>
public class StoredDocumentTests
{
    private static readonly HttpClient Http = new();

    [Theory]
    [InlineData(BucketConfigKinds.Policy, "{not json")]
    [InlineData(BucketConfigKinds.Policy, """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObjekt","Resource":"arn:aws:s3:::docs/*"}]}""")]
    [InlineData(BucketConfigKinds.Acl, "[1, 2")]
    [InlineData(BucketConfigKinds.OwnershipControls, "7")]
    [InlineData(BucketConfigKinds.PublicAccessBlock, "{\"BlockPublicAcls\": \"maybe\"}")]
    [InlineData(BucketConfigKinds.Cors, "<CORSConfiguration><CORSRule>")]
    public async Task AnUnparsableDocumentFailsClosed(string kind, string document)
    {
        string dataDir = Directory.CreateTempSubdirectory("objstore-it-").FullName;
        var first = await DevServer.StartAsync("2+1", dataDir);
        using (var setup = first.Client())
        {
            await setup.PutBucketAsync("docs");
            await setup.PutObjectAsync(new PutObjectRequest { BucketName = "docs", Key = "k", ContentBody = "x" });
            await setup.DeletePublicAccessBlockAsync(new DeletePublicAccessBlockRequest { BucketName = "docs" });
            await setup.PutBucketPolicyAsync(new PutBucketPolicyRequest
            {
                BucketName = "docs",
                Policy = """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::docs/*"}]}""",
            });
        }
        // Damaged behind the gateway's back, then read fresh by a restarted one.
        await first.Catalogue.Buckets.PutConfigAsync("docs", kind, document);
        await first.StopAsync();
        await using var server = await DevServer.StartAsync("2+1", dataDir);
        using var s3 = server.Client();
        // The root user still works; a public read is no longer served unless the damage was elsewhere; never a 500.
        using var get = new HttpRequestMessage(HttpMethod.Get, $"{server.Url}/docs/k");
        get.Headers.Add("Origin", "https://app.example"); // CORS headers are looked up for requests that carry one
        using var anonymous = await Http.SendAsync(get);
        Assert.True(anonymous.StatusCode is HttpStatusCode.OK or HttpStatusCode.Forbidden, $"{anonymous.StatusCode}");
        if (kind == BucketConfigKinds.Policy)
        {
            Assert.Equal(HttpStatusCode.Forbidden, anonymous.StatusCode);
        }
        Assert.Equal(HttpStatusCode.OK, (await s3.PutObjectAsync(new PutObjectRequest { BucketName = "docs", Key = "k2", ContentBody = "y" })).HttpStatusCode);
        var listed = await s3.ListObjectsAsync(new ListObjectsRequest { BucketName = "docs" });
        Assert.Equal(2, listed.S3Objects.Count);
        var acl = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.PutObjectAsync(new PutObjectRequest
        {
            BucketName = "docs", Key = "k3", ContentBody = "z", CannedACL = S3CannedACL.PublicRead,
        }));
        Assert.True((int)acl.StatusCode is >= 400 and < 500, $"{acl.StatusCode} {acl.ErrorCode}");
    }
}
