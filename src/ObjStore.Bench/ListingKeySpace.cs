using System.Globalization;

namespace ObjStore.Bench;

/// <summary>
/// The keys of the listing benchmark, in S3's order and computable by position (ten million keys are never held in
/// memory). A tenth are flat, <c>flat/object-00001234.bin</c>; the rest a log hierarchy,
/// <c>logs/2026/01/05/host-0042/part-000123.gz</c>: up to <see cref="HostsPerDayLimit"/> hosts a day and as many
/// parts per host as spread the keys over about <see cref="DaysWanted"/> days. So a delimiter listing of a day rolls
/// its keys up into up to 4,000 host prefixes, each holding the same number of parts (75 at 10^7 keys, 7 at 10^6,
/// 1 at 10^3, where the one day has 900 hosts), and the whole hierarchy stays a realistic three levels of dates deep.
/// </summary>
public sealed class ListingKeySpace
{
    public const int HostsPerDayLimit = 4000;
    public const int DaysWanted = 30;
    public const long MaxCount = 1_000_000_000;
    private static readonly DateOnly FirstDay = new(2026, 1, 1);

    public ListingKeySpace(long count)
    {
        if (count is < 1 or > MaxCount)
        {
            throw new ArgumentOutOfRangeException(nameof(count), count, $"the listing key space holds 1 to {MaxCount:N0} keys");
        }
        Count = count;
        FlatCount = count / 10;
        long logs = count - FlatCount;
        HostsPerDay = (int)Math.Min(logs, HostsPerDayLimit);
        PartsPerHost = Math.Max(1, logs / ((long)HostsPerDay * DaysWanted));
        long perDay = HostsPerDay * PartsPerHost;
        Days = (int)((logs + perDay - 1) / perDay);
    }

    public long Count { get; }
    public long FlatCount { get; }
    public int HostsPerDay { get; }
    public long PartsPerHost { get; }
    public int Days { get; }

    private long KeysPerDay => HostsPerDay * PartsPerHost;

    /// <summary>The key at <paramref name="index"/> (0 to Count - 1) in listing order.</summary>
    public string KeyAt(long index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
        if (index < FlatCount)
        {
            return string.Create(CultureInfo.InvariantCulture, $"flat/object-{index:D8}.bin");
        }
        long log = index - FlatCount;
        int day = (int)(log / KeysPerDay);
        long inDay = log % KeysPerDay;
        return string.Create(CultureInfo.InvariantCulture, $"{DayPrefix(day)}host-{inDay / PartsPerHost:D4}/part-{inDay % PartsPerHost:D6}.gz");
    }

    /// <summary>Every key, in listing order.</summary>
    public IEnumerable<string> Keys()
    {
        for (long i = 0; i < Count; i++)
        {
            yield return KeyAt(i);
        }
    }

    /// <summary>The prefix of day <paramref name="day"/>'s keys (0 to Days - 1), <c>logs/yyyy/MM/dd/</c>.</summary>
    public static string DayPrefix(int day) => FirstDay.AddDays(day).ToString("'logs/'yyyy'/'MM'/'dd'/'", CultureInfo.InvariantCulture);

    /// <summary>How many hosts day <paramref name="day"/> has (the last day may be partly filled).</summary>
    public int HostsOn(int day)
    {
        long logs = Count - FlatCount;
        long before = day * KeysPerDay;
        long keys = Math.Min(KeysPerDay, logs - before);
        return (int)((keys + PartsPerHost - 1) / PartsPerHost);
    }

    /// <summary>The index of the first key of host <paramref name="host"/> on day <paramref name="day"/>.</summary>
    public long FirstKeyOf(int day, int host) => FlatCount + day * KeysPerDay + host * PartsPerHost;
}
