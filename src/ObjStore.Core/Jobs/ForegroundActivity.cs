namespace ObjStore.Core.Jobs;

/// <summary>
/// The clients' requests this process is serving, for background I/O (heal, drain, rebalance) to yield to: a
/// background operation waits while any request is in flight, and until none has been for a short quiet period, but
/// never longer than a bounded time. Waiting operations take turns, so waits that end together do not release every
/// heal worker at once; and a wait that ran out opens a short burst in which operations run without waiting, so that
/// under constant load background work still gets its minimum share of the time (heal must finish, however busy the
/// store: the data is at risk until it does).
/// </summary>
/// <remarks>
/// Why occupancy and not latency: on a store whose every request competes for the same cores and disks, a heal block
/// run beside a request is what raises that request's latency, so the way to keep foreground latency at its idle value
/// is not to run one then; waiting for the latency to rise first would spend the very requests it is meant to protect.
/// The request path pays one interlocked increment and one decrement; the clock is read only when the last request in
/// flight ends.
/// </remarks>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification =
    "The semaphore holds no OS handle (AvailableWaitHandle is never read), and a job that outlives the host's shutdown must not meet a disposed one.")]
public sealed class ForegroundActivity
{
    private readonly TimeProvider _clock;
    private int _inFlight;
    private long _lastEnded;
    private TaskCompletionSource? _idle; // completed (and cleared) when the count of requests in flight falls to zero
    private readonly SemaphoreSlim _turn = new(1, 1);
    private long _burstUntil; // until this timestamp, background operations run without waiting

    public ForegroundActivity(TimeProvider? clock = null)
    {
        _clock = clock ?? TimeProvider.System;
        _lastEnded = _clock.GetTimestamp() - (3600 * _clock.TimestampFrequency); // as if the last request ended long ago
    }

    /// <summary>Requests being served now.</summary>
    public int InFlight => Volatile.Read(ref _inFlight);

    public void Begin() => Interlocked.Increment(ref _inFlight);

    public void End()
    {
        if (Interlocked.Decrement(ref _inFlight) == 0)
        {
            Volatile.Write(ref _lastEnded, _clock.GetTimestamp());
            Interlocked.Exchange(ref _idle, null)?.TrySetResult();
        }
    }

    /// <summary>
    /// Waits until no request is in flight and none has ended for <paramref name="quiet"/>, or until
    /// <paramref name="maxWait"/> has passed, whichever is first; a wait that ran out lets the operations of the next
    /// <paramref name="burst"/> go without waiting. Returns how long it waited.
    /// </summary>
    public async ValueTask<TimeSpan> YieldAsync(TimeSpan quiet, TimeSpan maxWait, TimeSpan burst, CancellationToken cancellationToken)
    {
        long start = _clock.GetTimestamp();
        if (start < Volatile.Read(ref _burstUntil) || (InFlight == 0 && _clock.GetElapsedTime(Volatile.Read(ref _lastEnded)) >= quiet))
        {
            return TimeSpan.Zero; // idle, or in a burst: no turn to take
        }
        await _turn.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (!await WaitForPauseAsync(quiet, maxWait, cancellationToken).ConfigureAwait(false) && burst > TimeSpan.Zero)
            {
                Volatile.Write(ref _burstUntil, _clock.GetTimestamp() + (long)(burst.TotalSeconds * _clock.TimestampFrequency));
            }
            return _clock.GetElapsedTime(start);
        }
        finally
        {
            _turn.Release();
        }
    }

    /// <summary>The wait of the operation whose turn it is: true when the requests paused, false when it ran out.</summary>
    private async ValueTask<bool> WaitForPauseAsync(TimeSpan quiet, TimeSpan maxWait, CancellationToken cancellationToken)
    {
        long start = _clock.GetTimestamp();
        while (true)
        {
            var left = maxWait - _clock.GetElapsedTime(start);
            if (left <= TimeSpan.Zero)
            {
                return false;
            }
            if (InFlight == 0)
            {
                var stillQuiet = quiet - _clock.GetElapsedTime(Volatile.Read(ref _lastEnded));
                if (stillQuiet <= TimeSpan.Zero)
                {
                    return true;
                }
                await Task.Delay(stillQuiet < left ? stillQuiet : left, _clock, cancellationToken).ConfigureAwait(false);
                continue;
            }
            var idle = IdleSignal();
            // A request that ended between the check above and the signal's creation completed no signal: look again.
            if (InFlight == 0)
            {
                continue;
            }
            try
            {
                await idle.Task.WaitAsync(left, _clock, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                return false;
            }
        }
    }

    private TaskCompletionSource IdleSignal()
    {
        var current = Volatile.Read(ref _idle);
        if (current is not null)
        {
            return current;
        }
        var created = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        return Interlocked.CompareExchange(ref _idle, created, null) ?? created;
    }
}
