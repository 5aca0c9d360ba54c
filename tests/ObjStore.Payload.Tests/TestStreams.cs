namespace ObjStore.Payload.Tests;

/// <summary>Moves bytes in the uneven pieces a network hands out: 1 byte up to hundreds of KiB.</summary>
internal static class Chunks
{
    public static int Next(Random random, int remaining)
    {
        int limit = random.Next(3) switch
        {
            0 => 8,
            1 => 5_000,
            _ => 300_000,
        };
        return Math.Min(remaining, random.Next(1, limit + 1));
    }

    public static async Task WriteAsync(Stream destination, ReadOnlyMemory<byte> bytes, Random random)
    {
        while (!bytes.IsEmpty)
        {
            int count = Next(random, bytes.Length);
            await destination.WriteAsync(bytes[..count]);
            bytes = bytes[count..];
        }
    }

    /// <summary>Reads to the end with buffers of random sizes.</summary>
    public static async Task<byte[]> ReadAllAsync(Stream source, Random random)
    {
        using var result = new MemoryStream();
        var buffer = new byte[300_000];
        while (true)
        {
            int read = await source.ReadAsync(buffer.AsMemory(0, Next(random, buffer.Length)));
            if (read == 0)
            {
                return result.ToArray();
            }
            result.Write(buffer, 0, read);
        }
    }
}

/// <summary>A source that returns short reads, as a socket does.</summary>
internal sealed class TrickleSource(byte[] bytes, int seed) : Stream
{
    private readonly Random _random = new(seed);
    private int _position;

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => bytes.Length;
    public override long Position { get => _position; set => throw new NotSupportedException(); }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        int count = Math.Min(buffer.Length, Chunks.Next(_random, Math.Max(1, bytes.Length - _position)));
        count = Math.Min(count, bytes.Length - _position);
        bytes.AsSpan(_position, count).CopyTo(buffer.Span);
        _position += count;
        return ValueTask.FromResult(count);
    }

    public override int Read(byte[] buffer, int offset, int count) =>
        ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}

internal static class Data
{
    public static byte[] Random(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private static readonly string[] Words =
    [
        "object", "store", "bucket", "shard", "stripe", "parity", "the", "a", "of", "and", "replica", "node",
        "checksum", "frame", "package", "key", "version", "lifecycle", "heal", "read", "write", "range",
    ];

    /// <summary>Text of seeded random words: compresses well, as logs and JSON do.</summary>
    public static byte[] Text(int length, int seed)
    {
        var random = new Random(seed);
        var bytes = new byte[length];
        int position = 0;
        while (position < length)
        {
            string word = Words[random.Next(Words.Length)];
            for (int i = 0; i < word.Length && position < length; i++)
            {
                bytes[position++] = (byte)word[i];
            }
            if (position < length)
            {
                bytes[position++] = random.Next(12) == 0 ? (byte)'\n' : (byte)' ';
            }
        }
        return bytes;
    }
}
