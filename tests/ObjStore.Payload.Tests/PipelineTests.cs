using System.Diagnostics;
using Xunit.Abstractions;

namespace ObjStore.Payload.Tests;

/// <summary>The layers as the store runs them: plaintext -> compress -> encrypt on write; stored range -> decrypt ->
/// decompress on read.</summary>
public sealed class PipelineTests(ITestOutputHelper output)
{
    private const int FrameSize = 16 * 1024;
    private static readonly byte[] Key = Data.Random(Packages.KeySize, 200);
    private static readonly byte[] Aad = "bucket/key#v1"u8.ToArray();

    [Fact]
    public async Task CompressedThenEncryptedRangesReadBack()
    {
        // Text with random stretches: frames of both kinds across several packages.
        var random = new Random(1);
        byte[] plaintext = [.. Enumerable.Range(0, 40)
            .SelectMany(piece => piece % 3 == 0 ? Data.Random(random.Next(1, 20_000), piece) : Data.Text(random.Next(1, 40_000), piece))];

        using var compressing = new CompressingStream(new TrickleSource(plaintext, 2), 1, FrameSize);
        using var encrypting = new EncryptingStream(compressing, Key, Aad);
        byte[] stored = await Chunks.ReadAllAsync(encrypting, new Random(3));
        FrameIndex index = FrameIndex.Parse(compressing.Index!.ToBytes());
        Assert.Equal(Packages.StoredLength(index.StoredLength), stored.Length);
        Assert.True(stored.Length > 3 * Packages.StoredSize);

        var ranges = new List<(long Offset, long Length)> { (0, plaintext.Length), (0, 0), (plaintext.Length, 0) };
        for (int i = 0; i < 60; i++)
        {
            long offset = random.NextInt64(plaintext.Length);
            ranges.Add((offset, random.NextInt64(plaintext.Length - offset + 1)));
        }
        foreach (var (offset, length) in ranges)
        {
            var frames = index.StoredRange(offset, length);
            var packages = Packages.StoredRange(frames.StoredOffset, frames.StoredLength, index.StoredLength);
            var client = new MemoryStream();
            using var decompressing = new DecompressingStream(client, index, frames.FirstFrame, frames.Skip, length);
            using var decrypting = new DecryptingStream(decompressing, Key, Aad, packages.FirstPackage, stored.Length,
                packages.Skip, frames.StoredLength);

            await Chunks.WriteAsync(decrypting,
                stored.AsMemory((int)packages.StoredOffset, (int)packages.StoredLength), random);
            await decrypting.CompleteAsync(CancellationToken.None);
            await decompressing.CompleteAsync(CancellationToken.None);

            Assert.Equal(plaintext[(int)offset..(int)(offset + length)], client.ToArray());
        }
    }

    /// <summary>Throughput of 64 KiB packages, printed, never asserted: a loaded CI machine would make it flaky.</summary>
    [Fact]
    public async Task EncryptAndDecryptThroughput()
    {
        byte[] plaintext = Data.Random(32 << 20, 4);
        var clock = Stopwatch.StartNew();
        using var encrypting = new EncryptingStream(new MemoryStream(plaintext), Key, Aad);
        var stored = new MemoryStream(Packages.StoredLength(plaintext.Length) > int.MaxValue ? 0 : (int)Packages.StoredLength(plaintext.Length));
        await encrypting.CopyToAsync(stored, Packages.StoredSize);
        var encrypted = clock.Elapsed;

        clock.Restart();
        var destination = new MemoryStream(plaintext.Length);
        using var decrypting = new DecryptingStream(destination, Key, Aad, 0, stored.Length, 0, plaintext.Length);
        await decrypting.WriteAsync(stored.GetBuffer().AsMemory(0, (int)stored.Length));
        await decrypting.CompleteAsync(CancellationToken.None);
        var decrypted = clock.Elapsed;

        Assert.Equal(plaintext.Length, destination.Length);
        output.WriteLine($"encrypt {plaintext.Length / encrypted.TotalSeconds / 1e9:F2} GB/s, " +
            $"decrypt {plaintext.Length / decrypted.TotalSeconds / 1e9:F2} GB/s");
    }
}
