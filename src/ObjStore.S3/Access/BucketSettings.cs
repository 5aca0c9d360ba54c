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

    /// <summary>A value computed from the settings as a whole (once), such as what authorization needs of them.</summary>
    public T Derived<T>(string name, Func<BucketSettings, T> derive) where T : class =>
        (T)_parsed.GetOrAdd("derived:" + name, static (_, state) => state.derive(state.settings), (derive, settings: this))!;
}

/// <summary>
/// Bucket settings by name, read from the catalogue on first use and kept until this gateway changes them or
/// <see cref="MaxAge"/> passes (the bound on how long a change made elsewhere takes to be seen).
/// </summary>
public sealed class BucketSettingsCache(IObjectLayer objects, TimeProvider clock)
{
    public static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(5);

    /// <summary>Names remembered at most; anyone can ask for buckets that do not exist, so the cache must not grow with them.</summary>
    private const int MaxEntries = 10_000;

    private readonly ConcurrentDictionary<string, (BucketSettings? Settings, long LoadedAt)> _entries = new(StringComparer.Ordinal);

    /// <summary>The bucket's settings; null when it does not exist.</summary>
    public async ValueTask<BucketSettings?> GetAsync(string bucket, CancellationToken cancellationToken)
    {
        long now = clock.GetTimestamp();
        if (_entries.TryGetValue(bucket, out var entry) && clock.GetElapsedTime(entry.LoadedAt, now) < MaxAge)
        {
            return entry.Settings;
        }
        var info = await objects.GetBucketAsync(bucket, cancellationToken);
        var settings = info is null ? null : new BucketSettings(info);
        if (_entries.Count >= MaxEntries)
        {
            _entries.Clear();
        }
        _entries[bucket] = (settings, now);
        return settings;
    }

    /// <summary>Forget what is known of the bucket: called after every change this gateway makes to it.</summary>
    public void Invalidate(string bucket) => _entries.TryRemove(bucket, out _);

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
