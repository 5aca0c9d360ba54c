using System.Buffers;
using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using ObjStore.Core;

namespace ObjStore.Storage.Remote;

/// <summary>
/// The gateway's side of a node's read port (<c>ShardReadServer</c>): signed <c>GET /shards/{id}</c> with a range, over
/// pooled keep-alive sockets, the body received straight into the caller's block buffer. HttpClient can do the same
/// request, but it wakes up for every piece loopback TCP delivers (often 64 KiB or less); here SO_RCVLOWAT tells the
/// kernel to wake a waiting reader only once a MiB of body (or all that is left) has arrived, so a 256 KiB block and
/// usually the next ones cost one wake-up instead of several, and the gateway's CPU goes to copying rather than
/// scheduling.
/// </summary>
internal sealed class ReadPortClient(string host, int port, byte[] key, TimeProvider clock, string target) : IDisposable
{
    /// <summary>Idle sockets older than this are closed rather than reused (the node closes them after two minutes).</summary>
    private static readonly TimeSpan MaxIdle = TimeSpan.FromSeconds(60);

    private const int MaxPooled = 64;
    private readonly ConcurrentStack<(Socket Socket, long IdleSince)> _idle = new();
    private bool _disposed;
    private int _connections;

    public string Host { get; } = host;
    public int Port { get; } = port;

    /// <summary>Connections opened so far (the rest of the requests reused one).</summary>
    public int Connections => _connections;

    /// <summary>
    /// Sends a signed GET of the shard from <paramref name="offset"/> to its end and returns once the response head is
    /// read. A pooled socket the node has closed meanwhile is replaced by a new connection, once, and the request
    /// signed afresh (the node may have seen the first nonce before it closed).
    /// </summary>
    public async Task<ReadPortResponse> GetAsync(string path, long offset, CancellationToken cancellationToken)
    {
        while (true)
        {
            byte[] bytes = SignedRequest(path, offset);
            var (socket, reused) = await RentAsync(cancellationToken);
            try
            {
                await socket.SendAsync(bytes, SocketFlags.None, cancellationToken);
                return await ReadPortResponse.ReadHeadAsync(this, socket, cancellationToken);
            }
            catch (Exception e) when (e is SocketException or IOException)
            {
                socket.Dispose();
                if (!(reused && e is SocketException or ReadPortResponse.ClosedBeforeResponseException))
                {
                    throw e as IOException ?? new IOException(e.Message, e);
                }
                // The node had closed this idle connection: the request goes on a fresh one.
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }
    }

    /// <summary>The target of the signatures (the node's id).</summary>
    public string Target { get; } = target;

    private byte[] SignedRequest(string path, long offset)
    {
        long now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        string nonce = NonceSource.Shared.Next();
        string signature = NodeAuth.Signature(key, "GET", path, now, Target, nonce, NodeAuth.EmptyBody);
        // Inside a trace, the node's span of this read joins it (W3C traceparent, as on the main port).
        string traceParent = System.Diagnostics.Activity.Current is { Recorded: true } current && current.Source == Tracing.Source
            ? $"{Tracing.TraceParentHeader}: {Tracing.TraceParent(current)}\r\n"
            : "";
        return Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture,
            $"GET {path} HTTP/1.1\r\nHost: {Host}:{Port}\r\nRange: bytes={offset}-\r\n{traceParent}"
            + $"{NodeAuth.DateHeader}: {now}\r\n{NodeAuth.NonceHeader}: {nonce}\r\n{NodeAuth.SignatureHeader}: {signature}\r\n\r\n"));
    }

    private async Task<(Socket Socket, bool Reused)> RentAsync(CancellationToken cancellationToken)
    {
        long now = clock.GetTimestamp();
        while (_idle.TryPop(out var idle))
        {
            if (clock.GetElapsedTime(idle.IdleSince, now) < MaxIdle)
            {
                return (idle.Socket, true);
            }
            idle.Socket.Dispose();
        }
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(new DnsEndPoint(Host, Port), cancellationToken);
            Interlocked.Increment(ref _connections);
        }
        catch (SocketException e)
        {
            // Nothing listens (the node is down or restarting): the whole store is unreachable, as when the main
            // port refuses a connection, not this shard.
            socket.Dispose();
            throw new StoreUnavailableException($"Cannot connect to the read port {Host}:{Port}: {e.Message}", e);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        return (socket, false);
    }

    internal void Return(Socket socket)
    {
        if (_disposed || _idle.Count >= MaxPooled)
        {
            socket.Dispose();
            return;
        }
        _idle.Push((socket, clock.GetTimestamp()));
    }

    public void Dispose()
    {
        _disposed = true;
        while (_idle.TryPop(out var idle))
        {
            idle.Socket.Dispose();
        }
    }
}

/// <summary>One response of the read port: its status, and its body read forward into the caller's buffers.</summary>
internal sealed class ReadPortResponse : IAsyncDisposable
{
    private const int MaxHeadBytes = 4 << 10;

    /// <summary>A remainder this small is read and dropped so the connection can be reused (a shard's footer).</summary>
    private const int MaxDrainBytes = 64 << 10;

    /// <summary>SO_RCVLOWAT (Linux): the kernel caps the mark at half of tcp_rmem's maximum, so no read can stall on it.</summary>
    private const int SolSocket = 1, SoRcvLowat = 18;

    /// <summary>
    /// How much body the kernel gathers before it wakes a waiting read (less when the body has less left): a read of
    /// a 256 KiB block then usually finds the next ones already there, and blocks that arrive while the gateway is
    /// busy with the previous stripe wake nobody. Arrival never stalls on it: the kernel wakes the reader early when
    /// the receive window fills.
    /// </summary>
    private const int LowWater = 1 << 20;

    private readonly ReadPortClient _owner;
    private readonly Socket _socket;
    private readonly byte[] _head;
    private readonly int _headEnd;
    private int _headAt;
    private long _remaining;
    private readonly bool _keepAlive;
    private int _lowWater = 1;
    private bool _broken;

    private ReadPortResponse(ReadPortClient owner, Socket socket, byte[] head, int bodyAt, int filled, int status, long contentLength, bool keepAlive)
    {
        _owner = owner;
        _socket = socket;
        _head = head;
        (_headAt, _headEnd) = (bodyAt, filled);
        Status = status;
        _remaining = contentLength;
        _keepAlive = keepAlive;
    }

    public int Status { get; }

    /// <summary>The connection closed before any byte of a response: a reused socket the node had already closed.</summary>
    public sealed class ClosedBeforeResponseException() : IOException("The storage node closed the connection before answering.");

    internal static async Task<ReadPortResponse> ReadHeadAsync(ReadPortClient owner, Socket socket, CancellationToken cancellationToken)
    {
        var buffer = new byte[MaxHeadBytes];
        int filled = 0, end;
        while ((end = buffer.AsSpan(0, filled).IndexOf("\r\n\r\n"u8)) < 0)
        {
            if (filled == buffer.Length)
            {
                throw new IOException("The storage node's response head is too large.");
            }
            int n = await socket.ReceiveAsync(buffer.AsMemory(filled), SocketFlags.None, cancellationToken);
            if (n == 0)
            {
                throw filled == 0 ? new ClosedBeforeResponseException() : new IOException("The storage node closed the connection mid-response.");
            }
            filled += n;
        }
        var lines = Encoding.Latin1.GetString(buffer, 0, end).Split("\r\n");
        var statusLine = lines[0].Split(' ', 3);
        if (statusLine.Length < 2 || !statusLine[0].StartsWith("HTTP/1.", StringComparison.Ordinal)
            || !int.TryParse(statusLine[1], NumberStyles.None, CultureInfo.InvariantCulture, out int status))
        {
            throw new IOException($"The storage node sent a malformed status line '{lines[0]}'.");
        }
        long? contentLength = null;
        bool keepAlive = true;
        foreach (var line in lines.AsSpan(1))
        {
            int colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                throw new IOException("The storage node sent a malformed header.");
            }
            var name = line.AsSpan(0, colon).Trim();
            var value = line.AsSpan(colon + 1).Trim();
            if (name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
            {
                contentLength = long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out long length)
                    ? length
                    : throw new IOException("The storage node sent a malformed Content-Length.");
            }
            else if (name.Equals("Connection", StringComparison.OrdinalIgnoreCase) && value.Equals("close", StringComparison.OrdinalIgnoreCase))
            {
                keepAlive = false;
            }
        }
        return new ReadPortResponse(owner, socket, buffer, end + 4, filled, status,
            contentLength ?? throw new IOException("The storage node's response has no Content-Length."), keepAlive);
    }

    /// <summary>
    /// Fills <paramref name="buffer"/> from the body, or as much of it as the body has left; a connection that ends
    /// before the body does is an <see cref="IOException"/>.
    /// </summary>
    public async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        int wanted = (int)Math.Min(buffer.Length, _remaining);
        int total = Math.Min(wanted, _headEnd - _headAt);
        _head.AsSpan(_headAt, total).CopyTo(buffer.Span);
        _headAt += total;
        try
        {
            while (total < wanted)
            {
                SetLowWater((int)Math.Min(_remaining - total, Math.Max(wanted - total, LowWater)));
                int n = await _socket.ReceiveAsync(buffer[total..wanted], SocketFlags.None, cancellationToken);
                if (n == 0)
                {
                    throw new IOException("The storage node closed the connection mid-body.");
                }
                total += n;
            }
        }
        catch (Exception e)
        {
            _broken = true; // timed out, cancelled or cut: the connection's position in the body is unknown
            if (e is SocketException)
            {
                throw new IOException(e.Message, e);
            }
            throw;
        }
        _remaining -= total;
        return total;
    }

    private void SetLowWater(int bytes)
    {
        if (bytes != _lowWater && OperatingSystem.IsLinux())
        {
            _socket.SetRawSocketOption(SolSocket, SoRcvLowat, BitConverter.GetBytes(bytes));
            _lowWater = bytes;
        }
    }

    /// <summary>Keeps the connection when the body was read (or little of it is left), closes it otherwise.</summary>
    public async ValueTask DisposeAsync()
    {
        bool reusable = _keepAlive && !_broken && _remaining <= MaxDrainBytes;
        if (reusable && _remaining > 0)
        {
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(1));
                var scratch = ArrayPool<byte>.Shared.Rent((int)_remaining);
                try
                {
                    await ReadAsync(scratch.AsMemory(0, (int)_remaining), timeout.Token);
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(scratch);
                }
            }
            catch (Exception e) when (e is IOException or OperationCanceledException)
            {
                reusable = false;
            }
        }
        if (reusable)
        {
            SetLowWater(1);
            _owner.Return(_socket);
        }
        else
        {
            _socket.Dispose();
        }
    }
}
