using System.Security.Cryptography;
using ObjStore.Storage.Format;

namespace ObjStore.Integration.Tests;

/// <summary>The footer digest binds each block to its shard, its position and the key, not only to its bytes.</summary>
public class ShardDigestTests
{
    private static readonly byte[] Key = RandomNumberGenerator.GetBytes(ShardDigest.KeySize);
    private const string Shard = "0123456789abcdef0123456789abcdef.01";
    private static readonly byte[][] Blocks = [RandomNumberGenerator.GetBytes(4096), RandomNumberGenerator.GetBytes(4096), RandomNumberGenerator.GetBytes(100)];
    private static readonly byte[][] Checksums = [RandomNumberGenerator.GetBytes(8), RandomNumberGenerator.GetBytes(8), RandomNumberGenerator.GetBytes(8)];

    private static string Digest(byte[] key, string shardId, IEnumerable<int> order, Action<byte[][]>? tamper = null)
    {
        var blocks = Blocks.Select(b => (byte[])b.Clone()).ToArray();
        tamper?.Invoke(blocks);
        using var digest = ShardDigest.Create(key, shardId);
        foreach (int i in order)
        {
            digest.AppendStripe(blocks[i], Checksums[i]);
        }
        return digest.Finish();
    }

    private static string? Check(string stored, Func<ShardDigest, ShardDigest> feed)
    {
        using var digest = feed(ShardDigest.Create(Key, Shard));
        return digest.Check(new ShardFooter
        {
            Bucket = "b", Key = "k", DataId = Shard[..32], Index = 1, DataShards = 2, ParityShards = 1, StripeSize = 8192,
            Size = 1, ETag = "e", Created = DateTimeOffset.UnixEpoch, Digest = stored,
        });
    }

    [Fact]
    public void TheSameBytesInTheSameShardGiveTheSameDigestAndAnythingElseAnother()
    {
        string digest = Digest(Key, Shard, [0, 1, 2]);
        Assert.Equal(digest, Digest(Key, Shard, [0, 1, 2]));
        Assert.Equal(64, digest.Length);
        Assert.NotEqual(digest, Digest(Key, Shard, [1, 0, 2]));                      // stripes swapped
        Assert.NotEqual(digest, Digest(Key, Shard, [0, 1]));                         // truncated
        Assert.NotEqual(digest, Digest(Key, "0123456789abcdef0123456789abcdef.02", [0, 1, 2])); // another shard's bytes
        Assert.NotEqual(digest, Digest(RandomNumberGenerator.GetBytes(32), Shard, [0, 1, 2]));   // another key
        Assert.NotEqual(digest, Digest(Key, Shard, [0, 1, 2], blocks => blocks[1][4000] ^= 1)); // one bit flipped
    }

    [Fact]
    public void CheckAcceptsOnlyTheDigestOfWhatWasFed()
    {
        string digest = Digest(Key, Shard, [0, 1, 2]);
        ShardDigest FeedAll(ShardDigest d)
        {
            for (int i = 0; i < 3; i++)
            {
                d.AppendStripe(Blocks[i], Checksums[i]);
            }
            return d;
        }
        Assert.Null(Check(digest, FeedAll));
        Assert.Contains("mismatch", Check(digest, d => d), StringComparison.Ordinal);
        Assert.Contains("malformed", Check("zz", FeedAll), StringComparison.Ordinal);
    }
}

/// <summary>The shard PUT's body MAC is the same however the body was cut, and different for any other body.</summary>
public class BodyMacTests
{
    private static readonly byte[] Key = RandomNumberGenerator.GetBytes(32);

    private static byte[] Mac(byte[] key, byte[] body, IEnumerable<int> cuts)
    {
        using var mac = new ObjStore.Storage.Remote.BodyMac(key);
        int at = 0;
        foreach (int cut in cuts.Append(body.Length))
        {
            mac.Append(body.AsSpan(at, cut - at));
            at = cut;
        }
        var result = new byte[ObjStore.Storage.Remote.BodyMac.Size];
        mac.Finish(result);
        return result;
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(65536)]
    [InlineData(65537)]
    [InlineData(300_001)]
    public void CutsDoNotMatterAndContentDoes(int size)
    {
        var body = RandomNumberGenerator.GetBytes(size);
        var whole = Mac(Key, body, []);
        var random = new Random(size);
        for (int trial = 0; trial < 5; trial++)
        {
            var cuts = Enumerable.Range(0, random.Next(0, 20)).Select(_ => random.Next(0, size + 1)).Order().ToList();
            Assert.Equal(whole, Mac(Key, body, cuts));
        }
        Assert.NotEqual(whole, Mac(RandomNumberGenerator.GetBytes(32), body, []));
        if (size > 0)
        {
            Assert.NotEqual(whole, Mac(Key, body[..^1], []));
            var flipped = (byte[])body.Clone();
            flipped[random.Next(size)] ^= 0x40;
            Assert.NotEqual(whole, Mac(Key, flipped, []));
        }
        Assert.NotEqual(whole, Mac(Key, [.. body, 0], []));
    }
}
