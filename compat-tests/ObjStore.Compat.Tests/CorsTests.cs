using System.Net;
using Amazon.S3;
using Amazon.S3.Model;

namespace ObjStore.Compat.Tests;

/// <summary>
/// Bucket CORS through the SDK (Put/Get/DeleteCORSConfiguration) and as a browser meets it: unsigned OPTIONS
/// preflights and the Access-Control-* headers of actual requests, error answers included.
/// </summary>
[Collection(SharedEndpoint.Name)]
public sealed class CorsTests(S3Endpoint endpoint) : IAsyncLifetime, IDisposable
{
    private const string App = "https://app.example.com";

    private readonly AmazonS3Client _s3 = endpoint.Client();
    private readonly HttpClient _http = new();
    private readonly string _bucket = S3Endpoint.NewBucketName();

    /// <summary>A writer origin with a header list, then anyone may read (AWS's example shape).</summary>
    private static CORSConfiguration Configuration() => new()
    {
        Rules =
        [
            new CORSRule
            {
                Id = "writers",
                AllowedOrigins = [App],
                AllowedMethods = ["PUT", "POST", "DELETE"],
                AllowedHeaders = ["content-type", "x-amz-*"],
                ExposeHeaders = ["ETag", "x-amz-request-id"],
                MaxAgeSeconds = 3000,
            },
            new CORSRule { AllowedOrigins = ["*"], AllowedMethods = ["GET", "HEAD"] },
        ],
    };

    public async Task InitializeAsync()
    {
        await _s3.PutBucketAsync(_bucket);
        await _s3.PutObjectAsync(new PutObjectRequest { BucketName = _bucket, Key = "page.html", ContentBody = "<p>hi</p>" });
    }

    public Task DisposeAsync() => Task.CompletedTask;

    public void Dispose()
    {
        _s3.Dispose();
        _http.Dispose();
    }

    [Fact]
    public async Task PutGetAndDeleteThroughTheSdk()
    {
        await _s3.PutCORSConfigurationAsync(new PutCORSConfigurationRequest { BucketName = _bucket, Configuration = Configuration() });
        var rules = (await _s3.GetCORSConfigurationAsync(new GetCORSConfigurationRequest { BucketName = _bucket })).Configuration.Rules;
        Assert.Equal(2, rules.Count);
        Assert.Equal("writers", rules[0].Id);
        Assert.Equal([App], rules[0].AllowedOrigins);
        Assert.Equal(["PUT", "POST", "DELETE"], rules[0].AllowedMethods);
        Assert.Equal(["content-type", "x-amz-*"], rules[0].AllowedHeaders);
        Assert.Equal(["ETag", "x-amz-request-id"], rules[0].ExposeHeaders);
        Assert.Equal(3000, rules[0].MaxAgeSeconds);
        Assert.Equal(["GET", "HEAD"], rules[1].AllowedMethods);

        var deleted = await _s3.DeleteCORSConfigurationAsync(new DeleteCORSConfigurationRequest { BucketName = _bucket });
        Assert.Equal(HttpStatusCode.NoContent, deleted.HttpStatusCode);
        var again = await _s3.DeleteCORSConfigurationAsync(new DeleteCORSConfigurationRequest { BucketName = _bucket });
        Assert.Equal(HttpStatusCode.NoContent, again.HttpStatusCode);
        var e = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => _s3.GetCORSConfigurationAsync(new GetCORSConfigurationRequest { BucketName = _bucket }));
        Assert.Equal(("NoSuchCORSConfiguration", HttpStatusCode.NotFound), (e.ErrorCode, e.StatusCode));
    }

    [Fact]
    public async Task AMissingBucketIsNoSuchBucket()
    {
        string missing = S3Endpoint.NewBucketName();
        var get = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => _s3.GetCORSConfigurationAsync(new GetCORSConfigurationRequest { BucketName = missing }));
        Assert.Equal("NoSuchBucket", get.ErrorCode);
        var put = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() =>
            _s3.PutCORSConfigurationAsync(new PutCORSConfigurationRequest { BucketName = missing, Configuration = Configuration() }));
        Assert.Equal("NoSuchBucket", put.ErrorCode);
        var delete = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => _s3.DeleteCORSConfigurationAsync(new DeleteCORSConfigurationRequest { BucketName = missing }));
        Assert.Equal("NoSuchBucket", delete.ErrorCode);
    }

    public static TheoryData<string, int, string> BadConfigurations => new()
    {
        { "none", 0, "MalformedXML" },
        { "too-many", 101, "MalformedXML" },
        { "PATCH", 1, "InvalidRequest" },
    };

    [Theory]
    [MemberData(nameof(BadConfigurations))]
    public async Task ABadConfigurationIsItsDocumentedError(string kind, int count, string code)
    {
        string method = kind == "PATCH" ? "PATCH" : "GET";
        var configuration = new CORSConfiguration
        {
            Rules = [.. Enumerable.Range(0, count).Select(_ => new CORSRule { AllowedOrigins = ["*"], AllowedMethods = [method] })],
        };
        var e = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() =>
            _s3.PutCORSConfigurationAsync(new PutCORSConfigurationRequest { BucketName = _bucket, Configuration = configuration }));
        Assert.Equal((code, HttpStatusCode.BadRequest), (e.ErrorCode, e.StatusCode));
        if (kind == "PATCH")
        {
            Assert.Equal("Found unsupported HTTP method in CORS config. Unsupported method is PATCH", e.Message);
        }
    }

    [Fact]
    public async Task AnAllowedPreflightIsAnsweredWithoutSignature()
    {
        await PutConfigurationAsync();
        using var response = await PreflightAsync("page.html", App, "PUT", "Content-Type, x-amz-date");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(App, Header(response, "Access-Control-Allow-Origin"));
        Assert.Equal("PUT, POST, DELETE", Header(response, "Access-Control-Allow-Methods"));
        Assert.Equal("Content-Type, x-amz-date", Header(response, "Access-Control-Allow-Headers"));
        Assert.Equal("ETag, x-amz-request-id", Header(response, "Access-Control-Expose-Headers"));
        Assert.Equal("3000", Header(response, "Access-Control-Max-Age"));
        Assert.Equal("true", Header(response, "Access-Control-Allow-Credentials"));
        Assert.Equal("Origin, Access-Control-Request-Headers, Access-Control-Request-Method", Header(response, "Vary"));

        // On the bucket itself too, and the catch-all rule answers "*" without credentials.
        using var anyone = await PreflightAsync(null, "https://elsewhere.example", "GET", null);
        Assert.Equal(HttpStatusCode.OK, anyone.StatusCode);
        Assert.Equal("*", Header(anyone, "Access-Control-Allow-Origin"));
        Assert.Equal("GET, HEAD", Header(anyone, "Access-Control-Allow-Methods"));
        Assert.Null(Header(anyone, "Access-Control-Allow-Credentials"));
        Assert.Null(Header(anyone, "Access-Control-Allow-Headers"));
    }

    [Theory]
    [InlineData("https://evil.example", "PUT", null)] // origin not allowed to write
    [InlineData(App, "PATCH", null)] // a method no rule allows... and S3 does not serve
    [InlineData(App, "PUT", "authorization")] // a header no rule allows
    [InlineData("https://app.example.com.evil", "DELETE", null)]
    public async Task APreflightNoRuleAllowsIsForbidden(string origin, string method, string? headers)
    {
        await PutConfigurationAsync();
        using var response = await PreflightAsync("page.html", origin, method, headers);
        string body = await response.Content.ReadAsStringAsync();
        if (method == "PATCH")
        {
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Contains("<Message>Invalid Access-Control-Request-Method: PATCH</Message>", body, StringComparison.Ordinal);
            return;
        }
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains("<Code>AccessForbidden</Code>", body, StringComparison.Ordinal);
        Assert.Contains("CORSResponse: This CORS request is not allowed.", body, StringComparison.Ordinal);
        Assert.Null(Header(response, "Access-Control-Allow-Origin"));
    }

    [Fact]
    public async Task APreflightOnABucketWithoutCorsIsForbidden()
    {
        using var response = await PreflightAsync("page.html", App, "GET", null);
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        string body = await response.Content.ReadAsStringAsync();
        Assert.Contains("<Code>AccessForbidden</Code>", body, StringComparison.Ordinal);
        Assert.Contains("<Message>CORSResponse: CORS is not enabled for this bucket.</Message>", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task APreflightWithoutOriginOrMethodIsBadRequest()
    {
        await PutConfigurationAsync();
        using var noOrigin = await PreflightAsync("page.html", null, "GET", null);
        Assert.Equal(HttpStatusCode.BadRequest, noOrigin.StatusCode);
        string body = await noOrigin.Content.ReadAsStringAsync();
        Assert.Contains("<Code>BadRequest</Code>", body, StringComparison.Ordinal);
        Assert.Contains("<Message>Insufficient information. Origin request header needed.</Message>", body, StringComparison.Ordinal);

        using var noMethod = await PreflightAsync("page.html", App, null, null);
        Assert.Equal(HttpStatusCode.BadRequest, noMethod.StatusCode);
        Assert.Contains("<Message>Invalid Access-Control-Request-Method: null</Message>", await noMethod.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnActualRequestFromAnAllowedOriginGetsTheRulesHeaders()
    {
        await PutConfigurationAsync();
        using var get = await WithOriginAsync("page.html", "https://reader.example");
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Equal("<p>hi</p>", await get.Content.ReadAsStringAsync());
        Assert.Equal("*", Header(get, "Access-Control-Allow-Origin"));
        Assert.Equal("GET, HEAD", Header(get, "Access-Control-Allow-Methods"));
        Assert.Equal("Origin, Access-Control-Request-Headers, Access-Control-Request-Method", Header(get, "Vary"));

        // No Origin: no CORS headers at all.
        using var plain = await _http.GetAsync(PresignedGet("page.html"));
        Assert.Equal(HttpStatusCode.OK, plain.StatusCode);
        Assert.Null(Header(plain, "Access-Control-Allow-Origin"));
    }

    [Fact]
    public async Task AnErrorAnswerKeepsTheHeaders()
    {
        await _s3.PutCORSConfigurationAsync(new PutCORSConfigurationRequest
        {
            BucketName = _bucket,
            Configuration = new CORSConfiguration
            {
                Rules = [new CORSRule { AllowedOrigins = ["https://*.example.com"], AllowedMethods = ["GET"], ExposeHeaders = ["x-amz-request-id"], MaxAgeSeconds = 60 }],
            },
        });
        using var missing = await WithOriginAsync("no-such-key", App);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Contains("<Code>NoSuchKey</Code>", await missing.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(App, Header(missing, "Access-Control-Allow-Origin"));
        Assert.Equal("GET", Header(missing, "Access-Control-Allow-Methods"));
        Assert.Equal("x-amz-request-id", Header(missing, "Access-Control-Expose-Headers"));
        Assert.Equal("60", Header(missing, "Access-Control-Max-Age"));
        Assert.Equal("true", Header(missing, "Access-Control-Allow-Credentials"));

        // An origin the rule does not match gets the answer, without the headers.
        using var other = await WithOriginAsync("page.html", "https://example.org");
        Assert.Equal(HttpStatusCode.OK, other.StatusCode);
        Assert.Null(Header(other, "Access-Control-Allow-Origin"));
    }

    private async Task PutConfigurationAsync() =>
        await _s3.PutCORSConfigurationAsync(new PutCORSConfigurationRequest { BucketName = _bucket, Configuration = Configuration() });

    private async Task<HttpResponseMessage> PreflightAsync(string? key, string? origin, string? method, string? headers)
    {
        using var request = new HttpRequestMessage(HttpMethod.Options, $"{endpoint.Url}/{_bucket}/{key}");
        if (origin is not null)
        {
            request.Headers.Add("Origin", origin);
        }
        if (method is not null)
        {
            request.Headers.Add("Access-Control-Request-Method", method);
        }
        if (headers is not null)
        {
            request.Headers.Add("Access-Control-Request-Headers", headers);
        }
        return await _http.SendAsync(request);
    }

    private async Task<HttpResponseMessage> WithOriginAsync(string key, string origin)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, PresignedGet(key));
        request.Headers.Add("Origin", origin);
        return await _http.SendAsync(request);
    }

    private string PresignedGet(string key) => _s3.GetPreSignedURL(new GetPreSignedUrlRequest
    {
        BucketName = _bucket, Key = key, Expires = DateTime.UtcNow.AddMinutes(5), Protocol = Protocol.HTTP,
    });

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) || response.Content.Headers.TryGetValues(name, out values)
            ? string.Join(", ", values)
            : null;
}
