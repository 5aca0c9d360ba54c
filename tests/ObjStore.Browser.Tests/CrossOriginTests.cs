using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Amazon.S3;
using Amazon.S3.Model;
using Microsoft.Playwright;

namespace ObjStore.Browser.Tests;

/// <summary>
/// A web page on another origin using the store as browsers do: fetch with presigned URLs (a PUT, which needs a CORS
/// preflight, then a GET, reading the exposed ETag), a POST Object form sent by fetch + FormData and by a real HTML
/// form submission, and the same requests from an origin the bucket's CORS rule does not allow.
/// </summary>
public sealed class CrossOriginTests(BrowserFixture fixture) : IClassFixture<BrowserFixture>
{
    /// <summary>PUT then GET through presigned URLs: returns statuses, the ETag headers as the page sees them, and the bytes.</summary>
    private const string PutThenGet = """
        async ({ put, get, data }) => {
          const up = await fetch(put, { method: "PUT", body: fromBase64(data) });
          const upText = await up.text();
          const down = await fetch(get);
          const bytes = await down.arrayBuffer();
          return { putStatus: up.status, putText: upText, etag: up.headers.get("ETag"), getStatus: down.status,
                   getEtag: down.headers.get("ETag"), data: toBase64(bytes) };
        }
        """;

    /// <summary>The form POSTed with fetch: the fields in order, the file last.</summary>
    private const string PostForm = """
        async ({ url, fields, data, name }) => {
          const form = new FormData();
          for (const [field, value] of fields) form.append(field, value);
          form.append("file", new Blob([fromBase64(data)], { type: "application/octet-stream" }), name);
          const response = await fetch(url, { method: "POST", body: form });
          return { status: response.status, text: await response.text(), etag: response.headers.get("ETag") };
        }
        """;

    /// <summary>The error a fetch rejects with ("TypeError: Failed to fetch" when CORS refuses), or "resolved STATUS".</summary>
    private const string FetchError = """
        async ({ url, method, data }) => {
          try {
            const init = { method };
            if (data !== null) init.body = fromBase64(data);
            const response = await fetch(url, init);
            return "resolved " + response.status;
          } catch (e) {
            return e.name + ": " + e.message;
          }
        }
        """;

    [Fact]
    public async Task FetchPutsAndGetsThroughPresignedUrlsAcrossOrigins()
    {
        byte[] data = RandomNumberGenerator.GetBytes(200_000);
        const string key = "fetch/put-get.bin";
        var page = await fixture.OpenAsync(fixture.AllowedOrigin);
        try
        {
            var result = await page.EvaluateAsync(PutThenGet, new { put = Presign(key, HttpVerb.PUT), get = Presign(key, HttpVerb.GET), data = Convert.ToBase64String(data) });
            var r = result!.Value;
            string expectedEtag = $"\"{Convert.ToHexStringLower(MD5.HashData(data))}\"";
            Assert.Equal(200, r.GetProperty("putStatus").GetInt32());
            Assert.Equal(expectedEtag, r.GetProperty("etag").GetString());
            Assert.Equal(200, r.GetProperty("getStatus").GetInt32());
            Assert.Equal(expectedEtag, r.GetProperty("getEtag").GetString());
            Assert.Equal(data, Convert.FromBase64String(r.GetProperty("data").GetString()!));
        }
        finally
        {
            await page.Context.CloseAsync();
        }
        Assert.Equal(data, await StoredAsync(key));
    }

    [Fact]
    public async Task PreflightAnswersTheAllowedOriginAndRefusesAnother()
    {
        using var http = new HttpClient();
        using var allowed = Preflight(fixture.AllowedOrigin);
        using var allowedResponse = await http.SendAsync(allowed);
        Assert.Equal(HttpStatusCode.OK, allowedResponse.StatusCode);
        Assert.Equal(fixture.AllowedOrigin, Header(allowedResponse, "Access-Control-Allow-Origin"));
        Assert.Contains("PUT", Header(allowedResponse, "Access-Control-Allow-Methods") ?? "", StringComparison.Ordinal);
        Assert.Equal("content-type", Header(allowedResponse, "Access-Control-Allow-Headers")?.ToLowerInvariant());

        using var other = Preflight(fixture.OtherOrigin);
        using var otherResponse = await http.SendAsync(other);
        Assert.Equal(HttpStatusCode.Forbidden, otherResponse.StatusCode);
        Assert.Null(Header(otherResponse, "Access-Control-Allow-Origin"));
    }

    [Fact]
    public async Task FetchPostsASignedFormAcrossOrigins()
    {
        byte[] data = RandomNumberGenerator.GetBytes(150_000);
        const string key = "form/fetch.bin";
        var page = await fixture.OpenAsync(fixture.AllowedOrigin);
        try
        {
            var fields = SignedForm(key, "form/", ("success_action_status", "201"));
            var result = await page.EvaluateAsync(PostForm, new { url = fixture.BucketUrl, fields, data = Convert.ToBase64String(data), name = "upload.bin" });
            var r = result!.Value;
            string text = r.GetProperty("text").GetString()!;
            Assert.True(r.GetProperty("status").GetInt32() == 201, text);
            Assert.Contains($"<Key>{key}</Key>", text, StringComparison.Ordinal);
            Assert.Contains($"<Bucket>{fixture.Bucket}</Bucket>", text, StringComparison.Ordinal);
            Assert.Equal($"\"{Convert.ToHexStringLower(MD5.HashData(data))}\"", r.GetProperty("etag").GetString());
        }
        finally
        {
            await page.Context.CloseAsync();
        }
        Assert.Equal(data, await StoredAsync(key));
    }

    [Fact]
    public async Task AnHtmlFormSubmissionUploadsTheChosenFile()
    {
        byte[] data = RandomNumberGenerator.GetBytes(80_000);
        var page = await fixture.OpenAsync(fixture.AllowedOrigin);
        try
        {
            // The key names the file the user picks: ${filename} is filled in from the file part.
            var fields = SignedForm("form/html/${filename}", "form/html/", ("success_action_status", "201"));
            await page.EvaluateAsync("""
                ({ url, fields }) => {
                  const form = document.createElement("form");
                  form.method = "post";
                  form.enctype = "multipart/form-data";
                  form.action = url;
                  for (const [name, value] of fields) {
                    const input = document.createElement("input");
                    input.type = "hidden"; input.name = name; input.value = value;
                    form.appendChild(input);
                  }
                  const file = document.createElement("input");
                  file.type = "file"; file.name = "file";
                  form.appendChild(file);
                  const submit = document.createElement("input");
                  submit.type = "submit"; submit.id = "send";
                  form.appendChild(submit);
                  document.body.appendChild(form);
                }
                """, new { url = fixture.BucketUrl, fields });
            await page.SetInputFilesAsync("input[type=file]", new FilePayload { Name = "chosen.bin", MimeType = "application/octet-stream", Buffer = data });
            var response = await page.RunAndWaitForResponseAsync(() => page.ClickAsync("#send"),
                r => r.Request.Method == "POST" && r.Url.StartsWith(fixture.BucketUrl, StringComparison.Ordinal));
            // A real submission: the page navigated to the answer.
            await page.WaitForURLAsync(fixture.BucketUrl);
            string text = await response.TextAsync();
            Assert.True(response.Status == 201, text);
            Assert.Contains("<Key>form/html/chosen.bin</Key>", text, StringComparison.Ordinal);
        }
        finally
        {
            await page.Context.CloseAsync();
        }
        Assert.Equal(data, await StoredAsync("form/html/chosen.bin"));
    }

    [Fact]
    public async Task AnOriginTheRuleDoesNotNameCannotReadOrPreflight()
    {
        byte[] data = RandomNumberGenerator.GetBytes(1000);
        const string readable = "blocked/readable.bin";
        await fixture.S3.PutObjectAsync(new PutObjectRequest { BucketName = fixture.Bucket, Key = readable, InputStream = new MemoryStream(data) });
        var page = await fixture.OpenAsync(fixture.OtherOrigin);
        try
        {
            // A GET is sent, but without Access-Control-Allow-Origin for this origin the page may not see the answer.
            string get = await page.EvaluateAsync<string>(FetchError, new { url = Presign(readable, HttpVerb.GET), method = "GET", data = (string?)null });
            Assert.StartsWith("TypeError", get, StringComparison.Ordinal);

            // A PUT needs a preflight, which is refused: the PUT itself is never sent.
            string put = await page.EvaluateAsync<string>(FetchError, new { url = Presign("blocked/put.bin", HttpVerb.PUT), method = "PUT", data = Convert.ToBase64String(data) });
            Assert.StartsWith("TypeError", put, StringComparison.Ordinal);
        }
        finally
        {
            await page.Context.CloseAsync();
        }
        var e = await Assert.ThrowsAsync<AmazonS3Exception>(() => fixture.S3.GetObjectMetadataAsync(fixture.Bucket, "blocked/put.bin"));
        Assert.Equal(HttpStatusCode.NotFound, e.StatusCode);

        // The same GET from the allowed origin resolves: the refusal above was CORS, not the URL.
        var allowedPage = await fixture.OpenAsync(fixture.AllowedOrigin);
        try
        {
            string get = await allowedPage.EvaluateAsync<string>(FetchError, new { url = Presign(readable, HttpVerb.GET), method = "GET", data = (string?)null });
            Assert.Equal("resolved 200", get);
        }
        finally
        {
            await allowedPage.Context.CloseAsync();
        }
    }

    private string Presign(string key, HttpVerb verb) => fixture.S3.GetPreSignedURL(new GetPreSignedUrlRequest
    {
        BucketName = fixture.Bucket, Key = key, Verb = verb, Expires = DateTime.UtcNow.AddMinutes(10), Protocol = Protocol.HTTP,
    });

    private async Task<byte[]> StoredAsync(string key)
    {
        using var response = await fixture.S3.GetObjectAsync(fixture.Bucket, key);
        using var copy = new MemoryStream();
        await response.ResponseStream.CopyToAsync(copy);
        return copy.ToArray();
    }

    private HttpRequestMessage Preflight(string origin)
    {
        var request = new HttpRequestMessage(HttpMethod.Options, new Uri($"{fixture.BucketUrl}/fetch/preflight.bin"));
        request.Headers.Add("Origin", origin);
        request.Headers.Add("Access-Control-Request-Method", "PUT");
        request.Headers.Add("Access-Control-Request-Headers", "content-type");
        return request;
    }

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) || response.Content.Headers.TryGetValues(name, out values)
            ? string.Join(", ", values)
            : null;

    /// <summary>
    /// The fields of a POST form signed with SigV4 as AWS documents it: the base64 policy is the string to sign, its
    /// signature the HMAC-SHA256 under the root secret's signing key for the day, region and s3. The key must start with
    /// <paramref name="keyPrefix"/>; each extra field is covered by an exact condition.
    /// </summary>
    private string[][] SignedForm(string key, string keyPrefix, params (string Name, string Value)[] extra)
    {
        var now = DateTime.UtcNow;
        string day = now.ToString("yyyyMMdd", CultureInfo.InvariantCulture);
        string amzDate = now.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
        string credential = $"{BrowserFixture.AccessKey}/{day}/{BrowserFixture.Region}/s3/aws4_request";
        var conditions = new List<object>
        {
            new Dictionary<string, string> { ["bucket"] = fixture.Bucket },
            new object[] { "starts-with", "$key", keyPrefix },
            new object[] { "content-length-range", 1, 1_048_576 },
            new Dictionary<string, string> { ["x-amz-algorithm"] = "AWS4-HMAC-SHA256" },
            new Dictionary<string, string> { ["x-amz-credential"] = credential },
            new Dictionary<string, string> { ["x-amz-date"] = amzDate },
        };
        conditions.AddRange(extra.Select(f => (object)new Dictionary<string, string> { [f.Name] = f.Value }));
        string policy = Convert.ToBase64String(JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object>
        {
            ["expiration"] = now.AddMinutes(10).ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
            ["conditions"] = conditions,
        }));
        byte[] signingKey = Encoding.UTF8.GetBytes("AWS4" + BrowserFixture.SecretKey);
        foreach (string part in new[] { day, BrowserFixture.Region, "s3", "aws4_request" })
        {
            signingKey = HMACSHA256.HashData(signingKey, Encoding.UTF8.GetBytes(part));
        }
        string signature = Convert.ToHexStringLower(HMACSHA256.HashData(signingKey, Encoding.UTF8.GetBytes(policy)));
        return
        [
            ["key", key],
            .. extra.Select(f => new[] { f.Name, f.Value }),
            ["x-amz-algorithm", "AWS4-HMAC-SHA256"],
            ["x-amz-credential", credential],
            ["x-amz-date", amzDate],
            ["policy", policy],
            ["x-amz-signature", signature],
        ];
    }
}
