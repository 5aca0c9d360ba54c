
namespace ObjStore.Erasure.Tests;

public class StripeTests
{
    [Theory]
    [InlineData(4, 2, 1 << 20)]
    [InlineData(3, 2, 1000)]
    [InlineData(1, 0, 64)]
    [InlineData(6, 3, 4096)]
    public void SplitEncodeDropAndJoinRoundTripsRandomSizesAndRanges(int k, int m, int stripeSize)
    {
        var random = new Random(k * 31 + stripeSize);
        var codec = new ReedSolomon(k, m);
        var layout = new StripeLayout(k, m, stripeSize);
        foreach (long size in new long[] { 0, 1, layout.StripeDataSize - 1, layout.StripeDataSize, layout.StripeDataSize + 1, 3 * layout.StripeDataSize + 17, random.Next(1, 5 * layout.StripeDataSize) })
        {
            var original = new byte[size];
            random.NextBytes(original);
            var shards = Split(codec, layout, original);
            Assert.All(shards, s => Assert.Equal(layout.ShardDataLength(size), s.Length));

            for (int trial = 0; trial < 5; trial++)
            {
                long start = size == 0 ? 0 : random.NextInt64(size);
                long end = size == 0 ? 0 : random.NextInt64(start, size + 1);
                var lost = Enumerable.Range(0, k + m).OrderBy(_ => random.Next()).Take(random.Next(0, m + 1)).ToHashSet();
                var joined = Join(codec, layout, shards, size, start, end, lost);
                Assert.True(original.AsSpan((int)start, (int)(end - start)).SequenceEqual(joined), $"size {size} range {start}-{end}");
            }
        }
    }

    [Fact]
    public void ShortLastStripeUsesSmallBlocks()
    {
        var layout = new StripeLayout(4, 2, 1 << 20);
        Assert.Equal(256 * 1024, layout.BlockSize);
        Assert.Equal(1, layout.StripeCount(1000));
        Assert.Equal(250, layout.BlockLength(1000));
        Assert.Equal(250 + StripeLayout.ChecksumSize, layout.ShardDataLength(1000));
        Assert.Equal(0, layout.ShardDataLength(0));
    }

    [Fact]
    public void ChecksumMismatchIsDetectedAndRepairedFromParity()
    {
        var codec = new ReedSolomon(4, 2);
        var layout = new StripeLayout(4, 2, 4096);
        var original = new byte[10_000];
        new Random(5).NextBytes(original);
        var shards = Split(codec, layout, original);
        shards[1][100] ^= 0x01; // bit rot in shard 1's first block

        using var stripe = new StripeBuffer(codec, layout);
        stripe.BeginRead(layout.StripeDataLength(original.Length, 0));
        var present = new bool[6];
        for (int i = 0; i < 6; i++)
        {
            shards[i].AsSpan(0, stripe.BlockLength).CopyTo(stripe.Block(i).Span);
            present[i] = stripe.VerifyBlock(i, shards[i].AsSpan(stripe.BlockLength, StripeLayout.ChecksumSize));
        }
        Assert.Equal([true, false, true, true, true, true], present);
        stripe.Rebuild(present);
        Assert.True(original.AsSpan(0, stripe.DataLength).SequenceEqual(stripe.Data.Span));
    }

    internal static byte[][] Split(IErasureCode codec, StripeLayout layout, byte[] data)
    {
        using var stripe = new StripeBuffer(codec, layout);
        var shards = Enumerable.Range(0, layout.TotalShards).Select(_ => new MemoryStream()).ToArray();
        Span<byte> checksum = stackalloc byte[StripeLayout.ChecksumSize];
        for (long offset = 0; offset < data.Length; offset += layout.StripeDataSize)
        {
            int length = (int)Math.Min(layout.StripeDataSize, data.Length - offset);
            data.AsSpan((int)offset, length).CopyTo(stripe.DataRegion.Span);
            stripe.Seal(length);
            for (int i = 0; i < shards.Length; i++)
            {
                shards[i].Write(stripe.Block(i).Span);
                stripe.WriteChecksum(i, checksum);
                shards[i].Write(checksum);
            }
        }
        return shards.Select(s => s.ToArray()).ToArray();
    }

    internal static byte[] Join(IErasureCode codec, StripeLayout layout, byte[][] shards, long size, long start, long end, HashSet<int> lost)
    {
        using var stripe = new StripeBuffer(codec, layout);
        var output = new MemoryStream();
        var present = new bool[layout.TotalShards];
        for (long s = start / layout.StripeDataSize; s * layout.StripeDataSize < end; s++)
        {
            stripe.BeginRead(layout.StripeDataLength(size, s));
            for (int i = 0; i < layout.TotalShards; i++)
            {
                present[i] = !lost.Contains(i);
                if (present[i])
                {
                    shards[i].AsSpan((int)layout.BlockOffset(s), stripe.BlockLength).CopyTo(stripe.Block(i).Span);
                }
            }
            stripe.Rebuild(present);
            long stripeStart = s * layout.StripeDataSize;
            int from = (int)Math.Max(0, start - stripeStart);
            int to = (int)Math.Min(stripe.DataLength, end - stripeStart);
            output.Write(stripe.Data.Span[from..to]);
        }
        return output.ToArray();
    }
}
