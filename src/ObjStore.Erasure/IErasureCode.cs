namespace ObjStore.Erasure;

/// <summary>
/// A systematic code over k data and m parity shards of equal length: what a <see cref="StripeBuffer"/> needs to seal
/// a stripe and to rebuild one from the shards that survived. <see cref="ReedSolomon"/> (any k of k+m) and
/// <see cref="ReplicationCode"/> (k = 1, every shard a copy) implement it.
/// </summary>
public interface IErasureCode
{
    int DataShards { get; }
    int ParityShards { get; }
    int TotalShards { get; }

    /// <summary>Computes the parity shards from the data shards.</summary>
    void Encode(ReadOnlySpan<ReadOnlyMemory<byte>> data, ReadOnlySpan<Memory<byte>> parity);

    /// <summary>
    /// Rebuilds the shards not marked present, in place, from the present ones. Every shard buffer, present or not,
    /// must have the common length. With <paramref name="dataOnly"/> missing parity is left untouched.
    /// </summary>
    /// <exception cref="TooFewShardsException">Fewer than k shards are present.</exception>
    void Reconstruct(ReadOnlySpan<Memory<byte>> shards, ReadOnlySpan<bool> present, bool dataOnly = false);
}
