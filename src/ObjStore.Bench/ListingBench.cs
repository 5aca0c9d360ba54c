using System.Diagnostics;

namespace ObjStore.Bench;

/// <summary>
/// One kind of listing page the bench times. <paramref name="FromStart"/>: the bucket's first page (no start-after)
/// and its continuation, where the others start at a random position deep in the bucket.
/// </summary>
public sealed record ListingMode(string Name, bool Versions, bool Delimiter, bool FromStart = false)
{
    public static readonly IReadOnlyList<ListingMode> All =
    [
        new("ListObjectsV2, first page", Versions: false, Delimiter: false, FromStart: true),
        new("ListObjectsV2", Versions: false, Delimiter: false),
        new("ListObjectsV2, delimiter /", Versions: false, Delimiter: true),
        new("ListObjectVersions", Versions: true, Delimiter: false),
        new("ListObjectVersions, delimiter /", Versions: true, Delimiter: true),
    ];
}

/// <summary>
/// A bucket holding exactly <paramref name="Keys"/>' keys, and a client of the store it is in, whose catalogue is
/// <paramref name="Catalogue"/> (a label: sqlite, postgres).
/// </summary>
public sealed record ListingTarget(ListingKeySpace Keys, BenchClient Client, string Catalogue = "sqlite");

/// <summary>How long the pages of one mode took on one bucket, as the client saw them (request sent to last byte parsed).</summary>
public sealed record ListingTiming(long Keys, string Mode, int Pages, double EntriesPerPage, double P50Milliseconds, double P99Milliseconds, string Catalogue = "sqlite");

/// <summary>A listing page that is not what the key space says it holds: the bench would be timing a wrong answer.</summary>
public sealed class ListingMismatchException(string message) : Exception(message);

/// <summary>
/// Times pages of 1000 of a bucket holding exactly <see cref="ListingKeySpace"/>'s keys, spread over the key space:
/// each sample starts at a random position (start-after for ListObjectsV2, key-marker for ListObjectVersions) and is
/// followed by the next page (continuation token, or next key and version-id markers), both timed. Without a
/// delimiter a position is any key with two pages of keys after it; with one (/), pages list a random day's prefix,
/// whose keys roll up into one common prefix per host, from a random host with two pages of hosts after it. Where
/// the bucket is smaller than that, pages start at its first key (or host), so they are as full as it allows. Every
/// first page is checked against the key space (first entry, count): a wrong answer fails the bench. Several
/// buckets (of stores of different sizes) are sampled in turn, page by page, so that whatever else the machine does
/// weighs on every size alike and their ratios stay meaningful on a busy machine.
/// </summary>
public sealed class ListingBench(IReadOnlyList<ListingTarget> targets, int pages, int seed = 1)
{
    public const int PageSize = 1000;
    private const int WarmUpPages = 20;

    public async Task<IReadOnlyList<ListingTiming>> RunAsync(CancellationToken ct = default)
    {
        var samplers = targets.SelectMany(target => ListingMode.All.Select(mode => (target, mode))).ToList();
        var random = samplers.Select((_, i) => new Random(seed + i)).ToArray();
        for (int i = 0; i < WarmUpPages; i++)
        {
            for (int s = 0; s < samplers.Count; s++)
            {
                // JIT (tiered compilation), the connection, the caches.
                await SampleAsync(samplers[s].target, samplers[s].mode, random[s], [], [], ct);
            }
        }
        var times = samplers.Select(_ => new List<double>()).ToArray();
        var entries = samplers.Select(_ => new List<int>()).ToArray();
        while (times.Any(t => t.Count < pages))
        {
            for (int s = 0; s < samplers.Count; s++)
            {
                if (times[s].Count < pages)
                {
                    await SampleAsync(samplers[s].target, samplers[s].mode, random[s], times[s], entries[s], ct);
                }
            }
        }
        return samplers.Select((sampler, s) =>
        {
            times[s].Sort();
            return new ListingTiming(sampler.target.Keys.Count, sampler.mode.Name, times[s].Count, entries[s].Average(),
                BenchRunner.Percentile(times[s], 0.50), BenchRunner.Percentile(times[s], 0.99), sampler.target.Catalogue);
        }).ToList();
    }

    /// <summary>A page from a random position and, when it is truncated and room is left, the page after it.</summary>
    private async Task SampleAsync(ListingTarget target, ListingMode mode, Random random, List<double> times, List<int> entries, CancellationToken ct)
    {
        var keys = target.Keys;
        var (first, expectedFirst, expectedCount) = mode.Delimiter ? DelimiterStart(keys, mode, random) : FlatStart(keys, mode, random);
        var page = await TimedAsync(target.Client, first, times, entries, ct);
        string? actualFirst = page.CommonPrefixes.Count > 0 && mode.Delimiter ? page.CommonPrefixes[0] : page.Keys.FirstOrDefault();
        if (actualFirst != expectedFirst || page.Entries != expectedCount)
        {
            throw new ListingMismatchException(
                $"{mode.Name} of {keys.Count} keys from {first.StartAfter ?? first.KeyMarker ?? "the start"} under '{first.Prefix}': {page.Entries} entries from '{actualFirst}', expected {expectedCount} from '{expectedFirst}'");
        }
        if (page.IsTruncated && times.Count < pages)
        {
            var next = mode.Versions
                ? first with { KeyMarker = page.NextKeyMarker, VersionIdMarker = page.NextVersionIdMarker }
                : first with { StartAfter = null, ContinuationToken = page.NextContinuationToken };
            await TimedAsync(target.Client, next, times, entries, ct);
        }
    }

    private static (ListQuery Query, string? First, int Count) FlatStart(ListingKeySpace keys, ListingMode mode, Random random)
    {
        long index = mode.FromStart ? 0 : random.NextInt64(0, Math.Max(0, keys.Count - 2 * PageSize) + 1);
        string? after = index == 0 ? null : keys.KeyAt(index - 1);
        var query = mode.Versions ? new ListQuery { Versions = true, KeyMarker = after } : new ListQuery { StartAfter = after };
        return (query, keys.KeyAt(index), (int)Math.Min(PageSize, keys.Count - index));
    }

    private static (ListQuery Query, string? First, int Count) DelimiterStart(ListingKeySpace keys, ListingMode mode, Random random)
    {
        int day = random.Next(keys.Days);
        int hosts = keys.HostsOn(day);
        int host = random.Next(Math.Max(0, hosts - 2 * PageSize) + 1);
        string prefix = ListingKeySpace.DayPrefix(day);
        // After the previous host's last key, so the page begins with this host's prefix.
        string? after = host == 0 ? null : keys.KeyAt(keys.FirstKeyOf(day, host) - 1);
        var query = new ListQuery { Prefix = prefix, Delimiter = "/", Versions = mode.Versions, StartAfter = mode.Versions ? null : after, KeyMarker = mode.Versions ? after : null };
        return (query, $"{prefix}host-{host:D4}/", Math.Min(PageSize, hosts - host));
    }

    private static async Task<ListedPage> TimedAsync(BenchClient client, ListQuery query, List<double> times, List<int> entries, CancellationToken ct)
    {
        long start = Stopwatch.GetTimestamp();
        var page = await client.ListAsync(query, ct);
        double elapsed = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        if (page.Result.Error is { } error)
        {
            throw new ListingMismatchException($"{(query.Versions ? "ListObjectVersions" : "ListObjectsV2")} under '{query.Prefix}' failed: {error}");
        }
        times.Add(elapsed);
        entries.Add(page.Entries);
        return page;
    }
}
