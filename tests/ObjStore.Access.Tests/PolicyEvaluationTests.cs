using ObjStore.Access.Policies;
using static ObjStore.Access.Tests.PolicyTestKit;

namespace ObjStore.Access.Tests;

/// <summary>The S3 user guide's bucket policy examples, and the evaluation rules they rely on.</summary>
public class PolicyEvaluationTests
{
    private static readonly string BucketArn = AccessRequest.BucketArn(Bucket);

    [Fact]
    public void PublicReadGrantsEveryoneIncludingAnonymousOnlyWhatItNames()
    {
        var policy = PolicyDocument.Parse("""
            {
              "Version": "2012-10-17",
              "Statement": [
                {
                  "Sid": "PublicRead",
                  "Effect": "Allow",
                  "Principal": "*",
                  "Action": ["s3:GetObject", "s3:GetObjectVersion"],
                  "Resource": ["arn:aws:s3:::amzn-s3-demo-bucket/*"]
                }
              ]
            }
            """, PolicyKind.Resource);
        Assert.Equal(PolicyEffect.Allow, policy.Evaluate(Get("photos/cat.jpg", Principal.Anonymous)));
        Assert.Equal(PolicyEffect.Allow, policy.Evaluate(Get("photos/cat.jpg", Bob)));
        Assert.Equal(PolicyEffect.NotApplicable, policy.Evaluate(Request("s3:PutObject", AccessRequest.ObjectArn(Bucket, "k"), Principal.Anonymous)));
        Assert.Equal(PolicyEffect.NotApplicable, policy.Evaluate(Request("s3:ListBucket", BucketArn, Principal.Anonymous)));
        Assert.Equal(PolicyEffect.NotApplicable, policy.Evaluate(Request("s3:GetObject", "arn:aws:s3:::other-bucket/k", Principal.Anonymous)));
        Assert.True(policy.IsPublic);
    }

    [Fact]
    public void IpRestrictionDeniesEveryAddressOutsideTheAllowedBlocks()
    {
        var policy = PolicyDocument.Parse("""
            {
              "Id": "SourceIP",
              "Version": "2012-10-17",
              "Statement": [
                {
                  "Sid": "SourceIP",
                  "Action": "s3:*",
                  "Effect": "Deny",
                  "Resource": ["arn:aws:s3:::amzn-s3-demo-bucket", "arn:aws:s3:::amzn-s3-demo-bucket/*"],
                  "Condition": {
                    "NotIpAddress": { "aws:SourceIp": ["192.0.2.0/24", "2001:DB8:1234:5678::/64"] }
                  },
                  "Principal": "*"
                }
              ]
            }
            """, PolicyKind.Resource);
        AccessRequest From(string ip) => Get("k", Alice, new ConditionContext().Set("aws:SourceIp", ip));
        Assert.Equal(PolicyEffect.Deny, policy.Evaluate(From("203.0.113.5")));
        Assert.Equal(PolicyEffect.NotApplicable, policy.Evaluate(From("192.0.2.10")));
        Assert.Equal(PolicyEffect.NotApplicable, policy.Evaluate(From("2001:db8:1234:5678::42")));
        Assert.Equal(PolicyEffect.Deny, policy.Evaluate(From("2001:db8:1234:9999::42")));
        Assert.Equal(PolicyEffect.Deny, policy.Evaluate(Get("k", Alice)));
        Assert.False(policy.IsPublic);
    }

    [Fact]
    public void SecureTransportDenyRefusesPlainHttp()
    {
        var policy = BucketPolicy("""
            {
              "Sid": "RestrictToTLSRequestsOnly",
              "Action": "s3:*",
              "Effect": "Deny",
              "Resource": ["arn:aws:s3:::amzn-s3-demo-bucket", "arn:aws:s3:::amzn-s3-demo-bucket/*"],
              "Condition": { "Bool": { "aws:SecureTransport": "false" } },
              "Principal": "*"
            },
            { "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam:::user/alice"}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::amzn-s3-demo-bucket/*" }
            """);
        Assert.Equal(PolicyEffect.Deny, policy.Evaluate(Get("k", Alice, new ConditionContext().Set("aws:SecureTransport", "false"))));
        Assert.Equal(PolicyEffect.Allow, policy.Evaluate(Get("k", Alice, new ConditionContext().Set("aws:SecureTransport", "true"))));
    }

    [Fact]
    public void HomeFolderPolicyLetsEachUserListAndUseOnlyTheirOwnFolder()
    {
        var policy = PolicyDocument.Parse("""
            {
              "Version": "2012-10-17",
              "Statement": [
                {
                  "Sid": "AllowRootAndHomeListingOfCompanyBucket",
                  "Action": ["s3:ListBucket"],
                  "Effect": "Allow",
                  "Resource": ["arn:aws:s3:::amzn-s3-demo-bucket"],
                  "Condition": { "StringEquals": { "s3:prefix": ["", "home/", "home/${aws:username}/"], "s3:delimiter": ["/"] } }
                },
                {
                  "Sid": "AllowListingOfUserFolder",
                  "Action": ["s3:ListBucket"],
                  "Effect": "Allow",
                  "Resource": ["arn:aws:s3:::amzn-s3-demo-bucket"],
                  "Condition": { "StringLike": { "s3:prefix": ["home/${aws:username}/*"] } }
                },
                {
                  "Sid": "AllowAllS3ActionsInUserFolder",
                  "Effect": "Allow",
                  "Action": ["s3:*"],
                  "Resource": ["arn:aws:s3:::amzn-s3-demo-bucket/home/${aws:username}/*"]
                }
              ]
            }
            """, PolicyKind.Identity);
        ConditionContext As(string user) => new ConditionContext().Set("aws:username", user);
        AccessRequest List(string user, string prefix, string? delimiter = null) =>
            Request("s3:ListBucket", BucketArn, Principal.User(user, "c"), As(user).Set("s3:prefix", prefix).Set("s3:delimiter", delimiter));

        Assert.Equal(PolicyEffect.Allow, policy.Evaluate(List("alice", "", "/")));
        Assert.Equal(PolicyEffect.Allow, policy.Evaluate(List("alice", "home/", "/")));
        Assert.Equal(PolicyEffect.Allow, policy.Evaluate(List("alice", "home/alice/", "/")));
        Assert.Equal(PolicyEffect.NotApplicable, policy.Evaluate(List("alice", "home/bob/", "/")));
        Assert.Equal(PolicyEffect.NotApplicable, policy.Evaluate(List("alice", "home/")));
        Assert.Equal(PolicyEffect.Allow, policy.Evaluate(List("alice", "home/alice/photos/")));
        Assert.Equal(PolicyEffect.NotApplicable, policy.Evaluate(List("alice", "home/bob/photos/")));

        Assert.Equal(PolicyEffect.Allow, policy.Evaluate(Request("s3:PutObject", AccessRequest.ObjectArn(Bucket, "home/alice/a.txt"), Alice, As("alice"))));
        Assert.Equal(PolicyEffect.NotApplicable, policy.Evaluate(Request("s3:PutObject", AccessRequest.ObjectArn(Bucket, "home/bob/a.txt"), Alice, As("alice"))));
        Assert.Equal(PolicyEffect.NotApplicable, policy.Evaluate(Request("s3:GetObject", AccessRequest.ObjectArn(Bucket, "home/alice/a.txt"), Alice)));
    }

    [Fact]
    public void MfaExamplesDenyWithoutMfaOrWhenItIsTooOld()
    {
        var policy = BucketPolicy("""
            {
              "Sid": "RequireMFA",
              "Effect": "Deny",
              "Principal": "*",
              "Action": "s3:*",
              "Resource": "arn:aws:s3:::amzn-s3-demo-bucket/taxdocuments/*",
              "Condition": { "Null": { "aws:MultiFactorAuthAge": "true" } }
            },
            {
              "Sid": "MFAMaxAge",
              "Effect": "Deny",
              "Principal": "*",
              "Action": "s3:*",
              "Resource": "arn:aws:s3:::amzn-s3-demo-bucket/taxdocuments/*",
              "Condition": { "NumericGreaterThan": { "aws:MultiFactorAuthAge": 3600 } }
            },
            { "Sid": "Read", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::amzn-s3-demo-bucket/*" }
            """);
        Assert.Equal(PolicyEffect.Deny, policy.Evaluate(Get("taxdocuments/2024.pdf")));
        Assert.Equal(PolicyEffect.Deny, policy.Evaluate(Get("taxdocuments/2024.pdf", Alice, new ConditionContext().Set("aws:MultiFactorAuthAge", "7200"))));
        Assert.Equal(PolicyEffect.Allow, policy.Evaluate(Get("taxdocuments/2024.pdf", Alice, new ConditionContext().Set("aws:MultiFactorAuthAge", "60"))));
        Assert.Equal(PolicyEffect.Allow, policy.Evaluate(Get("public/readme.txt")));
    }

    [Fact]
    public void AnExplicitDenyBeatsAnAllowWhicheverComesFirst()
    {
        const string allow = """{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::amzn-s3-demo-bucket/*"}""";
        const string deny = """{"Effect":"Deny","Principal":{"AWS":"arn:aws:iam:::user/alice"},"Action":"s3:DeleteObject","Resource":"*"}""";
        var request = Request("s3:DeleteObject", AccessRequest.ObjectArn(Bucket, "k"), Alice);
        Assert.Equal(PolicyEffect.Deny, BucketPolicy(allow + "," + deny).Evaluate(request));
        Assert.Equal(PolicyEffect.Deny, BucketPolicy(deny + "," + allow).Evaluate(request));
        Assert.Equal(PolicyEffect.Allow, BucketPolicy(allow + "," + deny).Evaluate(request with { Principal = Bob }));
    }

    [Fact]
    public void ActionsMatchCaseInsensitivelyWithWildcards()
    {
        var policy = Identity("""{"Effect":"Allow","Action":["s3:get*","S3:List?ucket"],"Resource":"*"}""");
        Assert.Equal(PolicyEffect.Allow, policy.Evaluate(Request("s3:GetObject", "arn:aws:s3:::b/k")));
        Assert.Equal(PolicyEffect.Allow, policy.Evaluate(Request("s3:GetObjectAcl", "arn:aws:s3:::b/k")));
        Assert.Equal(PolicyEffect.Allow, policy.Evaluate(Request("s3:ListBucket", "arn:aws:s3:::b")));
        Assert.Equal(PolicyEffect.NotApplicable, policy.Evaluate(Request("s3:ListBuckets", "arn:aws:s3:::b")));
        Assert.Equal(PolicyEffect.NotApplicable, policy.Evaluate(Request("s3:PutObject", "arn:aws:s3:::b/k")));
        Assert.Equal(PolicyEffect.NotApplicable, policy.Evaluate(Request("iam:GetUser", "*")));
        Assert.Equal(PolicyEffect.Allow, Identity("""{"Effect":"Allow","Action":"*","Resource":"*"}""").Evaluate(Request("iam:GetUser", "*")));
    }

    [Fact]
    public void ResourcesMatchCaseSensitivelyWithWildcards()
    {
        var policy = Identity("""{"Effect":"Allow","Action":"s3:*","Resource":["arn:aws:s3:::b/photos/*.jpg","arn:aws:s3:::b/doc?.txt"]}""");
        Assert.Equal(PolicyEffect.Allow, policy.Evaluate(Request("s3:GetObject", "arn:aws:s3:::b/photos/2024/cat.jpg")));
        Assert.Equal(PolicyEffect.NotApplicable, policy.Evaluate(Request("s3:GetObject", "arn:aws:s3:::b/Photos/cat.jpg")));
        Assert.Equal(PolicyEffect.NotApplicable, policy.Evaluate(Request("s3:GetObject", "arn:aws:s3:::b/photos/cat.JPG")));
        Assert.Equal(PolicyEffect.Allow, policy.Evaluate(Request("s3:GetObject", "arn:aws:s3:::b/doc1.txt")));
        Assert.Equal(PolicyEffect.NotApplicable, policy.Evaluate(Request("s3:GetObject", "arn:aws:s3:::b/doc12.txt")));
        Assert.Equal(PolicyEffect.NotApplicable, policy.Evaluate(Request("s3:GetObject", "arn:aws:s3:::b")));
    }

    [Fact]
    public void NotActionAndNotResourceMatchEverythingElse()
    {
        var policy = Identity("""
            {"Effect":"Allow","NotAction":"s3:Delete*","Resource":"*"},
            {"Effect":"Deny","Action":"s3:*","NotResource":["arn:aws:s3:::b","arn:aws:s3:::b/*"]}
            """);
        Assert.Equal(PolicyEffect.Allow, policy.Evaluate(Request("s3:PutObject", "arn:aws:s3:::b/k")));
        Assert.Equal(PolicyEffect.NotApplicable, policy.Evaluate(Request("s3:DeleteObject", "arn:aws:s3:::b/k")));
        Assert.Equal(PolicyEffect.Deny, policy.Evaluate(Request("s3:PutObject", "arn:aws:s3:::other/k")));
        Assert.Equal(PolicyEffect.Deny, policy.Evaluate(Request("s3:DeleteObject", "arn:aws:s3:::other/k")));
        Assert.Equal(PolicyEffect.Allow, policy.Evaluate(Request("iam:GetUser", "*")));
    }

    [Fact]
    public void NotPrincipalMatchesEveryoneNotListed()
    {
        var policy = BucketPolicy("""
            {"Effect":"Deny","NotPrincipal":{"AWS":["arn:aws:iam:::user/alice","arn:aws:iam:::root"]},"Action":"s3:*","Resource":"*"}
            """);
        Assert.Equal(PolicyEffect.NotApplicable, policy.Evaluate(Get("k", Alice)));
        Assert.Equal(PolicyEffect.NotApplicable, policy.Evaluate(Get("k", Root)));
        Assert.Equal(PolicyEffect.Deny, policy.Evaluate(Get("k", Bob)));
        Assert.Equal(PolicyEffect.Deny, policy.Evaluate(Get("k", Principal.Anonymous)));
    }

    [Fact]
    public void PrincipalsMatchByArnCanonicalIdOrWildcard()
    {
        PolicyEffect For(string principal, Principal who) =>
            BucketPolicy("""{"Effect":"Allow","Principal":""" + principal + ""","Action":"s3:GetObject","Resource":"*"}""").Evaluate(Get("k", who));

        Assert.Equal(PolicyEffect.Allow, For("""{"AWS":"arn:aws:iam:::user/alice"}""", Alice));
        Assert.Equal(PolicyEffect.NotApplicable, For("""{"AWS":"arn:aws:iam:::user/alice"}""", Bob));
        Assert.Equal(PolicyEffect.NotApplicable, For("""{"AWS":"arn:aws:iam:::user/Alice"}""", Alice));
        Assert.Equal(PolicyEffect.NotApplicable, For("""{"AWS":"arn:aws:iam:::user/alice"}""", Principal.Anonymous));
        Assert.Equal(PolicyEffect.Allow, For("""{"AWS":["arn:aws:iam:::user/x","arn:aws:iam:::user/bob"]}""", Bob));
        Assert.Equal(PolicyEffect.Allow, For("""{"AWS":"arn:aws:iam:::root"}""", Root));
        Assert.Equal(PolicyEffect.NotApplicable, For("""{"AWS":"arn:aws:iam:::root"}""", Alice));
        Assert.Equal(PolicyEffect.Allow, For("{\"AWS\":\"" + Alice.CanonicalId + "\"}", Alice));
        Assert.Equal(PolicyEffect.Allow, For("{\"CanonicalUser\":\"" + Bob.CanonicalId + "\"}", Bob));
        Assert.Equal(PolicyEffect.NotApplicable, For("{\"CanonicalUser\":\"" + Bob.CanonicalId + "\"}", Alice));
        Assert.Equal(PolicyEffect.NotApplicable, For("""{"CanonicalUser":"arn:aws:iam:::user/alice"}""", Alice));
        Assert.Equal(PolicyEffect.Allow, For("\"*\"", Principal.Anonymous));
        Assert.Equal(PolicyEffect.Allow, For("""{"AWS":"*"}""", Principal.Anonymous));
        Assert.Equal(PolicyEffect.Allow, For("""{"AWS":"*"}""", Alice));
        Assert.Equal(PolicyEffect.NotApplicable, For("""{"AWS":"arn:aws:iam:::user/*"}""", Alice));
    }

    [Fact]
    public void AnIdentityPolicyAppliesToWhoeverItIsAttachedTo()
    {
        var policy = Identity("""{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}""");
        Assert.Equal(PolicyEffect.Allow, policy.Evaluate(Get("k", Alice)));
        Assert.Equal(PolicyEffect.Allow, policy.Evaluate(Get("k", Bob)));
    }

    [Fact]
    public void ResourceVariablesAreSubstitutedLiterallyAndAnAbsentOneMatchesNothing()
    {
        var policy = Identity("""
            {"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/${aws:userid}/*"},
            {"Effect":"Deny","Action":"s3:GetObject","NotResource":"arn:aws:s3:::b/${aws:username}/*"}
            """);
        var star = new ConditionContext().Set("aws:userid", "*");
        Assert.Equal(PolicyEffect.Allow, policy.Evaluate(Get("k", Alice, star).WithResource("arn:aws:s3:::b/*/x")));
        Assert.Equal(PolicyEffect.NotApplicable, policy.Evaluate(Get("k", Alice, star).WithResource("arn:aws:s3:::b/AIDA/x")));
        // Neither key present: the Allow cannot match, and the Deny's NotResource is void rather than "matches nothing".
        Assert.Equal(PolicyEffect.NotApplicable, policy.Evaluate(Get("k", Alice).WithResource("arn:aws:s3:::b/AIDA/x")));
        var alice = new ConditionContext().Set("aws:username", "alice").Set("aws:userid", "AIDA");
        Assert.Equal(PolicyEffect.Deny, policy.Evaluate(Get("k", Alice, alice).WithResource("arn:aws:s3:::b/AIDA/x")));
        Assert.Equal(PolicyEffect.Allow, policy.Evaluate(Get("k", Alice, alice.Set("aws:username", "AIDA")).WithResource("arn:aws:s3:::b/AIDA/x")));
    }

    [Fact]
    public void EscapesDefaultsAndMultivaluedKeysInVariables()
    {
        var policy = Identity("""{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/${*}${?}${$}/${team, 'shared'}/*"}""");
        Assert.Equal(PolicyEffect.Allow, policy.Evaluate(Get("k").WithResource("arn:aws:s3:::b/*?$/shared/x")));
        Assert.Equal(PolicyEffect.NotApplicable, policy.Evaluate(Get("k").WithResource("arn:aws:s3:::b/ab$/shared/x")));
        Assert.Equal(PolicyEffect.Allow, policy.Evaluate(Get("k", Alice, new ConditionContext().Set("team", "red")).WithResource("arn:aws:s3:::b/*?$/red/x")));
        // A key with several values cannot be substituted: the default applies.
        var teams = new ConditionContext().Set("team", ["red", "blue"]);
        Assert.Equal(PolicyEffect.Allow, policy.Evaluate(Get("k", Alice, teams).WithResource("arn:aws:s3:::b/*?$/shared/x")));
    }

    [Fact]
    public void Version2008PoliciesReadVariablesLiterally()
    {
        var old = PolicyDocument.Parse("""{"Version":"2008-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/${aws:username}/*"}}""", PolicyKind.Identity);
        var alice = new ConditionContext().Set("aws:username", "alice");
        Assert.Equal(PolicyEffect.NotApplicable, old.Evaluate(Get("k", Alice, alice).WithResource("arn:aws:s3:::b/alice/x")));
        Assert.Equal(PolicyEffect.Allow, old.Evaluate(Get("k", Alice, alice).WithResource("arn:aws:s3:::b/${aws:username}/x")));
        var unversioned = PolicyDocument.Parse("""{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/${aws:username}/*"}}""", PolicyKind.Identity);
        Assert.Equal(PolicyEffect.NotApplicable, unversioned.Evaluate(Get("k", Alice, alice).WithResource("arn:aws:s3:::b/alice/x")));
    }

    [Fact]
    public void EvaluatingATwentyStatementPolicyAllocatesNothing()
    {
        var statements = new List<string>();
        for (int i = 0; i < 20; i++)
        {
            statements.Add(i switch
            {
                0 => """{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*","Condition":{"NotIpAddress":{"aws:SourceIp":["10.0.0.0/8","2001:db8::/32"]}}}""",
                1 => """{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}""",
                2 => """{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*","Condition":{"DateGreaterThan":{"aws:CurrentTime":"2099-01-01T00:00:00Z"}}}""",
                3 => """{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam:::user/alice"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/home/${aws:username}/*","Condition":{"StringLike":{"s3:prefix":"home/${aws:username}/*"}}}""",
                _ => "{\"Sid\":\"S" + i + "\",\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"arn:aws:iam:::user/u" + i
                    + "\"},\"Action\":[\"s3:Get*\",\"s3:List*\"],\"Resource\":\"arn:aws:s3:::b" + i
                    + "/*\",\"Condition\":{\"NumericLessThan\":{\"s3:max-keys\":100}}}",
            });
        }
        var policy = BucketPolicy(string.Join(",", statements));
        var request = Get("k", Alice, new ConditionContext()
            .Set("aws:SourceIp", "10.1.2.3").Set("aws:SecureTransport", "true").Set("aws:CurrentTime", "2025-06-01T12:00:00Z")
            .Set("aws:username", "alice").Set("s3:prefix", "home/alice/x").Set("s3:max-keys", "10"))
            .WithResource("arn:aws:s3:::b/home/alice/x");
        Assert.Equal(PolicyEffect.Allow, policy.Evaluate(request));
        var v6 = request with { Conditions = new ConditionContext().Set("aws:SourceIp", "2001:db8::7").Set("aws:SecureTransport", "true") };
        Assert.Equal(PolicyEffect.NotApplicable, policy.Evaluate(v6));

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
        {
            policy.Evaluate(request);
            policy.Evaluate(v6);
        }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}

internal static class AccessRequestExtensions
{
    public static AccessRequest WithResource(this AccessRequest request, string resource) => request with { Resource = resource };
}
