using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using ObjStore.S3.Auth;
using ObjStore.S3.Protocol;

namespace ObjStore.S3.Tests;

/// <summary>
/// The examples of AWS's "Signing and authenticating REST requests" (Signature Version 2), each verified twice: the
/// published string to sign gives the published signature, and the server's authenticator, given only the request,
/// accepts that signature. The page has two editions: the original (bucket johnsmith) and today's (awsexamplebucket1,
/// example.com), in which only the first four examples were re-signed; the others kept johnsmith's signatures under
/// renamed strings, so they are taken from the original edition. In both, the Delete example's signature matches no
/// string to sign shown; its value here is HMAC-SHA1 of the string the page prints, as other implementations found.
/// </summary>
public class SigV2VectorTests
{
    private const string AccessKey = "AKIAIOSFODNN7EXAMPLE";
    private const string Secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

    /// <summary>The page's virtual-hosted-style hosts, most specific first (the first domain that matches names the bucket).</summary>
    private static readonly S3Options AwsHosts = new() { Domains = ["us-west-1.s3.amazonaws.com", "s3.amazonaws.com"] };

    private static DateTimeOffset At(string httpDate) => DateTimeOffset.Parse(httpDate, System.Globalization.CultureInfo.InvariantCulture);

    private static Authenticator Verifier(DateTimeOffset now, string secret = Secret) =>
        new(new StaticCredentials(new Dictionary<string, string> { [AccessKey] = secret }), new FixedClock(now));

    /// <summary>A request as Kestrel hands it over: the raw target as sent, the decoded path, the headers.</summary>
    private static HttpRequest Request(string method, string host, string target, params (string Name, string Value)[] headers)
    {
        var context = new DefaultHttpContext();
        context.Features.Get<IHttpRequestFeature>()!.RawTarget = target;
        int q = target.IndexOf('?');
        context.Request.Method = method;
        context.Request.Host = new HostString(host);
        context.Request.Path = PathString.FromUriComponent(q < 0 ? target : target[..q]);
        context.Request.QueryString = q < 0 ? QueryString.Empty : new QueryString(target[q..]);
        foreach (var (name, value) in headers)
        {
            context.Request.Headers.Append(name, value);
        }
        return context.Request;
    }

    private static AuthContext Verify(Authenticator verifier, HttpRequest request, S3Options? options = null)
    {
        string target = request.HttpContext.Features.Get<IHttpRequestFeature>()!.RawTarget;
        int q = target.IndexOf('?');
        var query = S3Request.ParseQuery(q < 0 ? "" : target[(q + 1)..]);
        return verifier.Authenticate(request, S3Request.PercentDecode(q < 0 ? target : target[..q], plusIsSpace: false), query, options ?? AwsHosts);
    }

    /// <summary>The example's string gives its signature, and the server, from the request alone, accepts it.</summary>
    private static void AssertExample(HttpRequest request, DateTimeOffset now, string stringToSign, string signature)
    {
        Assert.Equal(signature, SigV2.Sign(Secret, stringToSign));
        try
        {
            var auth = Verify(Verifier(now), request);
            Assert.Equal(AccessKey, auth.AccessKey);
            Assert.Equal(SigV2.SignatureVersion, auth.SignatureVersion);
        }
        catch (S3Exception e) when (e.Error == S3Error.SignatureDoesNotMatch)
        {
            // Shows where the server's canonicalisation differs from the page's.
            Assert.Equal(stringToSign, e.Details.Single(d => d.Key == "StringToSign").Value);
            throw;
        }
    }

    private static S3Exception Refused(HttpRequest request, DateTimeOffset now, S3Options? options = null, string secret = Secret) =>
        Assert.Throws<S3Exception>(() => Verify(Verifier(now, secret), request, options));

    [Fact]
    public void ObjectGet()
    {
        const string date = "Tue, 27 Mar 2007 19:36:42 +0000";
        AssertExample(Request("GET", "awsexamplebucket1.us-west-1.s3.amazonaws.com", "/photos/puppy.jpg",
                ("Date", date), ("Authorization", $"AWS {AccessKey}:qgk2+6Sv9/oM7G3qLEjTH1a1l1g=")),
            At(date), $"GET\n\n\n{date}\n/awsexamplebucket1/photos/puppy.jpg", "qgk2+6Sv9/oM7G3qLEjTH1a1l1g=");
        AssertExample(Request("GET", "johnsmith.s3.amazonaws.com", "/photos/puppy.jpg",
                ("Date", date), ("Authorization", $"AWS {AccessKey}:bWq2s1WEIj+Ydj0vQ697zp+IXMU=")),
            At(date), $"GET\n\n\n{date}\n/johnsmith/photos/puppy.jpg", "bWq2s1WEIj+Ydj0vQ697zp+IXMU=");
    }

    [Fact]
    public void ObjectPut()
    {
        const string date = "Tue, 27 Mar 2007 21:15:45 +0000";
        AssertExample(Request("PUT", "awsexamplebucket1.us-west-1.s3.amazonaws.com", "/photos/puppy.jpg",
                ("Content-Type", "image/jpeg"), ("Content-Length", "94328"), ("Date", date),
                ("Authorization", $"AWS {AccessKey}:iqRzw+ileNPu1fhspnRs8nOjjIA=")),
            At(date), $"PUT\n\nimage/jpeg\n{date}\n/awsexamplebucket1/photos/puppy.jpg", "iqRzw+ileNPu1fhspnRs8nOjjIA=");
        AssertExample(Request("PUT", "johnsmith.s3.amazonaws.com", "/photos/puppy.jpg",
                ("Content-Type", "image/jpeg"), ("Content-Length", "94328"), ("Date", date),
                ("Authorization", $"AWS {AccessKey}:MyyxeRY7whkBe+bq8fHCL/2kKUg=")),
            At(date), $"PUT\n\nimage/jpeg\n{date}\n/johnsmith/photos/puppy.jpg", "MyyxeRY7whkBe+bq8fHCL/2kKUg=");
    }

    [Fact]
    public void ListSignsNoneOfTheListingParameters()
    {
        const string date = "Tue, 27 Mar 2007 19:42:41 +0000";
        AssertExample(Request("GET", "awsexamplebucket1.us-west-1.s3.amazonaws.com", "/?prefix=photos&max-keys=50&marker=puppy",
                ("User-Agent", "Mozilla/5.0"), ("Date", date), ("Authorization", $"AWS {AccessKey}:m0WP8eCtspQl5Ahe6L1SozdX9YA=")),
            At(date), $"GET\n\n\n{date}\n/awsexamplebucket1/", "m0WP8eCtspQl5Ahe6L1SozdX9YA=");
        AssertExample(Request("GET", "johnsmith.s3.amazonaws.com", "/?prefix=photos&max-keys=50&marker=puppy",
                ("User-Agent", "Mozilla/5.0"), ("Date", date), ("Authorization", $"AWS {AccessKey}:htDYFYduRNen8P9ZfE/s9SuKy0U=")),
            At(date), $"GET\n\n\n{date}\n/johnsmith/", "htDYFYduRNen8P9ZfE/s9SuKy0U=");
    }

    [Fact]
    public void FetchAclSignsTheSubResource()
    {
        const string date = "Tue, 27 Mar 2007 19:44:46 +0000";
        AssertExample(Request("GET", "awsexamplebucket1.us-west-1.s3.amazonaws.com", "/?acl",
                ("Date", date), ("Authorization", $"AWS {AccessKey}:82ZHiFIjc+WbcwFKGUVEQspPn+0=")),
            At(date), $"GET\n\n\n{date}\n/awsexamplebucket1/?acl", "82ZHiFIjc+WbcwFKGUVEQspPn+0=");
        AssertExample(Request("GET", "johnsmith.s3.amazonaws.com", "/?acl",
                ("Date", date), ("Authorization", $"AWS {AccessKey}:c2WLPFtWHVgbEmeEG93a4cG37dM=")),
            At(date), $"GET\n\n\n{date}\n/johnsmith/?acl", "c2WLPFtWHVgbEmeEG93a4cG37dM=");
    }

    [Fact]
    public void DeleteSignsXAmzDateAndAnEmptyDate()
    {
        // Path-style; x-amz-date (a second before Date) replaces Date, which is then neither signed nor checked.
        AssertExample(Request("DELETE", "s3.amazonaws.com", "/johnsmith/photos/puppy.jpg",
                ("User-Agent", "dotnet"), ("Date", "Tue, 27 Mar 2007 21:20:27 +0000"), ("x-amz-date", "Tue, 27 Mar 2007 21:20:26 +0000"),
                ("Authorization", $"AWS {AccessKey}:R4dJ53KECjStyBO5iTBJZ4XVOaI=")),
            At("Tue, 27 Mar 2007 21:20:26 +0000"),
            "DELETE\n\n\n\nx-amz-date:Tue, 27 Mar 2007 21:20:26 +0000\n/johnsmith/photos/puppy.jpg", "R4dJ53KECjStyBO5iTBJZ4XVOaI=");
    }

    [Fact]
    public void UploadCanonicalisesTheAmzHeaders()
    {
        // The bucket is the whole host (a CNAME, static.johnsmith.net), which this store does not map: the example is
        // checked path-style, where the path names the same resource, and the string to sign stays the page's.
        const string date = "Tue, 27 Mar 2007 21:06:08 +0000";
        (string, string)[] headers =
        [
            ("User-Agent", "curl/7.15.5"), ("Date", date), ("x-amz-acl", "public-read"), ("content-type", "application/x-download"),
            ("Content-MD5", "4gJE4saaMU4BqNR0kLY+lw=="), ("X-Amz-Meta-ReviewedBy", "joe@johnsmith.net"), ("X-Amz-Meta-ReviewedBy", "jane@johnsmith.net"),
            ("X-Amz-Meta-FileChecksum", "0x02661779"), ("X-Amz-Meta-ChecksumAlgorithm", "crc32"),
            ("Content-Disposition", "attachment; filename=database.dat"), ("Content-Encoding", "gzip"), ("Content-Length", "5913339"),
            ("Authorization", $"AWS {AccessKey}:ilyl83RwaSoYIEdixDQcA4OnAnc="),
        ];
        const string stringToSign = "PUT\n4gJE4saaMU4BqNR0kLY+lw==\napplication/x-download\n" + date + "\n"
            + "x-amz-acl:public-read\nx-amz-meta-checksumalgorithm:crc32\nx-amz-meta-filechecksum:0x02661779\n"
            + "x-amz-meta-reviewedby:joe@johnsmith.net,jane@johnsmith.net\n/static.johnsmith.net/db-backup.dat.gz";
        AssertExample(Request("PUT", "s3.amazonaws.com:8080", "/static.johnsmith.net/db-backup.dat.gz", headers), At(date), stringToSign, "ilyl83RwaSoYIEdixDQcA4OnAnc=");
        Assert.Equal(stringToSign, SigV2.StringToSign("PUT", "4gJE4saaMU4BqNR0kLY+lw==", "application/x-download", date,
            headers.Select(h => new KeyValuePair<string, string>(h.Item1, h.Item2)), SigV2.CanonicalResource("static.johnsmith.net", "/db-backup.dat.gz", [])));
    }

    [Fact]
    public void ListAllMyBuckets()
    {
        const string date = "Wed, 28 Mar 2007 01:29:59 +0000";
        AssertExample(Request("GET", "s3.amazonaws.com", "/", ("Date", date), ("Authorization", $"AWS {AccessKey}:qGdzdERIC03wnaRNKh6OqZehG9s=")),
            At(date), $"GET\n\n\n{date}\n/", "qGdzdERIC03wnaRNKh6OqZehG9s=");
    }

    [Fact]
    public void UnicodeKeysSignThePathAsSent()
    {
        const string date = "Wed, 28 Mar 2007 01:49:49 +0000";
        AssertExample(Request("GET", "s3.amazonaws.com", "/dictionary/fran%C3%A7ais/pr%c3%a9f%c3%a8re",
                ("Date", date), ("Authorization", $"AWS {AccessKey}:DNEZGsoieTZ92F3bUfSPQcbGmlM=")),
            At(date), $"GET\n\n\n{date}\n/dictionary/fran%C3%A7ais/pr%c3%a9f%c3%a8re", "DNEZGsoieTZ92F3bUfSPQcbGmlM=");
    }

    [Fact]
    public void QueryStringAuthentication()
    {
        var request = Request("GET", "johnsmith.s3.amazonaws.com",
            "/photos/puppy.jpg?AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Signature=NpgCjnDzrM%2BWFzoENXmpNDUsSn8%3D&Expires=1175139620");
        var signedAt = At("Tue, 27 Mar 2007 19:36:42 +0000");
        AssertExample(request, signedAt, "GET\n\n\n1175139620\n/johnsmith/photos/puppy.jpg", "NpgCjnDzrM+WFzoENXmpNDUsSn8=");
        Assert.Equal(AuthType.Query, Verify(Verifier(signedAt), request).Type);
        // Valid up to its second, refused after it.
        Verify(Verifier(DateTimeOffset.FromUnixTimeSeconds(1175139620)), request);
        var expired = Refused(request, DateTimeOffset.FromUnixTimeSeconds(1175139621));
        Assert.Equal((S3Error.AccessDenied, "Request has expired"), (expired.Error, expired.Message));
        Assert.Contains(new KeyValuePair<string, string>("Expires", "2007-03-29T03:40:20Z"), expired.Details);
    }

    [Fact]
    public void TamperedSignatureWrongSecretAndUnknownKeyAreRefused()
    {
        const string date = "Tue, 27 Mar 2007 19:36:42 +0000";
        HttpRequest Get(string authorization, string path = "/photos/puppy.jpg") =>
            Request("GET", "johnsmith.s3.amazonaws.com", path, ("Date", date), ("Authorization", authorization));
        var tampered = Refused(Get($"AWS {AccessKey}:cWq2s1WEIj+Ydj0vQ697zp+IXMU="), At(date));
        Assert.Equal(S3Error.SignatureDoesNotMatch, tampered.Error);
        Assert.Contains(new KeyValuePair<string, string>("StringToSign", $"GET\n\n\n{date}\n/johnsmith/photos/puppy.jpg"), tampered.Details);
        Assert.Equal(S3Error.SignatureDoesNotMatch, Refused(Get($"AWS {AccessKey}:bWq2s1WEIj+Ydj0vQ697zp+IXMU=", "/photos/kitten.jpg"), At(date)).Error);
        Assert.Equal(S3Error.SignatureDoesNotMatch, Refused(Get($"AWS {AccessKey}:bWq2s1WEIj+Ydj0vQ697zp+IXMU="), At(date), secret: Secret + "x").Error);
        Assert.Equal(S3Error.SignatureDoesNotMatch, Refused(Get($"AWS {AccessKey}:bWq2s1WEIj+Ydj0vQ697zp+IXMU=AAAA"), At(date)).Error);
        Assert.Equal(S3Error.SignatureDoesNotMatch, Refused(Get($"AWS {AccessKey}:not base64!"), At(date)).Error);
        Assert.Equal(S3Error.InvalidAccessKeyId, Refused(Get("AWS AKIDUNKNOWN:bWq2s1WEIj+Ydj0vQ697zp+IXMU="), At(date)).Error);
        var malformed = Refused(Get($"AWS {AccessKey}"), At(date));
        Assert.Equal((S3Error.InvalidArgument, "AWS authorization header is invalid.  Expected AwsAccessKeyId:signature"), (malformed.Error, malformed.Message));
    }

    [Fact]
    public void ASubResourceIsSignedListingParametersAreNotAndAnyOtherIsRefused()
    {
        const string date = "Tue, 27 Mar 2007 19:44:46 +0000";
        HttpRequest Get(string target) => Request("GET", "johnsmith.s3.amazonaws.com", target,
            ("Date", date), ("Authorization", $"AWS {AccessKey}:c2WLPFtWHVgbEmeEG93a4cG37dM="));
        Verify(Verifier(At(date)), Get("/?acl&list-type=2&max-keys=5"));
        // An unsigned parameter that is not a listing one could select another operation: refused, not ignored.
        Assert.Equal(S3Error.InvalidRequest, Refused(Get("/?acl&unsigned=1"), At(date)).Error);
        Assert.Equal(S3Error.InvalidRequest, Refused(Get("/?acl&publicAccessBlock"), At(date)).Error);
        Verify(Verifier(At(date)), Get("/?%61cl")); // the router reads "acl": so does the signature
        Assert.Equal(S3Error.SignatureDoesNotMatch, Refused(Get("/?acl&versionId=1"), At(date)).Error);
        Assert.Equal(S3Error.SignatureDoesNotMatch, Refused(Get("/?policy"), At(date)).Error);
        Assert.Equal(S3Error.SignatureDoesNotMatch, Refused(Get("/"), At(date)).Error);
    }

    [Fact]
    public void SubResourcesSortByNameWithTheirDecodedValues()
    {
        var query = S3Request.ParseQuery("uploadId=a%2Fb&partNumber=2&uploads&response-content-type=text%2Fplain&prefix=x&tagging");
        Assert.Equal("/b/k?partNumber=2&response-content-type=text/plain&tagging&uploadId=a/b&uploads", SigV2.CanonicalResource(null, "/b/k", query));
        Assert.Equal("/b/", SigV2.CanonicalResource("b", "/", []));
    }

    [Fact]
    public void XAmzDateReplacesDateWhichIsThenNeitherSignedNorChecked()
    {
        string Signature(string amzDate) => SigV2.Sign(Secret, $"DELETE\n\n\n\nx-amz-date:{amzDate}\n/johnsmith/photos/puppy.jpg");
        HttpRequest Delete(string date, string amzDate, string signedAmzDate) => Request("DELETE", "s3.amazonaws.com", "/johnsmith/photos/puppy.jpg",
            ("Date", date), ("x-amz-date", amzDate), ("Authorization", $"AWS {AccessKey}:{Signature(signedAmzDate)}"));
        const string amz = "Tue, 27 Mar 2007 21:20:26 +0000";
        Verify(Verifier(At(amz)), Delete("Mon, 01 Jan 2001 00:00:00 GMT", amz, amz));
        Verify(Verifier(At(amz)), Delete("", amz, amz));
        Assert.Equal(S3Error.SignatureDoesNotMatch, Refused(Delete("", "Tue, 27 Mar 2007 21:20:27 +0000", amz), At(amz)).Error);
        // ISO 8601 basic is an x-amz-date too.
        Verify(Verifier(At(amz)), Delete("", "20070327T212026Z", "20070327T212026Z"));
    }

    [Fact]
    public void ADateOutsideFifteenMinutesIsSkewedAndNoDateIsRefused()
    {
        const string date = "Tue, 27 Mar 2007 19:36:42 +0000";
        var request = Request("GET", "johnsmith.s3.amazonaws.com", "/photos/puppy.jpg",
            ("Date", date), ("Authorization", $"AWS {AccessKey}:bWq2s1WEIj+Ydj0vQ697zp+IXMU="));
        Verify(Verifier(At(date).AddMinutes(14)), request);
        Verify(Verifier(At(date).AddMinutes(-14)), request);
        Assert.Equal(S3Error.RequestTimeTooSkewed, Refused(request, At(date).AddMinutes(16)).Error);
        Assert.Equal(S3Error.RequestTimeTooSkewed, Refused(request, At(date).AddMinutes(-16)).Error);
        var undated = Refused(Request("GET", "johnsmith.s3.amazonaws.com", "/photos/puppy.jpg",
            ("Authorization", $"AWS {AccessKey}:bWq2s1WEIj+Ydj0vQ697zp+IXMU=")), At(date));
        Assert.Equal((S3Error.AccessDenied, "AWS authentication requires a valid Date or x-amz-date header"), (undated.Error, undated.Message));
    }

    [Fact]
    public void APresignedUrlNeedsAllThreeParametersAndAnEpochExpiry()
    {
        var now = At("Tue, 27 Mar 2007 19:36:42 +0000");
        foreach (var target in new[]
        {
            "/photos/puppy.jpg?AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Signature=NpgCjnDzrM%2BWFzoENXmpNDUsSn8%3D",
            "/photos/puppy.jpg?Signature=NpgCjnDzrM%2BWFzoENXmpNDUsSn8%3D&Expires=1175139620",
        })
        {
            var missing = Refused(Request("GET", "johnsmith.s3.amazonaws.com", target), now);
            Assert.Equal((S3Error.AccessDenied, "Query-string authentication requires the Signature, Expires and AWSAccessKeyId parameters"), (missing.Error, missing.Message));
        }
        var notEpoch = Refused(Request("GET", "johnsmith.s3.amazonaws.com",
            "/photos/puppy.jpg?AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Signature=NpgCjnDzrM%2BWFzoENXmpNDUsSn8%3D&Expires=2007-03-29"), now);
        Assert.Equal((S3Error.AccessDenied, "Invalid date (should be seconds since epoch): 2007-03-29"), (notEpoch.Error, notEpoch.Message));
        // A '+' left unescaped decodes to a space, which base64 cannot hold: it is read back as the '+'.
        Verify(Verifier(now), Request("GET", "johnsmith.s3.amazonaws.com",
            "/photos/puppy.jpg?AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Signature=NpgCjnDzrM+WFzoENXmpNDUsSn8%3D&Expires=1175139620"));
    }

    [Fact]
    public void PresignedAmzParametersSignAsHeaders()
    {
        // botocore moves the x-amz-* and Content-Type headers it signed into the query string of a presigned URL.
        var signedAt = At("Tue, 27 Mar 2007 19:36:42 +0000");
        string signature = SigV2.Sign(Secret, "PUT\n\ntext/plain\n1175139620\nx-amz-acl:private\n/johnsmith/a.txt");
        string target = "/johnsmith/a.txt?AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Expires=1175139620&content-type=text%2Fplain&x-amz-acl=private&Signature="
            + Uri.EscapeDataString(signature);
        Verify(Verifier(signedAt), Request("PUT", "s3.amazonaws.com", target));
        Verify(Verifier(signedAt), Request("PUT", "s3.amazonaws.com", target, ("Content-Type", "text/plain")));
        Assert.Equal(S3Error.SignatureDoesNotMatch, Refused(Request("PUT", "s3.amazonaws.com", target, ("Content-Type", "text/html")), signedAt).Error);
        Assert.Equal(S3Error.SignatureDoesNotMatch, Refused(Request("PUT", "s3.amazonaws.com", target, ("x-amz-acl", "public-read")), signedAt).Error);
        Assert.Equal(S3Error.InvalidToken, Refused(Request("PUT", "s3.amazonaws.com", target + "&x-amz-security-token=t"), signedAt).Error);
    }

    [Fact]
    public void WithSignatureV2OffEveryFormIsTheDocumentedError()
    {
        const string date = "Tue, 27 Mar 2007 19:36:42 +0000";
        var off = new S3Options { AllowSignatureV2 = false, Domains = AwsHosts.Domains };
        var header = Request("GET", "johnsmith.s3.amazonaws.com", "/photos/puppy.jpg",
            ("Date", date), ("Authorization", $"AWS {AccessKey}:bWq2s1WEIj+Ydj0vQ697zp+IXMU="));
        var query = Request("GET", "johnsmith.s3.amazonaws.com",
            "/photos/puppy.jpg?AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Signature=NpgCjnDzrM%2BWFzoENXmpNDUsSn8%3D&Expires=1175139620");
        foreach (var request in new[] { header, query })
        {
            var refused = Refused(request, At(date), off);
            Assert.Equal(("InvalidRequest", 400), (refused.Error.Code, refused.Error.Status));
            Assert.Equal("The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.", refused.Message);
            // The admin API's overload never takes SigV2.
            Assert.Equal(S3Error.InvalidRequest, Assert.Throws<S3Exception>(() => Verifier(At(date)).Authenticate(request, "/photos/puppy.jpg",
                S3Request.ParseQuery(request.QueryString.HasValue ? request.QueryString.Value![1..] : ""))).Error);
        }
        var form = Assert.Throws<S3Exception>(() => Verifier(At(date)).AuthenticatePostPolicyV2(AccessKey, "e30=", SigV2.Sign(Secret, "e30="), off));
        Assert.Equal(S3Error.InvalidRequest, form.Error);
    }

    [Fact]
    public void APostPolicyIsSignedOverItsBase64()
    {
        const string policy = "eyJleHBpcmF0aW9uIjoiMjAwNy0xMi0wMVQxMjowMDowMC4wMDBaIiwiY29uZGl0aW9ucyI6W3siYnVja2V0Ijoiam9obnNtaXRoIn1dfQ==";
        var verifier = Verifier(DateTimeOffset.UnixEpoch);
        var auth = verifier.AuthenticatePostPolicyV2(AccessKey, policy, SigV2.Sign(Secret, policy), AwsHosts);
        Assert.Equal((AuthType.PostPolicy, SigV2.SignatureVersion), (auth.Type, auth.SignatureVersion));
        Assert.Equal(S3Error.SignatureDoesNotMatch, Assert.Throws<S3Exception>(() =>
            verifier.AuthenticatePostPolicyV2(AccessKey, policy[..^4], SigV2.Sign(Secret, policy), AwsHosts)).Error);
        Assert.Equal(S3Error.InvalidAccessKeyId, Assert.Throws<S3Exception>(() =>
            verifier.AuthenticatePostPolicyV2("AKIDUNKNOWN", policy, SigV2.Sign(Secret, policy), AwsHosts)).Error);
    }

    [Fact]
    public void SignedAwsChunkedBodiesNeedSigV4()
    {
        const string date = "Tue, 27 Mar 2007 21:15:45 +0000";
        HttpRequest Put(string payload) => Request("PUT", "s3.amazonaws.com", "/johnsmith/a", ("Date", date), ("x-amz-content-sha256", payload),
            ("Authorization", $"AWS {AccessKey}:{SigV2.Sign(Secret, $"PUT\n\n\n{date}\nx-amz-content-sha256:{payload}\n/johnsmith/a")}"));
        Assert.Equal(S3Error.InvalidRequest, Refused(Put(SigV4.StreamingPayload), At(date)).Error);
        Assert.Equal(SigV4.EmptySha256, Verify(Verifier(At(date)), Put(SigV4.EmptySha256)).PayloadHash);
        Assert.Equal(SigV4.StreamingUnsignedTrailer, Verify(Verifier(At(date)), Put(SigV4.StreamingUnsignedTrailer)).PayloadHash);
        Assert.Equal(SigV4.UnsignedPayload, Verify(Verifier(At(date)), Request("PUT", "s3.amazonaws.com", "/johnsmith/a", ("Date", date),
            ("Authorization", $"AWS {AccessKey}:{SigV2.Sign(Secret, $"PUT\n\n\n{date}\n/johnsmith/a")}"))).PayloadHash);
    }

    [Theory]
    [InlineData("GET", "/examplebucket/plain-key", null)]
    [InlineData("PUT", "/examplebucket/dir/ünï cöde+%.bin", null)]
    [InlineData("GET", "/examplebucket?versioning", null)]
    [InlineData("GET", "/k?uploadId=abc&partNumber=3", "examplebucket")]
    public void WhatTheClientSignerSignsTheServerVerifies(string method, string target, string? virtualHostBucket)
    {
        var now = DateTimeOffset.UtcNow;
        var signer = new SigV2Signer(AccessKey, Secret);
        int q = target.IndexOf('?');
        string path = q < 0 ? target : target[..q];
        string host = virtualHostBucket is null ? "s3.amazonaws.com" : virtualHostBucket + ".s3.amazonaws.com";
        var uri = new Uri($"http://{host}{SigV4.UriEncode(path, encodeSlash: false)}{(q < 0 ? "" : target[q..])}");
        using var message = new HttpRequestMessage(new HttpMethod(method), uri);
        message.Headers.TryAddWithoutValidation("x-amz-meta-Note", " two  spaces ");
        signer.Sign(message, virtualHostBucket, now);
        (string, string)[] headers = [.. message.Headers.NonValidated.SelectMany(h => h.Value.Select(v => (h.Key, v)))];
        Assert.Equal(AccessKey, Verify(Verifier(now), Request(method, host, uri.PathAndQuery, headers)).AccessKey);
        Assert.Equal(S3Error.SignatureDoesNotMatch, Refused(Request(method, host, uri.PathAndQuery + (q < 0 ? "?acl" : "&acl"), headers), now).Error);

        string url = signer.Presign(method, uri, now.AddMinutes(5), virtualHostBucket);
        Assert.Equal(AuthType.Query, Verify(Verifier(now), Request(method, host, new Uri(url).PathAndQuery)).Type);
        Assert.Equal(S3Error.AccessDenied, Refused(Request(method, host, new Uri(url).PathAndQuery), now.AddMinutes(6)).Error);
    }

    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
