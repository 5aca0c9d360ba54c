namespace ObjStore.Erasure;

/// <summary>
/// The repetition code: one data shard and <see cref="ParityShards"/> exact copies of it, so any one shard is the
/// whole stripe. Encoding copies, reconstructing copies from the first present shard. It is deliberately not
/// <see cref="ReedSolomon"/> with k = 1: the Cauchy rows for k = 1 are 1 / (i xor 0), so those parity shards are
/// scaled, not copied, and a replicated layout records its own kind (docs/format.md).
/// </summary>
public sealed class ReplicationCode : IErasureCode
{
    /// <param name="copies">Shards in all, the data shard included: at least 1, at most 256.</param>
    public ReplicationCode(int copies)
    {
        if (copies < 1 || copies > ReedSolomon.MaxTotalShards)
        {
            throw new ArgumentOutOfRangeException(nameof(copies), copies, $"A replicated layout has 1 to {ReedSolomon.MaxTotalShards} copies.");
        }
        ParityShards = copies - 1;
    }

    public int DataShards => 1;
    public int ParityShards { get; }
    public int TotalShards => ParityShards + 1;

    public void Encode(ReadOnlySpan<ReadOnlyMemory<byte>> data, ReadOnlySpan<Memory<byte>> parity)
    {
        if (data.Length != 1)
        {
            throw new ArgumentException($"Expected 1 data shard, got {data.Length}.", nameof(data));
        }
        if (parity.Length != ParityShards)
        {
            throw new ArgumentException($"Expected {ParityShards} parity shards, got {parity.Length}.", nameof(parity));
        }
        var source = data[0].Span;
        foreach (var copy in parity)
        {
            RequireLength(copy.Length, source.Length);
            source.CopyTo(copy.Span);
        }
    }

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
        int source = present.IndexOf(true);
        if (source < 0)
        {
            throw new TooFewShardsException(0, 1);
        }
        var good = shards[source].Span;
        for (int i = 0; i < (dataOnly ? 1 : TotalShards); i++)
        {
            RequireLength(shards[i].Length, good.Length);
            if (!present[i])
            {
                good.CopyTo(shards[i].Span);
            }
        }
    }

    private static void RequireLength(int actual, int expected)
    {
        if (actual != expected)
        {
            throw new ArgumentException($"All shards must have the same length: found {actual} and {expected}.");
        }
    }
}
