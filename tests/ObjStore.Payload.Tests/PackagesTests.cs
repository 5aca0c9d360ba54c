using System.Buffers.Binary;
using System.Security.Cryptography;

namespace ObjStore.Payload.Tests;

public sealed class PackagesTests
{
    private const int P = Packages.PlainSize;
    private const int S = Packages.StoredSize;
    private const int T = Packages.TagSize;

    private static readonly byte[] Key = Data.Random(Packages.KeySize, 100);
    private static readonly byte[] OtherKey = Data.Random(Packages.KeySize, 101);
    private static readonly byte[] Aad = "bucket/key#version"u8.ToArray();

    [Theory]
    [InlineData(0L, 0L)]
    [InlineData(1L, 1L + T)]
    [InlineData(P - 1L, P - 1L + T)]
    [InlineData((long)P, (long)S)]
    [InlineData(P + 1L, S + 1L + T)]
    [InlineData(1000L * P + 7, (1000L * S) + 7 + T)]
    [InlineData(1L << 40, (1L << 40) + ((1L << 40) / P * T))]
    public void StoredAndPlainLengthsMapOneToOne(long plain, long stored)
    {
        Assert.Equal(stored, Packages.StoredLength(plain));
        Assert.Equal(plain, Packages.PlainLength(stored));
    }

    [Theory]
    [InlineData(-1L)]
    [InlineData(1L)]
    [InlineData((long)T)]
    [InlineData(S + 1L)]
    [InlineData(S + (long)T)]
    [InlineData((7L * S) + 3)]
    public void PlainLengthRejectsLengthsNoPayloadHas(long stored) =>
        Assert.Throws<InvalidDataException>(() => Packages.PlainLength(stored));

    [Fact]
    public void StoredRangeReadsWholePackagesAndSkipsIntoTheFirst()
    {
        long total = (3L * P) + 100;
        long stored = Packages.StoredLength(total);
        Assert.Equal(new PackageRange(0, 1 + T, 0, 0), Packages.StoredRange(0, 1, 1));
        Assert.Equal(new PackageRange(0, S, 0, 0), Packages.StoredRange(0, P, total));
        Assert.Equal(new PackageRange(0, S, 0, P - 1), Packages.StoredRange(P - 1, 1, total));
        Assert.Equal(new PackageRange(0, 2L * S, 0, P - 1), Packages.StoredRange(P - 1, 2, total));
        Assert.Equal(new PackageRange(S, S, 1, 0), Packages.StoredRange(P, 1, total));
        Assert.Equal(new PackageRange(3L * S, 100 + T, 3, 99), Packages.StoredRange(total - 1, 1, total));
        Assert.Equal(new PackageRange(0, stored, 0, 0), Packages.StoredRange(0, total, total));
        Assert.Equal(new PackageRange(S, stored - S, 1, 1), Packages.StoredRange(P + 1, total - P - 1, total));
        Assert.Equal(0, Packages.StoredRange(total, 0, total).StoredLength);
        Assert.Equal(0, Packages.StoredRange(0, 0, 0).StoredLength);
        Assert.Throws<ArgumentOutOfRangeException>(() => Packages.StoredRange(1, total, total));
        Assert.Throws<ArgumentOutOfRangeException>(() => Packages.StoredRange(-1, 1, total));
    }

    /// <summary>Pins the nonce layout: package 0 of a one-package payload uses nonce 0..0 with the final flag set.</summary>
    [Fact]
    public async Task KnownAnswerForAbcPinsTheNonceLayout()
    {
        byte[] key = [.. Enumerable.Range(0, 32).Select(i => (byte)i)];
        byte[] plaintext = "abc"u8.ToArray();
        var expected = new byte[3 + T];
        using (var aes = new AesGcm(key, T))
        {
            aes.Encrypt([0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0], plaintext, expected.AsSpan(0, 3), expected.AsSpan(3), []);
        }

        using var encrypting = new EncryptingStream(new MemoryStream(plaintext), key, ReadOnlyMemory<byte>.Empty);
        byte[] stored = await Chunks.ReadAllAsync(encrypting, new Random(1));

        Assert.Equal(expected, stored);
        Assert.Equal(3, encrypting.PlainBytesRead);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(P - 1)]
    [InlineData(P)]
    [InlineData(P + 1)]
    [InlineData((3 * P) + 100)]
    [InlineData(4 * P)]
    public async Task EncryptedBytesAreThePackagesSealedIndependently(int length)
    {
        byte[] plaintext = Data.Random(length, length);
        byte[] stored = await EncryptAsync(plaintext, Key, Aad, seed: length);
        Assert.Equal(Packages.StoredLength(length), stored.Length);

        var expected = new byte[stored.Length];
        int packages = (length + P - 1) / P;
        using var aes = new AesGcm(Key, T);
        for (int i = 0; i < packages; i++)
        {
            int plain = Math.Min(P, length - (i * P));
            var nonce = new byte[12];
            BinaryPrimitives.WriteInt64BigEndian(nonce, i);
            nonce[8] = i == packages - 1 ? (byte)1 : (byte)0;
            Span<byte> package = expected.AsSpan(i * S, plain + T);
            aes.Encrypt(nonce, plaintext.AsSpan(i * P, plain), package[..plain], package[plain..], Aad);
        }
        Assert.Equal(expected, stored);
    }

    [Fact]
    public async Task EveryRangeBetweenPackageEdgesDecryptsToItsPlaintext()
    {
        int total = (3 * P) + 100;
        byte[] plaintext = Data.Random(total, 2);
        byte[] stored = await EncryptAsync(plaintext, Key, Aad, seed: 2);
        long[] edges = [.. new long[] { 0, P, 2L * P, 3L * P, total }
            .SelectMany(e => new[] { e - 1, e, e + 1 })
            .Where(e => e >= 0 && e <= total)
            .Distinct()
            .Order()];
        var random = new Random(3);
        int ranges = 0;
        foreach (long start in edges)
        {
            foreach (long end in edges.Where(e => e >= start))
            {
                byte[] read = await DecryptRangeAsync(stored, Key, Aad, start, end - start, total, random);
                Assert.Equal(plaintext[(int)start..(int)end], read);
                ranges++;
            }
        }
        Assert.True(ranges > 50);
    }

    [Fact]
    public async Task EmptyPayloadIsNoPackages()
    {
        byte[] stored = await EncryptAsync([], Key, Aad, seed: 4);
        Assert.Empty(stored);
        Assert.Empty(await DecryptRangeAsync(stored, Key, Aad, 0, 0, 0, new Random(4)));
    }

    [Fact]
    public async Task FlippedCiphertextBitFailsItsPackageAndWritesNothingOfIt()
    {
        var (plaintext, stored) = await ThreeAndAHalfPackagesAsync();
        stored[S + 1234] ^= 0x10;
        await AssertTamperedAsync(stored, Key, Aad, plaintext, goodPackages: 1);
    }

    [Fact]
    public async Task FlippedTagBitFails()
    {
        var (plaintext, stored) = await ThreeAndAHalfPackagesAsync();
        stored[(3 * S) - 1] ^= 0x01;
        await AssertTamperedAsync(stored, Key, Aad, plaintext, goodPackages: 2);
    }

    [Fact]
    public async Task SwappedPackagesFail()
    {
        var (plaintext, stored) = await ThreeAndAHalfPackagesAsync();
        byte[] first = stored[..S];
        stored.AsSpan(S, S).CopyTo(stored);
        first.CopyTo(stored, S);
        await AssertTamperedAsync(stored, Key, Aad, plaintext, goodPackages: 0);
    }

    [Fact]
    public async Task DroppedLastPackageFailsAsTheNewLastWasNotSealedLast()
    {
        var (plaintext, stored) = await ThreeAndAHalfPackagesAsync();
        await AssertTamperedAsync(stored[..(3 * S)], Key, Aad, plaintext, goodPackages: 2);
    }

    [Fact]
    public async Task AppendedPackageFailsAsTheOldLastWasSealedLast()
    {
        byte[] plaintext = Data.Random(3 * P, 5);
        byte[] stored = await EncryptAsync(plaintext, Key, Aad, seed: 5);
        // Package 3 of a longer payload under the same key and associated data: itself a valid last package.
        byte[] longer = await EncryptAsync(Data.Random(4 * P, 6), Key, Aad, seed: 6);
        byte[] appended = [.. stored, .. longer.AsSpan(3 * S, S)];
        await AssertTamperedAsync(appended, Key, Aad, plaintext, goodPackages: 2);
    }

    [Fact]
    public async Task PackageFromAnotherKeyFails()
    {
        var (plaintext, stored) = await ThreeAndAHalfPackagesAsync();
        byte[] other = await EncryptAsync(plaintext, OtherKey, Aad, seed: 7);
        other.AsSpan(2 * S, S).CopyTo(stored.AsSpan(2 * S));
        await AssertTamperedAsync(stored, Key, Aad, plaintext, goodPackages: 2);
    }

    [Fact]
    public async Task WrongAssociatedDataFails()
    {
        var (plaintext, stored) = await ThreeAndAHalfPackagesAsync();
        await AssertTamperedAsync(stored, Key, "bucket/other#version"u8.ToArray(), plaintext, goodPackages: 0);
        await AssertTamperedAsync(stored, Key, ReadOnlyMemory<byte>.Empty, plaintext, goodPackages: 0);
    }

    [Fact]
    public async Task RangeCutShortFailsAtCompletion()
    {
        var (plaintext, stored) = await ThreeAndAHalfPackagesAsync();
        var destination = new MemoryStream();
        using var decrypting = new DecryptingStream(destination, Key, Aad, 0, stored.Length, 0, plaintext.Length);
        await Chunks.WriteAsync(decrypting, stored.AsMemory(0, stored.Length - 5), new Random(8));
        await Assert.ThrowsAsync<PayloadTamperedException>(() => decrypting.CompleteAsync(CancellationToken.None));
        Assert.Equal(plaintext[..(3 * P)], destination.ToArray());
    }

    [Fact]
    public async Task WritingPastTheRangesPackagesIsACallerBug()
    {
        var (plaintext, stored) = await ThreeAndAHalfPackagesAsync();
        var range = Packages.StoredRange(P + 5, 10, plaintext.Length);
        using var decrypting = new DecryptingStream(new MemoryStream(), Key, Aad, range.FirstPackage, stored.Length,
            range.Skip, 10);
        await Assert.ThrowsAsync<InvalidOperationException>(
            () => decrypting.WriteAsync(stored.AsMemory((int)range.StoredOffset, S + 1)).AsTask());
    }

    [Fact]
    public void KeyOfAnotherSizeIsRefused() =>
        Assert.Throws<ArgumentException>(() => new EncryptingStream(new MemoryStream(), new byte[16], default));

    private static async Task<(byte[] Plaintext, byte[] Stored)> ThreeAndAHalfPackagesAsync()
    {
        byte[] plaintext = Data.Random((3 * P) + (P / 2), 9);
        return (plaintext, await EncryptAsync(plaintext, Key, Aad, seed: 9));
    }

    /// <summary>Decrypts the whole of <paramref name="stored"/> as a payload and expects the tag check to fail after
    /// exactly the good packages reached the destination.</summary>
    private static async Task AssertTamperedAsync(byte[] stored, ReadOnlyMemory<byte> key, ReadOnlyMemory<byte> aad,
        byte[] plaintext, int goodPackages)
    {
        var destination = new MemoryStream();
        long plainTotal = Packages.PlainLength(stored.Length);
        using var decrypting = new DecryptingStream(destination, key, aad, 0, stored.Length, 0, plainTotal);
        await Assert.ThrowsAsync<PayloadTamperedException>(async () =>
        {
            await Chunks.WriteAsync(decrypting, stored, new Random(10));
            await decrypting.CompleteAsync(CancellationToken.None);
        });
        Assert.Equal(plaintext[..(goodPackages * P)], destination.ToArray());
    }

    internal static async Task<byte[]> EncryptAsync(byte[] plaintext, ReadOnlyMemory<byte> key,
        ReadOnlyMemory<byte> aad, int seed)
    {
        using var encrypting = new EncryptingStream(new TrickleSource(plaintext, seed), key, aad);
        byte[] stored = await Chunks.ReadAllAsync(encrypting, new Random(seed));
        Assert.Equal(plaintext.Length, encrypting.PlainBytesRead);
        Assert.Equal(0, await encrypting.ReadAsync(new byte[10]));
        return stored;
    }

    private static async Task<byte[]> DecryptRangeAsync(byte[] stored, ReadOnlyMemory<byte> key,
        ReadOnlyMemory<byte> aad, long offset, long length, long plainTotal, Random random)
    {
        var range = Packages.StoredRange(offset, length, plainTotal);
        var destination = new MemoryStream();
        using var decrypting = new DecryptingStream(destination, key, aad, range.FirstPackage, stored.Length,
            range.Skip, length);
        await Chunks.WriteAsync(decrypting, stored.AsMemory((int)range.StoredOffset, (int)range.StoredLength), random);
        await decrypting.CompleteAsync(CancellationToken.None);
        return destination.ToArray();
    }
}

/// <summary>Many whole packages handed over at once are opened in parallel: the same bytes, and a bad one still fails them.</summary>
public class ParallelPackagesTests
{
    private static readonly byte[] Key = Data.Random(Packages.KeySize, 7);

    [Theory]
    [InlineData(-1)]
    [InlineData(0)]
    [InlineData(13)]
    [InlineData(19)]
    public async Task AStripeOfPackagesWrittenAtOnceOpensInParallelAndABadOneFailsItWithoutABytePassed(int tampered)
    {
        byte[] plaintext = Data.Random((19 * Packages.PlainSize) + 999, 8);
        byte[] stored = await PackagesTests.EncryptAsync(plaintext, Key, ReadOnlyMemory<byte>.Empty, seed: 9);
        if (tampered >= 0)
        {
            stored[(tampered * Packages.StoredSize) + 77] ^= 0x01;
        }
        var destination = new MemoryStream();
        using var decrypting = new DecryptingStream(destination, Key, ReadOnlyMemory<byte>.Empty, 0, stored.Length, 0, plaintext.Length);
        var thrown = await Record.ExceptionAsync(async () =>
        {
            await decrypting.WriteAsync(stored); // one write: all 20 packages at once
            await decrypting.CompleteAsync();
        });
        if (tampered < 0)
        {
            Assert.Null(thrown);
            Assert.Equal(plaintext, destination.ToArray());
        }
        else
        {
            Assert.IsType<PayloadTamperedException>(thrown);
            Assert.Equal(0, destination.Length);
        }
    }

    [Fact]
    public async Task ARangeOfAStripeWrittenAtOnceSkipsAndTakesExactly()
    {
        byte[] plaintext = Data.Random(10 * Packages.PlainSize, 10);
        byte[] stored = await PackagesTests.EncryptAsync(plaintext, Key, ReadOnlyMemory<byte>.Empty, seed: 11);
        var range = Packages.StoredRange(70_000, 400_000, plaintext.Length);
        var destination = new MemoryStream();
        using var decrypting = new DecryptingStream(destination, Key, ReadOnlyMemory<byte>.Empty, range.FirstPackage, stored.Length, range.Skip, 400_000);
        await decrypting.WriteAsync(stored.AsMemory((int)range.StoredOffset, (int)range.StoredLength));
        await decrypting.CompleteAsync();
        Assert.Equal(plaintext[70_000..470_000], destination.ToArray());
    }
}
