using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;

namespace ObjStore.Storage.Remote;

/// <summary>
/// The MAC trailer of a streamed shard PUT (<see cref="NodeAuth"/>), computed by the gateway as it writes and by the
/// node as it receives, however the bytes were cut into writes or TCP segments: the body is taken in frames of
/// <see cref="FrameSize"/> bytes, each authenticated with AES-256-GMAC (the frame number as nonce), and the MAC is
/// HMAC-SHA256 of the frames' tags and the body's length. Both keys are derived from the request's body key, itself
/// one per nonce, so no GMAC nonce repeats under a key. GHASH runs at several GB/s a core; HMAC-SHA256 over every byte
/// on both sides of the hop cost a cluster PUT a fifth of its throughput on two cores. Frames are hashed in place when
/// they lie whole in one write; only the pieces across a write's edges are copied, into a pooled buffer.
/// </summary>
public sealed class BodyMac : IDisposable
{
    public const int FrameSize = 64 << 10;
    public const int Size = 32;

    private readonly AesGcm _gmac;
    private readonly IncrementalHash _tags;
    private readonly byte[] _nonce = new byte[12];
    private readonly byte[] _tag = new byte[16];
    private byte[]? _frame;
    private int _filled;
    private long _frames;
    private long _length;

    public BodyMac(byte[] bodyKey)
    {
        byte[] gmacKey = HMACSHA256.HashData(bodyKey, "frames"u8);
        byte[] tagKey = HMACSHA256.HashData(bodyKey, "tags"u8);
        _gmac = new AesGcm(gmacKey, _tag.Length);
        _tags = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, tagKey);
        CryptographicOperations.ZeroMemory(gmacKey);
        CryptographicOperations.ZeroMemory(tagKey);
    }

    public void Append(ReadOnlySpan<byte> data)
    {
        _length += data.Length;
        if (_filled > 0)
        {
            int n = Math.Min(FrameSize - _filled, data.Length);
            data[..n].CopyTo(_frame.AsSpan(_filled));
            _filled += n;
            data = data[n..];
            if (_filled < FrameSize)
            {
                return;
            }
            Seal(_frame);
            _filled = 0;
        }
        while (data.Length >= FrameSize)
        {
            Seal(data[..FrameSize]);
            data = data[FrameSize..];
        }
        if (data.Length > 0)
        {
            _frame ??= ArrayPool<byte>.Shared.Rent(FrameSize);
            data.CopyTo(_frame);
            _filled = data.Length;
        }
    }

    /// <summary>Writes the MAC of everything appended into <paramref name="mac"/> (<see cref="Size"/> bytes).</summary>
    public void Finish(Span<byte> mac)
    {
        if (_filled > 0)
        {
            Seal(_frame.AsSpan(0, _filled));
            _filled = 0;
        }
        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(length, _length);
        _tags.AppendData(length);
        _tags.GetHashAndReset(mac);
    }

    private void Seal(ReadOnlySpan<byte> frame)
    {
        BinaryPrimitives.WriteInt64LittleEndian(_nonce, _frames++);
        _gmac.Encrypt(_nonce, ReadOnlySpan<byte>.Empty, Span<byte>.Empty, _tag, frame);
        _tags.AppendData(_tag);
    }

    public void Dispose()
    {
        _gmac.Dispose();
        _tags.Dispose();
        if (_frame is not null)
        {
            ArrayPool<byte>.Shared.Return(_frame);
            _frame = null;
        }
    }
}
