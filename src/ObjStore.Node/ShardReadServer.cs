using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Text;
using Microsoft.Extensions.Logging;
using ObjStore.Core;
using ObjStore.Storage;
using ObjStore.Storage.Remote;

namespace ObjStore.Node;

/// <summary>
/// The node's read path: <c>GET /shards/{id}</c> (and HEAD) over HTTP/1.1 with keep-alive on a port of its own, the
/// body sent with sendfile(2) from the page cache to the socket. Through Kestrel every byte of a shard GET is copied
/// twice (file to buffer, buffer to socket), which is most of a node's CPU; here it is copied by neither. Requests are
/// signed like every node request (<see cref="NodeAuth"/>: for this node, with a nonce not seen before on either of
/// the node's ports); anything but a signed GET or HEAD of a valid shard id is refused and the connection closed. The node advertises the port in its health answer, and gateways read there.
/// </summary>
public sealed partial class ShardReadServer : IAsyncDisposable
{
    private const int MaxHeadBytes = 16 << 10;

    /// <summary>Bytes per sendfile step; each step must finish within <see cref="SendTimeout"/>.</summary>
    private const int SendChunk = 8 << 20;

    private static readonly TimeSpan IdleTimeout = TimeSpan.FromMinutes(2);
    private static readonly TimeSpan SendTimeout = TimeSpan.FromSeconds(30);

    private readonly Socket _listener;
    private readonly LocalShardStore _store;
    private readonly byte[] _key;
    private readonly string _nodeId;
    private readonly ReplayGuard _guard;
    private readonly ILogger _logger;
    private readonly NodeMetrics? _metrics;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;

    /// <param name="guard">The node's replay guard, shared with its main port: a nonce is used once on either.</param>
    public ShardReadServer(IPEndPoint endpoint, LocalShardStore store, byte[] key, string nodeId, ReplayGuard guard, ILogger logger, NodeMetrics? metrics = null)
    {
        _metrics = metrics;
        _store = store;
        _key = key;
        _nodeId = nodeId;
        _guard = guard;
        _logger = logger;
        _listener = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        _listener.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        _listener.Bind(endpoint);
        _listener.Listen(512);
        Port = ((IPEndPoint)_listener.LocalEndPoint!).Port;
        _accepting = Task.Run(AcceptAsync);
    }

    public int Port { get; }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException)
            {
                continue;
            }
            _ = Task.Run(() => ServeAsync(socket));
        }
    }

    private async Task ServeAsync(Socket socket)
    {
        using (socket)
        {
            socket.NoDelay = true;
            var buffer = new byte[MaxHeadBytes];
            int filled = 0;
            try
            {
                while (true)
                {
                    int end;
                    while ((end = buffer.AsSpan(0, filled).IndexOf("\r\n\r\n"u8)) < 0)
                    {
                        if (filled == buffer.Length)
                        {
                            await SendHeadAsync(socket, null, 431, "Request Header Fields Too Large", 0, null, close: true);
                            return;
                        }
                        using var idle = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
                        idle.CancelAfter(IdleTimeout);
                        int n = await socket.ReceiveAsync(buffer.AsMemory(filled), SocketFlags.None, idle.Token);
                        if (n == 0)
                        {
                            return;
                        }
                        filled += n;
                    }
                    var request = ParseHead(Encoding.Latin1.GetString(buffer, 0, end));
                    int rest = filled - (end + 4);
                    Buffer.BlockCopy(buffer, end + 4, buffer, 0, rest);
                    filled = rest;
                    if (!await RespondAsync(socket, request))
                    {
                        return;
                    }
                }
            }
            catch (Exception e) when (e is SocketException or IOException or OperationCanceledException or ObjectDisposedException)
            {
                // The gateway hung up, stalled past the timeout, or the node is stopping.
            }
            catch (Exception e)
            {
                LogFailed(_logger, e.Message);
            }
        }
    }

    private sealed record Head(string Method, string Target, Dictionary<string, string> Headers, bool Valid);

    private static Head ParseHead(string text)
    {
        var lines = text.Split("\r\n");
        var parts = lines[0].Split(' ');
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        bool valid = parts.Length == 3 && parts[2] is "HTTP/1.1" or "HTTP/1.0";
        foreach (var line in lines.Skip(1))
        {
            int colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                valid = false;
                continue;
            }
            headers[line[..colon].Trim()] = line[(colon + 1)..].Trim();
        }
        return valid ? new Head(parts[0], parts[1], headers, true) : new Head("", "", headers, false);
    }

    /// <summary>Answers one request; false when the connection must close (refusals, bodies, "Connection: close").</summary>
    /// <summary>
    /// One request, counted (<see cref="NodeMetrics"/>) and, when it carries a trace context (a gateway's read made
    /// inside a trace), a span of that trace.
    /// </summary>
    private async Task<bool> RespondAsync(Socket socket, Head request)
    {
        long start = Stopwatch.GetTimestamp();
        var answered = new StrongBox<int>(0);
        using var span = Tracing.StartServer("node read-port GET", request.Headers.GetValueOrDefault(Tracing.TraceParentHeader),
            request.Headers.GetValueOrDefault(Tracing.TraceStateHeader), rootIfNone: false);
        if (span is not null)
        {
            span.SetTag("objstore.node", _nodeId);
            span.SetTag("url.path", request.Target);
        }
        try
        {
            return await RespondCoreAsync(socket, request, answered);
        }
        finally
        {
            _metrics?.Request(NodeMetrics.Operations.ReadPortGet, answered.Value, start);
            span?.SetTag("http.response.status_code", answered.Value);
        }
    }

    private async Task<bool> RespondCoreAsync(Socket socket, Head request, StrongBox<int> answered)
    {
        if (!request.Valid)
        {
            await SendHeadAsync(socket, answered, 400, "Bad Request", 0, null, close: true);
            return false;
        }
        if (request.Headers.ContainsKey("Transfer-Encoding") || request.Headers.TryGetValue("Content-Length", out var cl) && cl != "0")
        {
            await SendHeadAsync(socket, answered, 405, "Method Not Allowed", 0, null, close: true); // this port reads; writes go to the node's main port
            return false;
        }
        if (request.Method is not ("GET" or "HEAD"))
        {
            await SendHeadAsync(socket, answered, 405, "Method Not Allowed", 0, null, close: true);
            return false;
        }
        string? refused = NodeAuth.Verify(_key, _nodeId, _guard, request.Method, request.Target,
            request.Headers.GetValueOrDefault(NodeAuth.DateHeader), request.Headers.GetValueOrDefault(NodeAuth.NonceHeader),
            request.Headers.GetValueOrDefault(NodeAuth.SignatureHeader));
        if (refused is not null)
        {
            LogRefused(_logger, request.Method, request.Target, refused);
            await SendHeadAsync(socket, answered, 403, "Forbidden", 0, null, close: true);
            return false;
        }
        bool keepAlive = !string.Equals(request.Headers.GetValueOrDefault("Connection"), "close", StringComparison.OrdinalIgnoreCase);
        string shardId = request.Target.StartsWith("/shards/", StringComparison.Ordinal) ? request.Target[8..] : "";
        if (!ShardId.IsValid(shardId))
        {
            await SendHeadAsync(socket, answered, 404, "Not Found", 0, null, !keepAlive);
            return keepAlive;
        }
        FileStream file;
        try
        {
            // SendPacketsElement insists on an asynchronous FileStream; sendfile(2) does not care.
            file = new FileStream(_store.PathOf(shardId), FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, bufferSize: 0, useAsync: true);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            await SendHeadAsync(socket, answered, 404, "Not Found", 0, null, !keepAlive);
            return keepAlive;
        }
        await using (file)
        {
            long length = file.Length, from = 0, to = length - 1;
            int status = 200;
            string? contentRange = null;
            if (request.Headers.TryGetValue("Range", out var range))
            {
                if (!TryParseRange(range, out long start, out long? last))
                {
                    await SendHeadAsync(socket, answered, 400, "Bad Request", 0, null, close: true);
                    return false;
                }
                if (start >= length)
                {
                    await SendHeadAsync(socket, answered, 416, "Range Not Satisfiable", 0, $"bytes */{length}", !keepAlive);
                    return keepAlive;
                }
                (from, to, status) = (start, Math.Min(last ?? length - 1, length - 1), 206);
                contentRange = $"bytes {from}-{to}/{length}";
            }
            long count = Math.Max(0, to - from + 1);
            await SendHeadAsync(socket, answered, status, status == 206 ? "Partial Content" : "OK", count, contentRange, !keepAlive);
            if (request.Method == "GET")
            {
                for (long at = from; at < from + count;)
                {
                    int step = (int)Math.Min(SendChunk, from + count - at);
                    await SendFileAsync(socket, file, at, step);
                    _metrics?.Sent(step);
                    at += step;
                }
            }
        }
        return keepAlive;
    }

    /// <summary>"bytes=a-" or "bytes=a-b": the only ranges gateways ask for.</summary>
    private static bool TryParseRange(string value, out long start, out long? last)
    {
        (start, last) = (0, null);
        if (!value.StartsWith("bytes=", StringComparison.Ordinal))
        {
            return false;
        }
        var bounds = value[6..].Split('-');
        if (bounds.Length != 2 || !long.TryParse(bounds[0], NumberStyles.None, CultureInfo.InvariantCulture, out start))
        {
            return false;
        }
        if (bounds[1].Length == 0)
        {
            return true;
        }
        if (!long.TryParse(bounds[1], NumberStyles.None, CultureInfo.InvariantCulture, out long end) || end < start)
        {
            return false;
        }
        last = end;
        return true;
    }

    private static async Task SendHeadAsync(Socket socket, StrongBox<int>? answered, int status, string reason, long contentLength, string? contentRange, bool close)
    {
        if (answered is not null)
        {
            answered.Value = status;
        }
        var head = new StringBuilder()
            .Append(CultureInfo.InvariantCulture, $"HTTP/1.1 {status} {reason}\r\n")
            .Append(CultureInfo.InvariantCulture, $"Content-Length: {contentLength}\r\n")
            .Append("Content-Type: application/octet-stream\r\n");
        if (contentRange is not null)
        {
            head.Append("Content-Range: ").Append(contentRange).Append("\r\n");
        }
        if (close)
        {
            head.Append("Connection: close\r\n");
        }
        head.Append("\r\n");
        byte[] bytes = Encoding.ASCII.GetBytes(head.ToString());
        using var timeout = new CancellationTokenSource(SendTimeout);
        await socket.SendAsync(bytes, SocketFlags.None, timeout.Token);
    }

    /// <summary>sendfile(2) of one range; a gateway that stops reading for the send timeout loses the connection.</summary>
    private static async Task SendFileAsync(Socket socket, FileStream file, long offset, int count)
    {
        using var args = new SocketAsyncEventArgs { SendPacketsElements = [new SendPacketsElement(file, offset, count, endOfPacket: false)] };
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        args.Completed += (_, e) => done.TrySetResult();
        if (!socket.SendPacketsAsync(args))
        {
            done.TrySetResult();
        }
        try
        {
            await done.Task.WaitAsync(SendTimeout);
        }
        catch (TimeoutException)
        {
            socket.Dispose(); // ends the pending send; the connection is over
            throw new IOException("the gateway stopped reading");
        }
        if (args.SocketError != SocketError.Success)
        {
            throw new SocketException((int)args.SocketError);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Dispose();
        await _accepting;
        _stop.Dispose();
    }

    [LoggerMessage(EventId = 5201, Level = LogLevel.Warning, Message = "Read port refused {Method} {Path}: {Reason}")]
    private static partial void LogRefused(ILogger logger, string method, string path, string reason);

    [LoggerMessage(EventId = 5202, Level = LogLevel.Warning, Message = "Read port connection failed: {Reason}")]
    private static partial void LogFailed(ILogger logger, string reason);
}
