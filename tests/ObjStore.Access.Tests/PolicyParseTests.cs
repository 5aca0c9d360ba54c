using ObjStore.Access.Policies;
using static ObjStore.Access.Tests.PolicyTestKit;

namespace ObjStore.Access.Tests;

public class PolicyParseTests
{
    private const string Statement = """{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}""";

    [Fact]
    public void TheDocumentTextIsKeptAsWritten()
    {
        string json = """{ "Version": "2012-10-17", "Id": "p1", "Statement": """ + Statement + " }";
        Assert.Equal(json, PolicyDocument.Parse(json, PolicyKind.Resource).Text);
    }

    [Theory]
    [InlineData("""{"Statement":STATEMENT}""")]
    [InlineData("""{"Version":"2008-10-17","Statement":STATEMENT}""")]
    [InlineData("""{"Version":"2012-10-17","Id":"x","Statement":[STATEMENT]}""")]
    [InlineData("""  {"Statement":[STATEMENT,STATEMENT]}""")]
    public void ValidShapesParse(string template) =>
        Assert.Equal(PolicyEffect.Allow,
            PolicyDocument.Parse(template.Replace("STATEMENT", Statement, StringComparison.Ordinal), PolicyKind.Resource)
                .Evaluate(Request("s3:GetObject", "arn:aws:s3:::b/k")));

    [Theory]
    [InlineData("", "Policies must be valid JSON and the first byte must be '{'")]
    [InlineData("[]", "Policies must be valid JSON and the first byte must be '{'")]
    [InlineData("\"x\"", "Policies must be valid JSON and the first byte must be '{'")]
    [InlineData("{", "Policies must be valid JSON and the first byte must be '{'")]
    [InlineData("""{"Statement":[],}""", "Policies must be valid JSON and the first byte must be '{'")]
    [InlineData("""{"Statement":STATEMENT} // comment""", "Policies must be valid JSON and the first byte must be '{'")]
    [InlineData("""{"Statement":STATEMENT,"Statement":STATEMENT}""", "Policies must be valid JSON and the first byte must be '{'")]
    [InlineData("""{"Version":"2012-10-18","Statement":STATEMENT}""", "The policy must contain a valid version string")]
    [InlineData("""{"Version":20121017,"Statement":STATEMENT}""", "The policy must contain a valid version string")]
    [InlineData("""{"Version":"2012-10-17"}""", "Missing required field Statement")]
    [InlineData("""{"Statement":[]}""", "Missing required field Statement")]
    [InlineData("""{"Statement":"Allow"}""", "Statement must be an object or an array of objects")]
    [InlineData("""{"Statement":[STATEMENT,"x"]}""", "Statement must be an object or an array of objects")]
    [InlineData("""{"Id":7,"Statement":STATEMENT}""", "Policy Id must be a string")]
    [InlineData("""{"Statement":STATEMENT,"Extra":1}""", "Unknown field Extra")]
    [InlineData("""{"statement":STATEMENT}""", "Unknown field statement")]
    [InlineData("""{"Statement":{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*","Actions":"s3:*"}}""", "Unknown field Actions")]
    [InlineData("""{"Statement":{"Principal":"*","Action":"s3:*","Resource":"*"}}""", "Missing required field Effect")]
    [InlineData("""{"Statement":{"Effect":"allow","Principal":"*","Action":"s3:*","Resource":"*"}}""", "Invalid effect: allow")]
    [InlineData("""{"Statement":{"Effect":"Permit","Principal":"*","Action":"s3:*","Resource":"*"}}""", "Invalid effect: Permit")]
    [InlineData("""{"Statement":{"Effect":true,"Principal":"*","Action":"s3:*","Resource":"*"}}""", "Invalid effect: true")]
    [InlineData("""{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}""", "Missing required field Principal")]
    [InlineData("""{"Statement":{"Effect":"Allow","Principal":"*","Resource":"*"}}""", "Missing required field Action")]
    [InlineData("""{"Statement":{"Effect":"Allow","Principal":"*","Action":"s3:*"}}""", "Missing required field Resource")]
    [InlineData("""{"Statement":{"Effect":"Allow","Principal":"*","Action":"GetObject","Resource":"*"}}""", "Policy has invalid action")]
    [InlineData("""{"Statement":{"Effect":"Allow","Principal":"*","Action":"s3:","Resource":"*"}}""", "Policy has invalid action")]
    [InlineData("""{"Statement":{"Effect":"Allow","Principal":"*","Action":":Get","Resource":"*"}}""", "Policy has invalid action")]
    [InlineData("""{"Statement":{"Effect":"Allow","Principal":"*","Action":"s3:Get Object","Resource":"*"}}""", "Policy has invalid action")]
    [InlineData("""{"Statement":{"Effect":"Allow","Principal":"*","Action":[],"Resource":"*"}}""", "Policy has invalid action")]
    [InlineData("""{"Statement":{"Effect":"Allow","Principal":"*","Action":["s3:GetObject",3],"Resource":"*"}}""", "Policy has invalid action")]
    [InlineData("""{"Statement":{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"b/*"}}""", "Policy has invalid resource")]
    [InlineData("""{"Statement":{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3"}}""", "Policy has invalid resource")]
    [InlineData("""{"Statement":{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":""}}""", "Policy has invalid resource")]
    [InlineData("""{"Statement":{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":{"arn":"x"}}}""", "Policy has invalid resource")]
    [InlineData("""{"Statement":{"Effect":"Allow","Principal":"alice","Action":"s3:*","Resource":"*"}}""", "Invalid principal in policy")]
    [InlineData("""{"Statement":{"Effect":"Allow","Principal":{},"Action":"s3:*","Resource":"*"}}""", "Invalid principal in policy")]
    [InlineData("""{"Statement":{"Effect":"Allow","Principal":{"User":"alice"},"Action":"s3:*","Resource":"*"}}""", "Invalid principal in policy")]
    [InlineData("""{"Statement":{"Effect":"Allow","Principal":{"AWS":""},"Action":"s3:*","Resource":"*"}}""", "Invalid principal in policy")]
    [InlineData("""{"Statement":{"Effect":"Allow","Principal":{"AWS":[]},"Action":"s3:*","Resource":"*"}}""", "Invalid principal in policy")]
    [InlineData("""{"Statement":{"Effect":"Allow","Principal":{"AWS":42},"Action":"s3:*","Resource":"*"}}""", "Invalid principal in policy")]
    [InlineData("""{"Statement":{"Effect":"Allow","Principal":["*"],"Action":"s3:*","Resource":"*"}}""", "Invalid principal in policy")]
    [InlineData("""{"Statement":{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*","Condition":"x"}}""", "Invalid Condition")]
    [InlineData("""{"Statement":{"Effect":"Allow","Principal":"*","NotPrincipal":"*","Action":"s3:*","Resource":"*"}}""", "Statement must not contain both Principal and NotPrincipal")]
    [InlineData("""{"Statement":{"Effect":"Allow","Principal":"*","Action":"s3:*","NotAction":"s3:Get*","Resource":"*"}}""", "Statement must not contain both Action and NotAction")]
    [InlineData("""{"Statement":{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*","NotResource":"*"}}""", "Statement must not contain both Resource and NotResource")]
    [InlineData("""{"Statement":{"Sid":1,"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}}""", "Statement ID (SID) must be a string")]
    [InlineData("""{"Statement":[{"Sid":"a","Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"},{"Sid":"a","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*"}]}""", "Statement IDs (SID) in a single policy must be unique")]
    public void MalformedBucketPoliciesSayWhy(string template, string message) =>
        Assert.Equal(message, Malformed(template.Replace("STATEMENT", Statement, StringComparison.Ordinal)));

    [Fact]
    public void StatementsWithoutSidsOrWithDistinctOnesAreFine()
    {
        const string noSid = """{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}""";
        BucketPolicy(noSid + "," + noSid);
        BucketPolicy("""{"Sid":"A","Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"},{"Sid":"a","Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}""");
    }

    [Theory]
    [InlineData("Principal")]
    [InlineData("NotPrincipal")]
    public void AnIdentityPolicyMustNotNameAPrincipal(string element) =>
        Assert.Equal("Policy document should not specify a principal.", Malformed(
            """{"Statement":{"Effect":"Allow",""" + "\"" + element + "\"" + """:{"AWS":"arn:aws:iam:::user/alice"},"Action":"s3:*","Resource":"*"}}""",
            PolicyKind.Identity));

    [Fact]
    public void OtherPrincipalTypesParseButNeverMatch()
    {
        var policy = BucketPolicy("""{"Effect":"Allow","Principal":{"Service":"logging.s3.amazonaws.com","Federated":["cognito-identity.amazonaws.com"]},"Action":"s3:PutObject","Resource":"*"}""");
        Assert.Equal(PolicyEffect.NotApplicable, policy.Evaluate(Request("s3:PutObject", "arn:aws:s3:::b/k", Alice)));
        Assert.Equal(PolicyEffect.NotApplicable, policy.Evaluate(Request("s3:PutObject", "arn:aws:s3:::b/k", Principal.Anonymous)));
        Assert.False(policy.IsPublic);
    }

    [Fact]
    public void TruncatedPoliciesAreMalformedNeverAnotherException()
    {
        string json = """
            {"Version":"2012-10-17","Id":"x","Statement":[{"Sid":"1","Effect":"Deny","Principal":{"AWS":["*"],"CanonicalUser":"abc"},
            "NotAction":["s3:Get*","s3:List?ucket"],"NotResource":"arn:aws:s3:::b/${aws:username}/*",
            "Condition":{"IpAddress":{"aws:SourceIp":["192.0.2.0/24","2001:db8::/32"]},"Null":{"k":"true"},
            "ForAllValues:StringLikeIfExists":{"aws:TagKeys":["a*",1,true]},"DateLessThan":{"aws:CurrentTime":"2030-01-01T00:00:00Z"}}}]}
            """;
        PolicyDocument.Parse(json, PolicyKind.Resource);
        for (int length = 0; length < json.TrimEnd().Length - 1; length++)
        {
            Assert.Throws<MalformedPolicyException>(() => PolicyDocument.Parse(json[..length], PolicyKind.Resource));
        }
    }

    [Fact]
    public void ValuesOfTheWrongTypeAnywhereAreMalformedNeverAnotherException()
    {
        string[] elements = ["Version", "Id", "Statement", "Sid", "Effect", "Principal", "Action", "Resource", "Condition"];
        string[] junk = ["null", "1", "true", "[]", "{}", "[null]", "[[]]", "{\"a\":null}", "\"\"", "\"\\ud800\""];
        foreach (string element in elements)
        {
            foreach (string value in junk)
            {
                var statement = new Dictionary<string, string>
                {
                    ["Sid"] = "\"s\"", ["Effect"] = "\"Allow\"", ["Principal"] = "\"*\"", ["Action"] = "\"s3:*\"", ["Resource"] = "\"*\"",
                };
                var top = new Dictionary<string, string> { ["Version"] = "\"2012-10-17\"", ["Id"] = "\"i\"" };
                (statement.ContainsKey(element) || element == "Condition" ? statement : top)[element] = value;
                top["Statement"] = element == "Statement" ? value : "{" + Join(statement) + "}";
                string json = "{" + Join(top) + "}";
                var error = Record.Exception(() => PolicyDocument.Parse(json, PolicyKind.Resource));
                Assert.True(error is null or MalformedPolicyException, json + " threw " + error);
            }
        }

        static string Join(Dictionary<string, string> fields) =>
            string.Join(",", fields.Select(f => "\"" + f.Key + "\":" + f.Value));
    }

    [Fact]
    public void RandomlyCorruptedPoliciesAreMalformedNeverAnotherException()
    {
        string json = """
            {"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam:::user/a"},"Action":"s3:*",
            "Resource":"arn:aws:s3:::b/*","Condition":{"NumericLessThan":{"s3:max-keys":"10"},"BinaryEquals":{"k":"QQ=="},
            "StringEquals":{"s3:prefix":"${aws:username, 'x'}"}}}]}
            """;
        var random = new Random(1234);
        const string alphabet = "{}[]\":,\\ 0aZ*?$/-.";
        for (int round = 0; round < 3000; round++)
        {
            char[] chars = json.ToCharArray();
            for (int edits = random.Next(1, 4); edits > 0; edits--)
            {
                chars[random.Next(chars.Length)] = alphabet[random.Next(alphabet.Length)];
            }
            string corrupted = new(chars);
            var error = Record.Exception(() => PolicyDocument.Parse(corrupted, PolicyKind.Resource));
            Assert.True(error is null or MalformedPolicyException, corrupted + " threw " + error);
        }
    }

    [Fact]
    public void HugeNestingIsMalformed()
    {
        string deep = new string('[', 100_000) + new string(']', 100_000);
        Assert.Equal("Policies must be valid JSON and the first byte must be '{'", Malformed("{\"Statement\":" + deep + "}"));
        string deepCondition = """{"Statement":{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*","Condition":"""
            + string.Concat(Enumerable.Repeat("{\"a\":", 5000)) + "1" + new string('}', 5000) + "}}";
        Malformed(deepCondition);
    }
}
