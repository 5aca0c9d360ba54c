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
            .SelectMany(piece => piece % 3 == 0
                ? Data.Random(random.Next(1, 20_000), piece)
                : Data.Text(random.Next(1, 40_000), piece))];

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

    /// <summary>Throughput of 64 KiB packages, printed, never asserted: a loaded CI machine would make it flaky.
    /// Sinks are a reused buffer and Stream.Null, so the figures are the codec's, not fresh pages' or copies'.</summary>
    [Fact]
    public async Task EncryptAndDecryptThroughput()
    {
        byte[] plaintext = Data.Random(32 << 20, 4);
        using var aes = new System.Security.Cryptography.AesGcm(Key, Packages.TagSize);
        var package = new byte[Packages.StoredSize];
        var nonce = new byte[Packages.NonceSize];
        var stored = new byte[Packages.StoredLength(plaintext.Length)];
        double bare = 0, encrypt = 0, decrypt = 0;
        // Round 0 warms the JIT and the pages; the best of the later rounds is reported.
        for (int round = 0; round < 4; round++)
        {
            var clock = Stopwatch.StartNew();
            for (int offset = 0; offset < plaintext.Length; offset += Packages.PlainSize)
            {
                aes.Encrypt(nonce, plaintext.AsSpan(offset, Packages.PlainSize),
                    package.AsSpan(0, Packages.PlainSize), package.AsSpan(Packages.PlainSize), Aad);
            }
            double bareRound = plaintext.Length / clock.Elapsed.TotalSeconds / 1e9;

            clock.Restart();
            using (var encrypting = new EncryptingStream(new MemoryStream(plaintext), Key, Aad))
            {
                var storedSink = new MemoryStream(stored);
                int read;
                while ((read = await encrypting.ReadAsync(package)) > 0)
                {
                    if (round == 0)
                    {
                        storedSink.Write(package, 0, read);
                    }
                }
            }
            double encryptRound = plaintext.Length / clock.Elapsed.TotalSeconds / 1e9;

            clock.Restart();
            using (var decrypting = new DecryptingStream(Stream.Null, Key, Aad, 0, stored.Length, 0, plaintext.Length))
            {
                await decrypting.WriteAsync(stored);
                await decrypting.CompleteAsync(CancellationToken.None);
            }
            double decryptRound = plaintext.Length / clock.Elapsed.TotalSeconds / 1e9;
            if (round > 0)
            {
                bare = Math.Max(bare, bareRound);
                encrypt = Math.Max(encrypt, encryptRound);
                decrypt = Math.Max(decrypt, decryptRound);
            }
        }
        output.WriteLine(
            $"bare AesGcm {bare:F2} GB/s, EncryptingStream {encrypt:F2} GB/s, DecryptingStream {decrypt:F2} GB/s");
    }
}
