using System.Net;
using ObjStore.WebConsole;

namespace ObjStore.Integration.Tests;

/// <summary>The web console's static files as the store serves them: types, CSP, ETags, and the way in from /.</summary>
public sealed class ConsoleEndpointTests
{
    [Fact]
    public async Task TheConsoleFilesComeWithTheirTypesACspAndETagsThatRevalidate()
    {
        await using var server = await DevServer.StartAsync("2+1");
        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false });
        foreach (var (file, type) in new[]
        {
            ("", "text/html"), ("index.html", "text/html"), ("app.js", "text/javascript"), ("sigv4.js", "text/javascript"),
            ("s3.js", "text/javascript"), ("admin.js", "text/javascript"), ("console.css", "text/css"), ("config.json", "application/json"),
        })
        {
            using var response = await http.GetAsync(new Uri($"{server.Url}/_objstore/console/{file}"));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(type, response.Content.Headers.ContentType?.MediaType);
            Assert.Equal(ConsoleEndpoint.ContentSecurityPolicy, string.Join(",", response.Headers.GetValues("Content-Security-Policy")));
            Assert.Equal("nosniff", string.Join(",", response.Headers.GetValues("X-Content-Type-Options")));
            // What keeps another document of this origin (an uploaded HTML object) from scripting the page: it
            // cannot frame it, and a window it opens to the console is in another browsing context group.
            Assert.Contains("frame-ancestors 'none'", ConsoleEndpoint.ContentSecurityPolicy, StringComparison.Ordinal);
            Assert.Equal("same-origin", string.Join(",", response.Headers.GetValues("Cross-Origin-Opener-Policy")));
            Assert.Equal("DENY", string.Join(",", response.Headers.GetValues("X-Frame-Options")));
            Assert.True(response.Headers.CacheControl?.NoCache);
            var etag = response.Headers.ETag!;
            Assert.False(etag.IsWeak);

            using var again = new HttpRequestMessage(HttpMethod.Get, new Uri($"{server.Url}/_objstore/console/{file}"));
            again.Headers.IfNoneMatch.Add(etag);
            using var revalidated = await http.SendAsync(again);
            Assert.Equal(HttpStatusCode.NotModified, revalidated.StatusCode);
        }
        Assert.Contains("\"region\":\"us-east-1\"", await http.GetStringAsync(new Uri($"{server.Url}/_objstore/console/config.json")), StringComparison.Ordinal);

        using var missing = await http.GetAsync(new Uri($"{server.Url}/_objstore/console/nope.js"));
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        using var post = await http.PostAsync(new Uri($"{server.Url}/_objstore/console/app.js"), null);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, post.StatusCode);
        using var folder = await http.GetAsync(new Uri($"{server.Url}/_objstore/console"));
        Assert.Equal("/_objstore/console/", folder.Headers.Location?.OriginalString);
    }

    [Fact]
    public async Task ABrowserAtTheRootIsSentToTheConsoleAndS3ClientsAreNot()
    {
        await using var server = await DevServer.StartAsync("2+1");
        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false });
        using var browser = new HttpRequestMessage(HttpMethod.Get, new Uri(server.Url + "/"));
        // What a browser too old for Sec-Fetch headers sends for a page (Safari before 16.4, Firefox before 90).
        browser.Headers.TryAddWithoutValidation("Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8");
        using var redirected = await http.SendAsync(browser);
        Assert.Equal(HttpStatusCode.Found, redirected.StatusCode);
        Assert.Equal("/_objstore/console/", redirected.Headers.Location?.OriginalString);

        Assert.Contains("Accept", string.Join(",", redirected.Headers.Vary), StringComparison.Ordinal);

        // A navigation as today's browsers announce it, whatever the Accept.
        var navigation = await SendAsync(http, server.Url + "/",
            [new("Accept", "*/*"), new("Sec-Fetch-Mode", "navigate"), new("Sec-Fetch-Dest", "document"), new("Sec-Fetch-Site", "none")]);
        Assert.Equal(302, navigation.Status);
        // A fetch() from some page of a browser is no navigation, though it asks for HTML.
        var fetched = await SendAsync(http, server.Url + "/", [new("Accept", "text/html"), new("Sec-Fetch-Mode", "cors"), new("Sec-Fetch-Dest", "empty")]);
        Assert.Equal(403, fetched.Status);
        Assert.Contains("<Code>AccessDenied</Code>", fetched.Body, StringComparison.Ordinal);
        // Java's HttpURLConnection names text/html first among what it accepts, without Sec-Fetch headers: S3's answer.
        var java = await SendAsync(http, server.Url + "/", [new("Accept", "text/html, image/gif, image/jpeg, *; q=.2, */*; q=.2")]);
        Assert.Equal(403, java.Status);
        Assert.Contains("<Code>AccessDenied</Code>", java.Body, StringComparison.Ordinal);
        foreach (string accept in new[] { "application/xml, text/html", "text/html", "text/html;q=0.9, application/xhtml+xml" })
        {
            Assert.Equal(403, (await SendAsync(http, server.Url + "/", [new("Accept", accept)])).Status);
        }
        var withQuery = await SendAsync(http, server.Url + "/?x-id=ListBuckets", [new("Sec-Fetch-Mode", "navigate"), new("Accept", "text/html")]);
        Assert.Equal(403, withQuery.Status);

        using var anonymous = await http.GetAsync(new Uri(server.Url + "/")); // no Accept: text/html: S3's answer
        Assert.Equal(HttpStatusCode.Forbidden, anonymous.StatusCode);
        var signed = await RawS3.SendSignedAsync(server, "GET", "/", signed: [new("accept", "text/html")]);
        Assert.Equal(200, signed.Status);
        Assert.Contains("<ListAllMyBucketsResult", signed.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AVirtualHostedGetOfTheRootListsTheBucketEvenFromABrowser()
    {
        await using var server = await DevServer.StartAsync("2+1");
        using (var s3 = server.Client())
        {
            await s3.PutBucketAsync("site");
            await s3.PutObjectAsync(new Amazon.S3.Model.PutObjectRequest { BucketName = "site", Key = "index.txt", ContentBody = "x" });
            await s3.DeletePublicAccessBlockAsync(new Amazon.S3.Model.DeletePublicAccessBlockRequest { BucketName = "site" });
            await s3.PutBucketPolicyAsync(new Amazon.S3.Model.PutBucketPolicyRequest
            {
                BucketName = "site",
                Policy = """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:ListBucket","Resource":"arn:aws:s3:::site"}]}""",
            });
        }
        string host = "site.localhost:" + new Uri(server.Url).Port;
        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false });
        foreach (var headers in new List<KeyValuePair<string, string>>[]
        {
            [new("Host", host), new("Accept", "text/html,application/xhtml+xml"), new("Sec-Fetch-Mode", "navigate"), new("Sec-Fetch-Dest", "document")],
            [new("Host", host), new("Accept", "text/html,application/xhtml+xml,*/*;q=0.8")],
        })
        {
            var listed = await SendAsync(http, server.Url + "/", headers);
            Assert.Equal(200, listed.Status);
            Assert.Contains("<ListBucketResult", listed.Body, StringComparison.Ordinal);
            Assert.Contains("<Key>index.txt</Key>", listed.Body, StringComparison.Ordinal);
        }
    }

    /// <summary>A GET with exactly these headers, redirects not followed.</summary>
    private static async Task<(int Status, string Body)> SendAsync(HttpClient http, string url, IEnumerable<KeyValuePair<string, string>> headers)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        foreach (var (name, value) in headers)
        {
            if (name == "Host")
            {
                request.Headers.Host = value;
            }
            else
            {
                request.Headers.TryAddWithoutValidation(name, value);
            }
        }
        using var response = await http.SendAsync(request);
        return ((int)response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("http://127.0.0.1:9000", false)]
    [InlineData("http://localhost:9000", false)]
    [InlineData("http://[::1]:9000", false)]
    [InlineData("https://0.0.0.0:9000", false)]
    [InlineData("https://s3.example.com", false)]
    [InlineData("http://0.0.0.0:9000", true)]
    [InlineData("http://192.0.2.10:9000", true)]
    [InlineData("http://s3.example.com", true)]
    [InlineData("http://*:9000", true)]
    public void TheBannerWarnsOfPlainHttpOnAHostThatIsNotLoopback(string listen, bool warned)
    {
        string? note = ConsoleEndpoint.InsecureContextNote(listen);
        Assert.Equal(warned, note is not null);
        if (note is not null)
        {
            Assert.DoesNotContain('\n', note);
            Assert.Contains("localhost/127.0.0.1", note, StringComparison.Ordinal);
        }
    }
}
