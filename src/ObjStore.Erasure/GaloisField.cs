namespace ObjStore.Erasure;

/// <summary>
/// Arithmetic in GF(2^8) with the Reed-Solomon polynomial x^8 + x^4 + x^3 + x^2 + 1 (0x11D), generator 2.
/// The same field as Intel ISA-L, Backblaze and klauspost/reedsolomon, so parity bytes are interchangeable.
/// </summary>
public static class GaloisField
{
    public const int Polynomial = 0x11D;

    private static readonly byte[] ExpTable = new byte[512];
    private static readonly byte[] LogTable = new byte[256];

    /// <summary>Full 256 x 256 product table: the scalar reference path and the source of the SIMD nibble tables.</summary>
    internal static readonly byte[] MulTable = new byte[256 * 256];

    static GaloisField()
    {
        int x = 1;
        for (int i = 0; i < 255; i++)
        {
            ExpTable[i] = (byte)x;
            LogTable[x] = (byte)i;
            x <<= 1;
            if ((x & 0x100) != 0)
            {
                x ^= Polynomial;
            }
        }
        for (int i = 255; i < ExpTable.Length; i++)
        {
            ExpTable[i] = ExpTable[i - 255];
        }
        for (int a = 0; a < 256; a++)
        {
            for (int b = 0; b < 256; b++)
            {
                MulTable[(a << 8) | b] = MulSlow((byte)a, (byte)b);
            }
        }
    }

    private static byte MulSlow(byte a, byte b) =>
        a == 0 || b == 0 ? (byte)0 : ExpTable[LogTable[a] + LogTable[b]];

    public static byte Mul(byte a, byte b) => MulTable[(a << 8) | b];

    public static byte Inverse(byte a)
    {
        if (a == 0)
        {
            throw new DivideByZeroException("0 has no inverse in GF(2^8).");
        }
        return ExpTable[255 - LogTable[a]];
    }

    public static byte Exp(int power) => ExpTable[power % 255];
}
