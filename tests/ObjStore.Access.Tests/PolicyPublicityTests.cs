using ObjStore.Access.Policies;
using static ObjStore.Access.Tests.PolicyTestKit;

namespace ObjStore.Access.Tests;

/// <summary>AWS's "The meaning of public" for bucket policies, RestrictPublicBuckets, and the own-bucket check.</summary>
public class PolicyPublicityTests
{
    private static bool IsPublic(string principal, string? condition = null, string effect = "Allow") =>
        BucketPolicy("{\"Effect\":\"" + effect + "\"," + principal + ",\"Action\":\"s3:GetObject\",\"Resource\":\"arn:aws:s3:::b/*\""
            + (condition is null ? "" : ",\"Condition\":" + condition) + "}").IsPublic;

    [Theory]
    [InlineData("\"Principal\":\"*\"", true)]
    [InlineData("""
        "Principal":{"AWS":"*"}
        """, true)]
    [InlineData("""
        "Principal":{"AWS":["arn:aws:iam:::user/alice","*"]}
        """, true)]
    [InlineData("""
        "NotPrincipal":{"AWS":"arn:aws:iam:::user/alice"}
        """, true)]
    [InlineData("""
        "Principal":{"AWS":"arn:aws:iam:::user/alice"}
        """, false)]
    [InlineData("""
        "Principal":{"CanonicalUser":"c0ffee"}
        """, false)]
    [InlineData("""
        "Principal":{"Service":"logging.s3.amazonaws.com"}
        """, false)]
    public void GrantsToEveryoneArePublic(string principal, bool expected) => Assert.Equal(expected, IsPublic(principal));

    [Fact]
    public void DenyStatementsAndIdentityPoliciesAreNeverPublic()
    {
        Assert.False(IsPublic("\"Principal\":\"*\"", effect: "Deny"));
        Assert.False(Identity("""{"Effect":"Allow","Action":"*","Resource":"*"}""").IsPublic);
    }

    [Theory]
    [InlineData("""{"IpAddress":{"aws:SourceIp":"192.0.2.0/24"}}""", false)]
    [InlineData("""{"IpAddress":{"aws:SourceIp":["192.0.2.0/24","2001:db8::/32"]}}""", false)]
    [InlineData("""{"IpAddress":{"aws:SourceIp":"0.0.0.0/0"}}""", true)]
    [InlineData("""{"IpAddress":{"aws:SourceIp":["192.0.2.0/24","::/0"]}}""", true)]
    [InlineData("""{"NotIpAddress":{"aws:SourceIp":"192.0.2.0/24"}}""", true)]
    [InlineData("""{"IpAddressIfExists":{"aws:SourceIp":"192.0.2.0/24"}}""", true)]
    [InlineData("""{"StringEquals":{"aws:SourceVpce":"vpce-1a2b3c4d"}}""", false)]
    [InlineData("""{"StringEquals":{"aws:sourcevpc":"vpc-111bbb22"}}""", false)]
    [InlineData("""{"StringEquals":{"aws:PrincipalOrgID":"o-xxxxxxxxxx"}}""", false)]
    [InlineData("""{"StringEquals":{"aws:PrincipalAccount":"111122223333"}}""", false)]
    [InlineData("""{"StringEquals":{"aws:SourceAccount":"111122223333"}}""", false)]
    [InlineData("""{"StringEquals":{"aws:SourceOwner":"111122223333"}}""", false)]
    [InlineData("""{"StringEquals":{"aws:username":"alice"}}""", false)]
    [InlineData("""{"StringEquals":{"s3:x-amz-server-side-encryption-aws-kms-key-id":"arn:aws:kms:us-east-1:1:key/k"}}""", false)]
    [InlineData("""{"ArnEquals":{"aws:SourceArn":"arn:aws:cloudfront::111122223333:distribution/EDFDVBD6EXAMPLE"}}""", false)]
    [InlineData("""{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam:::user/alice"}}""", false)]
    [InlineData("""{"ArnLike":{"aws:SourceArn":"arn:aws:cloudfront::111122223333:distribution/*"}}""", true)]
    [InlineData("""{"StringLike":{"aws:userid":"AROLEID:*"}}""", true)]
    [InlineData("""{"StringEquals":{"aws:username":"${aws:username}"}}""", true)]
    [InlineData("""{"StringNotEquals":{"aws:SourceVpce":"vpce-1a2b3c4d"}}""", true)]
    [InlineData("""{"StringEqualsIfExists":{"aws:SourceVpce":"vpce-1a2b3c4d"}}""", true)]
    [InlineData("""{"ForAllValues:StringEquals":{"aws:SourceVpce":"vpce-1a2b3c4d"}}""", true)]
    [InlineData("""{"Null":{"aws:SourceVpce":"false"}}""", true)]
    [InlineData("""{"Bool":{"aws:SecureTransport":"true"}}""", true)]
    [InlineData("""{"StringEquals":{"s3:prefix":"home/"}}""", true)]
    [InlineData("""{"Bool":{"aws:SecureTransport":"true"},"StringEquals":{"aws:SourceVpce":"vpce-1a2b3c4d"}}""", false)]
    public void ConditionsPinningFixedCallersMakeAGrantToEveryoneNonPublic(string condition, bool expected) =>
        Assert.Equal(expected, IsPublic("\"Principal\":\"*\"", condition));

    [Fact]
    public void IgnoringPublicGrantsKeepsTheOthersAndEveryDeny()
    {
        var policy = BucketPolicy("""
            {"Sid":"Public","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::amzn-s3-demo-bucket/*"},
            {"Sid":"Vpce","Effect":"Allow","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::amzn-s3-demo-bucket/*",
             "Condition":{"StringEquals":{"aws:SourceVpce":"vpce-1"}}},
            {"Sid":"Alice","Effect":"Allow","Principal":{"AWS":"arn:aws:iam:::user/alice"},"Action":"s3:DeleteObject","Resource":"*"},
            {"Sid":"NoTls","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}
            """);
        Assert.True(policy.IsPublic);
        var tls = new ConditionContext().Set("aws:SecureTransport", "true");
        Assert.Equal(PolicyEffect.Allow, policy.Evaluate(Get("k", Bob, tls)));
        Assert.Equal(PolicyEffect.NotApplicable, policy.Evaluate(Get("k", Bob, tls), ignorePublicGrants: true));
        var put = Request("s3:PutObject", AccessRequest.ObjectArn(Bucket, "k"), Bob, new ConditionContext().Set("aws:SourceVpce", "vpce-1"));
        Assert.Equal(PolicyEffect.Allow, policy.Evaluate(put, ignorePublicGrants: true));
        var delete = Request("s3:DeleteObject", AccessRequest.ObjectArn(Bucket, "k"), Alice);
        Assert.Equal(PolicyEffect.Allow, policy.Evaluate(delete, ignorePublicGrants: true));
        Assert.Equal(PolicyEffect.Deny, policy.Evaluate(delete with { Conditions = new ConditionContext().Set("aws:SecureTransport", "false") }, ignorePublicGrants: true));
    }

    [Theory]
    [InlineData("\"arn:aws:s3:::amzn-s3-demo-bucket\"", true)]
    [InlineData("\"arn:aws:s3:::amzn-s3-demo-bucket/*\"", true)]
    [InlineData("[\"arn:aws:s3:::amzn-s3-demo-bucket\",\"arn:aws:s3:::amzn-s3-demo-bucket/photos/*.jpg\"]", true)]
    [InlineData("\"arn:aws:s3:::amzn-s3-demo-bucket/${aws:username}/*\"", true)]
    [InlineData("\"arn:aws:s3:::amzn-s3-demo-bucket*\"", false)]
    [InlineData("\"arn:aws:s3:::amzn-s3-demo-bucket2/*\"", false)]
    [InlineData("\"arn:aws:s3:::amzn-s3-demo-*/*\"", false)]
    [InlineData("\"arn:aws:s3:::*\"", false)]
    [InlineData("\"*\"", false)]
    [InlineData("[\"arn:aws:s3:::amzn-s3-demo-bucket/*\",\"arn:aws:s3:::other/*\"]", false)]
    [InlineData("\"arn:aws:s3:::AMZN-S3-DEMO-BUCKET/*\"", false)]
    public void AppliesOnlyToNamesTheBucketOrItsObjects(string resource, bool expected) =>
        Assert.Equal(expected, BucketPolicy("{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"s3:*\",\"Resource\":" + resource + "}")
            .AppliesOnlyTo(Bucket));

    [Fact]
    public void AppliesOnlyToLooksAtEveryStatementAndRefusesNotResource()
    {
        const string own = """{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::amzn-s3-demo-bucket/*"}""";
        Assert.False(BucketPolicy(own + """,{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::x"}""").AppliesOnlyTo(Bucket));
        Assert.False(BucketPolicy(own + """,{"Effect":"Deny","Principal":"*","Action":"s3:*","NotResource":"arn:aws:s3:::amzn-s3-demo-bucket/*"}""").AppliesOnlyTo(Bucket));
        Assert.True(BucketPolicy(own + "," + own.Replace("Allow", "Deny", StringComparison.Ordinal)).AppliesOnlyTo(Bucket));
    }
}
