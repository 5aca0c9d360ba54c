using System.Net;
using Amazon.S3;
using Amazon.S3.Model;

namespace ObjStore.Compat.Tests;

/// <summary>
/// Object Ownership and ACLs: new buckets have ACLs disabled (BucketOwnerEnforced) and refuse ACLs that grant anyone
/// but the owner; with ACLs enabled, canned and explicit grants round-trip and grant what they say.
/// </summary>
[Collection(SharedEndpoint.Name)]
public class AclTests(S3Endpoint endpoint) : AccessTestBase(endpoint)
{
    private const string AllUsers = "http://acs.amazonaws.com/groups/global/AllUsers";

    private async Task SetOwnershipAsync(string bucket, ObjectOwnership ownership) =>
        await Root.PutBucketOwnershipControlsAsync(new PutBucketOwnershipControlsRequest
        {
            BucketName = bucket,
            OwnershipControls = new OwnershipControls { Rules = [new OwnershipControlsRule { ObjectOwnership = ownership }] },
        });

    private async Task<string?> OwnershipAsync(string bucket) =>
        (await Root.GetBucketOwnershipControlsAsync(new GetBucketOwnershipControlsRequest { BucketName = bucket }))
            .OwnershipControls?.Rules?.SingleOrDefault()?.ObjectOwnership?.Value;

    [Fact]
    public async Task NewBucketsEnforceBucketOwnershipAndRefuseAclsThatGrantOthers()
    {
        string bucket = await NewBucketAsync();
        Assert.Equal("BucketOwnerEnforced", await OwnershipAsync(bucket));

        var e = await FailsAsync(HttpStatusCode.BadRequest, "AccessControlListNotSupported",
            () => Root.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "k", ContentBody = "x", CannedACL = S3CannedACL.PublicRead }));
        Assert.NotNull(e.Message);
        await FailsAsync(HttpStatusCode.NotFound, "NoSuchKey", () => Root.GetObjectAsync(bucket, "k"));
        await Root.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "k", ContentBody = "x", CannedACL = S3CannedACL.BucketOwnerFullControl });
        await Root.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "p", ContentBody = "x", CannedACL = S3CannedACL.Private });
        await FailsAsync(HttpStatusCode.BadRequest, "AccessControlListNotSupported",
            () => Root.PutBucketAclAsync(new PutBucketAclRequest { BucketName = bucket, ACL = S3CannedACL.PublicRead }));
        await FailsAsync(HttpStatusCode.BadRequest, "AccessControlListNotSupported",
            () => Root.PutObjectAclAsync(new PutObjectAclRequest { BucketName = bucket, Key = "k", ACL = S3CannedACL.AuthenticatedRead }));

        // Reading ACLs still works: the owner has full control.
        var acl = await Root.GetObjectAclAsync(new GetObjectAclRequest { BucketName = bucket, Key = "k" });
        var grant = Assert.Single(acl.Grants ?? []);
        Assert.Equal(S3Permission.FULL_CONTROL, grant.Permission);
        Assert.Equal(acl.Owner.Id, grant.Grantee.CanonicalUser);
    }

    [Fact]
    public async Task WithObjectWriterOwnershipAPublicReadObjectServesAnonymousRequests()
    {
        string bucket = await NewBucketAsync();
        await SetOwnershipAsync(bucket, ObjectOwnership.ObjectWriter);
        Assert.Equal("ObjectWriter", await OwnershipAsync(bucket));
        await AllowPublicAsync(bucket);
        await Root.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "pub", ContentBody = "public", CannedACL = S3CannedACL.PublicRead });
        await PutAsync(Root, bucket, "priv", "private");

        Assert.Equal((HttpStatusCode.OK, "public"), await Access.AnonymousGetAsync(bucket, "pub"));
        Assert.Equal(HttpStatusCode.Forbidden, (await Access.AnonymousGetAsync(bucket, "priv")).Status);

        var acl = await Root.GetObjectAclAsync(new GetObjectAclRequest { BucketName = bucket, Key = "pub" });
        var grants = acl.Grants ?? [];
        Assert.Contains(grants, g => g.Grantee?.URI == AllUsers && g.Permission == S3Permission.READ);
        Assert.Contains(grants, g => g.Grantee?.CanonicalUser == acl.Owner.Id && g.Permission == S3Permission.FULL_CONTROL);
        Assert.Equal(2, grants.Count);
        var privateAcl = await Root.GetObjectAclAsync(new GetObjectAclRequest { BucketName = bucket, Key = "priv" });
        Assert.DoesNotContain(privateAcl.Grants ?? [], g => g.Grantee?.URI == AllUsers);

        // PutObjectAcl makes the private one public, and back.
        await Root.PutObjectAclAsync(new PutObjectAclRequest { BucketName = bucket, Key = "priv", ACL = S3CannedACL.PublicRead });
        Assert.Equal((HttpStatusCode.OK, "private"), await Access.AnonymousGetAsync(bucket, "priv"));
        await Root.PutObjectAclAsync(new PutObjectAclRequest { BucketName = bucket, Key = "priv", ACL = S3CannedACL.Private });
        Assert.Equal(HttpStatusCode.Forbidden, (await Access.AnonymousGetAsync(bucket, "priv")).Status);

        // Switching ACLs off again makes the object's public ACL count no more.
        await SetOwnershipAsync(bucket, ObjectOwnership.BucketOwnerEnforced);
        Assert.Equal(HttpStatusCode.Forbidden, (await Access.AnonymousGetAsync(bucket, "pub")).Status);
    }

    [Fact]
    public async Task ABucketAclRoundTripsAndGrantsTheUserItNames()
    {
        string bucket = await NewBucketAsync(ObjectOwnership.ObjectWriter);
        await PutAsync(Root, bucket, "k", "v");
        var user = await Access.CreateUserAsync();
        var s3 = Access.ClientFor(user);
        await DeniedAsync(() => s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket }));

        var owner = (await Root.GetBucketAclAsync(new GetBucketAclRequest { BucketName = bucket })).Owner;
        await Root.PutBucketAclAsync(new PutBucketAclRequest
        {
            BucketName = bucket,
            AccessControlPolicy = new S3AccessControlList
            {
                Owner = owner,
                Grants =
                [
                    new S3Grant { Grantee = new S3Grantee { CanonicalUser = owner.Id }, Permission = S3Permission.FULL_CONTROL },
                    new S3Grant { Grantee = new S3Grantee { CanonicalUser = user.CanonicalId }, Permission = S3Permission.READ },
                    new S3Grant { Grantee = new S3Grantee { CanonicalUser = user.CanonicalId }, Permission = S3Permission.WRITE },
                ],
            },
        });
        var acl = await Root.GetBucketAclAsync(new GetBucketAclRequest { BucketName = bucket });
        Assert.Equal(owner.Id, acl.Owner.Id);
        var grants = (acl.Grants ?? []).Select(g => (g.Grantee.CanonicalUser, g.Permission.Value)).Order().ToList();
        Assert.Equal(new[] { (owner.Id, "FULL_CONTROL"), (user.CanonicalId, "READ"), (user.CanonicalId, "WRITE") }.Order(), grants);
        Assert.Contains(acl.Grants!, g => g.Grantee.CanonicalUser == user.CanonicalId && g.Grantee.DisplayName == user.Name);

        // READ on the bucket lists it; WRITE writes to it; neither reads an object the user does not own.
        var listed = await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket });
        Assert.Equal(["k"], (listed.S3Objects ?? []).Select(o => o.Key));
        await PutAsync(s3, bucket, "by-user", "u");
        await DeniedAsync(() => s3.GetObjectAsync(bucket, "k"));
        await DeniedAsync(() => s3.GetBucketAclAsync(new GetBucketAclRequest { BucketName = bucket }));

        // With ObjectWriter ownership the writer owns what it writes, so it may read it back.
        Assert.Equal("u", await ReadAsync(s3, bucket, "by-user"));
        var objectAcl = await Root.GetObjectAclAsync(new GetObjectAclRequest { BucketName = bucket, Key = "by-user" });
        Assert.Equal(user.CanonicalId, objectAcl.Owner.Id);
    }

    [Fact]
    public async Task AnEmailGranteeIsUnresolvable()
    {
        string bucket = await NewBucketAsync(ObjectOwnership.ObjectWriter);
        var owner = (await Root.GetBucketAclAsync(new GetBucketAclRequest { BucketName = bucket })).Owner;
        await FailsAsync(HttpStatusCode.BadRequest, "UnresolvableGrantByEmailAddress", () => Root.PutBucketAclAsync(new PutBucketAclRequest
        {
            BucketName = bucket,
            AccessControlPolicy = new S3AccessControlList
            {
                Owner = owner,
                Grants = [new S3Grant { Grantee = new S3Grantee { EmailAddress = "someone@example.com" }, Permission = S3Permission.READ }],
            },
        }));
    }

    [Fact]
    public async Task AMalformedAclIsMalformedAclError()
    {
        string bucket = await NewBucketAsync(ObjectOwnership.ObjectWriter);
        foreach (string body in new[]
        {
            "<AccessControlPolicy><Owner><ID>x</ID>",
            "<NotAnAcl/>",
            "<AccessControlPolicy><AccessControlList><Grant><Permission>READ</Permission></Grant></AccessControlList></AccessControlPolicy>",
            """<AccessControlPolicy xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><AccessControlList><Grant><Grantee xsi:type="CanonicalUser"><ID>abc</ID></Grantee><Permission>EVERYTHING</Permission></Grant></AccessControlList></AccessControlPolicy>""",
        })
        {
            using var response = await Access.SendAsRootAsync(HttpMethod.Put, $"/{bucket}?acl", System.Text.Encoding.UTF8.GetBytes(body));
            var error = await AccessFixture.ErrorOf(response);
            Assert.True((HttpStatusCode.BadRequest, "MalformedACLError") == (error.Status, error.Code), $"{body}: {(int)error.Status} {error.Code}");
        }
    }

    [Fact]
    public async Task APublicBucketAclNeedsOwnershipThatAllowsAcls()
    {
        string bucket = Access.NewBucketName();
        await FailsAsync(HttpStatusCode.BadRequest, "InvalidBucketAclWithObjectOwnership",
            () => Root.PutBucketAsync(new PutBucketRequest { BucketName = bucket, CannedACL = S3CannedACL.PublicRead }));
        await FailsAsync(HttpStatusCode.NotFound, "NoSuchBucket", () => Root.GetBucketAclAsync(new GetBucketAclRequest { BucketName = bucket }));
        // A private one is fine.
        await Root.PutBucketAsync(new PutBucketRequest { BucketName = bucket, CannedACL = S3CannedACL.Private });
        Assert.Equal("BucketOwnerEnforced", await OwnershipAsync(bucket));
    }

    [Fact]
    public async Task ACreateBucketWithAnUnknownOwnershipIsRefused()
    {
        string bucket = Access.NewBucketName();
        using var response = await Access.SendAsRootAsync(HttpMethod.Put, $"/{bucket}", headers: [new("x-amz-object-ownership", "Everyone")]);
        var error = await AccessFixture.ErrorOf(response);
        Assert.Equal((HttpStatusCode.BadRequest, "InvalidArgument"), (error.Status, error.Code));
    }

    [Fact]
    public async Task OwnershipCannotGoBackToEnforcedWhileTheBucketAclGrantsOthers()
    {
        string bucket = await NewBucketAsync(ObjectOwnership.ObjectWriter);
        var user = await Access.CreateUserAsync();
        await Root.PutBucketAclAsync(new PutBucketAclRequest { BucketName = bucket, GrantRead = "id=" + user.CanonicalId });
        var acl = await Root.GetBucketAclAsync(new GetBucketAclRequest { BucketName = bucket });
        Assert.Contains(acl.Grants ?? [], g => g.Grantee.CanonicalUser == user.CanonicalId && g.Permission == S3Permission.READ);

        await FailsAsync(HttpStatusCode.BadRequest, "InvalidBucketAclWithObjectOwnership", () => SetOwnershipAsync(bucket, ObjectOwnership.BucketOwnerEnforced));
        Assert.Equal("ObjectWriter", await OwnershipAsync(bucket));

        await Root.PutBucketAclAsync(new PutBucketAclRequest { BucketName = bucket, ACL = S3CannedACL.Private });
        await SetOwnershipAsync(bucket, ObjectOwnership.BucketOwnerEnforced);
        Assert.Equal("BucketOwnerEnforced", await OwnershipAsync(bucket));
    }

    [Fact]
    public async Task WithoutOwnershipControlsABucketBehavesAsObjectWriter()
    {
        string bucket = await NewBucketAsync();
        await Root.DeleteBucketOwnershipControlsAsync(new DeleteBucketOwnershipControlsRequest { BucketName = bucket });
        await FailsAsync(HttpStatusCode.NotFound, "OwnershipControlsNotFoundError",
            () => Root.GetBucketOwnershipControlsAsync(new GetBucketOwnershipControlsRequest { BucketName = bucket }));
        await AllowPublicAsync(bucket);
        await Root.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "pub", ContentBody = "p", CannedACL = S3CannedACL.PublicRead });
        Assert.Equal((HttpStatusCode.OK, "p"), await Access.AnonymousGetAsync(bucket, "pub"));
    }

    [Fact]
    public async Task BucketOwnerPreferredGivesTheBucketOwnerWhatIsWrittenWithBucketOwnerFullControl()
    {
        string bucket = await NewBucketAsync(ObjectOwnership.BucketOwnerPreferred);
        var writer = await Access.CreateUserAsync();
        await SetBucketPolicyAsync(bucket, AccessFixture.Policy(
            $$"""{"Effect": "Allow", "Principal": {"AWS": "{{writer.Arn}}"}, "Action": ["s3:PutObject", "s3:PutObjectAcl"], "Resource": "arn:aws:s3:::{{bucket}}/*"}"""));
        var s3 = Access.ClientFor(writer);
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "given", ContentBody = "g", CannedACL = S3CannedACL.BucketOwnerFullControl });
        await PutAsync(s3, bucket, "kept", "k");
        string bucketOwner = (await Root.GetBucketAclAsync(new GetBucketAclRequest { BucketName = bucket })).Owner.Id;
        Assert.Equal(bucketOwner, (await Root.GetObjectAclAsync(new GetObjectAclRequest { BucketName = bucket, Key = "given" })).Owner.Id);
        Assert.Equal(writer.CanonicalId, (await Root.GetObjectAclAsync(new GetObjectAclRequest { BucketName = bucket, Key = "kept" })).Owner.Id);
    }
}
