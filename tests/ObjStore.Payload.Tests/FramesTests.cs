using System.Buffers.Binary;

namespace ObjStore.Payload.Tests;

public sealed class FramesTests
{
    private const int FrameSize = 4096;

    [Fact]
    public async Task TextCompressesToLessThanHalfAtLevelOne()
    {
        byte[] text = Data.Text((2 * FrameIndex.DefaultFrameSize) + 12345, 1);
        var (stored, index) = await CompressAsync(text, FrameIndex.DefaultFrameSize, seed: 1);

        Assert.Equal(3, index.Count);
        Assert.Equal(12345, index.PlainLengthOf(2));
        Assert.All(Enumerable.Range(0, index.Count), frame => Assert.False(index.IsRaw(frame)));
        Assert.True(stored.Length < text.Length / 2, $"{stored.Length} stored bytes for {text.Length}");
        Assert.Equal(text, await DecompressRangeAsync(stored, index, 0, text.Length, new Random(1)));
    }

    [Fact]
    public async Task RandomBytesAreStoredRaw()
    {
        byte[] random = Data.Random((5 * FrameSize) + 1, 2);
        var (stored, index) = await CompressAsync(random, FrameSize, seed: 2);

        Assert.Equal(6, index.Count);
        Assert.All(Enumerable.Range(0, index.Count), frame => Assert.True(index.IsRaw(frame)));
        Assert.Equal(random, stored);
        Assert.Equal(1, index.PlainLengthOf(5));
    }

    public static TheoryData<string> Kinds => new() { "text", "random", "mixed" };

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task EveryRangeBetweenFrameEdgesDecompressesToItsPlaintext(string kind)
    {
        int total = (6 * FrameSize) + 777;
        byte[] plaintext = Payload(kind, total);
        var (stored, index) = await CompressAsync(plaintext, FrameSize, seed: 3);
        Assert.Equal(7, index.Count);
        Assert.Equal(777, index.PlainLengthOf(6));
        Assert.Equal(stored.Length, index.StoredLength);
        if (kind == "mixed")
        {
            Assert.Contains(Enumerable.Range(0, index.Count), index.IsRaw);
            Assert.Contains(Enumerable.Range(0, index.Count), frame => !index.IsRaw(frame));
        }

        long[] edges = [.. new long[] { 0, FrameSize, 3L * FrameSize, 6L * FrameSize, total }
            .SelectMany(e => new[] { e - 1, e, e + 1 })
            .Where(e => e >= 0 && e <= total)
            .Distinct()
            .Order()];
        var random = new Random(4);
        foreach (long start in edges)
        {
            foreach (long end in edges.Where(e => e >= start))
            {
                byte[] read = await DecompressRangeAsync(stored, index, start, end - start, random);
                Assert.Equal(plaintext[(int)start..(int)end], read);
            }
        }
    }

    [Fact]
    public async Task EmptyInputIsAnEmptyIndex()
    {
        var (stored, index) = await CompressAsync([], FrameSize, seed: 5);

        Assert.Empty(stored);
        Assert.Equal((0, 0L, 0L), (index.Count, index.StoredLength, index.PlainLength));
        Assert.Equal(12, index.ToBytes().Length);
        Assert.Equal(0, FrameIndex.Parse(index.ToBytes()).Count);
        Assert.Equal(new FrameRange(0, 0, 0, 0), index.StoredRange(0, 0));
        Assert.Empty(await DecompressRangeAsync(stored, index, 0, 0, new Random(5)));
    }

    [Fact]
    public async Task IndexIsKnownOnlyOnceTheStreamEnded()
    {
        using var compressing = new CompressingStream(new MemoryStream(Data.Text(3 * FrameSize, 6)), 1, FrameSize);
        Assert.True(await compressing.ReadAsync(new byte[10]) > 0);
        Assert.Null(compressing.Index);
        await Chunks.ReadAllAsync(compressing, new Random(6));
        Assert.NotNull(compressing.Index);
        Assert.Equal(3 * FrameSize, compressing.PlainBytesRead);
    }

    [Fact]
    public async Task IndexRoundTripsThroughItsBytes()
    {
        byte[] plaintext = Payload("mixed", (9 * FrameSize) + 5);
        var (_, index) = await CompressAsync(plaintext, FrameSize, seed: 7);
        byte[] bytes = index.ToBytes();
        var parsed = FrameIndex.Parse(bytes);

        Assert.Equal(12 + (4 * 10), bytes.Length);
        Assert.Equal(bytes, parsed.ToBytes());
        Assert.Equal((index.FrameSize, index.PlainLength, index.Count, index.StoredLength),
            (parsed.FrameSize, parsed.PlainLength, parsed.Count, parsed.StoredLength));
        for (int frame = 0; frame < index.Count; frame++)
        {
            Assert.Equal(index.StoredOffsetOf(frame), parsed.StoredOffsetOf(frame));
            Assert.Equal(index.IsRaw(frame), parsed.IsRaw(frame));
        }
    }

    [Fact]
    public void ParseRejectsTruncatedAndInconsistentIndexes()
    {
        // Two frames of 100 plain bytes in frames of 64: 64 compressed in 20, then 36 raw.
        byte[] good = Index(64, 100, 20, 36 | 0x8000_0000);
        Assert.Equal(56, FrameIndex.Parse(good).StoredLength);

        Assert.Throws<InvalidDataException>(() => FrameIndex.Parse(good.AsSpan(0, 11)));
        Assert.Throws<InvalidDataException>(() => FrameIndex.Parse(good.AsSpan(0, good.Length - 1)));
        Assert.Throws<InvalidDataException>(() => FrameIndex.Parse(good.AsSpan(0, good.Length - 4)));
        Assert.Throws<InvalidDataException>(() => FrameIndex.Parse([.. good, 0, 0, 0, 1]));
        Assert.Throws<InvalidDataException>(() => FrameIndex.Parse(Index(64, 129, 20, 36 | 0x8000_0000)));
        Assert.Throws<InvalidDataException>(() => FrameIndex.Parse(Index(0, 100, 20, 36 | 0x8000_0000)));
        Assert.Throws<InvalidDataException>(() => FrameIndex.Parse(Index(-64, 100, 20, 36 | 0x8000_0000)));
        Assert.Throws<InvalidDataException>(() => FrameIndex.Parse(Index(64, -100, 20, 36 | 0x8000_0000)));
        Assert.Throws<InvalidDataException>(() => FrameIndex.Parse(Index(64, 100, 0, 36 | 0x8000_0000)));
        Assert.Throws<InvalidDataException>(() => FrameIndex.Parse(Index(64, 100, 20, 0x8000_0000)));
        Assert.Throws<InvalidDataException>(() => FrameIndex.Parse(Index(64, 100, 20, 35 | 0x8000_0000)));
        Assert.Throws<InvalidDataException>(() => FrameIndex.Parse(Index(64, 100, 20, 5000)));
        Assert.Throws<InvalidDataException>(() => FrameIndex.Parse(Index(64, 100, 63 | 0x8000_0000, 36)));
        Assert.Throws<InvalidDataException>(() => FrameIndex.Parse(Index(64, 0, 20)));
        Assert.Throws<InvalidDataException>(() => FrameIndex.Parse(Index(1, long.MaxValue)));
    }

    /// <summary>A bit flipped at every byte of a compressed frame: each fails as InvalidDataException (zstd's content
    /// checksum, its own structure checks or the exact-length check) or, for a bit zstd never reads, decompresses to
    /// the right bytes; never to other bytes.</summary>
    [Fact]
    public async Task CorruptedCompressedFrameThrowsInvalidDataAndWritesNothingOfIt()
    {
        byte[] text = Data.Text(3 * FrameSize, 8);
        var (stored, index) = await CompressAsync(text, FrameSize, seed: 8);
        Assert.False(index.IsRaw(1));
        int start = (int)index.StoredOffsetOf(1);
        int length = index.StoredLengthOf(1);
        var harmless = new List<int>();
        for (int position = 0; position < length; position++)
        {
            byte[] corrupted = (byte[])stored.Clone();
            corrupted[start + position] ^= (byte)(1 << (position % 8));
            var destination = new MemoryStream();
            using var decompressing = new DecompressingStream(destination, index, 0, 0, text.Length);
            var thrown = await Record.ExceptionAsync(async () =>
            {
                await Chunks.WriteAsync(decompressing, corrupted, new Random(position));
                await decompressing.CompleteAsync(CancellationToken.None);
            });
            if (thrown is null)
            {
                // A bit zstd never reads for this frame (a header field it ignores, padding): the bytes are right.
                Assert.Equal(text, destination.ToArray());
                harmless.Add(position);
                continue;
            }
            Assert.IsType<InvalidDataException>(thrown);
            Assert.Equal(text[..FrameSize], destination.ToArray());
        }
        // Seen: the header's unused bit and a few bits of entropy tables that change no symbol, 3 of 1125.
        Assert.True(harmless.Count * 100 < length, $"harmless flips at {string.Join(", ", harmless)} of {length}");
    }

    [Fact]
    public async Task RangeCutShortFailsAtCompletion()
    {
        byte[] text = Data.Text(3 * FrameSize, 9);
        var (stored, index) = await CompressAsync(text, FrameSize, seed: 9);
        using var decompressing = new DecompressingStream(new MemoryStream(), index, 0, 0, text.Length);
        await decompressing.WriteAsync(stored.AsMemory(0, stored.Length - 1));
        await Assert.ThrowsAsync<InvalidDataException>(() => decompressing.CompleteAsync(CancellationToken.None));
    }

    [Fact]
    public async Task WritingPastTheRangesFramesIsACallerBug()
    {
        byte[] text = Data.Text(3 * FrameSize, 10);
        var (stored, index) = await CompressAsync(text, FrameSize, seed: 10);
        using var decompressing = new DecompressingStream(new MemoryStream(), index, 0, 0, 10);
        await Assert.ThrowsAsync<InvalidOperationException>(() => decompressing.WriteAsync(stored).AsTask());
    }

    private static byte[] Payload(string kind, int length) => kind switch
    {
        "text" => Data.Text(length, length),
        "random" => Data.Random(length, length),
        // Text and random bytes in alternate frames, so both kinds of frame sit side by side.
        _ => [.. Enumerable.Range(0, (length + FrameSize - 1) / FrameSize)
            .SelectMany(frame => frame % 2 == 0 ? Data.Text(FrameSize, frame) : Data.Random(FrameSize, frame))
            .Take(length)],
    };

    private static byte[] Index(int frameSize, long plainLength, params uint[] entries)
    {
        var bytes = new byte[12 + (4 * entries.Length)];
        BinaryPrimitives.WriteInt32LittleEndian(bytes, frameSize);
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(4), plainLength);
        for (int i = 0; i < entries.Length; i++)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(12 + (4 * i)), entries[i]);
        }
        return bytes;
    }

    internal static async Task<(byte[] Stored, FrameIndex Index)> CompressAsync(byte[] plaintext, int frameSize, int seed)
    {
        using var compressing = new CompressingStream(new TrickleSource(plaintext, seed), 1, frameSize);
        byte[] stored = await Chunks.ReadAllAsync(compressing, new Random(seed));
        Assert.NotNull(compressing.Index);
        Assert.Equal(plaintext.Length, compressing.PlainBytesRead);
        Assert.Equal(plaintext.Length, compressing.Index.PlainLength);
        Assert.Equal(stored.Length, compressing.Index.StoredLength);
        return (stored, compressing.Index);
    }

    private static async Task<byte[]> DecompressRangeAsync(byte[] stored, FrameIndex index, long offset, long length,
        Random random)
    {
        var range = index.StoredRange(offset, length);
        var destination = new MemoryStream();
        using var decompressing = new DecompressingStream(destination, index, range.FirstFrame, range.Skip, length);
        await Chunks.WriteAsync(decompressing, stored.AsMemory((int)range.StoredOffset, (int)range.StoredLength), random);
        await decompressing.CompleteAsync(CancellationToken.None);
        return destination.ToArray();
    }
}

/// <summary>Frames decompressed on every core at once: still in order, and a bad one stops the range at itself.</summary>
public class PipelinedFramesTests
{
    private const int FrameSize = 4096;

    [Fact]
    public async Task ManyFramesWrittenAtOnceComeOutInOrderAndABadOneStopsTheRangeBeforeItsBytes()
    {
        byte[] text = Data.Text(40 * FrameSize, 21);
        var (stored, index) = await FramesTests.CompressAsync(text, FrameSize, seed: 21);
        var destination = new MemoryStream();
        using (var decompressing = new DecompressingStream(destination, index, 0, 0, text.Length))
        {
            await decompressing.WriteAsync(stored);
            await decompressing.CompleteAsync();
        }
        Assert.Equal(text, destination.ToArray());

        const int bad = 23;
        stored[(int)index.StoredOffsetOf(bad) + 10] ^= 0xff;
        destination = new MemoryStream();
        using (var decompressing = new DecompressingStream(destination, index, 0, 0, text.Length))
        {
            await Assert.ThrowsAsync<InvalidDataException>(async () =>
            {
                await decompressing.WriteAsync(stored);
                await decompressing.CompleteAsync();
            });
        }
        Assert.True(destination.Length <= (long)bad * FrameSize, $"{destination.Length} bytes passed, frame {bad} starts at {bad * FrameSize}");
        Assert.Equal(text[..(int)destination.Length], destination.ToArray());
    }
}
