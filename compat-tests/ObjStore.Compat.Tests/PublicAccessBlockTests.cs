using System.Net;
using Amazon.S3;
using Amazon.S3.Model;

namespace ObjStore.Compat.Tests;

/// <summary>
/// The bucket's public access block: its defaults on new buckets, the round trip, and each of its four settings seen
/// through what an anonymous request is then served.
/// </summary>
[Collection(SharedEndpoint.Name)]
public class PublicAccessBlockTests(S3Endpoint endpoint) : AccessTestBase(endpoint)
{
    private async Task SetBlockAsync(string bucket, bool blockAcls = false, bool ignoreAcls = false, bool blockPolicy = false, bool restrict = false) =>
        await Root.PutPublicAccessBlockAsync(new PutPublicAccessBlockRequest
        {
            BucketName = bucket,
            PublicAccessBlockConfiguration = new PublicAccessBlockConfiguration
            {
                BlockPublicAcls = blockAcls, IgnorePublicAcls = ignoreAcls, BlockPublicPolicy = blockPolicy, RestrictPublicBuckets = restrict,
            },
        });

    private async Task<(bool, bool, bool, bool)> GetBlockAsync(string bucket)
    {
        var c = (await Root.GetPublicAccessBlockAsync(new GetPublicAccessBlockRequest { BucketName = bucket })).PublicAccessBlockConfiguration;
        return (c.BlockPublicAcls == true, c.IgnorePublicAcls == true, c.BlockPublicPolicy == true, c.RestrictPublicBuckets == true);
    }

    [Fact]
    public async Task NewBucketsBlockEverythingAndTheBlockRoundTrips()
    {
        string bucket = await NewBucketAsync();
        Assert.Equal((true, true, true, true), await GetBlockAsync(bucket));

        await SetBlockAsync(bucket, blockAcls: true, restrict: true);
        Assert.Equal((true, false, false, true), await GetBlockAsync(bucket));
        await SetBlockAsync(bucket, ignoreAcls: true, blockPolicy: true);
        Assert.Equal((false, true, true, false), await GetBlockAsync(bucket));

        await AllowPublicAsync(bucket);
        await FailsAsync(HttpStatusCode.NotFound, "NoSuchPublicAccessBlockConfiguration",
            () => Root.GetPublicAccessBlockAsync(new GetPublicAccessBlockRequest { BucketName = bucket }));
        // Deleting what is not there is not an error.
        await AllowPublicAsync(bucket);
    }

    [Fact]
    public async Task AMalformedBlockIsRefused()
    {
        string bucket = await NewBucketAsync();
        using var response = await Access.SendAsRootAsync(HttpMethod.Put, $"/{bucket}?publicAccessBlock",
            "<PublicAccessBlockConfiguration><BlockPublicAcls>maybe</BlockPublicAcls></PublicAccessBlockConfiguration>"u8.ToArray());
        var error = await AccessFixture.ErrorOf(response);
        Assert.Equal((HttpStatusCode.BadRequest, "MalformedXML"), (error.Status, error.Code));
        Assert.Equal((true, true, true, true), await GetBlockAsync(bucket));
    }

    [Fact]
    public async Task BlockPublicAclsRefusesPublicAcls()
    {
        string bucket = await NewBucketAsync(ObjectOwnership.ObjectWriter);
        await SetBlockAsync(bucket, blockAcls: true);
        await DeniedAsync(() => Root.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "k", ContentBody = "x", CannedACL = S3CannedACL.PublicRead }));
        await FailsAsync(HttpStatusCode.NotFound, "NoSuchKey", () => Root.GetObjectAsync(bucket, "k"));
        await DeniedAsync(() => Root.PutBucketAclAsync(new PutBucketAclRequest { BucketName = bucket, ACL = S3CannedACL.PublicRead }));
        await DeniedAsync(() => Root.PutBucketAclAsync(new PutBucketAclRequest { BucketName = bucket, ACL = S3CannedACL.AuthenticatedRead }));
        await PutAsync(Root, bucket, "k");
        await DeniedAsync(() => Root.PutObjectAclAsync(new PutObjectAclRequest { BucketName = bucket, Key = "k", ACL = S3CannedACL.PublicRead }));
        // A private ACL is fine.
        await Root.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "p", ContentBody = "x", CannedACL = S3CannedACL.Private });
    }

    [Fact]
    public async Task IgnorePublicAclsStopsPublicAclsServingAnonymousRequests()
    {
        string bucket = await NewBucketAsync(ObjectOwnership.ObjectWriter);
        await AllowPublicAsync(bucket);
        await Root.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "k", ContentBody = "public", CannedACL = S3CannedACL.PublicRead });
        Assert.Equal((HttpStatusCode.OK, "public"), await Access.AnonymousGetAsync(bucket, "k"));

        await SetBlockAsync(bucket, ignoreAcls: true);
        Assert.Equal(HttpStatusCode.Forbidden, (await Access.AnonymousGetAsync(bucket, "k")).Status);
        // The ACL itself stays, and counts again once the setting goes.
        var acl = await Root.GetObjectAclAsync(new GetObjectAclRequest { BucketName = bucket, Key = "k" });
        Assert.Contains(acl.Grants ?? [], g => g.Grantee?.URI == "http://acs.amazonaws.com/groups/global/AllUsers");
        await SetBlockAsync(bucket);
        Assert.Equal((HttpStatusCode.OK, "public"), await Access.AnonymousGetAsync(bucket, "k"));
    }

    [Fact]
    public async Task RestrictPublicBucketsServesOnlyTheStoresUsers()
    {
        string bucket = await NewBucketAsync();
        await PutAsync(Root, bucket, "pub/k", "public");
        await PutAsync(Root, bucket, "named/k", "named");
        var named = await Access.CreateUserAsync();
        var anyone = await Access.CreateUserAsync();
        await AllowPublicAsync(bucket);
        await SetBucketPolicyAsync(bucket, AccessFixture.Policy(
            $$"""{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::{{bucket}}/pub/*"}""",
            $$"""{"Effect": "Allow", "Principal": {"AWS": "{{named.Arn}}"}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::{{bucket}}/named/*"}"""));
        Assert.Equal((HttpStatusCode.OK, "public"), await Access.AnonymousGetAsync(bucket, "pub/k"));

        await SetBlockAsync(bucket, restrict: true);
        using (var denied = await Access.SendAsync(HttpMethod.Get, $"/{bucket}/pub/k"))
        {
            var error = await AccessFixture.ErrorOf(denied);
            Assert.Equal((HttpStatusCode.Forbidden, "AccessDenied"), (error.Status, error.Code));
        }
        Assert.Equal("named", await ReadAsync(Access.ClientFor(named), bucket, "named/k"));
        // Users of the store (one account) are still served by the public statement.
        Assert.Equal("public", await ReadAsync(Access.ClientFor(anyone), bucket, "pub/k"));
        await DeniedAsync(() => Access.ClientFor(anyone).GetObjectAsync(bucket, "named/k"));

        await SetBlockAsync(bucket);
        Assert.Equal((HttpStatusCode.OK, "public"), await Access.AnonymousGetAsync(bucket, "pub/k"));
    }

    [Fact]
    public async Task BlockPublicPolicyRefusesOnlyPublicPolicies()
    {
        string bucket = await NewBucketAsync();
        await SetBlockAsync(bucket, blockPolicy: true);
        await DeniedAsync(() => SetBucketPolicyAsync(bucket, AccessFixture.Policy(
            $$"""{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::{{bucket}}/*"}""")));
        // Restricted to a fixed address range, a policy for everyone is not public (AWS's "meaning of public").
        await SetBucketPolicyAsync(bucket, AccessFixture.Policy(
            $$"""{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::{{bucket}}/*", "Condition": {"IpAddress": {"aws:SourceIp": "10.1.2.0/24"} } }"""));
        var status = await Root.GetBucketPolicyStatusAsync(new GetBucketPolicyStatusRequest { BucketName = bucket });
        Assert.False(status.PolicyStatus.IsPublic);
    }
}
