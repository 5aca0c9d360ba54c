using System.Security.Cryptography;

namespace ObjStore.Core;

/// <summary>A bucket's versioning. The numbers are stored in the catalogue: never renumber.</summary>
public enum VersioningState
{
    /// <summary>Never enabled: every object is its key's only version, the <c>null</c> version.</summary>
    Unversioned = 0,
    Enabled = 1,

    /// <summary>Writes replace the <c>null</c> version; versions made while enabled are kept.</summary>
    Suspended = 2,
}

/// <summary>Version ids: <c>null</c> for the version an unversioned or suspended bucket writes, else server-made.</summary>
public static class VersionIds
{
    public const string Null = "null";

    public const int Length = 32;

    /// <summary>
    /// A new id: the time in 12 hex digits (ms), so ids are readable and roughly ordered, then 80 random bits, unique
    /// across gateways without coordination. A key's versions are ordered by the catalogue's sequence, not by ids.
    /// </summary>
    public static string New(DateTimeOffset now) =>
        $"{now.ToUnixTimeMilliseconds():x12}{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(10))}";

    /// <summary>
    /// True for <c>null</c> and for ids of S3's shape (32 URL-safe characters, as AWS and this store make them): worth
    /// looking up, so an unknown one is NoSuchVersion rather than a malformed one.
    /// </summary>
    public static bool IsWellFormed(string versionId) =>
        versionId == Null || (versionId.Length == Length && versionId.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-'));
}

/// <summary>Object Lock retention modes, stored by name (<see cref="RetentionModes"/>).</summary>
public enum RetentionMode
{
    Governance = 1,
    Compliance = 2,
}

/// <summary>The modes' names, as S3, the catalogue and shard footers all write them.</summary>
public static class RetentionModes
{
    public static string Name(RetentionMode mode) => mode == RetentionMode.Compliance ? "COMPLIANCE" : "GOVERNANCE";

    /// <summary>Null for anything else (S3's names are upper case).</summary>
    public static RetentionMode? Parse(string name) => name switch
    {
        "GOVERNANCE" => RetentionMode.Governance,
        "COMPLIANCE" => RetentionMode.Compliance,
        _ => null,
    };
}

/// <summary>A version's retention: it cannot be removed (nor the retention shortened) before <see cref="RetainUntil"/>.</summary>
public sealed record ObjectRetention(RetentionMode Mode, DateTimeOffset RetainUntil)
{
    public bool IsActive(DateTimeOffset now) => RetainUntil > now;
}

/// <summary>
/// A version's Object Lock state: a retention, a legal hold, either, both or neither. <see cref="LegalHold"/> is null
/// while no legal hold was ever set (S3 then answers GetObjectLegalHold with NoSuchObjectLockConfiguration), else ON
/// (true) or OFF (false).
/// </summary>
public sealed record ObjectLock(ObjectRetention? Retention, bool? LegalHold)
{
    public static readonly ObjectLock None = new(null, null);

    /// <summary>Nothing about it constrains anything: no retention, no legal hold ON.</summary>
    public bool IsNone => Retention is null && LegalHold != true;
}

/// <summary>The retention a bucket gives every new version that does not ask for its own.</summary>
public sealed record DefaultRetention(RetentionMode Mode, int? Days, int? Years)
{
    public ObjectRetention From(DateTimeOffset now) =>
        new(Mode, Years is { } years ? now.AddYears(years) : now.AddDays(Days ?? 0));
}

/// <summary>
/// The Object Lock rules, in one place. Every path that removes a version (DeleteObject and DeleteObjects with a
/// version id, replacing a <c>null</c> version, lifecycle, the admin API) asks <see cref="CheckRemovable"/> inside the
/// catalogue transaction that removes it; garbage collection only frees shards no version references.
/// </summary>
public static class ObjectLockRules
{
    /// <summary>True when nothing protects the version now: no legal hold ON, no active retention.</summary>
    public static bool IsRemovable(ObjectLock current, DateTimeOffset now) =>
        current.LegalHold != true && current.Retention?.IsActive(now) != true;

    public static void CheckRemovable(ObjectLock current, DateTimeOffset now, bool bypassGovernance)
    {
        if (current.LegalHold == true)
        {
            throw Protected();
        }
        if (current.Retention is { } retention && retention.IsActive(now)
            && (retention.Mode == RetentionMode.Compliance || !bypassGovernance))
        {
            throw Protected();
        }
    }

    /// <summary>S3's words for every refusal of the rules.</summary>
    private static ObjectStoreException Protected() =>
        new(ErrorKind.AccessDenied, "Access Denied because object protected by object lock.");

    /// <summary>
    /// An active retention may always be extended in its mode. Anything else (shortening, removing it, changing its
    /// mode) is refused, except on a GOVERNANCE retention with the bypass; a COMPLIANCE one only ever grows.
    /// </summary>
    public static void CheckRetentionChange(ObjectRetention? current, ObjectRetention? next, DateTimeOffset now, bool bypassGovernance)
    {
        if (current is null || !current.IsActive(now))
        {
            return;
        }
        if (next is not null && next.Mode == current.Mode && next.RetainUntil >= current.RetainUntil)
        {
            return;
        }
        if (current.Mode == RetentionMode.Compliance || !bypassGovernance)
        {
            throw Protected();
        }
    }
}

/// <summary>What a DELETE did: removed a version for good, added a delete marker, or found nothing.</summary>
public sealed record DeleteOutcome(bool Found, string? VersionId, bool DeleteMarker, IReadOnlyList<ObjectLayout> Garbage)
{
    public static readonly DeleteOutcome Nothing = new(false, null, false, []);
}
