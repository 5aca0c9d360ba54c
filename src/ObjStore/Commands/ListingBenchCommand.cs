using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using ObjStore.Bench;
using ObjStore.Metadata.Postgres;
using ObjStore.Metadata.Sqlite;

namespace ObjStore.Cli.Commands;

/// <summary>
/// `objstore bench list [--keys N[,N...]] [--catalogue sqlite,postgres] [--postgres SERVER] [--pages P] [--seed S]
/// [--json FILE]`: ListObjectsV2 and ListObjectVersions page timings over buckets of N synthetic keys
/// (<see cref="ListingKeySpace"/>), each in a dev store of its own started here on 127.0.0.1, through the S3 endpoint
/// and a signed client; with several sizes (and catalogues) their pages are sampled in turn and each size compared
/// with the first size of the same catalogue. Each bucket is written into a new catalogue before its store opens it,
/// rows only, no shards: on SQLite a new file in a new temporary data folder (<see cref="SyntheticCatalogue"/>), on
/// PostgreSQL a new database this command creates on SERVER (an admin's connection string or URL) and fills
/// (<see cref="SyntheticPostgresCatalogue"/>). The folders and databases are deleted at the end: the command cannot
/// touch an existing store.
/// </summary>
internal static class ListingBenchCommand
{
    public const string Bucket = "listing";

    public static async Task<int> RunAsync(Options options)
    {
        var sizes = ParseSizes(options.Get("keys", "1000000"));
        var catalogues = ParseCatalogues(options.Get("catalogue", "sqlite"));
        string? server = options.Get("postgres");
        if (catalogues.Contains("postgres") && server is null)
        {
            throw new OptionException("--catalogue postgres needs --postgres SERVER (an admin connection string or postgres:// URL of a server to create its databases on)");
        }
        int pages = options.GetInt("pages") ?? 200;
        if (pages is < 1 or > 100_000)
        {
            throw new OptionException($"--pages must be from 1 to 100000, not {pages}");
        }
        int seed = options.GetInt("seed") ?? 1;
        string? json = options.Get("json");

        var stores = new List<BenchStore>();
        var databases = new List<BenchDatabase>();
        var clients = new List<BenchClient>();
        try
        {
            var targets = new List<ListingTarget>();
            var loads = new List<object>();
            var plans = new List<object>();
            foreach (string catalogue in catalogues)
            {
                foreach (long keys in sizes)
                {
                    var space = new ListingKeySpace(keys);
                    var store = BenchStore.InNewFolder("list");
                    stores.Add(store);
                    var settings = new Dictionary<string, string?>();
                    var loading = Stopwatch.StartNew();
                    long bytes;
                    void Progress(long written) => Console.Error.Write($"\r{catalogue}: loaded {written:N0} of {keys:N0} keys");
                    if (catalogue == "postgres")
                    {
                        var database = await BenchDatabase.CreateAsync(server!, $"objstore_bench_list_{Environment.ProcessId}_{keys}");
                        databases.Add(database);
                        await SyntheticPostgresCatalogue.CreateAsync(database.ConnectionString, Bucket, space.Keys(), DateTimeOffset.UtcNow, Progress);
                        bytes = await database.SizeAsync();
                        settings["ObjStore:Catalogue"] = database.ConnectionString;
                    }
                    else
                    {
                        await SyntheticCatalogue.CreateAsync(store.CataloguePath, Bucket, space.Keys(), DateTimeOffset.UtcNow, Progress);
                        bytes = new FileInfo(store.CataloguePath).Length;
                    }
                    double seconds = loading.Elapsed.TotalSeconds;
                    Console.Error.WriteLine();
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"loaded {keys:N0} keys into {catalogue} in {seconds:F1} s ({keys / seconds:N0} keys/s), catalogue {bytes / 1048576.0:N0} MiB; {space.HostsPerDay} hosts x {space.PartsPerHost} parts a day over {space.Days} days, {space.FlatCount:N0} flat keys"));
                    loads.Add(new { catalogue, keys, seconds, catalogueBytes = bytes });
                    if (catalogue == "postgres")
                    {
                        string plan = await ExplainAsync(databases[^1].ConnectionString, space);
                        Console.WriteLine($"EXPLAIN at {keys:N0} keys on postgres:\n{plan}");
                        plans.Add(new { keys, plan });
                    }

                    await store.StartAsync(settings);
                    var client = new BenchClient(new BenchOptions
                    {
                        Endpoint = store.Url, AccessKey = BenchStore.AccessKey, SecretKey = BenchStore.SecretKey, Bucket = Bucket, Concurrency = 1,
                    });
                    clients.Add(client);
                    targets.Add(new ListingTarget(space, client, catalogue));
                }
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
                await File.WriteAllTextAsync(json, JsonSerializer.Serialize(new { pages, loads, plans, timings }));
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
            foreach (var database in databases)
            {
                await database.DisposeAsync();
            }
        }
    }

    /// <summary>The plans of a deep ListObjects page and of a delimiter listing's seek, in the middle of the key space.</summary>
    private static Task<string> ExplainAsync(string connectionString, ListingKeySpace space)
    {
        int day = space.Days / 2;
        int host = space.HostsOn(day) / 2;
        return SyntheticPostgresCatalogue.ExplainListingAsync(connectionString, Bucket, space.KeyAt(space.Count / 2),
            ListingKeySpace.DayPrefix(day), space.KeyAt(space.FirstKeyOf(day, host)));
    }

    /// <summary>"sqlite,postgres": the catalogues to compare, each once.</summary>
    internal static List<string> ParseCatalogues(string text)
    {
        var catalogues = text.Split(',').Select(c => c.Trim()).ToList();
        if (catalogues.Any(c => c is not ("sqlite" or "postgres")) || catalogues.Distinct().Count() != catalogues.Count)
        {
            throw new OptionException($"--catalogue takes sqlite, postgres or both, comma-separated, not '{text}'");
        }
        return catalogues;
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

    /// <summary>The table, with each size's times as a ratio of the first size's for the same catalogue and listing.</summary>
    private static void Print(IReadOnlyList<ListingTiming> timings, long baseline)
    {
        Console.WriteLine($"| catalogue | keys | listing | entries/page | p50 (ms) | p99 (ms) | p50 / {baseline:N0} | p99 / {baseline:N0} |");
        Console.WriteLine("|---|---:|---|---:|---:|---:|---:|---:|");
        var modes = ListingMode.All.Select(m => m.Name).ToList();
        var catalogues = timings.Select(t => t.Catalogue).Distinct().ToList();
        foreach (var t in timings.OrderBy(t => catalogues.IndexOf(t.Catalogue)).ThenBy(t => modes.IndexOf(t.Mode)).ThenBy(t => t.Keys))
        {
            var first = timings.First(b => b.Keys == baseline && b.Mode == t.Mode && b.Catalogue == t.Catalogue);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {t.Catalogue} | {t.Keys:N0} | {t.Mode} | {t.EntriesPerPage:F0} | {t.P50Milliseconds:F2} | {t.P99Milliseconds:F2} | {t.P50Milliseconds / first.P50Milliseconds:F2} | {t.P99Milliseconds / first.P99Milliseconds:F2} |"));
        }
        Console.WriteLine($"\n{timings[0].Pages} pages of {ListingBench.PageSize} per row, sizes and catalogues sampled in turn, one client; {Environment.ProcessorCount} cores; {DateTime.UtcNow:yyyy-MM-dd}");
    }
}
