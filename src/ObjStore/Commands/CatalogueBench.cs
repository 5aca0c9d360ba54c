using System.Diagnostics;
using System.Globalization;
using ObjStore.Core;
using ObjStore.Metadata.Sqlite;

namespace ObjStore.Cli.Commands;

/// <summary>
/// `objstore bench catalogue`: what a listing page costs as a bucket's versions grow. Builds SQLite catalogues of
/// 10^4 keys × 1 version, 10^6 keys × 1 and 10^3 keys × 10^3 versions (--scale divides the large ones), then times
/// pages of 1000 from ListObjectVersions and ListObjects at random markers (each followed by a full page), and the
/// GET of a key's latest version. The catalogue alone is measured (no HTTP, no shards): it is the part that could
/// grow with the bucket.
/// </summary>
internal static class CatalogueBench
{
    private const int Samples = 40;

    public static async Task<int> RunAsync(Options options)
    {
        int scale = options.GetInt("scale") ?? 1;
        if (scale < 1)
        {
            throw new OptionException($"--scale must be at least 1, not {scale}");
        }
        (string Name, int Keys, int Versions)[] datasets =
        [
            ("10^4 keys x 1 version", 10_000, 1),
            ($"10^6 keys x 1 version{(scale > 1 ? $" / {scale}" : "")}", 1_000_000 / scale, 1),
            ($"10^3 keys x 10^3 versions{(scale > 1 ? $" / {scale}" : "")}", 1_000, 1_000 / scale),
        ];
        Console.WriteLine("| bucket | versions | ListObjectVersions page (µs) | ListObjects page (µs) | GET latest (µs) | vs 10^4 (versions / objects) |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|");
        double baseVersions = 0, baseObjects = 0;
        foreach (var (name, keys, versions) in datasets)
        {
            string dir = Directory.CreateTempSubdirectory("objstore-bench-catalogue-").FullName;
            try
            {
                using var catalogue = new SqliteCatalogue(Path.Combine(dir, "catalogue.db"), TimeProvider.System, synchronousFull: false);
                await StageAsync(catalogue, keys, versions);
                var random = new Random(7);
                // Markers where a full page of 1000 keys follows, so every dataset's pages hold as many entries.
                int markers = Math.Max(1, keys - 1000);
                double listVersions = await MedianMicrosecondsAsync(() => catalogue.Objects.ListVersionsAsync(new ListVersionsRequest
                {
                    Bucket = "bench", KeyMarker = KeyOf(random.Next(markers)), MaxKeys = 1000,
                }));
                double listObjects = await MedianMicrosecondsAsync(() => catalogue.Objects.ListAsync(new ListRequest
                {
                    Bucket = "bench", StartAfter = KeyOf(random.Next(markers)), MaxKeys = 1000,
                }));
                double get = await MedianMicrosecondsAsync(() => catalogue.Objects.GetAsync("bench", KeyOf(random.Next(keys))));
                if (baseVersions == 0)
                {
                    (baseVersions, baseObjects) = (listVersions, listObjects);
                }
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {name} | {(long)keys * versions:N0} | {listVersions:F0} | {listObjects:F0} | {get:F0} | {listVersions / baseVersions:F2} / {listObjects / baseObjects:F2} |"));
            }
            finally
            {
                Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
                Directory.Delete(dir, recursive: true);
            }
        }
        Console.WriteLine($"\nmedians of {Samples} pages of 1000 at random markers; {Environment.ProcessorCount} cores; {DateTime.UtcNow:yyyy-MM-dd}");
        return 0;
    }

    private static string KeyOf(int index) => $"photos/{index:D7}.jpg";

    /// <summary>Versions committed as a versioned bucket's PUTs commit them, a key's versions one after another.</summary>
    private static async Task StageAsync(SqliteCatalogue catalogue, int keys, int versions)
    {
        var now = DateTimeOffset.UtcNow;
        await catalogue.Buckets.CreateAsync("bench", now);
        await catalogue.Buckets.SetVersioningAsync("bench", VersioningState.Enabled);
        for (int key = 0; key < keys; key++)
        {
            for (int version = 0; version < versions; version++)
            {
                var layout = new ObjectLayout(4, 2, 1 << 20, ShardId.NewDataId(), ["s0", "s1", "s2", "s3", "s4", "s5"]);
                await catalogue.Objects.CommitAsync(new ObjectInfo
                {
                    Bucket = "bench",
                    Key = KeyOf(key),
                    Size = 4096,
                    ETag = "0123456789abcdef0123456789abcdef",
                    LastModified = now,
                    VersionId = VersionIds.New(now),
                    Parts = [new ObjectPart(1, 0, 4096, "0123456789abcdef0123456789abcdef", null, layout) { LastModified = now }],
                }, null, false);
            }
        }
    }

    private static async Task<double> MedianMicrosecondsAsync(Func<Task> call)
    {
        for (int i = 0; i < 5; i++)
        {
            await call(); // warm caches and the JIT
        }
        var times = new List<double>();
        for (int i = 0; i < Samples; i++)
        {
            long start = Stopwatch.GetTimestamp();
            await call();
            times.Add(Stopwatch.GetElapsedTime(start).TotalMicroseconds);
        }
        times.Sort();
        return times[Samples / 2];
    }
}
