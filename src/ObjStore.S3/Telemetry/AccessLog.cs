using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace ObjStore.S3.Telemetry;

/// <summary>The "ObjStore:AccessLog" settings.</summary>
public sealed class AccessLogOptions
{
    public const string TextFormat = "text";
    public const string JsonFormat = "json";

    /// <summary>One line per S3 request, on by default: who did what to which object, how it ended, how long it took.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary><c>text</c> (space-separated fields, one line) or <c>json</c> (one JSON object per line).</summary>
    public string Format { get; set; } = TextFormat;

    public void Validate()
    {
        if (Format is not (TextFormat or JsonFormat))
        {
            throw new ArgumentException($"ObjStore:AccessLog:Format must be '{TextFormat}' or '{JsonFormat}', not '{Format}'.");
        }
    }
}

/// <summary>
/// One log entry per S3 request, under its own category (<see cref="Category"/>) so it can be filtered or sent apart
/// from the server's log. An entry holds the access key id, never its secret, and the object's key, never the query
/// string: presigned URLs carry signatures and SSE-C requests keys there and in headers, and neither is written.
/// </summary>
/// <remarks>
/// Text fields, in order, "-" when not known (a request refused before it was routed): time (UTC, ISO 8601), request
/// id, user, access key, operation, bucket, key (percent-encoded, so it is one field), status, bytes in, bytes out,
/// duration in milliseconds.
/// </remarks>
public sealed partial class AccessLog
{
    public const string Category = "ObjStore.Access";

    private readonly ILogger _logger;
    private readonly bool _json;

    public AccessLog(ILoggerFactory loggers, AccessLogOptions options)
    {
        options.Validate();
        _logger = options.Enabled ? loggers.CreateLogger(Category) : Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;
        _json = options.Format == AccessLogOptions.JsonFormat;
    }

    internal void Write(S3Exchange exchange, double seconds)
    {
        if (_logger.IsEnabled(LogLevel.Information))
        {
            string time = exchange.Arrived.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);
            double milliseconds = Math.Round(seconds * 1000, 2);
            string operation = S3Metrics.OperationName(exchange.Operation);
            if (_json)
            {
                string entry = Json(exchange, time, operation, milliseconds);
                LogJson(_logger, entry);
            }
            else
            {
                string accessKey = Dash(exchange.AccessKey);
                string bucket = Dash(exchange.Bucket);
                string key = exchange.Key is { Length: > 0 } k ? EscapeKey(k) : "-";
                string duration = milliseconds.ToString("0.00", CultureInfo.InvariantCulture);
                LogText(_logger, time, exchange.RequestId, exchange.User ?? "-", accessKey, operation, bucket, key, exchange.Status,
                    exchange.BytesReceived, exchange.BytesSent, duration);
            }
        }
    }

    private static string Dash(string? value) => string.IsNullOrEmpty(value) ? "-" : value;

    /// <summary>A key may hold spaces, quotes and line breaks: percent-encoded it stays one field on one line.</summary>
    private static string EscapeKey(string key) => Uri.EscapeDataString(key).Replace("%2F", "/", StringComparison.Ordinal);

    private static string Json(S3Exchange exchange, string time, string operation, double milliseconds)
    {
        using var buffer = new MemoryStream(256);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("time", time);
            json.WriteString("requestId", exchange.RequestId);
            json.WriteString("user", exchange.User);
            json.WriteString("accessKey", exchange.AccessKey);
            json.WriteString("operation", operation);
            json.WriteString("bucket", exchange.Bucket);
            json.WriteString("key", exchange.Key);
            json.WriteNumber("status", exchange.Status);
            json.WriteNumber("bytesIn", exchange.BytesReceived);
            json.WriteNumber("bytesOut", exchange.BytesSent);
            json.WriteNumber("durationMs", milliseconds);
            if (exchange.ErrorCode is { } code)
            {
                json.WriteString("error", code);
            }
            json.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    [LoggerMessage(EventId = 2200, Level = LogLevel.Information,
        Message = "{Time} {RequestId} {User} {AccessKey} {Operation} {Bucket} {Key} {Status} {BytesIn} {BytesOut} {DurationMs}")]
    private static partial void LogText(ILogger logger, string time, string requestId, string user, string accessKey, string operation,
        string bucket, string key, int status, long bytesIn, long bytesOut, string durationMs);

    [LoggerMessage(EventId = 2201, Level = LogLevel.Information, Message = "{AccessEntry}")]
    private static partial void LogJson(ILogger logger, string accessEntry);
}
