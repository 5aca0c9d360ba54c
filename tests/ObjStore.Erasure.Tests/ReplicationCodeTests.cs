namespace ObjStore.Erasure.Tests;

/// <summary>
/// The code of replicated layouts: every shard a copy of the data, any one enough. Compared with Reed-Solomon at
/// k = 1, which is why a replicated layout records its own kind instead of being "RS with k = 1".
/// </summary>
public sealed class ReplicationCodeTests
{
    private static byte[] Data(int length, int seed)
    {
        var data = new byte[length];
        new Random(seed).NextBytes(data);
        return data;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(5)]
    public void EncodingCopiesTheDataIntoEveryParityShard(int copies)
    {
        var code = new ReplicationCode(copies);
        Assert.Equal((1, copies - 1, copies), (code.DataShards, code.ParityShards, code.TotalShards));
        byte[] data = Data(1000, copies);
        var parity = Enumerable.Range(0, copies - 1).Select(_ => new byte[1000]).ToArray();

        code.Encode([data], [.. parity.Select(p => (Memory<byte>)p)]);

        Assert.All(parity, p => Assert.Equal(data, p));
    }

    [Fact]
    public void ReedSolomonWithOneDataShardScalesItsParityWhereReplicationCopies()
    {
        byte[] data = Data(256, 7);
        var rs = new[] { new byte[256], new byte[256] };
        var copies = new[] { new byte[256], new byte[256] };

        new ReedSolomon(1, 2).Encode([data], [rs[0], rs[1]]);
        new ReplicationCode(3).Encode([data], [copies[0], copies[1]]);

        // Cauchy row 1/(i xor 0): shard 1 is 1/1 = 1 times the data (a copy), shard 2 is 1/2 times it (not a copy).
        Assert.Equal(data, rs[0]);
        Assert.NotEqual(data, rs[1]);
        Assert.Equal(data, copies[1]);
    }

    public static TheoryData<int, int[]> Survivors()
    {
        var data = new TheoryData<int, int[]>();
        foreach (int copies in new[] { 2, 3, 4 })
        {
            for (int mask = 1; mask < 1 << copies; mask++)
            {
                data.Add(copies, [.. Enumerable.Range(0, copies).Where(i => (mask & (1 << i)) != 0)]);
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Survivors))]
    public void AnyOneSurvivingCopyRebuildsEveryOther(int copies, int[] present)
    {
        var code = new ReplicationCode(copies);
        byte[] data = Data(777, copies * 100 + present.Length);
        var shards = Enumerable.Range(0, copies).Select(i => present.Contains(i) ? (byte[])data.Clone() : new byte[777]).ToArray();
        var flags = Enumerable.Range(0, copies).Select(present.Contains).ToArray();

        code.Reconstruct([.. shards.Select(s => (Memory<byte>)s)], flags);

        Assert.All(shards, s => Assert.Equal(data, s));
    }

    [Fact]
    public void DataOnlyReconstructionLeavesMissingCopiesAlone()
    {
        var code = new ReplicationCode(3);
        byte[] data = Data(100, 1);
        var shards = new[] { new byte[100], new byte[100], (byte[])data.Clone() };

        code.Reconstruct([shards[0], shards[1], shards[2]], [false, false, true], dataOnly: true);

        Assert.Equal(data, shards[0]);
        Assert.Equal(new byte[100], shards[1]);
    }

    [Fact]
    public void NoSurvivingCopyIsTooFewShards()
    {
        var code = new ReplicationCode(3);
        var lost = Assert.Throws<TooFewShardsException>(() => code.Reconstruct([new byte[8], new byte[8], new byte[8]], [false, false, false]));
        Assert.Equal((0, 1), (lost.Present, lost.Needed));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(257)]
    public void ImpossibleCopyCountsAreRefused(int copies)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new ReplicationCode(copies));
    }

    [Fact]
    public void ShardsOfDifferentLengthsAreRefused()
    {
        var code = new ReplicationCode(2);
        Assert.Throws<ArgumentException>(() => code.Encode([new byte[10]], [new byte[11]]));
        Assert.Throws<ArgumentException>(() => code.Reconstruct([new byte[10], new byte[11]], [false, true]));
    }

    [Theory]
    [InlineData(64)]
    [InlineData(1000)]
    [InlineData(4096)]
    public void ThroughStripeBuffersEveryShardIsTheObjectAndAnyOneJoinsIt(int stripeSize)
    {
        var code = new ReplicationCode(3);
        var layout = new StripeLayout(1, 2, stripeSize);
        foreach (int size in new[] { 0, 1, 63, layout.StripeDataSize, layout.StripeDataSize + 1, (3 * layout.StripeDataSize) + 17 })
        {
            byte[] original = Data(size, size);
            var shards = StripeTests.Split(code, layout, original);

            // Every copy is byte for byte the same file body: the object's bytes in blocks, each with its checksum.
            Assert.All(shards, s => Assert.Equal(shards[0], s));
            Assert.Equal(layout.ShardDataLength(size), shards[0].Length);
            foreach (int survivor in new[] { 0, 1, 2 })
            {
                var lost = new[] { 0, 1, 2 }.Where(i => i != survivor).ToHashSet();
                Assert.Equal(original, StripeTests.Join(code, layout, shards, size, 0, size, lost));
            }
        }
    }

    [Fact]
    public void ABitFlipInACopyIsFoundByItsBlockChecksumAndTheBlockRebuiltFromAnother()
    {
        var code = new ReplicationCode(3);
        var layout = new StripeLayout(1, 2, 4096);
        byte[] original = Data(4096, 9);
        var shards = StripeTests.Split(code, layout, original);
        shards[0][1234] ^= 0x08;

        using var stripe = new StripeBuffer(code, layout);
        stripe.BeginRead(4096);
        var present = new bool[3];
        for (int i = 0; i < 3; i++)
        {
            shards[i].AsSpan(0, 4096).CopyTo(stripe.Block(i).Span);
            present[i] = stripe.VerifyBlock(i, shards[i].AsSpan(4096, StripeLayout.ChecksumSize));
        }
        Assert.Equal([false, true, true], present);
        stripe.Rebuild(present);
        Assert.Equal(original, stripe.Data.ToArray());
    }
}
