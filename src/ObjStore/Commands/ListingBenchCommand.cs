using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using ObjStore.Bench;
using ObjStore.Metadata.Sqlite;

namespace ObjStore.Cli.Commands;

/// <summary>
/// `objstore bench list [--keys N[,N...]] [--pages P] [--seed S] [--json FILE]`: ListObjectsV2 and ListObjectVersions
/// page timings over buckets of N synthetic keys (<see cref="ListingKeySpace"/>), each in a dev store of its own
/// started here on 127.0.0.1, through the S3 endpoint and a signed client; with several sizes their pages are
/// sampled in turn and compared with the first size's. Each bucket is written into a new catalogue in a new temporary
/// data folder by <see cref="SyntheticCatalogue"/> (rows only, no shards) before its store opens it, and the folders
/// are deleted at the end: the command cannot touch an existing store.
/// </summary>
internal static class ListingBenchCommand
{
    public const string Bucket = "listing";

    public static async Task<int> RunAsync(Options options)
    {
        var sizes = ParseSizes(options.Get("keys", "1000000"));
        int pages = options.GetInt("pages") ?? 200;
        if (pages is < 1 or > 100_000)
        {
            throw new OptionException($"--pages must be from 1 to 100000, not {pages}");
        }
        int seed = options.GetInt("seed") ?? 1;
        string? json = options.Get("json");

        var stores = new List<BenchStore>();
        var clients = new List<BenchClient>();
        try
        {
            var targets = new List<ListingTarget>();
            var loads = new List<object>();
            foreach (long keys in sizes)
            {
                var space = new ListingKeySpace(keys);
                var store = BenchStore.InNewFolder("list");
                stores.Add(store);
                var loading = Stopwatch.StartNew();
                await SyntheticCatalogue.CreateAsync(store.CataloguePath, Bucket, space.Keys(), DateTimeOffset.UtcNow,
                    written => Console.Error.Write($"\rloaded {written:N0} of {keys:N0} keys"));
                double seconds = loading.Elapsed.TotalSeconds;
                long bytes = new FileInfo(store.CataloguePath).Length;
                Console.Error.WriteLine();
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"loaded {keys:N0} keys in {seconds:F1} s ({keys / seconds:N0} keys/s), catalogue {bytes / 1048576.0:N0} MiB; {space.HostsPerDay} hosts x {space.PartsPerHost} parts a day over {space.Days} days, {space.FlatCount:N0} flat keys"));
                loads.Add(new { keys, seconds, catalogueBytes = bytes });

                await store.StartAsync();
                var client = new BenchClient(new BenchOptions
                {
                    Endpoint = store.Url, AccessKey = BenchStore.AccessKey, SecretKey = BenchStore.SecretKey, Bucket = Bucket, Concurrency = 1,
                });
                clients.Add(client);
                targets.Add(new ListingTarget(space, client));
            }

            IReadOnlyList<ListingTiming> timings;
            try
            {
                timings = await new ListingBench(targets, pages, seed).RunAsync();
            }
            catch (ListingMismatchException e)
            {
                Console.Error.WriteLine($"objstore: {e.Message}");
                return 1;
            }
            Print(timings, sizes[0]);
            if (json is not null)
            {
                await File.WriteAllTextAsync(json, JsonSerializer.Serialize(new { pages, loads, timings }));
            }
            return 0;
        }
        finally
        {
            clients.ForEach(c => c.Dispose());
            foreach (var store in stores)
            {
                await store.DisposeAsync();
            }
        }
    }

    /// <summary>"1000,1000000": whole numbers of keys, each within what the key space holds.</summary>
    internal static List<long> ParseSizes(string text)
    {
        var sizes = new List<long>();
        foreach (string part in text.Split(','))
        {
            if (!long.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out long keys) || keys is < 1 or > ListingKeySpace.MaxCount)
            {
                throw new OptionException($"--keys takes whole numbers from 1 to {ListingKeySpace.MaxCount}, comma-separated, not '{text}'");
            }
            sizes.Add(keys);
        }
        return sizes;
    }

    /// <summary>The table, with each size's times as a ratio of the first size's for the same listing.</summary>
    private static void Print(IReadOnlyList<ListingTiming> timings, long baseline)
    {
        Console.WriteLine($"| keys | listing | entries/page | p50 (ms) | p99 (ms) | p50 / {baseline:N0} | p99 / {baseline:N0} |");
        Console.WriteLine("|---:|---|---:|---:|---:|---:|---:|");
        foreach (var t in timings.OrderBy(t => ListingMode.All.Select(m => m.Name).ToList().IndexOf(t.Mode)).ThenBy(t => t.Keys))
        {
            var first = timings.First(b => b.Keys == baseline && b.Mode == t.Mode);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {t.Keys:N0} | {t.Mode} | {t.EntriesPerPage:F0} | {t.P50Milliseconds:F2} | {t.P99Milliseconds:F2} | {t.P50Milliseconds / first.P50Milliseconds:F2} | {t.P99Milliseconds / first.P99Milliseconds:F2} |"));
        }
        Console.WriteLine($"\n{timings[0].Pages} pages of {ListingBench.PageSize} per row, sizes sampled in turn, one client; {Environment.ProcessorCount} cores; {DateTime.UtcNow:yyyy-MM-dd}");
    }
}
