using System.Net;
using Amazon.S3;
using Amazon.S3.Model;

namespace ObjStore.Compat.Tests;

/// <summary>
/// Bucket policy conditions through real requests, one operator family each, so the condition keys the store derives
/// from a request (its address, transport, query, headers, clock) are the ones the policy sees.
/// </summary>
[Collection(SharedEndpoint.Name)]
public class PolicyConditionTests(S3Endpoint endpoint) : AccessTestBase(endpoint)
{
    /// <summary>A bucket with one object "k", and a user with no identity policy of its own.</summary>
    private async Task<(string Bucket, TestUser User, AmazonS3Client S3)> SetUpAsync()
    {
        string bucket = await NewBucketAsync();
        await PutAsync(Root, bucket, "k", "v");
        var user = await Access.CreateUserAsync();
        return (bucket, user, Access.ClientFor(user));
    }

    private static string Grant(TestUser user, string effect, string action, string resource, string condition) =>
        $$"""{"Effect": "{{effect}}", "Principal": {"AWS": "{{user.Arn}}"}, "Action": "{{action}}", "Resource": "{{resource}}", "Condition": {{condition}}}""";

    [Fact]
    public async Task IpAddressMatchesTheLoopbackClientAndNotAnotherNetwork()
    {
        var (bucket, user, s3) = await SetUpAsync();
        await PutAsync(Root, bucket, "other/k", "v");
        await SetBucketPolicyAsync(bucket, AccessFixture.Policy(
            Grant(user, "Allow", "s3:GetObject", $"arn:aws:s3:::{bucket}/k", """{"IpAddress": {"aws:SourceIp": "127.0.0.1/32"}}"""),
            Grant(user, "Allow", "s3:GetObject", $"arn:aws:s3:::{bucket}/other/*", """{"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}""")));
        Assert.Equal("v", await ReadAsync(s3, bucket, "k"));
        await DeniedAsync(() => s3.GetObjectAsync(bucket, "other/k"));

        await SetBucketPolicyAsync(bucket, AccessFixture.Policy(
            Grant(user, "Allow", "s3:GetObject", $"arn:aws:s3:::{bucket}/k", """{"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}}"""),
            Grant(user, "Allow", "s3:GetObject", $"arn:aws:s3:::{bucket}/other/*", """{"NotIpAddress": {"aws:SourceIp": ["127.0.0.0/8", "::1/128"]}}""")));
        Assert.Equal("v", await ReadAsync(s3, bucket, "k"));
        await DeniedAsync(() => s3.GetObjectAsync(bucket, "other/k"));
    }

    /// <summary>
    /// AWS's example bucket policy that refuses uploads not asking for SSE-KMS (and the SSE-S3 variant with Null):
    /// the condition sees the request's x-amz-server-side-encryption header, not the bucket's default.
    /// </summary>
    [Fact]
    public async Task DenyUnencryptedObjectUploadsAsAwsDocumentsIt()
    {
        var (bucket, user, s3) = await SetUpAsync();
        await Access.SetPolicyAsync(user.Name, AccessFixture.Policy(
            $$"""{"Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::{{bucket}}/*"}"""));
        await SetBucketPolicyAsync(bucket, AccessFixture.Policy(
            $$"""{"Sid": "DenyUnEncryptedObjectUploads", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::{{bucket}}/*", "Condition": {"StringNotEquals": {"s3:x-amz-server-side-encryption": "aws:kms"} } }"""));
        await DeniedAsync(() => PutAsync(s3, bucket, "plain"));
        await DeniedAsync(() => s3.PutObjectAsync(new PutObjectRequest
        {
            BucketName = bucket, Key = "sse-s3", ContentBody = "v", ServerSideEncryptionMethod = ServerSideEncryptionMethod.AES256,
        }));
        var kms = await s3.PutObjectAsync(new PutObjectRequest
        {
            BucketName = bucket, Key = "kms", ContentBody = "v", ServerSideEncryptionMethod = ServerSideEncryptionMethod.AWSKMS,
        });
        Assert.Equal(ServerSideEncryptionMethod.AWSKMS, kms.ServerSideEncryptionMethod);

        // The older SSE-S3 form: a missing header is denied by the Null test, a header other than AES256 by the other.
        await SetBucketPolicyAsync(bucket, AccessFixture.Policy(
            $$"""{"Effect": "Deny", "Principal": "*", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::{{bucket}}/*", "Condition": {"StringNotEquals": {"s3:x-amz-server-side-encryption": "AES256"} } }""",
            $$"""{"Effect": "Deny", "Principal": "*", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::{{bucket}}/*", "Condition": {"Null": {"s3:x-amz-server-side-encryption": "true"} } }"""));
        await DeniedAsync(() => PutAsync(s3, bucket, "plain"));
        var sse = await s3.PutObjectAsync(new PutObjectRequest
        {
            BucketName = bucket, Key = "sse-s3", ContentBody = "v", ServerSideEncryptionMethod = ServerSideEncryptionMethod.AES256,
        });
        Assert.Equal(ServerSideEncryptionMethod.AES256, sse.ServerSideEncryptionMethod);
    }

    [Fact]
    public async Task DenyingInsecureTransportDeniesEverythingOverHttp()
    {
        var (bucket, user, s3) = await SetUpAsync();
        await Access.SetPolicyAsync(user.Name, AccessFixture.Policy(
            $$"""{"Effect": "Allow", "Action": "s3:*", "Resource": ["arn:aws:s3:::{{bucket}}", "arn:aws:s3:::{{bucket}}/*"]}"""));
        Assert.Equal("v", await ReadAsync(s3, bucket, "k"));

        await SetBucketPolicyAsync(bucket, AccessFixture.Policy(
            $$"""{"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": ["arn:aws:s3:::{{bucket}}", "arn:aws:s3:::{{bucket}}/*"], "Condition": {"Bool": {"aws:SecureTransport": "false"} } }"""));
        await DeniedAsync(() => s3.GetObjectAsync(bucket, "k"));
        await DeniedAsync(() => PutAsync(s3, bucket, "new"));
        await DeniedAsync(() => s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket }));
        await DeniedAsync(() => s3.DeleteObjectAsync(bucket, "k"));
        await DeniedAsync(() => s3.GetBucketPolicyAsync(new GetBucketPolicyRequest { BucketName = bucket }));

        // Over https the deny would not apply: with "true" it does not match these requests, and the identity policy allows again.
        await SetBucketPolicyAsync(bucket, AccessFixture.Policy(
            $$"""{"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": ["arn:aws:s3:::{{bucket}}", "arn:aws:s3:::{{bucket}}/*"], "Condition": {"Bool": {"aws:SecureTransport": "true"} } }"""));
        Assert.Equal("v", await ReadAsync(s3, bucket, "k"));
    }

    [Fact]
    public async Task StringLikeOnThePrefixLimitsListing()
    {
        var (bucket, user, s3) = await SetUpAsync();
        await PutAsync(Root, bucket, "pub/a", "a");
        await SetBucketPolicyAsync(bucket, AccessFixture.Policy(
            Grant(user, "Allow", "s3:ListBucket", $"arn:aws:s3:::{bucket}", """{"StringLike": {"s3:prefix": ["pub/*", "docs/?"]}}""")));
        var listed = await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket, Prefix = "pub/" });
        Assert.Equal(["pub/a"], (listed.S3Objects ?? []).Select(o => o.Key));
        await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket, Prefix = "docs/1" });
        await DeniedAsync(() => s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket, Prefix = "docs/12" }));
        await DeniedAsync(() => s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket, Prefix = "priv/" }));
        await DeniedAsync(() => s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket }));
    }

    [Fact]
    public async Task StringEqualsOnTheCannedAclHeader()
    {
        var (bucket, user, s3) = await SetUpAsync();
        // Writing with an ACL header also needs s3:PutObjectAcl, as AWS documents for PutObject.
        await SetBucketPolicyAsync(bucket, AccessFixture.Policy(
            $$"""{"Effect": "Allow", "Principal": {"AWS": "{{user.Arn}}"}, "Action": ["s3:PutObject", "s3:PutObjectAcl"], "Resource": "arn:aws:s3:::{{bucket}}/*", "Condition": {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control"} } }"""));
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "with-acl", ContentBody = "x", CannedACL = S3CannedACL.BucketOwnerFullControl });
        Assert.Equal("x", await ReadAsync(Root, bucket, "with-acl"));
        await DeniedAsync(() => PutAsync(s3, bucket, "without-acl"));
        await DeniedAsync(() => s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "private-acl", ContentBody = "x", CannedACL = S3CannedACL.Private }));
    }

    [Fact]
    public async Task DateConditionsOnTheCurrentTime()
    {
        var (bucket, user, s3) = await SetUpAsync();
        await PutAsync(Root, bucket, "later/k", "v");
        await SetBucketPolicyAsync(bucket, AccessFixture.Policy(
            Grant(user, "Allow", "s3:GetObject", $"arn:aws:s3:::{bucket}/k", """{"DateGreaterThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}}"""),
            Grant(user, "Allow", "s3:GetObject", $"arn:aws:s3:::{bucket}/later/*", """{"DateLessThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}}""")));
        Assert.Equal("v", await ReadAsync(s3, bucket, "k"));
        await DeniedAsync(() => s3.GetObjectAsync(bucket, "later/k"));

        // A deny that expired in the past no longer applies; one valid until far in the future does.
        await SetBucketPolicyAsync(bucket, AccessFixture.Policy(
            Grant(user, "Allow", "s3:GetObject", $"arn:aws:s3:::{bucket}/*", """{"Null": {"aws:CurrentTime": "false"}}"""),
            Grant(user, "Deny", "s3:GetObject", $"arn:aws:s3:::{bucket}/k", """{"DateLessThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}}"""),
            Grant(user, "Deny", "s3:GetObject", $"arn:aws:s3:::{bucket}/later/*", """{"DateLessThan": {"aws:CurrentTime": "2999-01-01T00:00:00Z"}}""")));
        Assert.Equal("v", await ReadAsync(s3, bucket, "k"));
        await DeniedAsync(() => s3.GetObjectAsync(bucket, "later/k"));
    }

    [Fact]
    public async Task NumericLessThanEqualsOnMaxKeys()
    {
        var (bucket, user, s3) = await SetUpAsync();
        await SetBucketPolicyAsync(bucket, AccessFixture.Policy(
            Grant(user, "Allow", "s3:ListBucket", $"arn:aws:s3:::{bucket}", """{"NumericLessThanEquals": {"s3:max-keys": "10"}}""")));
        var listed = await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket, MaxKeys = 10 });
        Assert.Equal(["k"], (listed.S3Objects ?? []).Select(o => o.Key));
        await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket, MaxKeys = 1 });
        await DeniedAsync(() => s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket, MaxKeys = 11 }));
        await DeniedAsync(() => s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket, MaxKeys = 1000 }));
    }

    [Fact]
    public async Task NullTellsAPresentKeyFromAnAbsentOne()
    {
        var (bucket, user, s3) = await SetUpAsync();
        await Access.SetPolicyAsync(user.Name, AccessFixture.Policy(
            $$"""{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::{{bucket}}"}"""));
        await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket });
        // Deny listing the whole bucket: a request without a prefix has no s3:prefix key.
        await SetBucketPolicyAsync(bucket, AccessFixture.Policy(
            Grant(user, "Deny", "s3:ListBucket", $"arn:aws:s3:::{bucket}", """{"Null": {"s3:prefix": "true"}}""")));
        await DeniedAsync(() => s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket }));
        var listed = await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket, Prefix = "k" });
        Assert.Equal(["k"], (listed.S3Objects ?? []).Select(o => o.Key));
    }

    [Fact]
    public async Task ForAnyValueOnTheTagKeysOfAnUpload()
    {
        var (bucket, user, s3) = await SetUpAsync();
        await SetBucketPolicyAsync(bucket, AccessFixture.Policy(
            $$"""{"Effect": "Allow", "Principal": {"AWS": "{{user.Arn}}"}, "Action": ["s3:PutObject", "s3:PutObjectTagging"], "Resource": "arn:aws:s3:::{{bucket}}/*"}""",
            Grant(user, "Deny", "s3:PutObject", $"arn:aws:s3:::{bucket}/*", """{"ForAnyValue:StringEquals": {"s3:RequestObjectTagKeys": ["confidential", "secret"]}}""")));

        await PutAsync(s3, bucket, "untagged");
        // What counts is that only the denied tag keys are refused by the policy.
        async Task<HttpStatusCode> TaggedPutAsync(string key, string tagging)
        {
            using var response = await Access.SendAsync(HttpMethod.Put, $"/{bucket}/{key}", user, "x"u8.ToArray(), [new("x-amz-tagging", tagging)]);
            var error = await AccessFixture.ErrorOf(response);
            if (error.Status == HttpStatusCode.Forbidden)
            {
                Assert.Equal("AccessDenied", error.Code);
            }
            return response.StatusCode;
        }
        Assert.Equal(HttpStatusCode.Forbidden, await TaggedPutAsync("a", "project=x&confidential=yes"));
        Assert.Equal(HttpStatusCode.Forbidden, await TaggedPutAsync("b", "secret=1"));
        Assert.Equal(HttpStatusCode.OK, await TaggedPutAsync("c", "project=x&team=y"));
        var tags = await Root.GetObjectTaggingAsync(new GetObjectTaggingRequest { BucketName = bucket, Key = "c" });
        Assert.Equal(["project", "team"], tags.Tagging.Select(t => t.Key).Order(StringComparer.Ordinal));
        await FailsAsync(HttpStatusCode.NotFound, "NoSuchKey", () => Root.GetObjectAsync(bucket, "a"));
    }

    /// <summary>s3:ExistingObjectTag/KEY reads the tags of the version a request acts on (the S3 user guide's example).</summary>
    [Fact]
    public async Task ExistingObjectTagsDecideReads()
    {
        var (bucket, user, s3) = await SetUpAsync();
        await Root.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "open", ContentBody = "o", TagSet = [new Tag { Key = "classification", Value = "public" }] });
        await Root.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "closed", ContentBody = "c", TagSet = [new Tag { Key = "classification", Value = "secret" }] });
        await SetBucketPolicyAsync(bucket, AccessFixture.Policy(
            Grant(user, "Allow", "s3:GetObject", $"arn:aws:s3:::{bucket}/*", """{"StringEquals": {"s3:ExistingObjectTag/classification": "public"}}""")));
        Assert.Equal("o", await ReadAsync(s3, bucket, "open"));
        await DeniedAsync(() => s3.GetObjectAsync(bucket, "closed"));
        await DeniedAsync(() => s3.GetObjectAsync(bucket, "k")); // untagged
        // Retagged, the decision follows.
        await Root.PutObjectTaggingAsync(new PutObjectTaggingRequest { BucketName = bucket, Key = "closed", Tagging = new Tagging { TagSet = [new Tag { Key = "classification", Value = "public" }] } });
        Assert.Equal("c", await ReadAsync(s3, bucket, "closed"));
    }

    [Fact]
    public async Task StringEqualsOnTheUserName()
    {
        var (bucket, user, s3) = await SetUpAsync();
        var other = await Access.CreateUserAsync();
        await PutAsync(Root, bucket, $"home/{user.Name}/f", "mine");
        await PutAsync(Root, bucket, $"home/{other.Name}/f", "theirs");
        // The S3 user guide's home-folder policy, with a policy variable in the resource.
        await SetBucketPolicyAsync(bucket, AccessFixture.Policy(
            $$"""{"Effect": "Allow", "Principal": {"AWS": ["{{user.Arn}}", "{{other.Arn}}"]}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::{{bucket}}/home/${aws:username}/*"}"""));
        Assert.Equal("mine", await ReadAsync(s3, bucket, $"home/{user.Name}/f"));
        await DeniedAsync(() => s3.GetObjectAsync(bucket, $"home/{other.Name}/f"));
        Assert.Equal("theirs", await ReadAsync(Access.ClientFor(other), bucket, $"home/{other.Name}/f"));
    }
}
