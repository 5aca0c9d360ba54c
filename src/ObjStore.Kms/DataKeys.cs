using System.Security.Cryptography;
using System.Text;
using ObjStore.Access.Secrets;
using ObjStore.Core;

namespace ObjStore.Kms;

/// <summary>
/// Data keys: every payload (object or part) gets its own random AES-256 key, stored only sealed (AES-256-GCM):
/// <list type="bullet">
/// <item>SSE-S3 under the master key;</item>
/// <item>SSE-KMS under the named key, by the key provider, with the encryption context bound to it;</item>
/// <item>SSE-C under a key derived from the client's key (HKDF-SHA256), which is never stored: the object keeps a
/// salted HMAC of it (<see cref="CustomerKey.Fingerprint()"/>) to tell a wrong key from damage.</item>
/// </list>
/// </summary>
public sealed class DataKeys(MasterKeyRing master, IKeyProvider provider) : IDataKeys
{
    private static readonly byte[] SseS3Binding = "objstore sse-s3 data key"u8.ToArray();
    private static readonly byte[] SseCBinding = "objstore sse-c data key"u8.ToArray();

    public IKeyProvider Provider => provider;

    public async Task<ObjectEncryption> ResolveAsync(ObjectEncryption requested, CancellationToken cancellationToken)
    {
        if (requested.Mode != EncryptionMode.Kms)
        {
            return requested;
        }
        string named = requested.KmsKeyId ?? provider.DefaultKeyId;
        string id = await provider.ResolveAsync(named, cancellationToken)
            ?? throw new ObjectStoreException(ErrorKind.KmsKeyNotFound, $"Invalid keyId {named}");
        return requested with { KmsKeyId = id };
    }

    public async Task<DataKey> CreateAsync(ObjectEncryption encryption, CustomerKey? customerKey, CancellationToken cancellationToken)
    {
        var key = RandomNumberGenerator.GetBytes(32);
        byte[] sealedKey = encryption.Mode switch
        {
            EncryptionMode.S3 => master.Current.Seal(key, SseS3Binding),
            EncryptionMode.Kms => await provider.EncryptAsync(encryption.KmsKeyId!, key, Context(encryption), cancellationToken),
            EncryptionMode.Customer => CustomerSealer(customerKey, encryption).Seal(key, SseCBinding),
            _ => throw new ArgumentOutOfRangeException(nameof(encryption), encryption.Mode, "No data key for an unencrypted payload."),
        };
        return new DataKey(key, sealedKey);
    }

    public async Task<ReadOnlyMemory<byte>> OpenAsync(ObjectEncryption encryption, byte[] sealedKey, CustomerKey? customerKey, CancellationToken cancellationToken)
    {
        try
        {
            switch (encryption.Mode)
            {
                case EncryptionMode.S3:
                    return master.SealerOf(sealedKey) is { } sealer
                        ? sealer.Unseal(sealedKey, SseS3Binding)
                        : throw new ObjectStoreException(ErrorKind.KeyUnavailable,
                            $"The object's data key is sealed under master key {MasterKey.SealedBy(sealedKey):x8}, which is not configured (ObjStore:MasterKey, ObjStore:PreviousMasterKeys).");
                case EncryptionMode.Kms:
                    return await provider.DecryptAsync(encryption.KmsKeyId!, sealedKey, Context(encryption), cancellationToken);
                case EncryptionMode.Customer:
                    if (customerKey is null || encryption.CustomerKeyFingerprint is null || !customerKey.Matches(encryption.CustomerKeyFingerprint))
                    {
                        throw new ObjectStoreException(ErrorKind.AccessDenied, "Access Denied");
                    }
                    return CustomerSealer(customerKey, encryption).Unseal(sealedKey, SseCBinding);
                default:
                    throw new ArgumentOutOfRangeException(nameof(encryption), encryption.Mode, "An unencrypted payload has no data key.");
            }
        }
        catch (CryptographicException e)
        {
            // The right key (the fingerprint matched, the master key is the one named) and still no key: damage.
            throw new InvalidDataException("The object's sealed data key does not open: it is damaged.", e);
        }
    }

    /// <summary>Opens a data key sealed under a previous master key and seals it under the current one; null when it need not or cannot be.</summary>
    public byte[]? ResealUnderCurrent(byte[] sealedKey) => master.ResealUnderCurrent(sealedKey, SseS3Binding);

    /// <summary>
    /// The key an SSE-C payload's data key is sealed under: HKDF of the client's key, salted with the object's (or
    /// upload's) fingerprint salt, so two objects under one client key share no sealing key (nor its id in the blob).
    /// </summary>
    private static MasterKey CustomerSealer(CustomerKey? customerKey, ObjectEncryption encryption)
    {
        ArgumentNullException.ThrowIfNull(customerKey);
        byte[] salt = CustomerKey.SaltOf(encryption.CustomerKeyFingerprint
            ?? throw new InvalidDataException("An SSE-C object without a key fingerprint."));
        byte[] ikm = customerKey.Bytes.ToArray();
        try
        {
            return new MasterKey(HKDF.DeriveKey(HashAlgorithmName.SHA256, ikm, 32, salt, SseCBinding));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(ikm);
        }
    }

    private static byte[] Context(ObjectEncryption encryption) => Encoding.UTF8.GetBytes(encryption.KmsContext ?? "");
}
