using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using ObjStore.Bench;
using ObjStore.Metadata.Sqlite;

namespace ObjStore.Cli.Commands;

/// <summary>
/// `objstore bench list [--keys N] [--pages P] [--seed S] [--json FILE]`: ListObjectsV2 and ListObjectVersions page
/// timings over a bucket of N synthetic keys (<see cref="ListingKeySpace"/>), through the S3 endpoint of a dev store
/// started here on 127.0.0.1 and a signed client. The bucket is written into a new catalogue in a new temporary data
/// folder by <see cref="SyntheticCatalogue"/> (rows only, no shards) before the store opens it, and the folder is
/// deleted at the end: the command cannot touch an existing store.
/// </summary>
internal static class ListingBenchCommand
{
    public const string Bucket = "listing";

    public static async Task<int> RunAsync(Options options)
    {
        long keys = options.GetInt("keys") ?? 1_000_000;
        if (keys is < 1 or > ListingKeySpace.MaxCount)
        {
            throw new OptionException($"--keys must be from 1 to {ListingKeySpace.MaxCount}, not {keys}");
        }
        int pages = options.GetInt("pages") ?? 200;
        if (pages is < 1 or > 100_000)
        {
            throw new OptionException($"--pages must be from 1 to 100000, not {pages}");
        }
        int seed = options.GetInt("seed") ?? 1;
        string? json = options.Get("json");
        options.RejectUnknown();

        var space = new ListingKeySpace(keys);
        await using var store = BenchStore.InNewFolder("list");
        var loading = Stopwatch.StartNew();
        await SyntheticCatalogue.CreateAsync(store.CataloguePath, Bucket, space.Keys(), DateTimeOffset.UtcNow,
            written => Console.Error.Write($"\rloaded {written:N0} of {keys:N0} keys"));
        double loadSeconds = loading.Elapsed.TotalSeconds;
        long bytes = new FileInfo(store.CataloguePath).Length;
        Console.Error.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"loaded {keys:N0} keys in {loadSeconds:F1} s ({keys / loadSeconds:N0} keys/s), catalogue {bytes / 1048576.0:N0} MiB; {space.HostsPerDay} hosts x {space.PartsPerHost} parts a day over {space.Days} days, {space.FlatCount:N0} flat keys"));

        await store.StartAsync();
        using var client = new BenchClient(new BenchOptions
        {
            Endpoint = store.Url, AccessKey = BenchStore.AccessKey, SecretKey = BenchStore.SecretKey, Bucket = Bucket, Concurrency = 1,
        });
        IReadOnlyList<ListingTiming> timings;
        try
        {
            timings = await new ListingBench(client, space, pages, seed).RunAsync();
        }
        catch (ListingMismatchException e)
        {
            Console.Error.WriteLine($"objstore: {e.Message}");
            return 1;
        }

        Console.WriteLine("| keys | listing | pages | entries/page | p50 (ms) | p99 (ms) |");
        Console.WriteLine("|---:|---|---:|---:|---:|---:|");
        foreach (var t in timings)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {keys:N0} | {t.Mode} | {t.Pages} | {t.EntriesPerPage:F0} | {t.P50Milliseconds:F2} | {t.P99Milliseconds:F2} |"));
        }
        Console.WriteLine($"\npages of {ListingBench.PageSize}, one client; {Environment.ProcessorCount} cores; {DateTime.UtcNow:yyyy-MM-dd}");
        if (json is not null)
        {
            await File.WriteAllTextAsync(json, JsonSerializer.Serialize(new { keys, loadSeconds, catalogueBytes = bytes, timings }));
        }
        return 0;
    }
}
