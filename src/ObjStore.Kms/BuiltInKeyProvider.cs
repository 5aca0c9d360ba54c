using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using ObjStore.Access.Secrets;
using ObjStore.Core;
using ObjStore.Metadata;

namespace ObjStore.Kms;

/// <summary>
/// The key provider built in: named 256-bit keys in the catalogue (kms_keys), each sealed under the master key and
/// bound to its id. A data key is sealed under a named key with the encryption context as associated data, so a data
/// key opens only with the key and the context it was sealed with. Opened keys are cached for the process's life
/// (their material never changes; a rotation re-seals it under a new master key).
/// </summary>
public sealed partial class BuiltInKeyProvider(IKeyCatalogue catalogue, MasterKeyRing master, TimeProvider clock) : IKeyProvider
{
    public const string BuiltInDefaultKeyId = "aws/s3";

    /// <summary>Ids under this prefix are the store's own, never a client's key.</summary>
    private const string ReservedPrefix = "objstore/";

    /// <summary>A key no data is sealed under, kept so a start with the wrong master key is refused before anything is written.</summary>
    private const string MasterKeyCheckId = ReservedPrefix + "master-key-check";

    private readonly ConcurrentDictionary<string, MasterKey> _open = new(StringComparer.Ordinal);

    public string DefaultKeyId => BuiltInDefaultKeyId;

    /// <summary>Key ids: letters, digits and / _ - . (aliases like aws/s3 included), at most 256 characters.</summary>
    private static bool IsValidKeyId(string keyId) => KeyIdPattern().IsMatch(keyId);

    /// <summary>Creates a named key; false when one with this id exists.</summary>
    public Task<bool> AddAsync(string keyId)
    {
        if (!IsValidKeyId(keyId) || keyId.StartsWith(ReservedPrefix, StringComparison.Ordinal))
        {
            throw new ArgumentException($"A key id is 1 to 256 letters, digits and / _ - . characters, not starting with {ReservedPrefix}.");
        }
        return CreateAsync(keyId);
    }

    /// <summary>The named keys clients can use.</summary>
    public async Task<IReadOnlyList<KmsKeyRecord>> ListAsync() =>
        [.. (await catalogue.ListKmsKeysAsync()).Where(k => !k.KeyId.StartsWith(ReservedPrefix, StringComparison.Ordinal))];

    /// <summary>
    /// Refuses to start with a master key that did not seal the catalogue's keys (a lost or replaced key file would
    /// otherwise leave every SSE-S3 and SSE-KMS object unreadable while new ones are sealed under a new key). The
    /// first start records the check.
    /// </summary>
    public async Task VerifyMasterKeyAsync()
    {
        var check = await catalogue.GetKmsKeyAsync(MasterKeyCheckId);
        if (check is null)
        {
            await CreateAsync(MasterKeyCheckId);
            return;
        }
        uint? by = MasterKey.SealedBy(check.Sealed);
        if (master.SealerOf(check.Sealed) is not { } sealer)
        {
            throw new MasterKeyMismatchException(
                $"The catalogue's keys are sealed under master key {by:x8}, which is not configured (the current master key is " +
                $"{master.Current.Id:x8}). Restore that key (ObjStore:MasterKeyFile, ObjStore:MasterKey or {MasterKeyRingNames.EnvironmentVariable}), " +
                "or list it in ObjStore:PreviousMasterKeys; no object was written.");
        }
        try
        {
            sealer.Unseal(check.Sealed, Binding(MasterKeyCheckId));
        }
        catch (CryptographicException e)
        {
            throw new MasterKeyMismatchException($"The catalogue's master key check does not open under master key {by:x8}: the catalogue or the key is damaged.", e);
        }
        if (sealer != master.Current)
        {
            // A rotation by configuration: the named keys are few, re-sealed now. The check follows them only once
            // no data key is left under the old key (the kms-rotate job moves those), so until then a start without
            // the old key is still refused.
            await ResealAsync(keepCheckUnder: await catalogue.AnyDataKeySealedByAsync(sealer.Id) ? sealer.Id : null);
        }
    }

    private async Task<bool> CreateAsync(string keyId)
    {
        var material = RandomNumberGenerator.GetBytes(MasterKey.KeyBytes);
        return await catalogue.AddKmsKeyAsync(new KmsKeyRecord(keyId, master.Current.Seal(material, Binding(keyId)), clock.GetUtcNow()));
    }

    public async Task<string?> ResolveAsync(string keyId, CancellationToken cancellationToken)
    {
        string id = IdOf(keyId);
        if (id.StartsWith(ReservedPrefix, StringComparison.Ordinal))
        {
            return null;
        }
        if (_open.ContainsKey(id))
        {
            return id;
        }
        if (await catalogue.GetKmsKeyAsync(id) is not null)
        {
            return id;
        }
        // The default key is made on first use, as AWS makes aws/s3.
        return id == DefaultKeyId && (await CreateAsync(id) || await catalogue.GetKmsKeyAsync(id) is not null) ? id : null;
    }

    public async Task<byte[]> EncryptAsync(string keyId, ReadOnlyMemory<byte> plaintext, ReadOnlyMemory<byte> context, CancellationToken cancellationToken) =>
        (await OpenAsync(keyId)).Seal(plaintext.Span, context.Span);

    public async Task<byte[]> DecryptAsync(string keyId, byte[] ciphertext, ReadOnlyMemory<byte> context, CancellationToken cancellationToken) =>
        (await OpenAsync(keyId)).Unseal(ciphertext, context.Span);

    /// <summary>
    /// Re-seals every named key sealed under a previous master key under the current one; returns how many.
    /// </summary>
    /// <param name="keepCheckUnder">Leave the master key check under this key (data keys still need it).</param>
    public async Task<int> ResealAsync(uint? keepCheckUnder = null)
    {
        int resealed = 0;
        foreach (var key in await catalogue.ListKmsKeysAsync())
        {
            if (key.KeyId == MasterKeyCheckId && MasterKey.SealedBy(key.Sealed) == keepCheckUnder)
            {
                continue;
            }
            if (master.ResealUnderCurrent(key.Sealed, Binding(key.KeyId)) is { } fresh && await catalogue.ResealKmsKeyAsync(key.KeyId, key.Sealed, fresh))
            {
                resealed++;
            }
        }
        return resealed;
    }

    private async Task<MasterKey> OpenAsync(string keyId)
    {
        if (_open.TryGetValue(keyId, out var open))
        {
            return open;
        }
        var record = await catalogue.GetKmsKeyAsync(keyId)
            ?? throw new ObjectStoreException(ErrorKind.KmsKeyNotFound, $"Invalid keyId {keyId}");
        if (master.SealerOf(record.Sealed) is not { } sealer)
        {
            throw new ObjectStoreException(ErrorKind.KeyUnavailable,
                $"KMS key {keyId} is sealed under master key {MasterKey.SealedBy(record.Sealed):x8}, which is not configured.");
        }
        return _open.GetOrAdd(keyId, new MasterKey(sealer.Unseal(record.Sealed, Binding(keyId))));
    }

    /// <summary>An ARN (arn:aws:kms:REGION:ACCOUNT:key/ID) names the key by its last part.</summary>
    private static string IdOf(string keyId) =>
        keyId.StartsWith("arn:", StringComparison.Ordinal) && keyId.IndexOf(":key/", StringComparison.Ordinal) is var at and >= 0
            ? keyId[(at + 5)..]
            : keyId;

    private static byte[] Binding(string keyId) => Encoding.UTF8.GetBytes("kms-key:" + keyId);

    [GeneratedRegex("^[A-Za-z0-9/_.-]{1,256}$")]
    private static partial Regex KeyIdPattern();
}

/// <summary>The store was started with a master key that did not seal its catalogue's keys: it refuses to serve.</summary>
public sealed class MasterKeyMismatchException(string message, Exception? inner = null) : InvalidOperationException(message, inner);
