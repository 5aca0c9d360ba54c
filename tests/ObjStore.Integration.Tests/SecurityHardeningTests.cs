using System.Net;
using System.Net.Sockets;
using System.Text;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using ObjStore.S3.Auth;
using ObjStore.Storage;

namespace ObjStore.Integration.Tests;

/// <summary>
/// The defects an attack on the S3 front end found: requests that did what they must not, responses that broke real
/// clients' connections, inputs that cost 500s or unbounded work, and dishonest answers about space and layout.
/// </summary>
public class SecurityHardeningTests
{
    private static KeyValuePair<string, string> H(string name, string value) => new(name, value);

    private static async Task<DevServer> StartWithObjectAsync(IReadOnlyDictionary<string, string?>? settings = null)
    {
        var server = await DevServer.StartAsync("2+1", settings: settings);
        using var s3 = server.Client();
        await s3.PutBucketAsync("victim");
        await s3.PutBucketAsync("mine");
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = "victim", Key = "secret.txt", ContentBody = "the victim's secret" });
        return server;
    }

    /// <summary>Every x-amz-* header a handler reads, with a value it would act on.</summary>
    public static TheoryData<string, string> HeadersHandlersRead() => new()
    {
        { "x-amz-copy-source", "victim/secret.txt" },
        { "x-amz-meta-owner", "attacker" },
        { "x-amz-storage-class", "GLACIER" },
        { "x-amz-metadata-directive", "REPLACE" },
        { "x-amz-checksum-crc32", "AAAAAA==" },
        { "x-amz-checksum-algorithm", "SHA256" },
        { "x-amz-sdk-checksum-algorithm", "CRC32" },
        { "x-amz-trailer", "x-amz-checksum-crc32" },
        { "x-amz-decoded-content-length", "5" },
        { "x-amz-copy-source-range", "bytes=0-1" },
        { "x-amz-copy-source-if-match", "\"x\"" },
        { "x-amz-checksum-mode", "ENABLED" },
    };

    [Theory]
    [MemberData(nameof(HeadersHandlersRead))]
    public async Task AnUnsignedAmzHeaderIsRefusedInHeaderSignedRequests(string header, string value)
    {
        await using var server = await StartWithObjectAsync();
        var response = await RawS3.SendSignedAsync(server, "PUT", "/mine/stolen.txt", "x", unsigned: [H(header, value)]);
        Assert.Equal(403, response.Status);
        Assert.Contains("<Code>AccessDenied</Code>", response.Body, StringComparison.Ordinal);
        Assert.Contains("There were headers present in the request which were not signed", response.Body, StringComparison.Ordinal);
        Assert.Contains($"<HeadersNotSigned>{header}</HeadersNotSigned>", response.Body, StringComparison.Ordinal);
        using var s3 = server.Client();
        var listed = await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = "mine" });
        Assert.Empty(listed.S3Objects ?? []);
    }

    [Theory]
    [MemberData(nameof(HeadersHandlersRead))]
    public async Task AnUnsignedAmzHeaderIsRefusedOnAPresignedUrl(string header, string value)
    {
        await using var server = await StartWithObjectAsync();
        string url = new SigV4Signer("it", "integration-secret").Presign("PUT", new Uri($"{server.Url}/mine/upload.txt"), TimeSpan.FromMinutes(5));
        var response = await RawS3.SendRawAsync(url, "PUT", "x", [H(header, value)]);
        Assert.Equal(403, response.Status);
        Assert.Contains("not signed", response.Body, StringComparison.Ordinal);
        // The same URL without the extra header does what it was made for.
        Assert.Equal(200, (await RawS3.SendRawAsync(url, "PUT", "uploaded", [])).Status);
    }

    [Fact]
    public async Task ASignedCopySourceStillCopies()
    {
        await using var server = await StartWithObjectAsync();
        var response = await RawS3.SendSignedAsync(server, "PUT", "/mine/copy.txt", signed: [H("x-amz-copy-source", "victim/secret.txt")]);
        Assert.Equal(200, response.Status);
        Assert.Contains("<CopyObjectResult", response.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheSystemBucketCannotBeACopySource()
    {
        await using var server = await StartWithObjectAsync();
        var backup = await RawS3.RunJobAsync(server.Url, "backup");
        Assert.Equal("succeeded", backup.State);
        var backups = await server.Catalogue.Objects.ListAsync(new Core.ListRequest { Bucket = Core.Naming.BackupBucket, MaxKeys = 10 });
        string key = Assert.Single(backups.Objects).Key;

        var copy = await RawS3.SendSignedAsync(server, "PUT", "/mine/catalogue.db", signed: [H("x-amz-copy-source", $"{Core.Naming.BackupBucket}/{key}")]);
        Assert.Equal(404, copy.Status);
        Assert.Contains("<Code>NoSuchBucket</Code>", copy.Body, StringComparison.Ordinal);
        var encoded = await RawS3.SendSignedAsync(server, "PUT", "/mine/catalogue.db", signed: [H("x-amz-copy-source", $"/%5Fobjstore/{Uri.EscapeDataString(key)}")]);
        Assert.Equal(404, encoded.Status);

        using var s3 = server.Client();
        var upload = await s3.InitiateMultipartUploadAsync("mine", "catalogue-part.db");
        var partCopy = await RawS3.SendSignedAsync(server, "PUT", $"/mine/catalogue-part.db?partNumber=1&uploadId={upload.UploadId}",
            signed: [H("x-amz-copy-source", $"{Core.Naming.BackupBucket}/{key}")]);
        Assert.Equal(404, partCopy.Status);
        Assert.Contains("<Code>NoSuchBucket</Code>", partCopy.Body, StringComparison.Ordinal);

        var direct = await RawS3.SendSignedAsync(server, "GET", $"/{Core.Naming.BackupBucket}/{key}");
        Assert.Equal(404, direct.Status);
        Assert.Empty((await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = "mine" })).S3Objects ?? []);
    }

    [Fact]
    public async Task ARequestSignedForAnotherRegionIsRefusedNamingTheExpectedOne()
    {
        await using var server = await StartWithObjectAsync();
        var response = await RawS3.SendSignedAsync(server, "GET", "/victim/secret.txt", region: "eu-west-1");
        Assert.Equal(400, response.Status);
        Assert.Contains("<Code>AuthorizationHeaderMalformed</Code>", response.Body, StringComparison.Ordinal);
        Assert.Contains("the region 'eu-west-1' is wrong; expecting 'us-east-1'", response.Body, StringComparison.Ordinal);
        Assert.Contains("<Region>us-east-1</Region>", response.Body, StringComparison.Ordinal);

        using var wrongRegion = new AmazonS3Client(new BasicAWSCredentials("it", "integration-secret"), new AmazonS3Config
        {
            ServiceURL = server.Url, ForcePathStyle = true, AuthenticationRegion = "eu-west-1", MaxErrorRetry = 0,
        });
        var error = await Assert.ThrowsAsync<AmazonS3Exception>(() => wrongRegion.GetObjectMetadataAsync("victim", "secret.txt"));
        Assert.Equal(HttpStatusCode.BadRequest, error.StatusCode);

        string presigned = new SigV4Signer("it", "integration-secret", "eu-west-1").Presign("GET", new Uri($"{server.Url}/victim/secret.txt"), TimeSpan.FromMinutes(5));
        var query = await RawS3.SendRawAsync(presigned, "GET", null, []);
        Assert.Equal(400, query.Status);
        Assert.Contains("<Code>AuthorizationQueryParametersError</Code>", query.Body, StringComparison.Ordinal);
        Assert.Contains("<Region>us-east-1</Region>", query.Body, StringComparison.Ordinal);
    }

    // ---- connections -------------------------------------------------------------------------------------------

    private static async Task<TcpClient> ConnectAsync(DevServer server)
    {
        var uri = new Uri(server.Url);
        var client = new TcpClient();
        await client.ConnectAsync(uri.Host, uri.Port);
        return client;
    }

    /// <summary>Writes one signed request's head (and nothing of its body) on a raw socket.</summary>
    private static async Task WriteHeadAsync(NetworkStream stream, string method, string target, DevServer server,
        IEnumerable<KeyValuePair<string, string>> extra, IEnumerable<KeyValuePair<string, string>>? signed = null)
    {
        var head = new StringBuilder($"{method} {target} HTTP/1.1\r\nHost: {new Uri(server.Url).Authority}\r\n");
        foreach (var (name, value) in RawS3.SignHeaders(server, method, target, signed).Concat(extra))
        {
            head.Append(name).Append(": ").Append(value).Append("\r\n");
        }
        head.Append("\r\n");
        await stream.WriteAsync(Encoding.UTF8.GetBytes(head.ToString()));
    }

    /// <summary>Sends one request's head on a raw socket and reads the response.</summary>
    private static async Task<string> SendHeadAsync(NetworkStream stream, string method, string target, DevServer server,
        IEnumerable<KeyValuePair<string, string>> extra, IEnumerable<KeyValuePair<string, string>>? signed = null)
    {
        await WriteHeadAsync(stream, method, target, server, extra, signed);
        return await ReadResponseAsync(stream);
    }

    private static async Task<string> ReadResponseAsync(NetworkStream stream)
    {
        var received = new StringBuilder();
        var buffer = new byte[8192];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (true)
        {
            string text = received.ToString();
            int end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
            if (end >= 0)
            {
                var lengthLine = text[..end].Split("\r\n").FirstOrDefault(l => l.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase));
                int length = lengthLine is null ? 0 : int.Parse(lengthLine["Content-Length:".Length..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
                if (text.Length >= end + 4 + length)
                {
                    return text;
                }
            }
            int n = await stream.ReadAsync(buffer, timeout.Token);
            if (n == 0)
            {
                return text;
            }
            received.Append(Encoding.UTF8.GetString(buffer, 0, n));
        }
    }

    [Fact]
    public async Task AnErrorSentBeforeTheBodyWasReadClosesTheConnection()
    {
        await using var server = await StartWithObjectAsync();
        using var client = await ConnectAsync(server);
        var stream = client.GetStream();
        // The bucket does not exist: refused before a byte of the announced body is read, which the client (as
        // boto3 does after Expect: 100-continue) then never sends.
        string response = await SendHeadAsync(stream, "PUT", "/no-such-bucket/key", server,
            [H("Content-Length", "100000"), H("Expect", "100-continue")]);
        Assert.StartsWith("HTTP/1.1 404", response, StringComparison.Ordinal);
        Assert.Contains("Connection: close", response, StringComparison.OrdinalIgnoreCase);
        // Closed (end of stream, or a reset for the unread body): nothing more is parsed from it as a request.
        var rest = new byte[16];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        try
        {
            Assert.Equal(0, await stream.ReadAsync(rest, timeout.Token));
        }
        catch (IOException)
        {
        }
    }

    [Fact]
    public async Task AKeptAliveConnectionServesTheNextRequestAfterAnEarlyRefusal()
    {
        await using var server = await StartWithObjectAsync();
        using var s3 = server.Client();
        for (int i = 0; i < 5; i++)
        {
            var missing = await Assert.ThrowsAsync<AmazonS3Exception>(() => s3.PutObjectAsync(new PutObjectRequest
            {
                BucketName = "no-such-bucket", Key = "k", InputStream = new MemoryStream(new byte[200_000]),
            }));
            Assert.Equal("NoSuchBucket", missing.ErrorCode);
            await s3.PutObjectAsync(new PutObjectRequest { BucketName = "mine", Key = $"k{i}", InputStream = new MemoryStream(new byte[200_000]) });
        }
        Assert.Equal(5, (await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = "mine" })).S3Objects.Count);
    }

    [Fact]
    public async Task AnEmptyPutWithExpectContinueClosesItsConnection()
    {
        await using var server = await StartWithObjectAsync();
        using var client = await ConnectAsync(server);
        var stream = client.GetStream();
        string response = await SendHeadAsync(stream, "PUT", "/mine/empty", server, [H("Content-Length", "0"), H("Expect", "100-continue")]);
        Assert.StartsWith("HTTP/1.1 200", response, StringComparison.Ordinal);
        Assert.Contains("Connection: close", response, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>Kestrel refuses these before the S3 layer sees them (it parses "+5" as 5, and hands on only the number).</summary>
    [Theory]
    [InlineData("5 5")]
    [InlineData("0x5")]
    [InlineData("-1")]
    public async Task AMalformedContentLengthIsRefused(string length)
    {
        await using var server = await StartWithObjectAsync();
        using var client = await ConnectAsync(server);
        var stream = client.GetStream();
        string response = await SendHeadAsync(stream, "PUT", "/mine/k", server, [H("Content-Length", length)]);
        Assert.StartsWith("HTTP/1.1 400", response, StringComparison.Ordinal);
        using var s3 = server.Client();
        Assert.Empty((await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = "mine" })).S3Objects ?? []);
    }

    // ---- characters --------------------------------------------------------------------------------------------

    [Fact]
    public async Task KeysWithControlCharactersAreListedAsCharacterReferencesAndCanBeDeleted()
    {
        await using var server = await StartWithObjectAsync();
        Assert.Equal(200, (await RawS3.SendSignedAsync(server, "PUT", "/mine/a%01b%1Fc", "control")).Status);

        var listing = await RawS3.SendSignedAsync(server, "GET", "/mine?list-type=2");
        Assert.Equal(200, listing.Status);
        Assert.Contains("<Key>a&#x1;b&#x1F;c</Key>", listing.Body, StringComparison.Ordinal);
        Assert.Equal(200, (await RawS3.SendSignedAsync(server, "GET", "/mine")).Status);
        Assert.Equal(200, (await RawS3.SendSignedAsync(server, "GET", "/mine?list-type=2&prefix=%00")).Status);
        Assert.Equal(200, (await RawS3.SendSignedAsync(server, "GET", "/mine?list-type=2&delimiter=%00")).Status);
        var url = await RawS3.SendSignedAsync(server, "GET", "/mine?list-type=2&encoding-type=url");
        Assert.Contains("<Key>a%01b%1Fc</Key>", url.Body, StringComparison.Ordinal);

        var missing = await RawS3.SendSignedAsync(server, "GET", "/mine/missing%02key");
        Assert.Equal(404, missing.Status);
        Assert.Contains("<Code>NoSuchKey</Code>", missing.Body, StringComparison.Ordinal);

        var created = await RawS3.SendSignedAsync(server, "POST", "/mine/up%01load?uploads");
        Assert.Equal(200, created.Status);
        Assert.Contains("<Key>up&#x1;load</Key>", created.Body, StringComparison.Ordinal);
        string uploadId = created.Body.Split("<UploadId>")[1].Split("</UploadId>")[0];
        Assert.Equal(200, (await RawS3.SendSignedAsync(server, "GET", "/mine?uploads")).Status);
        Assert.Equal(204, (await RawS3.SendSignedAsync(server, "DELETE", $"/mine/up%01load?uploadId={uploadId}")).Status);

        var deleted = await RawS3.SendSignedAsync(server, "POST", "/mine?delete",
            "<Delete><Object><Key>a&#x1;b&#x1F;c</Key></Object></Delete>");
        Assert.Equal(200, deleted.Status);
        var after = await RawS3.SendSignedAsync(server, "GET", "/mine?list-type=2");
        Assert.Contains("<KeyCount>0</KeyCount>", after.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ResponseOverridesAndMetadataAreSentEncodedOrRefused()
    {
        await using var server = await StartWithObjectAsync();
        var control = await RawS3.SendSignedAsync(server, "GET", "/victim/secret.txt?response-content-type=%00");
        Assert.Equal(400, control.Status);
        Assert.Contains("<Code>InvalidArgument</Code>", control.Body, StringComparison.Ordinal);

        var disposition = await RawS3.SendSignedAsync(server, "GET",
            "/victim/secret.txt?response-content-disposition=" + Uri.EscapeDataString("attachment; filename=\"é.txt\""));
        Assert.Equal(200, disposition.Status);
        Assert.Equal("attachment; filename*=UTF-8''%C3%A9.txt", disposition.Headers["content-disposition"]);

        Assert.Equal(200, (await RawS3.SendSignedAsync(server, "PUT", "/mine/cafe", "x", signed: [H("x-amz-meta-drink", "café")])).Status);
        var head = await RawS3.SendSignedAsync(server, "HEAD", "/mine/cafe");
        Assert.Equal(200, head.Status);
        Assert.Equal("=?UTF-8?B?" + Convert.ToBase64String(Encoding.UTF8.GetBytes("café")) + "?=", head.Headers["x-amz-meta-drink"]);
        using var s3 = server.Client();
        using (var get = await s3.GetObjectAsync("mine", "cafe"))
        {
            Assert.Equal(HttpStatusCode.OK, get.HttpStatusCode);
        }

        // RFC 2047 on the way in is decoded and stored as the text it stands for.
        string encoded = "=?UTF-8?B?" + Convert.ToBase64String(Encoding.UTF8.GetBytes("thé")) + "?=";
        Assert.Equal(200, (await RawS3.SendSignedAsync(server, "PUT", "/mine/tea", "x", signed: [H("x-amz-meta-drink", encoded)])).Status);
        Assert.Equal(encoded, (await RawS3.SendSignedAsync(server, "HEAD", "/mine/tea")).Headers["x-amz-meta-drink"]);

        var refused = await RawS3.SendSignedAsync(server, "PUT", "/mine/bell", "x", signed: [H("x-amz-meta-bell", "ding\u0007dong")]);
        Assert.Equal(400, refused.Status);
        Assert.Equal(404, (await RawS3.SendSignedAsync(server, "HEAD", "/mine/bell")).Status);
    }

    [Fact]
    public async Task PagesAndImagesABrowserWouldRunAreSandboxedOffTheConsolesOrigin()
    {
        await using var server = await StartWithObjectAsync();
        using var s3 = server.Client();
        const string sandbox = "sandbox allow-scripts allow-forms allow-popups allow-modals allow-downloads";
        foreach (var (key, type) in new[] { ("page.html", "text/html; charset=utf-8"), ("logo.svg", "image/svg+xml"), ("feed", "application/atom+xml") })
        {
            await s3.PutObjectAsync(new PutObjectRequest { BucketName = "mine", Key = key, ContentBody = "<script>steal()</script>", ContentType = type });
            foreach (string method in new[] { "GET", "HEAD" })
            {
                var answer = await RawS3.SendSignedAsync(server, method, "/mine/" + key);
                Assert.Equal(200, answer.Status);
                Assert.Equal(sandbox, answer.Headers["content-security-policy"]);
                Assert.Equal("nosniff", answer.Headers["x-content-type-options"]);
            }
        }
        // Served as a page on request (response-content-type) is sandboxed all the same; plain text is not.
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = "mine", Key = "notes.txt", ContentBody = "plain", ContentType = "text/plain" });
        var plain = await RawS3.SendSignedAsync(server, "GET", "/mine/notes.txt");
        Assert.False(plain.Headers.ContainsKey("content-security-policy"));
        Assert.Equal("nosniff", plain.Headers["x-content-type-options"]);
        var asPage = await RawS3.SendSignedAsync(server, "GET", "/mine/notes.txt?response-content-type=text%2Fhtml");
        Assert.Equal(sandbox, asPage.Headers["content-security-policy"]);
    }

    // ---- work an attacker can impose ---------------------------------------------------------------------------

    [Fact]
    public async Task DeeplyNestedXmlIsRefusedBeforeItCostsAnything()
    {
        await using var server = await StartWithObjectAsync();
        const int depth = 200_000;
        string body = "<Delete>" + string.Concat(Enumerable.Repeat("<a>", depth)) + string.Concat(Enumerable.Repeat("</a>", depth)) + "</Delete>";
        var response = await RawS3.SendSignedAsync(server, "POST", "/mine?delete", body);
        Assert.Equal(400, response.Status);
        Assert.Contains("<Code>MalformedXML</Code>", response.Body, StringComparison.Ordinal);

        string wide = "<Delete>" + string.Concat(Enumerable.Repeat("<Object><Key>k</Key></Object>", 30_000)) + "</Delete>";
        Assert.Equal(400, (await RawS3.SendSignedAsync(server, "POST", "/mine?delete", wide)).Status);
    }

    [Fact]
    public async Task AnUploadThatTricklesAfterAFastStartGetsRequestTimeout()
    {
        await using var server = await StartWithObjectAsync(new Dictionary<string, string?>
        {
            ["S3:Uploads:MinBytesPerSecond"] = "1000",
            ["S3:Uploads:Window"] = "00:00:01",
        });
        using var client = await ConnectAsync(server);
        var stream = client.GetStream();
        await WriteHeadAsync(stream, "PUT", "/mine/slow", server, [H("Content-Length", "1000000")]);
        await stream.WriteAsync(new byte[64 * 1024]); // a fast start, far above the minimum
        var responseTask = ReadResponseAsync(stream);
        for (int i = 0; i < 100 && !responseTask.IsCompleted; i++)
        {
            await Task.Delay(200);
            try
            {
                await stream.WriteAsync(new byte[1]); // then a byte every 200 ms: 5 bytes a second
            }
            catch (IOException)
            {
                break; // the server closed the connection after answering
            }
        }
        string response = await responseTask;
        Assert.StartsWith("HTTP/1.1 400", response, StringComparison.Ordinal);
        Assert.Contains("<Code>RequestTimeout</Code>", response, StringComparison.Ordinal);
        using var s3 = server.Client();
        Assert.Empty((await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = "mine" })).S3Objects ?? []);
    }

    [Fact]
    public async Task SlowUploadsBeyondTheCapAreRefused()
    {
        var guard = new UploadRateGuard(new UploadRateOptions
        {
            MinBytesPerSecond = 1, Window = TimeSpan.FromSeconds(1), SlowBytesPerSecond = 1 << 30, MaxSlowUploads = 1,
        }, TimeProvider.System);
        var first = guard.Wrap(new TricklingStream(), "192.0.2.1");
        var second = guard.Wrap(new TricklingStream(), "192.0.2.2");
        var buffer = new byte[16];
        // Reads of the first until its first window ends: it is slow, and takes the one slot.
        for (int i = 0; i < 30 && guard.SlowUploads == 0; i++)
        {
            _ = await first.ReadAsync(buffer);
        }
        Assert.Equal(1, guard.SlowUploads);
        var refused = await Assert.ThrowsAsync<S3.S3Exception>(async () =>
        {
            for (int i = 0; i < 30; i++)
            {
                _ = await second.ReadAsync(buffer);
            }
        });
        Assert.Equal("RequestTimeout", refused.Error.Code);
        await first.DisposeAsync();
        Assert.Equal(0, guard.SlowUploads);
    }

    [Fact]
    public async Task OneClientCannotTakeEverySlowUploadSlot()
    {
        var guard = new UploadRateGuard(new UploadRateOptions
        {
            MinBytesPerSecond = 1, Window = TimeSpan.FromSeconds(1), SlowBytesPerSecond = 1 << 30, MaxSlowUploads = 10, MaxSlowUploadsPerClient = 1,
        }, TimeProvider.System);
        var buffer = new byte[16];
        async Task ReadWindowsAsync(Stream body)
        {
            for (int i = 0; i < 30; i++)
            {
                _ = await body.ReadAsync(buffer);
            }
        }
        var attacker = guard.Wrap(new TricklingStream(), "198.51.100.7");
        var again = guard.Wrap(new TricklingStream(), "198.51.100.7");
        var someoneElse = guard.Wrap(new TricklingStream(), "203.0.113.9");
        await ReadWindowsAsync(attacker);
        var refused = await Assert.ThrowsAsync<S3.S3Exception>(() => ReadWindowsAsync(again));
        Assert.Equal("RequestTimeout", refused.Error.Code);
        await ReadWindowsAsync(someoneElse); // another address still gets a slot
        Assert.Equal(2, guard.SlowUploads);
    }

    /// <summary>Ten bytes every 100 ms, forever.</summary>
    private sealed class TricklingStream : ReadOnlyBodyStream
    {
        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            await Task.Delay(100, cancellationToken);
            int n = Math.Min(10, buffer.Length);
            buffer.Span[..n].Fill((byte)'t');
            return n;
        }
    }

    [Theory]
    [InlineData("bytes=99999999999999999999-", 416)]
    [InlineData("bytes=0-99999999999999999999", 206)]
    [InlineData("bytes=-99999999999999999999", 206)]
    [InlineData("bytes=abc-", 200)]
    [InlineData("bytes=5-1", 200)]
    public async Task RangesThatOverflowOrDoNotParseGetS3sAnswer(string range, int status)
    {
        await using var server = await StartWithObjectAsync();
        var response = await RawS3.SendSignedAsync(server, "GET", "/victim/secret.txt", unsigned: [H("Range", range)]);
        Assert.Equal(status, response.Status);
        if (status == 206)
        {
            Assert.Equal("the victim's secret", response.Body);
        }
    }

    // ---- space and data folders --------------------------------------------------------------------------------

    [Fact]
    public async Task AFullStoreAnswers507AndIsNotWritableWhileDeletesStillWork()
    {
        string dataDir = Directory.CreateTempSubdirectory("objstore-full-").FullName;
        var before = await DevServer.StartAsync("2+1", dataDir, new Dictionary<string, string?> { ["ReserveBytes"] = "0" });
        using (var s3 = before.Client())
        {
            await s3.PutBucketAsync("full");
            await s3.PutObjectAsync(new PutObjectRequest { BucketName = "full", Key = "old", ContentBody = "written before the disk filled" });
        }
        await before.StopAsync();
        // A reserve larger than the disk: every store is "full".
        await using var full = await DevServer.StartAsync("2+1", dataDir, new Dictionary<string, string?> { ["ReserveBytes"] = (1L << 60).ToString(System.Globalization.CultureInfo.InvariantCulture) });
        using var client = full.Client();
        var refused = await Assert.ThrowsAsync<AmazonS3Exception>(() => client.PutObjectAsync(new PutObjectRequest { BucketName = "full", Key = "new", ContentBody = "x" }));
        Assert.Equal((HttpStatusCode)507, refused.StatusCode);
        Assert.Equal("InsufficientStorage", refused.ErrorCode);

        using var http = new HttpClient();
        using var ready = await http.GetAsync(full.Url + "/_objstore/health/ready");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode); // reads and deletes still work: keep it in rotation
        string health = await ready.Content.ReadAsStringAsync();
        Assert.Contains("\"writable\":false", health, StringComparison.Ordinal);
        Assert.Contains("\"full\":true", health, StringComparison.Ordinal);
        Assert.Contains("\"freeBytes\":", health, StringComparison.Ordinal);
        using var writable = await http.GetAsync(full.Url + "/_objstore/health/writable");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, writable.StatusCode);

        using (var old = await client.GetObjectAsync("full", "old"))
        {
            Assert.Equal(HttpStatusCode.OK, old.HttpStatusCode);
        }
        await client.DeleteObjectAsync("full", "old");
        Assert.Empty((await client.ListObjectsV2Async(new ListObjectsV2Request { BucketName = "full" })).S3Objects ?? []);
    }

    [Fact]
    public void AWriteThatRunsOutOfSpaceIsRecognised()
    {
        if (!File.Exists("/dev/full"))
        {
            return; // Linux's always-full device is what makes ENOSPC on demand
        }
        var e = Assert.ThrowsAny<IOException>(() => File.WriteAllBytes("/dev/full", new byte[4096]));
        Assert.True(Core.StoreFullException.IsDiskFull(e), $"HResult {e.HResult:x}");
    }

    /// <summary>
    /// The binary turns off .NET's flock emulation of FileShare (System.IO.DisableFileLocking); the data folder's
    /// lock takes flock itself, so a second process on the folder is still refused.
    /// </summary>
    [Fact]
    public async Task ASecondObjstoreProcessOnADataFolderIsRefused()
    {
        string dir = Directory.CreateTempSubdirectory("objstore-lock-").FullName;
        try
        {
            using var first = await DevProcess.StartAsync(dir, new Dictionary<string, string>());
            var start = new System.Diagnostics.ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (string arg in new[] { RepoPaths.Objstore, "dev", "--listen", "http://127.0.0.1:0", "--data", dir, "--access-key", "it", "--secret-key", "integration-secret" })
            {
                start.ArgumentList.Add(arg);
            }
            using var second = System.Diagnostics.Process.Start(start)!;
            try
            {
                await second.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
            }
            finally
            {
                if (!second.HasExited)
                {
                    second.Kill(entireProcessTree: true); // it started on the folder: the failure the test is for
                }
            }
            var output = second.StandardOutput.ReadToEndAsync();
            string error = await second.StandardError.ReadToEndAsync();
            Assert.NotEqual(0, second.ExitCode);
            Assert.Contains("in use by another objstore process", error + await output, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task ADataFolderServesOneProcessAndKeepsItsLayout()
    {
        await using var first = await DevServer.StartAsync("2+1");
        var inUse = await Assert.ThrowsAsync<DataFolderInUseException>(() => DevServer.StartAsync("2+1", first.DataDir));
        Assert.Contains("in use by another objstore process", inUse.Message, StringComparison.Ordinal);
        using (var s3 = first.Client())
        {
            await s3.PutBucketAsync("layout");
            await s3.PutObjectAsync(new PutObjectRequest { BucketName = "layout", Key = "k", ContentBody = "two plus one" });
        }
        await first.StopAsync();

        var conflict = await Assert.ThrowsAsync<ArgumentException>(() => DevServer.StartAsync("4+2", first.DataDir));
        Assert.Contains("created with erasure layout 2+1, not 4+2", conflict.Message, StringComparison.Ordinal);

        // A folder from before layout records: its shards' footers say how they were written.
        File.Delete(Path.Combine(first.DataDir, "layout.json"));
        var unrecorded = await Assert.ThrowsAsync<ArgumentException>(() => DevServer.StartAsync("4+2", first.DataDir));
        Assert.Contains("created with erasure layout 2+1, not 4+2", unrecorded.Message, StringComparison.Ordinal);

        // Stopped, the folder is free again, with its own layout.
        await using var again = await DevServer.StartAsync("2+1", first.DataDir);
        using var client = again.Client();
        using var get = await client.GetObjectAsync("layout", "k");
        Assert.Equal("two plus one", await new StreamReader(get.ResponseStream).ReadToEndAsync());
    }
}
