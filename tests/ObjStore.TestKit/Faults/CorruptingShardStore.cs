using ObjStore.Core;

namespace ObjStore.TestKit.Faults;

/// <summary>
/// A store that hands readers wrong bytes: one byte of what each read returned, in its middle, is flipped (every bit),
/// for the shards <c>which</c> picks (all by default). The data on disk is untouched. Bit rot, or a node that lies.
/// </summary>
public sealed class CorruptingShardStore(IShardStore inner, Func<string, bool>? which = null) : ShardStoreDecorator(inner, ShardCalls.Read)
{
    private int _corrupted;

    /// <summary>Reads whose bytes were changed.</summary>
    public int Corrupted => Volatile.Read(ref _corrupted);

    protected override void AfterRead(string shardId, long offset, Memory<byte> data)
    {
        if (data.Length == 0 || which?.Invoke(shardId) == false)
        {
            return;
        }
        data.Span[data.Length / 2] ^= 0xFF;
        Interlocked.Increment(ref _corrupted);
    }
}
