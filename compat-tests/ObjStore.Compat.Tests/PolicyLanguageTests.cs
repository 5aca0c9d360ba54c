using System.Net;
using Amazon.S3;
using Amazon.S3.Model;

namespace ObjStore.Compat.Tests;

/// <summary>
/// Policies as people write them, from AWS's examples: wildcards and case in actions, NotAction, the resource
/// ListAllMyBuckets is granted on, and conditions on how a request was signed, its referer and its address.
/// </summary>
[Collection(SharedEndpoint.Name)]
public class PolicyLanguageTests(S3Endpoint endpoint) : AccessTestBase(endpoint)
{
    /// <summary>
    /// AWS's user guide grants ListAllMyBuckets with <c>"Resource": "arn:aws:s3:::*"</c> (e.g. "Allow an IAM user
    /// access to one of your buckets"); that grant must let the user list its buckets, as <c>"*"</c> does.
    /// </summary>
    [Fact]
    public async Task ListAllMyBucketsOnArnAwsS3StarAllowsListBuckets()
    {
        var star = Access.ClientFor(await Access.CreateUserAsync(null, AccessFixture.Policy(
            """{"Effect": "Allow", "Action": "s3:ListAllMyBuckets", "Resource": "*"}""")));
        await star.ListBucketsAsync();
        var arnStar = Access.ClientFor(await Access.CreateUserAsync(null, AccessFixture.Policy(
            """{"Effect": "Allow", "Action": "s3:ListAllMyBuckets", "Resource": "arn:aws:s3:::*"}""")));
        await arnStar.ListBucketsAsync();
    }

    [Fact]
    public async Task ActionsMatchCaseInsensitivelyAndByWildcard()
    {
        string bucket = await NewBucketAsync();
        await PutAsync(Root, bucket, "k", "v");
        var shouting = Access.ClientFor(await Access.CreateUserAsync(null, AccessFixture.Policy(
            $$"""{"Effect": "Allow", "Action": "S3:GETOBJECT", "Resource": "arn:aws:s3:::{{bucket}}/*"}""")));
        Assert.Equal("v", await ReadAsync(shouting, bucket, "k"));

        var getters = Access.ClientFor(await Access.CreateUserAsync(null, AccessFixture.Policy(
            $$"""{"Effect": "Allow", "Action": ["s3:Get*", "s3:List?ucket"], "Resource": ["arn:aws:s3:::{{bucket}}", "arn:aws:s3:::{{bucket}}/*"]}""")));
        Assert.Equal("v", await ReadAsync(getters, bucket, "k"));
        await getters.GetBucketAclAsync(new GetBucketAclRequest { BucketName = bucket });
        await getters.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket });
        await DeniedAsync(() => getters.ListVersionsAsync(new ListVersionsRequest { BucketName = bucket }));
        await DeniedAsync(() => PutAsync(getters, bucket, "new"));
        await DeniedAsync(() => getters.DeleteObjectAsync(bucket, "k"));
    }

    [Fact]
    public async Task NotActionAllowsEverythingElse()
    {
        string bucket = await NewBucketAsync();
        var s3 = Access.ClientFor(await Access.CreateUserAsync(null, AccessFixture.Policy(
            $$"""{"Effect": "Allow", "NotAction": ["s3:DeleteObject", "s3:DeleteBucket"], "Resource": ["arn:aws:s3:::{{bucket}}", "arn:aws:s3:::{{bucket}}/*"]}""")));
        await PutAsync(s3, bucket, "k", "v");
        Assert.Equal("v", await ReadAsync(s3, bucket, "k"));
        await DeniedAsync(() => s3.DeleteObjectAsync(bucket, "k"));
        await DeniedAsync(() => s3.DeleteBucketAsync(bucket));
        // NotAction is no grant outside its resources.
        string other = await NewBucketAsync();
        await DeniedAsync(() => PutAsync(s3, other, "k"));
    }

    [Fact]
    public async Task AuthTypeTellsPresignedUrlsFromSignedHeaders()
    {
        string bucket = await NewBucketAsync();
        await PutAsync(Root, bucket, "k", "v");
        var user = await Access.CreateUserAsync(null, AccessFixture.Policy(
            $$"""{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::{{bucket}}/*"}"""));
        await SetBucketPolicyAsync(bucket, AccessFixture.Policy(
            $$"""{"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "arn:aws:s3:::{{bucket}}/*", "Condition": {"StringEquals": {"s3:authType": "REST-QUERY-STRING"} } }"""));
        var s3 = Access.ClientFor(user);
        Assert.Equal("v", await ReadAsync(s3, bucket, "k"));
        string url = s3.GetPreSignedURL(new GetPreSignedUrlRequest
        {
            BucketName = bucket, Key = "k", Verb = HttpVerb.GET, Expires = DateTime.UtcNow.AddMinutes(5), Protocol = Protocol.HTTP,
        });
        using var presigned = await Access.Http.GetAsync(url);
        var error = await AccessFixture.ErrorOf(presigned);
        Assert.Equal((HttpStatusCode.Forbidden, "AccessDenied"), (error.Status, error.Code));
    }

    [Fact]
    public async Task ARefererConditionOnAPublicPolicy()
    {
        string bucket = await NewBucketAsync();
        await PutAsync(Root, bucket, "img.png", "png");
        await AllowPublicAsync(bucket);
        await SetBucketPolicyAsync(bucket, AccessFixture.Policy(
            $$"""{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::{{bucket}}/*", "Condition": {"StringLike": {"aws:Referer": ["http://www.example.com/*", "https://example.com/*"]} } }"""));
        async Task<HttpStatusCode> GetAsync(string? referer)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"{Access.Endpoint.Url}/{bucket}/img.png");
            if (referer is not null)
            {
                request.Headers.Referrer = new Uri(referer);
            }
            using var response = await Access.Http.SendAsync(request);
            return response.StatusCode;
        }
        Assert.Equal(HttpStatusCode.OK, await GetAsync("http://www.example.com/page.html"));
        Assert.Equal(HttpStatusCode.OK, await GetAsync("https://example.com/a/b"));
        Assert.Equal(HttpStatusCode.Forbidden, await GetAsync("http://evil.example.net/"));
        Assert.Equal(HttpStatusCode.Forbidden, await GetAsync(null));
    }

    /// <summary>aws:SourceIp is the connection's address: a client cannot claim another with X-Forwarded-For.</summary>
    [Fact]
    public async Task SourceIpCannotBeSpoofedWithForwardedHeaders()
    {
        string bucket = await NewBucketAsync();
        await PutAsync(Root, bucket, "k", "v");
        await AllowPublicAsync(bucket);
        await SetBucketPolicyAsync(bucket, AccessFixture.Policy(
            $$"""{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::{{bucket}}/*", "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"} } }"""));
        foreach (var (header, value) in new[] { ("X-Forwarded-For", "10.1.2.3"), ("Forwarded", "for=10.1.2.3"), ("X-Real-IP", "10.1.2.3") })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"{Access.Endpoint.Url}/{bucket}/k");
            request.Headers.TryAddWithoutValidation(header, value);
            using var response = await Access.Http.SendAsync(request);
            Assert.True(response.StatusCode == HttpStatusCode.Forbidden, $"{header}: {(int)response.StatusCode}");
        }
    }

    [Fact]
    public async Task PrincipalTypeAndUserIdDescribeTheCaller()
    {
        string bucket = await NewBucketAsync();
        await PutAsync(Root, bucket, "k", "v");
        var user = await Access.CreateUserAsync();
        var other = await Access.CreateUserAsync();
        await AllowPublicAsync(bucket);
        await SetBucketPolicyAsync(bucket, AccessFixture.Policy(
            $$"""{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::{{bucket}}/*", "Condition": {"StringEquals": {"aws:userid": "{{user.CanonicalId}}", "aws:PrincipalType": "User"} } }"""));
        Assert.Equal("v", await ReadAsync(Access.ClientFor(user), bucket, "k"));
        await DeniedAsync(() => Access.ClientFor(other).GetObjectAsync(bucket, "k"));
    }

    [Fact]
    public async Task TheLatestPolicyAppliesAtOnce()
    {
        string bucket = await NewBucketAsync();
        await PutAsync(Root, bucket, "k", "v");
        var user = await Access.CreateUserAsync();
        var s3 = Access.ClientFor(user);
        string grant = AccessFixture.Policy(
            $$"""{"Effect": "Allow", "Principal": {"AWS": "{{user.Arn}}"}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::{{bucket}}/*"}""");
        for (int i = 0; i < 3; i++)
        {
            await SetBucketPolicyAsync(bucket, grant);
            Assert.Equal("v", await ReadAsync(s3, bucket, "k"));
            await Root.DeleteBucketPolicyAsync(new DeleteBucketPolicyRequest { BucketName = bucket });
            await DeniedAsync(() => s3.GetObjectAsync(bucket, "k"));
            await Access.SetPolicyAsync(user.Name, AccessFixture.Policy(
                $$"""{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::{{bucket}}/*"}"""));
            Assert.Equal("v", await ReadAsync(s3, bucket, "k"));
            var (status, _) = await Access.AdminAsync(HttpMethod.Delete, $"/users/{user.Name}/policy");
            Assert.Equal(HttpStatusCode.NoContent, status);
            await DeniedAsync(() => s3.GetObjectAsync(bucket, "k"));
        }
    }

    [Fact]
    public async Task ADenyWithNotPrincipalLeavesOnlyTheNamedUser()
    {
        string bucket = await NewBucketAsync();
        await PutAsync(Root, bucket, "k", "v");
        string allowAll = AccessFixture.Policy($$"""{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::{{bucket}}/*"}""");
        var chosen = await Access.CreateUserAsync(null, allowAll);
        var other = await Access.CreateUserAsync(null, allowAll);
        await SetBucketPolicyAsync(bucket, AccessFixture.Policy(
            $$"""{"Effect": "Deny", "NotPrincipal": {"AWS": "{{chosen.Arn}}"}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::{{bucket}}/*"}"""));
        Assert.Equal("v", await ReadAsync(Access.ClientFor(chosen), bucket, "k"));
        await DeniedAsync(() => Access.ClientFor(other).GetObjectAsync(bucket, "k"));
        Assert.Equal(HttpStatusCode.Forbidden, (await Access.AnonymousGetAsync(bucket, "k")).Status);
    }
}
