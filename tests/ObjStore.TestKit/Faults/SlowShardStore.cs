using ObjStore.Core;

namespace ObjStore.TestKit.Faults;

/// <summary>
/// A store whose calls of <see cref="ShardStoreDecorator.Calls"/> (reads by default) each wait <see cref="Delay"/>
/// on a <see cref="TimeProvider"/> first: with a <c>FakeTimeProvider</c> the test moves time on, once
/// <see cref="DelayStarted"/> says a call is waiting, instead of sleeping. A cancelled caller stops waiting.
/// </summary>
public sealed class SlowShardStore(IShardStore inner, TimeSpan delay, TimeProvider clock, ShardCalls calls = ShardCalls.Read)
    : ShardStoreDecorator(inner, calls)
{
    private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _delays;

    public TimeSpan Delay { get; } = delay;

    /// <summary>Completes once the first call's timer is running on the clock (advancing the clock then fires it).</summary>
    public Task DelayStarted => _started.Task;

    /// <summary>Calls delayed so far.</summary>
    public int Delays => Volatile.Read(ref _delays);

    protected override async ValueTask BeforeAsync(ShardCalls kind, string? shardId, CancellationToken cancellationToken)
    {
        var wait = Task.Delay(Delay, clock, cancellationToken); // the timer exists from here on
        Interlocked.Increment(ref _delays);
        _started.TrySetResult();
        await wait;
    }
}
