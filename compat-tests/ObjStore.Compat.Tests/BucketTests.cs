using System.Net;
using Amazon.S3;
using Amazon.S3.Model;

namespace ObjStore.Compat.Tests;

[Collection(SharedEndpoint.Name)]
public class BucketTests(S3Endpoint endpoint)
{
    [Fact]
    public async Task CreateListHeadLocateAndDelete()
    {
        using var s3 = endpoint.Client();
        string bucket = S3Endpoint.NewBucketName();
        await s3.PutBucketAsync(bucket);
        Assert.Contains((await s3.ListBucketsAsync()).Buckets, b => b.BucketName == bucket);
        var head = await s3.HeadBucketAsync(new HeadBucketRequest { BucketName = bucket });
        Assert.Equal(HttpStatusCode.OK, head.HttpStatusCode);
        var location = await s3.GetBucketLocationAsync(bucket);
        Assert.True(string.IsNullOrEmpty(location.Location?.Value) || location.Location.Value == "us-east-1");
        await s3.DeleteBucketAsync(bucket);
        var missing = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.HeadBucketAsync(new HeadBucketRequest { BucketName = bucket }));
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    /// <summary>AWS, for legacy compatibility: in us-east-1 (this endpoint's region) re-creating one's own bucket is 200 OK.</summary>
    [Fact]
    public async Task CreatingOwnBucketTwiceSucceedsInUsEast1()
    {
        using var s3 = endpoint.Client();
        string bucket = S3Endpoint.NewBucketName();
        await s3.PutBucketAsync(bucket);
        var again = await s3.PutBucketAsync(bucket);
        Assert.Equal(HttpStatusCode.OK, again.HttpStatusCode);
    }

    [Theory]
    [InlineData("ab")]
    [InlineData("UpperCase")]
    [InlineData("under_score")]
    [InlineData("192.168.1.1")]
    [InlineData("double..dot")]
    [InlineData("-dash-start")]
    public async Task InvalidNamesAreInvalidBucketName(string name)
    {
        using var s3 = endpoint.Client();
        var e = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.PutBucketAsync(name));
        Assert.Equal("InvalidBucketName", e.ErrorCode);
    }

    [Fact]
    public async Task DeletingANonEmptyBucketIsBucketNotEmpty()
    {
        using var s3 = endpoint.Client();
        string bucket = S3Endpoint.NewBucketName();
        await s3.PutBucketAsync(bucket);
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "k", ContentBody = "x" });
        var e = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.DeleteBucketAsync(bucket));
        Assert.Equal("BucketNotEmpty", e.ErrorCode);
        Assert.Equal(HttpStatusCode.Conflict, e.StatusCode);
    }

    [Fact]
    public async Task UnknownBucketIsNoSuchBucket()
    {
        using var s3 = endpoint.Client();
        var e = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = S3Endpoint.NewBucketName() }));
        Assert.Equal("NoSuchBucket", e.ErrorCode);
        var put = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.PutObjectAsync(new PutObjectRequest { BucketName = S3Endpoint.NewBucketName(), Key = "k", ContentBody = "x" }));
        Assert.Equal("NoSuchBucket", put.ErrorCode);
    }

    [Fact]
    public async Task WrongSecretIsSignatureDoesNotMatchAndUnknownKeyIsInvalidAccessKeyId()
    {
        using var wrongSecret = endpoint.Client(secretKey: "not-the-secret");
        Assert.Equal("SignatureDoesNotMatch", (await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => wrongSecret.ListBucketsAsync())).ErrorCode);
        using var unknown = endpoint.Client(accessKey: "AKIDNOBODY");
        Assert.Equal("InvalidAccessKeyId", (await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => unknown.ListBucketsAsync())).ErrorCode);
    }

    [Fact]
    public async Task AnonymousRequestsAreDenied()
    {
        using var http = new HttpClient();
        var response = await http.GetAsync(endpoint.Url + "/");
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains("<Code>AccessDenied</Code>", await response.Content.ReadAsStringAsync());
    }
}
