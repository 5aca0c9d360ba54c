using System.Buffers;
using System.IO.Pipelines;
using System.Net.Http.Headers;
using ObjStore.Core;

namespace ObjStore.Storage.Remote;

/// <summary>
/// One shard PUT, fed through a pipe; the node commits (fsync, rename) when the body ends and answers then. The
/// body ends with a MAC of everything before it (<see cref="NodeAuth.BodyMac"/>, keyed by the request's nonce),
/// computed as bytes go into the pipe: the node commits only a body whose MAC matches.
/// </summary>
internal sealed class RemoteShardWriter : IShardWriter
{
    private readonly RemoteShardStore _store;
    private readonly Pipe _pipe = new(new PipeOptions(pauseWriterThreshold: 4 << 20, resumeWriterThreshold: 2 << 20, minimumSegmentSize: 128 << 10, useSynchronizationContext: false));
    private readonly CancellationTokenSource _abort = new();
    private readonly Task<HttpResponseMessage> _response;
    private readonly BodyMac _mac;
    private bool _committed;

    public RemoteShardWriter(RemoteShardStore store, string shardId)
    {
        _store = store;
        Nonce = NonceSource.Shared.Next();
        _mac = NodeAuth.BodyMac(store.Key, Nonce);
        _response = Task.Run(() => store.SendAsync(HttpMethod.Put, RemoteShardStore.ShardPath(shardId), request =>
        {
            request.Content = new StreamContent(_pipe.Reader.AsStream());
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        }, _abort.Token, nonce: Nonce));
    }

    /// <summary>The nonce the PUT is signed with (and its body MAC keyed by).</summary>
    public string Nonce { get; }

    /// <summary>Copies into the pipe; flushes (sends, and waits if the node is behind) once 1 MiB is pending.</summary>
    public async Task WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        _mac.Append(data.Span);
        await WriteRawAsync(data, cancellationToken);
    }

    private async Task WriteRawAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        if (_response.IsCompleted)
        {
            // The node answered (or failed) before the body ended: nothing more will be read.
            await FailedResponseAsync();
        }
        _pipe.Writer.Write(data.Span);
        if (_pipe.Writer.UnflushedBytes >= FlushThreshold)
        {
            await FlushAsync(cancellationToken);
        }
    }

    private const int FlushThreshold = 1 << 20;

    private async Task FlushAsync(CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_store.Options.RequestTimeout);
        try
        {
            var result = await _pipe.Writer.FlushAsync(timeout.Token);
            if (result.IsCompleted)
            {
                await FailedResponseAsync();
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            var error = new TimeoutException($"Storage node {_store.Id} stopped reading a shard for {_store.Options.RequestTimeout}.");
            _store.Failed(error);
            throw error;
        }
    }

    public async Task CommitAsync(ReadOnlyMemory<byte> footer, CancellationToken cancellationToken)
    {
        await WriteAsync(footer, cancellationToken);
        var trailer = new byte[NodeAuth.BodyMacSize];
        _mac.Finish(trailer);
        await WriteRawAsync(trailer, cancellationToken);
        await FlushAsync(cancellationToken);
        await _pipe.Writer.CompleteAsync();
        HttpResponseMessage response;
        try
        {
            response = await _response.WaitAsync(_store.Options.RequestTimeout, cancellationToken);
        }
        catch (TimeoutException e)
        {
            _store.Failed(e);
            throw;
        }
        using (response)
        {
            _store.Require(response, "shard PUT");
        }
        _committed = true;
    }

    private async Task FailedResponseAsync()
    {
        using var response = await _response;
        _store.Require(response, "shard PUT");
        throw new IOException($"Storage node {_store.Id} ended a shard PUT early.");
    }

    public async ValueTask DisposeAsync()
    {
        if (!_committed)
        {
            // Fail the body: the node sees an incomplete request and discards its temporary file.
            await _pipe.Writer.CompleteAsync(new OperationCanceledException("shard write abandoned"));
            await _abort.CancelAsync();
            try
            {
                (await _response).Dispose();
            }
            catch (Exception e) when (e is IOException or TimeoutException or OperationCanceledException)
            {
            }
        }
        _abort.Dispose();
        _mac.Dispose();
    }
}
