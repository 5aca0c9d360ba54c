using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace ObjStore.Objects;

/// <summary>
/// The object layer's instruments (meter <see cref="MeterName"/>): per shard store, the latency of each call, its
/// errors and the bytes read and written (<see cref="InstrumentedShardStore"/>); and the codec's throughput, bytes
/// encoded (PUT), decoded (GET, data shards only: no arithmetic) and reconstructed (GET with shards missing, heal).
/// Prometheus names: <c>objstore_store_operation_duration_seconds</c>, <c>objstore_store_errors_total</c>,
/// <c>objstore_store_read_bytes_total</c>, <c>objstore_store_written_bytes_total</c>,
/// <c>objstore_codec_encoded_bytes_total</c>, <c>objstore_codec_decoded_bytes_total</c>, <c>objstore_codec_reconstructed_bytes_total</c>.
/// </summary>
/// <remarks>A call costs a <see cref="TagList"/> on the stack and a histogram record: no allocation.</remarks>
public sealed class ObjectLayerMetrics
{
    public const string MeterName = "ObjStore.Objects";

    /// <summary>Seconds, from a page-cache read (tens of microseconds) to a node that times out.</summary>
    private static readonly double[] LatencyBuckets = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    private readonly Histogram<double> _duration;
    private readonly Counter<long> _errors;
    private readonly Counter<long> _read;
    private readonly Counter<long> _written;
    private readonly Counter<long> _encoded;
    private readonly Counter<long> _decoded;
    private readonly Counter<long> _reconstructed;

    public ObjectLayerMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(MeterName);
        _duration = meter.CreateHistogram("objstore.store.operation.duration", "s",
            "Time of one call to a shard store, by store and operation (create, write, commit, open, read, delete).",
            tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = LatencyBuckets });
        _errors = meter.CreateCounter<long>("objstore.store.errors", "{error}", "Failed calls to a shard store, by store and operation.");
        _read = meter.CreateCounter<long>("objstore.store.read", "By", "Bytes read from a shard store, by store.");
        _written = meter.CreateCounter<long>("objstore.store.written", "By", "Bytes written to a shard store, by store.");
        _encoded = meter.CreateCounter<long>("objstore.codec.encoded", "By", "Object bytes erasure-coded into data and parity blocks.");
        _decoded = meter.CreateCounter<long>("objstore.codec.decoded", "By", "Object bytes read back from data blocks without reconstruction.");
        _reconstructed = meter.CreateCounter<long>("objstore.codec.reconstructed", "By", "Object bytes rebuilt from parity because data blocks were missing or bad.");
    }

    /// <summary>Operation names, the label values of the store instruments.</summary>
    internal static class Operations
    {
        public const string Create = "create";
        public const string Write = "write";
        public const string Commit = "commit";
        public const string Open = "open";
        public const string Read = "read";
        public const string Delete = "delete";
    }

    internal void Call(string store, string operation, long startTimestamp, bool failed)
    {
        var tags = new TagList { { "store", store }, { "operation", operation } };
        _duration.Record(Stopwatch.GetElapsedTime(startTimestamp).TotalSeconds, tags);
        if (failed)
        {
            _errors.Add(1, tags);
        }
    }

    internal void Read(string store, long bytes)
    {
        if (bytes > 0)
        {
            _read.Add(bytes, new KeyValuePair<string, object?>("store", store));
        }
    }

    internal void Written(string store, long bytes)
    {
        if (bytes > 0)
        {
            _written.Add(bytes, new KeyValuePair<string, object?>("store", store));
        }
    }

    public void Encoded(long bytes) => _encoded.Add(bytes);

    public void Decoded(long bytes) => _decoded.Add(bytes);

    public void Reconstructed(long bytes) => _reconstructed.Add(bytes);
}
