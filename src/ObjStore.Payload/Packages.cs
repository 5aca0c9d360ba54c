using System.Buffers.Binary;

namespace ObjStore.Payload;

/// <summary>
/// The layout of an encrypted payload: the plaintext cut into <see cref="PlainSize"/> packages, each sealed with
/// AES-256-GCM on its own so a range read decrypts only the packages it covers.
/// </summary>
public static class Packages
{
    public const int PlainSize = 64 * 1024;
    public const int TagSize = 16;
    public const int StoredSize = PlainSize + TagSize;
    public const int KeySize = 32;
    public const int NonceSize = 12;

    /// <summary>Stored bytes for a plaintext of this length: ceil(n/PlainSize) packages, each + TagSize. 0 -> 0.</summary>
    public static long StoredLength(long plainLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(plainLength);
        long count = (plainLength + PlainSize - 1) / PlainSize;
        return plainLength + (count * TagSize);
    }

    /// <summary>The plaintext length a stored length encodes.</summary>
    /// <exception cref="InvalidDataException">No plaintext length maps to it: a negative length, or a last package
    /// of only a tag or less (the last package is never empty).</exception>
    public static long PlainLength(long storedLength)
    {
        if (storedLength < 0)
        {
            throw new InvalidDataException($"A stored length of {storedLength} bytes is negative.");
        }
        long whole = storedLength / StoredSize;
        long rest = storedLength % StoredSize;
        if (rest is > 0 and <= TagSize)
        {
            throw new InvalidDataException(
                $"A stored length of {storedLength} bytes ends in a package of {rest} bytes, no longer than its tag.");
        }
        return (whole * PlainSize) + (rest == 0 ? 0 : rest - TagSize);
    }

    /// <summary>
    /// For plaintext [offset, offset+length) of a payload of plainTotal bytes: the stored range to read (whole
    /// packages), the index of its first package and how many plaintext bytes of that package to skip. An empty
    /// range reads nothing.
    /// </summary>
    public static PackageRange StoredRange(long offset, long length, long plainTotal)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(plainTotal);
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(offset, plainTotal);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, plainTotal - offset);
        long first = offset / PlainSize;
        if (length == 0)
        {
            return new PackageRange(first * StoredSize, 0, first, 0);
        }
        long last = (offset + length - 1) / PlainSize;
        long storedStart = first * StoredSize;
        long storedEnd = Math.Min((last + 1) * StoredSize, StoredLength(plainTotal));
        return new PackageRange(storedStart, storedEnd - storedStart, first, (int)(offset - (first * PlainSize)));
    }

    /// <summary>Package i's nonce: i big-endian in bytes 0..7, byte 8 = 1 for the payload's last package (so a
    /// truncated payload fails: its new last package was sealed as not last), bytes 9..11 = 0.</summary>
    internal static void WriteNonce(Span<byte> nonce, long package, bool last)
    {
        BinaryPrimitives.WriteInt64BigEndian(nonce, package);
        nonce[8] = last ? (byte)1 : (byte)0;
        nonce[9..NonceSize].Clear();
    }

    internal static void ValidateKey(ReadOnlyMemory<byte> key)
    {
        if (key.Length != KeySize)
        {
            throw new ArgumentException($"An AES-256 key is {KeySize} bytes, not {key.Length}.", nameof(key));
        }
    }
}

public readonly record struct PackageRange(long StoredOffset, long StoredLength, long FirstPackage, int Skip);

/// <summary>A package failed its tag check, or the payload was cut short: the stored bytes are not what was
/// written under this key and associated data.</summary>
/// <remarks>An <see cref="IOException"/>: <see cref="InvalidDataException"/>, the closer kin, is sealed.</remarks>
public class PayloadTamperedException : IOException
{
    public PayloadTamperedException()
    {
    }

    public PayloadTamperedException(string message) : base(message)
    {
    }

    public PayloadTamperedException(string message, Exception innerException) : base(message, innerException)
    {
    }
}
