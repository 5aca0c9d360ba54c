using Amazon.S3.Model;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using ObjStore.Core.Jobs;

namespace ObjStore.Integration.Tests;

/// <summary>
/// Heal's adaptive pace: a background block runs at once on an idle store, waits while clients' requests are in
/// flight and for a quiet period after, and never longer than the bounded wait; the S3 front end counts its requests.
/// </summary>
public sealed class ForegroundActivityTests
{
    private static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(5);
    private static readonly TimeSpan MaxWait = TimeSpan.FromSeconds(1);

    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero));

    /// <summary>Moves the fake clock a millisecond at a time until the wait is over.</summary>
    private async Task RunClockUntilAsync(Task wait)
    {
        while (!wait.IsCompleted)
        {
            _clock.Advance(TimeSpan.FromMilliseconds(1));
            await Task.Delay(1);
        }
        await wait;
    }

    [Fact]
    public async Task AnIdleStoreLetsABlockRunAtOnce()
    {
        var requests = new ForegroundActivity(_clock);
        var wait = requests.YieldAsync(Quiet, MaxWait, TimeSpan.Zero, CancellationToken.None);
        Assert.True(wait.IsCompletedSuccessfully);
        Assert.Equal(TimeSpan.Zero, await wait);
    }

    [Fact]
    public async Task ABlockWaitsForTheRequestsToEndAndThenForTheQuietPeriod()
    {
        var requests = new ForegroundActivity(_clock);
        requests.Begin();
        requests.Begin();
        var wait = requests.YieldAsync(Quiet, MaxWait, TimeSpan.Zero, CancellationToken.None).AsTask();
        _clock.Advance(TimeSpan.FromMilliseconds(20));
        requests.End();
        _clock.Advance(TimeSpan.FromMilliseconds(20));
        Assert.False(wait.IsCompleted); // one request still in flight, however long
        requests.End();
        await RunClockUntilAsync(wait);
        Assert.InRange(await wait, TimeSpan.FromMilliseconds(45), MaxWait - TimeSpan.FromMilliseconds(1));
        Assert.Equal(0, requests.InFlight);
    }

    [Fact]
    public async Task UnderConstantLoadABlockWaitsOnlyTheBoundedTime()
    {
        var requests = new ForegroundActivity(_clock);
        requests.Begin();
        var wait = requests.YieldAsync(Quiet, MaxWait, TimeSpan.Zero, CancellationToken.None).AsTask();
        await RunClockUntilAsync(wait);
        Assert.Equal(MaxWait, await wait);
    }

    [Fact]
    public async Task UnderConstantLoadWaitingBlocksTakeTurns()
    {
        var requests = new ForegroundActivity(_clock);
        requests.Begin();
        var first = requests.YieldAsync(Quiet, MaxWait, TimeSpan.Zero, CancellationToken.None).AsTask();
        var second = requests.YieldAsync(Quiet, MaxWait, TimeSpan.Zero, CancellationToken.None).AsTask();
        await RunClockUntilAsync(first);
        Assert.False(second.IsCompleted); // released one at a time, not together
        await RunClockUntilAsync(second);
        Assert.Equal(MaxWait, await first);
        Assert.InRange(await second, 2 * MaxWait, 2 * MaxWait + TimeSpan.FromMilliseconds(50));
    }

    [Fact]
    public async Task AWaitThatRanOutOpensABurstSoHealGetsItsShareUnderLoad()
    {
        var requests = new ForegroundActivity(_clock);
        var burst = TimeSpan.FromMilliseconds(10);
        requests.Begin();
        var wait = requests.YieldAsync(Quiet, MaxWait, burst, CancellationToken.None).AsTask();
        await RunClockUntilAsync(wait);
        Assert.Equal(MaxWait, await wait);
        // In the burst, blocks go at once although the request is still in flight...
        Assert.True(requests.YieldAsync(Quiet, MaxWait, burst, CancellationToken.None).AsTask().IsCompletedSuccessfully);
        _clock.Advance(TimeSpan.FromMilliseconds(9));
        Assert.True(requests.YieldAsync(Quiet, MaxWait, burst, CancellationToken.None).AsTask().IsCompletedSuccessfully);
        // ...and after it they wait again.
        _clock.Advance(TimeSpan.FromMilliseconds(2));
        Assert.False(requests.YieldAsync(Quiet, MaxWait, burst, CancellationToken.None).AsTask().IsCompleted);
        // A share of 5 % under constant load: 50 ms waits, bursts of 50 * 0.05 / 0.95 ms.
        var share = ForegroundYield.WithShare(requests, Quiet, TimeSpan.FromMilliseconds(50), 0.05);
        Assert.Equal(50 * 0.05 / 0.95, share.Burst.TotalMilliseconds, precision: 3);
        Assert.Equal(TimeSpan.Zero, ForegroundYield.WithShare(requests, Quiet, MaxWait, 0).Burst);
        requests.End();
    }

    [Fact]
    public async Task ABudgetYieldsFirstAndKeepsItsCeilingAfter()
    {
        var requests = new ForegroundActivity(_clock);
        var budget = new IoBudget(0, opsPerSecond: 10, _clock, new ForegroundYield(requests, Quiet, MaxWait, TimeSpan.Zero));
        Assert.True(budget.SpendAsync(1, CancellationToken.None).AsTask().IsCompletedSuccessfully); // idle: no wait at all
        requests.Begin();
        var held = budget.SpendAsync(1, CancellationToken.None).AsTask();
        _clock.Advance(TimeSpan.FromMilliseconds(100));
        Assert.False(held.IsCompleted);
        requests.End();
        await RunClockUntilAsync(held);
        // Off, or with nothing to yield to, only the ceiling paces: the carried second holds ten operations.
        var ceilingOnly = new IoBudget(0, opsPerSecond: 10, _clock);
        requests.Begin();
        Assert.True(ceilingOnly.SpendAsync(1, CancellationToken.None).AsTask().IsCompletedSuccessfully);
        requests.End();
    }

    [Fact]
    public async Task CancellingAHealStopsItsWait()
    {
        var requests = new ForegroundActivity(_clock);
        requests.Begin();
        using var cancel = new CancellationTokenSource();
        var wait = requests.YieldAsync(Quiet, MaxWait, TimeSpan.Zero, cancel.Token).AsTask();
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => wait);
    }

    [Fact]
    public async Task TheS3FrontEndCountsARequestInFlightUntilItEnds()
    {
        await using var server = await DevServer.StartAsync(settings: Maintenance.Fast);
        using var s3 = server.Client();
        await s3.PutBucketAsync("yield");
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = "yield", Key = "big", InputStream = TestData.Stream(32 << 20, seed: 7) });
        var requests = server.Services.GetRequiredService<ForegroundActivity>();
        await WaitForAsync(() => requests.InFlight == 0); // the PUT's answer can reach the client before its handler returns

        // A GET whose body the client does not read: the server's writes back up and the request stays in flight.
        var response = await s3.GetObjectAsync("yield", "big");
        await WaitForAsync(() => requests.InFlight == 1);
        response.Dispose();
        await WaitForAsync(() => requests.InFlight == 0);
    }

    private static async Task WaitForAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "the condition never held");
            await Task.Delay(10);
        }
    }
}
