namespace ObjStore.Core;

/// <summary>
/// A version as lifecycle rules read it: what a rule's filter and age tests need, without the part layout. The
/// sequence names the version within its key, so an expiry can check that the version is still the one it judged.
/// </summary>
public sealed record VersionEntry(
    string Key, long Sequence, string VersionId, bool IsLatest, bool IsDeleteMarker, long Size, DateTimeOffset LastModified)
{
    public ObjectLock Lock { get; init; } = ObjectLock.None;

    public IReadOnlyDictionary<string, string> Tags { get; init; } = new Dictionary<string, string>();
}

/// <summary>What an expiry does to the version it names (<see cref="VersionEntry"/>).</summary>
public enum ExpiryAction
{
    /// <summary>
    /// The key's current version expires as S3's Expiration does: removed in an unversioned bucket, hidden behind a
    /// new delete marker in an enabled one, replaced by a <c>null</c> delete marker in a suspended one. Only while it
    /// is still the key's latest version.
    /// </summary>
    ExpireCurrent,

    /// <summary>A noncurrent version (or delete marker) is removed for good; only while it is still noncurrent.</summary>
    RemoveNoncurrent,

    /// <summary>A delete marker that is its key's only version is removed; only while it still is.</summary>
    RemoveExpiredDeleteMarker,
}
