using System.IO.Pipelines;
using Microsoft.AspNetCore.Http.Features;
using ObjStore.S3.Protocol;

namespace ObjStore.S3.Telemetry;

/// <summary>
/// What one S3 request did, gathered while it is served and read once at its end by the metrics and the access log:
/// one small object per request, the only allocation either of them costs.
/// </summary>
internal sealed class S3Exchange(string requestId, DateTimeOffset arrived, long startTimestamp)
{
    private long _received;
    private long _sent;

    public string RequestId { get; } = requestId;
    public DateTimeOffset Arrived { get; } = arrived;
    public long StartTimestamp { get; } = startTimestamp;

    /// <summary>Null until the request is routed (a malformed or unauthenticated one may never be).</summary>
    public S3Operation? Operation { get; set; }
    public string? Bucket { get; set; }
    public string? Key { get; set; }

    /// <summary>The user's name ("anonymous" unsigned) and the access key id that signed; never a secret.</summary>
    public string? User { get; set; }
    public string? AccessKey { get; set; }

    public int Status { get; set; }

    /// <summary>The S3 error code answered, if any.</summary>
    public string? ErrorCode { get; set; }

    /// <summary>Raw body bytes read from the client (before aws-chunked decoding, so what crossed the network).</summary>
    public long BytesReceived => Volatile.Read(ref _received);

    /// <summary>Body bytes handed to the server for the client (a cut connection may have lost the last of them).</summary>
    public long BytesSent => Volatile.Read(ref _sent);

    public void CountReceived(int bytes) => Interlocked.Add(ref _received, bytes);

    public void CountSent(long bytes) => Interlocked.Add(ref _sent, bytes);
}

/// <summary>
/// The server's response body with its stream counted: everything else (start, completion, sendfile) is the server's
/// own, so replacing it for a request changes nothing but the count. The handlers write through the stream only.
/// </summary>
internal sealed class CountingResponseBody(IHttpResponseBodyFeature inner, S3Exchange exchange) : IHttpResponseBodyFeature
{
    public IHttpResponseBodyFeature Inner => inner;
    public Stream Stream { get; } = new CountingResponseStream(inner.Stream, exchange);
    public PipeWriter Writer => inner.Writer;
    public void DisableBuffering() => inner.DisableBuffering();
    public Task StartAsync(CancellationToken cancellationToken = default) => inner.StartAsync(cancellationToken);
    public Task CompleteAsync() => inner.CompleteAsync();

    public async Task SendFileAsync(string path, long offset, long? count, CancellationToken cancellationToken = default)
    {
        await inner.SendFileAsync(path, offset, count, cancellationToken);
        exchange.CountSent(count ?? new FileInfo(path).Length - offset);
    }
}

/// <summary>The response body as the handlers write it, counting into the request's <see cref="S3Exchange"/>.</summary>
internal sealed class CountingResponseStream(Stream inner, S3Exchange exchange) : Stream
{
    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override void Write(byte[] buffer, int offset, int count)
    {
        inner.Write(buffer, offset, count);
        exchange.CountSent(count);
    }

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        inner.Write(buffer);
        exchange.CountSent(buffer.Length);
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        await inner.WriteAsync(buffer, cancellationToken);
        exchange.CountSent(buffer.Length);
    }

    public override void Flush() => inner.Flush();

    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}
