using System.Globalization;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
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
        _url = new Uri(_node.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
    }

    public async Task DisposeAsync()
    {
        await _node.StopAsync();
        await _node.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
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

    [Fact]
    public async Task ShardsRoundTripThroughTheRemoteStore()
    {
        using var store = Store();
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
    [InlineData(null, null)]
    [InlineData("now", "0000")]
    [InlineData("old", "valid")]
    [InlineData("future", "valid")]
    public async Task UnsignedForgedAndStaleRequestsAreRefused(string? date, string? signature)
    {
        string path = "/shards/" + ShardId.For(ShardId.NewDataId(), 0);
        long unixMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() + date switch
        {
            "old" => -6 * 60_000,
            "future" => 6 * 60_000,
            _ => 0,
        };
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(_url, path));
        if (date is not null)
        {
            request.Headers.Add(NodeAuth.DateHeader, unixMs.ToString(CultureInfo.InvariantCulture));
            request.Headers.Add(NodeAuth.SignatureHeader, signature == "valid"
                ? NodeAuth.Signature(NodeAuth.Key(Secret), "GET", path, unixMs, NodeAuth.EmptyBody)
                : signature);
        }
        using var response = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Theory]
    [InlineData("/shards/../../etc/passwd")]
    [InlineData("/shards/0123456789abcdef0123456789abcdef.0G")]
    [InlineData("/shards/0123456789ABCDEF0123456789ABCDEF.00")]
    public async Task InvalidShardIdsAreNotFound(string path)
    {
        long now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(_url, path));
        string signed = request.RequestUri!.PathAndQuery;
        request.Headers.Add(NodeAuth.DateHeader, now.ToString(CultureInfo.InvariantCulture));
        request.Headers.Add(NodeAuth.SignatureHeader, NodeAuth.Signature(NodeAuth.Key(Secret), "GET", signed, now, NodeAuth.EmptyBody));
        using var response = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }
}
