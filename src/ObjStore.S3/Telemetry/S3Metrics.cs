using System.Diagnostics;
using System.Diagnostics.Metrics;
using ObjStore.S3.Protocol;

namespace ObjStore.S3.Telemetry;

/// <summary>
/// The S3 front end's instruments (meter <see cref="MeterName"/>): requests by operation and status, latency by
/// operation, bytes received and sent, requests in flight, errors by S3 code. An exporter (the Prometheus one of the
/// host) names them with their units: <c>objstore_s3_requests_total</c>, <c>objstore_s3_request_duration_seconds</c>...
/// </summary>
/// <remarks>
/// Cheap per request: the tags go in a <see cref="TagList"/> (on the stack for up to eight tags), the operation and
/// status names are cached strings, so a request allocates nothing here. The meter comes from the host's
/// <see cref="IMeterFactory"/>, so two hosts in one process (the tests) keep separate instruments.
/// </remarks>
public sealed class S3Metrics
{
    public const string MeterName = "ObjStore.S3";

    /// <summary>Each operation's name at its value's index: looked up per request without formatting the enum.</summary>
    private static readonly string[] OperationNames = NameByValue();

    /// <summary>Status codes as tag values, made once: 100 to 599 is every status Kestrel answers.</summary>
    private static readonly string[] StatusNames = [.. Enumerable.Range(0, 600).Select(s => s.ToString(System.Globalization.CultureInfo.InvariantCulture))];

    /// <summary>Seconds, from a cached 4 KiB GET (well under a millisecond) to a 5 GiB PUT on a slow link.</summary>
    private static readonly double[] LatencyBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

    private readonly Counter<long> _requests;
    private readonly Histogram<double> _duration;
    private readonly Counter<long> _received;
    private readonly Counter<long> _sent;
    private readonly UpDownCounter<long> _inFlight;
    private readonly Counter<long> _errors;

    public S3Metrics(IMeterFactory meters)
    {
        var meter = meters.Create(MeterName);
        _requests = meter.CreateCounter<long>("objstore.s3.requests", "{request}", "S3 requests answered, by operation and HTTP status.");
        _duration = meter.CreateHistogram("objstore.s3.request.duration", "s", "Time from the request's arrival to its last byte, by operation.",
            tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = LatencyBuckets });
        _received = meter.CreateCounter<long>("objstore.s3.received", "By", "Request body bytes read from clients, by operation.");
        _sent = meter.CreateCounter<long>("objstore.s3.sent", "By", "Response body bytes written to clients, by operation.");
        _inFlight = meter.CreateUpDownCounter<long>("objstore.s3.requests.in_flight", "{request}", "S3 requests being served.");
        _errors = meter.CreateCounter<long>("objstore.s3.errors", "{error}", "S3 error answers, by S3 error code.");
    }

    private static string[] NameByValue()
    {
        var values = Enum.GetValues<S3Operation>();
        var names = new string[values.Max(v => (int)v) + 1];
        foreach (var value in values)
        {
            names[(int)value] = value.ToString();
        }
        return names;
    }

    /// <summary>The tag value of an operation; requests that fail before routing are "Unknown".</summary>
    public static string OperationName(S3Operation? operation) =>
        operation is { } op && (int)op >= 0 && (int)op < OperationNames.Length ? OperationNames[(int)op] ?? "Unknown" : "Unknown";

    internal void RequestStarted() => _inFlight.Add(1);

    internal void RequestEnded(S3Exchange exchange, double seconds)
    {
        _inFlight.Add(-1);
        string operation = OperationName(exchange.Operation);
        int status = exchange.Status;
        var byOperation = new TagList { { "operation", operation } };
        var byOperationAndStatus = new TagList { { "operation", operation }, { "status", status is >= 0 and < 600 ? StatusNames[status] : "other" } };
        _requests.Add(1, byOperationAndStatus);
        _duration.Record(seconds, byOperation);
        if (exchange.BytesReceived > 0)
        {
            _received.Add(exchange.BytesReceived, byOperation);
        }
        if (exchange.BytesSent > 0)
        {
            _sent.Add(exchange.BytesSent, byOperation);
        }
        if (exchange.ErrorCode is { } code)
        {
            _errors.Add(1, new TagList { { "code", code } });
        }
    }
}
