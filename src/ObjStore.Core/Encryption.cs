using System.Security.Cryptography;

namespace ObjStore.Core;

/// <summary>How an object is encrypted at rest. The numbers are stored (catalogue rows, shard footers): never renumber.</summary>
public enum EncryptionMode
{
    None = 0,

    /// <summary>SSE-S3 (<c>AES256</c>): a random data key per payload, sealed under the master key.</summary>
    S3 = 1,

    /// <summary>SSE-KMS (<c>aws:kms</c>): a random data key per payload, sealed under a named key of the key provider.</summary>
    Kms = 2,

    /// <summary>SSE-C: a random data key per payload, sealed under a key derived from the client's key, which is never stored.</summary>
    Customer = 3,
}

/// <summary>
/// An object's server-side encryption, fixed by its PUT (or its upload's creation) and the same for all its parts.
/// Each part's own data key, sealed, is in <see cref="PartEncoding.SealedKey"/>.
/// </summary>
public sealed record ObjectEncryption(EncryptionMode Mode)
{
    /// <summary>SSE-KMS: the key the data keys are sealed under (its id as the key provider names it).</summary>
    public string? KmsKeyId { get; init; }

    /// <summary>SSE-KMS: the encryption context (JSON object, as the client sent it base64-encoded), bound to every data key.</summary>
    public string? KmsContext { get; init; }

    /// <summary>SSE-KMS: the client asked for an S3 Bucket Key (answered back; every data key is local here anyway).</summary>
    public bool BucketKeyEnabled { get; init; }

    /// <summary>SSE-C: a salted HMAC of the client's key (<see cref="CustomerKey.Fingerprint()"/>), to recognise the key without storing it.</summary>
    public string? CustomerKeyFingerprint { get; init; }
}

/// <summary>
/// An SSE-C key as a client sent it: held for one request, never stored or written anywhere (ToString hides it).
/// </summary>
public sealed class CustomerKey
{
    public const int KeyBytes = 32;
    private const int SaltBytes = 16;

    private readonly byte[] _key;

    public CustomerKey(byte[] key)
    {
        if (key.Length != KeyBytes)
        {
            throw new ArgumentException($"An SSE-C key is {KeyBytes} bytes.", nameof(key));
        }
        _key = [.. key];
#pragma warning disable CA5351 // S3 names the key by its MD5 (x-amz-server-side-encryption-customer-key-MD5)
        KeyMd5 = Convert.ToBase64String(MD5.HashData(key));
#pragma warning restore CA5351
    }

    /// <summary>Base64 of the key's MD5, as <c>x-amz-server-side-encryption-customer-key-MD5</c> carries it.</summary>
    public string KeyMd5 { get; }

    public ReadOnlySpan<byte> Bytes => _key;

    /// <summary>A new fingerprint of this key: base64 of a random salt and HMAC-SHA256(key, salt).</summary>
    public string Fingerprint() => Fingerprint(RandomNumberGenerator.GetBytes(SaltBytes));

    /// <summary>True when <paramref name="fingerprint"/> was made from this key.</summary>
    public bool Matches(string fingerprint)
    {
        byte[] stored;
        try
        {
            stored = Convert.FromBase64String(fingerprint);
        }
        catch (FormatException)
        {
            return false;
        }
        if (stored.Length != SaltBytes + HMACSHA256.HashSizeInBytes)
        {
            return false;
        }
        var expected = Convert.FromBase64String(Fingerprint(stored[..SaltBytes]));
        return CryptographicOperations.FixedTimeEquals(expected, stored);
    }

    /// <summary>The random salt of a fingerprint (also the salt of the object's SSE-C sealing key).</summary>
    public static byte[] SaltOf(string fingerprint)
    {
        var bytes = Convert.FromBase64String(fingerprint);
        return bytes.Length == SaltBytes + HMACSHA256.HashSizeInBytes
            ? bytes[..SaltBytes]
            : throw new FormatException("Not a customer key fingerprint.");
    }

    private string Fingerprint(byte[] salt)
    {
        var result = new byte[SaltBytes + HMACSHA256.HashSizeInBytes];
        salt.CopyTo(result, 0);
        HMACSHA256.HashData(_key, salt, result.AsSpan(SaltBytes));
        return Convert.ToBase64String(result);
    }

    public override string ToString() => "CustomerKey(hidden)";
}

/// <summary>
/// How one payload (a single PUT's object, or one part) is transformed before erasure coding: compressed (zstd frames,
/// <see cref="Frames"/>), then encrypted (AES-GCM packages under the data key sealed in <see cref="SealedKey"/>).
/// Null on a part stored as sent.
/// </summary>
public sealed record PartEncoding(long StoredSize)
{
    /// <summary>The payload's data key, sealed (by the master key, a KMS key or the client's key, per the object's mode).</summary>
    public byte[]? SealedKey { get; init; }

    /// <summary>The frame index of a compressed payload (ObjStore.Payload's FrameIndex bytes); null when not compressed.</summary>
    public byte[]? Frames { get; init; }
}

/// <summary>A payload's data key: the key itself for this request, and its sealed form to store.</summary>
public sealed record DataKey(ReadOnlyMemory<byte> Key, byte[] Sealed)
{
    public override string ToString() => "DataKey(hidden)";
}

/// <summary>
/// Makes and opens data keys for the object layer (implemented by ObjStore.Kms over the master key, the key
/// provider and client keys). Errors are ObjectStoreExceptions with the S3 error a client should get.
/// </summary>
public interface IDataKeys
{
    /// <summary>
    /// The encryption a write asked for, completed: SSE-KMS names a key the provider has (its default when none was
    /// named; KmsKeyNotFound when it has no such key).
    /// </summary>
    Task<ObjectEncryption> ResolveAsync(ObjectEncryption requested, CancellationToken cancellationToken);

    /// <summary>A fresh random data key for one payload, sealed as <paramref name="encryption"/> says.</summary>
    Task<DataKey> CreateAsync(ObjectEncryption encryption, CustomerKey? customerKey, CancellationToken cancellationToken);

    /// <summary>The data key of a stored payload.</summary>
    Task<ReadOnlyMemory<byte>> OpenAsync(ObjectEncryption encryption, byte[] sealedKey, CustomerKey? customerKey, CancellationToken cancellationToken);
}

/// <summary>Zstandard compression a write asks for (decided by the bucket's compression settings).</summary>
public sealed record CompressionRequest(int Level);
