using System.Net;
using System.Security.Cryptography;
using Amazon.S3;
using Amazon.S3.Model;
using LayoutKind = ObjStore.Core.LayoutKind;
using ObjectLayout = ObjStore.Core.ObjectLayout;
using ShardId = ObjStore.Core.ShardId;
using ObjStore.Storage.Format;

using static ObjStore.Integration.Tests.Maintenance;

namespace ObjStore.Integration.Tests;

/// <summary>
/// Small objects stored as copies (1+2 at 4+2), through a real S3 client: both sides of the threshold, a copy deleted
/// or rotted (read around, found by scrub, healed by copying a good one), m and m+1 stores lost, and objects of both
/// layouts readable whatever the threshold is changed to later.
/// </summary>
public class ReplicatedFaultTests
{
    private static Dictionary<string, string?> Replicating(long upTo) => new(Fast) { ["ReplicateUpTo"] = upTo.ToString(System.Globalization.CultureInfo.InvariantCulture) };

    private static async Task<ObjectLayout> LayoutOfAsync(DevServer server, string bucket, string key) =>
        (await server.Catalogue.Objects.GetAsync(bucket, key))!.Parts[0].Layout;

    private static string FileOf(DevServer server, ObjectLayout layout, int index) =>
        server.Stores.Single(s => s.Id == layout.Placement[index]).PathOf(ShardId.For(layout.DataId, index));

    private static void FlipBit(string file, long offset)
    {
        using var stream = new FileStream(file, FileMode.Open, FileAccess.ReadWrite);
        stream.Position = offset;
        int b = stream.ReadByte();
        stream.Position = offset;
        stream.WriteByte((byte)(b ^ 0x04));
    }

    private static async Task AssertUnavailableAsync(IAmazonS3 s3, string bucket, string key)
    {
        var failure = await Record.ExceptionAsync(() => s3.GetBytesAsync(bucket, key));
        // The same answer a striped object gives: an S3 error (503, clients retry) or a cut connection, never wrong bytes.
        Assert.NotNull(failure);
        if (failure is AmazonS3Exception s3Error)
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, s3Error.StatusCode);
        }
    }

    [Fact]
    public async Task ObjectsOnBothSidesOfTheThresholdReadBackWholeAndRanged()
    {
        await using var server = await DevServer.StartAsync("4+2", settings: Replicating(4096));
        using var s3 = server.Client();
        await s3.PutBucketAsync("sizes");
        foreach (var (size, kind, files) in new[]
        {
            (0, LayoutKind.Replicated, 3), (1, LayoutKind.Replicated, 3), (4095, LayoutKind.Replicated, 3),
            (4096, LayoutKind.Replicated, 3), (4097, LayoutKind.Striped, 6), (100_000, LayoutKind.Striped, 6),
        })
        {
            string key = $"obj-{size}";
            byte[] data = TestData.Bytes(size, size + 1);
            var put = await s3.PutObjectAsync(new PutObjectRequest { BucketName = "sizes", Key = key, InputStream = new MemoryStream(data) });
            Assert.Equal($"\"{Convert.ToHexStringLower(MD5.HashData(data))}\"", put.ETag);

            var layout = await LayoutOfAsync(server, "sizes", key);
            Assert.Equal(kind, layout.Kind);
            Assert.Equal(files, server.ShardFiles().Count(f => Path.GetFileName(f).StartsWith(layout.DataId, StringComparison.Ordinal)));
            Assert.Equal(data, await s3.GetBytesAsync("sizes", key));
            if (size > 0)
            {
                Assert.Equal(data[..1], await s3.GetBytesAsync("sizes", key, new ByteRange(0, 0)));
                Assert.Equal(data[^1..], await s3.GetBytesAsync("sizes", key, new ByteRange(size - 1, size - 1)));
                Assert.Equal(data[(size / 3)..(2 * size / 3 + 1)], await s3.GetBytesAsync("sizes", key, new ByteRange(size / 3, 2 * size / 3)));
            }
        }
    }

    [Fact]
    public async Task ACopyDeletedAndOneRottedAreReadAroundFoundByScrubAndHealedByCopying()
    {
        await using var server = await DevServer.StartAsync("4+2", settings: Replicating(65_536));
        using var s3 = server.Client();
        await s3.PutBucketAsync("copies");
        byte[] data = TestData.Bytes(40_000, 7);
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = "copies", Key = "obj", InputStream = new MemoryStream(data) });
        var layout = await LayoutOfAsync(server, "copies", "obj");
        Assert.Equal(LayoutKind.Replicated, layout.Kind);
        byte[] good = await File.ReadAllBytesAsync(FileOf(server, layout, 2));

        File.Delete(FileOf(server, layout, 0));
        FlipBit(FileOf(server, layout, 1), 20_000); // bit rot in the middle of copy 1's one block

        // Copy 0 is gone and copy 1's checksum does not match: copy 2 serves whole and ranged reads.
        Assert.Equal(data, await s3.GetBytesAsync("copies", "obj"));
        Assert.Equal(data[19_000..21_000], await s3.GetBytesAsync("copies", "obj", new ByteRange(19_000, 20_999)));

        var scrub = await RunJobAsync(server, "scrub");
        Assert.Contains("\"bad\":2", scrub.Result, StringComparison.Ordinal);
        await RunJobAsync(server, "heal", "degraded");
        Assert.Equal(0, await server.Catalogue.Shards.CountDegradedAsync());

        // Healed by copying: the same block and checksum as the good copy, each under a footer with its own index.
        int dataSection = 40_000 + 8;
        for (int index = 0; index < 2; index++)
        {
            byte[] healed = await File.ReadAllBytesAsync(FileOf(server, layout, index));
            Assert.Equal(good[..dataSection], healed[..dataSection]);
            var footer = ShardFooter.Parse(healed.AsSpan(dataSection));
            Assert.Equal((index, LayoutKind.Replicated, ShardFooter.ReplicatedFormat), (footer!.Index, footer.Layout, footer.FormatVersion));
        }
        Assert.Contains("\"bad\":0", (await RunJobAsync(server, "scrub")).Result, StringComparison.Ordinal);

        // Every copy lost: the error striping gives.
        for (int index = 0; index < 3; index++)
        {
            File.Delete(FileOf(server, layout, index));
        }
        await AssertUnavailableAsync(s3, "copies", "obj");
    }

    [Fact]
    public async Task MStoresLostLeaveEveryObjectReadableAndLosingTheThirdCopyFailsCleanly()
    {
        await using var server = await DevServer.StartAsync("4+2", settings: Replicating(65_536));
        using var s3 = server.Client();
        await s3.PutBucketAsync("stores");
        var objects = Enumerable.Range(0, 12).ToDictionary(i => $"k{i}", i => TestData.Bytes(100 + (i * 3000), i));
        foreach (var (key, data) in objects)
        {
            await s3.PutObjectAsync(new PutObjectRequest { BucketName = "stores", Key = key, InputStream = new MemoryStream(data) });
        }
        var target = await LayoutOfAsync(server, "stores", "k5");
        void Wipe(string storeId) => Directory.Delete(Path.Combine(server.Stores.Single(s => s.Id == storeId).Root, "shards"), recursive: true);

        // Two stores gone, both holding a copy of k5: every object still reads back.
        Wipe(target.Placement[0]);
        Wipe(target.Placement[1]);
        foreach (var (key, data) in objects)
        {
            Assert.Equal(data, await s3.GetBytesAsync("stores", key));
        }

        // The third store of k5's copies gone too: k5 fails as a striped object would; objects with a copy elsewhere read.
        Wipe(target.Placement[2]);
        await AssertUnavailableAsync(s3, "stores", "k5");
        foreach (var (key, data) in objects)
        {
            var layout = await LayoutOfAsync(server, "stores", key);
            if (layout.Placement.Except(target.Placement).Any())
            {
                Assert.Equal(data, await s3.GetBytesAsync("stores", key));
            }
        }
    }

    [Fact]
    public async Task ChangingTheThresholdLeavesEveryObjectReadableInItsOwnLayout()
    {
        string dataDir = Directory.CreateTempSubdirectory("objstore-threshold-").FullName;
        var written = new Dictionary<string, (byte[] Data, LayoutKind Kind)>();
        foreach (var (threshold, round) in new[] { (1L << 20, 0), (0L, 1), (4096L, 2) })
        {
            // Stopped, not disposed, between rounds: disposing deletes the data folder the next round reads.
            var server = await DevServer.StartAsync("4+2", dataDir, Replicating(threshold));
            using var s3 = server.Client();
            if (round == 0)
            {
                await s3.PutBucketAsync("mixed");
            }
            foreach (var (key, (data, kind)) in written)
            {
                Assert.Equal(data, await s3.GetBytesAsync("mixed", key));
                Assert.Equal(kind, (await LayoutOfAsync(server, "mixed", key)).Kind);
            }
            foreach (int size in new[] { 1000, 4096, 200_000 })
            {
                string key = $"round{round}/{size}";
                byte[] data = TestData.Bytes(size, (round * 10) + size);
                await s3.PutObjectAsync(new PutObjectRequest { BucketName = "mixed", Key = key, InputStream = new MemoryStream(data) });
                var kind = size <= threshold ? LayoutKind.Replicated : LayoutKind.Striped;
                Assert.Equal(kind, (await LayoutOfAsync(server, "mixed", key)).Kind);
                written[key] = (data, kind);
            }
            var listed = await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = "mixed" });
            Assert.Equal(written.Keys.Order(StringComparer.Ordinal), listed.S3Objects.Select(o => o.Key));
            if (round < 2)
            {
                await server.StopAsync();
                Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            }
            else
            {
                await server.DisposeAsync();
            }
        }
        Assert.Equal(4, written.Values.Count(v => v.Kind == LayoutKind.Striped));
        Assert.Equal(5, written.Values.Count(v => v.Kind == LayoutKind.Replicated));
    }

    [Fact]
    public async Task AFolderHoldingOnlyCopiesIsNotTakenForALayoutOfOnePlusM()
    {
        // A folder without its layout record is judged by its shards' footers; copies say 1+2, which is not the
        // folder's layout: only a striped shard may answer for it.
        var first = await DevServer.StartAsync("4+2", settings: Replicating(65_536));
        using (var s3 = first.Client())
        {
            await s3.PutBucketAsync("only-copies");
            await s3.PutObjectAsync(new PutObjectRequest { BucketName = "only-copies", Key = "k", ContentBody = "copied" });
        }
        await first.StopAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        File.Delete(Path.Combine(first.DataDir, "layout.json"));

        await using var again = await DevServer.StartAsync("4+2", first.DataDir, Replicating(65_536));
        using var client = again.Client();
        Assert.Equal("copied"u8.ToArray(), await client.GetBytesAsync("only-copies", "k"));
    }
}
