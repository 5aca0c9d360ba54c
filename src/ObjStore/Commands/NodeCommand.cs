using Microsoft.Extensions.Hosting;
using ObjStore.Hosting.Monitoring;
using ObjStore.Node;

namespace ObjStore.Cli.Commands;

/// <summary>`objstore node`: one storage node, serving a folder of shards to gateways.</summary>
internal static class NodeCommand
{
    public static async Task<int> RunAsync(Options options)
    {
        var node = new NodeOptions
        {
            DataDir = options.Get("data") ?? throw new OptionException("node needs --data DIR"),
            Listen = options.Get("listen", "http://127.0.0.1:9100"),
            NodeId = options.Get("node-id") ?? throw new OptionException("node needs --node-id ID"),
            ClusterSecret = options.Get("cluster-secret") ?? Environment.GetEnvironmentVariable("OBJSTORE_CLUSTER_SECRET")
                ?? throw new OptionException("node needs --cluster-secret S (or OBJSTORE_CLUSTER_SECRET)"),
            ReadPort = options.GetInt("read-port") ?? 0,
            TlsCertFile = options.Get("tls-cert"),
            TlsKeyFile = options.Get("tls-key"),
            Gateway = options.Get("gateway") ?? Environment.GetEnvironmentVariable("OBJSTORE_GATEWAY"),
            ScrubBytesPerSecond = options.GetBytes("scrub-rate") ?? 64L << 20,
            ScrubOpsPerSecond = options.GetInt("scrub-ops") ?? 1000,
        };
        Microsoft.AspNetCore.Builder.WebApplication app;
        try
        {
            // Metrics at /_objstore/metrics; spans over OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set.
            var tracing = new TracingOptions();
            tracing.Validate();
            app = NodeHost.Build(node, NodeTelemetry.Configure(tracing.Endpoint), NodeTelemetry.Map);
        }
        catch (Exception e) when (e is ArgumentException or System.Security.Cryptography.CryptographicException)
        {
            throw new OptionException(e.Message);
        }
        await app.StartAsync();
        Console.WriteLine($"objstore node {node.NodeId}: listening on {node.ListenUrl}, shards in {Path.GetFullPath(node.DataDir)}");
        await app.WaitForShutdownAsync();
        return 0;
    }
}
