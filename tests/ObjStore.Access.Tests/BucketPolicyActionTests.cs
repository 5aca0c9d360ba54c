using ObjStore.Access.Policies;

namespace ObjStore.Access.Tests;

/// <summary>A bucket policy may name only actions S3 has: a typo in a Deny must not be stored to protect nothing.</summary>
public class BucketPolicyActionTests
{
    private static string Policy(string action) =>
        $$"""{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"{{action}}","Resource":"arn:aws:s3:::b/*"}]}""";

    private static string IdentityPolicy(string action) =>
        $$"""{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"{{action}}","Resource":"*"}]}""";

    [Theory]
    [InlineData("s3:GetObject")]
    [InlineData("S3:getobject")]
    [InlineData("s3:Get*")]
    [InlineData("s3:*Version")]
    [InlineData("s3:*")]
    [InlineData("*")]
    [InlineData("s3:PutBucketCORS")]
    public void KnownActionsAndPatternsThatNameOneAreAccepted(string action) =>
        PolicyDocument.Parse(Policy(action), PolicyKind.Resource);

    [Theory]
    [InlineData("s3:GetObjekt")]
    [InlineData("s3:Frobnicate*")]
    [InlineData("iam:CreateUser")]
    [InlineData("ec2:*")]
    public void UnknownOrForeignActionsAreRefused(string action)
    {
        var e = Assert.Throws<MalformedPolicyException>(() => PolicyDocument.Parse(Policy(action), PolicyKind.Resource));
        Assert.Equal("Policy has invalid action", e.Message);
    }

    [Fact]
    public void AnIdentityPolicyMayNameOtherServices() => PolicyDocument.Parse(IdentityPolicy("iam:CreateUser"), PolicyKind.Identity);
}

/// <summary>Principals this store could never match are refused, so a Deny naming one cannot silently protect nothing.</summary>
public class BucketPolicyPrincipalTests
{
    [Theory]
    [InlineData("arn:aws:iam::123456789012:user/alice")]
    [InlineData("arn:aws:iam::123456789012:root")]
    [InlineData("arn:aws:iam::123456789012:role/app")]
    public void ForeignArnsAreInvalidPrincipals(string arn)
    {
        string policy = $$"""{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":{"AWS":"{{arn}}"},"Action":"s3:*","Resource":"arn:aws:s3:::b/*"}]}""";
        var e = Assert.Throws<MalformedPolicyException>(() => PolicyDocument.Parse(policy, PolicyKind.Resource));
        Assert.Equal("Invalid principal in policy", e.Message);
    }

    [Theory]
    [InlineData("arn:aws:iam:::user/alice")]
    [InlineData("arn:aws:iam:::root")]
    [InlineData("79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be")]
    public void OurPrincipalsAreAccepted(string principal) => PolicyDocument.Parse(
        $$"""{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":{"AWS":"{{principal}}"},"Action":"s3:*","Resource":"arn:aws:s3:::b/*"}]}""",
        PolicyKind.Resource);
}
