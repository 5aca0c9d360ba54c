namespace ObjStore.S3.Auth;

/// <summary>
/// The client's request body as the server reads it, where a failed read becomes S3's IncompleteBody: the connection
/// reset or cut, Kestrel refusing the body (BadHttpRequestException is an IOException), or the read cancelled because
/// the request was aborted. Only failures from here are the client's; the same exception from anywhere else is the
/// server's (500).
/// </summary>
internal sealed class ClientBodyStream(Stream inner, CancellationToken requestAborted, Telemetry.S3Exchange? exchange = null) : ReadOnlyBodyStream
{
    public const string AbortedMessage = "The request was cancelled.";

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        try
        {
            int read = await inner.ReadAsync(buffer, cancellationToken);
            exchange?.CountReceived(read);
            return read;
        }
        catch (IOException e)
        {
            // The object layer words a body it could not read to the end this way too.
            throw new S3Exception(S3Error.IncompleteBody, "The request body ended early: " + e.Message, e);
        }
        catch (OperationCanceledException e) when (requestAborted.IsCancellationRequested)
        {
            throw new S3Exception(S3Error.IncompleteBody, AbortedMessage, e);
        }
    }
}
