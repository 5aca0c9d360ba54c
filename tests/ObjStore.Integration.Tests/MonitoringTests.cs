using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Amazon.S3;
using Amazon.S3.Model;
using Microsoft.Extensions.Logging;

namespace ObjStore.Integration.Tests;

/// <summary>
/// What an operator watches: the Prometheus scrape (parsed, after real S3 traffic), who may scrape, the separate
/// metrics listener, the access log (format, and no secret in it), one-line warnings for expected failures, and the
/// health probes, ours and MinIO's.
/// </summary>
public sealed class MonitoringTests
{
    private static readonly HttpClient Http = new();

    [Fact]
    public async Task AScrapeCountsTheOperationsDoneAndShowsEveryStore()
    {
        await using var server = await DevServer.StartAsync("4+2");
        using var s3 = server.Client();
        await s3.PutBucketAsync("scraped");
        var body = new byte[1000];
        for (int i = 0; i < 3; i++)
        {
            await s3.PutObjectAsync(new PutObjectRequest { BucketName = "scraped", Key = $"k{i}", InputStream = new MemoryStream(body) });
        }
        using (var got = await s3.GetObjectAsync("scraped", "k0"))
        {
            Assert.Equal(1000, (await Downloads.ReadAllAsync(got.ResponseStream)).Length);
        }
        // A HEAD: its 404 has no body, so the bytes sent below are the GET's alone.
        var missing = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.GetObjectMetadataAsync("scraped", "absent"));
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = "scraped" });

        var (scrape, metrics) = await ScrapeSettledAsync(server);
        Assert.Equal(200, scrape.Status);
        Assert.StartsWith("text/plain", scrape.Headers["content-type"], StringComparison.Ordinal);

        Assert.Equal("counter", metrics.Types["objstore_s3_requests_total"]);
        Assert.Equal(1, metrics.Value("objstore_s3_requests_total", "operation=CreateBucket", "status=200"));
        Assert.Equal(3, metrics.Value("objstore_s3_requests_total", "operation=PutObject", "status=200"));
        Assert.Equal(1, metrics.Value("objstore_s3_requests_total", "operation=GetObject", "status=200"));
        Assert.Equal(1, metrics.Value("objstore_s3_requests_total", "operation=HeadObject", "status=404"));
        Assert.Empty(metrics.Find("objstore_s3_requests_total", "operation=GetObject", "status=404"));
        Assert.Equal(1, metrics.Value("objstore_s3_requests_total", "operation=ListObjectsV2", "status=200"));
        Assert.Equal(1, metrics.Value("objstore_s3_errors_total", "code=NoSuchKey"));

        Assert.Equal("histogram", metrics.Types["objstore_s3_request_duration_seconds"]);
        var putBuckets = metrics.Find("objstore_s3_request_duration_seconds_bucket", "operation=PutObject");
        Assert.True(putBuckets.Count > 10, $"{putBuckets.Count} buckets");
        Assert.Equal(3, metrics.Value("objstore_s3_request_duration_seconds_bucket", "operation=PutObject", "le=+Inf"));
        Assert.Equal(3, metrics.Value("objstore_s3_request_duration_seconds_count", "operation=PutObject"));
        Assert.True(metrics.Value("objstore_s3_request_duration_seconds_sum", "operation=PutObject") > 0);
        // Cumulative buckets never decrease.
        var counts = putBuckets.Select(b => b.Value).ToList();
        Assert.Equal(counts.Order(), counts);

        // The SDK's framing (aws-chunked, trailing checksums) comes on top of the objects' bytes; a GET sends exactly them.
        Assert.True(metrics.Value("objstore_s3_received_bytes_total", "operation=PutObject") >= 3000);
        Assert.Equal(1000, metrics.Value("objstore_s3_sent_bytes_total", "operation=GetObject"));
        Assert.Equal(0, metrics.Value("objstore_s3_requests_in_flight"));

        var up = metrics.Find("objstore_store_up");
        Assert.Equal(["store-00", "store-01", "store-02", "store-03", "store-04", "store-05"], up.Select(s => s.Labels["store"]).Order(StringComparer.Ordinal));
        Assert.All(up, s => Assert.Equal(1, s.Value));
        Assert.Equal(6, metrics.Find("objstore_store_free_bytes").Count);
        Assert.All(metrics.Find("objstore_store_total_bytes"), s => Assert.True(s.Value > 0));
        Assert.Equal(6, metrics.Find("objstore_store_total_bytes").Count);
        Assert.All(metrics.Find("objstore_store_full"), s => Assert.Equal(0, s.Value));
        Assert.Equal(0, metrics.Value("objstore_shards_degraded"));
        Assert.Equal(1, metrics.Value("objstore_cluster_writable"));
        Assert.True(metrics.Value("objstore_catalogue_size_bytes") > 0);
        Assert.True(metrics.Find("objstore_catalogue_commit_duration_seconds_count").Sum(s => s.Value) > 0);

        // Per shard store: every call timed by operation, errors, bytes. Three PUTs of 1000 bytes at 4+2 are 6 shards
        // each (one stripe: 250-byte blocks, a checksum after each, and a footer), so each store was written three times.
        Assert.Equal("histogram", metrics.Types["objstore_store_operation_duration_seconds"]);
        foreach (var store in up.Select(s => s.Labels["store"]))
        {
            Assert.Equal(3, metrics.Value("objstore_store_operation_duration_seconds_count", $"store={store}", "operation=create"));
            Assert.Equal(3, metrics.Value("objstore_store_operation_duration_seconds_count", $"store={store}", "operation=commit"));
            Assert.True(metrics.Value("objstore_store_written_bytes_total", $"store={store}") > 3 * 250);
        }
        Assert.Empty(metrics.Find("objstore_store_errors_total"));
        // The GET read the four data shards' blocks (the HEAD of a missing key read none).
        Assert.Equal(4, metrics.Find("objstore_store_read_bytes_total").Count);
        Assert.All(metrics.Find("objstore_store_read_bytes_total"), s => Assert.True(s.Value >= 250));
        // Codec throughput: 3000 bytes encoded, the GET's 1000 decoded from data shards, nothing reconstructed.
        Assert.Equal(3000, metrics.Value("objstore_codec_encoded_bytes_total"));
        Assert.Equal(1000, metrics.Value("objstore_codec_decoded_bytes_total"));
        Assert.Empty(metrics.Find("objstore_codec_reconstructed_bytes_total"));
    }

    [Fact]
    public async Task AReadWithAShardMissingCountsReconstructedBytesAndTheStoreError()
    {
        await using var server = await DevServer.StartAsync("4+2", settings: new Dictionary<string, string?> { ["Metrics:Anonymous"] = "true" });
        using var s3 = server.Client();
        await s3.PutBucketAsync("rebuilt");
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = "rebuilt", Key = "k", InputStream = new MemoryStream(new byte[4000]) });
        // Data shard 0's file goes: the GET reads a parity shard instead and rebuilds the stripe.
        var shard0 = server.ShardFiles().Single(f => f.EndsWith(".00", StringComparison.Ordinal));
        File.Delete(shard0);
        string store = server.Stores.Single(s => shard0.StartsWith(Path.Combine(server.DataDir, s.Id) + Path.DirectorySeparatorChar, StringComparison.Ordinal)).Id;
        Assert.Equal(4000, (await s3.GetBytesAsync("rebuilt", "k")).Length);

        var metrics = Prometheus.Parse(await Http.GetStringAsync(server.Url + "/_objstore/metrics"));
        Assert.Equal(4000, metrics.Value("objstore_codec_reconstructed_bytes_total"));
        Assert.True(metrics.Value("objstore_store_errors_total", $"store={store}", "operation=open") >= 1);
    }

    [Fact]
    public async Task AStorageNodeServesItsRequestAndByteCountersUnsigned()
    {
        await using var node = await TestNode.StartAsync("metered", exportMetrics: true);
        var store = node.Client();
        string id = ObjStore.Core.ShardId.For(ObjStore.Core.ShardId.NewDataId(), 0);
        var data = TestData.Bytes(300_000, seed: 3);
        await using (var writer = await store.CreateAsync(id, CancellationToken.None))
        {
            await writer.WriteAsync(data, CancellationToken.None);
            await writer.CommitAsync("footer"u8.ToArray(), CancellationToken.None);
        }
        await using (var reader = await store.OpenAsync(id, CancellationToken.None))
        {
            var buffer = new byte[100_000];
            Assert.Equal(buffer.Length, await reader.ReadAsync(0, buffer, CancellationToken.None));
        }
        await store.DeleteAsync(id, CancellationToken.None);

        using var scrape = await Http.GetAsync(new Uri(node.Url, "/_objstore/metrics"));
        Assert.Equal(HttpStatusCode.OK, scrape.StatusCode);
        var metrics = Prometheus.Parse(await scrape.Content.ReadAsStringAsync());
        Assert.Equal(1, metrics.Value("objstore_node_requests_total", "operation=put", "status=201"));
        Assert.Equal(1, metrics.Value("objstore_node_requests_total", "operation=delete", "status=204"));
        Assert.Equal(1, metrics.Find("objstore_node_requests_total", "operation=get").Sum(s => s.Value)); // the main port: no probe named the read port
        Assert.Equal(300_000 + 6, metrics.Value("objstore_node_received_bytes_total"));
        Assert.True(metrics.Value("objstore_node_sent_bytes_total") >= 100_000);
        Assert.Equal("histogram", metrics.Types["objstore_node_request_duration_seconds"]);
        Assert.Equal(1, metrics.Value("objstore_node_request_duration_seconds_count", "operation=put"));
    }

    [Fact]
    public async Task AStoreThatGoesAwayShowsDownInTheGaugesAndTheProbes()
    {
        await using var server = await DevServer.StartAsync("4+2", settings: new Dictionary<string, string?> { ["Metrics:Anonymous"] = "true" });
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(server.Url + "/minio/health/cluster"));
        // A store whose folder is gone answers its health check as not ready (LocalShardStore.GetHealthAsync).
        Directory.Delete(Path.Combine(server.DataDir, "store-01", "tmp"), recursive: true);
        Directory.Delete(Path.Combine(server.DataDir, "store-04", "tmp"), recursive: true);

        var metrics = Prometheus.Parse(await Http.GetStringAsync(server.Url + "/_objstore/metrics"));
        Assert.Equal(0, metrics.Value("objstore_store_up", "store=store-01"));
        Assert.Equal(0, metrics.Value("objstore_store_up", "store=store-04"));
        Assert.Equal(1, metrics.Value("objstore_store_up", "store=store-00"));
        Assert.Equal(0, metrics.Value("objstore_cluster_ready"));

        // 4 of 6 up: below the write quorum of 5, still K for reads.
        using var cluster = await Http.GetAsync(server.Url + "/minio/health/cluster");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, cluster.StatusCode);
        Assert.Equal("5", Assert.Single(cluster.Headers.GetValues("X-Minio-Write-Quorum")));
        Assert.Equal("4", Assert.Single(cluster.Headers.GetValues("X-ObjStore-Stores-Up")));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, await StatusAsync(server.Url + "/minio/health/ready"));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, await StatusAsync(server.Url + "/_objstore/health/ready"));
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(server.Url + "/minio/health/cluster/read"));
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(server.Url + "/minio/health/live"));
    }

    [Fact]
    public async Task MetricsOnTheS3PortNeedTheRootSignatureUnlessMadeAnonymous()
    {
        await using (var signedOnly = await DevServer.StartAsync("2+1"))
        {
            using var anonymous = await Http.GetAsync(signedOnly.Url + "/_objstore/metrics");
            Assert.Equal(HttpStatusCode.Forbidden, anonymous.StatusCode);
            Assert.DoesNotContain("objstore_", await anonymous.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            // /metrics on the S3 port is a bucket's path, not the scrape.
            using var bucketPath = await Http.GetAsync(signedOnly.Url + "/metrics");
            Assert.DoesNotContain("objstore_", await bucketPath.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        await using var open = await DevServer.StartAsync("2+1", settings: new Dictionary<string, string?> { ["Metrics:Anonymous"] = "true" });
        using var scrape = await Http.GetAsync(open.Url + "/_objstore/metrics");
        Assert.Equal(HttpStatusCode.OK, scrape.StatusCode);
        Assert.Equal(3, Prometheus.Parse(await scrape.Content.ReadAsStringAsync()).Find("objstore_store_up").Count);
    }

    [Fact]
    public async Task TheMetricsListenerServesMetricsWithoutCredentialsAndNothingElse()
    {
        int port = FreePort();
        await using var server = await DevServer.StartAsync("4+2", settings: new Dictionary<string, string?> { ["Metrics:Listen"] = $"http://127.0.0.1:{port}" });
        using var s3 = server.Client();
        await s3.PutBucketAsync("listened");

        string listener = $"http://127.0.0.1:{port}";
        var metrics = Prometheus.Parse(await Http.GetStringAsync(listener + "/metrics"));
        Assert.Equal(1, metrics.Value("objstore_s3_requests_total", "operation=CreateBucket", "status=200"));
        Assert.Equal(6, metrics.Find("objstore_store_up").Count);
        Assert.Equal(HttpStatusCode.NotFound, await StatusAsync(listener + "/listened"));
        Assert.Equal(HttpStatusCode.NotFound, await StatusAsync(listener + "/_objstore/metrics"));
        // The S3 port keeps its own rule.
        Assert.Equal(HttpStatusCode.Forbidden, await StatusAsync(server.Url + "/_objstore/metrics"));
    }

    [Fact]
    public void AMetricsListenerOnTheS3PortOrWithoutAPortIsRefused()
    {
        var options = new ObjStore.Hosting.Monitoring.MetricsOptions { Listen = "http://127.0.0.1:9000" };
        Assert.Throws<ArgumentException>(() => options.Validate("http://127.0.0.1:9000"));
        options.Listen = "http://127.0.0.1:0";
        Assert.Throws<ArgumentException>(() => options.Validate("http://127.0.0.1:9000"));
        options.Listen = "http://127.0.0.1:9100";
        options.Validate("http://127.0.0.1:9000");
    }

    [Fact]
    public async Task TheAccessLogHasOneLinePerRequestAndNoSecret()
    {
        await using var server = await DevServer.StartAsync("4+2", settings: new Dictionary<string, string?> { ["S3:AllowCustomerKeysOverHttp"] = "true" });
        var log = LogCapture.On(server);
        using var s3 = server.Client();
        await s3.PutBucketAsync("logged");
        byte[] customerKey = RandomNumberGenerator.GetBytes(32);
        string customerKeyText = Convert.ToBase64String(customerKey);
        var put = await s3.PutObjectAsync(new PutObjectRequest
        {
            BucketName = "logged", Key = "dir/a b.txt", ContentBody = "twelve bytes",
            ServerSideEncryptionCustomerMethod = ServerSideEncryptionCustomerMethod.AES256,
            ServerSideEncryptionCustomerProvidedKey = customerKeyText,
            ServerSideEncryptionCustomerProvidedKeyMD5 = Convert.ToBase64String(MD5.HashData(customerKey)),
        });
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = "logged", Key = "plain", ContentBody = "0123456789" });
        string url = await s3.GetPreSignedURLAsync(new GetPreSignedUrlRequest
        {
            BucketName = "logged", Key = "plain", Verb = HttpVerb.GET, Expires = DateTime.UtcNow.AddMinutes(5), Protocol = Protocol.HTTP,
        });
        Assert.Equal("0123456789", await Http.GetStringAsync(url));
        string signature = System.Web.HttpUtility.ParseQueryString(new Uri(url).Query)["X-Amz-Signature"]!;

        var lines = (await log.InAsync("ObjStore.Access", 4)).Select(e => e.Message).ToList();
        Assert.Equal(4, lines.Count);
        Assert.All(lines, l => Assert.DoesNotContain('\n', l));
        var fields = lines.Select(l => l.Split(' ')).ToList();
        Assert.All(fields, f => Assert.Equal(11, f.Length));
        // time, request id, user, access key, operation, bucket, key, status, bytes in, bytes out, milliseconds
        Assert.Equal(["CreateBucket", "PutObject", "PutObject", "GetObject"], fields.Select(f => f[4]));
        var encrypted = fields[1];
        Assert.True(DateTimeOffset.TryParse(encrypted[0], System.Globalization.CultureInfo.InvariantCulture, out _));
        Assert.Equal(put.ResponseMetadata.RequestId, encrypted[1]);
        Assert.Equal("it", encrypted[3]);
        Assert.Equal("logged", encrypted[5]);
        Assert.Equal("dir/a%20b.txt", encrypted[6]);
        Assert.Equal("200", encrypted[7]);
        Assert.True(long.Parse(encrypted[8], System.Globalization.CultureInfo.InvariantCulture) >= 12);
        var presigned = fields[3];
        Assert.Equal("plain", presigned[6]);
        Assert.Equal("10", presigned[9]);
        Assert.True(double.Parse(presigned[10], System.Globalization.CultureInfo.InvariantCulture) >= 0);
        foreach (string secret in new[] { "integration-secret", customerKeyText, signature, "X-Amz-Signature", "X-Amz-Credential" })
        {
            Assert.All(log.Entries, e => Assert.DoesNotContain(secret, e.Message, StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task TheAccessLogCanBeJsonOrOff()
    {
        await using (var json = await DevServer.StartAsync("2+1", settings: new Dictionary<string, string?> { ["AccessLog:Format"] = "json" }))
        {
            var log = LogCapture.On(json);
            using var s3 = json.Client();
            await s3.PutBucketAsync("json-logged");
            await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.GetObjectAsync("json-logged", "line\nbreak"));
            var entries = (await log.InAsync("ObjStore.Access", 2)).Select(e => JsonDocument.Parse(e.Message).RootElement).ToList();
            Assert.Equal(2, entries.Count);
            var missing = entries[1];
            Assert.Equal("GetObject", missing.GetProperty("operation").GetString());
            Assert.Equal("json-logged", missing.GetProperty("bucket").GetString());
            Assert.Equal("line\nbreak", missing.GetProperty("key").GetString());
            Assert.Equal(404, missing.GetProperty("status").GetInt32());
            Assert.Equal("NoSuchKey", missing.GetProperty("error").GetString());
            Assert.Equal("it", missing.GetProperty("accessKey").GetString());
            Assert.True(missing.GetProperty("durationMs").GetDouble() >= 0);
            Assert.DoesNotContain('\n', log.In("ObjStore.Access")[1].Message);
        }
        await using var off = await DevServer.StartAsync("2+1", settings: new Dictionary<string, string?> { ["AccessLog:Enabled"] = "false" });
        var quiet = LogCapture.On(off);
        using (var s3 = off.Client())
        {
            await s3.PutBucketAsync("unlogged");
        }
        Assert.Empty(quiet.In("ObjStore.Access"));
        await Assert.ThrowsAsync<ArgumentException>(() => DevServer.StartAsync("2+1", settings: new Dictionary<string, string?> { ["AccessLog:Format"] = "xml" }));
    }

    [Fact]
    public async Task TheAccessLogWrittenByItsOwnWriterHasTheSameLines()
    {
        using var folder = new TempFolder("objstore-access-");
        string file = Path.Combine(folder.Path, "access.log");
        await using (var server = await DevServer.StartAsync("2+1", settings: new Dictionary<string, string?> { ["AccessLog:Output"] = file }))
        {
            var log = LogCapture.On(server);
            using var s3 = server.Client();
            await s3.PutBucketAsync("file-logged");
            await s3.PutObjectAsync(new PutObjectRequest { BucketName = "file-logged", Key = "k 1", ContentBody = "0123456789" });
            for (int i = 0; i < 300; i++)
            {
                await s3.GetObjectMetadataAsync("file-logged", "k 1");
            }
            Assert.Empty(log.In("ObjStore.Access")); // written to the file instead
        }
        // Stopping the server writes out what was queued: every request is a line, in order, nothing torn.
        var lines = File.ReadAllLines(file);
        Assert.Equal(302, lines.Length);
        Assert.All(lines, l => Assert.Equal(11, l.Split(' ').Length));
        Assert.Equal(["CreateBucket", "PutObject"], lines.Take(2).Select(l => l.Split(' ')[4]));
        Assert.All(lines.Skip(2), l => Assert.Equal(["HeadObject", "file-logged", "k%201", "200"], l.Split(' ')[4..8]));
    }

    [Fact]
    public async Task AClientThatHangsUpMidDownloadIsOneWarningLine()
    {
        await using var server = await DevServer.StartAsync("4+2");
        var log = LogCapture.On(server);
        using var s3 = server.Client();
        await s3.PutBucketAsync("hangup");
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = "hangup", Key = "big", InputStream = new MemoryStream(new byte[32 << 20]) });
        string url = await s3.GetPreSignedURLAsync(new GetPreSignedUrlRequest
        {
            BucketName = "hangup", Key = "big", Verb = HttpVerb.GET, Expires = DateTime.UtcNow.AddMinutes(5), Protocol = Protocol.HTTP,
        });
        var uri = new Uri(server.Url);
        using (var client = new TcpClient())
        {
            await client.ConnectAsync(uri.Host, uri.Port);
            var stream = client.GetStream();
            string target = url[url.IndexOf('/', "http://".Length)..];
            await stream.WriteAsync(Encoding.ASCII.GetBytes($"GET {target} HTTP/1.1\r\nHost: {uri.Authority}\r\n\r\n"));
            _ = await stream.ReadAsync(new byte[64 * 1024]); // the answer has begun
            client.Client.LingerState = new LingerOption(true, 0); // close with a reset, as a killed client does
        }
        // The request has ended when its access log line is written.
        for (int i = 0; i < 200 && !log.In("ObjStore.Access").Any(e => e.Message.Contains(" GetObject ", StringComparison.Ordinal)); i++)
        {
            await Task.Delay(50);
        }
        Assert.Contains(log.In("ObjStore.Access"), e => e.Message.Contains(" GetObject ", StringComparison.Ordinal));
        Assert.DoesNotContain(log.Entries, e => e.Level >= LogLevel.Error);
        Assert.All(log.Entries, e => Assert.Null(e.Exception));
        var warning = Assert.Single(log.Entries, e => e.Id.Id == 2003);
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.Contains("GetObject /hangup/big", warning.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', warning.Message);
    }

    [Fact]
    public async Task MinioProbesAnswerGetAndHeadAndABucketNamedMinioStillWorks()
    {
        await using var server = await DevServer.StartAsync("4+2");
        foreach (var method in new[] { HttpMethod.Get, HttpMethod.Head })
        {
            foreach (string path in new[] { "/minio/health/live", "/minio/health/ready", "/minio/health/cluster", "/minio/health/cluster/read", "/_objstore/health/live", "/_objstore/health/ready" })
            {
                using var request = new HttpRequestMessage(method, server.Url + path);
                using var response = await Http.SendAsync(request);
                Assert.True(response.StatusCode == HttpStatusCode.OK, $"{method} {path}: {response.StatusCode}");
            }
        }
        using (var cluster = await Http.GetAsync(server.Url + "/minio/health/cluster"))
        {
            Assert.Equal("5", Assert.Single(cluster.Headers.GetValues("X-Minio-Write-Quorum")));
        }

        // Only GET and HEAD of those four paths are probes: a bucket named "minio" keeps every other key and request.
        using var s3 = server.Client();
        await s3.PutBucketAsync("minio");
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = "minio", Key = "health/other", ContentBody = "kept" });
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = "minio", Key = "health/live", ContentBody = "shadowed for GET" });
        using (var other = await s3.GetObjectAsync("minio", "health/other"))
        {
            Assert.Equal("kept", await new StreamReader(other.ResponseStream).ReadToEndAsync());
        }
        var listed = await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = "minio" });
        Assert.Equal(["health/live", "health/other"], listed.S3Objects.Select(o => o.Key));
        Assert.Empty(await Http.GetStringAsync(server.Url + "/minio/health/live"));
    }

    /// <summary>
    /// A signed scrape once no request is in flight: a client can have its whole answer a moment before the server has
    /// counted the request (the count is taken after the handler returns), and the next request can be this scrape.
    /// </summary>
    private static async Task<(RawS3.Response Response, Prometheus Metrics)> ScrapeSettledAsync(DevServer server)
    {
        for (int attempt = 0; ; attempt++)
        {
            var scrape = await RawS3.SendSignedAsync(server, "GET", "/_objstore/metrics");
            var metrics = Prometheus.Parse(scrape.Body);
            if (scrape.Status != 200 || metrics.Find("objstore_s3_requests_in_flight").Sum(s => s.Value) == 0 || attempt == 50)
            {
                return (scrape, metrics);
            }
            await Task.Delay(20);
        }
    }

    private static async Task<HttpStatusCode> StatusAsync(string url)
    {
        using var response = await Http.GetAsync(url);
        return response.StatusCode;
    }

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }
}
