using ObjStore.Core;

namespace ObjStore.Metadata.Tests;

/// <summary>Encryption and compression as the catalogue keeps them, and the keys at rest (SSE-KMS keys, sealed data keys).</summary>
public abstract partial class CatalogueContract
{
    private static readonly ObjectEncryption Kms = new(EncryptionMode.Kms) { KmsKeyId = "app-key", KmsContext = """{"team":"a"}""", BucketKeyEnabled = true };

    private static PartEncoding Encoded(long storedSize, byte seed) =>
        new(storedSize) { SealedKey = [.. Enumerable.Repeat(seed, 65)], Frames = [1, 2, 3, seed] };

    [Fact]
    public async Task AnEncodedObjectComesBackWithItsEncryptionStoredSizeSealedKeyAndFrames()
    {
        string bucket = await BucketAsync();
        var info = ObjectAt(bucket, "secret", size: 300_000, metadata: new ObjectMetadata { ContentType = "text/plain", Encryption = Kms });
        info = info with { Parts = [info.Parts[0] with { Encoding = Encoded(70_048, 7) }] };
        await Catalogue.Objects.CommitAsync(info, null, false);

        var read = (await Catalogue.Objects.GetAsync(bucket, "secret"))!;
        Assert.Equal(Kms, read.Metadata.Encryption);
        Assert.Equal(300_000, read.Size);
        Assert.Equal(70_048, read.Parts[0].StoredSize);
        Assert.Equal(info.Parts[0].Encoding!.SealedKey, read.Parts[0].Encoding!.SealedKey);
        Assert.Equal(info.Parts[0].Encoding!.Frames, read.Parts[0].Encoding!.Frames);
        // Shard work (heal, scrub, drain) sees the bytes the shards hold, listings the client's.
        Assert.Equal(70_048, (await Catalogue.Shards.FindDataAsync(read.Parts[0].Layout.DataId))!.Size);
        Assert.Equal(70_048, Assert.Single(await Catalogue.Shards.ListDataAsync(null, 10)).Size);
        Assert.Equal(300_000, Assert.Single((await Catalogue.Objects.ListAsync(new ListRequest { Bucket = bucket })).Objects).Size);

        var plain = ObjectAt(bucket, "plain");
        await Catalogue.Objects.CommitAsync(plain, null, false);
        var readPlain = (await Catalogue.Objects.GetAsync(bucket, "plain"))!;
        Assert.Null(readPlain.Metadata.Encryption);
        Assert.Null(readPlain.Parts[0].Encoding);
    }

    [Fact]
    public async Task AnUploadKeepsItsEncryptionAndEachPartItsOwnEncoding()
    {
        string bucket = await BucketAsync();
        var upload = Upload(bucket, "big", "u-enc", new ObjectMetadata { Encryption = new ObjectEncryption(EncryptionMode.Customer) { CustomerKeyFingerprint = "fp" } });
        await Catalogue.Uploads.CreateAsync(upload);
        Assert.Equal(EncryptionMode.Customer, (await Catalogue.Uploads.GetAsync(bucket, "big", "u-enc"))!.Metadata.Encryption?.Mode);
        var one = new ObjectPart(1, 0, 5 << 20, "e1", null, Layout()) { Encoding = Encoded((5 << 20) + 1280, 1) };
        var two = new ObjectPart(2, 0, 1000, "e2", null, Layout()) { Encoding = Encoded(1016, 2) };
        await Catalogue.Uploads.CommitPartAsync(bucket, "big", "u-enc", one);
        await Catalogue.Uploads.CommitPartAsync(bucket, "big", "u-enc", two);
        await Catalogue.Uploads.CompleteAsync(bucket, "big", "u-enc", (u, parts) => Assemble(u, parts, Clock.GetUtcNow()));

        var read = (await Catalogue.Objects.GetAsync(bucket, "big"))!;
        Assert.Equal("fp", read.Metadata.Encryption?.CustomerKeyFingerprint);
        Assert.Equal([(5L << 20) + 1280, 1016L], read.Parts.Select(p => p.StoredSize));
        Assert.Equal([1, 2], read.Parts.Select(p => p.Encoding!.SealedKey![0]));
        Assert.Equal([(byte)1, (byte)2], read.Parts.Select(p => p.Encoding!.Frames![3]));
        Assert.Equal(1016, (await Catalogue.Shards.FindDataAsync(two.Layout.DataId))!.Size);
    }

    [Fact]
    public async Task KmsKeysAreAddedOnceListedByIdAndResealedOnlyFromWhatWasRead()
    {
        Assert.True(await Catalogue.Keys.AddKmsKeyAsync(new KmsKeyRecord("b-key", [1, 1], Clock.GetUtcNow())));
        Assert.True(await Catalogue.Keys.AddKmsKeyAsync(new KmsKeyRecord("a-key", [2, 2], Clock.GetUtcNow())));
        Assert.False(await Catalogue.Keys.AddKmsKeyAsync(new KmsKeyRecord("a-key", [3, 3], Clock.GetUtcNow())));
        Assert.Equal(["a-key", "b-key"], (await Catalogue.Keys.ListKmsKeysAsync()).Select(k => k.KeyId));
        Assert.Equal([2, 2], (await Catalogue.Keys.GetKmsKeyAsync("a-key"))!.Sealed);
        Assert.Null(await Catalogue.Keys.GetKmsKeyAsync("c-key"));

        Assert.False(await Catalogue.Keys.ResealKmsKeyAsync("a-key", [9, 9], [4, 4])); // not what is stored: left alone
        Assert.True(await Catalogue.Keys.ResealKmsKeyAsync("a-key", [2, 2], [4, 4]));
        Assert.Equal([4, 4], (await Catalogue.Keys.GetKmsKeyAsync("a-key"))!.Sealed);
    }

    [Fact]
    public async Task SealedDataKeysOfObjectsAndPartsArePagedByDataIdAndResealedOnlyFromWhatWasRead()
    {
        string bucket = await BucketAsync();
        foreach (string key in new[] { "x", "y" })
        {
            var info = ObjectAt(bucket, key);
            await Catalogue.Objects.CommitAsync(info with { Parts = [info.Parts[0] with { Encoding = Encoded(26, (byte)key[0]) }] }, null, false);
        }
        await Catalogue.Objects.CommitAsync(ObjectAt(bucket, "plain"), null, false); // no key: not listed
        await Catalogue.Uploads.CreateAsync(Upload(bucket, "mp", "u-keys"));
        await Catalogue.Uploads.CommitPartAsync(bucket, "mp", "u-keys", new ObjectPart(1, 0, 10, "e", null, Layout()) { Encoding = Encoded(26, (byte)'z') });

        Assert.Equal(3, await Catalogue.Keys.CountDataKeysAsync());
        var first = await Catalogue.Keys.ListDataKeysAsync(null, 2);
        var rest = await Catalogue.Keys.ListDataKeysAsync(first[^1].DataId, 2);
        var all = first.Concat(rest).ToList();
        Assert.Equal(3, all.Count);
        Assert.Equal(all.Select(k => k.DataId).Order(StringComparer.Ordinal), all.Select(k => k.DataId));

        var stale = all[0] with { Sealed = [0] };
        int replaced = await Catalogue.Keys.ResealDataKeysAsync([(stale.DataId, stale.Sealed, [5]), (all[1].DataId, all[1].Sealed, [6]), (all[2].DataId, all[2].Sealed, [7])]);
        Assert.Equal(2, replaced);
        var after = await Catalogue.Keys.ListDataKeysAsync(null, 10);
        Assert.Equal(all[0].Sealed, after[0].Sealed);
        Assert.Equal([[6], [7]], after.Skip(1).Select(k => k.Sealed));
    }
}
