using System.Text;
using ObjStore.S3.Auth;
using ObjStore.S3.Post;

namespace ObjStore.S3.Tests;

/// <summary>POST policies: AWS's published SigV4 example, each condition kind, uncovered fields, expiry, bad documents.</summary>
public class PostPolicyTests
{
    // "Example: Browser-Based Upload using HTTP POST (Using AWS Signature Version 4)": the policy (with CRLF line ends)
    // as AWS prints it base64-encoded, and the signature AWS gives for it with its example credentials.
    private const string ExamplePolicy =
        "eyAiZXhwaXJhdGlvbiI6ICIyMDE1LTEyLTMwVDEyOjAwOjAwLjAwMFoiLA0KICAiY29uZGl0aW9ucyI6IFsNCiAgICB7ImJ1Y2tldCI6ICJzaWd2NGV4YW1wbGVidWNrZXQifSwNCiAgICBbInN0YXJ0cy13aXRoIiwgIiRrZXkiLCAidXNlci91c2VyMS8iXSwNCiAgICB7ImFjbCI6ICJwdWJsaWMtcmVhZCJ9LA0KICAgIHsic3VjY2Vzc19hY3Rpb25fcmVkaXJlY3QiOiAiaHR0cDovL3NpZ3Y0ZXhhbXBsZWJ1Y2tldC5zMy5hbWF6b25hd3MuY29tL3N1Y2Nlc3NmdWxfdXBsb2FkLmh0bWwifSwNCiAgICBbInN0YXJ0cy13aXRoIiwgIiRDb250ZW50LVR5cGUiLCAiaW1hZ2UvIl0sDQogICAgeyJ4LWFtei1tZXRhLXV1aWQiOiAiMTQzNjUxMjM2NTEyNzQifSwNCiAgICB7IngtYW16LXNlcnZlci1zaWRlLWVuY3J5cHRpb24iOiAiQUVTMjU2In0sDQogICAgWyJzdGFydHMtd2l0aCIsICIkeC1hbXotbWV0YS10YWciLCAiIl0sDQoNCiAgICB7IngtYW16LWNyZWRlbnRpYWwiOiAiQUtJQUlPU0ZPRE5ON0VYQU1QTEUvMjAxNTEyMjkvdXMtZWFzdC0xL3MzL2F3czRfcmVxdWVzdCJ9LA0KICAgIHsieC1hbXotYWxnb3JpdGhtIjogIkFXUzQtSE1BQy1TSEEyNTYifSwNCiAgICB7IngtYW16LWRhdGUiOiAiMjAxNTEyMjlUMDAwMDAwWiIgfQ0KICBdDQp9";
    private const string ExampleSignature = "8afdbf4008c03f22c2cd3cdb72e4afbb1f6a588f3255ac628749a66d7f09699e";
    private const string AccessKey = "AKIAIOSFODNN7EXAMPLE";
    private const string Secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    private const string Credential = "AKIAIOSFODNN7EXAMPLE/20151229/us-east-1/s3/aws4_request";
    private static readonly DateTimeOffset SignedAt = new(2015, 12, 29, 0, 0, 0, TimeSpan.Zero);

    private static Authenticator Verifier() => new(new StaticCredentials(new Dictionary<string, string> { [AccessKey] = Secret }), TimeProvider.System);

    /// <summary>The example form's fields, as AWS's example HTML names them (mixed case).</summary>
    private static PostFields ExampleForm(string key = "user/user1/photo.jpg")
    {
        var fields = new PostFields();
        fields.Add("key", key);
        fields.Add("acl", "public-read");
        fields.Add("success_action_redirect", "http://sigv4examplebucket.s3.amazonaws.com/successful_upload.html");
        fields.Add("Content-Type", "image/jpeg");
        fields.Add("x-amz-meta-uuid", "14365123651274");
        fields.Add("x-amz-server-side-encryption", "AES256");
        fields.Add("X-Amz-Credential", Credential);
        fields.Add("X-Amz-Algorithm", "AWS4-HMAC-SHA256");
        fields.Add("X-Amz-Date", "20151229T000000Z");
        fields.Add("x-amz-meta-tag", "");
        fields.Add("Policy", ExamplePolicy);
        fields.Add("X-Amz-Signature", ExampleSignature);
        return fields;
    }

    private static string Encode(string json) => Convert.ToBase64String(Encoding.UTF8.GetBytes(json));

    private static PostPolicy Policy(string conditions, string expiration = "2030-01-01T00:00:00.000Z") =>
        PostPolicy.Parse(Encode($"{{\"expiration\": \"{expiration}\", \"conditions\": [{conditions}]}}"));

    private static PostFields Form(params (string Name, string Value)[] fields)
    {
        var form = new PostFields();
        foreach (var (name, value) in fields)
        {
            form.Add(name, value);
        }
        return form;
    }

    private static S3Exception Fails(Action check) => Assert.Throws<S3Exception>(check);

    [Fact]
    public void AwsExampleSignatureVerifies()
    {
        var auth = Verifier().AuthenticatePostPolicy(Credential, "20151229T000000Z", ExamplePolicy, ExampleSignature);
        Assert.Equal(AccessKey, auth.AccessKey);
        Assert.Equal(AuthType.PostPolicy, auth.Type);
    }

    [Fact]
    public void AwsExampleWithAnotherPolicyOrSignatureDoesNotVerify()
    {
        var tampered = Fails(() => Verifier().AuthenticatePostPolicy(Credential, "20151229T000000Z", ExamplePolicy[..^2], ExampleSignature));
        Assert.Equal("SignatureDoesNotMatch", tampered.Error.Code);
        var wrong = Fails(() => Verifier().AuthenticatePostPolicy(Credential, "20151229T000000Z", ExamplePolicy, ExampleSignature.Replace('8', '9')));
        Assert.Equal("SignatureDoesNotMatch", wrong.Error.Code);
    }

    [Fact]
    public void AwsExamplePolicyParsesAndItsFormMeetsIt()
    {
        var policy = PostPolicy.Parse(ExamplePolicy);
        Assert.Equal(new DateTimeOffset(2015, 12, 30, 12, 0, 0, TimeSpan.Zero), policy.Expiration);
        Assert.Equal(11, policy.Conditions.Count);
        Assert.Null(policy.LengthRange);
        policy.Check(ExampleForm(), "sigv4examplebucket", SignedAt);
    }

    [Fact]
    public void AwsExamplePolicyRefusesAKeyOutsideItsPrefixAndAnotherBucket()
    {
        var policy = PostPolicy.Parse(ExamplePolicy);
        var key = Fails(() => policy.Check(ExampleForm("user/user2/photo.jpg"), "sigv4examplebucket", SignedAt));
        Assert.Equal(("AccessDenied", 403), (key.Error.Code, key.Error.Status));
        Assert.Equal("Invalid according to Policy: Policy Condition failed: [\"starts-with\", \"$key\", \"user/user1/\"]", key.Message);
        var bucket = Fails(() => policy.Check(ExampleForm(), "otherbucket", SignedAt));
        Assert.Equal("Invalid according to Policy: Policy Condition failed: [\"eq\", \"$bucket\", \"sigv4examplebucket\"]", bucket.Message);
    }

    [Fact]
    public void PolicyExpiresAtItsExpiration()
    {
        var policy = PostPolicy.Parse(ExamplePolicy);
        policy.Check(ExampleForm(), "sigv4examplebucket", new DateTimeOffset(2015, 12, 30, 12, 0, 0, TimeSpan.Zero));
        var expired = Fails(() => policy.Check(ExampleForm(), "sigv4examplebucket", new DateTimeOffset(2015, 12, 30, 12, 0, 1, TimeSpan.Zero)));
        Assert.Equal(("AccessDenied", "Invalid according to Policy: Policy expired."), (expired.Error.Code, expired.Message));
    }

    [Fact]
    public void ExactMatchBothSpellings()
    {
        var simple = Policy("{\"key\": \"a.txt\"}");
        var array = Policy("[\"eq\", \"$key\", \"a.txt\"]");
        simple.Check(Form(("key", "a.txt")), "b", SignedAt);
        array.Check(Form(("KEY", "a.txt")), "b", SignedAt);
        Assert.Equal("Invalid according to Policy: Policy Condition failed: [\"eq\", \"$key\", \"a.txt\"]",
            Fails(() => simple.Check(Form(("key", "b.txt")), "b", SignedAt)).Message);
        Assert.Equal("Invalid according to Policy: Policy Condition failed: [\"eq\", \"$key\", \"a.txt\"]",
            Fails(() => array.Check(Form(("key", "A.TXT")), "b", SignedAt)).Message); // values are case-sensitive
    }

    [Fact]
    public void StartsWithAndItsEmptyPrefix()
    {
        var prefix = Policy("[\"StArTs-WiTh\", \"$Key\", \"user/\"], [\"starts-with\", \"$x-amz-meta-tag\", \"\"]");
        prefix.Check(Form(("key", "user/a"), ("x-amz-meta-tag", "anything at all")), "b", SignedAt);
        prefix.Check(Form(("key", "user/"), ("X-Amz-Meta-Tag", "")), "b", SignedAt);
        Assert.Contains("[\"StArTs-WiTh\", \"$Key\", \"user/\"]", Fails(() => prefix.Check(Form(("key", "other/a"), ("x-amz-meta-tag", "")), "b", SignedAt)).Message);
        // A condition on a field the form lacks fails even with an empty prefix.
        Assert.Contains("x-amz-meta-tag", Fails(() => prefix.Check(Form(("key", "user/a")), "b", SignedAt)).Message);
    }

    [Fact]
    public void ContentTypeStartsWithCoversEachOfAList()
    {
        var policy = Policy("[\"starts-with\", \"$Content-Type\", \"image/\"]");
        policy.Check(Form(("Content-Type", "image/png, image/jpeg")), "b", SignedAt);
        Fails(() => policy.Check(Form(("Content-Type", "image/png, text/plain")), "b", SignedAt));
    }

    [Fact]
    public void ConditionWithoutDollarNeverMatches()
    {
        var policy = Policy("[\"eq\", \"key\", \"a\"]");
        Assert.Equal("Invalid according to Policy: Policy Condition failed: [\"eq\", \"key\", \"a\"]", Fails(() => policy.Check(Form(("key", "a")), "b", SignedAt)).Message);
    }

    [Fact]
    public void ContentLengthRangeBoundsAreNumbersOrNumericStrings()
    {
        Assert.Equal((5L, 10L), Policy("[\"content-length-range\", 5, 10]").LengthRange);
        Assert.Equal((5L, 10L), Policy("[\"content-length-range\", \"5\", \"10\"]").LengthRange);
        var words = Policy("[\"content-length-range\", \"test\", \"10\"]");
        Assert.Null(words.LengthRange);
        var failed = Fails(() => words.Check(Form(), "b", SignedAt));
        Assert.Equal(("AccessDenied", "Invalid according to Policy: Policy Condition failed: [\"content-length-range\", \"test\", \"10\"]"), (failed.Error.Code, failed.Message));
    }

    [Fact]
    public void EveryFieldButTheExemptOnesMustBeCovered()
    {
        var policy = Policy("{\"key\": \"a\"}");
        policy.Check(Form(("key", "a"), ("policy", "p"), ("X-Amz-Signature", "s"), ("file", "f"), ("x-ignore-submit", "go")), "b", SignedAt);
        var extra = Fails(() => policy.Check(Form(("key", "a"), ("x-amz-meta-Colour", "blue"), ("acl", "private")), "b", SignedAt));
        Assert.Equal(("AccessDenied", "Invalid according to Policy: Extra input fields: x-amz-meta-Colour, acl"), (extra.Error.Code, extra.Message));
    }

    [Fact]
    public void UndecodablePolicyIsInvalidPolicyDocument()
    {
        var e = Fails(() => PostPolicy.Parse("not base64 at all!"));
        Assert.Equal(("InvalidPolicyDocument", 400, "Invalid Policy: invalid Base64 encoding."), (e.Error.Code, e.Error.Status, e.Message));
    }

    [Theory]
    [InlineData("{\"expiration\": \"2030-01-01T00:00:00Z\", \"conditions\": [", "Invalid Policy: Invalid JSON.")]
    [InlineData("[]", "Invalid Policy: Invalid JSON.")]
    [InlineData("{}", "Invalid Policy: Policy missing expiration.")]
    [InlineData("{\"conditions\": []}", "Invalid Policy: Policy missing expiration.")]
    [InlineData("{\"expiration\": \"2030-01-01T00:00:00Z\"}", "Invalid Policy: Policy missing conditions.")]
    [InlineData("{\"EXPIRATION\": \"2030-01-01T00:00:00Z\", \"conditions\": []}", "Invalid Policy: Unexpected: 'expiration'")]
    [InlineData("{\"expiration\": \"2030-01-01T00:00:00Z\", \"conditions\": {}}", "Invalid Policy: Invalid 'conditions' value: must be a List.")]
    [InlineData("{\"expiration\": \"2030-01-01T02:00:00+02:00\", \"conditions\": []}", "Invalid Policy: Invalid 'expiration' value: '2030-01-01T02:00:00+02:00'")]
    [InlineData("{\"expiration\": \"2030-01-01 00:00:00 UTC\", \"conditions\": []}", "Invalid Policy: Invalid 'expiration' value: '2030-01-01 00:00:00 UTC'")]
    [InlineData("{\"expiration\": \"2030-01-01T00:00:00Z\", \"conditions\": [{}]}", "Invalid Policy: Invalid Simple-Condition: Simple-Conditions must have exactly one property specified.")]
    [InlineData("{\"expiration\": \"2030-01-01T00:00:00Z\", \"conditions\": [{\"bucket\": \"b\", \"key\": \"k\"}]}", "Invalid Policy: Invalid Simple-Condition: Simple-Conditions must have exactly one property specified.")]
    [InlineData("{\"expiration\": \"2030-01-01T00:00:00Z\", \"conditions\": [{\"Content-Length\": 6199034}]}", "Invalid Policy: Invalid Simple-Condition: value must be a string.")]
    [InlineData("{\"expiration\": \"2030-01-01T00:00:00Z\", \"conditions\": [[\"content-length-range\", 0, 512.0]]}", "Invalid Policy: Invalid JSON.")]
    [InlineData("{\"expiration\": \"2030-01-01T00:00:00Z\", \"conditions\": [[\"content-length-range\", 0]]}", "Invalid Policy: Invalid content-length-range: wrong number of arguments.")]
    [InlineData("{\"expiration\": \"2030-01-01T00:00:00Z\", \"conditions\": [[\"content-length-range\", -1, 0]]}", "Invalid Policy: Invalid content-length-range: the bounds must not be negative.")]
    [InlineData("{\"expiration\": \"2030-01-01T00:00:00Z\", \"conditions\": [[]]}", "Invalid Policy: Invalid Condition: missing operation identifier.")]
    [InlineData("{\"expiration\": \"2030-01-01T00:00:00Z\", \"conditions\": [[\"ends-with\", \"$key\", \"x\"]]}", "Invalid Policy: Invalid Condition: unknown operation 'ends-with'.")]
    [InlineData("{\"expiration\": \"2030-01-01T00:00:00Z\", \"conditions\": [\"key\"]}", "Invalid Policy: Invalid condition test: must be a List or Object.")]
    public void MalformedPolicyIsInvalidPolicyDocument(string json, string message)
    {
        var e = Fails(() => PostPolicy.Parse(Encode(json)));
        Assert.Equal(("InvalidPolicyDocument", 400, message), (e.Error.Code, e.Error.Status, e.Message));
    }

    [Fact]
    public void ExpirationWithoutFractionAndTrailingCommaParse()
    {
        var policy = PostPolicy.Parse(Encode("{ \"expiration\": \"2007-12-01T12:00:00Z\", \"conditions\": [ {\"acl\": \"public-read\" }, ] }"));
        Assert.Equal(new DateTimeOffset(2007, 12, 1, 12, 0, 0, TimeSpan.Zero), policy.Expiration);
        Assert.Single(policy.Conditions);
    }
}
