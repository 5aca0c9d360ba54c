namespace ObjStore.Kms;

/// <summary>
/// A key management service as SSE-KMS needs one: named keys that never leave it, which encrypt and decrypt small
/// secrets (data keys) bound to an encryption context. <see cref="BuiltInKeyProvider"/> keeps its keys in the
/// catalogue; a real KMS plugs in here (Vault transit: encrypt/decrypt with <c>context</c>; a cloud KMS:
/// Encrypt/Decrypt with EncryptionContext), see docs/encryption.md.
/// </summary>
public interface IKeyProvider
{
    /// <summary>The key SSE-KMS uses when neither the request nor the bucket names one (AWS's is aws/s3).</summary>
    string DefaultKeyId { get; }

    /// <summary>The provider's id of a key a client named (an id, or an ARN ending in key/ID); null when it has no such key.</summary>
    Task<string?> ResolveAsync(string keyId, CancellationToken cancellationToken);

    Task<byte[]> EncryptAsync(string keyId, ReadOnlyMemory<byte> plaintext, ReadOnlyMemory<byte> context, CancellationToken cancellationToken);

    /// <exception cref="System.Security.Cryptography.CryptographicException">Not sealed by this key with this context.</exception>
    Task<byte[]> DecryptAsync(string keyId, byte[] ciphertext, ReadOnlyMemory<byte> context, CancellationToken cancellationToken);
}
