using System.Globalization;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging.Abstractions;
using ObjStore.Core;
using ObjStore.Node;
using ObjStore.Storage.Remote;

namespace ObjStore.Integration.Tests;

/// <summary>A storage node over HTTP: the remote shard store's round trips, and the node's refusal of unsigned requests.</summary>
public sealed class NodeTests : IAsyncLifetime
{
    private const string Secret = "node-tests-cluster-secret";
    private readonly string _dir = Directory.CreateTempSubdirectory("objstore-node-").FullName;
    private WebApplication _node = null!;
    private Uri _url = null!;

    public async Task InitializeAsync()
    {
        _node = NodeHost.Build(new NodeOptions { DataDir = _dir, Listen = "http://127.0.0.1:0", NodeId = "n1", ClusterSecret = Secret });
        await _node.StartAsync();
        _url = TestHosts.Address(_node);
    }

    public async Task DisposeAsync()
    {
        await TestHosts.StopAndDeleteAsync(_node, _dir);
    }

    private RemoteShardStore Store(string secret = Secret)
    {
        var options = new RemoteNodeOptions { RequestTimeout = TimeSpan.FromSeconds(2) };
        return new RemoteShardStore("n1", _url, secret, RemoteShardStore.CreateHttpClient(options), options, NullLogger.Instance);
    }

    private static async Task ReadFirstByteAsync(RemoteShardStore store, string id)
    {
        await using var reader = await store.OpenAsync(id, CancellationToken.None);
        await reader.ReadAsync(0, new byte[1], CancellationToken.None);
    }

    /// <summary>A node's sendfile read port, as its health answer names it.</summary>
    internal static async Task<int> ReadPortOfAsync(Uri node, string secret, string nodeId = "n1")
    {
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(node, "/_objstore/health/ready"));
        NodeAuth.Sign(request, NodeAuth.Key(secret), TimeProvider.System, nodeId);
        using var response = await http.SendAsync(request);
        using var health = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return health.RootElement.GetProperty("readPort").GetInt32();
    }

    private async Task<Uri> ReadUrlAsync() => new UriBuilder(_url) { Port = await ReadPortOfAsync(_url, Secret) }.Uri;

    private async Task<Uri> UrlAsync(bool readPort) => readPort ? await ReadUrlAsync() : _url;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ShardsRoundTripThroughTheRemoteStore(bool learnReadPort)
    {
        using var store = Store();
        if (learnReadPort)
        {
            Assert.True((await store.GetHealthAsync(CancellationToken.None)).Ready); // the probe names the read port
        }
        string id = ShardId.For(ShardId.NewDataId(), 3);
        var data = new byte[3_000_000];
        new Random(1).NextBytes(data);
        await using (var writer = await store.CreateAsync(id, CancellationToken.None))
        {
            await writer.WriteAsync(data.AsMemory(0, 1_000_000), CancellationToken.None);
            await writer.WriteAsync(data.AsMemory(1_000_000), CancellationToken.None);
            await writer.CommitAsync("footer"u8.ToArray(), CancellationToken.None);
        }
        await using (var reader = await store.OpenAsync(id, CancellationToken.None))
        {
            var buffer = new byte[500_000];
            Assert.Equal(buffer.Length, await reader.ReadAsync(1_234_567, buffer, CancellationToken.None));
            Assert.Equal(data.AsSpan(1_234_567, buffer.Length).ToArray(), buffer);
            // Forward on the same stream, then back (a new ranged GET).
            Assert.Equal(buffer.Length, await reader.ReadAsync(1_734_567, buffer, CancellationToken.None));
            Assert.Equal(data.AsSpan(1_734_567, buffer.Length).ToArray(), buffer);
            Assert.Equal(10, await reader.ReadAsync(0, buffer.AsMemory(0, 10), CancellationToken.None));
            Assert.Equal(data[..10], buffer[..10]);
        }
        var listed = new List<ShardEntry>();
        await foreach (var entry in store.ListAsync(CancellationToken.None))
        {
            listed.Add(entry);
        }
        Assert.Equal(id, Assert.Single(listed).ShardId);
        await store.DeleteAsync(id, CancellationToken.None);
        await Assert.ThrowsAsync<ShardNotFoundException>(() => ReadFirstByteAsync(store, id));
        Assert.True((await store.GetHealthAsync(CancellationToken.None)).Ready);
    }

    [Fact]
    public async Task AnAbandonedWriteLeavesNothing()
    {
        using var store = Store();
        string id = ShardId.For(ShardId.NewDataId(), 0);
        await using (var writer = await store.CreateAsync(id, CancellationToken.None))
        {
            await writer.WriteAsync(new byte[100_000], CancellationToken.None);
        }
        // The node may not have opened its temporary file yet: a moment for that, then until it is gone.
        await RawS3.WaitForAsync(() => Directory.EnumerateFiles(Path.Combine(_dir, "tmp")).Any(), timeoutMs: 1_500);
        await RawS3.WaitForAsync(() => !Directory.EnumerateFiles(Path.Combine(_dir, "tmp")).Any(), timeoutMs: 30_000);
        await Assert.ThrowsAsync<ShardNotFoundException>(() => ReadFirstByteAsync(store, id));
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(_dir, "tmp")));
    }

    [Fact]
    public async Task AWrongSecretIsRefused()
    {
        using var store = Store("some-other-cluster-secret");
        await Assert.ThrowsAnyAsync<IOException>(() => ReadFirstByteAsync(store, ShardId.For(ShardId.NewDataId(), 0)));
        Assert.False((await store.GetHealthAsync(CancellationToken.None)).Ready);
    }

    [Theory]
    [InlineData(null, null, false)]
    [InlineData("now", "0000", false)]
    [InlineData("old", "valid", false)]
    [InlineData("future", "valid", false)]
    [InlineData(null, null, true)]
    [InlineData("now", "0000", true)]
    [InlineData("old", "valid", true)]
    public async Task UnsignedForgedAndStaleRequestsAreRefused(string? date, string? signature, bool readPort)
    {
        string path = "/shards/" + ShardId.For(ShardId.NewDataId(), 0);
        long unixMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() + date switch
        {
            "old" => -6 * 60_000,
            "future" => 6 * 60_000,
            _ => 0,
        };
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(await UrlAsync(readPort), path));
        if (date is not null)
        {
            string nonce = NonceSource.Shared.Next();
            request.Headers.Add(NodeAuth.DateHeader, unixMs.ToString(CultureInfo.InvariantCulture));
            request.Headers.Add(NodeAuth.NonceHeader, nonce);
            request.Headers.Add(NodeAuth.SignatureHeader, signature == "valid"
                ? NodeAuth.Signature(NodeAuth.Key(Secret), "GET", path, unixMs, "n1", nonce, NodeAuth.EmptyBody)
                : signature);
        }
        using var response = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Theory]
    [InlineData("/shards/../../etc/passwd", false)]
    [InlineData("/shards/0123456789abcdef0123456789abcdef.0G", false)]
    [InlineData("/shards/0123456789ABCDEF0123456789ABCDEF.00", false)]
    [InlineData("/shards/..%2F..%2Fetc%2Fpasswd", true)]
    [InlineData("/shards/0123456789abcdef0123456789abcdef.0G", true)]
    [InlineData("/shards/0123456789abcdef0123456789abcdef.00", true)] // valid, absent
    public async Task InvalidShardIdsAreNotFound(string path, bool readPort)
    {
        long now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(await UrlAsync(readPort), path));
        string signed = request.RequestUri!.PathAndQuery;
        string nonce = NonceSource.Shared.Next();
        request.Headers.Add(NodeAuth.DateHeader, now.ToString(CultureInfo.InvariantCulture));
        request.Headers.Add(NodeAuth.NonceHeader, nonce);
        request.Headers.Add(NodeAuth.SignatureHeader, NodeAuth.Signature(NodeAuth.Key(Secret), "GET", signed, now, "n1", nonce, NodeAuth.EmptyBody));
        using var response = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task TheReadPortServesRangesAndHeadsOverKeepAliveAndRefusesWrites()
    {
        using var store = Store();
        string id = ShardId.For(ShardId.NewDataId(), 1);
        var data = new byte[20_000_000]; // more than one sendfile step
        new Random(2).NextBytes(data);
        await using (var writer = await store.CreateAsync(id, CancellationToken.None))
        {
            await writer.WriteAsync(data, CancellationToken.None);
            await writer.CommitAsync(ReadOnlyMemory<byte>.Empty, CancellationToken.None);
        }
        var url = await ReadUrlAsync();
        Assert.NotEqual(_url.Port, url.Port);
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 1 });
        async Task<HttpResponseMessage> SendAsync(HttpMethod method, string? range = null, HttpContent? body = null)
        {
            var request = new HttpRequestMessage(method, new Uri(url, "/shards/" + id)) { Content = body };
            if (range is not null)
            {
                request.Headers.Add("Range", range);
            }
            NodeAuth.Sign(request, NodeAuth.Key(Secret), TimeProvider.System, "n1");
            return await http.SendAsync(request);
        }
        using (var whole = await SendAsync(HttpMethod.Get))
        {
            Assert.Equal(HttpStatusCode.OK, whole.StatusCode);
            Assert.Equal(data, await whole.Content.ReadAsByteArrayAsync());
        }
        using (var middle = await SendAsync(HttpMethod.Get, "bytes=12345678-12399999"))
        {
            Assert.Equal(HttpStatusCode.PartialContent, middle.StatusCode);
            Assert.Equal($"bytes 12345678-12399999/{data.Length}", middle.Content.Headers.ContentRange!.ToString());
            Assert.Equal(data.AsSpan(12_345_678, 54_322).ToArray(), await middle.Content.ReadAsByteArrayAsync());
        }
        using (var tail = await SendAsync(HttpMethod.Get, "bytes=19999990-"))
        {
            Assert.Equal(data[^10..], await tail.Content.ReadAsByteArrayAsync());
        }
        using (var head = await SendAsync(HttpMethod.Head))
        {
            Assert.Equal(data.Length, head.Content.Headers.ContentLength);
        }
        using (var beyond = await SendAsync(HttpMethod.Get, $"bytes={data.Length}-"))
        {
            Assert.Equal(HttpStatusCode.RequestedRangeNotSatisfiable, beyond.StatusCode);
        }
        using (var put = await SendAsync(HttpMethod.Put, body: new ByteArrayContent([1, 2, 3])))
        {
            Assert.Equal(HttpStatusCode.MethodNotAllowed, put.StatusCode);
        }
        using (var again = await SendAsync(HttpMethod.Get, "bytes=0-9"))
        {
            Assert.Equal(data[..10], await again.Content.ReadAsByteArrayAsync()); // a new connection after the refusal closed one
        }
    }
}
