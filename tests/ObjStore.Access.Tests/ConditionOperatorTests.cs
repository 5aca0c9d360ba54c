using ObjStore.Access.Policies;
using static ObjStore.Access.Tests.PolicyTestKit;

namespace ObjStore.Access.Tests;

public class ConditionOperatorTests
{
    private static ConditionContext With(string key, params string[] values) => new ConditionContext().Set(key, values);

    [Theory]
    [InlineData("""{"StringEquals":{"s3:prefix":"home/"}}""", "home/", true)]
    [InlineData("""{"StringEquals":{"s3:prefix":"home/"}}""", "Home/", false)]
    [InlineData("""{"StringEquals":{"s3:prefix":"home/*"}}""", "home/x", false)]
    [InlineData("""{"StringEquals":{"s3:prefix":"home/*"}}""", "home/*", true)]
    [InlineData("""{"StringEquals":{"s3:prefix":["a","b"]}}""", "b", true)]
    [InlineData("""{"StringNotEquals":{"s3:prefix":["a","b"]}}""", "b", false)]
    [InlineData("""{"StringNotEquals":{"s3:prefix":["a","b"]}}""", "c", true)]
    [InlineData("""{"StringEqualsIgnoreCase":{"s3:prefix":"HOME/"}}""", "home/", true)]
    [InlineData("""{"StringEqualsIgnoreCase":{"s3:prefix":"HOME/"}}""", "homes/", false)]
    [InlineData("""{"StringNotEqualsIgnoreCase":{"s3:prefix":"HOME/"}}""", "home/", false)]
    [InlineData("""{"StringNotEqualsIgnoreCase":{"s3:prefix":"HOME/"}}""", "away/", true)]
    [InlineData("""{"StringLike":{"s3:prefix":"home/*"}}""", "home/alice/x", true)]
    [InlineData("""{"StringLike":{"s3:prefix":"home/*"}}""", "HOME/alice", false)]
    [InlineData("""{"StringLike":{"s3:prefix":"h?me/"}}""", "hxme/", true)]
    [InlineData("""{"StringLike":{"s3:prefix":"h?me/"}}""", "hxxme/", false)]
    [InlineData("""{"StringLike":{"s3:prefix":"*.jpg"}}""", "a/b.jpg", true)]
    [InlineData("""{"StringLike":{"s3:prefix":"*.jpg"}}""", "a/b.jpeg", false)]
    [InlineData("""{"StringNotLike":{"s3:prefix":["*.jpg","*.png"]}}""", "a.png", false)]
    [InlineData("""{"StringNotLike":{"s3:prefix":["*.jpg","*.png"]}}""", "a.gif", true)]
    public void StringOperators(string condition, string value, bool expected) =>
        Assert.Equal(expected, Holds(condition, With("s3:prefix", value)));

    [Fact]
    public void ConditionKeyNamesAreCaseInsensitiveValuesAreNot()
    {
        Assert.True(Holds("""{"StringEquals":{"S3:Prefix":"home/"}}""", With("s3:prefix", "home/")));
        Assert.False(Holds("""{"StringEquals":{"S3:Prefix":"HOME/"}}""", With("s3:prefix", "home/")));
    }

    [Theory]
    [InlineData("NumericEquals", "10", "10", true)]
    [InlineData("NumericEquals", "10", "10.0", true)]
    [InlineData("NumericEquals", "10", "11", false)]
    [InlineData("NumericNotEquals", "10", "11", true)]
    [InlineData("NumericNotEquals", "10", "10", false)]
    [InlineData("NumericLessThan", "10", "9", true)]
    [InlineData("NumericLessThan", "10", "10", false)]
    [InlineData("NumericLessThanEquals", "10", "10", true)]
    [InlineData("NumericLessThanEquals", "10", "10.5", false)]
    [InlineData("NumericGreaterThan", "10", "11", true)]
    [InlineData("NumericGreaterThan", "10", "10", false)]
    [InlineData("NumericGreaterThanEquals", "10", "10", true)]
    [InlineData("NumericGreaterThanEquals", "10", "-3", false)]
    [InlineData("NumericEquals", "10", "ten", false)]
    public void NumericOperators(string op, string policyValue, string requestValue, bool expected) =>
        Assert.Equal(expected, Holds($$$"""{"{{{op}}}":{"s3:max-keys":"{{{policyValue}}}"}}""", With("s3:max-keys", requestValue)));

    [Fact]
    public void NumbersAndBooleansMayBeWrittenUnquoted()
    {
        Assert.True(Holds("""{"NumericLessThanEquals":{"s3:max-keys":10}}""", With("s3:max-keys", "10")));
        Assert.True(Holds("""{"Bool":{"aws:SecureTransport":true}}""", With("aws:SecureTransport", "true")));
        Assert.False(Holds("""{"Bool":{"aws:SecureTransport":true}}""", With("aws:SecureTransport", "false")));
    }

    [Theory]
    [InlineData("DateGreaterThan", "2020-01-01T00:00:00Z", "2020-06-01T12:00:00Z", true)]
    [InlineData("DateGreaterThan", "2020-01-01T00:00:00Z", "2019-12-31T23:59:59Z", false)]
    [InlineData("DateLessThan", "2020-01-01T00:00:00Z", "2019-12-31T23:59:59Z", true)]
    [InlineData("DateLessThan", "2020-01-01T00:00:00Z", "2020-01-01T00:00:00Z", false)]
    [InlineData("DateLessThanEquals", "2020-01-01T00:00:00Z", "2020-01-01T00:00:00Z", true)]
    [InlineData("DateGreaterThanEquals", "2020-01-01", "2020-01-01T00:00:00Z", true)]
    [InlineData("DateEquals", "2020-01-01T02:00:00+02:00", "2020-01-01T00:00:00Z", true)]
    [InlineData("DateNotEquals", "2020-01-01T02:00:00+02:00", "2020-01-01T00:00:00Z", false)]
    [InlineData("DateNotEquals", "2020-01-01T00:00:00Z", "2021-01-01T00:00:00Z", true)]
    [InlineData("DateEquals", "1577836800", "2020-01-01T00:00:00Z", true)]
    [InlineData("DateLessThan", "2020-01-01T00:00:00Z", "1577836799", true)]
    [InlineData("DateLessThan", "2020-01-01T00:00:00Z", "not a date", false)]
    public void DateOperators(string op, string policyValue, string requestValue, bool expected) =>
        Assert.Equal(expected, Holds($$$"""{"{{{op}}}":{"aws:CurrentTime":"{{{policyValue}}}"}}""", With("aws:CurrentTime", requestValue)));

    [Theory]
    [InlineData("true", "true", true)]
    [InlineData("true", "false", false)]
    [InlineData("false", "false", true)]
    [InlineData("false", "TRUE", false)]
    public void BoolOperator(string policyValue, string requestValue, bool expected) =>
        Assert.Equal(expected, Holds($$$"""{"Bool":{"aws:SecureTransport":"{{{policyValue}}}"}}""", With("aws:SecureTransport", requestValue)));

    [Fact]
    public void BinaryEqualsComparesTheDecodedBytes()
    {
        Assert.True(Holds("""{"BinaryEquals":{"key":"QmluYXJ5VmFsdWU="}}""", With("key", "QmluYXJ5VmFsdWU=")));
        Assert.False(Holds("""{"BinaryEquals":{"key":"QmluYXJ5VmFsdWU="}}""", With("key", "T3RoZXJWYWx1ZQ==")));
        Assert.False(Holds("""{"BinaryEquals":{"key":"QmluYXJ5VmFsdWU="}}""", With("key", "not base64!")));
        Assert.Equal("Invalid Condition", Malformed(
            """{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"BinaryEquals":{"key":"***"}}}}""",
            PolicyKind.Identity));
    }

    [Theory]
    [InlineData("IpAddress", "192.0.2.0/24", "192.0.2.77", true)]
    [InlineData("IpAddress", "192.0.2.0/24", "192.0.3.1", false)]
    [InlineData("IpAddress", "192.0.2.1", "192.0.2.1", true)]
    [InlineData("IpAddress", "192.0.2.1", "192.0.2.2", false)]
    [InlineData("IpAddress", "192.0.2.130/25", "192.0.2.200", true)]
    [InlineData("IpAddress", "192.0.2.130/25", "192.0.2.100", false)]
    [InlineData("IpAddress", "0.0.0.0/0", "203.0.113.9", true)]
    [InlineData("IpAddress", "0.0.0.0/0", "2001:db8::1", false)]
    [InlineData("IpAddress", "2001:DB8:1234:5678::/64", "2001:db8:1234:5678:abcd::1", true)]
    [InlineData("IpAddress", "2001:DB8:1234:5678::/64", "2001:db8:1234:5679::1", false)]
    [InlineData("IpAddress", "2001:db8::1", "2001:db8:0:0:0:0:0:1", true)]
    [InlineData("IpAddress", "192.0.2.0/24", "::ffff:192.0.2.5", true)]
    [InlineData("IpAddress", "192.0.2.0/24", "garbage", false)]
    [InlineData("NotIpAddress", "192.0.2.0/24", "192.0.2.77", false)]
    [InlineData("NotIpAddress", "192.0.2.0/24", "198.51.100.1", true)]
    public void IpOperators(string op, string cidr, string sourceIp, bool expected) =>
        Assert.Equal(expected, Holds($$$"""{"{{{op}}}":{"aws:SourceIp":"{{{cidr}}}"}}""", With("aws:SourceIp", sourceIp)));

    [Theory]
    [InlineData("ArnEquals", "arn:aws:sns:us-east-1:123456789012:topic", "arn:aws:sns:us-east-1:123456789012:topic", true)]
    [InlineData("ArnEquals", "arn:aws:sns:us-east-1:123456789012:topic", "arn:aws:sns:us-east-1:123456789012:Topic", false)]
    [InlineData("ArnLike", "arn:aws:cloudtrail:*:111122223333:trail/*", "arn:aws:cloudtrail:us-west-2:111122223333:trail/t1", true)]
    [InlineData("ArnLike", "arn:aws:cloudtrail:*:111122223333:trail/*", "arn:aws:cloudtrail:us-west-2:999999999999:trail/t1", false)]
    [InlineData("ArnLike", "arn:aws:s3:::*", "arn:aws:s3:::bucket/with:colon", true)]
    [InlineData("ArnLike", "arn:aws:*", "arn:aws:s3:::bucket", false)]
    [InlineData("ArnLike", "arn:aws:s3:*:*:b?", "arn:aws:s3:::bx", true)]
    [InlineData("ArnLike", "arn:aws:s3:::b*", "not-an-arn", false)]
    [InlineData("ArnLike", "*", "not-an-arn", true)]
    [InlineData("ArnNotEquals", "arn:aws:sns:us-east-1:123456789012:topic", "arn:aws:sns:us-east-1:123456789012:other", true)]
    [InlineData("ArnNotLike", "arn:aws:iam::*:user/*", "arn:aws:iam::1:user/alice", false)]
    [InlineData("ArnNotLike", "arn:aws:iam::*:user/*", "arn:aws:iam::1:role/r", true)]
    public void ArnOperators(string op, string pattern, string arn, bool expected) =>
        Assert.Equal(expected, Holds($$$"""{"{{{op}}}":{"aws:SourceArn":"{{{pattern}}}"}}""", With("aws:SourceArn", arn)));

    [Fact]
    public void InArnLikeAWildcardDoesNotSpanAColon()
    {
        Assert.False(Holds("""{"ArnLike":{"aws:SourceArn":"arn:aws:s3*:::b"}}""", With("aws:SourceArn", "arn:aws:s3:x:y:b")));
        Assert.True(Holds("""{"StringLike":{"aws:SourceArn":"arn:aws:s3*:::b"}}""", With("aws:SourceArn", "arn:aws:s3:x:y:::b")));
    }

    [Theory]
    [InlineData("true", false, true)]
    [InlineData("true", true, false)]
    [InlineData("false", true, true)]
    [InlineData("false", false, false)]
    public void NullTestsPresence(string policyValue, bool keyPresent, bool expected)
    {
        var context = keyPresent ? With("aws:MultiFactorAuthAge", "30") : new ConditionContext();
        Assert.Equal(expected, Holds($$$"""{"Null":{"aws:MultiFactorAuthAge":"{{{policyValue}}}"}}""", context));
    }

    [Fact]
    public void NullTreatsAnEmptySetAsAbsent() =>
        Assert.True(Holds("""{"Null":{"aws:TagKeys":"true"}}""", With("aws:TagKeys")));

    [Theory]
    [InlineData("""{"StringEquals":{"s3:prefix":"a"}}""", false)]
    [InlineData("""{"StringLike":{"s3:prefix":"*"}}""", false)]
    [InlineData("""{"NumericLessThan":{"s3:max-keys":"10"}}""", false)]
    [InlineData("""{"DateLessThan":{"aws:CurrentTime":"2020-01-01"}}""", false)]
    [InlineData("""{"Bool":{"aws:SecureTransport":"false"}}""", false)]
    [InlineData("""{"IpAddress":{"aws:SourceIp":"0.0.0.0/0"}}""", false)]
    [InlineData("""{"ArnLike":{"aws:SourceArn":"*"}}""", false)]
    [InlineData("""{"BinaryEquals":{"key":"QQ=="}}""", false)]
    // IAM: an absent key satisfies the negated operators.
    [InlineData("""{"StringNotEquals":{"s3:prefix":"a"}}""", true)]
    [InlineData("""{"StringNotLike":{"s3:prefix":"a*"}}""", true)]
    [InlineData("""{"NumericNotEquals":{"s3:max-keys":"10"}}""", true)]
    [InlineData("""{"NotIpAddress":{"aws:SourceIp":"192.0.2.0/24"}}""", true)]
    [InlineData("""{"ArnNotLike":{"aws:SourceArn":"arn:aws:s3:::b"}}""", true)]
    // IfExists: absent is satisfied.
    [InlineData("""{"StringEqualsIfExists":{"s3:prefix":"a"}}""", true)]
    [InlineData("""{"NumericLessThanIfExists":{"s3:max-keys":"10"}}""", true)]
    [InlineData("""{"DateLessThanIfExists":{"aws:CurrentTime":"2020-01-01"}}""", true)]
    [InlineData("""{"BoolIfExists":{"aws:MultiFactorAuthPresent":"true"}}""", true)]
    [InlineData("""{"IpAddressIfExists":{"aws:SourceIp":"192.0.2.0/24"}}""", true)]
    [InlineData("""{"ArnLikeIfExists":{"aws:SourceArn":"arn:aws:s3:::b"}}""", true)]
    [InlineData("""{"BinaryEqualsIfExists":{"key":"QQ=="}}""", true)]
    public void AnAbsentKey(string condition, bool expected) =>
        Assert.Equal(expected, Holds(condition, new ConditionContext()));

    [Fact]
    public void IfExistsStillChecksAPresentKey()
    {
        Assert.True(Holds("""{"StringEqualsIfExists":{"s3:prefix":"a"}}""", With("s3:prefix", "a")));
        Assert.False(Holds("""{"StringEqualsIfExists":{"s3:prefix":"a"}}""", With("s3:prefix", "b")));
        Assert.False(Holds("""{"NumericLessThanIfExists":{"s3:max-keys":"10"}}""", With("s3:max-keys", "50")));
    }

    [Fact]
    public void ForAllValuesRequiresEveryRequestValueToMatchAndHoldsForAnAbsentOrEmptyKey()
    {
        const string condition = """{"ForAllValues:StringEquals":{"aws:TagKeys":["environment","cost-center"]}}""";
        Assert.True(Holds(condition, With("aws:TagKeys", "environment")));
        Assert.True(Holds(condition, With("aws:TagKeys", "environment", "cost-center")));
        Assert.False(Holds(condition, With("aws:TagKeys", "environment", "owner")));
        Assert.True(Holds(condition, new ConditionContext()));
        Assert.True(Holds(condition, With("aws:TagKeys")));
    }

    [Fact]
    public void ForAnyValueRequiresOneRequestValueToMatchAndFailsForAnAbsentKey()
    {
        const string condition = """{"ForAnyValue:StringEquals":{"aws:TagKeys":["environment","cost-center"]}}""";
        Assert.True(Holds(condition, With("aws:TagKeys", "owner", "cost-center")));
        Assert.False(Holds(condition, With("aws:TagKeys", "owner", "team")));
        Assert.False(Holds(condition, new ConditionContext()));
        Assert.False(Holds(condition, With("aws:TagKeys")));
        Assert.True(Holds("""{"ForAnyValue:StringEqualsIfExists":{"aws:TagKeys":"x"}}""", new ConditionContext()));
    }

    [Fact]
    public void SetQualifiersNegatePerRequestValue()
    {
        const string all = """{"ForAllValues:StringNotLike":{"aws:TagKeys":"secret*"}}""";
        Assert.True(Holds(all, With("aws:TagKeys", "a", "b")));
        Assert.False(Holds(all, With("aws:TagKeys", "a", "secret-key")));
        const string any = """{"ForAnyValue:StringNotEquals":{"aws:TagKeys":"a"}}""";
        Assert.True(Holds(any, With("aws:TagKeys", "a", "b")));
        Assert.False(Holds(any, With("aws:TagKeys", "a")));
        Assert.True(Holds("""{"ForAnyValue:StringLike":{"aws:TagKeys":"team-*"}}""", With("aws:TagKeys", "x", "team-red")));
    }

    [Fact]
    public void AMultivaluedKeyWithoutAQualifierMatchesWhenAnyValueMatchesAndItsNegationWhenNoneDoes()
    {
        Assert.True(Holds("""{"StringEquals":{"aws:TagKeys":"b"}}""", With("aws:TagKeys", "a", "b")));
        Assert.False(Holds("""{"StringNotEquals":{"aws:TagKeys":"b"}}""", With("aws:TagKeys", "a", "b")));
    }

    [Fact]
    public void BlocksAndKeysAreAndedValuesAreOred()
    {
        const string condition = """
            {"StringEquals":{"s3:prefix":["a","b"],"s3:delimiter":"/"},"NumericLessThanEquals":{"s3:max-keys":"100"}}
            """;
        var ok = new ConditionContext().Set("s3:prefix", "b").Set("s3:delimiter", "/").Set("s3:max-keys", "10");
        Assert.True(Holds(condition, ok));
        Assert.False(Holds(condition, new ConditionContext().Set("s3:prefix", "c").Set("s3:delimiter", "/").Set("s3:max-keys", "10")));
        Assert.False(Holds(condition, new ConditionContext().Set("s3:prefix", "a").Set("s3:delimiter", "-").Set("s3:max-keys", "10")));
        Assert.False(Holds(condition, new ConditionContext().Set("s3:prefix", "a").Set("s3:delimiter", "/").Set("s3:max-keys", "1000")));
    }

    [Fact]
    public void VariablesApplyInStringAndArnConditionValues()
    {
        var context = new ConditionContext().Set("aws:username", "alice").Set("s3:prefix", "home/alice/docs");
        Assert.True(Holds("""{"StringLike":{"s3:prefix":"home/${aws:username}/*"}}""", context));
        Assert.False(Holds("""{"StringLike":{"s3:prefix":"home/${aws:username}/*"}}""", context.Set("aws:username", "bob")));
        var arn = new ConditionContext().Set("aws:username", "alice").Set("aws:PrincipalArn", "arn:aws:iam:::user/alice");
        Assert.True(Holds("""{"ArnEquals":{"aws:PrincipalArn":"arn:aws:iam:::user/${aws:username}"}}""", arn));
    }

    [Fact]
    public void AVariableNamingAnAbsentKeyVoidsTheStatementEvenForANegatedOperator()
    {
        var context = new ConditionContext().Set("s3:prefix", "home/x");
        Assert.False(Holds("""{"StringLike":{"s3:prefix":"home/${aws:username}/*"}}""", context));
        Assert.False(Holds("""{"StringNotLike":{"s3:prefix":"${aws:username}/*"}}""", context));
        Assert.False(Holds("""{"StringEquals":{"s3:prefix":["home/x","${aws:username}"]}}""", context));
        Assert.True(Holds("""{"StringEquals":{"s3:prefix":"home/${aws:username, 'x'}"}}""", context));
    }

    [Fact]
    public void VariablesDoNotApplyToNumericValues() =>
        Assert.Equal("Invalid Condition", Malformed(
            """{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"NumericEquals":{"k":"${n}"}}}}""",
            PolicyKind.Identity));

    [Theory]
    [InlineData("StringEqual")]
    [InlineData("stringequals")]
    [InlineData("NumericEqualsIfExist")]
    [InlineData("ForSomeValues:StringEquals")]
    [InlineData("ForAnyValue:Null")]
    [InlineData("NullIfExists")]
    [InlineData("DateBefore")]
    [InlineData("IfExists")]
    public void UnknownOperatorsAreMalformed(string op) =>
        Assert.Equal("Invalid Condition type : " + op, Malformed(
            """{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{""" + "\"" + op + "\"" + """:{"k":"v"}}}}""",
            PolicyKind.Identity));

    [Theory]
    [InlineData("""{"NumericEquals":{"k":"ten"}}""")]
    [InlineData("""{"DateEquals":{"k":"yesterday"}}""")]
    [InlineData("""{"IpAddress":{"aws:SourceIp":"192.0.2.0/33"}}""")]
    [InlineData("""{"IpAddress":{"aws:SourceIp":"300.0.2.0"}}""")]
    [InlineData("""{"IpAddress":{"aws:SourceIp":"2001:db8::/129"}}""")]
    [InlineData("""{"Null":{"k":"maybe"}}""")]
    [InlineData("""{"StringEquals":{"k":null}}""")]
    [InlineData("""{"StringEquals":{"k":{"nested":"v"}}}""")]
    [InlineData("""{"StringEquals":{"k":[]}}""")]
    [InlineData("""{"StringEquals":{}}""")]
    [InlineData("""{"StringEquals":"k"}""")]
    [InlineData("""["StringEquals"]""")]
    public void UnreadableConditionValuesAreMalformed(string condition) =>
        Assert.Equal("Invalid Condition", Malformed(
            """{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":""" + condition + "}}",
            PolicyKind.Identity));
}
