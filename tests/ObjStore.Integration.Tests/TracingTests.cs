using System.Collections.Concurrent;
using System.Diagnostics;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.AspNetCore.Hosting;
using Tracing = ObjStore.Core.Tracing;
using ObjStore.Hosting;

namespace ObjStore.Integration.Tests;

/// <summary>
/// Traces: the spans of a PUT and a GET through a gateway and three storage nodes (in-process, over loopback HTTP and
/// the read port), their shape and parents, the nodes' spans in the gateway's trace through W3C trace context, and
/// OTLP export to a collector (a tiny Kestrel endpoint taking POST /v1/traces).
/// </summary>
/// <remarks>
/// Alone (<see cref="RunsAlone"/>): its listener hears every host in the process, so it would turn tracing on for the
/// tests running beside it.
/// </remarks>
[Collection(RunsAlone.Name)]
public sealed class TracingTests
{
    private const string Secret = "tracing-cluster-secret";

    [Fact]
    public async Task APutAndGetThroughAGatewayAreOneTraceEachDownToTheNodes()
    {
        using var spans = new SpanRecorder();
        var nodes = new List<TestNode>();
        WebApplication? gateway = null;
        string dataDir = Directory.CreateTempSubdirectory("objstore-trace-").FullName;
        try
        {
            for (int i = 1; i <= 3; i++)
            {
                nodes.Add(await TestNode.StartAsync($"n{i}", Secret));
            }
            var settings = new Dictionary<string, string?>
            {
                ["ObjStore:Listen"] = "http://127.0.0.1:0",
                ["ObjStore:DataDir"] = dataDir,
                ["ObjStore:Erasure"] = "2+1",
                ["ObjStore:ReplicateUpTo"] = "0",
                ["ObjStore:StripeSize"] = "65536",
                ["ObjStore:AccessKey"] = "it",
                ["ObjStore:SecretKey"] = "integration-secret",
                ["ObjStore:ClusterSecret"] = Secret,
                ["ObjStore:NodeProbeInterval"] = "00:00:00.200",
                ["ObjStore:Tracing:Enabled"] = "true",
            };
            for (int i = 0; i < nodes.Count; i++)
            {
                settings[$"ObjStore:Nodes:{i}:Id"] = nodes[i].NodeId;
                settings[$"ObjStore:Nodes:{i}:Url"] = nodes[i].Url.ToString();
            }
            gateway = StoreHost.Build([], settings, StoreMode.Gateway);
            await gateway.StartAsync();
            string url = TestHosts.Address(gateway).ToString().TrimEnd('/');
            await WaitReadyAsync(url);
            using var s3 = new AmazonS3Client(new BasicAWSCredentials("it", "integration-secret"),
                new AmazonS3Config { ServiceURL = url, ForcePathStyle = true, AuthenticationRegion = "us-east-1", MaxErrorRetry = 0 });
            await s3.PutBucketAsync("traced");
            var body = TestData.Bytes(200_000, seed: 7);
            await s3.PutObjectAsync(new PutObjectRequest { BucketName = "traced", Key = "a/b.bin", InputStream = new MemoryStream(body) });
            using (var got = await s3.GetObjectAsync("traced", "a/b.bin"))
            {
                Assert.Equal(body, await Downloads.ReadAllAsync(got.ResponseStream));
            }

            var put = await spans.WaitForAsync(s => s.DisplayName == "PutObject" && Tag(s, "aws.s3.bucket") == "traced");
            Assert.Equal(ActivityKind.Server, put.Kind);
            Assert.Equal(default, put.ParentSpanId); // a root: the SDK sent no trace context
            Assert.Equal("PutObject", Tag(put, "rpc.method"));
            Assert.Equal("a/b.bin", Tag(put, "aws.s3.key"));
            Assert.Equal(200, put.GetTagItem("http.response.status_code"));

            // Spans end after the response: wait until the nodes' spans of this trace are in.
            await spans.WaitForAsync(s => s.TraceId == put.TraceId && s.DisplayName == "node put" && s.Kind == ActivityKind.Server, count: 3);
            var trace = spans.Of(put.TraceId);
            var writes = trace.Where(s => s.DisplayName == "shard.write").ToList();
            Assert.Equal(3, writes.Count); // one per store (2+1)
            Assert.All(writes, w => Assert.Equal(put.SpanId, w.ParentSpanId));
            Assert.Equal(["n1", "n2", "n3"], writes.Select(w => Tag(w, "objstore.store")).Order(StringComparer.Ordinal));
            Assert.Contains(trace, s => s.DisplayName == "catalogue Objects.CommitAsync" && s.ParentSpanId == put.SpanId);
            // Each store's write is a node request whose span on the node continues it: gateway client span -> node server span.
            foreach (var write in writes)
            {
                var request = Assert.Single(trace, s => s.ParentSpanId == write.SpanId && s.DisplayName == "node PUT");
                Assert.Equal(ActivityKind.Client, request.Kind);
                var served = Assert.Single(trace, s => s.ParentSpanId == request.SpanId && s.DisplayName == "node put");
                Assert.Equal(Tag(write, "objstore.store"), Tag(served, "objstore.node"));
                Assert.Equal(201, served.GetTagItem("http.response.status_code"));
            }

            var get = await spans.WaitForAsync(s => s.DisplayName == "GetObject" && Tag(s, "aws.s3.bucket") == "traced");
            await spans.WaitForAsync(s => s.TraceId == get.TraceId && s.Kind == ActivityKind.Server && s.DisplayName.StartsWith("node ", StringComparison.Ordinal), count: 2);
            var getTrace = spans.Of(get.TraceId);
            var reads = getTrace.Where(s => s.DisplayName == "shard.read" && s.ParentSpanId == get.SpanId).ToList();
            Assert.True(reads.Count >= 2, $"{reads.Count} shard reads"); // k = 2 data shards
            // The nodes served the reads (on the sendfile port once the probes named it) inside the GET's trace.
            Assert.True(getTrace.Count(s => s.Kind == ActivityKind.Server && s.DisplayName is "node read-port GET" or "node get"
                && reads.Any(r => r.SpanId == s.ParentSpanId)) >= 2);
            Assert.Contains(getTrace, s => s.DisplayName == "catalogue Objects.GetAsync");

            // No credential in any attribute.
            Assert.DoesNotContain(spans.All().SelectMany(s => s.TagObjects), t => t.Value?.ToString()?.Contains("integration-secret", StringComparison.Ordinal) == true
                || t.Value?.ToString()?.Contains(Secret, StringComparison.Ordinal) == true);
        }
        finally
        {
            if (gateway is not null)
            {
                await gateway.StopAsync();
                await gateway.DisposeAsync();
            }
            foreach (var node in nodes)
            {
                await node.DisposeAsync();
            }
            Directory.Delete(dataDir, recursive: true);
        }
    }

    [Fact]
    public async Task WithAnOtlpEndpointSpansArePostedToTheCollector()
    {
        using var spans = new SpanRecorder();
        await using var collector = await Collector.StartAsync();
        var server = await DevServer.StartAsync("2+1", settings: new Dictionary<string, string?> { ["Tracing:OtlpEndpoint"] = collector.Url });
        ActivityTraceId traceId;
        try
        {
            using var s3 = server.Client();
            await s3.PutBucketAsync("exported");
            await s3.PutObjectAsync(new PutObjectRequest { BucketName = "exported", Key = "k", ContentBody = "hello" });
            traceId = (await spans.WaitForAsync(s => s.DisplayName == "PutObject" && Tag(s, "aws.s3.bucket") == "exported")).TraceId;
        }
        finally
        {
            await server.DisposeAsync(); // the tracer provider flushes its batch as the host stops
        }
        var traceIdBytes = Convert.FromHexString(traceId.ToHexString());
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (!collector.Received.Any(b => Contains(b, traceIdBytes)) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }
        var payload = Assert.Single(collector.Received, b => Contains(b, traceIdBytes));
        Assert.Equal("application/x-protobuf", collector.ContentType);
        // The protobuf holds the span's name, its attributes' keys and the service's name as UTF-8 strings.
        Assert.True(Contains(payload, "PutObject"u8.ToArray()));
        Assert.True(Contains(payload, "aws.s3.bucket"u8.ToArray()));
        Assert.True(Contains(payload, "shard.write"u8.ToArray()));
        Assert.True(Contains(payload, "objstore"u8.ToArray()));
        Assert.False(Contains(payload, "integration-secret"u8.ToArray()));
    }

    private static string? Tag(Activity span, string name) => span.GetTagItem(name)?.ToString();

    private static bool Contains(byte[] haystack, byte[] needle) => haystack.AsSpan().IndexOf(needle) >= 0;

    private static async Task WaitReadyAsync(string url)
    {
        using var http = new HttpClient();
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            using var response = await http.GetAsync(url + "/_objstore/health/writable");
            if (response.IsSuccessStatusCode || DateTime.UtcNow > deadline)
            {
                Assert.True(response.IsSuccessStatusCode, "the gateway never became writable");
                return;
            }
            await Task.Delay(100);
        }
    }

    /// <summary>Every span of the store's source that ends while the recorder lives (from any host in the process).</summary>
    private sealed class SpanRecorder : IDisposable
    {
        private readonly ConcurrentQueue<Activity> _spans = new();
        private readonly ActivityListener _listener;

        public SpanRecorder()
        {
            _listener = new ActivityListener
            {
                ShouldListenTo = source => source.Name == Tracing.SourceName,
                Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
                ActivityStopped = _spans.Enqueue,
            };
            ActivitySource.AddActivityListener(_listener);
        }

        public List<Activity> All() => [.. _spans];

        public List<Activity> Of(ActivityTraceId trace) => [.. _spans.Where(s => s.TraceId == trace)];

        public async Task<Activity> WaitForAsync(Func<Activity, bool> match, int count = 1)
        {
            var deadline = DateTime.UtcNow.AddSeconds(15);
            while (true)
            {
                var found = _spans.Where(match).ToList();
                if (found.Count >= count)
                {
                    return found[0];
                }
                Assert.True(DateTime.UtcNow < deadline, $"{found.Count} of {count} spans; have: {string.Join(", ", _spans.Select(s => s.DisplayName).Distinct())}");
                await Task.Delay(50);
            }
        }

        public void Dispose() => _listener.Dispose();
    }

    /// <summary>An OTLP/HTTP collector: keeps every body posted to /v1/traces.</summary>
    private sealed class Collector : IAsyncDisposable
    {
        private readonly WebApplication _app;

        private Collector(WebApplication app)
        {
            _app = app;
            Url = TestHosts.Address(app).ToString().TrimEnd('/');
        }

        public string Url { get; }
        public ConcurrentBag<byte[]> Received { get; } = [];
        public string? ContentType { get; private set; }

        public static async Task<Collector> StartAsync()
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            builder.Logging.ClearProviders();
            var app = builder.Build();
            Collector? collector = null;
            app.MapPost("/v1/traces", async (HttpContext context) =>
            {
                using var body = new MemoryStream();
                await context.Request.Body.CopyToAsync(body);
                collector!.ContentType = context.Request.ContentType;
                collector.Received.Add(body.ToArray());
                context.Response.ContentType = "application/x-protobuf";
                return Results.Ok();
            });
            await app.StartAsync();
            collector = new Collector(app);
            return collector;
        }

        public async ValueTask DisposeAsync()
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }
}

/// <summary>Tests that listen to the store's ActivitySource process-wide: run after the parallel ones, alone.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class RunsAlone
{
    public const string Name = "tracing";
}
