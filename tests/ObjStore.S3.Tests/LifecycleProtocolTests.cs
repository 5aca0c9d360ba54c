using System.Text;
using ObjStore.Lifecycle;
using ObjStore.S3.Protocol;

namespace ObjStore.S3.Tests;

public sealed class LifecycleProtocolTests
{
    private static LifecycleConfiguration Parse(string rules) =>
        LifecycleProtocol.FromXml(Encoding.UTF8.GetBytes($"<LifecycleConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">{rules}</LifecycleConfiguration>"));

    private static (string Code, string Message) Refusal(string rules)
    {
        var e = Assert.Throws<S3Exception>(() => Parse(rules));
        return (e.Error.Code, e.Message);
    }

    [Fact]
    public void AwsExampleParsesAndRendersBack()
    {
        // The user guide's example: logs expire after 365 days, noncurrent versions after a day, uploads abort after 7.
        var config = Parse("""
            <Rule><ID>id1</ID><Filter><Prefix>logs/</Prefix></Filter><Status>Enabled</Status><Expiration><Days>365</Days></Expiration></Rule>
            <Rule><ID>id2</ID><Filter><And><Prefix>tmp/</Prefix><Tag><Key>k</Key><Value>v</Value></Tag><ObjectSizeGreaterThan>1</ObjectSizeGreaterThan></And></Filter>
              <Status>Disabled</Status><NoncurrentVersionExpiration><NoncurrentDays>1</NoncurrentDays><NewerNoncurrentVersions>3</NewerNoncurrentVersions></NoncurrentVersionExpiration></Rule>
            <Rule><ID>id3</ID><Prefix>up/</Prefix><Status>Enabled</Status><AbortIncompleteMultipartUpload><DaysAfterInitiation>7</DaysAfterInitiation></AbortIncompleteMultipartUpload></Rule>
            <Rule><ID>id4</ID><Filter/><Status>Enabled</Status><Expiration><Date>2027-01-01T00:00:00.000Z</Date></Expiration></Rule>
            """);
        Assert.Equal(4, config.Rules.Count);
        Assert.Equal(("logs/", 365), (config.Rules[0].Filter.Prefix, config.Rules[0].Expiration!.Days!.Value));
        Assert.Equal((FilterShape.And, false, 3), (config.Rules[1].Filter.Shape, config.Rules[1].Enabled, config.Rules[1].NoncurrentExpiration!.NewerNoncurrentVersions!.Value));
        Assert.Equal((FilterShape.RulePrefix, 7), (config.Rules[2].Filter.Shape, config.Rules[2].AbortIncompleteUploadDays!.Value));
        string xml = Encoding.UTF8.GetString(Xml.Serialize(LifecycleProtocol.ToXml(config)));
        Assert.Contains("<Rule><ID>id1</ID><Filter><Prefix>logs/</Prefix></Filter><Status>Enabled</Status><Expiration><Days>365</Days></Expiration></Rule>", xml, StringComparison.Ordinal);
        Assert.Contains("<Rule><ID>id3</ID><Prefix>up/</Prefix><Status>Enabled</Status>", xml, StringComparison.Ordinal);
        Assert.Contains("<ID>id4</ID><Filter/>", xml, StringComparison.Ordinal);
        Assert.Contains("<Date>2027-01-01T00:00:00.000Z</Date>", xml, StringComparison.Ordinal);
        // What GET returns parses to the same configuration.
        var again = LifecycleProtocol.FromXml(Encoding.UTF8.GetBytes(xml));
        Assert.Equal(config.ToJson(), again.ToJson());
    }

    [Fact]
    public void ARuleWithoutAnIdGetsOne()
    {
        var config = Parse("<Rule><Filter/><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>");
        Assert.False(string.IsNullOrEmpty(config.Rules[0].Id));
    }

    [Theory]
    [InlineData("")] // no rules
    [InlineData("<Rule><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>")] // neither Filter nor Prefix
    [InlineData("<Rule><Prefix/><Filter/><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>")] // both
    [InlineData("<Rule><Filter/><Status>enabled</Status><Expiration><Days>1</Days></Expiration></Rule>")]
    [InlineData("<Rule><Filter/><Expiration><Days>1</Days></Expiration></Rule>")] // no Status
    [InlineData("<Rule><Filter><Prefix>a</Prefix><Tag><Key>k</Key><Value>v</Value></Tag></Filter><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>")]
    [InlineData("<Rule><Filter><And><Prefix>a</Prefix></And></Filter><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>")]
    [InlineData("<Rule><Filter/><Status>Enabled</Status><Expiration><Days>1</Days><Date>2027-01-01T00:00:00Z</Date></Expiration></Rule>")]
    [InlineData("<Rule><Filter/><Status>Enabled</Status><Expiration></Expiration></Rule>")]
    [InlineData("<Rule><Filter/><Status>Enabled</Status><Expiration><Days>x</Days></Expiration></Rule>")]
    [InlineData("<Rule><Filter/><Status>Enabled</Status><Bogus/><Expiration><Days>1</Days></Expiration></Rule>")]
    [InlineData("<Rule><Filter/><Status>Enabled</Status><NoncurrentVersionExpiration/></Rule>")]
    [InlineData("<Rule><Filter/><Status>Enabled</Status><Transition><Days>1</Days><StorageClass>TAPE</StorageClass></Transition></Rule>")]
    public void MalformedShapesAreMalformedXml(string rules) => Assert.Equal("MalformedXML", Refusal(rules).Code);

    [Theory]
    [InlineData("<Rule><Filter/><Status>Enabled</Status><Expiration><Days>0</Days></Expiration></Rule>", "'Days' for Expiration action must be a positive integer")]
    [InlineData("<Rule><Filter/><Status>Enabled</Status><Expiration><Date>2027-01-01T10:00:00Z</Date></Expiration></Rule>", "'Date' must be at midnight GMT")]
    [InlineData("<Rule><Filter/><Status>Enabled</Status><Expiration><Days>1</Days><ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration></Rule>", "ExpiredObjectDeleteMarker cannot be specified with Days or Date")]
    [InlineData("<Rule><Filter/><Status>Enabled</Status><NoncurrentVersionExpiration><NoncurrentDays>-1</NoncurrentDays></NoncurrentVersionExpiration></Rule>", "'NoncurrentDays'")]
    [InlineData("<Rule><Filter/><Status>Enabled</Status><NoncurrentVersionExpiration><NoncurrentDays>1</NoncurrentDays><NewerNoncurrentVersions>101</NewerNoncurrentVersions></NoncurrentVersionExpiration></Rule>", "'NewerNoncurrentVersions'")]
    [InlineData("<Rule><Filter/><Status>Enabled</Status><AbortIncompleteMultipartUpload><DaysAfterInitiation>0</DaysAfterInitiation></AbortIncompleteMultipartUpload></Rule>", "'DaysAfterInitiation'")]
    [InlineData("<Rule><Filter><And><ObjectSizeGreaterThan>10</ObjectSizeGreaterThan><ObjectSizeLessThan>10</ObjectSizeLessThan></And></Filter><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>", "ObjectSizeGreaterThan must be less than ObjectSizeLessThan")]
    [InlineData("<Rule><ID>same</ID><Filter/><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule><Rule><ID>same</ID><Filter/><Status>Enabled</Status><Expiration><Days>2</Days></Expiration></Rule>", "Rule ID must be unique")]
    public void BadValuesAreInvalidArgument(string rules, string message)
    {
        var (code, text) = Refusal(rules);
        Assert.Equal("InvalidArgument", code);
        Assert.Contains(message, text, StringComparison.Ordinal);
    }

    [Fact]
    public void TooLongAnIdIsInvalidArgument() =>
        Assert.Equal("InvalidArgument", Refusal($"<Rule><ID>{new string('i', 256)}</ID><Filter/><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>").Code);

    [Theory]
    [InlineData("<Rule><Filter/><Status>Enabled</Status></Rule>", "At least one action")]
    [InlineData("<Rule><Filter><Tag><Key>k</Key><Value>v</Value></Tag></Filter><Status>Enabled</Status><Expiration><ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration></Rule>", "ExpiredObjectDeleteMarker cannot be specified with Tags")]
    [InlineData("<Rule><Filter><Tag><Key>k</Key><Value>v</Value></Tag></Filter><Status>Enabled</Status><AbortIncompleteMultipartUpload><DaysAfterInitiation>1</DaysAfterInitiation></AbortIncompleteMultipartUpload></Rule>", "AbortIncompleteMultipartUpload cannot be specified with Tags")]
    public void ForbiddenCombinationsAreInvalidRequest(string rules, string message)
    {
        var (code, text) = Refusal(rules);
        Assert.Equal("InvalidRequest", code);
        Assert.Contains(message, text, StringComparison.Ordinal);
    }

    [Fact]
    public void TransitionsAreRefusedForWantOfASecondStorageClass() =>
        Assert.Equal("InvalidStorageClass", Refusal("<Rule><Filter/><Status>Enabled</Status><Transition><Days>30</Days><StorageClass>GLACIER</StorageClass></Transition></Rule>").Code);

    [Fact]
    public void FilterTagsFollowTheTaggingRules() =>
        Assert.Equal("InvalidTag", Refusal("<Rule><Filter><And><Tag><Key>k</Key><Value>1</Value></Tag><Tag><Key>k</Key><Value>2</Value></Tag></And></Filter><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>").Code);

    [Fact]
    public void MoreThanAThousandRulesAreRefused()
    {
        string rules = string.Concat(Enumerable.Range(0, 1001).Select(i => $"<Rule><ID>r{i}</ID><Filter/><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>"));
        Assert.Equal("MalformedXML", Refusal(rules).Code);
        Assert.Equal(1000, Parse(string.Concat(Enumerable.Range(0, 1000).Select(i => $"<Rule><ID>r{i}</ID><Filter/><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>"))).Rules.Count);
    }

    [Fact]
    public void TheRuleIdIsUrlEncodedInTheHeader() =>
        Assert.Equal("expiry-date=\"Fri, 21 Dec 2012 00:00:00 GMT\", rule-id=\"a%22b%2C%20c%C3%A9\"",
            LifecycleProtocol.ExpirationHeader(new DateTimeOffset(2012, 12, 21, 0, 0, 0, TimeSpan.Zero), "a\"b, cé"));

    [Fact]
    public void TheExpirationHeaderIsAwsShaped() =>
        Assert.Equal("expiry-date=\"Fri, 21 Dec 2012 00:00:00 GMT\", rule-id=\"picture-deletion-rule\"",
            LifecycleProtocol.ExpirationHeader(new DateTimeOffset(2012, 12, 21, 0, 0, 0, TimeSpan.Zero), "picture-deletion-rule"));
}
