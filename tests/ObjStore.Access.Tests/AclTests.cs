namespace ObjStore.Access.Tests;

/// <summary>Canned ACLs as AWS's "Canned ACL" table defines them, and the stored JSON form.</summary>
public class AclTests
{
    [Theory]
    [InlineData("private", 1, false)]
    [InlineData("public-read", 2, true)]
    [InlineData("public-read-write", 3, true)]
    [InlineData("authenticated-read", 2, true)]
    [InlineData("bucket-owner-read", 2, false)]
    [InlineData("bucket-owner-full-control", 2, false)]
    [InlineData("log-delivery-write", 3, false)]
    [InlineData("aws-exec-read", 1, false)]
    public void CannedACLsExpandToTheirGrants(string name, int grants, bool isPublic)
    {
        var acl = AccessControlList.Canned(name, "writer", "bucket-owner")!;
        Assert.Equal(grants, acl.Grants.Count);
        Assert.Equal(isPublic, acl.IsPublic);
        Assert.Contains(acl.Grants, g => g.Id == "writer" && g.Permission == AclPermission.FullControl);
    }

    [Fact]
    public void BucketOwnerGrantsCollapseWhenTheWriterIsTheBucketOwner()
    {
        Assert.Single(AccessControlList.Canned("bucket-owner-full-control", "owner", "owner")!.Grants);
        Assert.Contains(AccessControlList.Canned("bucket-owner-read", "writer", "owner")!.Grants,
            g => g.Id == "owner" && g.Permission == AclPermission.Read);
    }

    [Fact]
    public void AnUnknownCannedACLIsNull() => Assert.Null(AccessControlList.Canned("public", "a", "b"));

    [Fact]
    public void TheJSONFormRoundTrips()
    {
        var acl = AccessControlList.Canned("public-read-write", "writer", "owner")!;
        var back = AccessControlList.FromJson(acl.ToJson());
        Assert.Equal(acl.OwnerId, back.OwnerId);
        Assert.Equal(acl.Grants, back.Grants);
    }
}
