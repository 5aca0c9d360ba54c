using System.Runtime.CompilerServices;
using ObjStore.Core;

namespace ObjStore.TestKit.Faults;

/// <summary>
/// An <see cref="IShardStore"/> that forwards every call to another one, with a hook before each call (to fail or
/// hold it) and one after each read (to change what the reader gets). The faults derive from it; each applies to the
/// <see cref="Calls"/> it was made for, and only while <see cref="Enabled"/>, so a test can write through a store
/// first and break it afterwards.
/// </summary>
public abstract class ShardStoreDecorator(IShardStore inner, ShardCalls calls) : IShardStore
{
    private volatile bool _enabled = true;

    /// <summary>The store the calls go to.</summary>
    public IShardStore Inner { get; } = inner;

    /// <summary>The calls the fault applies to.</summary>
    public ShardCalls Calls { get; } = calls;

    /// <summary>While false, the store behaves exactly like <see cref="Inner"/>.</summary>
    public bool Enabled
    {
        get => _enabled;
        set => _enabled = value;
    }

    public string Id => Inner.Id;

    public string? Instance => Inner.Instance;

    /// <summary>Runs before a call of <see cref="Calls"/> reaches the inner store, while enabled: throw to fail it, wait to hold it.</summary>
    protected virtual ValueTask BeforeAsync(ShardCalls kind, string? shardId, CancellationToken cancellationToken) => ValueTask.CompletedTask;

    /// <summary>
    /// Sees what a read returned (<paramref name="data"/>, read at <paramref name="offset"/> of the shard) before the
    /// caller does, while enabled and <see cref="Calls"/> has <see cref="ShardCalls.Read"/>.
    /// </summary>
    protected virtual void AfterRead(string shardId, long offset, Memory<byte> data)
    {
    }

    /// <summary>What a deferred commit hands back for the caller's sync: the inner store's, unless a test wraps it.</summary>
    protected virtual IShardSync WrapSync(IShardSync sync) => sync;

    private bool Applies(ShardCalls call) => _enabled && (Calls & call) != 0;

    private ValueTask HookAsync(ShardCalls call, string? shardId, CancellationToken cancellationToken) =>
        Applies(call) ? BeforeAsync(call, shardId, cancellationToken) : ValueTask.CompletedTask;

    private void HookRead(string shardId, long offset, Memory<byte> data)
    {
        if (Applies(ShardCalls.Read))
        {
            AfterRead(shardId, offset, data);
        }
    }

    public async Task<IShardWriter> CreateAsync(string shardId, CancellationToken cancellationToken)
    {
        await HookAsync(ShardCalls.Create, shardId, cancellationToken);
        return new Writer(this, shardId, await Inner.CreateAsync(shardId, cancellationToken));
    }

    public async Task<IShardReader> OpenAsync(string shardId, CancellationToken cancellationToken)
    {
        await HookAsync(ShardCalls.Open, shardId, cancellationToken);
        return new Reader(this, shardId, await Inner.OpenAsync(shardId, cancellationToken));
    }

    public async Task DeleteAsync(string shardId, CancellationToken cancellationToken)
    {
        await HookAsync(ShardCalls.Delete, shardId, cancellationToken);
        await Inner.DeleteAsync(shardId, cancellationToken);
    }

    public async IAsyncEnumerable<ShardEntry> ListAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await HookAsync(ShardCalls.List, null, cancellationToken);
        await foreach (var entry in Inner.ListAsync(cancellationToken))
        {
            yield return entry;
        }
    }

    public async Task<StoreHealth> GetHealthAsync(CancellationToken cancellationToken)
    {
        await HookAsync(ShardCalls.Health, null, cancellationToken);
        return await Inner.GetHealthAsync(cancellationToken);
    }

    private sealed class Writer(ShardStoreDecorator store, string shardId, IShardWriter inner) : IShardWriter
    {
        public async Task WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
        {
            await store.HookAsync(ShardCalls.Write, shardId, cancellationToken);
            await inner.WriteAsync(data, cancellationToken);
        }

        public async Task WriteBlockAsync(ReadOnlyMemory<byte> block, ReadOnlyMemory<byte> checksum, CancellationToken cancellationToken)
        {
            await store.HookAsync(ShardCalls.Write, shardId, cancellationToken);
            await inner.WriteBlockAsync(block, checksum, cancellationToken);
        }

        public async Task CommitAsync(ReadOnlyMemory<byte> footer, CancellationToken cancellationToken)
        {
            await store.HookAsync(ShardCalls.Commit, shardId, cancellationToken);
            await inner.CommitAsync(footer, cancellationToken);
        }

        /// <summary>Forwarded, so the object layer's one sync per filesystem runs under the faults as it does without them.</summary>
        public async Task<IShardSync> CommitUnsyncedAsync(ReadOnlyMemory<byte> footer, CancellationToken cancellationToken)
        {
            await store.HookAsync(ShardCalls.Commit, shardId, cancellationToken);
            return store.WrapSync(await inner.CommitUnsyncedAsync(footer, cancellationToken));
        }

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }

    /// <summary>Forwards both reads, so the inner reader's own (vectored) block read is the one used.</summary>
    private sealed class Reader(ShardStoreDecorator store, string shardId, IShardReader inner) : IShardReader
    {
        public async ValueTask<int> ReadAsync(long offset, Memory<byte> buffer, CancellationToken cancellationToken)
        {
            await store.HookAsync(ShardCalls.Read, shardId, cancellationToken);
            int read = await inner.ReadAsync(offset, buffer, cancellationToken);
            store.HookRead(shardId, offset, buffer[..read]);
            return read;
        }

        public async ValueTask<bool> ReadBlockAsync(long offset, Memory<byte> block, Memory<byte> checksum, CancellationToken cancellationToken)
        {
            await store.HookAsync(ShardCalls.Read, shardId, cancellationToken);
            bool whole = await inner.ReadBlockAsync(offset, block, checksum, cancellationToken);
            store.HookRead(shardId, offset, block);
            return whole;
        }

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}
