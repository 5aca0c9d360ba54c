namespace ObjStore.TestKit;

/// <summary>Test content: the same bytes for the same (size, seed), every run and every machine.</summary>
public static class TestData
{
    /// <summary><paramref name="size"/> pseudo-random bytes from <paramref name="seed"/>.</summary>
    public static byte[] Bytes(int size, int seed)
    {
        var bytes = new byte[size];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    /// <summary>The same bytes as <see cref="Bytes"/>, as a readable stream.</summary>
    public static MemoryStream Stream(int size, int seed) => new(Bytes(size, seed), writable: false);
}
