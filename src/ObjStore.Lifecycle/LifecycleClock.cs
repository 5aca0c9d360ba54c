namespace ObjStore.Lifecycle;

/// <summary>
/// The lifecycle calendar. S3 adds a rule's days to an object's time and rounds the result up to the next midnight
/// UTC; so does this, with days of <see cref="DayLength"/>, which is a real day except in tests: the test setting
/// ObjStore:Lifecycle:DayLength makes a "day" last seconds, so real rules fire while a test waits, and rounding goes to
/// the next multiple of that length instead of midnight.
/// </summary>
public sealed class LifecycleClock
{
    public static readonly LifecycleClock Standard = new(TimeSpan.FromDays(1));

    public LifecycleClock(TimeSpan dayLength)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(dayLength, TimeSpan.Zero);
        DayLength = dayLength;
    }

    public TimeSpan DayLength { get; }

    /// <summary>When something <paramref name="days"/> days after <paramref name="start"/> falls due: the next day boundary at or after it.</summary>
    public DateTimeOffset DueAt(DateTimeOffset start, int days)
    {
        // Ticks count from 0001-01-01T00:00Z, a midnight, so multiples of a day's ticks are midnights UTC.
        long unit = DayLength.Ticks;
        long max = DateTimeOffset.MaxValue.UtcTicks;
        long startTicks = start.UtcTicks;
        if (days > (max - startTicks) / unit - 1)
        {
            return DateTimeOffset.MaxValue;
        }
        long due = startTicks + days * unit;
        long rounded = (due + unit - 1) / unit * unit;
        return new DateTimeOffset(rounded, TimeSpan.Zero);
    }
}
