using System.Security.Cryptography;
using ObjStore.Objects;

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
