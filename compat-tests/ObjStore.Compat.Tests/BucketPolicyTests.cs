using System.Net;
using System.Text;
using Amazon.S3.Model;

namespace ObjStore.Compat.Tests;

/// <summary>
/// Bucket policies: storing, reading and removing them, their status, what they grant anonymous requests and other
/// users, how an explicit Deny on either side wins, and the policies PutBucketPolicy refuses.
/// </summary>
[Collection(SharedEndpoint.Name)]
public class BucketPolicyTests(S3Endpoint endpoint) : AccessTestBase(endpoint)
{
    private static string PublicRead(string bucket) => AccessFixture.Policy(
        $$"""{"Sid": "PublicRead", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::{{bucket}}/*"}""");

    /// <summary>
    /// GetBucketPolicy of a bucket without one is 404 NoSuchBucketPolicy on the wire (raw HTTP: AWSSDK.S3 does not throw on
    /// that error, it special-cases NoSuchBucketPolicy and hands back the error document as the "policy").
    /// </summary>
    private async Task AssertNoPolicyAsync(string bucket)
    {
        using var response = await Access.SendAsRootAsync(HttpMethod.Get, $"/{bucket}?policy");
        var error = await AccessFixture.ErrorOf(response);
        Assert.Equal((HttpStatusCode.NotFound, "NoSuchBucketPolicy"), (error.Status, error.Code));
    }

    [Fact]
    public async Task APolicyIsStoredReadBackAndRemoved()
    {
        string bucket = await NewBucketAsync();
        await AssertNoPolicyAsync(bucket);
        await FailsAsync(HttpStatusCode.NotFound, "NoSuchBucketPolicy", () => Root.GetBucketPolicyStatusAsync(new GetBucketPolicyStatusRequest { BucketName = bucket }));

        var user = await Access.CreateUserAsync();
        string policy = AccessFixture.Policy(
            $$"""{"Effect": "Allow", "Principal": {"AWS": "{{user.Arn}}"}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::{{bucket}}/*"}""");
        await SetBucketPolicyAsync(bucket, policy);
        var stored = await Root.GetBucketPolicyAsync(new GetBucketPolicyRequest { BucketName = bucket });
        Assert.Equal(policy, stored.Policy);
        var status = await Root.GetBucketPolicyStatusAsync(new GetBucketPolicyStatusRequest { BucketName = bucket });
        Assert.False(status.PolicyStatus.IsPublic);

        await Root.DeleteBucketPolicyAsync(new DeleteBucketPolicyRequest { BucketName = bucket });
        await AssertNoPolicyAsync(bucket);

        using var missing = await Access.SendAsRootAsync(HttpMethod.Get, $"/{S3Endpoint.NewBucketName()}?policy");
        var error = await AccessFixture.ErrorOf(missing);
        Assert.Equal((HttpStatusCode.NotFound, "NoSuchBucket"), (error.Status, error.Code));
    }

    [Fact]
    public async Task NewBucketsBlockPublicPoliciesUntilTheirPublicAccessBlockGoes()
    {
        string bucket = await NewBucketAsync();
        await PutAsync(Root, bucket, "page.html", "hello");
        var refused = await DeniedAsync(() => SetBucketPolicyAsync(bucket, PublicRead(bucket)));
        Assert.Contains("BlockPublicPolicy", refused.Message, StringComparison.Ordinal);
        await AssertNoPolicyAsync(bucket);

        await AllowPublicAsync(bucket);
        await SetBucketPolicyAsync(bucket, PublicRead(bucket));
        var status = await Root.GetBucketPolicyStatusAsync(new GetBucketPolicyStatusRequest { BucketName = bucket });
        Assert.True(status.PolicyStatus.IsPublic);

        var (code, body) = await Access.AnonymousGetAsync(bucket, "page.html");
        Assert.Equal((HttpStatusCode.OK, "hello"), (code, body));

        // Only what the policy names: no writes, no listing, no other bucket.
        using var put = await Access.SendAsync(HttpMethod.Put, $"/{bucket}/new", "x"u8.ToArray());
        var putError = await AccessFixture.ErrorOf(put);
        Assert.Equal((HttpStatusCode.Forbidden, "AccessDenied"), (putError.Status, putError.Code));
        using var list = await Access.SendAsync(HttpMethod.Get, $"/{bucket}?list-type=2");
        Assert.Equal(HttpStatusCode.Forbidden, list.StatusCode);
        await FailsAsync(HttpStatusCode.NotFound, "NoSuchKey", () => Root.GetObjectAsync(bucket, "new"));
    }

    [Fact]
    public async Task AnAnonymousRequestWithoutAPolicyIsDeniedAndToldItIsAnonymous()
    {
        string bucket = await NewBucketAsync();
        await PutAsync(Root, bucket, "k", "v");
        using var response = await Access.SendAsync(HttpMethod.Get, $"/{bucket}/k");
        var error = await AccessFixture.ErrorOf(response);
        Assert.Equal((HttpStatusCode.Forbidden, "AccessDenied"), (error.Status, error.Code));
        Assert.Contains("nonymous", error.Message ?? "", StringComparison.Ordinal);
        Assert.DoesNotContain("arn:aws:iam", error.Message ?? "", StringComparison.Ordinal);

        using var listBuckets = await Access.SendAsync(HttpMethod.Get, "/");
        Assert.Equal(HttpStatusCode.Forbidden, listBuckets.StatusCode);
    }

    [Fact]
    public async Task AnExplicitDenyInTheBucketPolicyBeatsAnIdentityAllow()
    {
        string bucket = await NewBucketAsync();
        await PutAsync(Root, bucket, "open/a", "a");
        await PutAsync(Root, bucket, "secret/b", "b");
        var user = await Access.CreateUserAsync(null, AccessFixture.Policy(
            $$"""{"Effect": "Allow", "Action": "s3:*", "Resource": ["arn:aws:s3:::{{bucket}}", "arn:aws:s3:::{{bucket}}/*"]}"""));
        await SetBucketPolicyAsync(bucket, AccessFixture.Policy(
            $$"""{"Effect": "Deny", "Principal": {"AWS": "{{user.Arn}}"}, "Action": ["s3:GetObject", "s3:PutObject"], "Resource": "arn:aws:s3:::{{bucket}}/secret/*"}"""));
        var s3 = Access.ClientFor(user);

        Assert.Equal("a", await ReadAsync(s3, bucket, "open/a"));
        await PutAsync(s3, bucket, "open/c");
        await DeniedAsync(() => s3.GetObjectAsync(bucket, "secret/b"));
        await DeniedAsync(() => PutAsync(s3, bucket, "secret/c"));
        // The deny names only the user: the root user and other users are unaffected.
        Assert.Equal("b", await ReadAsync(Root, bucket, "secret/b"));
    }

    [Fact]
    public async Task AnIdentityDenyBeatsABucketPolicyAllow()
    {
        string bucket = await NewBucketAsync();
        await PutAsync(Root, bucket, "k", "v");
        var user = await Access.CreateUserAsync(null, AccessFixture.Policy(
            $$"""{"Effect": "Deny", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::{{bucket}}/*"}"""));
        var other = await Access.CreateUserAsync();
        await SetBucketPolicyAsync(bucket, AccessFixture.Policy(
            $$"""{"Effect": "Allow", "Principal": {"AWS": ["{{user.Arn}}", "{{other.Arn}}"]}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::{{bucket}}/*"}"""));
        await DeniedAsync(() => Access.ClientFor(user).GetObjectAsync(bucket, "k"));
        Assert.Equal("v", await ReadAsync(Access.ClientFor(other), bucket, "k"));
    }

    [Fact]
    public async Task ABucketPolicyGrantsAnotherUserAccessToAUsersBucket()
    {
        string bucket = Access.NewBucketName();
        var owner = await Access.CreateUserAsync(null, AccessFixture.Policy(
            """{"Effect": "Allow", "Action": "s3:CreateBucket", "Resource": "*"}""",
            $$"""{"Effect": "Allow", "Action": "s3:*", "Resource": ["arn:aws:s3:::{{bucket}}", "arn:aws:s3:::{{bucket}}/*"]}"""));
        var reader = await Access.CreateUserAsync();
        var ownerS3 = Access.ClientFor(owner);
        var readerS3 = Access.ClientFor(reader);
        await ownerS3.PutBucketAsync(new PutBucketRequest { BucketName = bucket });
        await PutAsync(ownerS3, bucket, "shared/a", "a");
        await DeniedAsync(() => readerS3.GetObjectAsync(bucket, "shared/a"));

        await ownerS3.PutBucketPolicyAsync(new PutBucketPolicyRequest
        {
            BucketName = bucket,
            Policy = AccessFixture.Policy(
                $$"""{"Effect": "Allow", "Principal": {"AWS": "{{reader.Arn}}"}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::{{bucket}}/shared/*"}""",
                $$"""{"Effect": "Allow", "Principal": {"AWS": "{{reader.Arn}}"}, "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::{{bucket}}"}"""),
        });
        Assert.Equal("a", await ReadAsync(readerS3, bucket, "shared/a"));
        var listed = await readerS3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket });
        Assert.Equal(["shared/a"], (listed.S3Objects ?? []).Select(o => o.Key));
        await DeniedAsync(() => PutAsync(readerS3, bucket, "shared/b"));
        await DeniedAsync(() => readerS3.DeleteObjectAsync(bucket, "shared/a"));
        await DeniedAsync(() => readerS3.GetBucketPolicyAsync(new GetBucketPolicyRequest { BucketName = bucket }));
        // A policy naming a user is not public: the bucket's public access block does not refuse it.
        var status = await ownerS3.GetBucketPolicyStatusAsync(new GetBucketPolicyStatusRequest { BucketName = bucket });
        Assert.False(status.PolicyStatus.IsPublic);
    }

    [Fact]
    public async Task APolicyNamingAUserByCanonicalIdGrantsThatUser()
    {
        string bucket = await NewBucketAsync();
        await PutAsync(Root, bucket, "k", "v");
        var user = await Access.CreateUserAsync();
        await SetBucketPolicyAsync(bucket, AccessFixture.Policy(
            $$"""{"Effect": "Allow", "Principal": {"CanonicalUser": "{{user.CanonicalId}}"}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::{{bucket}}/*"}"""));
        Assert.Equal("v", await ReadAsync(Access.ClientFor(user), bucket, "k"));
    }

    [Fact]
    public async Task MalformedPoliciesAreRefused()
    {
        string bucket = await NewBucketAsync();
        var user = await Access.CreateUserAsync();
        string Statement(string effect, string action, string resource) =>
            AccessFixture.Policy($$"""{{{effect}} "Principal": {"AWS": "{{user.Arn}}"}, "Action": "{{action}}", "Resource": "{{resource}}"}""");

        async Task<string> RefusedAsync(string policy)
        {
            var e = await FailsAsync(HttpStatusCode.BadRequest, "MalformedPolicy", () => SetBucketPolicyAsync(bucket, policy));
            return e.Message;
        }

        await RefusedAsync("{\"Version\": \"2012-10-17\", \"Statement\": [");
        await RefusedAsync("not json at all");
        Assert.Contains("Effect", await RefusedAsync(Statement("", "s3:GetObject", $"arn:aws:s3:::{bucket}/*")), StringComparison.Ordinal);
        await RefusedAsync(Statement("\"Effect\": \"Permit\",", "s3:GetObject", $"arn:aws:s3:::{bucket}/*"));
        Assert.Contains("Policy has invalid action", await RefusedAsync(Statement("\"Effect\": \"Allow\",", "GetObject", $"arn:aws:s3:::{bucket}/*")), StringComparison.Ordinal);
        Assert.Contains("Policy has invalid resource",
            await RefusedAsync(Statement("\"Effect\": \"Allow\",", "s3:GetObject", "arn:aws:s3:::some-other-bucket/*")), StringComparison.Ordinal);
        Assert.Contains("Policy has invalid resource", await RefusedAsync(Statement("\"Effect\": \"Allow\",", "s3:GetObject", "*")), StringComparison.Ordinal);
        // A bucket policy must say whom it grants.
        await RefusedAsync(AccessFixture.Policy($$"""{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::{{bucket}}/*"}"""));
        await RefusedAsync(AccessFixture.Policy(
            $$"""{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::{{bucket}}/*", "Condition": {"NoSuchOperator": {"aws:SourceIp": "1.2.3.4"} } }"""));

        // 20 KB at most.
        string padding = new('x', 21 * 1024);
        string large = AccessFixture.Policy(
            $$"""{"Sid": "{{padding}}", "Effect": "Allow", "Principal": {"AWS": "{{user.Arn}}"}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::{{bucket}}/*"}""");
        Assert.True(Encoding.UTF8.GetByteCount(large) > 20 * 1024);
        await RefusedAsync(large);

        // None of them was stored.
        await AssertNoPolicyAsync(bucket);
    }

    /// <summary>AWS checks a bucket policy's actions against the actions S3 has: "s3:GetObjekt" is MalformedPolicy, "Policy has invalid action".</summary>
    [Fact]
    public async Task APolicyWithAnActionS3DoesNotHaveIsRefused()
    {
        string bucket = await NewBucketAsync();
        var e = await FailsAsync(HttpStatusCode.BadRequest, "MalformedPolicy", () => SetBucketPolicyAsync(bucket, AccessFixture.Policy(
            $$"""{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam:::user/nobody"}, "Action": "s3:GetObjekt", "Resource": "arn:aws:s3:::{{bucket}}/*"}""")));
        Assert.Contains("Policy has invalid action", e.Message, StringComparison.Ordinal);
    }
}
