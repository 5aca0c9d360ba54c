using ObjStore.Core;

namespace ObjStore.Lifecycle;

/// <summary>
/// What a lifecycle rule does to one version: the action, the rule that asks for it, and whether Object Lock keeps
/// the version for now (then nothing is done, and the pass counts it).
/// </summary>
public sealed record LifecycleDecision(VersionEntry Version, ExpiryAction Action, string RuleId, bool Protected = false);

/// <summary>
/// S3's lifecycle semantics as pure decisions, the same for the background pass and the headers a request returns:
/// <list type="bullet">
/// <item>Expiration (Days or Date) applies to a key's current version only, never to noncurrent ones;</item>
/// <item>a delete marker that is its key's only version (an expired object delete marker) is removed by
/// ExpiredObjectDeleteMarker, or by an Expiration in Days once the marker is that old;</item>
/// <item>a noncurrent version's age counts from when it became noncurrent (its successor's time), and
/// NewerNoncurrentVersions keeps that many newer noncurrent versions;</item>
/// <item>a version under Object Lock retention or legal hold is never removed.</item>
/// </list>
/// </summary>
public static class LifecycleJudge
{
    private static readonly IReadOnlyDictionary<string, string> NoTags = new Dictionary<string, string>();

    /// <summary>The decisions about one key, given all its versions newest first, at <paramref name="now"/>.</summary>
    public static IEnumerable<LifecycleDecision> Judge(
        LifecycleConfiguration config, IReadOnlyList<VersionEntry> versions, LifecycleClock clock, DateTimeOffset now)
    {
        if (versions.Count == 0)
        {
            yield break;
        }
        var latest = versions[0];
        if (!latest.IsDeleteMarker)
        {
            if (CurrentExpiry(config, latest.Key, latest.Size, latest.Tags, latest.LastModified, clock) is { } expiry && expiry.Due <= now)
            {
                yield return new(latest, ExpiryAction.ExpireCurrent, expiry.RuleId);
            }
        }
        else if (versions.Count == 1 && ExpiredMarkerRule(config, latest, clock, now) is { } markerRule)
        {
            yield return new(latest, ExpiryAction.RemoveExpiredDeleteMarker, markerRule);
        }
        for (int i = 1; i < versions.Count; i++)
        {
            var version = versions[i];
            var tags = version.IsDeleteMarker ? NoTags : version.Tags;
            var noncurrentSince = versions[i - 1].LastModified;
            foreach (var rule in config.EnabledRules)
            {
                if (rule.NoncurrentExpiration is { } expiration
                    && i - 1 >= (expiration.NewerNoncurrentVersions ?? 0)
                    && rule.Filter.Matches(version.Key, version.Size, tags)
                    && clock.DueAt(noncurrentSince, expiration.Days) <= now)
                {
                    yield return new(version, ExpiryAction.RemoveNoncurrent, rule.Id, !ObjectLockRules.IsRemovable(version.Lock, now));
                    break;
                }
            }
        }
    }

    /// <summary>
    /// When the current version of an object written at <paramref name="lastModified"/> expires, and by which rule: the
    /// earliest of the enabled Expiration rules (Days or Date) whose filter it matches; null when none does. This is
    /// what x-amz-expiration reports.
    /// </summary>
    public static (DateTimeOffset Due, string RuleId)? CurrentExpiry(
        LifecycleConfiguration config, string key, long size, IReadOnlyDictionary<string, string> tags, DateTimeOffset lastModified, LifecycleClock clock)
    {
        (DateTimeOffset Due, string RuleId)? earliest = null;
        foreach (var rule in config.EnabledRules)
        {
            if (rule.Expiration is not { } expiration || !rule.Filter.Matches(key, size, tags))
            {
                continue;
            }
            DateTimeOffset? due = expiration.Days is { } days ? clock.DueAt(lastModified, days) : expiration.Date;
            if (due is { } at && (earliest is null || at < earliest.Value.Due))
            {
                earliest = (at, rule.Id);
            }
        }
        return earliest;
    }

    /// <summary>When an incomplete upload of <paramref name="key"/> started at <paramref name="initiated"/> is aborted, and by which rule: the earliest; null when no rule aborts it.</summary>
    public static (DateTimeOffset Due, string RuleId)? AbortDue(LifecycleConfiguration config, string key, DateTimeOffset initiated, LifecycleClock clock)
    {
        (DateTimeOffset Due, string RuleId)? earliest = null;
        foreach (var rule in config.EnabledRules)
        {
            if (rule.AbortIncompleteUploadDays is { } days && key.StartsWith(rule.Filter.Prefix, StringComparison.Ordinal)
                && clock.DueAt(initiated, days) is var due && (earliest is null || due < earliest.Value.Due))
            {
                earliest = (due, rule.Id);
            }
        }
        return earliest;
    }

    private static string? ExpiredMarkerRule(LifecycleConfiguration config, VersionEntry marker, LifecycleClock clock, DateTimeOffset now) =>
        config.EnabledRules.FirstOrDefault(r => r.Expiration is { } expiration
            && r.Filter.Matches(marker.Key, 0, NoTags)
            && (expiration.ExpiredObjectDeleteMarker || (expiration.Days is { } days && clock.DueAt(marker.LastModified, days) <= now)))?.Id;
}
