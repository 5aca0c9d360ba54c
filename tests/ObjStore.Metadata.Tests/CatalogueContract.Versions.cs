using ObjStore.Core;

namespace ObjStore.Metadata.Tests;

/// <summary>Versions, delete markers and Object Lock, as every catalogue keeps them.</summary>
public abstract partial class CatalogueContract
{
    private async Task<string> VersionedBucketAsync(string name = "versioned", VersioningState state = VersioningState.Enabled)
    {
        await BucketAsync(name);
        await Catalogue.Buckets.SetVersioningAsync(name, state);
        return name;
    }

    private ObjectInfo VersionAt(string bucket, string key, string? versionId = null, ObjectLock? objectLock = null) =>
        ObjectAt(bucket, key) with { VersionId = versionId ?? VersionIds.New(Clock.GetUtcNow()), Lock = objectLock ?? ObjectLock.None };

    [Fact]
    public async Task EveryWriteToAnEnabledBucketIsKeptAsAVersionAndTheLastCommittedIsTheLatest()
    {
        string bucket = await VersionedBucketAsync();
        var first = VersionAt(bucket, "k");
        var second = VersionAt(bucket, "k");
        Assert.Empty(await Catalogue.Objects.CommitAsync(first, null, false));
        Assert.Empty(await Catalogue.Objects.CommitAsync(second, null, false)); // nothing replaced: nothing is garbage
        Assert.Empty(await Catalogue.Shards.PendingDeletesAsync(10));

        var latest = await Catalogue.Objects.GetAsync(bucket, "k");
        Assert.Equal((second.VersionId, true), (latest!.VersionId, latest.IsLatest));
        var older = await Catalogue.Objects.GetAsync(bucket, "k", first.VersionId);
        Assert.Equal((first.Parts[0].Layout.DataId, false), (older!.Parts[0].Layout.DataId, older.IsLatest));
        Assert.Null(await Catalogue.Objects.GetAsync(bucket, "k", VersionIds.New(Clock.GetUtcNow())));
        Assert.Equal(VersioningState.Enabled, latest.BucketVersioning);

        // Both versions' shards are live for every maintenance job.
        Assert.True(await Catalogue.Shards.IsDataReferencedAsync(first.Parts[0].Layout.DataId));
        Assert.Equal(2, (await Catalogue.Shards.ListDataAsync(null, 10)).Count);
        Assert.NotNull(await Catalogue.Shards.FindDataAsync(first.Parts[0].Layout.DataId));
    }

    [Fact]
    public async Task TheLatestIsTheLastCommittedEvenWhenTheClockGoesBack()
    {
        string bucket = await VersionedBucketAsync();
        var first = VersionAt(bucket, "k");
        await Catalogue.Objects.CommitAsync(first, null, false);
        Clock.AdjustTime(Clock.GetUtcNow().AddMinutes(-5));
        var second = VersionAt(bucket, "k");
        await Catalogue.Objects.CommitAsync(second, null, false);
        Assert.Equal(second.VersionId, (await Catalogue.Objects.GetAsync(bucket, "k"))!.VersionId);
        var page = await Catalogue.Objects.ListVersionsAsync(new ListVersionsRequest { Bucket = bucket });
        Assert.Equal([second.VersionId, first.VersionId], page.Versions.Select(v => v.VersionId));
    }

    [Fact]
    public async Task ADeleteInAnEnabledBucketAddsAMarkerThatHidesTheKeyUntilItIsRemoved()
    {
        string bucket = await VersionedBucketAsync();
        var version = VersionAt(bucket, "k");
        await Catalogue.Objects.CommitAsync(version, null, false);

        var marked = await Catalogue.Objects.DeleteAsync(bucket, "k", null, false);
        Assert.True(marked.DeleteMarker);
        Assert.Empty(marked.Garbage);
        var latest = await Catalogue.Objects.GetAsync(bucket, "k");
        Assert.True(latest!.IsDeleteMarker);
        Assert.Equal(marked.VersionId, latest.VersionId);
        Assert.Empty((await Catalogue.Objects.ListAsync(new ListRequest { Bucket = bucket })).Objects);

        // A marker where the key never existed, as S3 makes one.
        Assert.True((await Catalogue.Objects.DeleteAsync(bucket, "never", null, false)).DeleteMarker);

        var removed = await Catalogue.Objects.DeleteAsync(bucket, "k", marked.VersionId, false);
        Assert.Equal((true, true, marked.VersionId), (removed.Found, removed.DeleteMarker, removed.VersionId));
        Assert.Equal(version.VersionId, (await Catalogue.Objects.GetAsync(bucket, "k"))!.VersionId);
        Assert.Equal("k", Assert.Single((await Catalogue.Objects.ListAsync(new ListRequest { Bucket = bucket })).Objects).Key);
    }

    [Fact]
    public async Task DeletingAVersionByIdRemovesExactlyItAndQueuesItsShards()
    {
        string bucket = await VersionedBucketAsync();
        var first = VersionAt(bucket, "k");
        var second = VersionAt(bucket, "k");
        await Catalogue.Objects.CommitAsync(first, null, false);
        await Catalogue.Objects.CommitAsync(second, null, false);

        var removed = await Catalogue.Objects.DeleteAsync(bucket, "k", second.VersionId, false);
        Assert.Equal(second.Parts[0].Layout.DataId, Assert.Single(removed.Garbage).DataId);
        var now = await Catalogue.Objects.GetAsync(bucket, "k");
        Assert.Equal((first.VersionId, true), (now!.VersionId, now.IsLatest));
        Assert.False((await Catalogue.Objects.DeleteAsync(bucket, "k", second.VersionId, false)).Found);
        await Assert.ThrowsAsync<ObjectStoreException>(() => Catalogue.Buckets.DeleteAsync(bucket));
        await Catalogue.Objects.DeleteAsync(bucket, "k", first.VersionId, false);
        Assert.True(await Catalogue.Buckets.DeleteAsync(bucket));
    }

    [Fact]
    public async Task ASuspendedBucketReplacesTheNullVersionAndKeepsTheOthers()
    {
        string bucket = await VersionedBucketAsync();
        var kept = VersionAt(bucket, "k");
        await Catalogue.Objects.CommitAsync(kept, null, false);
        await Catalogue.Buckets.SetVersioningAsync(bucket, VersioningState.Suspended);

        var firstNull = VersionAt(bucket, "k", VersionIds.Null);
        var secondNull = VersionAt(bucket, "k", VersionIds.Null);
        Assert.Empty(await Catalogue.Objects.CommitAsync(firstNull, null, false));
        Assert.Equal(firstNull.Parts[0].Layout.DataId, Assert.Single(await Catalogue.Objects.CommitAsync(secondNull, null, false)).DataId);

        var marker = await Catalogue.Objects.DeleteAsync(bucket, "k", null, false);
        Assert.Equal((true, VersionIds.Null), (marker.DeleteMarker, marker.VersionId));
        Assert.Equal(secondNull.Parts[0].Layout.DataId, Assert.Single(marker.Garbage).DataId);
        var versions = (await Catalogue.Objects.ListVersionsAsync(new ListVersionsRequest { Bucket = bucket })).Versions;
        Assert.Equal([(VersionIds.Null, true, true), (kept.VersionId, false, false)], versions.Select(v => (v.VersionId, v.IsDeleteMarker, v.IsLatest)));
    }

    [Fact]
    public async Task AnUnversionedBucketDeletesTheObjectAndMakesNoMarker()
    {
        string bucket = await BucketAsync();
        await Catalogue.Objects.CommitAsync(ObjectAt(bucket, "k"), null, false);
        var removed = await Catalogue.Objects.DeleteAsync(bucket, "k", null, false);
        Assert.Equal((true, false, (string?)null), (removed.Found, removed.DeleteMarker, removed.VersionId));
        Assert.Null(await Catalogue.Objects.GetAsync(bucket, "k"));
        Assert.True(await Catalogue.Buckets.DeleteAsync(bucket));
    }

    [Fact]
    public async Task WriteConditionsSeeADeleteMarkerAsNoObject()
    {
        string bucket = await VersionedBucketAsync();
        await Catalogue.Objects.CommitAsync(VersionAt(bucket, "k"), null, false);
        await Assert.ThrowsAsync<ObjectStoreException>(() => Catalogue.Objects.CommitAsync(VersionAt(bucket, "k"), null, true));
        await Catalogue.Objects.DeleteAsync(bucket, "k", null, false);
        await Catalogue.Objects.CommitAsync(VersionAt(bucket, "k"), null, ifNoneMatchAny: true);
    }

    [Fact]
    public async Task ABucketWithObjectLockCannotBeSuspendedAndLockNeedsVersioning()
    {
        Assert.True(await Catalogue.Buckets.CreateAsync("locked", Clock.GetUtcNow(), objectLock: true));
        var bucket = await Catalogue.Buckets.GetAsync("locked");
        Assert.Equal((VersioningState.Enabled, true), (bucket!.Versioning, bucket.ObjectLockEnabled));
        var suspend = await Assert.ThrowsAsync<ObjectStoreException>(() => Catalogue.Buckets.SetVersioningAsync("locked", VersioningState.Suspended));
        Assert.Equal(ErrorKind.InvalidBucketState, suspend.Kind);

        string plain = await BucketAsync("plain");
        var refused = await Assert.ThrowsAsync<ObjectStoreException>(() => Catalogue.Buckets.SetObjectLockAsync(plain, null));
        Assert.Equal(ErrorKind.InvalidBucketState, refused.Kind);
        await Catalogue.Buckets.SetVersioningAsync(plain, VersioningState.Enabled);
        await Catalogue.Buckets.SetObjectLockAsync(plain, new DefaultRetention(RetentionMode.Governance, 7, null));
        Assert.Equal(new DefaultRetention(RetentionMode.Governance, 7, null), (await Catalogue.Buckets.GetAsync(plain))!.DefaultRetention);
        await Catalogue.Buckets.SetObjectLockAsync(plain, null);
        Assert.Null((await Catalogue.Buckets.GetAsync(plain))!.DefaultRetention);
    }

    [Fact]
    public async Task ALockedVersionCannotBeRemovedUntilItsRetentionEnds()
    {
        await Catalogue.Buckets.CreateAsync("locked", Clock.GetUtcNow(), objectLock: true);
        var until = Clock.GetUtcNow().AddDays(1);
        var compliance = VersionAt("locked", "c", objectLock: new ObjectLock(new ObjectRetention(RetentionMode.Compliance, until), false));
        var governance = VersionAt("locked", "g", objectLock: new ObjectLock(new ObjectRetention(RetentionMode.Governance, until), false));
        var held = VersionAt("locked", "h", objectLock: new ObjectLock(null, true));
        foreach (var version in new[] { compliance, governance, held })
        {
            await Catalogue.Objects.CommitAsync(version, null, false);
        }

        foreach (var (version, bypass) in new[] { (compliance, false), (compliance, true), (governance, false), (held, true) })
        {
            var refused = await Assert.ThrowsAsync<ObjectStoreException>(() => Catalogue.Objects.DeleteAsync("locked", version.Key, version.VersionId, bypass));
            Assert.Equal(ErrorKind.AccessDenied, refused.Kind);
            Assert.NotNull(await Catalogue.Objects.GetAsync("locked", version.Key, version.VersionId));
        }
        Assert.True((await Catalogue.Objects.DeleteAsync("locked", "g", governance.VersionId, bypassGovernance: true)).Found);

        // A marker is not a removal: it is allowed, and the locked version stays.
        Assert.True((await Catalogue.Objects.DeleteAsync("locked", "c", null, false)).DeleteMarker);
        Assert.NotNull(await Catalogue.Objects.GetAsync("locked", "c", compliance.VersionId));
        Assert.DoesNotContain(await Catalogue.Shards.PendingDeletesAsync(10), l => l.DataId == compliance.Parts[0].Layout.DataId);

        Clock.Advance(TimeSpan.FromDays(1) + TimeSpan.FromSeconds(1));
        Assert.True((await Catalogue.Objects.DeleteAsync("locked", "c", compliance.VersionId, false)).Found);
        await Catalogue.Objects.SetLegalHoldAsync("locked", "h", held.VersionId, false);
        Assert.True((await Catalogue.Objects.DeleteAsync("locked", "h", held.VersionId, false)).Found);
    }

    [Fact]
    public async Task RetentionCanBeExtendedButOnlyAGovernanceOneWithTheBypassShortened()
    {
        await Catalogue.Buckets.CreateAsync("locked", Clock.GetUtcNow(), objectLock: true);
        var now = Clock.GetUtcNow();
        var version = VersionAt("locked", "k", objectLock: new ObjectLock(new ObjectRetention(RetentionMode.Governance, now.AddDays(2)), false));
        await Catalogue.Objects.CommitAsync(version, null, false);

        async Task<ErrorKind?> Change(ObjectRetention? retention, bool bypass)
        {
            try
            {
                await Catalogue.Objects.SetRetentionAsync("locked", "k", version.VersionId, retention, bypass);
                return null;
            }
            catch (ObjectStoreException e)
            {
                return e.Kind;
            }
        }

        Assert.Equal(ErrorKind.AccessDenied, await Change(new ObjectRetention(RetentionMode.Governance, now.AddDays(1)), false));
        Assert.Equal(ErrorKind.AccessDenied, await Change(null, false));
        Assert.Null(await Change(new ObjectRetention(RetentionMode.Governance, now.AddDays(3)), false));
        Assert.Null(await Change(new ObjectRetention(RetentionMode.Governance, now.AddDays(1)), true));
        Assert.Equal(ErrorKind.AccessDenied, await Change(new ObjectRetention(RetentionMode.Compliance, now.AddDays(4)), false));
        Assert.Null(await Change(new ObjectRetention(RetentionMode.Compliance, now.AddDays(4)), true));
        Assert.Null(await Change(new ObjectRetention(RetentionMode.Compliance, now.AddDays(5)), false));
        foreach (var weaker in new ObjectRetention?[] { null, new(RetentionMode.Compliance, now.AddDays(4)), new(RetentionMode.Governance, now.AddDays(6)) })
        {
            Assert.Equal(ErrorKind.AccessDenied, await Change(weaker, true));
        }
        var stored = await Catalogue.Objects.GetAsync("locked", "k", version.VersionId);
        Assert.Equal(new ObjectRetention(RetentionMode.Compliance, now.AddDays(5)), stored!.Lock.Retention);

        await Catalogue.Objects.DeleteAsync("locked", "k", null, false);
        var onMarker = await Assert.ThrowsAsync<ObjectStoreException>(() => Catalogue.Objects.SetLegalHoldAsync("locked", "k", null, true));
        Assert.Equal(ErrorKind.MethodNotAllowed, onMarker.Kind);
        string plain = await BucketAsync("plain");
        await Catalogue.Objects.CommitAsync(ObjectAt(plain, "k"), null, false);
        var noLock = await Assert.ThrowsAsync<ObjectStoreException>(() => Catalogue.Objects.SetLegalHoldAsync(plain, "k", null, true));
        Assert.Equal(ErrorKind.InvalidRequest, noLock.Kind);
    }

    [Fact]
    public async Task ALockedNullVersionIsNeitherReplacedNorRemoved()
    {
        // Written before versioning, then locked once the bucket had Object Lock.
        string bucket = await BucketAsync("older");
        var held = ObjectAt(bucket, "k");
        await Catalogue.Objects.CommitAsync(held, null, false);
        await Catalogue.Buckets.SetVersioningAsync(bucket, VersioningState.Enabled);
        await Catalogue.Buckets.SetObjectLockAsync(bucket, null);
        await Catalogue.Objects.SetLegalHoldAsync(bucket, "k", VersionIds.Null, true);

        var replaced = await Assert.ThrowsAsync<ObjectStoreException>(() => Catalogue.Objects.CommitAsync(VersionAt(bucket, "k", VersionIds.Null), null, false));
        Assert.Equal(ErrorKind.ConcurrentChange, replaced.Kind); // a null write into an enabled bucket is never committed
        var removed = await Assert.ThrowsAsync<ObjectStoreException>(() => Catalogue.Objects.DeleteAsync(bucket, "k", VersionIds.Null, true));
        Assert.Equal(ErrorKind.AccessDenied, removed.Kind);
        Assert.Equal(held.Parts[0].Layout.DataId, (await Catalogue.Objects.GetAsync(bucket, "k"))!.Parts[0].Layout.DataId);
    }

    [Fact]
    public async Task ListObjectsShowsEachKeysLatestVersionUnlessItIsADeleteMarker()
    {
        string bucket = await VersionedBucketAsync();
        foreach (string key in new[] { "a", "b", "c", "d/1", "d/2" })
        {
            for (int i = 0; i < 3; i++)
            {
                await Catalogue.Objects.CommitAsync(VersionAt(bucket, key), null, false);
            }
        }
        await Catalogue.Objects.DeleteAsync(bucket, "b", null, false);
        await Catalogue.Objects.DeleteAsync(bucket, "d/2", null, false);
        var all = await Catalogue.Objects.ListAsync(new ListRequest { Bucket = bucket });
        Assert.Equal(["a", "c", "d/1"], all.Objects.Select(o => o.Key));
        var rolled = await Catalogue.Objects.ListAsync(new ListRequest { Bucket = bucket, Delimiter = "/", MaxKeys = 2 });
        Assert.Equal(["a", "c"], rolled.Objects.Select(o => o.Key));
        Assert.True(rolled.IsTruncated);
        var rest = await Catalogue.Objects.ListAsync(new ListRequest { Bucket = bucket, Delimiter = "/", StartAfter = rolled.NextMarker });
        Assert.Equal(["d/"], rest.CommonPrefixes);
    }

    /// <summary>
    /// Pages of every size, with and without a delimiter, walked to the end by their markers, give exactly the
    /// versions a model of S3's order gives: keys in byte order, each key's versions newest first.
    /// </summary>
    [Theory]
    [InlineData(1, null)]
    [InlineData(3, null)]
    [InlineData(7, "/")]
    [InlineData(1000, "/")]
    public async Task ListVersionsPagesWalkEveryVersionOnceInOrder(int maxKeys, string? delimiter)
    {
        string bucket = await VersionedBucketAsync();
        var random = new Random(42);
        string[] keys = ["a", "a/x", "a/y", "b", "c/d/e", "c/f", "z", "é"];
        var expected = new List<(string Key, string VersionId)>();
        var byKey = keys.ToDictionary(k => k, _ => new List<string>());
        for (int i = 0; i < 40; i++)
        {
            string key = keys[random.Next(keys.Length)];
            if (random.Next(5) == 0)
            {
                byKey[key].Add((await Catalogue.Objects.DeleteAsync(bucket, key, null, false)).VersionId!);
            }
            else
            {
                var version = VersionAt(bucket, key);
                await Catalogue.Objects.CommitAsync(version, null, false);
                byKey[key].Add(version.VersionId);
            }
            Clock.Advance(TimeSpan.FromMilliseconds(random.Next(3)));
        }
        var prefixes = new List<string>();
        foreach (string key in keys.OrderBy(k => KeyOrder.Bytes(k), Comparer<byte[]>.Create(KeyOrder.Compare)))
        {
            string? common = KeyOrder.CommonPrefixOf(key, "", delimiter);
            if (common is not null)
            {
                if (byKey[key].Count > 0 && !prefixes.Contains(common))
                {
                    prefixes.Add(common);
                }
                continue;
            }
            expected.AddRange(Enumerable.Reverse(byKey[key]).Select(v => (key, v)));
        }

        var seen = new List<(string, string)>();
        var seenPrefixes = new List<string>();
        string? keyMarker = null, versionMarker = null;
        for (int pages = 0; ; pages++)
        {
            Assert.True(pages < 200, "the walk does not end");
            var page = await Catalogue.Objects.ListVersionsAsync(new ListVersionsRequest
            {
                Bucket = bucket, Delimiter = delimiter, KeyMarker = keyMarker, VersionIdMarker = versionMarker, MaxKeys = maxKeys,
            });
            Assert.True(page.Versions.Count + page.CommonPrefixes.Count <= maxKeys);
            seen.AddRange(page.Versions.Select(v => (v.Entry.Key, v.VersionId)));
            seenPrefixes.AddRange(page.CommonPrefixes);
            if (!page.IsTruncated)
            {
                break;
            }
            (keyMarker, versionMarker) = (page.NextKeyMarker, page.NextVersionIdMarker);
        }
        Assert.Equal(expected, seen);
        Assert.Equal(prefixes, seenPrefixes);
    }

    [Fact]
    public async Task AVersionIdMarkerMustNameAVersionOfTheKeyMarker()
    {
        string bucket = await VersionedBucketAsync();
        await Catalogue.Objects.CommitAsync(VersionAt(bucket, "k"), null, false);
        var refused = await Assert.ThrowsAsync<ObjectStoreException>(() => Catalogue.Objects.ListVersionsAsync(new ListVersionsRequest
        {
            Bucket = bucket, KeyMarker = "k", VersionIdMarker = VersionIds.New(Clock.GetUtcNow()),
        }));
        Assert.Equal(ErrorKind.InvalidArgument, refused.Kind);
    }

    [Fact]
    public async Task AVersionIdMarkerOnAKeyTheListingDoesNotListResumesAfterIt()
    {
        string bucket = await VersionedBucketAsync();
        var outside = VersionAt(bucket, "b");
        var rolled = VersionAt(bucket, "a/x/1");
        var inside = VersionAt(bucket, "a/y");
        foreach (var version in new[] { outside, rolled, inside, VersionAt(bucket, "b"), VersionAt(bucket, "a/x/1") })
        {
            await Catalogue.Objects.CommitAsync(version, null, false);
        }
        var past = await Catalogue.Objects.ListVersionsAsync(new ListVersionsRequest { Bucket = bucket, Prefix = "a/", KeyMarker = "b", VersionIdMarker = outside.VersionId });
        Assert.Empty(past.Versions);
        var underPrefix = await Catalogue.Objects.ListVersionsAsync(new ListVersionsRequest
        {
            Bucket = bucket, Prefix = "a/", Delimiter = "/", KeyMarker = "a/x/1", VersionIdMarker = rolled.VersionId,
        });
        Assert.Equal([inside.VersionId], underPrefix.Versions.Select(v => v.VersionId));
        Assert.Empty(underPrefix.CommonPrefixes);
    }

    [Fact]
    public async Task RestoredVersionsComeBackWithTheirIdsInTheOrderTheyWereWritten()
    {
        string bucket = await VersionedBucketAsync();
        var first = VersionAt(bucket, "k");
        Clock.Advance(TimeSpan.FromSeconds(1));
        var second = VersionAt(bucket, "k");
        Assert.True(await Catalogue.Objects.RestoreAsync(second));
        Assert.True(await Catalogue.Objects.RestoreAsync(first)); // found out of order
        Assert.False(await Catalogue.Objects.RestoreAsync(first));
        var versions = (await Catalogue.Objects.ListVersionsAsync(new ListVersionsRequest { Bucket = bucket })).Versions;
        Assert.Equal([(second.VersionId, true), (first.VersionId, false)], versions.Select(v => (v.VersionId, v.IsLatest)));

        // Into a catalogue that lost the bucket: it comes back versioned, and with Object Lock when a version is locked.
        Assert.True(await Catalogue.Objects.RestoreAsync(VersionAt("lost", "k")));
        Assert.Equal((VersioningState.Enabled, false), ((await Catalogue.Buckets.GetAsync("lost"))!.Versioning, (await Catalogue.Buckets.GetAsync("lost"))!.ObjectLockEnabled));
        var held = VersionAt("lost", "held", objectLock: new ObjectLock(null, true));
        Assert.True(await Catalogue.Objects.RestoreAsync(held));
        Assert.True((await Catalogue.Buckets.GetAsync("lost"))!.ObjectLockEnabled);
        await Assert.ThrowsAsync<ObjectStoreException>(() => Catalogue.Objects.DeleteAsync("lost", "held", held.VersionId, false));
    }
}
