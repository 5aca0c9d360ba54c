using System.Security.Cryptography;
using System.Text.Json;
using Amazon.S3;
using Amazon.S3.Model;
using Microsoft.Playwright;
using ObjStore.S3.Auth;
using static Microsoft.Playwright.Assertions;

namespace ObjStore.Browser.Tests;

/// <summary>
/// The web console in headless Chromium against <c>objstore dev</c>: sign in, buckets, a 20 MiB multipart upload
/// whose progress bar reaches 100%, the download compared byte for byte, previews, a shared link, pagination,
/// versions, errors shown, deletes; and users and keys. Screenshots of each step go to screenshots/.
/// </summary>
public sealed class ConsoleTests(BrowserFixture fixture) : IClassFixture<BrowserFixture>
{
    [Fact]
    public async Task BucketsAndObjectsFromSignInToDelete()
    {
        using var files = new TempFolder("objstore-console-");
        string big = files.Combine("big.bin");
        byte[] bigBytes = RandomNumberGenerator.GetBytes(20 << 20);
        await File.WriteAllBytesAsync(big, bigBytes);
        string hello = files.Combine("hello.txt");
        await File.WriteAllTextAsync(hello, "hello from the console test\n");
        string bucket = "console-" + Guid.NewGuid().ToString("N")[..10];

        var page = await ConsolePage.OpenAsync(fixture.Browser, fixture.Endpoint);
        try
        {
            await ConsolePage.ScreenshotAsync(page, "console-01-signin");
            // Wrong keys: S3's error is shown, and the page stays on the sign-in form.
            await page.Locator("#access-key").FillAsync(BrowserFixture.AccessKey);
            await page.Locator("#secret-key").FillAsync("not-the-secret");
            await page.Locator("#signin").ClickAsync();
            await Expect(page.Locator("#error-text")).ToContainTextAsync("SignatureDoesNotMatch");
            await page.Locator("#error-close").ClickAsync();
            await ConsolePage.SignInAsync(page, BrowserFixture.AccessKey, BrowserFixture.SecretKey);
            Assert.Empty(await page.EvaluateAsync<string[]>("() => document.cookie ? [document.cookie] : []"));
            // The keys are in the page's memory only: nothing another document of this origin could read.
            Assert.Equal(0, await page.EvaluateAsync<int>("() => sessionStorage.length"));
            Assert.Equal(0, await page.EvaluateAsync<int>("() => localStorage.length"));

            await page.Locator("#new-bucket").FillAsync(bucket);
            await page.Locator("#create-bucket").ClickAsync();
            var bucketRow = page.Locator($"#buckets tr[data-bucket='{bucket}']");
            await Expect(bucketRow).ToBeVisibleAsync();
            await ConsolePage.ScreenshotAsync(page, "console-02-bucket-created");
            await page.Locator("#new-bucket").FillAsync("Not_A_Bucket");
            await page.Locator("#create-bucket").ClickAsync();
            await Expect(page.Locator("#error-text")).ToContainTextAsync("InvalidBucketName");
            await page.Locator("#error-close").ClickAsync();

            await bucketRow.Locator("a.bucket-link").ClickAsync();
            await Expect(page.Locator("#view-objects")).ToBeVisibleAsync();
            await Expect(page.Locator("#objects tbody")).ToContainTextAsync("The bucket is empty.");

            // Every percentage the page shows, recorded as it changes.
            await page.EvaluateAsync("""
                () => {
                  window.percentsSeen = [];
                  new MutationObserver(() => window.percentsSeen.push(document.getElementById("upload-percent").textContent))
                    .observe(document.getElementById("upload-percent"), { childList: true, characterData: true, subtree: true });
                }
                """);
            await page.Locator("#upload-input").SetInputFilesAsync([big, hello]);
            await Expect(page.Locator("#upload-percent")).ToHaveTextAsync("100%", new() { Timeout = 60_000 });
            await Expect(page.Locator("#upload-status")).ToHaveTextAsync("Uploaded 2 files (20.0 MiB)");
            await Expect(page.Locator("#upload-progress")).ToHaveJSPropertyAsync("value", 100);
            var percents = await page.EvaluateAsync<string[]>("() => window.percentsSeen");
            Assert.Contains(percents, p => int.Parse(p.TrimEnd('%'), System.Globalization.CultureInfo.InvariantCulture) is > 0 and < 100);
            var bigRow = page.Locator("#objects tr[data-key='big.bin']");
            await Expect(bigRow).ToContainTextAsync("20.0 MiB");
            await ConsolePage.ScreenshotAsync(page, "console-03-uploaded");
            var head = await fixture.S3.GetObjectMetadataAsync(bucket, "big.bin");
            Assert.EndsWith("-3\"", head.ETag, StringComparison.Ordinal); // 8 + 8 + 4 MiB parts

            var download = await page.RunAndWaitForDownloadAsync(() => bigRow.Locator("button.download").ClickAsync());
            Assert.Equal("big.bin", download.SuggestedFilename);
            string saved = files.Combine("downloaded.bin");
            await download.SaveAsAsync(saved);
            Assert.Equal(SHA256.HashData(bigBytes), SHA256.HashData(await File.ReadAllBytesAsync(saved)));

            var helloRow = page.Locator("#objects tr[data-key='hello.txt']");
            await helloRow.Locator("button.preview").ClickAsync();
            await Expect(page.Locator("#preview-text")).ToHaveTextAsync("hello from the console test\n");
            await ConsolePage.ScreenshotAsync(page, "console-04-preview");

            await helloRow.Locator("button.share").ClickAsync();
            await page.Locator("#share-expiry").SelectOptionAsync("86400");
            await Expect(page.Locator("#share-url")).ToHaveValueAsync(new System.Text.RegularExpressions.Regex("X-Amz-Expires=86400.*X-Amz-Signature="));
            string link = await page.Locator("#share-url").InputValueAsync();
            using (var http = new HttpClient())
            {
                Assert.Equal("hello from the console test\n", await http.GetStringAsync(new Uri(link))); // no keys: the link alone
            }
            await ConsolePage.ScreenshotAsync(page, "console-05-share");
            Assert.DoesNotContain("response-content-disposition", link, StringComparison.Ordinal); // plain text opens in the browser
            await Expect(page.Locator("#share-download-note")).ToBeHiddenAsync();
            await page.Locator("#share-close").ClickAsync();

            // A shared link to a type that can run script (HTML, SVG, XML) downloads it instead of rendering it.
            foreach (var (name, type) in new[] { ("page.html", "text/html; charset=utf-8"), ("art.svg", "image/svg+xml"), ("doc.xml", "application/xml") })
            {
                await fixture.S3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = name, ContentBody = "<x/>", ContentType = type });
            }
            await page.EvaluateAsync("() => { location.hash = location.hash + ''; window.dispatchEvent(new HashChangeEvent('hashchange')); }");
            foreach (string name in new[] { "page.html", "art.svg", "doc.xml" })
            {
                var row = page.Locator($"#objects tr[data-key='{name}']");
                await row.Locator("button.share").ClickAsync();
                await Expect(page.Locator("#share-url")).ToHaveValueAsync(new System.Text.RegularExpressions.Regex("response-content-disposition=attachment.*X-Amz-Signature="));
                await Expect(page.Locator("#share-download-note")).ToBeVisibleAsync();
                string activeLink = await page.Locator("#share-url").InputValueAsync();
                using (var http = new HttpClient())
                {
                    using var response = await http.GetAsync(new Uri(activeLink));
                    Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
                    Assert.Equal("attachment", response.Content.Headers.ContentDisposition?.DispositionType);
                }
                await page.Locator("#share-close").ClickAsync();
                await fixture.S3.DeleteObjectAsync(bucket, name);
            }

            await helloRow.Locator("button.delete").ClickAsync();
            await Expect(helloRow).ToHaveCountAsync(0);
            await Expect(page.Locator("#notice")).ToHaveTextAsync("Deleted hello.txt.");
            var gone = await Assert.ThrowsAsync<AmazonS3Exception>(() => fixture.S3.GetObjectMetadataAsync(bucket, "hello.txt"));
            Assert.Equal(System.Net.HttpStatusCode.NotFound, gone.StatusCode);

            // A folder of 25 keys, 20 a page: the next page holds the other 5 (continuation tokens).
            await Task.WhenAll(Enumerable.Range(0, 25).Select(i => fixture.S3.PutObjectAsync(new PutObjectRequest
            {
                BucketName = bucket, Key = $"many/item-{i:D2}.txt", ContentBody = $"item {i}",
            })));
            await page.Locator("#page-size").SelectOptionAsync("20");
            await page.GotoAsync($"{fixture.Endpoint}/_objstore/console/#b/{bucket}/");
            var folder = page.Locator("#objects tr.folder[data-prefix='many/'] a");
            await folder.ClickAsync();
            await Expect(page.Locator("#breadcrumbs")).ToContainTextAsync("many");
            await Expect(page.Locator("#objects tr.object")).ToHaveCountAsync(20);
            await Expect(page.Locator("#next-page")).ToBeEnabledAsync();
            await page.Locator("#next-page").ClickAsync();
            await Expect(page.Locator("#objects tr.object")).ToHaveCountAsync(5);
            await Expect(page.Locator("#page-number")).ToHaveTextAsync("page 2");
            await Expect(page.Locator("#next-page")).ToBeDisabledAsync();
            await page.Locator("#prev-page").ClickAsync();
            await Expect(page.Locator("#objects tr[data-key='many/item-00.txt']")).ToBeVisibleAsync();
            await ConsolePage.ScreenshotAsync(page, "console-06-pages");

            // Versioning on: the versions of a key, newest first, and a delete marker.
            await fixture.S3.PutBucketVersioningAsync(new PutBucketVersioningRequest
            {
                BucketName = bucket, VersioningConfig = new S3BucketVersioningConfig { Status = VersionStatus.Enabled },
            });
            await fixture.S3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "v.txt", ContentBody = "one" });
            await fixture.S3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "v.txt", ContentBody = "two" });
            await fixture.S3.DeleteObjectAsync(bucket, "v.txt");
            await page.Locator("#crumb-bucket").ClickAsync();
            await Expect(page.Locator("#versioning-status")).ToHaveTextAsync("Versioning: Enabled");
            await page.Locator("#show-versions").CheckAsync();
            var versions = page.Locator("#objects tr.version[data-key='v.txt']");
            await Expect(versions).ToHaveCountAsync(3);
            await Expect(versions.Nth(0)).ToContainTextAsync("delete marker");
            await Expect(page.Locator("#objects tr.version.delete-marker")).ToHaveCountAsync(1);
            await ConsolePage.ScreenshotAsync(page, "console-07-versions");
            await versions.Nth(2).Locator("button.preview").ClickAsync(); // the oldest version
            await Expect(page.Locator("#preview-text")).ToHaveTextAsync("one");

            // A bucket that is not empty cannot go: S3's BucketNotEmpty is shown.
            await page.Locator("#nav-buckets").ClickAsync();
            await bucketRow.Locator("button.delete-bucket").ClickAsync();
            await Expect(page.Locator("#error-text")).ToContainTextAsync("BucketNotEmpty");
            await ConsolePage.ScreenshotAsync(page, "console-08-error");
        }
        finally
        {
            await page.Context.CloseAsync();
        }
    }

    /// <summary>
    /// sigv4.js against AWS's documented examples (sigv4-header-based-auth, sigv4-query-string-auth: examplebucket,
    /// 24 May 2013) and against the server's own canonical request for a key and query full of characters to encode.
    /// </summary>
    [Fact]
    public async Task ThePagesSignaturesAreTheOnesAwsDocumentsAndTheServerChecks()
    {
        var page = await ConsolePage.OpenAsync(fixture.Browser, fixture.Endpoint);
        try
        {
            const string Example = """{ accessKey: "AKIAIOSFODNN7EXAMPLE", secretKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", region: "us-east-1" }""";
            string presigned = await page.EvaluateAsync<string>($$"""
                async () => {
                  const { presign } = await import("./sigv4.js");
                  return presign({{Example}}, { path: "/test.txt", host: "examplebucket.s3.amazonaws.com",
                    now: new Date("2013-05-24T00:00:00Z"), expiresSeconds: 86400 });
                }
                """);
            Assert.EndsWith("/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
                + "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host"
                + "&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404", presigned, StringComparison.Ordinal);

            string headerSigned = await page.EvaluateAsync<string>($$"""
                async () => {
                  const { signRequest } = await import("./sigv4.js");
                  const signed = await signRequest({{Example}}, { method: "GET", path: "/test.txt", headers: { Range: "bytes=0-9" },
                    host: "examplebucket.s3.amazonaws.com", now: new Date("2013-05-24T00:00:00Z") });
                  return signed.headers.authorization;
                }
                """);
            Assert.Equal("AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
                + "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41",
                headerSigned);

            // A key and a query with spaces, reserved and non-ASCII characters: the server's canonical form.
            const string Path = "/bucket/a b+c(1)!*'~é/ü 2.txt";
            var query = new List<KeyValuePair<string, string>> { new("versionId", "x/y z+"), new("prefix", ""), new("list-type", "2") };
            var js = await page.EvaluateAsync<JsonElement>("""
                async ({ path, query }) => {
                  const { signRequest } = await import("./sigv4.js");
                  const signed = await signRequest({ accessKey: "k", secretKey: "s", region: "eu-west-1" },
                    { method: "PUT", path, query, payloadHash: "UNSIGNED-PAYLOAD", host: "127.0.0.1:9000", now: new Date("2026-12-02T06:00:00Z") });
                  return { url: signed.url, signature: signed.signature };
                }
                """, new { path = Path, query = query.Select(p => new[] { p.Key, p.Value }).ToArray() });
            string canonical = SigV4.CanonicalRequest("PUT", Path, query,
                [new("host", "127.0.0.1:9000"), new("x-amz-content-sha256", SigV4.UnsignedPayload), new("x-amz-date", "20261202T060000Z")], SigV4.UnsignedPayload);
            string expected = SigV4.Sign(SigV4.SigningKey("s", "20261202", "eu-west-1", "s3"),
                SigV4.StringToSign("20261202T060000Z", "20261202/eu-west-1/s3/aws4_request", canonical));
            Assert.Equal(expected, js.GetProperty("signature").GetString());
            Assert.EndsWith("/bucket/a%20b%2Bc%281%29%21%2A%27~%C3%A9/%C3%BC%202.txt?list-type=2&prefix=&versionId=x%2Fy%20z%2B",
                js.GetProperty("url").GetString(), StringComparison.Ordinal);

            // A browser drops "." and ".." segments from a URL before sending it: such keys are refused, not signed
            // as one path and sent as another. "//" and dots inside a segment are sent as they are, so they are signed.
            var dots = await page.EvaluateAsync<JsonElement>("""
                async () => {
                  const { signRequest, presign } = await import("./sigv4.js");
                  const c = { accessKey: "k", secretKey: "s", region: "us-east-1" };
                  const outcome = async f => { try { return "ok " + await f(); } catch (e) { return "refused " + e.message; } };
                  return {
                    parent: await outcome(async () => (await signRequest(c, { method: "GET", path: "/b/a/../x" })).url),
                    current: await outcome(() => presign(c, { path: "/b/./x" })),
                    trailing: await outcome(async () => (await signRequest(c, { method: "GET", path: "/b/x/.." })).url),
                    double: await outcome(async () => new URL((await signRequest(c, { method: "GET", path: "/b/a//x" })).url).pathname),
                    inner: await outcome(async () => new URL((await signRequest(c, { method: "GET", path: "/b/a..b/.x" })).url).pathname),
                  };
                }
                """);
            foreach (string name in new[] { "parent", "current", "trailing" })
            {
                Assert.StartsWith("refused ", dots.GetProperty(name).GetString(), StringComparison.Ordinal);
                Assert.Contains("segment", dots.GetProperty(name).GetString(), StringComparison.Ordinal);
            }
            Assert.Equal("ok /b/a//x", dots.GetProperty("double").GetString());
            Assert.Equal("ok /b/a..b/.x", dots.GetProperty("inner").GetString());

            // The admin API's path parts (user names, keys) stay one segment each, encoded.
            var admin = await page.EvaluateAsync<JsonElement>("""
                async () => {
                  const { AdminClient } = await import("./admin.js");
                  const seen = [];
                  const realFetch = window.fetch;
                  window.fetch = async url => { seen.push(String(url)); return new Response("{}", { status: 200 }); };
                  try {
                    const client = new AdminClient({ accessKey: "k", secretKey: "s", region: "us-east-1" });
                    await client.deleteUser("a b?#é");
                    let refused = "";
                    try { await client.createKey("x/../y"); } catch (e) { refused = e.code; }
                    return { url: seen[0], refused, calls: seen.length };
                  } finally {
                    window.fetch = realFetch;
                  }
                }
                """);
            Assert.EndsWith("/_objstore/admin/users/a%20b%3F%23%C3%A9", admin.GetProperty("url").GetString(), StringComparison.Ordinal);
            Assert.Equal(("InvalidName", 1), (admin.GetProperty("refused").GetString(), admin.GetProperty("calls").GetInt32()));
        }
        finally
        {
            await page.Context.CloseAsync();
        }
    }

    [Fact]
    public async Task OverPlainHttpFromAHostThatIsNotLoopbackThePageSaysToUseHttpsInsteadOfFailing()
    {
        // console.test resolves to the endpoint's loopback address, but a browser does not count it as loopback:
        // the page is no secure context there, and has no crypto.subtle.
        int port = new Uri(fixture.Endpoint).Port;
        await using var browser = await fixture.Driver.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = BrowserFixture.ChromiumPath,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--host-resolver-rules=MAP console.test 127.0.0.1"],
        });
        var page = await ConsolePage.OpenAsync(browser, $"http://console.test:{port}");
        try
        {
            Assert.False(await page.EvaluateAsync<bool>("() => window.isSecureContext"));
            await Expect(page.Locator("#insecure")).ToBeVisibleAsync();
            await Expect(page.Locator("#insecure")).ToContainTextAsync("open the console over HTTPS, or on localhost or 127.0.0.1");
            await Expect(page.Locator("#signin")).ToBeDisabledAsync();
            await ConsolePage.ScreenshotAsync(page, "console-insecure-context");
        }
        finally
        {
            await page.Context.CloseAsync();
        }
    }

    [Fact]
    public async Task AnEmptyBucketIsDeletedAndSignOutForgetsTheKeys()
    {
        string bucket = "console-empty-" + Guid.NewGuid().ToString("N")[..8];
        await fixture.S3.PutBucketAsync(bucket);
        var page = await ConsolePage.OpenAsync(fixture.Browser, fixture.Endpoint);
        try
        {
            await ConsolePage.SignInAsync(page, BrowserFixture.AccessKey, BrowserFixture.SecretKey);
            var row = page.Locator($"#buckets tr[data-bucket='{bucket}']");

            // An upload that fails shows S3's error and a failed bar.
            await fixture.S3.PutBucketAsync(bucket + "-gone");
            await page.Locator("#open-bucket").FillAsync(bucket + "-gone");
            await page.Locator("#open-bucket-button").ClickAsync();
            await Expect(page.Locator("#objects tbody")).ToContainTextAsync("The bucket is empty.");
            await fixture.S3.DeleteBucketAsync(bucket + "-gone");
            await page.Locator("#upload-input").SetInputFilesAsync(new FilePayload { Name = "late.txt", MimeType = "text/plain", Buffer = "too late"u8.ToArray() });
            await Expect(page.Locator("#error-text")).ToContainTextAsync("NoSuchBucket");
            await Expect(page.Locator("#upload")).ToHaveClassAsync("failed");
            await Expect(page.Locator("#upload-status")).ToContainTextAsync("late.txt failed: NoSuchBucket");
            await page.Locator("#error-close").ClickAsync();
            await page.Locator("#nav-buckets").ClickAsync();

            await row.Locator("button.delete-bucket").ClickAsync();
            await Expect(row).ToHaveCountAsync(0);
            Assert.DoesNotContain((await fixture.S3.ListBucketsAsync()).Buckets ?? [], b => b.BucketName == bucket);

            await page.Locator("#signout").ClickAsync();
            await Expect(page.Locator("#view-signin")).ToBeVisibleAsync();
            await ConsolePage.SignInAsync(page, BrowserFixture.AccessKey, BrowserFixture.SecretKey);
            await Expect(page.Locator("#view-buckets")).ToBeVisibleAsync();
            await Expect(page.Locator("#secret-key")).ToHaveValueAsync(""); // not left in the form either
            await page.ReloadAsync(); // the keys were in the page's memory only: a reload asks again
            await Expect(page.Locator("#view-signin")).ToBeVisibleAsync();
            await Expect(page.Locator("#view-signin .hint").First).ToContainTextAsync("Reloading or closing the page asks you to sign in again");
            Assert.Equal(0, await page.EvaluateAsync<int>("() => sessionStorage.length + localStorage.length"));

            // A malformed %-escape in the address is an error shown, not an exception in route().
            await ConsolePage.SignInAsync(page, BrowserFixture.AccessKey, BrowserFixture.SecretKey);
            await page.EvaluateAsync("() => { location.hash = '#b/' + 'bad%E0%A4%A/x'; }");
            await Expect(page.Locator("#error-text")).ToContainTextAsync("InvalidLocation");
            await Expect(page.Locator("#view-buckets")).ToBeVisibleAsync();
        }
        finally
        {
            await page.Context.CloseAsync();
        }
    }

    [Fact]
    public async Task UsersAndKeysAreCreatedDisabledRevokedAndDeleted()
    {
        string user = "console-user-" + Guid.NewGuid().ToString("N")[..6];
        var page = await ConsolePage.OpenAsync(fixture.Browser, fixture.Endpoint);
        try
        {
            await ConsolePage.SignInAsync(page, BrowserFixture.AccessKey, BrowserFixture.SecretKey);
            await page.Locator("#nav-users").ClickAsync();
            await page.Locator("#new-user").FillAsync(user);
            await page.Locator("#create-user").ClickAsync();
            var row = page.Locator($"#users tr[data-user='{user}']");
            await Expect(row).ToContainTextAsync("active");
            await row.Locator("button.new-key").ClickAsync();
            await Expect(page.Locator("#new-key")).ToBeVisibleAsync();
            string accessKey = await page.Locator("#new-key-access").InnerTextAsync();
            string secret = await page.Locator("#new-key-secret").InnerTextAsync();
            Assert.Equal(40, secret.Length);
            await Expect(row.Locator($".key[data-key='{accessKey}']")).ToBeVisibleAsync();
            await ConsolePage.ScreenshotAsync(page, "console-09-users");

            // The new key signs in to a console of its own: without a policy it may not list buckets (S3's
            // AccessDenied is shown), and the admin API is the root user's.
            var other = await ConsolePage.OpenAsync(fixture.Browser, fixture.Endpoint);
            try
            {
                await ConsolePage.SignInAsync(other, accessKey, secret);
                await Expect(other.Locator("#error-text")).ToContainTextAsync("s3:ListAllMyBuckets");
                await other.Locator("#nav-cluster").ClickAsync();
                await Expect(other.Locator("#error-text")).ToContainTextAsync("AccessDenied: only the root user may use the admin API");
            }
            finally
            {
                await other.Context.CloseAsync();
            }

            await page.Locator("#new-key-close").ClickAsync();
            await row.Locator("button.toggle-user").ClickAsync();
            await Expect(row.Locator(".user-state")).ToHaveTextAsync("disabled");
            await row.Locator("button.delete-key").ClickAsync();
            await Expect(row).ToContainTextAsync("none");
            await row.Locator("button.delete-user").ClickAsync();
            await Expect(row).ToHaveCountAsync(0);
        }
        finally
        {
            await page.Context.CloseAsync();
        }
    }
}
