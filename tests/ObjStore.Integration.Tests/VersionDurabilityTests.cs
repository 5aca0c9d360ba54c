using System.Net;
using Amazon.S3;
using Amazon.S3.Model;
using Amazon.S3.Transfer;
using static ObjStore.Integration.Tests.Maintenance;

namespace ObjStore.Integration.Tests;

/// <summary>
/// Versions and Object Lock through the store's life: restart, a lost store and heal, scrub and GC, drain and
/// rebalance, a catalogue rebuilt from footers or restored from a backup. Every version reads back by its id, and a
/// locked version stays locked on every path.
/// </summary>
public class VersionDurabilityTests
{
    /// <summary>Three versions of one key (one multipart), a delete marker over another, and a COMPLIANCE-locked version.</summary>
    private static async Task<Dictionary<(string Key, string VersionId), byte[]>> WriteVersionsAsync(AmazonS3Client s3, string bucket)
    {
        await s3.PutBucketAsync(new PutBucketRequest { BucketName = bucket, ObjectLockEnabledForBucket = true });
        var versions = new Dictionary<(string, string), byte[]>();
        foreach (int size in new[] { 1, 200_000 })
        {
            byte[] data = TestData.Bytes(size, size);
            var put = await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "k", InputStream = new MemoryStream(data) });
            versions[("k", put.VersionId)] = data;
        }
        byte[] large = TestData.Bytes(11 << 20, 7);
        using (var transfer = new TransferUtility(s3))
        {
            await transfer.UploadAsync(new TransferUtilityUploadRequest { BucketName = bucket, Key = "k", InputStream = new MemoryStream(large), PartSize = 5 << 20 });
        }
        var latest = await s3.GetObjectMetadataAsync(bucket, "k");
        versions[("k", latest.VersionId)] = large;

        var hidden = await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "hidden", ContentBody = "under a marker" });
        versions[("hidden", hidden.VersionId)] = "under a marker"u8.ToArray();
        await s3.DeleteObjectAsync(bucket, "hidden");

        var locked = await s3.PutObjectAsync(new PutObjectRequest
        {
            BucketName = bucket, Key = "locked", ContentBody = "kept for a year",
            ObjectLockMode = ObjectLockMode.Compliance, ObjectLockRetainUntilDate = DateTime.UtcNow.AddYears(1), ChecksumAlgorithm = ChecksumAlgorithm.CRC32,
        });
        versions[("locked", locked.VersionId)] = "kept for a year"u8.ToArray();
        return versions;
    }

    private static async Task ReadEveryVersionAsync(AmazonS3Client s3, string bucket, Dictionary<(string Key, string VersionId), byte[]> versions)
    {
        foreach (var ((key, versionId), expected) in versions)
        {
            using var response = await s3.GetObjectAsync(new GetObjectRequest { BucketName = bucket, Key = key, VersionId = versionId });
            using var buffer = new MemoryStream();
            await response.ResponseStream.CopyToAsync(buffer);
            Assert.True(expected.AsSpan().SequenceEqual(buffer.ToArray()), $"{key} {versionId} differs");
        }
    }

    private static async Task AssertStillLockedAsync(AmazonS3Client s3, string bucket, Dictionary<(string Key, string VersionId), byte[]> versions)
    {
        string versionId = versions.Keys.Single(k => k.Key == "locked").VersionId;
        var refused = await Assert.ThrowsAsync<AmazonS3Exception>(() => s3.DeleteObjectAsync(new DeleteObjectRequest
        {
            BucketName = bucket, Key = "locked", VersionId = versionId, BypassGovernanceRetention = true,
        }));
        Assert.Equal((HttpStatusCode.Forbidden, "AccessDenied"), (refused.StatusCode, refused.ErrorCode));
        var retention = await s3.GetObjectRetentionAsync(new GetObjectRetentionRequest { BucketName = bucket, Key = "locked", VersionId = versionId });
        Assert.Equal(ObjectLockRetentionMode.Compliance, retention.Retention.Mode);
    }

    [Fact]
    public async Task EveryVersionSurvivesARestartAStoreLossAndHeal()
    {
        string dataDir = Directory.CreateTempSubdirectory("objstore-versions-").FullName;
        Dictionary<(string Key, string VersionId), byte[]> versions;
        var first = await DevServer.StartAsync("4+2", dataDir, Fast);
        using (var s3 = first.Client())
        {
            versions = await WriteVersionsAsync(s3, "versions");
        }
        await first.StopAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();

        await using var second = await DevServer.StartAsync("4+2", dataDir, Fast);
        using var again = second.Client();
        await ReadEveryVersionAsync(again, "versions", versions);
        var marker = await Assert.ThrowsAsync<AmazonS3Exception>(() => again.GetObjectMetadataAsync("versions", "hidden"));
        Assert.Equal(HttpStatusCode.NotFound, marker.StatusCode);

        Directory.Delete(Path.Combine(dataDir, "store-02", "shards"), recursive: true);
        var heal = await RunJobAsync(second, "heal", "versions");
        Assert.True(heal.ItemsDone >= versions.Count, $"heal went over {heal.ItemsDone} layouts, {versions.Count} versions hold shards");
        foreach (var store in new[] { "store-00", "store-05" })
        {
            Directory.Delete(Path.Combine(dataDir, store, "shards"), recursive: true);
        }
        await ReadEveryVersionAsync(again, "versions", versions);
        await AssertStillLockedAsync(again, "versions", versions);
    }

    [Fact]
    public async Task ScrubAndGcCoverEveryVersionAndCollectOnlyRemovedOnes()
    {
        await using var server = await DevServer.StartAsync("2+1", settings: Fast);
        using var s3 = server.Client();
        var versions = await WriteVersionsAsync(s3, "gc-versions");
        int live = server.ShardFiles().Count;
        var gc = await RunJobAsync(server, "gc");
        Assert.Contains("\"orphansDeleted\":0", gc.Result, StringComparison.Ordinal);
        Assert.Equal(live, server.ShardFiles().Count); // old versions are not garbage
        var scrub = await RunJobAsync(server, "scrub");
        Assert.Contains("\"bad\":0", scrub.Result, StringComparison.Ordinal);
        Assert.True(scrub.ItemsDone >= versions.Count, $"scrub checked {scrub.ItemsDone} layouts for {versions.Count} versions");

        // Removing one version for good frees exactly its shards (a single PUT: 3 of them at 2+1).
        var (key, versionId) = versions.Keys.First(k => k.Key == "k");
        await s3.DeleteObjectAsync(new DeleteObjectRequest { BucketName = "gc-versions", Key = key, VersionId = versionId });
        versions.Remove((key, versionId));
        await RunJobAsync(server, "gc");
        Assert.Equal(live - 3, server.ShardFiles().Count);
        await ReadEveryVersionAsync(s3, "gc-versions", versions);
        await AssertStillLockedAsync(s3, "gc-versions", versions);
    }

    [Fact]
    public async Task DrainAndRebalanceMoveEveryVersionAndDropNone()
    {
        var settings = new Dictionary<string, string?>(Fast) { ["Stores"] = "5" };
        await using var server = await DevServer.StartAsync("2+1", settings: settings);
        using var s3 = server.Client();
        var versions = await WriteVersionsAsync(s3, "moving");
        int total = server.ShardFiles().Count;
        await RunJobAsync(server, "drain", "store-01");
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(server.DataDir, "store-01", "shards"), "*", SearchOption.AllDirectories));
        Assert.Equal(total, server.ShardFiles().Count);
        await RunJobAsync(server, "rebalance");
        Assert.Equal(total, server.ShardFiles().Count);
        Directory.Delete(Path.Combine(server.DataDir, "store-01"), recursive: true);
        Directory.Delete(Path.Combine(server.DataDir, "store-03", "shards"), recursive: true); // and one more lost (m = 1)
        await ReadEveryVersionAsync(s3, "moving", versions);
        await AssertStillLockedAsync(s3, "moving", versions);
    }

    /// <summary>
    /// Rebuilt from footers alone, every version comes back with its id, in order, and the locked version with the
    /// retention it was written with. Delete markers have no shards, so the object they hid is the latest again
    /// (docs/design.md says so; a catalogue backup keeps them).
    /// </summary>
    [Fact]
    public async Task ARebuildFromFootersRestoresEveryVersionWithItsIdAndItsLock()
    {
        await using var first = await DevServer.StartAsync("4+2", settings: Fast);
        Dictionary<(string Key, string VersionId), byte[]> versions;
        List<string> order;
        using (var s3 = first.Client())
        {
            versions = await WriteVersionsAsync(s3, "rebuilt");
            order = ((await s3.ListVersionsAsync(new ListVersionsRequest { BucketName = "rebuilt", Prefix = "k" })).Versions).Select(v => v.VersionId).ToList();
        }
        await StopAndLoseCatalogueAsync(first);

        await using var second = await DevServer.StartAsync("4+2", first.DataDir, Fast);
        using var again = second.Client();
        await RunJobAsync(second, "rebuild-metadata");
        await ReadEveryVersionAsync(again, "rebuilt", versions);
        var listed = (await again.ListVersionsAsync(new ListVersionsRequest { BucketName = "rebuilt", Prefix = "k" })).Versions;
        Assert.Equal(order, listed.Select(v => v.VersionId));
        Assert.Equal([true, false, false], listed.Select(v => v.IsLatest == true));
        Assert.Equal(VersionStatus.Enabled, (await again.GetBucketVersioningAsync(new GetBucketVersioningRequest { BucketName = "rebuilt" })).VersioningConfig.Status);
        Assert.Equal("under a marker"u8.ToArray(), await again.GetBytesAsync("rebuilt", "hidden"));
        await AssertStillLockedAsync(again, "rebuilt", versions);
    }

    [Fact]
    public async Task ACatalogueRestoredFromABackupKeepsMarkersRetentionAndLegalHolds()
    {
        await using var first = await DevServer.StartAsync("4+2", settings: Fast);
        Dictionary<(string Key, string VersionId), byte[]> versions;
        string lockedId;
        using (var s3 = first.Client())
        {
            versions = await WriteVersionsAsync(s3, "restored");
            lockedId = versions.Keys.Single(k => k.Key == "locked").VersionId;
            await s3.PutObjectLegalHoldAsync(new PutObjectLegalHoldRequest
            {
                BucketName = "restored", Key = "locked", VersionId = lockedId, LegalHold = new ObjectLockLegalHold { Status = ObjectLockLegalHoldStatus.On },
            });
            await RunJobAsync(first, "backup");
        }
        await StopAndLoseCatalogueAsync(first);
        Assert.NotNull(await Hosting.CatalogueRestore.RunAsync(new Dictionary<string, string?>
        {
            ["ObjStore:DataDir"] = first.DataDir,
            ["ObjStore:Erasure"] = "4+2",
            ["ObjStore:StripeSize"] = "65536",
        }, Hosting.StoreMode.Dev, target: null, force: false));

        await using var second = await DevServer.StartAsync("4+2", first.DataDir, Fast);
        using var again = second.Client();
        await ReadEveryVersionAsync(again, "restored", versions);
        var marker = await Assert.ThrowsAsync<AmazonS3Exception>(() => again.GetObjectMetadataAsync("restored", "hidden"));
        Assert.Equal(HttpStatusCode.NotFound, marker.StatusCode);
        var hold = await again.GetObjectLegalHoldAsync(new GetObjectLegalHoldRequest { BucketName = "restored", Key = "locked", VersionId = lockedId });
        Assert.Equal(ObjectLockLegalHoldStatus.On, hold.LegalHold.Status);
        await AssertStillLockedAsync(again, "restored", versions);
    }
}
