using ObjStore.Access.Policies;

namespace ObjStore.Access.Tests;

/// <summary>The evaluation order of <see cref="AccessDecision"/>: root, explicit deny, allow, ACL, implicit deny.</summary>
public class AccessDecisionTests
{
    private const string Owner = "owner-canonical-id";
    private static readonly Principal Alice = Principal.User("alice", "alice-id");
    private static readonly Principal Root = Principal.Root("root-id", "root");

    private static PolicyDocument Identity(string effect, string action = "s3:GetObject", string resource = "arn:aws:s3:::photos/*") => PolicyDocument.Parse(
        $$"""{"Version":"2012-10-17","Statement":[{"Effect":"{{effect}}","Action":"{{action}}","Resource":"{{resource}}"}]}""", PolicyKind.Identity);

    private static PolicyDocument BucketPolicy(string effect, string principal = "\"*\"") => PolicyDocument.Parse(
        $$"""{"Version":"2012-10-17","Statement":[{"Effect":"{{effect}}","Principal":{{principal}},"Action":"s3:GetObject","Resource":"arn:aws:s3:::photos/*"}]}""",
        PolicyKind.Resource);

    private static BucketAccess Bucket(PolicyDocument? policy = null, AccessControlList? acl = null, ObjectOwnership ownership = ObjectOwnership.BucketOwnerEnforced,
        PublicAccessBlock? block = null) =>
        new(Owner, policy, acl ?? AccessControlList.Private(Owner), ownership, block ?? PublicAccessBlock.None);

    private static AccessRequest Get(Principal principal) =>
        new("s3:GetObject", AccessRequest.ObjectArn("photos", "cat.jpg"), principal, new ConditionContext());

    [Fact]
    public void RootMayDoAnythingEvenAgainstADenyingBucketPolicy() =>
        Assert.True(AccessDecision.IsAllowed(Get(Root), null, Bucket(BucketPolicy("Deny")), AclPermission.Read, null));

    [Fact]
    public void NothingAllowsMeansDenied()
    {
        Assert.False(AccessDecision.IsAllowed(Get(Alice), null, Bucket(), AclPermission.Read, null));
        Assert.False(AccessDecision.IsAllowed(Get(Principal.Anonymous), null, null, null, null));
    }

    [Fact]
    public void AnIdentityOrABucketPolicyAllowIsEnough()
    {
        Assert.True(AccessDecision.IsAllowed(Get(Alice), Identity("Allow"), Bucket(), null, null));
        Assert.True(AccessDecision.IsAllowed(Get(Alice), null, Bucket(BucketPolicy("Allow", """{"AWS":"arn:aws:iam:::user/alice"}""")), null, null));
        Assert.False(AccessDecision.IsAllowed(Get(Alice), null, Bucket(BucketPolicy("Allow", """{"AWS":"arn:aws:iam:::user/bob"}""")), null, null));
    }

    [Fact]
    public void AnExplicitDenyAnywhereBeatsEveryAllow()
    {
        Assert.False(AccessDecision.IsAllowed(Get(Alice), Identity("Allow"), Bucket(BucketPolicy("Deny")), null, null));
        Assert.False(AccessDecision.IsAllowed(Get(Alice), Identity("Deny"), Bucket(BucketPolicy("Allow")), null, null));
        var publicAcl = AccessControlList.Canned("public-read", Owner, Owner)!;
        Assert.False(AccessDecision.IsAllowed(Get(Alice), Identity("Deny"), Bucket(acl: publicAcl, ownership: ObjectOwnership.ObjectWriter), AclPermission.Read, publicAcl));
    }

    [Fact]
    public void AnAnonymousRequestIsServedOnlyByAPublicGrant()
    {
        Assert.True(AccessDecision.IsAllowed(Get(Principal.Anonymous), null, Bucket(BucketPolicy("Allow")), null, null));
        // An identity policy is never an anonymous request's, whatever is passed.
        Assert.False(AccessDecision.IsAllowed(Get(Principal.Anonymous), Identity("Allow"), Bucket(), null, null));
    }

    [Fact]
    public void ACLsCountOnlyWhenOwnershipEnablesThem()
    {
        var publicAcl = AccessControlList.Canned("public-read", Owner, Owner)!;
        Assert.False(AccessDecision.IsAllowed(Get(Principal.Anonymous), null, Bucket(acl: publicAcl), AclPermission.Read, publicAcl));
        Assert.True(AccessDecision.IsAllowed(Get(Principal.Anonymous), null, Bucket(acl: publicAcl, ownership: ObjectOwnership.ObjectWriter), AclPermission.Read, publicAcl));
        Assert.False(AccessDecision.IsAllowed(Get(Principal.Anonymous), null, Bucket(acl: publicAcl, ownership: ObjectOwnership.ObjectWriter), AclPermission.Write, publicAcl));
        Assert.False(AccessDecision.IsAllowed(Get(Principal.Anonymous), null, Bucket(acl: publicAcl, ownership: ObjectOwnership.ObjectWriter), null, publicAcl));
    }

    [Fact]
    public void AuthenticatedReadServesUsersNotAnonymous()
    {
        var acl = AccessControlList.Canned("authenticated-read", Owner, Owner)!;
        var bucket = Bucket(acl: acl, ownership: ObjectOwnership.BucketOwnerPreferred);
        Assert.True(AccessDecision.IsAllowed(Get(Alice), null, bucket, AclPermission.Read, acl));
        Assert.False(AccessDecision.IsAllowed(Get(Principal.Anonymous), null, bucket, AclPermission.Read, acl));
    }

    [Fact]
    public void IgnorePublicAclsIgnoresGroupGrantsButNotUserGrants()
    {
        var acl = new AccessControlList(Owner, [new AclGrant(GranteeKind.Group, AccessControlList.AllUsers, AclPermission.Read),
            new AclGrant(GranteeKind.CanonicalUser, "alice-id", AclPermission.Read)]);
        var bucket = Bucket(acl: acl, ownership: ObjectOwnership.ObjectWriter, block: new PublicAccessBlock(false, true, false, false));
        Assert.False(AccessDecision.IsAllowed(Get(Principal.Anonymous), null, bucket, AclPermission.Read, acl));
        Assert.True(AccessDecision.IsAllowed(Get(Alice), null, bucket, AclPermission.Read, acl));
    }

    [Fact]
    public void RestrictPublicBucketsKeepsAPublicPolicyFromAnonymousButNotFromUsers()
    {
        var bucket = Bucket(BucketPolicy("Allow"), block: new PublicAccessBlock(false, false, false, true));
        Assert.False(AccessDecision.IsAllowed(Get(Principal.Anonymous), null, bucket, null, null));
        Assert.True(AccessDecision.IsAllowed(Get(Alice), null, bucket, null, null));
    }

    [Fact]
    public void FULLCONTROLGrantsEveryPermission()
    {
        var acl = AccessControlList.Private("alice-id");
        foreach (var permission in Enum.GetValues<AclPermission>())
        {
            Assert.True(acl.Allows(Alice, permission, ignorePublicGrants: false));
            Assert.False(acl.Allows(Principal.User("bob", "bob-id"), permission, ignorePublicGrants: false));
        }
    }

    [Fact]
    public void TheObjectACLIsNeededOnlyWhenNoPolicyDecided()
    {
        var enabled = Bucket(ownership: ObjectOwnership.ObjectWriter);
        Assert.True(AccessDecision.NeedsObjectAcl(Get(Alice), null, enabled));
        Assert.False(AccessDecision.NeedsObjectAcl(Get(Alice), Identity("Deny"), enabled));
        Assert.False(AccessDecision.NeedsObjectAcl(Get(Alice), Identity("Allow"), enabled));
        Assert.False(AccessDecision.NeedsObjectAcl(Get(Alice), null, Bucket()));
        Assert.False(AccessDecision.NeedsObjectAcl(Get(Root), null, enabled));
    }
}
