using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging.Abstractions;
using ObjStore.Node;
using ObjStore.Storage.Remote;

namespace ObjStore.TestKit;

/// <summary>
/// A storage node (<see cref="NodeHost"/>) hosted in-process on a loopback port with its own temporary folder, and
/// remote shard stores that talk to it.
/// </summary>
public sealed class TestNode : IAsyncDisposable
{
    public const string DefaultSecret = "test-kit-cluster-secret";

    private readonly WebApplication _app;
    private readonly List<IDisposable> _clients = [];
    private bool _stopped;

    private TestNode(WebApplication app, string dataDir, string nodeId, string secret)
    {
        _app = app;
        DataDir = dataDir;
        NodeId = nodeId;
        Secret = secret;
        Url = TestHosts.Address(app);
    }

    public Uri Url { get; }
    public string DataDir { get; }
    public string NodeId { get; }
    public string Secret { get; }

    /// <param name="exportMetrics">Serve the node's metrics at /_objstore/metrics, as `objstore node` does.</param>
    public static async Task<TestNode> StartAsync(string nodeId = "n1", string secret = DefaultSecret, bool exportMetrics = false)
    {
        string dataDir = Directory.CreateTempSubdirectory("objstore-node-").FullName;
        var options = new NodeOptions { DataDir = dataDir, Listen = "http://127.0.0.1:0", NodeId = nodeId, ClusterSecret = secret };
        var app = exportMetrics
            ? NodeHost.Build(options, Hosting.Monitoring.NodeTelemetry.Configure(otlpEndpoint: null), Hosting.Monitoring.NodeTelemetry.Map)
            : NodeHost.Build(options);
        try
        {
            await app.StartAsync();
        }
        catch
        {
            await app.DisposeAsync();
            Directory.Delete(dataDir, recursive: true);
            throw;
        }
        return new TestNode(app, dataDir, nodeId, secret);
    }

    /// <summary>A remote store for this node with its own HttpClient, both disposed with the node.</summary>
    public RemoteShardStore Client(TimeSpan? requestTimeout = null, string? secret = null)
    {
        var options = new RemoteNodeOptions { RequestTimeout = requestTimeout ?? TimeSpan.FromSeconds(10) };
        var http = RemoteShardStore.CreateHttpClient(options);
        var store = new RemoteShardStore(NodeId, Url, secret ?? Secret, http, options, NullLogger.Instance);
        _clients.Add(store);
        _clients.Add(http);
        return store;
    }

    /// <summary>Stops the node (its port refuses connections from then on); the folder stays until dispose.</summary>
    public async Task StopAsync()
    {
        if (!_stopped)
        {
            _stopped = true;
            await _app.StopAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var client in _clients)
        {
            client.Dispose();
        }
        await StopAsync();
        await _app.DisposeAsync();
        Directory.Delete(DataDir, recursive: true);
    }
}
