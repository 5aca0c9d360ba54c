using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Amazon.S3.Model;
using ObjStore.S3.Auth;

namespace ObjStore.Integration.Tests;

/// <summary>
/// SigV2 over loopback HTTP against the dev server: header-signed operations with their sub-resources (ACL,
/// multipart), presigned URLs, virtual-hosted style, the POST form, Content-MD5, the same key store as SigV4
/// (disabled users, policies that ask s3:signatureversion), and S3:AllowSignatureV2=false.
/// </summary>
public class SignatureV2Tests
{
    private const string RootKey = "it";
    private const string RootSecret = "integration-secret";
    private static readonly HttpClient Http = new(new SocketsHttpHandler { UseProxy = false });
    private static readonly SigV2Signer Root = new(RootKey, RootSecret);

    private static async Task<(HttpStatusCode Status, string Body, HttpResponseMessage Response)> SendAsync(
        DevServer server, HttpMethod method, string target, SigV2Signer? signer = null, HttpContent? content = null,
        Action<HttpRequestMessage>? before = null, string? virtualHostBucket = null)
    {
        using var request = new HttpRequestMessage(method, server.Url + target) { Content = content };
        before?.Invoke(request);
        (signer ?? Root).Sign(request, virtualHostBucket);
        var response = await Http.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync(), response);
    }

    private static ByteArrayContent Bytes(byte[] data, string? contentType = null, byte[]? md5 = null)
    {
        var content = new ByteArrayContent(data);
        if (contentType is not null)
        {
            content.Headers.ContentType = new(contentType);
        }
        content.Headers.ContentMD5 = md5;
        return content;
    }

    [Fact]
    public async Task HeaderSignedObjectsAclsListingAndMultipartWork()
    {
        await using var server = await DevServer.StartAsync("2+1");
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(server, HttpMethod.Put, "/v2-bucket")).Status);

        var data = RandomNumberGenerator.GetBytes(70_000);
        var put = await SendAsync(server, HttpMethod.Put, "/v2-bucket/dir/ünï%20cöde.bin", content: Bytes(data, "application/x-test", MD5.HashData(data)),
            before: r => r.Headers.TryAddWithoutValidation("x-amz-meta-Reviewed-By", "joe"));
        Assert.Equal(HttpStatusCode.OK, put.Status);
        var get = await SendAsync(server, HttpMethod.Get, "/v2-bucket/dir/ünï%20cöde.bin");
        Assert.Equal(data, await get.Response.Content.ReadAsByteArrayAsync());
        Assert.Equal("application/x-test", get.Response.Content.Headers.ContentType?.ToString());
        Assert.Equal("joe", get.Response.Headers.GetValues("x-amz-meta-reviewed-by").Single());

        var listed = await SendAsync(server, HttpMethod.Get, "/v2-bucket?list-type=2&prefix=dir%2F");
        Assert.Contains("<Key>dir/ünï cöde.bin</Key>", listed.Body, StringComparison.Ordinal);
        Assert.Contains("<Owner>", (await SendAsync(server, HttpMethod.Get, "/v2-bucket/dir/ünï%20cöde.bin?acl")).Body, StringComparison.Ordinal);

        // Multipart: ?uploads, ?partNumber=N&uploadId=X and ?uploadId=X are signed sub-resources.
        var created = await SendAsync(server, HttpMethod.Post, "/v2-bucket/multi?uploads");
        string uploadId = System.Xml.Linq.XDocument.Parse(created.Body).Descendants().Single(e => e.Name.LocalName == "UploadId").Value;
        var parts = new[] { RandomNumberGenerator.GetBytes(5 << 20), RandomNumberGenerator.GetBytes(1000) };
        var etags = new List<string>();
        for (int i = 0; i < parts.Length; i++)
        {
            var part = await SendAsync(server, HttpMethod.Put, $"/v2-bucket/multi?partNumber={i + 1}&uploadId={Uri.EscapeDataString(uploadId)}", content: Bytes(parts[i]));
            Assert.Equal(HttpStatusCode.OK, part.Status);
            etags.Add(part.Response.Headers.ETag!.Tag);
        }
        string completion = "<CompleteMultipartUpload>" + string.Concat(etags.Select((e, i) => $"<Part><PartNumber>{i + 1}</PartNumber><ETag>{e}</ETag></Part>"))
            + "</CompleteMultipartUpload>";
        var completed = await SendAsync(server, HttpMethod.Post, $"/v2-bucket/multi?uploadId={Uri.EscapeDataString(uploadId)}",
            content: Bytes(Encoding.UTF8.GetBytes(completion), "application/xml"));
        Assert.Equal(HttpStatusCode.OK, completed.Status);
        Assert.Equal(parts[0].Concat(parts[1]), await (await SendAsync(server, HttpMethod.Get, "/v2-bucket/multi")).Response.Content.ReadAsByteArrayAsync());

        Assert.Equal(HttpStatusCode.NoContent, (await SendAsync(server, HttpMethod.Delete, "/v2-bucket/multi")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(server, HttpMethod.Get, "/v2-bucket/multi")).Status);
    }

    [Fact]
    public async Task ARefusedSignatureNamesWhatTheStoreSignedAndContentMd5IsStillChecked()
    {
        await using var server = await DevServer.StartAsync("2+1");
        await SendAsync(server, HttpMethod.Put, "/v2-bucket");
        var wrong = await SendAsync(server, HttpMethod.Get, "/v2-bucket/x", new SigV2Signer(RootKey, "not-the-secret"));
        Assert.Equal(HttpStatusCode.Forbidden, wrong.Status);
        Assert.Contains("<Code>SignatureDoesNotMatch</Code>", wrong.Body, StringComparison.Ordinal);
        Assert.Contains("<StringToSign>GET\n\n\n", wrong.Body, StringComparison.Ordinal);
        Assert.Contains("\n/v2-bucket/x</StringToSign>", wrong.Body, StringComparison.Ordinal);
        Assert.DoesNotContain(RootSecret, wrong.Body, StringComparison.Ordinal);

        var data = Encoding.UTF8.GetBytes("payload");
        var badDigest = await SendAsync(server, HttpMethod.Put, "/v2-bucket/x", content: Bytes(data, md5: MD5.HashData("other"u8.ToArray())));
        Assert.Equal(HttpStatusCode.BadRequest, badDigest.Status);
        Assert.Contains("<Code>BadDigest</Code>", badDigest.Body, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(server, HttpMethod.Get, "/v2-bucket/x")).Status);
    }

    [Fact]
    public async Task PresignedUrlsWorkUntilTheyExpire()
    {
        await using var server = await DevServer.StartAsync("2+1");
        await SendAsync(server, HttpMethod.Put, "/v2-bucket");
        var data = RandomNumberGenerator.GetBytes(5000);

        string putUrl = Root.Presign("PUT", new Uri(server.Url + "/v2-bucket/shared%2Bkey.bin"), DateTimeOffset.UtcNow.AddMinutes(5));
        using (var upload = await Http.PutAsync(putUrl, new ByteArrayContent(data)))
        {
            Assert.Equal(HttpStatusCode.OK, upload.StatusCode);
        }
        string getUrl = Root.Presign("GET", new Uri(server.Url + "/v2-bucket/shared%2Bkey.bin"), DateTimeOffset.UtcNow.AddMinutes(5));
        Assert.Equal(data, await Http.GetByteArrayAsync(getUrl));

        string expired = Root.Presign("GET", new Uri(server.Url + "/v2-bucket/shared%2Bkey.bin"), DateTimeOffset.UtcNow.AddSeconds(-1));
        using var refused = await Http.GetAsync(expired);
        string body = await refused.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Contains("<Code>AccessDenied</Code><Message>Request has expired</Message>", body, StringComparison.Ordinal);

        using var otherKey = await Http.GetAsync(getUrl.Replace("shared%2Bkey.bin", "other.bin", StringComparison.Ordinal));
        Assert.Contains("<Code>SignatureDoesNotMatch</Code>", await otherKey.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AParameterSigV2DoesNotSignCannotTurnASignedRequestIntoAnotherOperation()
    {
        await using var server = await DevServer.StartAsync("2+1");
        await SendAsync(server, HttpMethod.Put, "/v2-bucket");
        // New buckets have a public access block; a DELETE signed for the bucket must not remove it.
        var replayed = await SendAsync(server, HttpMethod.Delete, "/v2-bucket?publicAccessBlock");
        Assert.Equal(HttpStatusCode.BadRequest, replayed.Status);
        Assert.Contains("<Code>InvalidRequest</Code>", replayed.Body, StringComparison.Ordinal);
        var block = await SendAsync(server, HttpMethod.Get, "/v2-bucket?publicAccessBlock");
        Assert.Equal(HttpStatusCode.BadRequest, block.Status); // reading it needs SigV4 too

        await SendAsync(server, HttpMethod.Put, "/v2-bucket/k", content: Bytes([1, 2, 3]));
        string url = Root.Presign("GET", new Uri(server.Url + "/v2-bucket/k"), DateTimeOffset.UtcNow.AddMinutes(5));
        using var attributes = await Http.GetAsync(url + "&attributes");
        Assert.Equal(HttpStatusCode.BadRequest, attributes.StatusCode);
        using var listing = await Http.GetAsync(Root.Presign("GET", new Uri(server.Url + "/v2-bucket"), DateTimeOffset.UtcNow.AddMinutes(5)) + "&prefix=k&max-keys=5");
        Assert.Equal(HttpStatusCode.OK, listing.StatusCode); // listing parameters shape the answer of the signed operation
    }

    [Fact]
    public async Task HeadersAPresignedUrlSignsInItsQueryTakeEffect()
    {
        await using var server = await DevServer.StartAsync("2+1");
        await SendAsync(server, HttpMethod.Put, "/v2-bucket");
        string expires = DateTimeOffset.UtcNow.AddMinutes(5).ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);
        string stringToSign = SigV2.StringToSign("PUT", "", "", expires, [new("x-amz-meta-color", "blue")], "/v2-bucket/painted");
        string url = $"{server.Url}/v2-bucket/painted?x-amz-meta-color=blue&AWSAccessKeyId={RootKey}"
            + $"&Signature={Uri.EscapeDataString(SigV2.Sign(RootSecret, stringToSign))}&Expires={expires}";
        using (var put = await Http.PutAsync(url, new ByteArrayContent([7])))
        {
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        }
        var head = await SendAsync(server, HttpMethod.Head, "/v2-bucket/painted");
        Assert.Equal("blue", head.Response.Headers.GetValues("x-amz-meta-color").Single());
    }

    [Fact]
    public async Task VirtualHostedStyleSignsTheBucketItsHostNames()
    {
        await using var server = await DevServer.StartAsync("2+1");
        await SendAsync(server, HttpMethod.Put, "/vhost-bucket");
        string host = "vhost-bucket.localhost:" + new Uri(server.Url).Port;
        void ToBucketHost(HttpRequestMessage request) => request.Headers.Host = host;

        var put = await SendAsync(server, HttpMethod.Put, "/key.txt", content: Bytes("virtual"u8.ToArray()), before: ToBucketHost, virtualHostBucket: "vhost-bucket");
        Assert.Equal(HttpStatusCode.OK, put.Status);
        Assert.Equal("virtual", (await SendAsync(server, HttpMethod.Get, "/vhost-bucket/key.txt")).Body);
        Assert.Contains("<Key>key.txt</Key>", (await SendAsync(server, HttpMethod.Get, "/?list-type=2", before: ToBucketHost, virtualHostBucket: "vhost-bucket")).Body,
            StringComparison.Ordinal);
        // Signed as if path-style: the resource lacks the bucket, so the signature cannot match.
        Assert.Equal(HttpStatusCode.Forbidden, (await SendAsync(server, HttpMethod.Get, "/key.txt", before: ToBucketHost)).Status);
    }

    [Fact]
    public async Task WithTheSettingOffSigV2IsTheDocumentedErrorAndSigV4StillWorks()
    {
        await using var server = await DevServer.StartAsync("2+1", settings: new Dictionary<string, string?> { ["S3:AllowSignatureV2"] = "false" });
        using var s3 = server.Client();
        await s3.PutBucketAsync("v4-bucket");
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = "v4-bucket", Key = "k", ContentBody = "v4" });
        const string expected = "<Code>InvalidRequest</Code><Message>The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.</Message>";

        var header = await SendAsync(server, HttpMethod.Get, "/v4-bucket/k");
        Assert.Equal(HttpStatusCode.BadRequest, header.Status);
        Assert.Contains(expected, header.Body, StringComparison.Ordinal);
        using var presigned = await Http.GetAsync(Root.Presign("GET", new Uri(server.Url + "/v4-bucket/k"), DateTimeOffset.UtcNow.AddMinutes(5)));
        Assert.Equal(HttpStatusCode.BadRequest, presigned.StatusCode);
        Assert.Contains(expected, await presigned.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal("v4", await new StreamReader((await s3.GetObjectAsync("v4-bucket", "k")).ResponseStream).ReadToEndAsync());
    }

    [Fact]
    public async Task UsersSignWithTheSameKeysDisabledUsersAreRefusedAndPoliciesSeeTheSignatureVersion()
    {
        await using var server = await DevServer.StartAsync("2+1");
        await SendAsync(server, HttpMethod.Put, "/team");
        await AdminAsync(server, HttpMethod.Post, "/users?name=legacy");
        // AWS's way to keep SigV2 out of a bucket: deny where s3:signatureversion is "AWS". Here only for deletes.
        await AdminAsync(server, HttpMethod.Put, "/users/legacy/policy", """
            {"Version":"2012-10-17","Statement":[
              {"Effect":"Allow","Action":"s3:*","Resource":["arn:aws:s3:::team","arn:aws:s3:::team/*"]},
              {"Effect":"Deny","Action":"s3:DeleteObject","Resource":"arn:aws:s3:::team/*","Condition":{"StringEquals":{"s3:signatureversion":"AWS"}}}]}
            """);
        var key = JsonDocument.Parse(await AdminAsync(server, HttpMethod.Post, "/users/legacy/keys")).RootElement;
        string accessKey = key.GetProperty("accessKey").GetString()!, secret = key.GetProperty("secretKey").GetString()!;
        var user = new SigV2Signer(accessKey, secret);

        Assert.Equal(HttpStatusCode.OK, (await SendAsync(server, HttpMethod.Put, "/team/a.txt", user, Bytes("a"u8.ToArray()))).Status);
        Assert.Equal("a", (await SendAsync(server, HttpMethod.Get, "/team/a.txt", user)).Body);
        var denied = await SendAsync(server, HttpMethod.Delete, "/team/a.txt", user);
        Assert.Equal(HttpStatusCode.Forbidden, denied.Status);
        Assert.Contains("<Code>AccessDenied</Code>", denied.Body, StringComparison.Ordinal);
        using (var v4Delete = new HttpRequestMessage(HttpMethod.Delete, server.Url + "/team/a.txt"))
        {
            new SigV4Signer(accessKey, secret).Sign(v4Delete);
            Assert.Equal(HttpStatusCode.NoContent, (await Http.SendAsync(v4Delete)).StatusCode);
        }
        Assert.Equal(HttpStatusCode.Forbidden, (await SendAsync(server, HttpMethod.Get, "/other-bucket/a.txt", user)).Status);

        await AdminAsync(server, HttpMethod.Post, "/users/legacy/disable");
        var disabled = await SendAsync(server, HttpMethod.Get, "/team?list-type=2", user);
        Assert.Equal(HttpStatusCode.Forbidden, disabled.Status);
        Assert.Contains("<Code>InvalidAccessKeyId</Code>", disabled.Body, StringComparison.Ordinal);
        using (var presigned = await Http.GetAsync(user.Presign("GET", new Uri(server.Url + "/team?list-type=2"), DateTimeOffset.UtcNow.AddMinutes(1))))
        {
            Assert.Contains("<Code>InvalidAccessKeyId</Code>", await presigned.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        await AdminAsync(server, HttpMethod.Post, "/users/legacy/enable");
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(server, HttpMethod.Get, "/team?list-type=2", user)).Status);
    }

    [Fact]
    public async Task APostFormSignedWithSigV2Uploads()
    {
        await using var server = await DevServer.StartAsync("2+1");
        await SendAsync(server, HttpMethod.Put, "/forms");
        string policy = Convert.ToBase64String(Encoding.UTF8.GetBytes(
            $$"""{"expiration":"{{DateTime.UtcNow.AddMinutes(5):yyyy-MM-dd'T'HH:mm:ss'Z'}}","conditions":[{"bucket":"forms"},["starts-with","$key","up/"]]}"""));
        MultipartFormDataContent Form(string key, string signature, params (string Name, string Value)[] extra)
        {
            var form = new MultipartFormDataContent();
            foreach (var (name, value) in new[] { ("key", key), ("AWSAccessKeyId", RootKey), ("policy", policy), ("signature", signature) }.Concat(extra))
            {
                form.Add(new StringContent(value), name);
            }
            form.Add(new ByteArrayContent("form bytes"u8.ToArray()), "file", "f.txt");
            return form;
        }
        string signature = SigV2.Sign(RootSecret, policy);

        using (var posted = await Http.PostAsync(server.Url + "/forms", Form("up/f.txt", signature)))
        {
            Assert.Equal(HttpStatusCode.NoContent, posted.StatusCode);
        }
        Assert.Equal("form bytes", (await SendAsync(server, HttpMethod.Get, "/forms/up/f.txt")).Body);

        using var forged = await Http.PostAsync(server.Url + "/forms", Form("up/g.txt", SigV2.Sign("not-the-secret", policy)));
        Assert.Contains("<Code>SignatureDoesNotMatch</Code>", await forged.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        using var outside = await Http.PostAsync(server.Url + "/forms", Form("elsewhere.txt", signature));
        Assert.Contains("Policy Condition failed", await outside.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        using var extra = await Http.PostAsync(server.Url + "/forms", Form("up/h.txt", signature, ("x-amz-meta-uncovered", "1")));
        Assert.Contains("Extra input fields: x-amz-meta-uncovered", await extra.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    private static async Task<string> AdminAsync(DevServer server, HttpMethod method, string path, string? body = null)
    {
        using var request = new HttpRequestMessage(method, server.Url + "/_objstore/admin" + path);
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }
        new SigV4Signer(RootKey, RootSecret).Sign(request);
        using var response = await Http.SendAsync(request);
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{method} {path}: {(int)response.StatusCode} {text}");
        return text;
    }
}
