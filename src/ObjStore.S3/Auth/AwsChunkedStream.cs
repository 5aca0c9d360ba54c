using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace ObjStore.S3.Auth;

/// <summary>
/// Decodes an aws-chunked body (<c>hex-size[;chunk-signature=sig]\r\n data \r\n ... 0...\r\n [trailers] \r\n</c>) into
/// the object bytes, verifying each chunk's signature (chained from the seed signature) and the trailer signature
/// when the payload is signed. Trailing headers (a flexible checksum) are available once the stream has ended.
/// Any framing error or bad signature throws <see cref="S3Exception"/>; the PUT then commits nothing.
/// </summary>
public sealed class AwsChunkedStream : ReadOnlyBodyStream
{
    private const int MaxLineLength = 4096;
    private readonly Stream _inner;
    private readonly AuthContext? _auth;
    private readonly bool _expectTrailers;
    private readonly byte[] _buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
    private readonly IncrementalHash _chunkHash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly Dictionary<string, string> _trailers = new(StringComparer.OrdinalIgnoreCase);
    private int _start;
    private int _end;
    private long _remaining;
    private string? _chunkSignature;
    private string _previousSignature;
    private State _state = State.Header;
    private bool _disposed;

    /// <param name="auth">The request's signature context when chunks are signed; null for unsigned chunks.</param>
    public AwsChunkedStream(Stream inner, AuthContext? auth, bool expectTrailers)
    {
        _inner = inner;
        _auth = auth;
        _expectTrailers = expectTrailers;
        _previousSignature = auth?.Signature ?? "";
    }

    private enum State
    {
        Header,
        Data,
        Done,
    }

    public IReadOnlyDictionary<string, string> Trailers => _trailers;

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (true)
        {
            switch (_state)
            {
                case State.Done:
                    return 0;
                case State.Header:
                    await ReadChunkHeaderAsync(cancellationToken);
                    continue;
                case State.Data when _remaining == 0:
                    await ExpectCrlfAsync(cancellationToken);
                    VerifyChunk();
                    _state = State.Header;
                    continue;
                case State.Data when buffer.Length == 0:
                    return 0;
                default:
                    int want = (int)Math.Min(buffer.Length, _remaining);
                    int n;
                    if (_end > _start)
                    {
                        n = Math.Min(want, _end - _start);
                        _buffer.AsSpan(_start, n).CopyTo(buffer.Span);
                        _start += n;
                    }
                    else
                    {
                        n = await _inner.ReadAsync(buffer[..want], cancellationToken);
                        if (n == 0)
                        {
                            throw new S3Exception(S3Error.IncompleteBody, "The aws-chunked body ended inside a chunk.");
                        }
                    }
                    if (_auth is not null)
                    {
                        _chunkHash.AppendData(buffer.Span[..n]);
                    }
                    _remaining -= n;
                    return n;
            }
        }
    }

    private async Task ReadChunkHeaderAsync(CancellationToken cancellationToken)
    {
        string line = await ReadLineAsync(cancellationToken);
        int semicolon = line.IndexOf(';');
        string sizeText = semicolon < 0 ? line : line[..semicolon];
        if (!long.TryParse(sizeText, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out long size) || size < 0 || sizeText.Length > 16)
        {
            throw new S3Exception(S3Error.InvalidChunkSizeError, $"Invalid aws-chunked chunk size '{Truncate(line)}'.");
        }
        _chunkSignature = null;
        if (semicolon >= 0)
        {
            const string marker = "chunk-signature=";
            string extension = line[(semicolon + 1)..];
            if (!extension.StartsWith(marker, StringComparison.Ordinal))
            {
                throw new S3Exception(S3Error.InvalidChunkSizeError, "Unknown aws-chunked chunk extension.");
            }
            _chunkSignature = extension[marker.Length..];
        }
        if (_auth is not null && _chunkSignature is null)
        {
            throw new S3Exception(S3Error.SignatureDoesNotMatch, "A signed aws-chunked chunk has no chunk-signature.");
        }
        if (size > 0)
        {
            _remaining = size;
            _state = State.Data;
            return;
        }
        VerifyChunk(); // the final, empty chunk is signed too
        if (_expectTrailers)
        {
            await ReadTrailersAsync(cancellationToken);
        }
        _state = State.Done;
    }

    private void VerifyChunk()
    {
        if (_auth is null)
        {
            return;
        }
        string hash = Convert.ToHexStringLower(_chunkHash.GetHashAndReset());
        string expected = SigV4.Sign(_auth.SigningKey, SigV4.ChunkStringToSign(_auth.AmzDate, _auth.Scope, _previousSignature, hash));
        if (!CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(_chunkSignature ?? "")))
        {
            throw new S3Exception(S3Error.SignatureDoesNotMatch, "An aws-chunked chunk signature does not match.");
        }
        _previousSignature = expected;
    }

    private async Task ReadTrailersAsync(CancellationToken cancellationToken)
    {
        var canonical = new StringBuilder();
        string? trailerSignature = null;
        while (true)
        {
            string line = await ReadLineAsync(cancellationToken);
            if (line.Length == 0)
            {
                if (_trailers.Count == 0 && trailerSignature is null)
                {
                    continue; // the CRLF that ends the empty chunk's data, sent by some clients
                }
                break;
            }
            int colon = line.IndexOf(':');
            if (colon <= 0)
            {
                throw new S3Exception(S3Error.MalformedTrailerError, "The request contained trailing data that was not well-formed.");
            }
            string name = line[..colon].Trim().ToLowerInvariant();
            string value = line[(colon + 1)..].Trim();
            if (name == "x-amz-trailer-signature")
            {
                trailerSignature = value;
                if (_auth is null)
                {
                    continue;
                }
                break; // the signature is the last trailer; the closing CRLF may follow, nothing we need
            }
            _trailers[name] = value;
            canonical.Append(name).Append(':').Append(value).Append('\n');
        }
        if (_auth is not null)
        {
            string expected = SigV4.Sign(_auth.SigningKey, SigV4.TrailerStringToSign(_auth.AmzDate, _auth.Scope, _previousSignature, canonical.ToString()));
            if (trailerSignature is null
                || !CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(trailerSignature)))
            {
                throw new S3Exception(S3Error.SignatureDoesNotMatch, "The trailer signature does not match.");
            }
        }
    }

    private async Task ExpectCrlfAsync(CancellationToken cancellationToken)
    {
        if (await ReadLineAsync(cancellationToken) is { Length: > 0 })
        {
            throw new S3Exception(S3Error.InvalidChunkSizeError, "A chunk is longer than its declared size.");
        }
    }

    /// <summary>One CRLF-terminated line (bounded), without its terminator.</summary>
    private async Task<string> ReadLineAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            int newline = Array.IndexOf(_buffer, (byte)'\n', _start, _end - _start);
            if (newline >= 0)
            {
                int lineEnd = newline > _start && _buffer[newline - 1] == '\r' ? newline - 1 : newline;
                string line = Encoding.ASCII.GetString(_buffer, _start, lineEnd - _start);
                _start = newline + 1;
                return line;
            }
            if (_end - _start > MaxLineLength)
            {
                throw new S3Exception(S3Error.InvalidChunkSizeError, "An aws-chunked line is too long.");
            }
            if (_start > 0)
            {
                Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
                _end -= _start;
                _start = 0;
            }
            int n = await _inner.ReadAsync(_buffer.AsMemory(_end, Math.Min(_buffer.Length - _end, MaxLineLength + 2)), cancellationToken);
            if (n == 0)
            {
                throw new S3Exception(S3Error.IncompleteBody, "The aws-chunked body ended early.");
            }
            _end += n;
        }
    }

    private static string Truncate(string s) => s.Length > 40 ? s[..40] + "..." : s;

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_disposed)
        {
            _disposed = true;
            ArrayPool<byte>.Shared.Return(_buffer);
            _chunkHash.Dispose();
        }
        base.Dispose(disposing);
    }
}
