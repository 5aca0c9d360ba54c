using ObjStore.Core;

namespace ObjStore.TestKit.Faults;

/// <summary>
/// A store whose calls fail with the errors real stores throw: every call of <see cref="ShardStoreDecorator.Calls"/>,
/// or every one after the first <c>afterCalls</c> of them. The factories name the failure: a store that is down
/// (<see cref="StoreUnavailableException"/>), shards that are gone (<see cref="ShardNotFoundException"/>), a full disk
/// (<see cref="StoreFullException"/>).
/// </summary>
public sealed class FailingShardStore(IShardStore inner, ShardCalls calls, Func<string, string?, Exception> error, int afterCalls = 0)
    : ShardStoreDecorator(inner, calls)
{
    private int _calls, _failures;

    /// <summary>Calls of <see cref="ShardStoreDecorator.Calls"/> seen while enabled, failed or not.</summary>
    public int CallCount => Volatile.Read(ref _calls);

    /// <summary>Calls that were made to fail.</summary>
    public int Failures => Volatile.Read(ref _failures);

    public static FailingShardStore Unavailable(IShardStore inner, ShardCalls calls = ShardCalls.All, int afterCalls = 0) =>
        new(inner, calls, (store, _) => new StoreUnavailableException($"Store {store} is down (injected)."), afterCalls);

    public static FailingShardStore NotFound(IShardStore inner, ShardCalls calls = ShardCalls.Reads, int afterCalls = 0) =>
        new(inner, calls, (_, shardId) => new ShardNotFoundException(shardId ?? "(none)"), afterCalls);

    public static FailingShardStore Full(IShardStore inner, ShardCalls calls = ShardCalls.Writes, int afterCalls = 0) =>
        new(inner, calls, (store, shardId) => new StoreFullException($"Store {store} has no space for {shardId} (injected)."), afterCalls);

    protected override ValueTask BeforeAsync(ShardCalls kind, string? shardId, CancellationToken cancellationToken)
    {
        if (Interlocked.Increment(ref _calls) <= afterCalls)
        {
            return ValueTask.CompletedTask;
        }
        Interlocked.Increment(ref _failures);
        return ValueTask.FromException(error(Id, shardId));
    }
}
