using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Net.Security;
using System.Runtime.CompilerServices;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using ObjStore.Core;

namespace ObjStore.Storage.Remote;

/// <summary>Timeouts and limits for talking to one storage node.</summary>
public sealed class RemoteNodeOptions
{
    /// <summary>Longest wait for any single step: a connection, response headers, one read or write of a body.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Requests in flight to one node; more wait (up to <see cref="RequestTimeout"/>).</summary>
    public int MaxConcurrentRequests { get; set; } = 128;

    public TimeSpan ProbeInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Consecutive failed requests after which the node is marked down until a probe succeeds.</summary>
    public int FailuresBeforeDown { get; set; } = 3;

    /// <summary>
    /// PEM bundle of the CAs that sign the nodes' TLS certificates (https:// node URLs): with it, node certificates
    /// are checked against these roots only (and their host names), never the system store; without it, against the
    /// system store.
    /// </summary>
    public string? CaFile { get; set; }
}

/// <summary>A node is marked down: requests to it fail at once instead of waiting for a timeout.</summary>
public sealed class NodeDownException(string nodeId) : StoreUnavailableException($"Storage node {nodeId} is marked down.");

/// <summary>
/// A storage node's shards over HTTP (<c>objstore node</c>). Writes stream through a pipe into one chunked PUT per
/// shard (backpressure: the writer waits when the node is slow, and gives up after the request timeout); reads stream
/// one ranged GET per shard and continue it while the caller reads forward, sent to the node's sendfile read port once
/// a health probe has named it. Every step has a timeout, so a node that
/// accepts a connection and then says nothing costs one timeout, after which it is marked down and skipped until a
/// health probe finds it answering again.
/// </summary>
public sealed partial class RemoteShardStore : IShardStore, IDisposable
{
    private readonly HttpClient _http;
    private readonly byte[] _key;
    private readonly RemoteNodeOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _clock;
    private readonly SemaphoreSlim _slots;
    private int _consecutiveFailures;
    private volatile bool _down;
    private volatile ReadPortClient? _readPort;

    /// <summary>The node's sendfile read port, once a probe has named it (<see cref="RemoteShardReader"/>).</summary>
    internal ReadPortClient? ReadPort => _readPort;

    internal RemoteNodeOptions Options => _options;

    /// <summary>The cluster secret's request-signing key.</summary>
    internal byte[] Key => _key;
    private volatile string? _instance;

    public RemoteShardStore(string id, Uri baseUri, string clusterSecret, HttpClient http, RemoteNodeOptions options, ILogger logger, TimeProvider? clock = null)
    {
        Id = id;
        BaseUri = baseUri;
        _http = http;
        _key = NodeAuth.Key(clusterSecret);
        _options = options;
        _logger = logger;
        _clock = clock ?? TimeProvider.System;
        _slots = new SemaphoreSlim(options.MaxConcurrentRequests);
    }

    public string Id { get; }
    public Uri BaseUri { get; }

    public void Dispose()
    {
        _slots.Dispose();
        _readPort?.Dispose();
    }
    public bool IsDown => _down;

    public string? Instance => _instance;

    /// <summary>
    /// The HttpClient every remote store of a gateway shares: pooled keep-alive connections, no global timeout; with
    /// <see cref="RemoteNodeOptions.CaFile"/>, TLS trust in those CAs alone.
    /// </summary>
    public static HttpClient CreateHttpClient(RemoteNodeOptions options)
    {
        var handler = new SocketsHttpHandler
        {
            ConnectTimeout = options.RequestTimeout,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1),
            MaxConnectionsPerServer = options.MaxConcurrentRequests,
            AutomaticDecompression = DecompressionMethods.None,
            UseProxy = false,
            UseCookies = false,
        };
        if (options.CaFile is { } caFile)
        {
            var roots = new X509Certificate2Collection();
            roots.ImportFromPemFile(caFile);
            if (roots.Count == 0)
            {
                throw new ArgumentException($"{caFile} holds no PEM certificate.");
            }
            handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, chain, errors) =>
                TrustedByCustomRoots(certificate, chain, errors, roots);
        }
        return new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
    }

    /// <summary>
    /// A node certificate chains to one of <paramref name="roots"/> (and nothing else: CustomRootTrust), and names the
    /// host it was reached at. The intermediates the node sent are used to build the chain, not trusted.
    /// </summary>
    internal static bool TrustedByCustomRoots(X509Certificate? certificate, X509Chain? presented, SslPolicyErrors errors, X509Certificate2Collection roots)
    {
        if (certificate is null || (errors & (SslPolicyErrors.RemoteCertificateNotAvailable | SslPolicyErrors.RemoteCertificateNameMismatch)) != 0)
        {
            return false;
        }
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(roots);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (presented is not null)
        {
            foreach (var element in presented.ChainElements)
            {
                chain.ChainPolicy.ExtraStore.Add(element.Certificate);
            }
        }
        using var leaf = new X509Certificate2(certificate);
        return chain.Build(leaf);
    }

    public Task<IShardWriter> CreateAsync(string shardId, CancellationToken cancellationToken)
    {
        ThrowIfDown();
        _ = ShardPath(shardId); // validates the id now, before the PUT starts in the background
        return Task.FromResult<IShardWriter>(new RemoteShardWriter(this, shardId));
    }

    /// <summary>Lazy: the first read's ranged GET is the open (a missing shard shows there), saving a round trip.</summary>
    public Task<IShardReader> OpenAsync(string shardId, CancellationToken cancellationToken)
    {
        ThrowIfDown();
        _ = ShardPath(shardId); // validates the id now rather than at the first read
        return Task.FromResult<IShardReader>(new RemoteShardReader(this, shardId));
    }

    public async Task DeleteAsync(string shardId, CancellationToken cancellationToken)
    {
        ThrowIfDown();
        using var response = await SendAsync(HttpMethod.Delete, ShardPath(shardId), null, cancellationToken);
        Require(response, "DELETE");
    }

    public async IAsyncEnumerable<ShardEntry> ListAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ThrowIfDown();
        using var response = await SendAsync(HttpMethod.Get, "/shards", null, cancellationToken);
        Require(response, "list");
        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
        using var reader = new StreamReader(body);
        while (await reader.ReadLineAsync(cancellationToken) is { } line)
        {
            var fields = line.Split('\t');
            if (fields.Length == 3 && ShardId.IsValid(fields[0]))
            {
                yield return new ShardEntry(fields[0], long.Parse(fields[1], CultureInfo.InvariantCulture),
                    DateTimeOffset.FromUnixTimeMilliseconds(long.Parse(fields[2], CultureInfo.InvariantCulture)));
            }
        }
    }

    public async Task<StoreHealth> GetHealthAsync(CancellationToken cancellationToken)
    {
        if (_down)
        {
            return new StoreHealth(false, 0, 0);
        }
        return await ProbeAsync(cancellationToken) ?? new StoreHealth(false, 0, 0);
    }

    /// <summary>Probes the node until <paramref name="stopping"/>: a node that answers is up again, one that does not is down.</summary>
    public async Task MonitorAsync(CancellationToken stopping)
    {
        using var timer = new PeriodicTimer(_options.ProbeInterval, _clock);
        try
        {
            do
            {
                var health = await ProbeAsync(stopping);
                bool wasDown = _down;
                _down = health is not { Ready: true };
                if (health is { Ready: true })
                {
                    Interlocked.Exchange(ref _consecutiveFailures, 0);
                }
                if (wasDown != _down)
                {
                    // A node going down is worth a warning (one line: the reason was logged when it was marked down,
                    // or it simply stopped answering its probe); coming back is news.
                    LogNodeState(_logger, _down ? LogLevel.Warning : LogLevel.Information, Id, _down ? "down" : "up");
                }
            }
            while (await timer.WaitForNextTickAsync(stopping));
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
    }

    private async Task<StoreHealth?> ProbeAsync(CancellationToken cancellationToken)
    {
        try
        {
            using var response = await SendAsync(HttpMethod.Get, "/_objstore/health/ready", null, cancellationToken, track: false);
            if (!response.IsSuccessStatusCode)
            {
                return null;
            }
            var health = await response.Content.ReadFromJsonAsync<NodeHealth>(cancellationToken: cancellationToken);
            if (health is null)
            {
                return null;
            }
            UseReadPort(health.ReadPort);
            if (health is { Ready: true, Instance: { } instance })
            {
                _instance = instance;
            }
            return new StoreHealth(health.Ready, health.FreeBytes, health.TotalBytes);
        }
        catch (Exception e) when (e is IOException or TimeoutException or JsonException)
        {
            return null;
        }
    }

    private sealed record NodeHealth(string Node, bool Ready, long FreeBytes, long TotalBytes, string? Instance, int? ReadPort);

    internal static string ShardPath(string shardId) =>
        ShardId.IsValid(shardId) ? "/shards/" + shardId : throw new ArgumentException($"Invalid shard id '{shardId}'.", nameof(shardId));

    private void ThrowIfDown()
    {
        if (_down)
        {
            throw new NodeDownException(Id);
        }
    }

    /// <summary>
    /// Sends a signed request and returns once its headers arrive (the body streams after). Waiting for a slot,
    /// connecting and the headers together are bounded by the request timeout (except for an upload, whose body
    /// takes as long as it takes: its writes are timed one by one); a timeout marks the node down.
    /// </summary>
    internal async Task<HttpResponseMessage> SendAsync(
        HttpMethod method, string pathAndQuery, Action<HttpRequestMessage>? configure, CancellationToken cancellationToken, bool track = true, string? nonce = null)
    {
        using var request = new HttpRequestMessage(method, new Uri(BaseUri, pathAndQuery));
        configure?.Invoke(request);
        NodeAuth.Sign(request, _key, _clock, target: Id, nonce: nonce);
        // Inside a trace: a client span, whose context the node continues (W3C traceparent; not signed, it grants nothing).
        using var span = Tracing.StartChild("node " + method.Method, ActivityKind.Client);
        if (span is not null)
        {
            span.SetTag("objstore.node", Id);
            span.SetTag("http.request.method", method.Method);
            span.SetTag("server.address", BaseUri.Host);
            span.SetTag("server.port", BaseUri.Port);
            request.Headers.TryAddWithoutValidation(Tracing.TraceParentHeader, Tracing.TraceParent(span));
        }
        try
        {
            var response = await CallAsync($"{method} {pathAndQuery}", timed: request.Content is null, track,
                token => _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, token), cancellationToken);
            span?.SetTag("http.response.status_code", (int)response.StatusCode);
            return response;
        }
        catch (Exception e)
        {
            Tracing.Fail(span, e);
            throw;
        }
    }

    /// <summary>One request to the node within a request slot, its outcome counted for the node's health (<paramref name="track"/>).</summary>
    internal async Task<T> CallAsync<T>(string what, bool timed, bool track, Func<CancellationToken, Task<T>> call, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (timed)
        {
            timeout.CancelAfter(_options.RequestTimeout);
        }
        bool slot = false;
        try
        {
            slot = await _slots.WaitAsync(_options.RequestTimeout, cancellationToken);
            if (!slot)
            {
                throw new TimeoutException($"Storage node {Id}: no free request slot within {_options.RequestTimeout}.");
            }
            var response = await call(timeout.Token);
            if (track)
            {
                Succeeded();
            }
            return response;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            var error = new TimeoutException($"Storage node {Id} did not answer {what} within {_options.RequestTimeout}.");
            if (track)
            {
                Failed(error);
            }
            throw error;
        }
        catch (HttpRequestException e)
        {
            // Typed at the seam: the object layer sees store failures as IOExceptions, never HTTP's own types.
            var error = new StoreUnavailableException($"Storage node {Id}: {what}: {e.Message}", e);
            if (track)
            {
                Failed(error);
            }
            throw error;
        }
        catch (IOException e)
        {
            if (track)
            {
                Failed(e);
            }
            throw;
        }
        finally
        {
            if (slot)
            {
                _slots.Release();
            }
        }
    }

    /// <summary>Reads go to the node's sendfile port once a probe has named it; until then, and if it goes, to the main port.</summary>
    private void UseReadPort(int? port)
    {
        if (BaseUri.Scheme == Uri.UriSchemeHttps)
        {
            port = null; // the read port is plain TCP: never for a node reached over TLS
        }
        if (_readPort?.Port == port)
        {
            return;
        }
        var previous = Interlocked.Exchange(ref _readPort, port is > 0 ? new ReadPortClient(BaseUri.Host, port.Value, _key, _clock, Id) : null);
        previous?.Dispose(); // its sockets in use close when their responses end

    }

    internal void Require(HttpResponseMessage response, string what) => Require((int)response.StatusCode, what);

    internal void Require(int status, string what)
    {
        if (status == (int)HttpStatusCode.InsufficientStorage)
        {
            throw new StoreFullException($"Storage node {Id}: {what}: the node's disk is full."); // the node is up: not a failure
        }
        if (status is < 200 or > 299)
        {
            var error = new IOException($"Storage node {Id}: {what} answered {status}.");
            Failed(error);
            throw error;
        }
    }

    private void Succeeded() => Interlocked.Exchange(ref _consecutiveFailures, 0);

    /// <summary>Passive failure tracking: a timeout marks the node down at once, other errors after a few in a row.</summary>
    internal void Failed(Exception e)
    {
        if (e is TimeoutException || Interlocked.Increment(ref _consecutiveFailures) >= _options.FailuresBeforeDown)
        {
            if (!_down)
            {
                _down = true;
                LogNodeDown(_logger, Id, e.Message);
            }
        }
    }

    [LoggerMessage(EventId = 4001, Level = LogLevel.Warning, Message = "Storage node {NodeId} marked down: {Reason}")]
    private static partial void LogNodeDown(ILogger logger, string nodeId, string reason);

    [LoggerMessage(EventId = 4002, Message = "Storage node {NodeId} is {State}")]
    private static partial void LogNodeState(ILogger logger, LogLevel level, string nodeId, string state);
}
