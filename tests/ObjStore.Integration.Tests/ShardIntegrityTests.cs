using System.Buffers.Binary;
using System.IO.Hashing;
using Amazon.S3.Model;
using ObjStore.Erasure;
using ObjStore.Core.Jobs;
using ObjStore.Storage.Format;

namespace ObjStore.Integration.Tests;

/// <summary>
/// Shards whose content was replaced by someone who can recompute the block checksums (XxHash3 is no secret) but not
/// the footer's keyed digest: scrub finds them, and heal restores them byte for byte.
/// </summary>
public sealed class ShardIntegrityTests
{
    private static readonly Dictionary<string, string?> Fast = new()
    {
        ["Maintenance:ScrubBytesPerSecond"] = "0",
        ["Maintenance:HealBytesPerSecond"] = "0",
        ["Maintenance:JobPollInterval"] = "00:00:00.100",
        ["Maintenance:AutoHealInterval"] = "01:00:00",
    };

    private const int StripeSize = 65_536; // DevServer's

    private static async Task<(byte[] Data, string ShardFile)> WriteOneObjectAsync(DevServer server, string index)
    {
        using var s3 = server.Client();
        await s3.PutBucketAsync("forged");
        var data = new byte[200_000];
        new Random(7).NextBytes(data);
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = "forged", Key = "x", InputStream = new MemoryStream(data) });
        return (data, Assert.Single(server.ShardFiles(), f => f.EndsWith("." + index, StringComparison.Ordinal)));
    }

    /// <summary>A ranged GET of the whole object (so the SDK does not check the bytes against the ETag itself).</summary>
    private static async Task<byte[]> GetAsync(DevServer server)
    {
        using var s3 = server.Client();
        return await s3.GetBytesAsync("forged", "x", new ByteRange(0, 199_999));
    }

    /// <summary>Overwrites the first block of a shard file and stores its XxHash3 as the store does: it passes every block check.</summary>
    private static void Forge(string shardFile)
    {
        var layout = new StripeLayout(4, 2, StripeSize);
        int blockLength = layout.BlockLength(layout.StripeDataLength(200_000, 0));
        var bytes = File.ReadAllBytes(shardFile);
        var block = bytes.AsSpan((int)layout.BlockOffset(0), blockLength);
        block.Fill((byte)'A');
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan((int)layout.BlockOffset(0) + blockLength), XxHash3.HashToUInt64(block));
        Assert.True(StripeBuffer.ChecksumMatches(block, bytes.AsSpan((int)layout.BlockOffset(0) + blockLength, StripeLayout.ChecksumSize)));
        File.WriteAllBytes(shardFile, bytes);
    }

    [Fact]
    public async Task ScrubFindsAShardForgedWithRecomputedChecksumsAndHealRestoresItByteForByte()
    {
        await using var server = await DevServer.StartAsync("4+2", settings: Fast);
        var (data, shardFile) = await WriteOneObjectAsync(server, "01"); // a data shard: GETs read it
        byte[] original = File.ReadAllBytes(shardFile);
        Forge(shardFile);
        Assert.NotEqual(data, await GetAsync(server)); // the attack: block checksums alone let the forgery through

        var scrub = await RawS3.RunJobAsync(server.Url, "scrub");
        Assert.True(scrub.State == JobStates.Succeeded, scrub.LastError);
        Assert.Contains("\"bad\":1", scrub.Result, StringComparison.Ordinal);
        var heal = await RawS3.RunJobAsync(server.Url, "heal", "degraded");
        Assert.True(heal.State == JobStates.Succeeded, heal.LastError);
        Assert.Equal(original, File.ReadAllBytes(shardFile));
        Assert.Equal(data, await GetAsync(server));
        var again = await RawS3.RunJobAsync(server.Url, "scrub");
        Assert.Contains("\"bad\":0", again.Result, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FootersCarryADigestUnderAFixedNameAndAFooterWithoutOneIsCorrupt()
    {
        await using var server = await DevServer.StartAsync("4+2", settings: Fast);
        var (_, shardFile) = await WriteOneObjectAsync(server, "05"); // a parity shard
        var bytes = File.ReadAllBytes(shardFile);
        var footer = ShardFooter.Parse(bytes)!;
        Assert.Equal(2, footer.FormatVersion);
        Assert.Matches("^[0-9a-f]{64}$", footer.Digest);
        Assert.Contains("\"digest\":\"" + footer.Digest + "\"", footer.ToString(), StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(server.DataDir, ShardDigest.KeyFileName)));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(server.DataDir, ShardDigest.KeyFileName)));
        }

        // The same shard with a format-1 footer (no digest): scrub reports it.
        var layout = new StripeLayout(4, 2, StripeSize);
        long dataLength = layout.ShardDataLength(200_000);
        var legacy = (footer with { FormatVersion = 1, Digest = null }).Serialize();
        File.WriteAllBytes(shardFile, [.. bytes.AsSpan(0, (int)dataLength), .. legacy]);
        var scrub = await RawS3.RunJobAsync(server.Url, "scrub");
        Assert.Contains("\"bad\":1", scrub.Result, StringComparison.Ordinal);
    }
}
