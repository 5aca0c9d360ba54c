using System.Security.Cryptography;
using ObjStore.Core;
using ObjStore.Payload;

namespace ObjStore.Objects;

/// <summary>
/// What a write does to its body before erasure coding: compress it (zstd frames), then encrypt it (AES-GCM packages
/// under a fresh data key), both, or neither. The shards only ever see the result, so scrub, heal, drain and rebuild
/// need no key.
/// </summary>
public sealed record PayloadPlan(CompressionRequest? Compression, DataKey? Key, EncryptionMode Mode)
{
    public static readonly PayloadPlan Plain = new(null, null, EncryptionMode.None);

    public bool IsPlain => Compression is null && Key is null;

    /// <summary>
    /// The most bytes a body of <paramref name="plainLength"/> can take once encoded: compression never grows it (a
    /// frame that does not shrink is stored raw), encryption adds a tag per package.
    /// </summary>
    public long MaxStoredLength(long plainLength) => Key is null ? plainLength : Packages.StoredLength(plainLength);

    /// <summary>The source of the shards' bytes: <paramref name="plaintext"/> compressed, then encrypted, as planned.</summary>
    public Stream Encode(Stream plaintext, out CompressingStream? compressor)
    {
        Stream stream = plaintext;
        compressor = null;
        if (Compression is { } compression)
        {
            stream = compressor = new CompressingStream(stream, compression.Level);
        }
        if (Key is { } key)
        {
            stream = new EncryptingStream(stream, key.Key, ReadOnlyMemory<byte>.Empty);
        }
        return stream;
    }

    /// <summary>
    /// The ETag of an encoded payload. SSE-S3 and plain objects keep the MD5 of their content; for SSE-KMS and SSE-C
    /// AWS's ETag is not the MD5 of the data (which would tell who knows the plaintext that they guessed right), so it
    /// is an HMAC of the MD5 under the data key, the same length and as stable.
    /// </summary>
    public string ETag(byte[] md5)
    {
        if (Mode is not (EncryptionMode.Kms or EncryptionMode.Customer) || Key is not { } key)
        {
            return Convert.ToHexStringLower(md5);
        }
        // A key of its own, derived from the data key: the data key itself only ever encrypts.
        Span<byte> etagKey = stackalloc byte[32];
        HKDF.DeriveKey(HashAlgorithmName.SHA256, key.Key.Span, etagKey, [], "objstore etag"u8);
        return Convert.ToHexStringLower(HMACSHA256.HashData(etagKey, md5).AsSpan(0, 16));
    }
}

/// <summary>
/// The plaintext end of an encoded write: counts and hashes the body as the encoders pull it, and refuses a body
/// longer than declared or than the size limit as soon as it is (the shards' bytes are no measure of the body's).
/// </summary>
internal sealed class PlaintextMeter(Stream body, ContentHasher hasher, long? declaredLength, long maxSize, Func<Exception> tooLarge) : ReadOnlyPayloadStream
{
    public long BytesRead { get; private set; }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        int read;
        try
        {
            read = await body.ReadAsync(buffer, cancellationToken);
        }
        catch (IOException e)
        {
            throw new ObjectStoreException(ErrorKind.IncompleteBody, "The request body ended early: " + e.Message, e);
        }
        BytesRead += read;
        if (BytesRead > maxSize)
        {
            throw tooLarge();
        }
        if (declaredLength is { } declared && BytesRead > declared)
        {
            throw new ObjectStoreException(ErrorKind.InvalidArgument, "The body is longer than its declared Content-Length.");
        }
        hasher.Append(buffer.Span[..read]);
        return read;
    }
}
