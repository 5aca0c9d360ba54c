using ObjStore.Core.Jobs;

namespace ObjStore.Integration.Tests;

/// <summary>The background I/O limit: bytes a second, operations a second, and no burst after a pause.</summary>
public sealed class IoBudgetTests
{
    /// <summary>A clock that moves only when told to.</summary>
    private sealed class ManualClock : TimeProvider
    {
        public long Ticks { get; set; } = 1_000_000_000;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => Ticks;

        public void Advance(TimeSpan by) => Ticks += by.Ticks;
    }

    private static double Seconds(TimeSpan wait) => Math.Round(wait.TotalSeconds, 3);

    [Fact]
    public void BytesAreSpreadAtTheRateAfterOneSecondOfCredit()
    {
        var clock = new ManualClock();
        var budget = new IoBudget(bytesPerSecond: 1 << 20, clock: clock);
        var waits = Enumerable.Range(0, 5).Select(_ => Seconds(budget.Reserve(512 << 10))).ToList();
        Assert.Equal([0, 0, 0, 0.5, 1.0], waits);

        clock.Advance(TimeSpan.FromMinutes(5)); // idle: at most a second carries over, not five minutes
        waits = Enumerable.Range(0, 4).Select(_ => Seconds(budget.Reserve(512 << 10))).ToList();
        Assert.Equal([0, 0, 0, 0.5], waits);
    }

    [Fact]
    public void TinyOperationsAreLimitedByTheOperationRate()
    {
        var clock = new ManualClock();
        var budget = new IoBudget(bytesPerSecond: 1 << 30, opsPerSecond: 10, clock: clock);
        var waits = Enumerable.Range(0, 12).Select(_ => Seconds(budget.Reserve(256))).ToList();
        Assert.All(waits.Take(10), w => Assert.Equal(0, w)); // the carried second: ten operations
        Assert.Equal([0.0, 0.1], waits.Skip(10));
        // Big operations are held to the byte rate instead (the carried second covers half of the first).
        var bytes = new IoBudget(bytesPerSecond: 1 << 20, opsPerSecond: 1000, clock: clock);
        Assert.Equal([0, 1.0, 3.0], Enumerable.Range(0, 3).Select(_ => Seconds(bytes.Reserve(1 << 21))).ToList());
    }

    [Fact]
    public void NoLimitMeansNoWait()
    {
        var budget = new IoBudget(0, 0, new ManualClock());
        Assert.All(Enumerable.Range(0, 100), _ => Assert.Equal(TimeSpan.Zero, budget.Reserve(1 << 30)));
    }
}
