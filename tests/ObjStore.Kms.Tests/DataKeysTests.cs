using System.Security.Cryptography;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Time.Testing;
using ObjStore.Access.Secrets;
using ObjStore.Core;
using ObjStore.Metadata.Sqlite;

namespace ObjStore.Kms.Tests;

/// <summary>Data keys in every mode, the built-in key provider, the master key check and rotation, over a real catalogue.</summary>
public sealed class DataKeysTests : IDisposable
{
    private static readonly CancellationToken None = CancellationToken.None;
    private readonly string _dir = Directory.CreateTempSubdirectory("objstore-kms-").FullName;
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 12, 2, 0, 0, 0, TimeSpan.Zero));
    private readonly SqliteCatalogue _catalogue;

    public DataKeysTests() => _catalogue = new SqliteCatalogue(Path.Combine(_dir, "catalogue.db"), _clock, synchronousFull: false);

    public void Dispose()
    {
        _catalogue.Dispose();
        SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    private (DataKeys Keys, BuiltInKeyProvider Provider) Open(MasterKeyRing ring)
    {
        var provider = new BuiltInKeyProvider(_catalogue.Keys, ring, _clock);
        return (new DataKeys(ring, provider), provider);
    }

    private static CustomerKey ClientKey(byte seed) => new(Enumerable.Repeat(seed, 32).ToArray());

    public static TheoryData<EncryptionMode> Modes() => [EncryptionMode.S3, EncryptionMode.Kms, EncryptionMode.Customer];

    private static ObjectEncryption EncryptionFor(EncryptionMode mode, CustomerKey key) => mode switch
    {
        EncryptionMode.Kms => new ObjectEncryption(mode) { KmsKeyId = "aws/s3", KmsContext = """{"app":"x"}""" },
        EncryptionMode.Customer => new ObjectEncryption(mode) { CustomerKeyFingerprint = key.Fingerprint() },
        _ => new ObjectEncryption(mode),
    };

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task AFreshKeyPerPayloadOpensOnlyWithWhatSealedIt(EncryptionMode mode)
    {
        var (keys, _) = Open(new MasterKeyRing(MasterKey.Generate(), []));
        var client = ClientKey(1);
        var encryption = await keys.ResolveAsync(EncryptionFor(mode, client), None);
        var one = await keys.CreateAsync(encryption, client, None);
        var two = await keys.CreateAsync(encryption, client, None);
        Assert.Equal(32, one.Key.Length);
        Assert.NotEqual(one.Key.ToArray(), two.Key.ToArray());
        Assert.Equal(-1, one.Sealed.AsSpan().IndexOf(one.Key.Span)); // sealed, not stored
        Assert.Equal(one.Key.ToArray(), (await keys.OpenAsync(encryption, one.Sealed, client, None)).ToArray());

        var damaged = (byte[])one.Sealed.Clone();
        damaged[^1] ^= 1;
        await Assert.ThrowsAsync<InvalidDataException>(() => keys.OpenAsync(encryption, damaged, client, None));
        Assert.Equal("DataKey(hidden)", one.ToString());
    }

    [Fact]
    public async Task AnSseCKeyIsRecognisedByItsSaltedFingerprintAndAnotherIsAccessDenied()
    {
        var (keys, _) = Open(new MasterKeyRing(MasterKey.Generate(), []));
        var client = ClientKey(7);
        string fingerprint = client.Fingerprint();
        Assert.NotEqual(fingerprint, client.Fingerprint()); // salted: the same key never gives the same value twice
        Assert.True(client.Matches(fingerprint));
        Assert.False(ClientKey(8).Matches(fingerprint));
        Assert.False(client.Matches("not base64!"));
        Assert.Equal("CustomerKey(hidden)", client.ToString());
        Assert.Equal(Convert.ToBase64String(MD5.HashData(Enumerable.Repeat((byte)7, 32).ToArray())), client.KeyMd5);

        var encryption = new ObjectEncryption(EncryptionMode.Customer) { CustomerKeyFingerprint = fingerprint };
        var key = await keys.CreateAsync(encryption, client, None);
        var denied = await Assert.ThrowsAsync<ObjectStoreException>(() => keys.OpenAsync(encryption, key.Sealed, ClientKey(8), None));
        Assert.Equal(ErrorKind.AccessDenied, denied.Kind);
        denied = await Assert.ThrowsAsync<ObjectStoreException>(() => keys.OpenAsync(encryption, key.Sealed, null, None));
        Assert.Equal(ErrorKind.AccessDenied, denied.Kind);
    }

    [Fact]
    public async Task KmsKeysResolveByIdOrArnTheDefaultIsMadeOnFirstUseAndAnUnknownOneIsNotFound()
    {
        var (keys, provider) = Open(new MasterKeyRing(MasterKey.Generate(), []));
        Assert.True(await provider.AddAsync("app-key"));
        Assert.False(await provider.AddAsync("app-key"));
        Assert.Throws<ArgumentException>(() => { _ = provider.AddAsync("objstore/mine"); });
        Assert.Throws<ArgumentException>(() => { _ = provider.AddAsync("has space"); });

        Assert.Equal("app-key", (await keys.ResolveAsync(new ObjectEncryption(EncryptionMode.Kms) { KmsKeyId = "arn:aws:kms:us-east-1:111122223333:key/app-key" }, None)).KmsKeyId);
        Assert.Equal("aws/s3", (await keys.ResolveAsync(new ObjectEncryption(EncryptionMode.Kms), None)).KmsKeyId);
        var missing = await Assert.ThrowsAsync<ObjectStoreException>(() => keys.ResolveAsync(new ObjectEncryption(EncryptionMode.Kms) { KmsKeyId = "nope" }, None));
        Assert.Equal(ErrorKind.KmsKeyNotFound, missing.Kind);
        Assert.Equal(ErrorKind.KmsKeyNotFound, (await Assert.ThrowsAsync<ObjectStoreException>(() =>
            keys.ResolveAsync(new ObjectEncryption(EncryptionMode.Kms) { KmsKeyId = "objstore/master-key-check" }, None))).Kind);
        Assert.Equal(["app-key", "aws/s3"], (await provider.ListAsync()).Select(k => k.KeyId));

        // The encryption context is bound to the data key: another context does not open it.
        var encryption = new ObjectEncryption(EncryptionMode.Kms) { KmsKeyId = "app-key", KmsContext = """{"a":"1"}""" };
        var key = await keys.CreateAsync(encryption, null, None);
        await Assert.ThrowsAsync<InvalidDataException>(() => keys.OpenAsync(encryption with { KmsContext = """{"a":"2"}""" }, key.Sealed, null, None));
    }

    [Fact]
    public async Task AStartWithAnotherMasterKeyIsRefusedAndAPreviousOneStillOpens()
    {
        var first = MasterKey.Generate();
        await Open(new MasterKeyRing(first, [])).Provider.VerifyMasterKeyAsync(); // records the check
        await Open(new MasterKeyRing(first, [])).Provider.VerifyMasterKeyAsync();
        var other = MasterKey.Generate();
        var refused = await Assert.ThrowsAsync<MasterKeyMismatchException>(() => Open(new MasterKeyRing(other, [])).Provider.VerifyMasterKeyAsync());
        Assert.Contains($"{first.Id:x8}", refused.Message, StringComparison.Ordinal);
        await Open(new MasterKeyRing(other, [first])).Provider.VerifyMasterKeyAsync(); // the old key as a previous one
    }

    [Fact]
    public async Task ARotationReSealsSseS3KeysAndKmsKeysUnderTheNewMasterKeyAndLeavesOthersAlone()
    {
        var old = MasterKey.Generate();
        var ring = new MasterKeyRing(old, []);
        var (keys, provider) = Open(ring);
        var s3 = await keys.CreateAsync(new ObjectEncryption(EncryptionMode.S3), null, None);
        var kmsEncryption = await keys.ResolveAsync(new ObjectEncryption(EncryptionMode.Kms), None);
        var kms = await keys.CreateAsync(kmsEncryption, null, None);
        var client = ClientKey(3);
        var customerEncryption = new ObjectEncryption(EncryptionMode.Customer) { CustomerKeyFingerprint = client.Fingerprint() };
        var customer = await keys.CreateAsync(customerEncryption, client, None);

        var next = MasterKey.Generate();
        ring.Rotate(next);
        Assert.Equal(next.Id, ring.Current.Id);
        Assert.Equal(old.Id, Assert.Single(ring.Previous).Id);
        var resealed = keys.ResealUnderCurrent(s3.Sealed)!;
        Assert.Equal(next.Id, MasterKey.SealedBy(resealed));
        Assert.Null(keys.ResealUnderCurrent(resealed)); // already the current key's
        Assert.Null(keys.ResealUnderCurrent(customer.Sealed)); // the client's key sealed it
        Assert.True(await provider.ResealAsync() >= 1);
        Assert.All(await _catalogue.Keys.ListKmsKeysAsync(), k => Assert.Equal(next.Id, MasterKey.SealedBy(k.Sealed)));

        // A process that knows only the new key opens everything re-sealed; the client's key still opens its own.
        var (fresh, _) = Open(new MasterKeyRing(next, []));
        Assert.Equal(s3.Key.ToArray(), (await fresh.OpenAsync(new ObjectEncryption(EncryptionMode.S3), resealed, null, None)).ToArray());
        Assert.Equal(kms.Key.ToArray(), (await fresh.OpenAsync(kmsEncryption, kms.Sealed, null, None)).ToArray());
        Assert.Equal(customer.Key.ToArray(), (await fresh.OpenAsync(customerEncryption, customer.Sealed, client, None)).ToArray());
        var unavailable = await Assert.ThrowsAsync<ObjectStoreException>(() => fresh.OpenAsync(new ObjectEncryption(EncryptionMode.S3), s3.Sealed, null, None));
        Assert.Equal(ErrorKind.KeyUnavailable, unavailable.Kind); // sealed under the old key only, which it was not given
    }
}
