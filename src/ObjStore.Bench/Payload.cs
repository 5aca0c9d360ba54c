using System.Net;

namespace ObjStore.Bench;

/// <summary>
/// Object contents without per-request allocation: one random buffer, and object i is the buffer read cyclically from
/// an offset derived from i. Small objects are a contiguous slice (sent as is); larger ones stream the buffer round.
/// </summary>
public sealed class Payload
{
    private readonly byte[] _buffer;
    private readonly int _window;

    public Payload(long largestObject, int seed, PayloadKind kind = PayloadKind.Random)
    {
        // Twice the window, so an object up to the window size is one contiguous slice from any offset in [0, window).
        _window = (int)Math.Clamp(largestObject, 64 << 10, 8 << 20);
        _buffer = new byte[2 * _window];
        var random = new Random(seed);
        if (kind == PayloadKind.Text)
        {
            FillWithLogLines(_buffer, random);
        }
        else
        {
            random.NextBytes(_buffer);
        }
    }

    private static readonly string[] Levels = ["INFO", "INFO", "INFO", "DEBUG", "WARN", "ERROR"];
    private static readonly string[] Events = ["request served", "cache miss", "connection opened", "connection closed", "retrying upload", "shard written", "lease renewed"];

    /// <summary>Lines like a service's log: timestamps, levels, ids and durations that vary, words that repeat.</summary>
    private static void FillWithLogLines(byte[] buffer, Random random)
    {
        var text = new System.Text.StringBuilder(buffer.Length + 200);
        long millis = 1_780_000_000_000;
        while (text.Length < buffer.Length)
        {
            millis += random.Next(1, 900);
            text.Append(System.Globalization.CultureInfo.InvariantCulture,
                $"{DateTimeOffset.FromUnixTimeMilliseconds(millis):O} {Levels[random.Next(Levels.Length)]} worker-{random.Next(16):D2} " +
                $"{Events[random.Next(Events.Length)]} id={random.Next():x8} bytes={random.Next(100_000)} took={random.Next(2000)}ms\n");
        }
        System.Text.Encoding.ASCII.GetBytes(text.ToString(0, buffer.Length), buffer);
    }

    private int OffsetOf(long index) => (int)((ulong)(index * 2_654_435_761L) % (ulong)_window);

    public HttpContent ContentFor(long index, long size)
    {
        int offset = OffsetOf(index);
        HttpContent content = size <= _window
            ? new ReadOnlyMemoryContent(_buffer.AsMemory(offset, (int)size))
            : new CyclicContent(_buffer, offset, size);
        content.Headers.ContentLength = size;
        return content;
    }

    /// <summary>True when <paramref name="received"/> is what object <paramref name="index"/> holds at <paramref name="position"/>.</summary>
    public bool Matches(long index, long position, ReadOnlySpan<byte> received)
    {
        long at = (OffsetOf(index) + position) % _buffer.Length;
        while (received.Length > 0)
        {
            int run = (int)Math.Min(received.Length, _buffer.Length - at);
            if (!received[..run].SequenceEqual(_buffer.AsSpan((int)at, run)))
            {
                return false;
            }
            received = received[run..];
            at = 0;
        }
        return true;
    }

    private sealed class CyclicContent(byte[] buffer, int offset, long size) : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
            await SerializeToStreamAsync(stream, context, CancellationToken.None);

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
        {
            long left = size;
            int at = offset;
            while (left > 0)
            {
                int run = (int)Math.Min(left, buffer.Length - at);
                await stream.WriteAsync(buffer.AsMemory(at, run), cancellationToken);
                left -= run;
                at = 0;
            }
        }

        protected override bool TryComputeLength(out long length)
        {
            length = size;
            return true;
        }
    }
}
