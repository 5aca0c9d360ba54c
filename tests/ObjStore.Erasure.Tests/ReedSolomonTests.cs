
namespace ObjStore.Erasure.Tests;

public class ReedSolomonTests
{
    public static TheoryData<SimdLevel> Levels => new() { SimdLevel.Scalar, SimdLevel.Vector128, SimdLevel.Vector256 };

    [Fact]
    public void EveryErasurePatternReconstructsForAllSmallLayouts()
    {
        const int length = 100; // one 64-byte vector pass plus a scalar tail
        var random = new Random(1);
        int patterns = 0;
        for (int k = 1; k <= 9; k++)
        {
            for (int m = 0; k + m <= 10; m++)
            {
                var codec = new ReedSolomon(k, m);
                var original = Shards(random, k + m, length);
                codec.Encode(AsReadOnly(original.AsSpan(0, k)), original.AsSpan(k));
                int n = k + m;
                for (int missingMask = 0; missingMask < 1 << n; missingMask++)
                {
                    if (System.Numerics.BitOperations.PopCount((uint)missingMask) > m)
                    {
                        continue;
                    }
                    var shards = original.Select(s => (Memory<byte>)s.ToArray()).ToArray();
                    var present = new bool[n];
                    for (int i = 0; i < n; i++)
                    {
                        present[i] = (missingMask & (1 << i)) == 0;
                        if (!present[i])
                        {
                            shards[i].Span.Fill(0xEE);
                        }
                    }
                    codec.Reconstruct(shards, present);
                    for (int i = 0; i < n; i++)
                    {
                        Assert.True(original[i].Span.SequenceEqual(shards[i].Span), $"{k}+{m} mask {missingMask:x} shard {i}");
                    }
                    patterns++;
                }
            }
        }
        Assert.True(patterns > 5000);
    }

    [Theory]
    [InlineData(16, 4)]
    [InlineData(20, 10)]
    [InlineData(64, 32)]
    [InlineData(200, 56)]
    [InlineData(255, 1)]
    public void RandomErasurePatternsReconstructLargeLayouts(int k, int m)
    {
        var random = new Random(k * 1000 + m);
        var codec = new ReedSolomon(k, m);
        var original = Shards(random, k + m, 129);
        codec.Encode(AsReadOnly(original.AsSpan(0, k)), original.AsSpan(k));
        for (int trial = 0; trial < 40; trial++)
        {
            var shards = original.Select(s => (Memory<byte>)s.ToArray()).ToArray();
            var present = Enumerable.Repeat(true, k + m).ToArray();
            foreach (int lost in Enumerable.Range(0, k + m).OrderBy(_ => random.Next()).Take(random.Next(1, m + 1)))
            {
                present[lost] = false;
                shards[lost].Span.Clear();
            }
            codec.Reconstruct(shards, present);
            for (int i = 0; i < k + m; i++)
            {
                Assert.True(original[i].Span.SequenceEqual(shards[i].Span), $"trial {trial} shard {i}");
            }
        }
    }

    [Fact]
    public void ParityMatchesAnIndependentCauchyComputation()
    {
        // Parity computed straight from the definition with a carry-less multiply, not the codec's tables:
        // p_i = sum_j d_j / ((k+i) xor j), ISA-L's gf_gen_cauchy1_matrix, so parity is byte-compatible with ISA-L.
        var random = new Random(7);
        const int k = 5, m = 3, length = 77;
        var codec = new ReedSolomon(k, m);
        var shards = Shards(random, k + m, length);
        codec.Encode(AsReadOnly(shards.AsSpan(0, k)), shards.AsSpan(k));
        for (int p = 0; p < m; p++)
        {
            for (int b = 0; b < length; b++)
            {
                int expected = 0;
                for (int j = 0; j < k; j++)
                {
                    expected ^= ReferenceField.Mul(ReferenceField.Inverse((k + p) ^ j), shards[j].Span[b]);
                }
                Assert.Equal(expected, shards[k + p].Span[b]);
            }
        }
    }

    [Fact]
    public void PinnedParityBytes()
    {
        // 4+2 over data shards filled with 1, 2, 3, 4: parity row i is sum over j of (j+1) / ((4+i) xor j) in GF(2^8)/0x11D, computed by hand.
        var codec = new ReedSolomon(4, 2);
        var data = Enumerable.Range(1, 4).Select(v => (ReadOnlyMemory<byte>)Enumerable.Repeat((byte)v, 8).ToArray()).ToArray();
        var parity = new Memory<byte>[] { new byte[8], new byte[8] };
        codec.Encode(data, parity);
        Assert.Equal(Enumerable.Repeat((byte)0x48, 8), parity[0].ToArray());
        Assert.Equal(Enumerable.Repeat((byte)0x0F, 8), parity[1].ToArray());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(15)]
    [InlineData(31)]
    [InlineData(33)]
    [InlineData(63)]
    [InlineData(64)]
    [InlineData(65)]
    [InlineData(4095)]
    [InlineData((1 << 20) + 7)]
    public void VectorPathsEqualScalarReference(int length)
    {
        var random = new Random(length);
        foreach (var (k, m) in new[] { (1, 1), (3, 2), (4, 2), (5, 5), (10, 4), (6, 9) })
        {
            foreach (int offset in new[] { 0, 1, 7 })
            {
                var inputs = Enumerable.Range(0, k).Select(_ => Random(random, length + offset)).ToArray();
                var data = inputs.Select(b => (ReadOnlyMemory<byte>)b.AsMemory(offset, length)).ToArray();
                byte[][]? reference = null;
                foreach (var level in new[] { SimdLevel.Scalar, SimdLevel.Vector128, SimdLevel.Vector256 })
                {
                    var outputs = Enumerable.Range(0, m).Select(_ => new byte[length + offset]).ToArray();
                    new ReedSolomon(k, m, level).Encode(data, outputs.Select(o => o.AsMemory(offset, length)).ToArray());
                    if (reference is null)
                    {
                        reference = outputs;
                        continue;
                    }
                    for (int p = 0; p < m; p++)
                    {
                        Assert.True(reference[p].AsSpan().SequenceEqual(outputs[p]), $"{level} {k}+{m} offset {offset} parity {p}");
                    }
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Levels))]
    public void ReconstructIsIdenticalOnEveryPath(SimdLevel level)
    {
        var random = new Random(3);
        var codec = new ReedSolomon(8, 4, level);
        var original = Shards(random, 12, 4095);
        codec.Encode(AsReadOnly(original.AsSpan(0, 8)), original.AsSpan(8));
        var shards = original.Select(s => (Memory<byte>)s.ToArray()).ToArray();
        var present = Enumerable.Repeat(true, 12).ToArray();
        foreach (int lost in new[] { 0, 3, 7, 9 })
        {
            present[lost] = false;
            shards[lost].Span.Clear();
        }
        codec.Reconstruct(shards, present);
        Assert.All(Enumerable.Range(0, 12), i => Assert.True(original[i].Span.SequenceEqual(shards[i].Span)));
    }

    [Fact]
    public void VerifyDetectsAFlippedBit()
    {
        var random = new Random(9);
        var codec = new ReedSolomon(4, 2);
        var shards = Shards(random, 6, 1000);
        codec.Encode(AsReadOnly(shards.AsSpan(0, 4)), shards.AsSpan(4));
        Assert.True(codec.Verify(AsReadOnly(shards)));
        shards[2].Span[500] ^= 0x10;
        Assert.False(codec.Verify(AsReadOnly(shards)));
    }

    [Fact]
    public void DataOnlyLeavesMissingParityAlone()
    {
        var codec = new ReedSolomon(3, 2);
        var shards = Shards(new Random(2), 5, 50);
        codec.Encode(AsReadOnly(shards.AsSpan(0, 3)), shards.AsSpan(3));
        var copy = shards.Select(s => (Memory<byte>)s.ToArray()).ToArray();
        copy[0].Span.Clear();
        copy[4].Span.Fill(0xAB);
        codec.Reconstruct(copy, [false, true, true, true, false], dataOnly: true);
        Assert.True(shards[0].Span.SequenceEqual(copy[0].Span));
        Assert.All(copy[4].ToArray(), b => Assert.Equal(0xAB, b));
    }

    [Fact]
    public void InvalidArgumentsThrowClearly()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new ReedSolomon(0, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ReedSolomon(2, -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ReedSolomon(200, 57));
        _ = new ReedSolomon(200, 56);

        var codec = new ReedSolomon(3, 2);
        var e = Assert.Throws<ArgumentException>(() => codec.Encode(
            new ReadOnlyMemory<byte>[] { new byte[4], new byte[4], new byte[5] }, new Memory<byte>[] { new byte[4], new byte[4] }));
        Assert.Contains("same length", e.Message);
        Assert.Throws<ArgumentException>(() => codec.Encode(new ReadOnlyMemory<byte>[] { new byte[4] }, new Memory<byte>[2]));

        var shards = Enumerable.Range(0, 5).Select(_ => (Memory<byte>)new byte[4]).ToArray();
        var tooFew = Assert.Throws<TooFewShardsException>(() => codec.Reconstruct(shards, [true, false, false, true, false]));
        Assert.Equal(2, tooFew.Present);
        Assert.Equal(3, tooFew.Needed);
    }

    [Fact]
    public void DecodePlansAreCachedPerPattern()
    {
        var codec = new ReedSolomon(4, 2);
        var shards = Enumerable.Range(0, 6).Select(_ => (Memory<byte>)new byte[64]).ToArray();
        codec.Reconstruct(shards, [false, true, true, true, true, true]);
        codec.Reconstruct(shards, [false, true, true, true, true, true]);
        codec.Reconstruct(shards, [true, false, true, true, true, true]);
        Assert.Equal(2, codec.CachedPlanCount);
    }

    private static Memory<byte>[] Shards(Random random, int count, int length) =>
        Enumerable.Range(0, count).Select(_ => (Memory<byte>)Random(random, length)).ToArray();

    private static byte[] Random(Random random, int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }

    private static ReadOnlyMemory<byte>[] AsReadOnly(ReadOnlySpan<Memory<byte>> shards)
    {
        var result = new ReadOnlyMemory<byte>[shards.Length];
        for (int i = 0; i < shards.Length; i++)
        {
            result[i] = shards[i];
        }
        return result;
    }

    /// <summary>GF(2^8)/0x11D by shift-and-add: shares nothing with the codec's tables.</summary>
    private static class ReferenceField
    {
        public static int Mul(int a, int b)
        {
            int product = 0;
            while (b != 0)
            {
                if ((b & 1) != 0)
                {
                    product ^= a;
                }
                a <<= 1;
                if ((a & 0x100) != 0)
                {
                    a ^= 0x11D;
                }
                b >>= 1;
            }
            return product;
        }

        public static int Inverse(int a)
        {
            for (int x = 1; x < 256; x++)
            {
                if (Mul(a, x) == 1)
                {
                    return x;
                }
            }
            throw new DivideByZeroException();
        }
    }
}
