using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace ObjStore.S3.Telemetry;

/// <summary>The "ObjStore:AccessLog" settings.</summary>
public sealed class AccessLogOptions
{
    public const string TextFormat = "text";
    public const string JsonFormat = "json";

    /// <summary>One line per S3 request, on by default: who did what to which object, how it ended, how long it took.</summary>
    public bool Enabled { get; set; } = true;

    public const string StandardOutput = "stdout";
    public const string LoggerOutput = "logger";

    /// <summary><c>text</c> (space-separated fields, one line) or <c>json</c> (one JSON object per line).</summary>
    public string Format { get; set; } = TextFormat;

    /// <summary>
    /// Where entries go: <c>stdout</c> (default: bare lines, written in batches by a writer of their own), a file path
    /// (appended to), or <c>logger</c> (through <c>ILogger</c> under the category "ObjStore.Access", like any log
    /// message, at several times the cost per request).
    /// </summary>
    public string Output { get; set; } = StandardOutput;

    public void Validate()
    {
        if (Format is not (TextFormat or JsonFormat))
        {
            throw new ArgumentException($"ObjStore:AccessLog:Format must be '{TextFormat}' or '{JsonFormat}', not '{Format}'.");
        }
        if (string.IsNullOrWhiteSpace(Output))
        {
            throw new ArgumentException($"ObjStore:AccessLog:Output must be '{StandardOutput}', '{LoggerOutput}' or a file path.");
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
public sealed partial class AccessLog : IDisposable
{
    public const string Category = "ObjStore.Access";

    private readonly ILogger _logger;
    private readonly AccessLogWriter? _writer;
    private readonly bool _json;

    public AccessLog(ILoggerFactory loggers, AccessLogOptions options)
    {
        options.Validate();
        _json = options.Format == AccessLogOptions.JsonFormat;
        bool throughLogger = options.Output.Equals(AccessLogOptions.LoggerOutput, StringComparison.OrdinalIgnoreCase);
        _logger = options.Enabled && throughLogger ? loggers.CreateLogger(Category) : Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;
        if (options.Enabled && !throughLogger)
        {
            _writer = options.Output.Equals(AccessLogOptions.StandardOutput, StringComparison.OrdinalIgnoreCase)
                ? new AccessLogWriter(Console.OpenStandardOutput(), path: null)
                : new AccessLogWriter(output: null, options.Output);
        }
    }

    internal void Write(S3Exchange exchange, double seconds)
    {
        if (_writer is null && !_logger.IsEnabled(LogLevel.Information))
        {
            return;
        }
        string time = exchange.Arrived.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);
        double milliseconds = Math.Round(seconds * 1000, 2);
        string operation = S3Metrics.OperationName(exchange.Operation);
        if (_json)
        {
            string entry = Json(exchange, time, operation, milliseconds);
            if (_writer is not null)
            {
                _writer.Write(entry);
            }
            else
            {
                LogJson(_logger, entry);
            }
            return;
        }
        string accessKey = Dash(exchange.AccessKey);
        string bucket = Dash(exchange.Bucket);
        string key = exchange.Key is { Length: > 0 } k ? EscapeKey(k) : "-";
        string duration = milliseconds.ToString("0.00", CultureInfo.InvariantCulture);
        if (_writer is not null)
        {
            _writer.Write(string.Create(CultureInfo.InvariantCulture,
                $"{time} {exchange.RequestId} {exchange.User ?? "-"} {accessKey} {operation} {bucket} {key} {exchange.Status} {exchange.BytesReceived} {exchange.BytesSent} {duration}"));
        }
        else
        {
            LogText(_logger, time, exchange.RequestId, exchange.User ?? "-", accessKey, operation, bucket, key, exchange.Status,
                exchange.BytesReceived, exchange.BytesSent, duration);
        }
    }

    /// <summary>Writes out what is queued (bounded) and closes the output.</summary>
    public void Dispose() => _writer?.Dispose();

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

/// <summary>
/// Access entries as bare lines, written by a thread of their own: a request only queues its line, and the writer
/// takes every line queued since its last write in one go, in writes of at most 4 KiB (PIPE_BUF: on a pipe shared
/// with the server's own log, a write that size is never interleaved with another). A file is opened for each batch
/// (appending), so logrotate's rename and copytruncate both work without a signal. The queue is bounded: when the
/// output cannot keep up, requests wait for room, as with any synchronous log; the writer needs no thread-pool thread
/// to make room, so a slow output slows requests but cannot starve the server. An output that fails is given up.
/// </summary>
internal sealed class AccessLogWriter : IDisposable
{
    private const int WriteSize = 4096;
    private readonly Channel<string> _lines = Channel.CreateBounded<string>(new BoundedChannelOptions(64 * 1024)
    {
        SingleReader = true,
        FullMode = BoundedChannelFullMode.Wait,
    });

    private readonly Stream? _output;
    private readonly string? _path;
    private readonly Thread _thread;
    private volatile bool _dead;

    /// <summary>Writes to <paramref name="output"/>, or appends to the file at <paramref name="path"/>.</summary>
    public AccessLogWriter(Stream? output, string? path)
    {
        (_output, _path) = (output, path);
        _thread = new Thread(Drain) { IsBackground = true, Name = "access log" };
        _thread.Start();
    }

    public void Write(string line)
    {
        if (_dead || _lines.Writer.TryWrite(line))
        {
            return;
        }
        try
        {
            _lines.Writer.WriteAsync(line).AsTask().GetAwaiter().GetResult();
        }
        catch (ChannelClosedException)
        {
            // disposed meanwhile
        }
    }

    public void Dispose()
    {
        _lines.Writer.TryComplete();
        if (_thread.Join(TimeSpan.FromSeconds(5)))
        {
            _output?.Dispose(); // not while the writer may still be writing to it
        }
    }

    private void Drain()
    {
        var buffer = new byte[WriteSize];
        var reader = _lines.Reader;
        try
        {
            while (reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
            {
                using var output = _output is null ? OpenFile() : null;
                var target = output ?? _output!;
                int used = 0;
                while (reader.TryRead(out var line))
                {
                    int length = Encoding.UTF8.GetByteCount(line) + 1;
                    if (used + length > WriteSize && used > 0)
                    {
                        target.Write(buffer, 0, used);
                        used = 0;
                    }
                    if (length > WriteSize)
                    {
                        target.Write(Encoding.UTF8.GetBytes(line + "\n"));
                        continue;
                    }
                    used += Encoding.UTF8.GetBytes(line, buffer.AsSpan(used));
                    buffer[used++] = (byte)'\n';
                }
                if (used > 0)
                {
                    target.Write(buffer, 0, used);
                }
                target.Flush();
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ObjectDisposedException)
        {
            // The output is gone (a closed pipe, a removed folder): the entries have nowhere to go, and requests
            // must not wait for them.
            _dead = true;
            _lines.Writer.TryComplete();
            while (reader.TryRead(out _))
            {
            }
        }
    }

    private FileStream OpenFile() =>
        new(_path!, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete, bufferSize: 0);
}
