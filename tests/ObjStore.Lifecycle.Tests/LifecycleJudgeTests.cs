using ObjStore.Core;

namespace ObjStore.Lifecycle.Tests;

public sealed class LifecycleJudgeTests
{
    private static readonly DateTimeOffset Day0 = new(2026, 1, 15, 10, 30, 0, TimeSpan.Zero);
    private static readonly LifecycleClock Clock = LifecycleClock.Standard;

    private static LifecycleConfiguration Config(params LifecycleRule[] rules) => new(rules);

    private static LifecycleRule Expire(string id, int days, string prefix = "") =>
        new() { Id = id, Enabled = true, Filter = new() { Shape = FilterShape.Prefix, Prefix = prefix }, Expiration = new() { Days = days } };

    private static VersionEntry Version(string key, long seq, DateTimeOffset modified, bool latest = false, bool marker = false, long size = 100,
        IReadOnlyDictionary<string, string>? tags = null, ObjectLock? objectLock = null) =>
        new(key, seq, $"v{seq}", latest, marker, marker ? 0 : size, modified) { Tags = tags ?? new Dictionary<string, string>(), Lock = objectLock ?? ObjectLock.None };

    [Fact]
    public void DaysRoundUpToTheNextMidnightUtc()
    {
        // S3's own example: an object created 2026-01-15 10:30 UTC with a 3-day rule expires 2026-01-19 00:00 UTC.
        Assert.Equal(new DateTimeOffset(2026, 1, 19, 0, 0, 0, TimeSpan.Zero), Clock.DueAt(Day0, 3));
        var midnight = new DateTimeOffset(2026, 1, 15, 0, 0, 0, TimeSpan.Zero);
        Assert.Equal(midnight.AddDays(1), Clock.DueAt(midnight, 1));
        Assert.Equal(DateTimeOffset.MaxValue, Clock.DueAt(Day0, int.MaxValue));
    }

    [Fact]
    public void AShortTestDayRoundsToItsOwnLength()
    {
        var clock = new LifecycleClock(TimeSpan.FromSeconds(2));
        var start = new DateTimeOffset(2026, 1, 15, 0, 0, 1, TimeSpan.Zero);
        Assert.Equal(start.AddSeconds(3), clock.DueAt(start, 1)); // 00:00:03 -> 00:00:04
    }

    [Fact]
    public void TheCurrentVersionExpiresOnlyOnceDue()
    {
        var config = Config(Expire("r1", 3, "logs/"));
        var versions = new[] { Version("logs/a", 1, Day0, latest: true) };
        Assert.Empty(LifecycleJudge.Judge(config, versions, Clock, Day0.AddDays(3)));
        var decision = Assert.Single(LifecycleJudge.Judge(config, versions, Clock, new DateTimeOffset(2026, 1, 19, 0, 0, 0, TimeSpan.Zero)));
        Assert.Equal((ExpiryAction.ExpireCurrent, "r1"), (decision.Action, decision.RuleId));
        Assert.Empty(LifecycleJudge.Judge(config, [Version("other/a", 1, Day0, latest: true)], Clock, Day0.AddDays(30)));
    }

    [Fact]
    public void ADisabledRuleDoesNothing()
    {
        var config = Config(Expire("r1", 1) with { Enabled = false });
        Assert.Empty(LifecycleJudge.Judge(config, [Version("a", 1, Day0, latest: true)], Clock, Day0.AddDays(30)));
        Assert.Null(LifecycleJudge.CurrentExpiry(config, "a", 1, new Dictionary<string, string>(), Day0, Clock));
    }

    [Fact]
    public void ADateRuleExpiresFromItsDate()
    {
        var date = new DateTimeOffset(2026, 3, 1, 0, 0, 0, TimeSpan.Zero);
        var config = Config(new LifecycleRule { Id = "d", Enabled = true, Expiration = new() { Date = date } });
        Assert.Empty(LifecycleJudge.Judge(config, [Version("a", 1, Day0, latest: true)], Clock, date.AddTicks(-1)));
        Assert.Single(LifecycleJudge.Judge(config, [Version("a", 1, Day0, latest: true)], Clock, date));
    }

    [Fact]
    public void TheEarliestMatchingRuleNamesTheExpiry()
    {
        var config = Config(Expire("slow", 30), Expire("fast", 2, "tmp/"));
        var expiry = LifecycleJudge.CurrentExpiry(config, "tmp/x", 1, new Dictionary<string, string>(), Day0, Clock);
        Assert.Equal((new DateTimeOffset(2026, 1, 18, 0, 0, 0, TimeSpan.Zero), "fast"), expiry);
        Assert.Equal("slow", LifecycleJudge.CurrentExpiry(config, "keep/x", 1, new Dictionary<string, string>(), Day0, Clock)!.Value.RuleId);
    }

    [Fact]
    public void FiltersTestTagsAndSizesStrictly()
    {
        var filter = new LifecycleFilter
        {
            Shape = FilterShape.And, Prefix = "p/", Tags = [new("class", "tmp")], ObjectSizeGreaterThan = 10, ObjectSizeLessThan = 100,
        };
        var tagged = new Dictionary<string, string> { ["class"] = "tmp", ["other"] = "x" };
        Assert.True(filter.Matches("p/a", 11, tagged));
        Assert.False(filter.Matches("p/a", 10, tagged));
        Assert.False(filter.Matches("p/a", 100, tagged));
        Assert.False(filter.Matches("p/a", 50, new Dictionary<string, string> { ["class"] = "TMP" }));
        Assert.False(filter.Matches("q/a", 50, tagged));
    }

    [Fact]
    public void ExpirationNeverTouchesNoncurrentVersionsOrAMarkerWithVersionsBehindIt()
    {
        var config = Config(Expire("r", 1));
        var versions = new[]
        {
            Version("k", 3, Day0, latest: true, marker: true),
            Version("k", 2, Day0.AddDays(-10)),
        };
        Assert.Empty(LifecycleJudge.Judge(config, versions, Clock, Day0.AddDays(100)));
    }

    [Fact]
    public void AnExpiredObjectDeleteMarkerIsRemoved()
    {
        var marker = new[] { Version("k", 3, Day0, latest: true, marker: true) };
        var byFlag = Config(new LifecycleRule { Id = "m", Enabled = true, Expiration = new() { ExpiredObjectDeleteMarker = true } });
        Assert.Equal(ExpiryAction.RemoveExpiredDeleteMarker, Assert.Single(LifecycleJudge.Judge(byFlag, marker, Clock, Day0)).Action);
        // An Expiration in days removes such a marker once the marker is that old.
        var byDays = Config(Expire("d", 2));
        Assert.Empty(LifecycleJudge.Judge(byDays, marker, Clock, Day0.AddDays(1)));
        Assert.Single(LifecycleJudge.Judge(byDays, marker, Clock, Day0.AddDays(3)));
    }

    [Fact]
    public void NoncurrentAgeCountsFromTheSuccessorAndKeepsNewerVersions()
    {
        var config = Config(new LifecycleRule { Id = "nc", Enabled = true, NoncurrentExpiration = new(Days: 1, NewerNoncurrentVersions: 1) });
        var versions = new[]
        {
            Version("k", 4, Day0.AddDays(5), latest: true),
            Version("k", 3, Day0.AddDays(4)), // noncurrent since day 5: newest noncurrent, kept by NewerNoncurrentVersions
            Version("k", 2, Day0.AddDays(-30)), // noncurrent since day 4
            Version("k", 1, Day0.AddDays(-60)), // noncurrent since day -30
        };
        var now = Day0.AddDays(5).AddHours(1);
        var removed = LifecycleJudge.Judge(config, versions, Clock, now).Select(d => d.Version.Sequence).ToList();
        Assert.Equal([1], removed); // version 2 became noncurrent on day 4 (10:30), due day 6: not yet
        removed = LifecycleJudge.Judge(config, versions, Clock, Day0.AddDays(7)).Select(d => d.Version.Sequence).ToList();
        Assert.Equal([2, 1], removed);
    }

    [Fact]
    public void ALockedNoncurrentVersionIsJudgedButProtected()
    {
        var config = Config(new LifecycleRule { Id = "nc", Enabled = true, NoncurrentExpiration = new(1) });
        var now = Day0.AddDays(10);
        var held = new ObjectLock(null, LegalHold: true);
        var retained = new ObjectLock(new ObjectRetention(RetentionMode.Governance, now.AddDays(1)), null);
        var lapsed = new ObjectLock(new ObjectRetention(RetentionMode.Compliance, now.AddDays(-1)), false);
        var versions = new[]
        {
            Version("k", 4, Day0, latest: true),
            Version("k", 3, Day0.AddDays(-3), objectLock: held),
            Version("k", 2, Day0.AddDays(-4), objectLock: retained),
            Version("k", 1, Day0.AddDays(-5), objectLock: lapsed),
        };
        var decisions = LifecycleJudge.Judge(config, versions, Clock, now).ToDictionary(d => d.Version.Sequence, d => d.Protected);
        Assert.Equal(new Dictionary<long, bool> { [3] = true, [2] = true, [1] = false }, decisions);
    }

    [Fact]
    public void TagFiltersSeeADeleteMarkerAsUntagged()
    {
        var config = Config(new LifecycleRule
        {
            Id = "nc", Enabled = true, Filter = new() { Shape = FilterShape.Tag, Tags = [new("t", "1")] }, NoncurrentExpiration = new(1),
        });
        var versions = new[]
        {
            Version("k", 3, Day0, latest: true),
            Version("k", 2, Day0.AddDays(-5), marker: true),
            Version("k", 1, Day0.AddDays(-6), tags: new Dictionary<string, string> { ["t"] = "1" }),
        };
        Assert.Equal([1L], LifecycleJudge.Judge(config, versions, Clock, Day0.AddDays(10)).Select(d => d.Version.Sequence));
    }

    [Fact]
    public void UploadsAbortByPrefixAndAge()
    {
        var config = Config(new LifecycleRule
        {
            Id = "mpu", Enabled = true, Filter = new() { Shape = FilterShape.Prefix, Prefix = "tmp/" }, AbortIncompleteUploadDays = 7,
        });
        Assert.Equal((new DateTimeOffset(2026, 1, 23, 0, 0, 0, TimeSpan.Zero), "mpu"), LifecycleJudge.AbortDue(config, "tmp/big", Day0, Clock));
        Assert.Null(LifecycleJudge.AbortDue(config, "keep/big", Day0, Clock));
    }

    [Fact]
    public void ScanPrefixesCoverEveryVersionRuleOnce()
    {
        var config = Config(Expire("a", 1, "logs/2026/"), Expire("b", 1, "logs/"), Expire("c", 1, "tmp/"),
            new LifecycleRule { Id = "u", Enabled = true, Filter = new() { Prefix = "uploads/" }, AbortIncompleteUploadDays = 1 },
            Expire("off", 1, "z/") with { Enabled = false });
        Assert.Equal(["logs/", "tmp/"], config.VersionScanPrefixes());
        Assert.Equal([""], Config(Expire("a", 1, "logs/"), Expire("all", 5)).VersionScanPrefixes());
    }

    [Fact]
    public void TheStoredDocumentRoundTrips()
    {
        var config = Config(
            new LifecycleRule
            {
                Id = "all",
                Enabled = true,
                Filter = new() { Shape = FilterShape.And, Prefix = "p/", Tags = [new("a", "b")], ObjectSizeLessThan = 5 },
                Expiration = new() { Date = new DateTimeOffset(2027, 1, 1, 0, 0, 0, TimeSpan.Zero) },
                NoncurrentExpiration = new(3, 2),
                AbortIncompleteUploadDays = 4,
            }) with { TransitionDefaultMinimumObjectSize = "varies_by_storage_class" };
        var back = LifecycleConfiguration.FromJson(config.ToJson());
        Assert.Equal(config.ToJson(), back.ToJson());
        Assert.Equal(FilterShape.And, back.Rules[0].Filter.Shape);
        Assert.Equal("b", back.Rules[0].Filter.Tags[0].Value);
    }
}
