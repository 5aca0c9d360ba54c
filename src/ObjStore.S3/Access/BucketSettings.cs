using System.Collections.Concurrent;
using ObjStore.Core;

namespace ObjStore.S3.Access;

/// <summary>
/// A bucket as requests need it: its record and configuration documents, each document parsed at most once (a policy
/// is compiled when first needed after it changes, never per request).
/// </summary>
public sealed class BucketSettings(BucketInfo info)
{
    private readonly ConcurrentDictionary<string, object?> _parsed = new(StringComparer.Ordinal);

    public BucketInfo Info { get; } = info;

    public string? Document(string kind) => Info.Configs.TryGetValue(kind, out var document) ? document : null;

    /// <summary>The document of <paramref name="kind"/> parsed by <paramref name="parse"/> (once); null when there is none.</summary>
    public T? Parsed<T>(string kind, Func<string, T> parse) where T : class =>
        Document(kind) is not { } document ? null : (T?)_parsed.GetOrAdd(kind, static (_, state) => state.parse(state.document), (parse, document));

    /// <summary>
    /// A value computed from the settings as a whole (once), such as what authorization needs of them;
    /// <paramref name="name"/> must not be a document kind.
    /// </summary>
    public T Derived<T>(string name, Func<BucketSettings, T> derive) where T : class =>
        (T)_parsed.GetOrAdd(name, static (_, state) => state.derive(state.settings), (derive, settings: this))!;
}

/// <summary>
/// Bucket settings by name, read from the catalogue on first use and kept until they change (through this gateway, or
/// through another, which the catalogue's change notifications report: <see cref="Invalidate"/>,
/// <see cref="InvalidateAll"/>) or <paramref name="maxAge"/> passes: the bound for a change whose notification was
/// lost. Buckets that do not exist are not remembered: anyone can ask for any name, and must not be able to fill or
/// flush the cache with them.
/// </summary>
public sealed class BucketSettingsCache(IObjectLayer objects, TimeProvider clock, TimeSpan maxAge)
{
    public static readonly TimeSpan DefaultMaxAge = TimeSpan.FromSeconds(5);

    /// <summary>Buckets remembered at most (as many as exist, on any store short of this).</summary>
    private const int MaxEntries = 100_000;

    private readonly ConcurrentDictionary<string, (BucketSettings Settings, long LoadedAt)> _entries = new(StringComparer.Ordinal);

    /// <summary>Bumped by every invalidation, so a read that started before a change cannot store what it read.</summary>
    private long _generation;

    /// <summary>The bucket's settings; null when it does not exist.</summary>
    public async ValueTask<BucketSettings?> GetAsync(string bucket, CancellationToken cancellationToken)
    {
        long now = clock.GetTimestamp();
        if (_entries.TryGetValue(bucket, out var entry) && clock.GetElapsedTime(entry.LoadedAt, now) < maxAge)
        {
            return entry.Settings;
        }
        long generation = Interlocked.Read(ref _generation);
        var info = await objects.GetBucketAsync(bucket, cancellationToken);
        if (info is null)
        {
            _entries.TryRemove(bucket, out _);
            return null;
        }
        var settings = new BucketSettings(info);
        if (_entries.Count < MaxEntries || _entries.ContainsKey(bucket))
        {
            _entries[bucket] = (settings, now);
            if (Interlocked.Read(ref _generation) != generation)
            {
                _entries.TryRemove(bucket, out _); // a change landed while this was read: what was read may predate it
            }
        }
        return settings;
    }

    /// <summary>Forget what is known of the bucket: called after every change this gateway makes to it.</summary>
    public void Invalidate(string bucket)
    {
        Interlocked.Increment(ref _generation);
        _entries.TryRemove(bucket, out _);
    }

    /// <summary>Forget every bucket: changes may have been missed.</summary>
    public void InvalidateAll()
    {
        Interlocked.Increment(ref _generation);
        _entries.Clear();
    }

    public async Task PutConfigAsync(string bucket, string kind, string document, CancellationToken cancellationToken)
    {
        try
        {
            await objects.PutBucketConfigAsync(bucket, kind, document, cancellationToken);
        }
        finally
        {
            Invalidate(bucket);
        }
    }

    public async Task<bool> DeleteConfigAsync(string bucket, string kind, CancellationToken cancellationToken)
    {
        try
        {
            return await objects.DeleteBucketConfigAsync(bucket, kind, cancellationToken);
        }
        finally
        {
            Invalidate(bucket);
        }
    }
}
