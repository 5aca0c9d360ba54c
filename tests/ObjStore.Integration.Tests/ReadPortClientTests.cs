using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using ObjStore.Core;
using ObjStore.Node;
using ObjStore.Storage;
using ObjStore.Storage.Remote;

namespace ObjStore.Integration.Tests;

/// <summary>
/// The gateway's client for a node's read port: bodies read whole into the caller's buffers, keep-alive reuse, a
/// pooled connection the node closed meanwhile, and bodies cut short. Against a real node, and against a scripted
/// server for what a healthy node never does.
/// </summary>
public sealed class ReadPortClientTests : IAsyncLifetime
{
    private const string Secret = "read-port-tests-secret";
    private static readonly byte[] Key = NodeAuth.Key(Secret);
    private readonly string _dir = Directory.CreateTempSubdirectory("objstore-readport-").FullName;
    private WebApplication _node = null!;
    private int _readPort;

    public async Task InitializeAsync()
    {
        _node = NodeHost.Build(new NodeOptions { DataDir = _dir, Listen = "http://127.0.0.1:0", NodeId = "n1", ClusterSecret = Secret });
        await _node.StartAsync();
        var url = TestHosts.Address(_node);
        _readPort = await NodeTests.ReadPortOfAsync(url, Secret);
    }

    public async Task DisposeAsync()
    {
        await TestHosts.StopAndDeleteAsync(_node, _dir);
    }

    private async Task<(string Id, byte[] Data)> PutShardAsync(int size)
    {
        var data = new byte[size];
        new Random(size).NextBytes(data);
        string id = ShardId.For(ShardId.NewDataId(), 1);
        var store = _node.Services.GetRequiredService<LocalShardStore>();
        await using var writer = await store.CreateAsync(id, CancellationToken.None);
        await writer.WriteAsync(data, CancellationToken.None);
        await writer.CommitAsync(ReadOnlyMemory<byte>.Empty, CancellationToken.None);
        return (id, data);
    }

    [Fact]
    public async Task BlocksReadWholeAndTheConnectionIsReusedOnceTheBodyIsRead()
    {
        var (id, data) = await PutShardAsync(3 << 20);
        using var client = new ReadPortClient("127.0.0.1", _readPort, Key, TimeProvider.System, "n1");
        for (int round = 0; round < 3; round++)
        {
            await using var response = await client.GetAsync("/shards/" + id, 1000, CancellationToken.None);
            Assert.Equal(206, response.Status);
            var block = new byte[256 << 10];
            for (long at = 1000; at < data.Length; at += block.Length)
            {
                int expected = (int)Math.Min(block.Length, data.Length - at);
                Assert.Equal(expected, await response.ReadAsync(block, CancellationToken.None)); // whole blocks, never a piece
                Assert.True(data.AsSpan((int)at, expected).SequenceEqual(block.AsSpan(0, expected)));
            }
            Assert.Equal(0, await response.ReadAsync(block, CancellationToken.None));
        }
        Assert.Equal(1, client.Connections);
    }

    [Fact]
    public async Task AConnectionLeftMidBodyIsClosedAndASmallRemainderIsDrained()
    {
        var (id, _) = await PutShardAsync(1 << 20);
        using var client = new ReadPortClient("127.0.0.1", _readPort, Key, TimeProvider.System, "n1");
        await using (var response = await client.GetAsync("/shards/" + id, 0, CancellationToken.None))
        {
            await response.ReadAsync(new byte[1000], CancellationToken.None); // most of a MiB left unread: not reusable
        }
        await using (var response = await client.GetAsync("/shards/" + id, (1 << 20) - 1000, CancellationToken.None))
        {
            await response.ReadAsync(new byte[10], CancellationToken.None); // 990 bytes left: read and dropped
        }
        await using (var response = await client.GetAsync("/shards/" + ShardId.For(ShardId.NewDataId(), 0), 0, CancellationToken.None))
        {
            Assert.Equal(404, response.Status);
        }
        Assert.Equal(2, client.Connections);
    }

    [Fact]
    public async Task APooledConnectionTheServerClosedIsReplacedAndACutBodyIsAnError()
    {
        // Answers each connection's first request, then closes it without saying so: the client's pooled socket is
        // dead by its next request. The third connection's body is cut short.
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int served = 0;
        var server = Task.Run(async () =>
        {
            while (served < 3)
            {
                using var socket = await listener.AcceptSocketAsync();
                var head = new byte[4096];
                int filled = 0;
                while (filled < 4 || !head.AsSpan(0, filled).EndsWith("\r\n\r\n"u8))
                {
                    filled += await socket.ReceiveAsync(head.AsMemory(filled), SocketFlags.None);
                }
                Assert.Contains("X-ObjStore-Signature: ", Encoding.ASCII.GetString(head, 0, filled), StringComparison.Ordinal);
                string reply = ++served < 3 ? "HTTP/1.1 206 Partial Content\r\nContent-Length: 5\r\n\r\nhello" : "HTTP/1.1 206 Partial Content\r\nContent-Length: 10\r\n\r\nhel";
                await socket.SendAsync(Encoding.ASCII.GetBytes(reply), SocketFlags.None);
                socket.Shutdown(SocketShutdown.Both);
            }
        });
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        using var client = new ReadPortClient("127.0.0.1", port, Key, TimeProvider.System, "n1");
        for (int i = 0; i < 2; i++)
        {
            await using var response = await client.GetAsync("/shards/" + ShardId.For(ShardId.NewDataId(), 0), 0, CancellationToken.None);
            var body = new byte[5];
            Assert.Equal(5, await response.ReadAsync(body, CancellationToken.None));
            Assert.Equal("hello", Encoding.ASCII.GetString(body));
        }
        Assert.Equal(2, client.Connections);
        await using (var cut = await client.GetAsync("/shards/" + ShardId.For(ShardId.NewDataId(), 0), 0, CancellationToken.None))
        {
            await Assert.ThrowsAsync<IOException>(async () => await cut.ReadAsync(new byte[10], CancellationToken.None));
        }
        await server;
    }
}
