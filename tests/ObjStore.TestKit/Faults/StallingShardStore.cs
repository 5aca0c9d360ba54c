using ObjStore.Core;

namespace ObjStore.TestKit.Faults;

/// <summary>
/// A store whose calls of <see cref="ShardStoreDecorator.Calls"/> hang at a gate until the test opens it
/// (<see cref="Release"/>) or the caller cancels them: a node that accepted a request and says nothing. No clock is
/// involved; the test sees when a call is held (<see cref="Stalled"/>) and when a held call was given up
/// (<see cref="Cancelled"/>).
/// </summary>
public sealed class StallingShardStore(IShardStore inner, ShardCalls calls = ShardCalls.Read) : ShardStoreDecorator(inner, calls)
{
    private readonly TaskCompletionSource _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _stalled = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _cancelled = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _stalls, _cancellations;

    /// <summary>Completes when the first call reaches the closed gate.</summary>
    public Task Stalled => _stalled.Task;

    /// <summary>Completes when the first held call is cancelled by its caller.</summary>
    public Task Cancelled => _cancelled.Task;

    public int Stalls => Volatile.Read(ref _stalls);
    public int Cancellations => Volatile.Read(ref _cancellations);
    public bool IsReleased => _gate.Task.IsCompleted;

    /// <summary>Opens the gate: held calls continue, later ones pass.</summary>
    public void Release() => _gate.TrySetResult();

    protected override async ValueTask BeforeAsync(ShardCalls kind, string? shardId, CancellationToken cancellationToken)
    {
        if (_gate.Task.IsCompleted)
        {
            return;
        }
        Interlocked.Increment(ref _stalls);
        _stalled.TrySetResult();
        try
        {
            await _gate.Task.WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            Interlocked.Increment(ref _cancellations);
            _cancelled.TrySetResult();
            throw;
        }
    }
}
