namespace ObjStore.Core.Jobs;

/// <summary>
/// Bytes a second a worker's jobs moved over the last ten seconds: the "recent I/O" it reports with every claim, so the
/// scheduler sends new work to workers that are not already busy moving data.
/// </summary>
public sealed class IoMeter(TimeProvider? clock = null)
{
    private const int Seconds = 10;
    private readonly TimeProvider _clock = clock ?? TimeProvider.System;
    private readonly long[] _bytes = new long[Seconds];
    private readonly long[] _second = new long[Seconds];
    private readonly Lock _lock = new();

    public void Add(long bytes)
    {
        long now = _clock.GetUtcNow().ToUnixTimeSeconds();
        int slot = (int)(now % Seconds);
        lock (_lock)
        {
            if (_second[slot] != now)
            {
                (_second[slot], _bytes[slot]) = (now, 0);
            }
            _bytes[slot] += bytes;
        }
    }

    public long BytesPerSecond
    {
        get
        {
            long now = _clock.GetUtcNow().ToUnixTimeSeconds(), total = 0;
            lock (_lock)
            {
                for (int i = 0; i < Seconds; i++)
                {
                    total += now - _second[i] < Seconds ? _bytes[i] : 0;
                }
            }
            return total / Seconds;
        }
    }
}
