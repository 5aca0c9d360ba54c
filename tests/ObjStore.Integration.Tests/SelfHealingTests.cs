using System.Net;
using Amazon.S3;
using Amazon.S3.Model;
using Amazon.S3.Transfer;

using static ObjStore.Integration.Tests.Maintenance;

namespace ObjStore.Integration.Tests;

/// <summary>Scrub, heal and GC through the admin API of a dev server: bit rot, a wiped store, orphaned shards, leases.</summary>
public class SelfHealingTests
{
    /// <summary>
    /// The maintenance settings with replication off ("0": every object striped) or up to 1 MiB: then the objects of
    /// <see cref="WriteObjectsAsync"/> are mixed, a (1 byte), b, d (empty) and the 1 MiB last part of mp (exactly at
    /// the threshold) stored as copies, c and mp's 5 MiB parts striped, in one bucket and one multipart object.
    /// </summary>
    private static Dictionary<string, string?> Layout(string replicateUpTo) => new(Fast) { ["ReplicateUpTo"] = replicateUpTo };

    private static async Task<Dictionary<string, byte[]>> WriteObjectsAsync(AmazonS3Client s3, string bucket)
    {
        await s3.PutBucketAsync(bucket);
        var objects = new Dictionary<string, byte[]>();
        foreach (var (key, size) in new[] { ("a", 1), ("b", 65_536 * 3 + 7), ("c", 700_000), ("d", 0) })
        {
            objects[key] = TestData.Bytes(size, size);
            await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = key, InputStream = new MemoryStream(objects[key]) });
        }
        objects["mp"] = TestData.Bytes(11 << 20, 5);
        using var transfer = new TransferUtility(s3);
        await transfer.UploadAsync(new TransferUtilityUploadRequest { BucketName = bucket, Key = "mp", InputStream = new MemoryStream(objects["mp"]), PartSize = 5 << 20 });
        return objects;
    }

    private static async Task ReadAllBackAsync(AmazonS3Client s3, string bucket, Dictionary<string, byte[]> objects)
    {
        foreach (var (key, expected) in objects)
        {
            byte[] actual = await s3.GetBytesAsync(bucket, key);
            Assert.True(expected.AsSpan().SequenceEqual(actual), $"{key} differs");
        }
    }

    /// <summary>Flips one byte in the data section of every shard file whose name ends in one of the indexes.</summary>
    private static int Rot(DevServer server, params string[] indexes)
    {
        int rotted = 0;
        foreach (var file in server.ShardFiles().Where(f => indexes.Any(i => f.EndsWith("." + i, StringComparison.Ordinal))))
        {
            using var stream = new FileStream(file, FileMode.Open, FileAccess.ReadWrite);
            if (stream.Length <= 40)
            {
                continue;
            }
            stream.Position = 3;
            int b = stream.ReadByte();
            stream.Position = 3;
            stream.WriteByte((byte)(b ^ 0x10));
            rotted++;
        }
        return rotted;
    }

    [Theory]
    [InlineData("0")]
    [InlineData("1048576")]
    public async Task ScrubFindsEveryRottedShardHealRepairsThemAndASecondScrubFindsNone(string replicateUpTo)
    {
        await using var server = await DevServer.StartAsync("4+2", settings: Layout(replicateUpTo));
        using var s3 = server.Client();
        var objects = await WriteObjectsAsync(s3, "rot");
        int rotted = Rot(server, "01", "04"); // up to m = 2 shards of every object

        var scrub = await RunJobAsync(server, "scrub");
        Assert.Contains($"\"bad\":{rotted}", scrub.Result, StringComparison.Ordinal);
        await ReadAllBackAsync(s3, "rot", objects);

        // The scrub queued a heal of what it found; one more runs after it, and finds nothing left.
        await RunJobAsync(server, "heal", "degraded");
        var jobs = await server.Catalogue.Jobs.ListAsync(10);
        Assert.Contains(jobs, j => j.Kind == "heal" && j.Result is { } r && r.Contains($"\"healed\":{objects.Count}", StringComparison.Ordinal));
        Assert.Equal(0, await server.Catalogue.Shards.CountDegradedAsync());
        var again = await RunJobAsync(server, "scrub");
        Assert.Contains("\"bad\":0", again.Result, StringComparison.Ordinal);
        await ReadAllBackAsync(s3, "rot", objects);
    }

    [Fact]
    public async Task AnObjectBeyondRepairDoesNotStopTheHealOfTheOthers()
    {
        await using var server = await DevServer.StartAsync("4+2", settings: Fast);
        using var s3 = server.Client();
        await s3.PutBucketAsync("mix");
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = "mix", Key = "a-lost", InputStream = new MemoryStream(TestData.Bytes(200_000, 1)) });
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = "mix", Key = "b-healable", InputStream = new MemoryStream(TestData.Bytes(200_000, 2)) });
        string ShardFile(string key, int index)
        {
            var layout = server.Catalogue.Objects.GetAsync("mix", key).GetAwaiter().GetResult()!.Parts[0].Layout;
            return server.Stores.Single(st => st.Id == layout.Placement[index]).PathOf(Core.ShardId.For(layout.DataId, index));
        }
        foreach (int index in new[] { 0, 1, 2 })
        {
            File.Delete(ShardFile("a-lost", index)); // three of six: more than m, beyond repair
        }
        string healable = ShardFile("b-healable", 3);
        File.Delete(healable);

        var heal = await RunJobAsync(server, "heal", "mix");
        Assert.Equal("succeeded", heal.State);
        Assert.Contains("\"checkedLayouts\":2", heal.Result, StringComparison.Ordinal);
        Assert.Contains("\"healed\":1", heal.Result, StringComparison.Ordinal);
        Assert.True(File.Exists(healable));
    }

    [Theory]
    [InlineData("0")]
    [InlineData("1048576")]
    public async Task AWipedStoreIsRestoredToFullRedundancy(string replicateUpTo)
    {
        await using var server = await DevServer.StartAsync("4+2", settings: Layout(replicateUpTo));
        using var s3 = server.Client();
        var objects = await WriteObjectsAsync(s3, "wipe");
        Directory.Delete(Path.Combine(server.DataDir, "store-03", "shards"), recursive: true);
        await ReadAllBackAsync(s3, "wipe", objects); // readable all along

        var heal = await RunJobAsync(server, "heal", "wipe");
        Assert.True(heal.ItemsDone > 0);
        // Full redundancy again: two other stores lost now, and every byte still reads back.
        foreach (var store in new[] { "store-00", "store-05" })
        {
            Directory.Delete(Path.Combine(server.DataDir, store, "shards"), recursive: true);
        }
        await ReadAllBackAsync(s3, "wipe", objects);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("1048576")]
    public async Task GcDeletesOrphanedShardsAndNothingElse(string replicateUpTo)
    {
        await using var server = await DevServer.StartAsync("2+1", settings: Layout(replicateUpTo));
        using var s3 = server.Client();
        var objects = await WriteObjectsAsync(s3, "gc-bucket");
        int live = server.ShardFiles().Count;
        // A crash between shard commit and catalogue commit leaves shards nothing names.
        var template = server.ShardFiles()[0];
        string orphanId = Core.ShardId.NewDataId();
        for (int i = 0; i < 3; i++)
        {
            string orphan = server.Stores[i].PathOf(Core.ShardId.For(orphanId, i));
            Directory.CreateDirectory(Path.GetDirectoryName(orphan)!);
            File.Copy(template, orphan);
            File.SetLastWriteTimeUtc(orphan, DateTime.UtcNow.AddHours(-2));
        }
        Assert.Equal(live + 3, server.ShardFiles().Count);

        var gc = await RunJobAsync(server, "gc");
        Assert.Contains("\"orphansDeleted\":3", gc.Result, StringComparison.Ordinal);
        Assert.Equal(live, server.ShardFiles().Count);
        await ReadAllBackAsync(s3, "gc-bucket", objects);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("1048576")]
    public async Task ARebalanceSpreadsExistingObjectsOntoStoresAddedLater(string replicateUpTo)
    {
        string dataDir = Directory.CreateTempSubdirectory("objstore-grow-").FullName;
        Dictionary<string, byte[]> objects;
        var first = await DevServer.StartAsync("4+2", dataDir, new Dictionary<string, string?>(Layout(replicateUpTo)) { ["Stores"] = "6" });
        using (var s3 = first.Client())
        {
            objects = await WriteObjectsAsync(s3, "grow");
            // Enough layouts that each added store is sure to rank among some object's stores: placement is by data
            // id, random, and with only the five above an added store got no shard in about one run in a hundred.
            for (int i = 0; i < 24; i++)
            {
                objects[$"small/{i}"] = TestData.Bytes(1024, i);
                await s3.PutObjectAsync(new PutObjectRequest { BucketName = "grow", Key = $"small/{i}", InputStream = new MemoryStream(objects[$"small/{i}"]) });
            }
        }
        await first.StopAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();

        // Two stores added: new objects would use them; the existing ones move onto them only when asked.
        await using var second = await DevServer.StartAsync("4+2", dataDir, new Dictionary<string, string?>(Layout(replicateUpTo)) { ["Stores"] = "8" });
        int ShardsOn(string store) => Directory.Exists(Path.Combine(dataDir, store, "shards"))
            ? Directory.EnumerateFiles(Path.Combine(dataDir, store, "shards"), "*", SearchOption.AllDirectories).Count() : 0;
        int total = second.ShardFiles().Count;
        Assert.Equal(0, ShardsOn("store-06") + ShardsOn("store-07"));

        var rebalance = await RunJobAsync(second, "rebalance");
        Assert.DoesNotContain("\"shardsMoved\":0", rebalance.Result, StringComparison.Ordinal);
        Assert.Contains("\"layoutsSkipped\":0", rebalance.Result, StringComparison.Ordinal);
        Assert.True(ShardsOn("store-06") > 0 && ShardsOn("store-07") > 0, "nothing moved onto the added stores");
        Assert.Equal(total, second.ShardFiles().Count); // moved, not copied: the old shards are gone
        Assert.Empty(second.TempFiles());
        using var client = second.Client();
        await ReadAllBackAsync(client, "grow", objects);
        var scrub = await RunJobAsync(second, "scrub");
        Assert.Contains("\"bad\":0", scrub.Result, StringComparison.Ordinal);

        var again = await RunJobAsync(second, "rebalance"); // where everything already is where it belongs
        Assert.Contains("\"shardsMoved\":0", again.Result, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("1048576")]
    public async Task TheCatalogueIsRebuiltFromShardFootersAlone(string replicateUpTo)
    {
        string dataDir = Directory.CreateTempSubdirectory("objstore-rebuild-").FullName;
        Dictionary<string, byte[]> objects;
        string multipartETag, compositeChecksum;
        var first = await DevServer.StartAsync("4+2", dataDir, Layout(replicateUpTo));
        using (var s3 = first.Client())
        {
            objects = await WriteObjectsAsync(s3, "lost");
            var put = new PutObjectRequest { BucketName = "lost", Key = "dir/with meta", ContentBody = "metadata matters", ContentType = "text/x-kept" };
            put.Metadata["colour"] = "blue";
            await s3.PutObjectAsync(put);
            objects["dir/with meta"] = "metadata matters"u8.ToArray();
            await s3.PutObjectAsync(new PutObjectRequest { BucketName = "lost", Key = "cold", ContentBody = "archived", StorageClass = S3StorageClass.StandardInfrequentAccess });
            objects["cold"] = "archived"u8.ToArray();
            await s3.PutObjectAsync(new PutObjectRequest { BucketName = "lost", Key = "a", ContentBody = "overwritten" }); // the newest version wins
            objects["a"] = "overwritten"u8.ToArray();
            string id = (await s3.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest { BucketName = "lost", Key = "multi", ContentType = "video/x-parts" })).UploadId;
            byte[] one = TestData.Bytes(5 << 20, 40), two = TestData.Bytes(1234, 41);
            var p1 = await s3.UploadPartAsync(new UploadPartRequest { BucketName = "lost", Key = "multi", UploadId = id, PartNumber = 1, InputStream = new MemoryStream(one) });
            var p2 = await s3.UploadPartAsync(new UploadPartRequest { BucketName = "lost", Key = "multi", UploadId = id, PartNumber = 2, InputStream = new MemoryStream(two) });
            multipartETag = (await s3.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
            {
                BucketName = "lost", Key = "multi", UploadId = id, PartETags = [new PartETag(1, p1.ETag), new PartETag(2, p2.ETag)],
            })).ETag;
            objects["multi"] = [.. one, .. two];
            string sha = (await s3.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest
            {
                BucketName = "lost", Key = "multi-sha", ChecksumAlgorithm = ChecksumAlgorithm.SHA256,
            })).UploadId;
            var s1 = await s3.UploadPartAsync(new UploadPartRequest
            {
                BucketName = "lost", Key = "multi-sha", UploadId = sha, PartNumber = 1, InputStream = new MemoryStream(one), ChecksumAlgorithm = ChecksumAlgorithm.SHA256,
            });
            var s2 = await s3.UploadPartAsync(new UploadPartRequest
            {
                BucketName = "lost", Key = "multi-sha", UploadId = sha, PartNumber = 2, InputStream = new MemoryStream(two), ChecksumAlgorithm = ChecksumAlgorithm.SHA256,
            });
            compositeChecksum = (await s3.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
            {
                BucketName = "lost", Key = "multi-sha", UploadId = sha,
                PartETags = [new PartETag { PartNumber = 1, ETag = s1.ETag, ChecksumSHA256 = s1.ChecksumSHA256 }, new PartETag { PartNumber = 2, ETag = s2.ETag, ChecksumSHA256 = s2.ChecksumSHA256 }],
            })).ChecksumSHA256;
            Assert.EndsWith("-2", compositeChecksum, StringComparison.Ordinal);
            objects["multi-sha"] = [.. one, .. two];
        }
        await StopAndLoseCatalogueAsync(first);

        await using var second = await DevServer.StartAsync("4+2", dataDir, Layout(replicateUpTo));
        using var again = second.Client();
        Assert.Empty((await again.ListBucketsAsync()).Buckets ?? []);
        var rebuild = await RunJobAsync(second, "rebuild-metadata");
        Assert.Contains($"\"objectsRestored\":{objects.Count}", rebuild.Result, StringComparison.Ordinal);

        await ReadAllBackAsync(again, "lost", objects);
        var meta = await again.GetObjectMetadataAsync("lost", "dir/with meta");
        Assert.Equal("text/x-kept", meta.Headers.ContentType);
        Assert.Equal("blue", meta.Metadata["colour"]);
        Assert.Equal(S3StorageClass.StandardInfrequentAccess, (await again.GetObjectMetadataAsync("lost", "cold")).StorageClass);
        var multi = await again.GetObjectMetadataAsync("lost", "multi");
        Assert.Equal(multipartETag, multi.ETag);
        Assert.Equal("video/x-parts", multi.Headers.ContentType);
        var withChecksum = await again.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = "lost", Key = "multi-sha", ChecksumMode = ChecksumMode.ENABLED });
        Assert.Equal(compositeChecksum, withChecksum.ChecksumSHA256);
        var listed = await again.ListObjectsV2Async(new ListObjectsV2Request { BucketName = "lost" });
        Assert.Equal(objects.Keys.Order(StringComparer.Ordinal), listed.S3Objects.Select(o => o.Key));
    }

    [Theory]
    [InlineData("0")]
    [InlineData("1048576")]
    public async Task ACatalogueBackupKeptInTheStoreRestoresTheCatalogue(string replicateUpTo)
    {
        string dataDir = Directory.CreateTempSubdirectory("objstore-backup-").FullName;
        Dictionary<string, byte[]> objects;
        var first = await DevServer.StartAsync("4+2", dataDir, Layout(replicateUpTo));
        using (var s3 = first.Client())
        {
            objects = await WriteObjectsAsync(s3, "backed-up");
            var backup = await RunJobAsync(first, "backup");
            Assert.Contains("catalogue-backups/", backup.Result, StringComparison.Ordinal);
            // The system bucket is invisible and unreachable over S3.
            Assert.DoesNotContain((await s3.ListBucketsAsync()).Buckets, b => b.BucketName.StartsWith('_'));
        }
        await StopAndLoseCatalogueAsync(first);

        string? key = await Hosting.CatalogueRestore.RunAsync(new Dictionary<string, string?>
        {
            ["ObjStore:DataDir"] = dataDir,
            ["ObjStore:Erasure"] = "4+2",
            ["ObjStore:StripeSize"] = "65536",
        }, Hosting.StoreMode.Dev, target: null, force: false);
        Assert.NotNull(key);

        await using var second = await DevServer.StartAsync("4+2", dataDir, Layout(replicateUpTo));
        using var again = second.Client();
        await ReadAllBackAsync(again, "backed-up", objects);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("1048576")]
    public async Task ADrainedStoreHoldsNothingAndTakesNoNewShards(string replicateUpTo)
    {
        var settings = new Dictionary<string, string?>(Layout(replicateUpTo)) { ["Stores"] = "5" };
        await using var server = await DevServer.StartAsync("2+1", settings: settings);
        using var s3 = server.Client();
        var objects = await WriteObjectsAsync(s3, "drain");
        string drained = Path.Combine(server.DataDir, "store-02", "shards");
        // Placement is random: with six placements of 3 stores of 5, store-02 holds nothing about once in 250 runs.
        for (int i = 0; !Directory.EnumerateFiles(drained, "*", SearchOption.AllDirectories).Any(); i++)
        {
            Assert.True(i < 100, "store-02 never got a shard");
            objects[$"extra{i}"] = TestData.Bytes(10, i);
            await s3.PutObjectAsync(new PutObjectRequest { BucketName = "drain", Key = $"extra{i}", InputStream = new MemoryStream(objects[$"extra{i}"]) });
        }

        var job = await RunJobAsync(server, "drain", "store-02");
        Assert.Contains("\"shardsMoved\":", job.Result, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFiles(drained, "*", SearchOption.AllDirectories));
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = "drain", Key = "after", ContentBody = "new" });
        objects["after"] = "new"u8.ToArray();
        Assert.Empty(Directory.EnumerateFiles(drained, "*", SearchOption.AllDirectories));

        // The store can go: everything still reads with it gone, and with one more store lost (m = 1).
        Directory.Delete(Path.Combine(server.DataDir, "store-02"), recursive: true);
        Directory.Delete(Path.Combine(server.DataDir, "store-04", "shards"), recursive: true);
        await ReadAllBackAsync(s3, "drain", objects);
    }

    [Fact]
    public async Task TheAdminApiRefusesUnsignedRequests()
    {
        await using var server = await DevServer.StartAsync("2+1", settings: Fast);
        using var http = new HttpClient();
        using var response = await http.PostAsync($"{server.Url}/_objstore/admin/jobs?kind=gc", null);
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Empty(await server.Catalogue.Jobs.ListAsync(10));
    }
}
