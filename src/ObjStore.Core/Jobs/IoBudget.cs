namespace ObjStore.Core.Jobs;

/// <summary>
/// The rate limit of background I/O (scrub, heal, drain): bytes a second and operations (block reads or writes) a
/// second, 0 for no limit. Each operation is scheduled after the previous ones at the slower of the two rates; at most
/// a second of unused budget carries over, so a pause is not followed by a burst that foreground reads would feel.
/// With a <see cref="ForegroundYield"/>, each operation first waits for the clients' requests to pause (bounded): the
/// rates are then ceilings over an adaptive pace, full speed while the store is idle.
/// </summary>
public sealed class IoBudget(long bytesPerSecond, long opsPerSecond = 0, TimeProvider? clock = null, ForegroundYield? yieldTo = null)
{
    private static readonly TimeSpan Carry = TimeSpan.FromSeconds(1);
    private readonly TimeProvider _clock = clock ?? TimeProvider.System;
    private readonly Lock _lock = new();
    private long _free = long.MinValue; // timestamp from which the budget has room again

    public async ValueTask SpendAsync(long bytes, CancellationToken cancellationToken)
    {
        if (yieldTo is { } y)
        {
            await y.Activity.YieldAsync(y.Quiet, y.MaxWait, y.Burst, cancellationToken).ConfigureAwait(false);
        }
        var wait = Reserve(bytes);
        if (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait, _clock, cancellationToken);
        }
    }

    /// <summary>Books one operation of <paramref name="bytes"/>; returns how long to wait before doing it.</summary>
    public TimeSpan Reserve(long bytes)
    {
        double cost = Math.Max(
            bytesPerSecond > 0 ? (double)bytes / bytesPerSecond : 0,
            opsPerSecond > 0 ? 1.0 / opsPerSecond : 0);
        if (cost == 0)
        {
            return TimeSpan.Zero;
        }
        lock (_lock)
        {
            long now = _clock.GetTimestamp();
            long start = Math.Max(_free, now - (long)(Carry.TotalSeconds * _clock.TimestampFrequency));
            _free = start + (long)(cost * _clock.TimestampFrequency);
            return start > now ? TimeSpan.FromSeconds((double)(start - now) / _clock.TimestampFrequency) : TimeSpan.Zero;
        }
    }
}

/// <summary>
/// What background I/O yields to: the clients' requests, until they pause for <paramref name="Quiet"/> or at most
/// <paramref name="MaxWait"/> an operation; a wait that ran out opens a <paramref name="Burst"/> without waits.
/// </summary>
public sealed record ForegroundYield(ForegroundActivity Activity, TimeSpan Quiet, TimeSpan MaxWait, TimeSpan Burst)
{
    /// <summary>The yield that gives background work at least <paramref name="minShare"/> of the time under constant load.</summary>
    public static ForegroundYield WithShare(ForegroundActivity activity, TimeSpan quiet, TimeSpan maxWait, double minShare)
    {
        double share = Math.Clamp(minShare, 0, 0.9); // a burst of share / (1 - share) waits after each wait
        return new(activity, quiet, maxWait, maxWait * (share / (1 - share)));
    }
}
