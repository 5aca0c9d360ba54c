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

    public Payload(long largestObject, int seed)
    {
        // Twice the window, so an object up to the window size is one contiguous slice from any offset in [0, window).
        _window = (int)Math.Clamp(largestObject, 64 << 10, 8 << 20);
        _buffer = new byte[2 * _window];
        new Random(seed).NextBytes(_buffer);
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
