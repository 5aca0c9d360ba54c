namespace ObjStore.Objects;

/// <summary>
/// Recent block-read latencies and the hedge delay they imply: a stripe read still waiting after the chosen
/// percentile of recent reads (never less than the floor) asks one more shard.
/// </summary>
internal sealed class ReadLatency(double percentile, TimeSpan floor)
{
    private const int Window = 1024;
    private readonly double[] _samples = new double[Window];
    private readonly double[] _scratch = new double[Window];
    private readonly Lock _lock = new();
    private long _count;
    private TimeSpan _hedgeDelay = floor * 4;

    public TimeSpan HedgeDelay => _hedgeDelay;

    public void Record(TimeSpan elapsed)
    {
        lock (_lock)
        {
            _samples[_count++ % Window] = elapsed.TotalMilliseconds;
            if (_count % 64 != 0)
            {
                return;
            }
            var recent = _scratch.AsSpan(0, (int)Math.Min(_count, Window));
            _samples.AsSpan(0, recent.Length).CopyTo(recent);
            recent.Sort();
            double ms = recent[Math.Min(recent.Length - 1, (int)(percentile * recent.Length))];
            _hedgeDelay = TimeSpan.FromMilliseconds(Math.Max(ms, floor.TotalMilliseconds));
        }
    }
}
