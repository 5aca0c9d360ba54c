using System.Buffers.Binary;
using System.Security.Cryptography;

namespace ObjStore.Access.Secrets;

/// <summary>
/// The key secrets are sealed under at rest (AES-256-GCM). A sealed blob is
/// <c>[1: format 1][4: key id][12: nonce][16: tag][ciphertext]</c>; the key id (the first four bytes of the key's
/// SHA-256) says which key sealed it, so blobs sealed under a previous key are found and re-sealed after a rotation.
/// The associated data (an access key id) binds a blob to its row: a secret moved to another key's row fails to open.
/// </summary>
public sealed class MasterKey
{
    public const int KeyBytes = 32;
    private const byte Format = 1;
    private const int HeaderBytes = 1 + 4 + 12 + 16;

    private readonly byte[] _key;

    public MasterKey(byte[] key)
    {
        if (key.Length != KeyBytes)
        {
            throw new ArgumentException($"A master key is {KeyBytes} bytes (base64 of 32 random bytes).");
        }
        _key = [.. key];
        Id = BinaryPrimitives.ReadUInt32BigEndian(SHA256.HashData(key));
    }

    /// <summary>Which key this is, as recorded in what it seals.</summary>
    public uint Id { get; }

    public static MasterKey Generate() => new(RandomNumberGenerator.GetBytes(KeyBytes));

    public byte[] Seal(ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> associatedData)
    {
        var blob = new byte[HeaderBytes + plaintext.Length];
        blob[0] = Format;
        BinaryPrimitives.WriteUInt32BigEndian(blob.AsSpan(1, 4), Id);
        var nonce = blob.AsSpan(5, 12);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(_key, 16);
        aes.Encrypt(nonce, plaintext, blob.AsSpan(HeaderBytes), blob.AsSpan(17, 16), associatedData);
        return blob;
    }

    /// <summary>The id of the key that sealed <paramref name="blob"/>; null when it is not a sealed blob.</summary>
    public static uint? SealedBy(ReadOnlySpan<byte> blob) =>
        blob.Length >= HeaderBytes && blob[0] == Format ? BinaryPrimitives.ReadUInt32BigEndian(blob.Slice(1, 4)) : null;

    /// <exception cref="CryptographicException">Not sealed by this key, or tampered with.</exception>
    public byte[] Unseal(ReadOnlySpan<byte> blob, ReadOnlySpan<byte> associatedData)
    {
        if (SealedBy(blob) != Id)
        {
            throw new CryptographicException("The secret was not sealed by this master key.");
        }
        var plaintext = new byte[blob.Length - HeaderBytes];
        using var aes = new AesGcm(_key, 16);
        aes.Decrypt(blob.Slice(5, 12), blob[HeaderBytes..], blob.Slice(17, 16), plaintext, associatedData);
        return plaintext;
    }
}
