namespace ObjStore.Erasure;

/// <summary>Dense row-major matrices over GF(2^8): just what encoding and decoding need.</summary>
internal static class GfMatrix
{
    /// <summary>
    /// The systematic encoding matrix: identity on top, then the Cauchy rows a[i][j] = 1 / (i xor j) for
    /// i in [k, k+m), j in [0, k) (ISA-L's gf_gen_cauchy1_matrix). Every square sub-matrix of a Cauchy matrix is
    /// invertible, so any k rows of the whole matrix are too: any k shards rebuild the data.
    /// </summary>
    public static byte[] CauchyEncoding(int dataShards, int parityShards)
    {
        int total = dataShards + parityShards;
        var matrix = new byte[total * dataShards];
        for (int i = 0; i < dataShards; i++)
        {
            matrix[(i * dataShards) + i] = 1;
        }
        for (int i = dataShards; i < total; i++)
        {
            for (int j = 0; j < dataShards; j++)
            {
                matrix[(i * dataShards) + j] = GaloisField.Inverse((byte)(i ^ j));
            }
        }
        return matrix;
    }

    /// <summary>Inverts an n x n matrix by Gauss-Jordan elimination; throws when it is singular.</summary>
    public static byte[] Invert(ReadOnlySpan<byte> source, int n)
    {
        var work = source.ToArray();
        var inverse = new byte[n * n];
        for (int i = 0; i < n; i++)
        {
            inverse[(i * n) + i] = 1;
        }

        for (int col = 0; col < n; col++)
        {
            int pivot = col;
            while (pivot < n && work[(pivot * n) + col] == 0)
            {
                pivot++;
            }
            if (pivot == n)
            {
                throw new InvalidOperationException("The decode matrix is singular; the encoding matrix is not MDS.");
            }
            if (pivot != col)
            {
                SwapRows(work, n, pivot, col);
                SwapRows(inverse, n, pivot, col);
            }

            byte scale = GaloisField.Inverse(work[(col * n) + col]);
            for (int j = 0; j < n; j++)
            {
                work[(col * n) + j] = GaloisField.Mul(work[(col * n) + j], scale);
                inverse[(col * n) + j] = GaloisField.Mul(inverse[(col * n) + j], scale);
            }

            for (int row = 0; row < n; row++)
            {
                byte factor = work[(row * n) + col];
                if (row == col || factor == 0)
                {
                    continue;
                }
                for (int j = 0; j < n; j++)
                {
                    work[(row * n) + j] ^= GaloisField.Mul(factor, work[(col * n) + j]);
                    inverse[(row * n) + j] ^= GaloisField.Mul(factor, inverse[(col * n) + j]);
                }
            }
        }
        return inverse;
    }

    /// <summary>row (length n) times matrix (n x n).</summary>
    public static void MultiplyRow(ReadOnlySpan<byte> row, ReadOnlySpan<byte> matrix, int n, Span<byte> result)
    {
        for (int j = 0; j < n; j++)
        {
            byte sum = 0;
            for (int i = 0; i < n; i++)
            {
                sum ^= GaloisField.Mul(row[i], matrix[(i * n) + j]);
            }
            result[j] = sum;
        }
    }

    private static void SwapRows(byte[] m, int n, int a, int b)
    {
        for (int j = 0; j < n; j++)
        {
            (m[(a * n) + j], m[(b * n) + j]) = (m[(b * n) + j], m[(a * n) + j]);
        }
    }
}
