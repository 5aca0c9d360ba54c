using System.Buffers;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Globalization;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using ObjStore.Core;
using ObjStore.Storage;
using ObjStore.Storage.Http;
using ObjStore.Storage.Remote;

namespace ObjStore.Node;

/// <summary>`objstore node` settings.</summary>
public sealed class NodeOptions
{
    public required string DataDir { get; init; }
    public string Listen { get; init; } = "http://127.0.0.1:9100";
    public required string NodeId { get; init; }
    public required string ClusterSecret { get; init; }

    /// <summary>
    /// The port of the sendfile read path (<see cref="ShardReadServer"/>), on the host of <see cref="Listen"/>;
    /// 0 picks a free one. Gateways learn it from the health answer.
    /// </summary>
    public int ReadPort { get; init; }

    /// <summary>
    /// TLS (optional): the node's certificate and private key, PEM files. With them the node listens with HTTPS only
    /// (an http:// <see cref="Listen"/> becomes https://) and runs no sendfile read port, which cannot encrypt: its
    /// health answer names none, and gateways read over HTTPS. Gateways trust the certificate through their
    /// ObjStore:NodeCaFile.
    /// </summary>
    public string? TlsCertFile { get; init; }

    public string? TlsKeyFile { get; init; }

    public bool Tls => TlsCertFile is not null;

    /// <summary><see cref="Listen"/>, with the https scheme when TLS is on.</summary>
    public string ListenUrl => Tls && Listen.StartsWith("http://", StringComparison.OrdinalIgnoreCase) ? "https://" + Listen[7..] : Listen;

    /// <summary>The gateway to ask for jobs (scrubs of this node's store); without one the node runs no jobs.</summary>
    public string? Gateway { get; init; }

    public TimeSpan JobPollInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>How often a running job's lease is renewed with its progress; the answer is also how a cancel reaches the node.</summary>
    public TimeSpan RenewInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>A scrub reads at most this many bytes a second from the node's disk (0: unlimited).</summary>
    public long ScrubBytesPerSecond { get; init; } = 64L << 20;

    /// <summary>A scrub reads at most this many blocks a second (0: unlimited).</summary>
    public long ScrubOpsPerSecond { get; init; } = 1000;

    public void Validate()
    {
        if (ClusterSecret.Length < 16)
        {
            throw new ArgumentException("The cluster secret must be at least 16 characters.");
        }
        if (string.IsNullOrWhiteSpace(NodeId) || NodeId.Any(c => !char.IsAsciiLetterOrDigit(c) && c is not ('-' or '_' or '.')))
        {
            throw new ArgumentException($"Node id '{NodeId}' must be letters, digits, '-', '_' or '.'.");
        }
        if (!Uri.TryCreate(Listen, UriKind.Absolute, out _))
        {
            throw new ArgumentException($"--listen must be an absolute URL, not '{Listen}'.");
        }
        if ((TlsCertFile is null) != (TlsKeyFile is null))
        {
            throw new ArgumentException("--tls-cert and --tls-key go together.");
        }
        foreach (var file in new[] { TlsCertFile, TlsKeyFile })
        {
            if (file is not null && !File.Exists(file))
            {
                throw new ArgumentException($"TLS file '{file}' does not exist.");
            }
        }
        if (Gateway is not null && !Uri.TryCreate(Gateway, UriKind.Absolute, out _))
        {
            throw new ArgumentException($"--gateway must be an absolute URL, not '{Gateway}'.");
        }
        if (!Tls && ReadPort != 0 && new Uri(Listen).Port == ReadPort)
        {
            throw new ArgumentException($"--read-port {ReadPort} is the port of --listen {Listen}: the shard read port needs a port of its own.");
        }
        if (ReadPort is < 0 or > 65535)
        {
            throw new ArgumentException($"--read-port must be from 0 (any free port) to 65535, not {ReadPort}.");
        }
    }

    /// <summary>
    /// What the values alone do not show, checked before the node writes anything: its folder can be used and its
    /// ports are free.
    /// </summary>
    public void CheckSurroundings()
    {
        StartupChecks.DataFolderIsUsable(DataDir, "--data");
        StartupChecks.PortIsFree(ListenUrl, "--listen");
        if (!Tls && ReadPort != 0)
        {
            string host = new Uri(Listen).DnsSafeHost;
            var address = host == "localhost" ? System.Net.IPAddress.Loopback
                : System.Net.IPAddress.TryParse(host, out var parsed) ? parsed : System.Net.IPAddress.Any;
            StartupChecks.PortIsFree(address, ReadPort, "--read-port", ReadPort.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
    }
}

/// <summary>
/// A storage node: <see cref="LocalShardStore"/> over HTTP.
/// <code>
/// PUT    /shards/{id}             streaming body; answered once the shard is durable (temp file, sync, rename)
/// GET    /shards/{id}             Range: bytes=a- or a-b
/// HEAD   /shards/{id}             Content-Length
/// DELETE /shards/{id}             204, also when absent
/// GET    /shards                  "id TAB length TAB modified-unix-ms" lines, for scrubbing and GC
/// GET    /_objstore/health/ready  JSON: node, ready, free and total bytes, instance of the data folder, read port (null with TLS)
/// GET    /_objstore/health/live   200 (the only unauthenticated path)
/// </code>
/// Every other request must carry a valid <see cref="NodeAuth"/> signature made with the cluster secret, for this
/// node's id, with a nonce the node has not seen since it started (one <see cref="ReplayGuard"/> for both ports),
/// dated after the node started and within five minutes of now. A shard PUT's body ends with a MAC of the rest
/// (<see cref="NodeAuth.BodyMac"/>, keyed by the request's nonce): the node commits the shard only if it matches,
/// and otherwise discards it and answers 403, so a captured PUT cannot be replayed with another body.
/// </summary>
public static partial class NodeHost
{
    /// <param name="configure">Adds to the node's services before it is built (the CLI's tracing and metrics exporters).</param>
    /// <param name="map">Adds middleware in front of the node's routes (the metrics scrape).</param>
    public static WebApplication Build(NodeOptions options, Action<WebApplicationBuilder>? configure = null, Action<WebApplication>? map = null)
    {
        options.Validate();
        options.CheckSurroundings();
        var builder = WebApplication.CreateSlimBuilder(["--hostBuilder:reloadConfigOnChange=false"]);
        builder.WebHost.UseUrls(options.ListenUrl);
        var certificate = options.Tls ? X509Certificate2.CreateFromPemFile(options.TlsCertFile!, options.TlsKeyFile) : null;
        if (certificate is not null)
        {
            builder.WebHost.UseKestrelHttpsConfiguration(); // the slim builder leaves HTTPS out unless asked
        }
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            if (certificate is not null)
            {
                kestrel.ConfigureHttpsDefaults(https => https.ServerCertificate = certificate);
            }
            kestrel.Limits.MaxRequestBodySize = null;
            kestrel.Limits.MaxRequestBufferSize = RequestBufferSize;
            kestrel.AddServerHeader = false;
        });
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        var folderLock = DataFolderLock.Acquire(options.DataDir);
        LocalShardStore store;
        WebApplication app;
        ShardReadServer? reads;
        var key = NodeAuth.Key(options.ClusterSecret);
        var guard = new ReplayGuard();
        ILogger logger;
        try
        {
            store = new LocalShardStore(options.NodeId, options.DataDir);
            builder.Services.AddSingleton(store);
            builder.Services.AddSingleton(_ => folderLock);
            builder.Services.AddSingleton<IMemoryPoolFactory<byte>, LargeBlockMemoryPoolFactory>();
            builder.Services.AddMetrics();
            builder.Services.AddSingleton<NodeMetrics>();
            configure?.Invoke(builder);
            app = builder.Build();
            _ = app.Services.GetRequiredService<DataFolderLock>(); // released when the node is disposed
            logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("ObjStore.Node");
            // sendfile cannot encrypt: with TLS every byte goes through Kestrel, and no read port is advertised.
            reads = options.Tls ? null : new ShardReadServer(new IPEndPoint(ListenAddress(options.Listen), options.ReadPort), store, key, options.NodeId, guard, logger,
                app.Services.GetRequiredService<NodeMetrics>());
        }
        catch
        {
            folderLock.Dispose(); // a start that fails leaves the folder free for the next attempt
            throw;
        }
        app.Lifetime.ApplicationStopped.Register(folderLock.Dispose);
        if (reads is not null)
        {
            app.Lifetime.ApplicationStopping.Register(() => reads.DisposeAsync().AsTask().GetAwaiter().GetResult());
        }
        if (certificate is not null)
        {
            app.Lifetime.ApplicationStopped.Register(certificate.Dispose);
        }
        var auth = new Auth(key, options.NodeId, guard);
        var metrics = app.Services.GetRequiredService<NodeMetrics>();
        map?.Invoke(app);
        app.Run(context => HandleAsync(context, store, reads?.Port, auth, logger, metrics));
        if (options.Gateway is not null)
        {
            var http = new HttpClient(new SocketsHttpHandler { UseProxy = false, UseCookies = false }) { Timeout = Timeout.InfiniteTimeSpan };
            var worker = new NodeJobWorker(store, options, http, app.Services.GetRequiredService<ILoggerFactory>().CreateLogger<NodeJobWorker>());
            app.Lifetime.ApplicationStarted.Register(() => _ = Task.Run(() => worker.RunAsync(app.Lifetime.ApplicationStopping)));
            app.Lifetime.ApplicationStopped.Register(http.Dispose);
        }
        return app;
    }

    /// <summary>The address the read port binds: the one <c>--listen</c> names (any, for a wildcard or a host name).</summary>
    private static IPAddress ListenAddress(string listen)
    {
        string host = new Uri(listen).DnsSafeHost;
        return host == "localhost" ? IPAddress.Loopback : IPAddress.TryParse(host, out var address) ? address : IPAddress.Any;
    }

    /// <summary>What the node checks requests with: the cluster key, its own id (the target), its replay guard.</summary>
    private sealed record Auth(byte[] Key, string NodeId, ReplayGuard Guard);

    /// <summary>
    /// One request, counted (<see cref="NodeMetrics"/>) and, when it carries a trace context (a gateway's request made
    /// inside a trace), a span of that trace.
    /// </summary>
    private static async Task HandleAsync(HttpContext context, LocalShardStore store, int? readPort, Auth auth, ILogger logger, NodeMetrics metrics)
    {
        long start = Stopwatch.GetTimestamp();
        string operation = OperationOf(context.Request);
        using var span = Tracing.StartServer("node " + operation, context.Request.Headers[Tracing.TraceParentHeader],
            context.Request.Headers[Tracing.TraceStateHeader], rootIfNone: false);
        if (span is not null)
        {
            span.SetTag("objstore.node", auth.NodeId);
            span.SetTag("http.request.method", context.Request.Method);
            span.SetTag("url.path", context.Request.Path.Value);
        }
        try
        {
            await ServeAsync(context, store, readPort, auth, logger, metrics);
        }
        finally
        {
            int status = context.Response.StatusCode;
            metrics.Request(operation, status, start);
            if (span is not null)
            {
                span.SetTag("http.response.status_code", status);
                if (status >= 500)
                {
                    span.SetStatus(ActivityStatusCode.Error);
                }
            }
        }
    }

    private static string OperationOf(HttpRequest request)
    {
        string path = request.Path.Value ?? "/";
        if (path.StartsWith("/_objstore/health/", StringComparison.Ordinal))
        {
            return NodeMetrics.Operations.Health;
        }
        if (path == "/shards")
        {
            return NodeMetrics.Operations.List;
        }
        return request.Method switch
        {
            "PUT" => NodeMetrics.Operations.Put,
            "GET" => NodeMetrics.Operations.Get,
            "HEAD" => NodeMetrics.Operations.Head,
            "DELETE" => NodeMetrics.Operations.Delete,
            _ => NodeMetrics.Operations.Other,
        };
    }

    private static async Task ServeAsync(HttpContext context, LocalShardStore store, int? readPort, Auth auth, ILogger logger, NodeMetrics metrics)
    {
        var request = context.Request;
        string path = request.Path.Value ?? "/";
        if (path == "/_objstore/health/live")
        {
            await context.Response.WriteAsync("ok\n");
            return;
        }
        string nodeId = auth.NodeId;
        string? nonce = request.Headers[NodeAuth.NonceHeader];
        string? refused = NodeAuth.Verify(auth.Key, nodeId, auth.Guard, request.Method, path + request.QueryString.Value,
            request.Headers[NodeAuth.DateHeader], nonce, request.Headers[NodeAuth.SignatureHeader]);
        if (refused is not null)
        {
            LogRefused(logger, request.Method, path, refused);
            context.Response.StatusCode = StatusCodes.Status403Forbidden;
            await context.Response.WriteAsync(refused + "\n");
            return;
        }
        try
        {
            if (path == "/_objstore/health/ready")
            {
                var health = await store.GetHealthAsync(context.RequestAborted);
                context.Response.StatusCode = health.Ready ? 200 : 503;
                await context.Response.WriteAsJsonAsync(new { node = nodeId, ready = health.Ready, freeBytes = health.FreeBytes, totalBytes = health.TotalBytes, instance = store.Instance, readPort });
                return;
            }
            if (path == "/shards" && HttpMethods.IsGet(request.Method))
            {
                await ListAsync(context, store);
                return;
            }
            if (!path.StartsWith("/shards/", StringComparison.Ordinal) || !ShardId.IsValid(path[8..]))
            {
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                return;
            }
            string shardId = path[8..];
            switch (request.Method)
            {
                case "PUT":
                    if (!await PutAsync(context, store, shardId, auth.Key, nonce!, metrics))
                    {
                        LogRefused(logger, request.Method, path, "body MAC mismatch");
                        context.Response.StatusCode = StatusCodes.Status403Forbidden;
                        await context.Response.WriteAsync("body MAC mismatch\n");
                    }
                    break;
                case "GET" or "HEAD":
                    await GetAsync(context, store, shardId, metrics);
                    break;
                case "DELETE":
                    await store.DeleteAsync(shardId, context.RequestAborted);
                    context.Response.StatusCode = StatusCodes.Status204NoContent;
                    break;
                default:
                    context.Response.StatusCode = StatusCodes.Status405MethodNotAllowed;
                    break;
            }
        }
        catch (ShardNotFoundException)
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
        }
        catch (StoreFullException e)
        {
            // The disk is full: the gateway writes this shard elsewhere or answers its client 507.
            if (!context.Response.HasStarted)
            {
                context.Response.StatusCode = StatusCodes.Status507InsufficientStorage;
            }
            LogFailed(logger, request.Method, path, e.Message);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or BadHttpRequestException)
        {
            // A gateway that hung up mid-shard, or a failing disk: the shard was not committed.
            if (!context.Response.HasStarted)
            {
                context.Response.StatusCode = StatusCodes.Status500InternalServerError;
            }
            LogFailed(logger, request.Method, path, e.Message);
        }
    }

    /// <summary>
    /// Bytes moved per disk write or read: large, so a shard costs few system calls and thread-pool hops. Kestrel
    /// buffers up to <see cref="RequestBufferSize"/> of a body, which must exceed what a read waits for.
    /// </summary>
    private const int IoSize = 1 << 20;
    private const int RequestBufferSize = 4 * IoSize;

    /// <summary>
    /// Writes the body's received segments straight to the file, a megabyte at a time, never copying them, and hashes
    /// them into the body MAC as they go; the last <see cref="NodeAuth.BodyMacSize"/> bytes are held back in the
    /// request pipe, as they may be the trailer. The shard commits only when the body ends with the MAC of the rest;
    /// false (nothing committed, the temporary file deleted) when it does not.
    /// </summary>
    private static async Task<bool> PutAsync(HttpContext context, LocalShardStore store, string shardId, byte[] key, string nonce, NodeMetrics metrics)
    {
        await using var writer = store.Create(shardId);
        using var mac = NodeAuth.BodyMac(key, nonce);
        var body = context.Request.BodyReader;
        while (true)
        {
            var result = await body.ReadAtLeastAsync(IoSize, context.RequestAborted);
            var buffer = result.Buffer;
            if (buffer.Length > NodeAuth.BodyMacSize)
            {
                var data = buffer.Slice(0, buffer.Length - NodeAuth.BodyMacSize);
                writer.Write(data);
                metrics.Received(data.Length);
                foreach (var segment in data)
                {
                    mac.Append(segment.Span);
                }
                buffer = buffer.Slice(data.End);
            }
            if (result.IsCompleted)
            {
                bool authentic = buffer.Length == NodeAuth.BodyMacSize && TrailerMatches(mac, buffer);
                body.AdvanceTo(result.Buffer.End);
                if (!authentic)
                {
                    return false; // disposing the writer deletes the temporary file
                }
                break;
            }
            body.AdvanceTo(buffer.Start, result.Buffer.End);
        }
        // The footer travelled as the end of the body: commit with nothing more to add.
        await writer.CommitAsync(ReadOnlyMemory<byte>.Empty, context.RequestAborted);
        context.Response.StatusCode = StatusCodes.Status201Created;
        return true;
    }

    private static bool TrailerMatches(BodyMac mac, in ReadOnlySequence<byte> trailer)
    {
        Span<byte> expected = stackalloc byte[NodeAuth.BodyMacSize];
        Span<byte> received = stackalloc byte[NodeAuth.BodyMacSize];
        mac.Finish(expected);
        trailer.CopyTo(received);
        return CryptographicOperations.FixedTimeEquals(expected, received);
    }

    private static async Task GetAsync(HttpContext context, LocalShardStore store, string shardId, NodeMetrics metrics)
    {
        await using var reader = store.Open(shardId);
        long length = reader.Length;
        long from = 0, to = length - 1;
        var range = context.Request.GetTypedHeaders().Range;
        if (range is { Ranges.Count: 1 } && range.Ranges.First() is { From: { } start } r)
        {
            if (start >= length)
            {
                context.Response.StatusCode = StatusCodes.Status416RangeNotSatisfiable;
                context.Response.Headers.ContentRange = $"bytes */{length}";
                return;
            }
            from = start;
            to = Math.Min(r.To ?? length - 1, length - 1);
            context.Response.StatusCode = StatusCodes.Status206PartialContent;
            context.Response.Headers.ContentRange = $"bytes {from}-{to}/{length}";
        }
        context.Response.ContentLength = Math.Max(0, to - from + 1);
        context.Response.ContentType = "application/octet-stream";
        if (HttpMethods.IsHead(context.Request.Method))
        {
            return;
        }
        // Read from the file straight into the response's own buffers: no copy between the two.
        var output = context.Response.BodyWriter;
        for (long at = from; at <= to;)
        {
            var memory = output.GetMemory(IoSize);
            int want = (int)Math.Min(memory.Length, to - at + 1);
            int n = await reader.ReadAsync(at, memory[..want], context.RequestAborted);
            if (n == 0)
            {
                break;
            }
            output.Advance(n);
            await output.FlushAsync(context.RequestAborted);
            metrics.Sent(n);
            at += n;
        }
    }

    private static async Task ListAsync(HttpContext context, LocalShardStore store)
    {
        context.Response.ContentType = "text/tab-separated-values";
        var line = new System.Text.StringBuilder();
        await foreach (var entry in store.ListAsync(context.RequestAborted))
        {
            line.Clear().Append(entry.ShardId).Append('\t').Append(entry.Length.ToString(CultureInfo.InvariantCulture))
                .Append('\t').Append(entry.Modified.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture)).Append('\n');
            await context.Response.WriteAsync(line.ToString(), context.RequestAborted);
        }
    }

    [LoggerMessage(EventId = 5001, Level = LogLevel.Warning, Message = "Refused {Method} {Path}: {Reason}")]
    private static partial void LogRefused(ILogger logger, string method, string path, string reason);

    [LoggerMessage(EventId = 5002, Level = LogLevel.Warning, Message = "{Method} {Path} failed: {Reason}")]
    private static partial void LogFailed(ILogger logger, string method, string path, string reason);
}
