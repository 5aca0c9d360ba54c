using System.Buffers;
using System.Collections.Concurrent;

namespace ObjStore.Erasure;

/// <summary>
/// Systematic Reed-Solomon over GF(2^8): <see cref="DataShards"/> data shards, <see cref="ParityShards"/> parity
/// shards, and any <see cref="DataShards"/> of them rebuild the rest. Thread-safe; no allocation per call once a
/// decode plan for an erasure pattern is cached.
/// </summary>
/// <remarks>
/// All shards passed to one call have the same length. Shard i of the k+m is data for i &lt; k, parity after.
/// </remarks>
public sealed unsafe class ReedSolomon : IErasureCode
{
    public const int MaxTotalShards = 256;
    private const int MaxCachedPlans = 4096;

    private readonly byte[] _encodingMatrix;
    private readonly byte[] _parityCoefficients;
    private readonly byte[] _parityTables;
    private readonly ConcurrentDictionary<PlanKey, DecodePlan> _plans = new();

    /// <param name="dataShards">k, at least 1.</param>
    /// <param name="parityShards">m, at least 0; k + m at most 256.</param>
    /// <param name="simd">Cap on the instruction set (tests use it to compare paths); default the best available.</param>
    public ReedSolomon(int dataShards, int parityShards, SimdLevel simd = SimdLevel.Vector256)
    {
        if (dataShards < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(dataShards), dataShards, "At least one data shard is needed.");
        }
        if (parityShards < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(parityShards), parityShards, "Parity shards cannot be negative.");
        }
        if (dataShards + parityShards > MaxTotalShards)
        {
            throw new ArgumentOutOfRangeException(
                nameof(parityShards), $"k + m = {dataShards + parityShards} exceeds {MaxTotalShards}, the size of GF(2^8).");
        }
        DataShards = dataShards;
        ParityShards = parityShards;
        Simd = SimdSupport.Clamp(simd);
        _encodingMatrix = GfMatrix.CauchyEncoding(dataShards, parityShards);
        _parityCoefficients = GC.AllocateArray<byte>(parityShards * dataShards, pinned: true);
        _encodingMatrix.AsSpan(dataShards * dataShards).CopyTo(_parityCoefficients);
        _parityTables = GfKernels.BuildTables(_parityCoefficients, parityShards, dataShards);
    }

    public int DataShards { get; }
    public int ParityShards { get; }
    public int TotalShards => DataShards + ParityShards;
    public SimdLevel Simd { get; }

    /// <summary>Computes the parity shards from the data shards.</summary>
    public void Encode(ReadOnlySpan<ReadOnlyMemory<byte>> data, ReadOnlySpan<Memory<byte>> parity)
    {
        if (data.Length != DataShards)
        {
            throw new ArgumentException($"Expected {DataShards} data shards, got {data.Length}.", nameof(data));
        }
        if (parity.Length != ParityShards)
        {
            throw new ArgumentException($"Expected {ParityShards} parity shards, got {parity.Length}.", nameof(parity));
        }
        int length = data[0].Length;
        for (int i = 0; i < data.Length; i++)
        {
            RequireLength(data[i].Length, length);
        }
        for (int i = 0; i < parity.Length; i++)
        {
            RequireLength(parity[i].Length, length);
        }
        if (ParityShards == 0 || length == 0)
        {
            return;
        }

        var handles = ArrayPool<MemoryHandle>.Shared.Rent(TotalShards);
        try
        {
            byte** ins = stackalloc byte*[DataShards];
            byte** outs = stackalloc byte*[ParityShards];
            for (int i = 0; i < DataShards; i++)
            {
                handles[i] = data[i].Pin();
                ins[i] = (byte*)handles[i].Pointer;
            }
            for (int i = 0; i < ParityShards; i++)
            {
                handles[DataShards + i] = parity[i].Pin();
                outs[i] = (byte*)handles[DataShards + i].Pointer;
            }
            fixed (byte* coefficients = _parityCoefficients)
            fixed (byte* tables = _parityTables)
            {
                GfKernels.DotProduct(Simd, coefficients, tables, DataShards, ins, ParityShards, outs, length);
            }
        }
        finally
        {
            ReleaseHandles(handles, TotalShards);
        }
    }

    /// <summary>
    /// Rebuilds the shards not marked present, in place, from any k present ones. Every shard buffer, present or
    /// not, must have the common length. With <paramref name="dataOnly"/> missing parity is left untouched.
    /// </summary>
    /// <exception cref="TooFewShardsException">Fewer than k shards are present.</exception>
    public void Reconstruct(ReadOnlySpan<Memory<byte>> shards, ReadOnlySpan<bool> present, bool dataOnly = false)
    {
        if (shards.Length != TotalShards)
        {
            throw new ArgumentException($"Expected {TotalShards} shards, got {shards.Length}.", nameof(shards));
        }
        if (present.Length != TotalShards)
        {
            throw new ArgumentException($"Expected {TotalShards} presence flags, got {present.Length}.", nameof(present));
        }
        int length = shards[0].Length;
        int presentCount = 0;
        for (int i = 0; i < TotalShards; i++)
        {
            RequireLength(shards[i].Length, length);
            if (present[i])
            {
                presentCount++;
            }
        }
        if (presentCount < DataShards)
        {
            throw new TooFewShardsException(presentCount, DataShards);
        }

        var plan = GetPlan(present, dataOnly);
        if (plan.Outputs.Length == 0 || length == 0)
        {
            return;
        }

        var handles = ArrayPool<MemoryHandle>.Shared.Rent(TotalShards);
        int pinned = 0;
        try
        {
            byte** ins = stackalloc byte*[DataShards];
            byte** outs = stackalloc byte*[plan.Outputs.Length];
            for (int i = 0; i < DataShards; i++)
            {
                handles[pinned] = shards[plan.Inputs[i]].Pin();
                ins[i] = (byte*)handles[pinned++].Pointer;
            }
            for (int i = 0; i < plan.Outputs.Length; i++)
            {
                handles[pinned] = shards[plan.Outputs[i]].Pin();
                outs[i] = (byte*)handles[pinned++].Pointer;
            }
            fixed (byte* coefficients = plan.Coefficients)
            fixed (byte* tables = plan.Tables)
            {
                GfKernels.DotProduct(Simd, coefficients, tables, DataShards, ins, plan.Outputs.Length, outs, length);
            }
        }
        finally
        {
            ReleaseHandles(handles, pinned);
        }
    }

    /// <summary>True when the parity shards match the data shards.</summary>
    public bool Verify(ReadOnlySpan<ReadOnlyMemory<byte>> shards)
    {
        if (shards.Length != TotalShards)
        {
            throw new ArgumentException($"Expected {TotalShards} shards, got {shards.Length}.", nameof(shards));
        }
        int length = shards[0].Length;
        var computed = new Memory<byte>[ParityShards];
        var rented = new byte[ParityShards][];
        try
        {
            for (int i = 0; i < ParityShards; i++)
            {
                rented[i] = ArrayPool<byte>.Shared.Rent(length);
                computed[i] = rented[i].AsMemory(0, length);
            }
            Encode(shards[..DataShards], computed);
            for (int i = 0; i < ParityShards; i++)
            {
                if (!computed[i].Span.SequenceEqual(shards[DataShards + i].Span))
                {
                    return false;
                }
            }
            return true;
        }
        finally
        {
            foreach (var buffer in rented)
            {
                if (buffer is not null)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                }
            }
        }
    }

    /// <summary>Number of decode plans cached (bounded).</summary>
    internal int CachedPlanCount => _plans.Count;

    private DecodePlan GetPlan(ReadOnlySpan<bool> present, bool dataOnly)
    {
        var key = PlanKey.From(present, dataOnly);
        if (_plans.TryGetValue(key, out var plan))
        {
            return plan;
        }
        plan = BuildPlan(present, dataOnly);
        if (_plans.Count >= MaxCachedPlans)
        {
            // Erasure patterns in practice are few; a full cache means churn, so start over rather than track LRU.
            _plans.Clear();
        }
        _plans[key] = plan;
        return plan;
    }

    private DecodePlan BuildPlan(ReadOnlySpan<bool> present, bool dataOnly)
    {
        int k = DataShards;
        // The first k present shards, data first: when all data shards are there, no decoding happens at all.
        var inputs = new int[k];
        for (int i = 0, n = 0; n < k; i++)
        {
            if (present[i])
            {
                inputs[n++] = i;
            }
        }
        var outputList = new List<int>();
        for (int i = 0; i < (dataOnly ? k : TotalShards); i++)
        {
            if (!present[i])
            {
                outputList.Add(i);
            }
        }
        var outputs = outputList.ToArray();

        var subMatrix = new byte[k * k];
        for (int r = 0; r < k; r++)
        {
            _encodingMatrix.AsSpan(inputs[r] * k, k).CopyTo(subMatrix.AsSpan(r * k));
        }
        var decode = GfMatrix.Invert(subMatrix, k);

        var coefficients = GC.AllocateArray<byte>(outputs.Length * k, pinned: true);
        for (int r = 0; r < outputs.Length; r++)
        {
            var row = coefficients.AsSpan(r * k, k);
            if (outputs[r] < k)
            {
                decode.AsSpan(outputs[r] * k, k).CopyTo(row);
            }
            else
            {
                // Parity row p of the encoding matrix applied to the data recovered by the decode matrix.
                GfMatrix.MultiplyRow(_encodingMatrix.AsSpan(outputs[r] * k, k), decode, k, row);
            }
        }
        return new DecodePlan(inputs, outputs, coefficients, GfKernels.BuildTables(coefficients, outputs.Length, k));
    }

    private static void RequireLength(int actual, int expected)
    {
        if (actual != expected)
        {
            throw new ArgumentException($"All shards must have the same length: found {actual} and {expected}.");
        }
    }

    private static void ReleaseHandles(MemoryHandle[] handles, int count)
    {
        for (int i = 0; i < count; i++)
        {
            handles[i].Dispose();
            handles[i] = default;
        }
        ArrayPool<MemoryHandle>.Shared.Return(handles);
    }

    private sealed record DecodePlan(int[] Inputs, int[] Outputs, byte[] Coefficients, byte[] Tables);

    private readonly record struct PlanKey(ulong P0, ulong P1, ulong P2, ulong P3, bool DataOnly)
    {
        public static PlanKey From(ReadOnlySpan<bool> present, bool dataOnly)
        {
            Span<ulong> bits = stackalloc ulong[4];
            for (int i = 0; i < present.Length; i++)
            {
                if (present[i])
                {
                    bits[i >> 6] |= 1UL << (i & 63);
                }
            }
            return new PlanKey(bits[0], bits[1], bits[2], bits[3], dataOnly);
        }
    }
}

/// <summary>Fewer shards survive than the data shard count: the data cannot be rebuilt.</summary>
public sealed class TooFewShardsException(int present, int needed)
    : Exception($"Only {present} shards are available; {needed} are needed to reconstruct.")
{
    public int Present { get; } = present;
    public int Needed { get; } = needed;
}
