using System.Net;
using System.Net.Http.Headers;
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
        browser.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/html"));
        using var redirected = await http.SendAsync(browser);
        Assert.Equal(HttpStatusCode.Found, redirected.StatusCode);
        Assert.Equal("/_objstore/console/", redirected.Headers.Location?.OriginalString);

        using var anonymous = await http.GetAsync(new Uri(server.Url + "/")); // no Accept: text/html: S3's answer
        Assert.Equal(HttpStatusCode.Forbidden, anonymous.StatusCode);
        var signed = await RawS3.SendSignedAsync(server, "GET", "/", signed: [new("accept", "text/html")]);
        Assert.Equal(200, signed.Status);
        Assert.Contains("<ListAllMyBucketsResult", signed.Body, StringComparison.Ordinal);
    }
}
