using System.Net;
using System.Net.Http.Headers;
using ObjStore.Core;

namespace ObjStore.Storage.Remote;

/// <summary>
/// Reads forward through one ranged GET; a read elsewhere, or after a failure, starts a new one. The GET goes to
/// the node's read port when it has one (<see cref="ReadPortClient"/>), otherwise through HttpClient.
/// </summary>
internal sealed class RemoteShardReader(RemoteShardStore store, string shardId) : IShardReader
{
    private ReadPortResponse? _port;
    private HttpResponseMessage? _response;
    private Stream? _body;
    private long _position = -1;

    public async ValueTask<int> ReadAsync(long offset, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        if (_position != offset)
        {
            await ResetAsync();
            if (!await OpenAsync(offset, cancellationToken))
            {
                return 0;
            }
            _position = offset;
        }
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(store.Options.RequestTimeout);
        int total = 0;
        try
        {
            if (_port is not null)
            {
                total = await _port.ReadAsync(buffer, timeout.Token);
            }
            else
            {
                int n;
                while (total < buffer.Length && (n = await _body!.ReadAsync(buffer[total..], timeout.Token)) > 0)
                {
                    total += n;
                }
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            await ResetAsync();
            var error = new TimeoutException($"Storage node {store.Id} sent nothing for {store.Options.RequestTimeout} while reading {shardId}.");
            store.Failed(error);
            throw error;
        }
        catch
        {
            await ResetAsync(); // cancelled (a hedge won) or broken: the stream's position is unknown
            throw;
        }
        _position += total;
        return total;
    }

    /// <summary>Starts the GET at <paramref name="offset"/>; false when the shard ends before it.</summary>
    private async Task<bool> OpenAsync(long offset, CancellationToken cancellationToken)
    {
        string path = RemoteShardStore.ShardPath(shardId);
        int status;
        if (store.ReadPort is { } port)
        {
            _port = await store.CallAsync($"GET {path} on the read port", timed: true, track: true,
                token => port.GetAsync(path, offset, token), cancellationToken);
            status = _port.Status;
        }
        else
        {
            _response = await store.SendAsync(HttpMethod.Get, path,
                request => request.Headers.Range = new RangeHeaderValue(offset, null), cancellationToken);
            status = (int)_response.StatusCode;
        }
        if (status is (int)HttpStatusCode.NotFound or (int)HttpStatusCode.RequestedRangeNotSatisfiable)
        {
            await ResetAsync();
            return status == (int)HttpStatusCode.NotFound ? throw new ShardNotFoundException(shardId) : false;
        }
        if (status is < 200 or > 299)
        {
            await ResetAsync();
            store.Require(status, "shard GET");
        }
        if (_response is not null)
        {
            _body = await _response.Content.ReadAsStreamAsync(cancellationToken);
        }
        return true;
    }

    private async ValueTask ResetAsync()
    {
        _position = -1;
        if (_port is not null)
        {
            await _port.DisposeAsync();
            _port = null;
        }
        if (_body is not null)
        {
            await _body.DisposeAsync();
            _body = null;
        }
        _response?.Dispose();
        _response = null;
    }

    public ValueTask DisposeAsync() => ResetAsync();
}
