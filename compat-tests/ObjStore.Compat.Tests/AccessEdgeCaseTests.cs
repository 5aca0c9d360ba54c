using System.Net;
using Amazon.S3;
using Amazon.S3.Model;

namespace ObjStore.Compat.Tests;

/// <summary>
/// The corners of access control: what a denied caller may learn of missing keys and buckets, the extra permissions
/// headers ask for, grants by ACL to users and groups, and policy variables in identity policies.
/// </summary>
[Collection(SharedEndpoint.Name)]
public class AccessEdgeCaseTests(S3Endpoint endpoint) : AccessTestBase(endpoint)
{
    /// <summary>
    /// AWS (GetObject, "Permissions"): for a key that does not exist, a caller with s3:ListBucket gets 404 NoSuchKey,
    /// one without it 403 AccessDenied, so a reader cannot probe which keys exist.
    /// </summary>
    [Fact]
    public async Task AMissingKeyIsNoSuchKeyOnlyForACallerWhoMayList()
    {
        string bucket = await NewBucketAsync();
        var reader = await Access.CreateUserAsync(null, AccessFixture.Policy(
            $$"""{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::{{bucket}}/*"}"""));
        var lister = await Access.CreateUserAsync(null, AccessFixture.Policy(
            $$"""{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::{{bucket}}/*"}""",
            $$"""{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::{{bucket}}"}"""));
        await FailsAsync(HttpStatusCode.NotFound, "NoSuchKey", () => Access.ClientFor(lister).GetObjectAsync(bucket, "missing"));
        await DeniedAsync(() => Access.ClientFor(reader).GetObjectAsync(bucket, "missing"));
    }

    /// <summary>
    /// S3 refuses response-* overrides on anonymous GETs: else anyone could have a public object served as HTML inline
    /// from the store's origin. Signed GETs keep them.
    /// </summary>
    [Fact]
    public async Task AnonymousGetsMayNotOverrideResponseHeaders()
    {
        string bucket = await NewBucketAsync();
        await PutAsync(Root, bucket, "page.txt", "<script>alert(1)</script>");
        await AllowPublicAsync(bucket);
        await SetBucketPolicyAsync(bucket, AccessFixture.Policy(
            $$"""{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::{{bucket}}/*"}"""));
        Assert.Equal(HttpStatusCode.OK, (await Access.AnonymousGetAsync(bucket, "page.txt")).Status);
        var (status, body) = await Access.AnonymousGetAsync(bucket, "page.txt?response-content-type=text/html&response-content-disposition=inline");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("<Code>InvalidRequest</Code>", body, StringComparison.Ordinal);
        using var signed = await Access.SendAsRootAsync(HttpMethod.Get, $"/{bucket}/page.txt?response-content-type=text/html");
        Assert.Equal(HttpStatusCode.OK, signed.StatusCode);
        Assert.Equal("text/html", signed.Content.Headers.ContentType?.MediaType);
    }

    /// <summary>The `--readwrite bucket/prefix` policy says it lets the user "see the bucket" (s3:GetBucketLocation); it must.</summary>
    [Fact]
    public async Task APrefixPolicyUserMayGetTheBucketsLocation()
    {
        string bucket = await NewBucketAsync();
        var s3 = Access.ClientFor(await Access.CreateUserAsync(null, AccessFixture.PrefixPolicy(bucket + "/home/")));
        var location = await s3.GetBucketLocationAsync(new GetBucketLocationRequest { BucketName = bucket });
        Assert.Equal(HttpStatusCode.OK, location.HttpStatusCode);
    }

    [Fact]
    public async Task CreateBucketHeadersNeedTheirOwnPermissions()
    {
        var s3 = Access.ClientFor(await Access.CreateUserAsync(null, AccessFixture.Policy(
            """{"Effect": "Allow", "Action": "s3:CreateBucket", "Resource": "*"}""")));
        string owned = Access.NewBucketName();
        await DeniedAsync(() => s3.PutBucketAsync(new PutBucketRequest { BucketName = owned, ObjectOwnership = ObjectOwnership.ObjectWriter }));
        await DeniedAsync(() => s3.PutBucketAsync(new PutBucketRequest { BucketName = owned, CannedACL = S3CannedACL.Private }));
        await DeniedAsync(() => s3.PutBucketAsync(new PutBucketRequest { BucketName = owned, ObjectLockEnabledForBucket = true }));
        await FailsAsync(HttpStatusCode.NotFound, "NoSuchBucket", () => Root.GetBucketAclAsync(new GetBucketAclRequest { BucketName = owned }));
        await s3.PutBucketAsync(new PutBucketRequest { BucketName = owned });
    }

    [Fact]
    public async Task ABucketsOwnerStillNeedsAPolicyToUseIt()
    {
        string bucket = Access.NewBucketName();
        var s3 = Access.ClientFor(await Access.CreateUserAsync(null, AccessFixture.Policy(
            """{"Effect": "Allow", "Action": "s3:CreateBucket", "Resource": "*"}""")));
        await s3.PutBucketAsync(new PutBucketRequest { BucketName = bucket });
        await DeniedAsync(() => PutAsync(s3, bucket, "k"));
        await DeniedAsync(() => s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket }));
        await DeniedAsync(() => s3.DeleteBucketAsync(bucket));
    }

    [Fact]
    public async Task ConfigurationOfAMissingBucketIsNoSuchBucket()
    {
        string missing = S3Endpoint.NewBucketName();
        await FailsAsync(HttpStatusCode.NotFound, "NoSuchBucket", () => Root.GetBucketPolicyStatusAsync(new GetBucketPolicyStatusRequest { BucketName = missing }));
        await FailsAsync(HttpStatusCode.NotFound, "NoSuchBucket", () => Root.GetPublicAccessBlockAsync(new GetPublicAccessBlockRequest { BucketName = missing }));
        await FailsAsync(HttpStatusCode.NotFound, "NoSuchBucket", () => Root.GetBucketOwnershipControlsAsync(new GetBucketOwnershipControlsRequest { BucketName = missing }));
        await FailsAsync(HttpStatusCode.NotFound, "NoSuchBucket", () => Root.GetBucketAclAsync(new GetBucketAclRequest { BucketName = missing }));
        await FailsAsync(HttpStatusCode.NotFound, "NoSuchBucket", () => Root.PutBucketPolicyAsync(new PutBucketPolicyRequest
        {
            BucketName = missing,
            Policy = AccessFixture.Policy($$"""{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam:::user/x"}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::{{missing}}/*"}"""),
        }));
        await FailsAsync(HttpStatusCode.NotFound, "NoSuchBucket", () => Root.PutPublicAccessBlockAsync(new PutPublicAccessBlockRequest
        {
            BucketName = missing, PublicAccessBlockConfiguration = new PublicAccessBlockConfiguration { BlockPublicAcls = true },
        }));
    }

    /// <summary>AWS answers DeleteBucketPolicy, DeletePublicAccessBlock and DeleteBucketOwnershipControls of a missing bucket 404 NoSuchBucket.</summary>
    [Fact]
    public async Task DeletingTheConfigurationOfAMissingBucketIsNoSuchBucket()
    {
        string missing = S3Endpoint.NewBucketName();
        await FailsAsync(HttpStatusCode.NotFound, "NoSuchBucket", () => Root.DeleteBucketPolicyAsync(new DeleteBucketPolicyRequest { BucketName = missing }));
        await FailsAsync(HttpStatusCode.NotFound, "NoSuchBucket", () => Root.DeletePublicAccessBlockAsync(new DeletePublicAccessBlockRequest { BucketName = missing }));
        await FailsAsync(HttpStatusCode.NotFound, "NoSuchBucket", () => Root.DeleteBucketOwnershipControlsAsync(new DeleteBucketOwnershipControlsRequest { BucketName = missing }));
    }

    [Fact]
    public async Task AnObjectAclGrantsTheUserItNamesAndNoOther()
    {
        string bucket = await NewBucketAsync(ObjectOwnership.ObjectWriter);
        var granted = await Access.CreateUserAsync();
        var other = await Access.CreateUserAsync();
        await Root.PutObjectAsync(new PutObjectRequest
        {
            BucketName = bucket, Key = "k", ContentBody = "shared",
            Grants = [new S3Grant { Grantee = new S3Grantee { CanonicalUser = granted.CanonicalId }, Permission = S3Permission.READ }],
        });
        Assert.Equal("shared", await ReadAsync(Access.ClientFor(granted), bucket, "k"));
        await DeniedAsync(() => Access.ClientFor(other).GetObjectAsync(bucket, "k"));
        // READ is not READ_ACP, nor WRITE.
        await DeniedAsync(() => Access.ClientFor(granted).GetObjectAclAsync(new GetObjectAclRequest { BucketName = bucket, Key = "k" }));
        await DeniedAsync(() => PutAsync(Access.ClientFor(granted), bucket, "k", "overwritten"));
        Assert.Equal("shared", await ReadAsync(Root, bucket, "k"));

        // A bucket policy's explicit deny beats the ACL.
        await SetBucketPolicyAsync(bucket, AccessFixture.Policy(
            $$"""{"Effect": "Deny", "Principal": {"AWS": "{{granted.Arn}}"}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::{{bucket}}/*"}"""));
        await DeniedAsync(() => Access.ClientFor(granted).GetObjectAsync(bucket, "k"));
    }

    [Fact]
    public async Task BucketAclGroupsGrantSignedAndAnonymousCallers()
    {
        string bucket = await NewBucketAsync(ObjectOwnership.ObjectWriter);
        await AllowPublicAsync(bucket);
        await PutAsync(Root, bucket, "k", "v");
        var user = await Access.CreateUserAsync();

        await Root.PutBucketAclAsync(new PutBucketAclRequest { BucketName = bucket, ACL = S3CannedACL.AuthenticatedRead });
        var listed = await Access.ClientFor(user).ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket });
        Assert.Equal(["k"], (listed.S3Objects ?? []).Select(o => o.Key));
        using (var anonymous = await Access.SendAsync(HttpMethod.Get, $"/{bucket}?list-type=2"))
        {
            var error = await AccessFixture.ErrorOf(anonymous);
            Assert.Equal((HttpStatusCode.Forbidden, "AccessDenied"), (error.Status, error.Code));
        }

        await Root.PutBucketAclAsync(new PutBucketAclRequest { BucketName = bucket, ACL = S3CannedACL.PublicRead });
        using (var anonymous = await Access.SendAsync(HttpMethod.Get, $"/{bucket}?list-type=2"))
        {
            Assert.Equal(HttpStatusCode.OK, anonymous.StatusCode);
            Assert.Contains("<Key>k</Key>", await anonymous.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        // Listing the bucket is not reading its objects, which keep their private ACLs.
        Assert.Equal(HttpStatusCode.Forbidden, (await Access.AnonymousGetAsync(bucket, "k")).Status);
    }

    [Fact]
    public async Task AnIdentityPolicyWithTheUsernameVariableGivesEachUserItsHomeFolder()
    {
        string bucket = await NewBucketAsync();
        string policy = AccessFixture.Policy(
            $$"""{"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": "arn:aws:s3:::{{bucket}}/home/${aws:username}/*"}""");
        var alice = await Access.CreateUserAsync(null, policy);
        var bob = await Access.CreateUserAsync(null, policy);
        await PutAsync(Access.ClientFor(alice), bucket, $"home/{alice.Name}/f", "alice");
        await PutAsync(Access.ClientFor(bob), bucket, $"home/{bob.Name}/f", "bob");
        await DeniedAsync(() => Access.ClientFor(alice).GetObjectAsync(bucket, $"home/{bob.Name}/f"));
        await DeniedAsync(() => PutAsync(Access.ClientFor(bob), bucket, $"home/{alice.Name}/g"));
        Assert.Equal("alice", await ReadAsync(Access.ClientFor(alice), bucket, $"home/{alice.Name}/f"));
    }

    [Fact]
    public async Task DeleteObjectsByAUserWithNoPermissionAnswersEachKeyDenied()
    {
        string bucket = await NewBucketAsync();
        await PutAsync(Root, bucket, "a");
        var s3 = Access.ClientFor(await Access.CreateUserAsync());
        DeleteObjectsResponse result;
        try
        {
            result = await s3.DeleteObjectsAsync(new DeleteObjectsRequest { BucketName = bucket, Objects = [new KeyVersion { Key = "a" }, new KeyVersion { Key = "b" }] });
        }
        catch (DeleteObjectsException e)
        {
            result = e.Response;
        }
        Assert.Empty(result.DeletedObjects ?? []);
        Assert.Equal(["a", "b"], (result.DeleteErrors ?? []).Select(e => e.Key).Order(StringComparer.Ordinal));
        Assert.All(result.DeleteErrors!, e => Assert.Equal("AccessDenied", e.Code));
        Assert.Equal("data", await ReadAsync(Root, bucket, "a"));
    }

    [Fact]
    public async Task AnonymousCallersMayNotListBucketsOrCreateThem()
    {
        using (var list = await Access.SendAsync(HttpMethod.Get, "/"))
        {
            var error = await AccessFixture.ErrorOf(list);
            Assert.Equal((HttpStatusCode.Forbidden, "AccessDenied"), (error.Status, error.Code));
        }
        string bucket = Access.NewBucketName();
        using (var create = await Access.SendAsync(HttpMethod.Put, "/" + bucket))
        {
            var error = await AccessFixture.ErrorOf(create);
            Assert.Equal((HttpStatusCode.Forbidden, "AccessDenied"), (error.Status, error.Code));
        }
        await FailsAsync(HttpStatusCode.NotFound, "NoSuchBucket", () => Root.GetBucketAclAsync(new GetBucketAclRequest { BucketName = bucket }));
    }

    [Fact]
    public async Task VersionedReadsAndListingsNeedTheVersionActions()
    {
        string bucket = await NewBucketAsync();
        await Root.PutBucketVersioningAsync(new PutBucketVersioningRequest
        {
            BucketName = bucket, VersioningConfig = new S3BucketVersioningConfig { Status = VersionStatus.Enabled },
        });
        string v1 = (await Root.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "k", ContentBody = "one" })).VersionId;
        await PutAsync(Root, bucket, "k", "two");
        var s3 = Access.ClientFor(await Access.CreateUserAsync(null, AccessFixture.Policy(
            $$"""{"Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket", "s3:DeleteObject"], "Resource": ["arn:aws:s3:::{{bucket}}", "arn:aws:s3:::{{bucket}}/*"]}""")));
        Assert.Equal("two", await ReadAsync(s3, bucket, "k"));
        await DeniedAsync(() => s3.GetObjectAsync(new GetObjectRequest { BucketName = bucket, Key = "k", VersionId = v1 }));
        await DeniedAsync(() => s3.ListVersionsAsync(new ListVersionsRequest { BucketName = bucket }));
        await DeniedAsync(() => s3.DeleteObjectAsync(new DeleteObjectRequest { BucketName = bucket, Key = "k", VersionId = v1 }));
        using var response = await Root.GetObjectAsync(new GetObjectRequest { BucketName = bucket, Key = "k", VersionId = v1 });
        Assert.Equal(v1, response.VersionId);
    }

    [Fact]
    public async Task DeleteObjectsOfVersionsNeedsDeleteObjectVersionForEachKey()
    {
        string bucket = await NewBucketAsync();
        await Root.PutBucketVersioningAsync(new PutBucketVersioningRequest
        {
            BucketName = bucket, VersioningConfig = new S3BucketVersioningConfig { Status = VersionStatus.Enabled },
        });
        string v1 = (await Root.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "k", ContentBody = "one" })).VersionId;
        var s3 = Access.ClientFor(await Access.CreateUserAsync(null, AccessFixture.Policy(
            $$"""{"Effect": "Allow", "Action": "s3:DeleteObject", "Resource": "arn:aws:s3:::{{bucket}}/*"}""")));
        DeleteObjectsResponse result;
        try
        {
            result = await s3.DeleteObjectsAsync(new DeleteObjectsRequest
            {
                BucketName = bucket, Objects = [new KeyVersion { Key = "k", VersionId = v1 }, new KeyVersion { Key = "other" }],
            });
        }
        catch (DeleteObjectsException e)
        {
            result = e.Response;
        }
        var denied = Assert.Single(result.DeleteErrors ?? []);
        Assert.Equal(("k", "AccessDenied"), (denied.Key, denied.Code));
        Assert.Equal(["other"], (result.DeletedObjects ?? []).Select(d => d.Key));
        using var kept = await Root.GetObjectAsync(new GetObjectRequest { BucketName = bucket, Key = "k", VersionId = v1 });
        Assert.Equal(v1, kept.VersionId);
    }
}
