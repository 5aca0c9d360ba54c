using System.Globalization;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using ObjStore.Core;
using ObjStore.Node;
using ObjStore.Storage;
using ObjStore.Storage.Remote;

namespace ObjStore.Integration.Tests;

/// <summary>
/// Captured node requests replayed: a real shard PUT, signed and MAC'd by the gateway's own remote store, intercepted
/// on its way and sent with another body, to another node, or twice; a read-port GET sent twice; requests dated
/// before a node started.
/// </summary>
public sealed class NodeReplayTests : IAsyncLifetime
{
    private const string Secret = "node-replay-tests-secret";
    private readonly List<(WebApplication App, string Dir)> _nodes = [];
    private long _startedUnixMs;

    private Uri Url(int node) => TestHosts.Address(_nodes[node].App);

    private LocalShardStore Disk(int node) => _nodes[node].App.Services.GetRequiredService<LocalShardStore>();

    public async Task InitializeAsync()
    {
        _startedUnixMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        foreach (var id in new[] { "n1", "n2" })
        {
            string dir = Directory.CreateTempSubdirectory("objstore-replay-").FullName;
            var app = NodeHost.Build(new NodeOptions { DataDir = dir, Listen = "http://127.0.0.1:0", NodeId = id, ClusterSecret = Secret });
            await app.StartAsync();
            _nodes.Add((app, dir));
        }
    }

    public async Task DisposeAsync()
    {
        foreach (var (app, dir) in _nodes)
        {
            await TestHosts.StopAndDeleteAsync(app, dir);
        }
    }

    /// <summary>A shard PUT as it left the gateway: path, signature headers and the whole body (MAC trailer included).</summary>
    private sealed record CapturedPut(string Path, Dictionary<string, string> Headers, byte[] Body);

    /// <summary>Takes a PUT off the wire (it never reaches the node) and answers 503 in its place.</summary>
    private sealed class Interceptor : DelegatingHandler
    {
        public CapturedPut? Captured { get; private set; }

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (request.Method != HttpMethod.Put)
            {
                return await base.SendAsync(request, cancellationToken);
            }
            byte[] body = await request.Content!.ReadAsByteArrayAsync(cancellationToken);
            Captured = new CapturedPut(request.RequestUri!.PathAndQuery,
                request.Headers.Where(h => h.Key.StartsWith("X-ObjStore-", StringComparison.Ordinal)).ToDictionary(h => h.Key, h => h.Value.Single()),
                body);
            return new HttpResponseMessage(HttpStatusCode.ServiceUnavailable);
        }
    }

    private static RemoteShardStore Store(string id, Uri url, HttpMessageHandler? handler = null)
    {
        var options = new RemoteNodeOptions { RequestTimeout = TimeSpan.FromSeconds(5) };
        var http = handler is null ? RemoteShardStore.CreateHttpClient(options) : new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        return new RemoteShardStore(id, url, Secret, http, options, NullLogger.Instance);
    }

    private static async Task PutAsync(RemoteShardStore store, string shardId, byte[] data)
    {
        await using var writer = await store.CreateAsync(shardId, CancellationToken.None);
        await writer.WriteAsync(data, CancellationToken.None);
        await writer.CommitAsync("footer"u8.ToArray(), CancellationToken.None);
    }

    /// <summary>Writes a shard through the gateway's remote store, but the request is captured instead of delivered.</summary>
    private async Task<CapturedPut> CaptureAsync(string shardId, byte[] data)
    {
        var interceptor = new Interceptor { InnerHandler = new SocketsHttpHandler() };
        using var store = Store("n1", Url(0), interceptor);
        await Assert.ThrowsAnyAsync<IOException>(() => PutAsync(store, shardId, data));
        return interceptor.Captured!;
    }

    private static async Task<HttpStatusCode> SendAsync(Uri node, CapturedPut put, byte[]? body = null)
    {
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Put, new Uri(node, put.Path)) { Content = new ByteArrayContent(body ?? put.Body) };
        foreach (var (name, value) in put.Headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }
        using var response = await http.SendAsync(request);
        return response.StatusCode;
    }


    private List<string> TempFiles(int node) => [.. Directory.EnumerateFiles(Path.Combine(_nodes[node].Dir, "tmp"))];

    [Fact]
    public async Task ACapturedShardPutCannotBeReplayedWithAnotherBodyToAnotherNodeOrTwice()
    {
        string shardId = ShardId.For(ShardId.NewDataId(), 2);
        byte[] genuine = TestData.Bytes(300_000, 1);
        using (var store = Store("n1", Url(0)))
        {
            await PutAsync(store, shardId, genuine);
        }
        string file = Disk(0).PathOf(shardId);
        byte[] stored = File.ReadAllBytes(file);

        // (a) Another body under the captured signature (the trailer kept, or any other): refused, nothing committed.
        var rewrite = await CaptureAsync(shardId, TestData.Bytes(300_000, 2));
        byte[] crafted = [.. TestData.Bytes(300_000 + 6, 3), .. rewrite.Body.AsSpan(rewrite.Body.Length - NodeAuth.BodyMacSize)];
        Assert.Equal(HttpStatusCode.Forbidden, await SendAsync(Url(0), rewrite, crafted));
        Assert.Equal(stored, File.ReadAllBytes(file));
        Assert.Empty(TempFiles(0));

        // A genuine capture delivered as it was is accepted (so the refusals below are the guard's doing)...
        var put = await CaptureAsync(shardId, TestData.Bytes(300_000, 4));
        // (b) ...but not by another node: the signature names its target.
        Assert.Equal(HttpStatusCode.Forbidden, await SendAsync(Url(1), put));
        Assert.False(File.Exists(Disk(1).PathOf(shardId)));
        Assert.Equal(HttpStatusCode.Created, await SendAsync(Url(0), put));
        byte[] committed = File.ReadAllBytes(file);
        Assert.Equal(put.Body.AsSpan(0, put.Body.Length - NodeAuth.BodyMacSize).ToArray(), committed);

        // (c) Once used, its nonce is spent: the same request, or the same nonce with the first body, is refused.
        Assert.Equal(HttpStatusCode.Forbidden, await SendAsync(Url(0), put));
        Assert.Equal(HttpStatusCode.Forbidden, await SendAsync(Url(0), rewrite));
        Assert.Equal(committed, File.ReadAllBytes(file));
        Assert.Empty(TempFiles(0));
    }

    [Fact]
    public async Task ABodyCutBeforeItsTrailerOrATamperedTrailerNeverCommits()
    {
        string shardId = ShardId.For(ShardId.NewDataId(), 0);
        var put = await CaptureAsync(shardId, TestData.Bytes(100_000, 5));
        var flipped = put.Body.ToArray();
        flipped[^1] ^= 1;
        Assert.Equal(HttpStatusCode.Forbidden, await SendAsync(Url(0), put, flipped));
        var short1 = await CaptureAsync(shardId, TestData.Bytes(100_000, 6));
        Assert.Equal(HttpStatusCode.Forbidden, await SendAsync(Url(0), short1, short1.Body[..^NodeAuth.BodyMacSize]));
        var tiny = await CaptureAsync(shardId, []);
        Assert.Equal(HttpStatusCode.Forbidden, await SendAsync(Url(0), tiny, tiny.Body[..10]));
        Assert.False(File.Exists(Disk(0).PathOf(shardId)));
        Assert.Empty(TempFiles(0));
    }

    /// <summary>A GET signed as the gateway signs one (the same nonce may serve neither port twice).</summary>
    private static HttpRequestMessage SignedGet(Uri baseUrl, string path, string target = "n1", long? unixMs = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, new Uri(baseUrl, path));
        if (unixMs is null)
        {
            NodeAuth.Sign(request, NodeAuth.Key(Secret), TimeProvider.System, target);
            return request;
        }
        string nonce = NonceSource.Shared.Next();
        request.Headers.Add(NodeAuth.DateHeader, unixMs.Value.ToString(CultureInfo.InvariantCulture));
        request.Headers.Add(NodeAuth.NonceHeader, nonce);
        request.Headers.Add(NodeAuth.SignatureHeader, NodeAuth.Signature(NodeAuth.Key(Secret), "GET", path, unixMs.Value, target, nonce, NodeAuth.EmptyBody));
        return request;
    }

    private static HttpRequestMessage CopyTo(HttpRequestMessage signed, Uri baseUrl)
    {
        var copy = new HttpRequestMessage(signed.Method, new Uri(baseUrl, signed.RequestUri!.PathAndQuery));
        foreach (var (name, values) in signed.Headers)
        {
            copy.Headers.TryAddWithoutValidation(name, values);
        }
        return copy;
    }

    [Fact]
    public async Task ReadPortAndMainPortGetsAreAcceptedOnceAcrossBothPorts()
    {
        string shardId = ShardId.For(ShardId.NewDataId(), 1);
        using (var store = Store("n1", Url(0)))
        {
            await PutAsync(store, shardId, TestData.Bytes(10_000, 7));
        }
        var readPort = new UriBuilder(Url(0)) { Port = await NodeTests.ReadPortOfAsync(Url(0), Secret) }.Uri;
        using var http = new HttpClient();
        async Task<HttpStatusCode> StatusAsync(HttpRequestMessage request)
        {
            using (request)
            using (var response = await http.SendAsync(request))
            {
                return response.StatusCode;
            }
        }
        using var onReadPort = SignedGet(readPort, "/shards/" + shardId);
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(CopyTo(onReadPort, readPort)));
        Assert.Equal(HttpStatusCode.Forbidden, await StatusAsync(CopyTo(onReadPort, readPort)));
        Assert.Equal(HttpStatusCode.Forbidden, await StatusAsync(CopyTo(onReadPort, Url(0))));

        using var onMainPort = SignedGet(Url(0), "/shards/" + shardId);
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(CopyTo(onMainPort, Url(0))));
        Assert.Equal(HttpStatusCode.Forbidden, await StatusAsync(CopyTo(onMainPort, Url(0))));
        Assert.Equal(HttpStatusCode.Forbidden, await StatusAsync(CopyTo(onMainPort, readPort)));

        // Signed for n2, sent to n1 (either port): refused.
        Assert.Equal(HttpStatusCode.Forbidden, await StatusAsync(SignedGet(Url(0), "/shards/" + shardId, target: "n2")));
        Assert.Equal(HttpStatusCode.Forbidden, await StatusAsync(SignedGet(readPort, "/shards/" + shardId, target: "n2")));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task RequestsDatedBeforeTheNodeStartedOrTooLongAgoAreRefused(bool readPort)
    {
        string shardId = ShardId.For(ShardId.NewDataId(), 1);
        using (var store = Store("n1", Url(0)))
        {
            await PutAsync(store, shardId, TestData.Bytes(1_000, 8));
        }
        var url = readPort ? new UriBuilder(Url(0)) { Port = await NodeTests.ReadPortOfAsync(Url(0), Secret) }.Uri : Url(0);
        using var http = new HttpClient();
        async Task<HttpStatusCode> StatusAsync(long unixMs)
        {
            using var request = SignedGet(url, "/shards/" + shardId, unixMs: unixMs);
            using var response = await http.SendAsync(request);
            return response.StatusCode;
        }
        long now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        Assert.Equal(HttpStatusCode.Forbidden, await StatusAsync(_startedUnixMs - 1_000)); // within the skew, but before the start
        Assert.Equal(HttpStatusCode.Forbidden, await StatusAsync(now - (6 * 60_000)));
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()));
    }
}
