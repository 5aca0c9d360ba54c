using System.Text;
using ObjStore.S3.Cors;

namespace ObjStore.S3.Tests;

/// <summary>CORSConfiguration as S3 validates and evaluates it, on the example configurations of AWS's user guide.</summary>
public class CorsTests
{
    /// <summary>The guide's first example: two origins may write with any header, everyone may GET.</summary>
    private const string ThreeRules = """
        <CORSConfiguration>
         <CORSRule>
           <AllowedOrigin>http://www.example1.com</AllowedOrigin>
           <AllowedMethod>PUT</AllowedMethod>
           <AllowedMethod>POST</AllowedMethod>
           <AllowedMethod>DELETE</AllowedMethod>
           <AllowedHeader>*</AllowedHeader>
         </CORSRule>
         <CORSRule>
           <AllowedOrigin>http://www.example2.com</AllowedOrigin>
           <AllowedMethod>PUT</AllowedMethod>
           <AllowedMethod>POST</AllowedMethod>
           <AllowedMethod>DELETE</AllowedMethod>
           <AllowedHeader>*</AllowedHeader>
         </CORSRule>
         <CORSRule>
           <AllowedOrigin>*</AllowedOrigin>
           <AllowedMethod>GET</AllowedMethod>
         </CORSRule>
        </CORSConfiguration>
        """;

    /// <summary>The guide's second example, with MaxAgeSeconds and ExposeHeader, in S3's namespace.</summary>
    private const string WithExposeAndMaxAge = """
        <CORSConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
         <CORSRule>
           <AllowedOrigin>http://www.example.com</AllowedOrigin>
           <AllowedMethod>PUT</AllowedMethod>
           <AllowedMethod>POST</AllowedMethod>
           <AllowedMethod>DELETE</AllowedMethod>
           <AllowedHeader>*</AllowedHeader>
          <MaxAgeSeconds>3000</MaxAgeSeconds>
          <ExposeHeader>x-amz-server-side-encryption</ExposeHeader>
          <ExposeHeader>x-amz-request-id</ExposeHeader>
          <ExposeHeader>x-amz-id-2</ExposeHeader>
         </CORSRule>
        </CORSConfiguration>
        """;

    private static CorsConfiguration Parse(string xml) => CorsConfiguration.Parse(Encoding.UTF8.GetBytes(xml));

    private static S3Exception Refused(string xml) => Assert.Throws<S3Exception>(() => Parse(xml));

    private static string Rules(int count, string rule = "<CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule>") =>
        "<CORSConfiguration>" + string.Concat(Enumerable.Repeat(rule, count)) + "</CORSConfiguration>";

    private static string Rule(string inner) => "<CORSConfiguration><CORSRule>" + inner + "</CORSRule></CORSConfiguration>";

    [Fact]
    public void TheGuidesExamplesParseWithEveryElement()
    {
        var three = Parse(ThreeRules);
        Assert.Equal(3, three.Rules.Count);
        Assert.Equal(["PUT", "POST", "DELETE"], three.Rules[0].AllowedMethods);
        Assert.Equal(["*"], three.Rules[2].AllowedOrigins);
        Assert.Empty(three.Rules[2].AllowedHeaders);

        var rule = Assert.Single(Parse(WithExposeAndMaxAge).Rules);
        Assert.Equal(3000, rule.MaxAgeSeconds);
        Assert.Equal(["x-amz-server-side-encryption", "x-amz-request-id", "x-amz-id-2"], rule.ExposeHeaders);
        Assert.Null(rule.Id);
    }

    [Fact]
    public void TheStoredFormRoundTripsInS3sNamespace()
    {
        var configuration = Parse(Rule("<ID>r1</ID><MaxAgeSeconds>60</MaxAgeSeconds><AllowedOrigin>https://a.example</AllowedOrigin><AllowedMethod>GET</AllowedMethod><AllowedHeader>x-*</AllowedHeader><ExposeHeader>ETag</ExposeHeader>"));
        string document = configuration.ToDocument();
        Assert.Contains("<CORSConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">", document, StringComparison.Ordinal);
        Assert.Contains("<CORSRule><ID>r1</ID><AllowedHeader>x-*</AllowedHeader><AllowedMethod>GET</AllowedMethod><AllowedOrigin>https://a.example</AllowedOrigin><ExposeHeader>ETag</ExposeHeader><MaxAgeSeconds>60</MaxAgeSeconds></CORSRule>", document, StringComparison.Ordinal);
        Assert.Equal(document, CorsConfiguration.FromStored(document).ToDocument());
    }

    [Fact]
    public void OneToAHundredRulesAreAccepted()
    {
        Assert.Single(Parse(Rules(1)).Rules);
        Assert.Equal(100, Parse(Rules(100)).Rules.Count);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(101)]
    public void NoRuleOrMoreThanAHundredIsMalformedXml(int count) => Assert.Same(S3Error.MalformedXML, Refused(Rules(count)).Error);

    [Theory]
    [InlineData("<AllowedMethod>GET</AllowedMethod>")] // no origin
    [InlineData("<AllowedOrigin>*</AllowedOrigin>")] // no method
    [InlineData("<AllowedOrigin></AllowedOrigin><AllowedMethod>GET</AllowedMethod>")]
    [InlineData("<AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><MaxAgeSeconds>soon</MaxAgeSeconds>")]
    [InlineData("<AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><MaxAgeSeconds>-1</MaxAgeSeconds>")]
    [InlineData("<AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><MaxAgeSeconds>1</MaxAgeSeconds><MaxAgeSeconds>2</MaxAgeSeconds>")]
    [InlineData("<AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><ID>a</ID><ID>b</ID>")]
    [InlineData("<AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><Unknown>x</Unknown>")]
    [InlineData("<AllowedOrigin><Nested/></AllowedOrigin><AllowedMethod>GET</AllowedMethod>")]
    public void ARuleOutsideTheSchemaIsMalformedXml(string inner) => Assert.Same(S3Error.MalformedXML, Refused(Rule(inner)).Error);

    [Theory]
    [InlineData("<CORSConfig><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfig>")]
    [InlineData("<CORSConfiguration><Other/></CORSConfiguration>")]
    [InlineData("<CORSConfiguration><CORSRule>")]
    public void AnotherDocumentIsMalformedXml(string xml) => Assert.Same(S3Error.MalformedXML, Refused(xml).Error);

    [Theory]
    [InlineData("PATCH")]
    [InlineData("get")]
    [InlineData("OPTIONS")]
    public void AnUnsupportedMethodIsNamedInInvalidRequest(string method)
    {
        var e = Refused(Rule($"<AllowedOrigin>*</AllowedOrigin><AllowedMethod>{method}</AllowedMethod>"));
        Assert.Same(S3Error.InvalidRequest, e.Error);
        Assert.Equal("Found unsupported HTTP method in CORS config. Unsupported method is " + method, e.Message);
    }

    [Fact]
    public void TwoWildcardsInAnOriginOrHeaderAreInvalidRequest()
    {
        Assert.Same(S3Error.InvalidRequest, Refused(Rule("<AllowedOrigin>http://*.*.example</AllowedOrigin><AllowedMethod>GET</AllowedMethod>")).Error);
        Assert.Same(S3Error.InvalidRequest, Refused(Rule("<AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><AllowedHeader>x-*-*</AllowedHeader>")).Error);
    }

    [Fact]
    public void AnIdLongerThan255IsRefused()
    {
        Assert.NotNull(Parse(Rule($"<ID>{new string('i', 255)}</ID><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod>")));
        Assert.Same(S3Error.InvalidArgument, Refused(Rule($"<ID>{new string('i', 256)}</ID><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod>")).Error);
    }

    [Fact]
    public void TheFirstMatchingRuleWins()
    {
        var configuration = Parse(ThreeRules);
        var writer = configuration.Match("http://www.example1.com", "PUT", ["content-type"]);
        Assert.Same(configuration.Rules[0], writer?.Rule);
        Assert.Same(configuration.Rules[1], configuration.Match("http://www.example2.com", "DELETE", [])?.Rule);
        // GET is only in the third rule, whatever the origin.
        var reader = configuration.Match("http://www.example1.com", "GET", []);
        Assert.Same(configuration.Rules[2], reader?.Rule);
        Assert.Equal("*", reader?.OriginPattern);
        Assert.Null(configuration.Match("http://www.example3.com", "PUT", []));
        Assert.Null(configuration.Match("http://www.example1.com", "HEAD", []));
    }

    [Fact]
    public void OriginsMatchCaseSensitivelyWithOneWildcardForAnyRun()
    {
        var configuration = Parse(Rule("<AllowedOrigin>https://*.example.com</AllowedOrigin><AllowedMethod>GET</AllowedMethod>"));
        Assert.NotNull(configuration.Match("https://app.example.com", "GET", []));
        Assert.NotNull(configuration.Match("https://a.b.example.com", "GET", []));
        Assert.NotNull(configuration.Match("https://.example.com", "GET", []));
        Assert.Null(configuration.Match("https://APP.EXAMPLE.COM", "GET", []));
        Assert.Null(configuration.Match("http://app.example.com", "GET", []));
        Assert.Null(configuration.Match("https://example.com", "GET", []));
        Assert.Equal("https://*.example.com", configuration.Match("https://app.example.com", "GET", [])?.OriginPattern);
    }

    [Fact]
    public void MethodsMatchExactly()
    {
        var configuration = Parse(Rule("<AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod>"));
        Assert.NotNull(configuration.Match("http://x", "GET", []));
        Assert.Null(configuration.Match("http://x", "get", []));
        Assert.Null(configuration.Match("http://x", "HEAD", []));
    }

    [Fact]
    public void EveryRequestedHeaderMustMatchAnAllowedHeaderIgnoringCase()
    {
        var configuration = Parse(Rule("<AllowedOrigin>*</AllowedOrigin><AllowedMethod>PUT</AllowedMethod><AllowedHeader>Content-Type</AllowedHeader><AllowedHeader>x-amz-*</AllowedHeader>"));
        Assert.NotNull(configuration.Match("http://x", "PUT", ["content-type", "X-Amz-Date", "x-amz-meta-a"]));
        Assert.NotNull(configuration.Match("http://x", "PUT", []));
        Assert.Null(configuration.Match("http://x", "PUT", ["content-type", "authorization"]));
        // A rule without AllowedHeader allows a preflight only when it asks for no header.
        var bare = Parse(Rule("<AllowedOrigin>*</AllowedOrigin><AllowedMethod>PUT</AllowedMethod>"));
        Assert.Null(bare.Match("http://x", "PUT", ["content-type"]));
    }

    [Fact]
    public void TheLaterRuleAllowsWhatTheFirstsHeadersDoNot()
    {
        var configuration = Parse("""
            <CORSConfiguration>
              <CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>PUT</AllowedMethod><AllowedHeader>content-type</AllowedHeader></CORSRule>
              <CORSRule><ID>all</ID><AllowedOrigin>*</AllowedOrigin><AllowedMethod>PUT</AllowedMethod><AllowedHeader>*</AllowedHeader></CORSRule>
            </CORSConfiguration>
            """);
        Assert.Equal("all", configuration.Match("http://x", "PUT", ["x-custom"])?.Rule.Id);
        Assert.Null(configuration.Match("http://x", "PUT", ["content-type"])?.Rule.Id);
    }

    [Theory]
    [InlineData("", new string[0])]
    [InlineData("content-type", new[] { "content-type" })]
    [InlineData(" content-type , x-amz-date,,authorization ", new[] { "content-type", "x-amz-date", "authorization" })]
    public void RequestedHeadersAreACommaList(string value, string[] expected) => Assert.Equal(expected, CorsResponder.RequestedHeaders(value));
}
