using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace ObjStore.Erasure;

/// <summary>
/// The one hot loop of the codec: out[r] = XOR over j of coef[r][j] * in[j], for every byte position.
/// A multiply by a constant c is two 16-entry lookups, c*x = lo[x &amp; 15] ^ hi[x &gt;&gt; 4], done 32 (or 16) bytes
/// at a time with a byte shuffle. Up to four output rows are accumulated per pass, so each input vector is loaded
/// once for four outputs.
/// </summary>
internal static unsafe class GfKernels
{
    /// <summary>Bytes of nibble tables per coefficient: low table twice, then high table twice (one 256-bit load each).</summary>
    public const int TableBytesPerCoefficient = 64;

    private const int MaxRowsPerPass = 4;

    /// <summary>Expands a rows x inputs coefficient matrix into the nibble tables the kernels read.</summary>
    public static byte[] BuildTables(ReadOnlySpan<byte> coefficients, int rows, int inputs)
    {
        var tables = GC.AllocateArray<byte>(rows * inputs * TableBytesPerCoefficient, pinned: true);
        for (int r = 0; r < rows; r++)
        {
            for (int j = 0; j < inputs; j++)
            {
                byte c = coefficients[(r * inputs) + j];
                int at = ((r * inputs) + j) * TableBytesPerCoefficient;
                for (int x = 0; x < 16; x++)
                {
                    byte lo = GaloisField.Mul(c, (byte)x);
                    byte hi = GaloisField.Mul(c, (byte)(x << 4));
                    tables[at + x] = lo;
                    tables[at + 16 + x] = lo;
                    tables[at + 32 + x] = hi;
                    tables[at + 48 + x] = hi;
                }
            }
        }
        return tables;
    }

    /// <summary>
    /// Computes every output row over [0, length). <paramref name="coefficients"/> is rows x inputs row-major (for the
    /// scalar path); <paramref name="tables"/> is the same matrix expanded by <see cref="BuildTables"/>.
    /// </summary>
    public static void DotProduct(
        SimdLevel level, byte* coefficients, byte* tables, int inputs, byte** ins, int rows, byte** outs, int length)
    {
        for (int firstRow = 0; firstRow < rows; firstRow += MaxRowsPerPass)
        {
            int rowsNow = Math.Min(MaxRowsPerPass, rows - firstRow);
            byte* rowTables = tables + (firstRow * inputs * TableBytesPerCoefficient);
            byte** rowOuts = outs + firstRow;
            int done = level switch
            {
                SimdLevel.Vector256 => Dispatch256(rowTables, inputs, ins, rowsNow, rowOuts, length),
                SimdLevel.Vector128 => Dispatch128(rowTables, inputs, ins, rowsNow, rowOuts, length),
                _ => 0,
            };
            if (done < length)
            {
                Scalar(coefficients + (firstRow * inputs), inputs, ins, rowsNow, rowOuts, done, length);
            }
        }
    }

    /// <summary>The reference: byte at a time through the full product table.</summary>
    public static void Scalar(byte* coefficients, int inputs, byte** ins, int rows, byte** outs, int from, int to)
    {
        fixed (byte* mul = GaloisField.MulTable)
        {
            for (int r = 0; r < rows; r++)
            {
                byte* output = outs[r];
                for (int i = from; i < to; i++)
                {
                    int sum = 0;
                    for (int j = 0; j < inputs; j++)
                    {
                        sum ^= mul[(coefficients[(r * inputs) + j] << 8) | ins[j][i]];
                    }
                    output[i] = (byte)sum;
                }
            }
        }
    }

    private static int Dispatch256(byte* tables, int inputs, byte** ins, int rows, byte** outs, int length) => rows switch
    {
        1 => Dot256<One>(tables, inputs, ins, outs, length),
        2 => Dot256<Two>(tables, inputs, ins, outs, length),
        3 => Dot256<Three>(tables, inputs, ins, outs, length),
        _ => Dot256<Four>(tables, inputs, ins, outs, length),
    };

    private static int Dispatch128(byte* tables, int inputs, byte** ins, int rows, byte** outs, int length) => rows switch
    {
        1 => Dot128<One>(tables, inputs, ins, outs, length),
        2 => Dot128<Two>(tables, inputs, ins, outs, length),
        3 => Dot128<Three>(tables, inputs, ins, outs, length),
        _ => Dot128<Four>(tables, inputs, ins, outs, length),
    };

    // One body per vector width; TRows is a struct so the JIT specialises it and drops the unused accumulators.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int Dot256<TRows>(byte* tables, int inputs, byte** ins, byte** outs, int length)
        where TRows : struct, IRowCount
    {
        if (!Avx2.IsSupported)
        {
            return 0;
        }
        var mask = Vector256.Create((byte)0x0F);
        int rowStride = inputs * TableBytesPerCoefficient;
        int i = 0;
        // 64 bytes a pass: two independent accumulator chains per row keep the shuffle ports busy.
        for (; i + 64 <= length; i += 64)
        {
            Vector256<byte> a0 = default, a1 = default, a2 = default, a3 = default;
            Vector256<byte> b0 = default, b1 = default, b2 = default, b3 = default;
            byte* t = tables;
            for (int j = 0; j < inputs; j++, t += TableBytesPerCoefficient)
            {
                byte* input = ins[j] + i;
                var x = Avx.LoadVector256(input);
                var y = Avx.LoadVector256(input + 32);
                var xLo = Avx2.And(x, mask);
                var xHi = Avx2.And(Avx2.ShiftRightLogical(x.AsUInt16(), 4).AsByte(), mask);
                var yLo = Avx2.And(y, mask);
                var yHi = Avx2.And(Avx2.ShiftRightLogical(y.AsUInt16(), 4).AsByte(), mask);
                MulAdd256Pair(ref a0, ref b0, t, xLo, xHi, yLo, yHi);
                if (TRows.Count > 1)
                {
                    MulAdd256Pair(ref a1, ref b1, t + rowStride, xLo, xHi, yLo, yHi);
                }
                if (TRows.Count > 2)
                {
                    MulAdd256Pair(ref a2, ref b2, t + (2 * rowStride), xLo, xHi, yLo, yHi);
                }
                if (TRows.Count > 3)
                {
                    MulAdd256Pair(ref a3, ref b3, t + (3 * rowStride), xLo, xHi, yLo, yHi);
                }
            }
            Store256Pair(outs[0] + i, a0, b0);
            if (TRows.Count > 1)
            {
                Store256Pair(outs[1] + i, a1, b1);
            }
            if (TRows.Count > 2)
            {
                Store256Pair(outs[2] + i, a2, b2);
            }
            if (TRows.Count > 3)
            {
                Store256Pair(outs[3] + i, a3, b3);
            }
        }
        return i;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void MulAdd256Pair(
        ref Vector256<byte> accX, ref Vector256<byte> accY, byte* table,
        Vector256<byte> xLo, Vector256<byte> xHi, Vector256<byte> yLo, Vector256<byte> yHi)
    {
        var lo = Avx.LoadVector256(table);
        var hi = Avx.LoadVector256(table + 32);
        accX = Avx2.Xor(accX, Avx2.Xor(Avx2.Shuffle(lo, xLo), Avx2.Shuffle(hi, xHi)));
        accY = Avx2.Xor(accY, Avx2.Xor(Avx2.Shuffle(lo, yLo), Avx2.Shuffle(hi, yHi)));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store256Pair(byte* destination, Vector256<byte> x, Vector256<byte> y)
    {
        Avx.Store(destination, x);
        Avx.Store(destination + 32, y);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int Dot128<TRows>(byte* tables, int inputs, byte** ins, byte** outs, int length)
        where TRows : struct, IRowCount
    {
        if (!Ssse3.IsSupported && !AdvSimd.Arm64.IsSupported)
        {
            return 0;
        }
        var mask = Vector128.Create((byte)0x0F);
        int rowStride = inputs * TableBytesPerCoefficient;
        int end = length & ~15;
        for (int i = 0; i < end; i += 16)
        {
            Vector128<byte> acc0 = default, acc1 = default, acc2 = default, acc3 = default;
            byte* t = tables;
            for (int j = 0; j < inputs; j++, t += TableBytesPerCoefficient)
            {
                var data = Vector128.Load(ins[j] + i);
                var lo = data & mask;
                var hi = Vector128.ShiftRightLogical(data.AsUInt16(), 4).AsByte() & mask;
                acc0 = MulAdd128(acc0, t, lo, hi);
                if (TRows.Count > 1)
                {
                    acc1 = MulAdd128(acc1, t + rowStride, lo, hi);
                }
                if (TRows.Count > 2)
                {
                    acc2 = MulAdd128(acc2, t + (2 * rowStride), lo, hi);
                }
                if (TRows.Count > 3)
                {
                    acc3 = MulAdd128(acc3, t + (3 * rowStride), lo, hi);
                }
            }
            acc0.Store(outs[0] + i);
            if (TRows.Count > 1)
            {
                acc1.Store(outs[1] + i);
            }
            if (TRows.Count > 2)
            {
                acc2.Store(outs[2] + i);
            }
            if (TRows.Count > 3)
            {
                acc3.Store(outs[3] + i);
            }
        }
        return end;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<byte> MulAdd128(Vector128<byte> acc, byte* table, Vector128<byte> lo, Vector128<byte> hi) =>
        acc ^ Shuffle128(Vector128.Load(table), lo) ^ Shuffle128(Vector128.Load(table + 32), hi);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<byte> Shuffle128(Vector128<byte> table, Vector128<byte> indices) =>
        Ssse3.IsSupported ? Ssse3.Shuffle(table, indices) : AdvSimd.Arm64.VectorTableLookup(table, indices);

    private interface IRowCount
    {
        static abstract int Count { get; }
    }

    private readonly struct One : IRowCount
    {
        public static int Count => 1;
    }

    private readonly struct Two : IRowCount
    {
        public static int Count => 2;
    }

    private readonly struct Three : IRowCount
    {
        public static int Count => 3;
    }

    private readonly struct Four : IRowCount
    {
        public static int Count => 4;
    }
}
