using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;

namespace ObjStore.Node;

/// <summary>
/// A storage node's instruments (meter <see cref="MeterName"/>), for both its ports: requests by operation and status,
/// their latency, and the shard bytes received and sent. Prometheus names: <c>objstore_node_requests_total</c>,
/// <c>objstore_node_request_duration_seconds</c>, <c>objstore_node_received_bytes_total</c>,
/// <c>objstore_node_sent_bytes_total</c>; <c>objstore node</c> serves them unsigned at <c>/_objstore/metrics</c>.
/// </summary>
public sealed class NodeMetrics
{
    public const string MeterName = "ObjStore.Node";

    /// <summary>Operation label values.</summary>
    public static class Operations
    {
        public const string Put = "put";
        public const string Get = "get";
        public const string Head = "head";
        public const string Delete = "delete";
        public const string List = "list";
        public const string Health = "health";

        /// <summary>A GET on the sendfile read port.</summary>
        public const string ReadPortGet = "read-port-get";

        public const string Other = "other";
    }

    private static readonly string[] StatusNames = [.. Enumerable.Range(0, 600).Select(s => s.ToString(CultureInfo.InvariantCulture))];

    private static readonly double[] LatencyBuckets = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

    private readonly Counter<long> _requests;
    private readonly Histogram<double> _duration;
    private readonly Counter<long> _received;
    private readonly Counter<long> _sent;

    public NodeMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(MeterName);
        _requests = meter.CreateCounter<long>("objstore.node.requests", "{request}", "Requests a storage node answered, by operation and status.");
        _duration = meter.CreateHistogram("objstore.node.request.duration", "s", "Time a storage node took to answer a request, by operation.",
            tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = LatencyBuckets });
        _received = meter.CreateCounter<long>("objstore.node.received", "By", "Shard bytes a storage node received (PUT bodies).");
        _sent = meter.CreateCounter<long>("objstore.node.sent", "By", "Shard bytes a storage node sent (GETs, both ports).");
    }

    public void Request(string operation, int status, long startTimestamp)
    {
        _requests.Add(1, new TagList { { "operation", operation }, { "status", status is >= 0 and < 600 ? StatusNames[status] : "other" } });
        _duration.Record(Stopwatch.GetElapsedTime(startTimestamp).TotalSeconds, new KeyValuePair<string, object?>("operation", operation));
    }

    public void Received(long bytes)
    {
        if (bytes > 0)
        {
            _received.Add(bytes);
        }
    }

    public void Sent(long bytes)
    {
        if (bytes > 0)
        {
            _sent.Add(bytes);
        }
    }
}
