using ObjStore.Storage.Remote;

namespace ObjStore.Integration.Tests;

/// <summary>The anti-replay window of node requests, driven by a hand-wound clock.</summary>
public sealed class ReplayGuardTests
{
    /// <summary>A clock that moves only when told (Microsoft.Extensions.TimeProvider.Testing is not restorable offline).</summary>
    private sealed class ManualClock(DateTimeOffset start) : TimeProvider
    {
        private DateTimeOffset _now = start;
        private long _ticks = 1_000_000;

        public override DateTimeOffset GetUtcNow() => _now;

        public override long GetTimestamp() => _ticks;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public void Advance(TimeSpan by)
        {
            _now += by;
            _ticks += by.Ticks;
        }
    }

    private static readonly DateTimeOffset Start = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);
    private const string Sender = "0123456789abcdef";

    private static string Nonce(ulong counter, string sender = Sender) => $"{sender}-{counter}";

    private static long Now(TimeProvider clock) => clock.GetUtcNow().ToUnixTimeMilliseconds();

    [Fact]
    public void EachCounterIsAcceptedOnceInAnyOrderWithinTheWindow()
    {
        var clock = new ManualClock(Start);
        var guard = new ReplayGuard(clock, windowBits: 10);
        foreach (ulong c in new ulong[] { 5, 1, 3, 2, 4, 1000, 999, 6 })
        {
            Assert.Null(guard.Check(Now(clock), Nonce(c)));
        }
        foreach (ulong c in new ulong[] { 5, 1, 1000, 999, 6 })
        {
            Assert.Equal("replayed or too old nonce", guard.Check(Now(clock), Nonce(c)));
        }
        // The window is 1024 below the highest (1000): counter 7 is still in it and unseen.
        Assert.Null(guard.Check(Now(clock), Nonce(7)));
        // Moving the top to 2100 pushes everything at or below 1076 out: unseen or not, it is refused.
        Assert.Null(guard.Check(Now(clock), Nonce(2100)));
        Assert.NotNull(guard.Check(Now(clock), Nonce(8)));
        Assert.NotNull(guard.Check(Now(clock), Nonce(1076)));
        Assert.Null(guard.Check(Now(clock), Nonce(1077))); // the oldest in the window, cleared as the top moved past it
        Assert.Null(guard.Check(Now(clock), Nonce(2099)));
        Assert.NotNull(guard.Check(Now(clock), Nonce(2099)));
        // A jump of more than a window clears all of it; the ring's wrap-around never resurrects an old bit.
        Assert.Null(guard.Check(Now(clock), Nonce(2100 + 5000)));
        Assert.Null(guard.Check(Now(clock), Nonce(2100 + 5000 - 1024 + 1)));
        Assert.Null(guard.Check(Now(clock), Nonce(2100 + 5000 - 1)));
        Assert.NotNull(guard.Check(Now(clock), Nonce(2100 + 5000)));
    }

    [Fact]
    public void SendersHaveWindowsOfTheirOwn()
    {
        var clock = new ManualClock(Start);
        var guard = new ReplayGuard(clock, windowBits: 8);
        Assert.Null(guard.Check(Now(clock), Nonce(1)));
        Assert.Null(guard.Check(Now(clock), Nonce(1, "fedcba9876543210")));
        Assert.NotNull(guard.Check(Now(clock), Nonce(1, "fedcba9876543210")));
        Assert.Equal(2, guard.Senders);
    }

    [Theory]
    [InlineData("")]
    [InlineData("0123456789abcdef")]
    [InlineData("0123456789abcdef-")]
    [InlineData("0123456789abcdef-0")]
    [InlineData("0123456789ABCDEF-1")]
    [InlineData("0123456789abcde-1")]
    [InlineData("0123456789abcdef-+1")]
    [InlineData("0123456789abcdef-18446744073709551616")]
    public void MalformedNoncesAreRefused(string nonce)
    {
        var clock = new ManualClock(Start);
        Assert.NotNull(new ReplayGuard(clock, windowBits: 8).Check(Now(clock), nonce));
    }

    [Fact]
    public void RequestsDatedBeforeTheStartOrOutsideTheSkewAreRefused()
    {
        var clock = new ManualClock(Start);
        var guard = new ReplayGuard(clock, windowBits: 8);
        Assert.Equal("request dated before the node started", guard.Check(Now(clock) - 1, Nonce(1)));
        clock.Advance(TimeSpan.FromMinutes(10));
        Assert.Equal("request time too far from now", guard.Check(Now(clock) - 301_000, Nonce(2)));
        Assert.Equal("request time too far from now", guard.Check(Now(clock) + 301_000, Nonce(3)));
        Assert.Null(guard.Check(Now(clock) - 299_000, Nonce(4)));
        Assert.Null(guard.Check(Now(clock) + 299_000, Nonce(5)));
        // Refused requests did not use their nonces up.
        Assert.Null(guard.Check(Now(clock), Nonce(1)));
        Assert.Null(guard.Check(Now(clock), Nonce(2)));
    }

    [Fact]
    public void IdleSendersAreForgottenAndTheirNumberIsBounded()
    {
        var clock = new ManualClock(Start);
        var guard = new ReplayGuard(clock, windowBits: 8, maxSenders: 2);
        Assert.Null(guard.Check(Now(clock), Nonce(1, "aaaaaaaaaaaaaaaa")));
        Assert.Null(guard.Check(Now(clock), Nonce(1, "bbbbbbbbbbbbbbbb")));
        Assert.Equal("too many senders", guard.Check(Now(clock), Nonce(1, "cccccccccccccccc")));

        // A sender stays remembered while anything it signed could still pass the date check...
        clock.Advance(ReplayGuard.ForgetAfter - TimeSpan.FromSeconds(1));
        Assert.Null(guard.Check(Now(clock), Nonce(2, "bbbbbbbbbbbbbbbb")));
        Assert.Equal("too many senders", guard.Check(Now(clock), Nonce(1, "cccccccccccccccc")));
        // ...and is forgotten after that, making room.
        clock.Advance(TimeSpan.FromSeconds(2));
        Assert.Null(guard.Check(Now(clock), Nonce(1, "cccccccccccccccc")));
        Assert.Equal(2, guard.Senders);
        Assert.True(ReplayGuard.ForgetAfter > 2 * NodeAuth.MaxSkew);
    }

    [Fact]
    public void TheDefaultWindowIsAQuarterMillionCountersAndThirtyTwoKibibytesASender()
    {
        var guard = new ReplayGuard();
        Assert.Equal(1L << 18, guard.WindowSize);
        Assert.Equal(1024, guard.MaxSenders);
        string nonce = new NonceSource().Next(); // the nonce source's own set-up is not the guard's cost
        long before = GC.GetAllocatedBytesForCurrentThread();
        Assert.Null(guard.Check(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), nonce));
        long cost = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.InRange(cost, 32 << 10, (32 << 10) + 4096);
    }
}
