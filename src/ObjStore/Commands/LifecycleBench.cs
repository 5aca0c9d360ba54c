using System.Diagnostics;
using System.Globalization;
using ObjStore.Core;
using ObjStore.Core.Jobs;
using ObjStore.Lifecycle;
using ObjStore.Metadata.Sqlite;

namespace ObjStore.Cli.Commands;

/// <summary>
/// `objstore bench lifecycle [--objects N]`: a lifecycle pass over a bucket of N objects (10^6 by default) of which
/// 1% are due, in a dev store started here; reports the pass's run time and the 4 KiB GET p99 of 4 clients on another
/// bucket before and during the pass, as a ratio (the acceptance bound is 2x, as for scrub). The bucket's metadata is
/// staged straight into the catalogue (no client could upload 10^6 objects quickly); the due objects' shards do not
/// exist, so their expiries delete nothing from disk.
/// </summary>
internal static class LifecycleBench
{
    public static async Task<int> RunAsync(Options options)
    {
        int objects = options.GetInt("objects") ?? 1_000_000;
        if (objects < 100)
        {
            throw new OptionException("--objects must be at least 100 (1% of them are due)");
        }
        await using var store = BenchStore.InNewFolder("lifecycle");
        var staging = Stopwatch.StartNew();
        await StageAsync(store.CataloguePath, objects);
        Console.WriteLine($"staged {objects:N0} objects in {staging.Elapsed.TotalSeconds:F0} s");
        await store.StartAsync();
        using var http = new HttpClient { BaseAddress = store.Url };
        await store.SendAsync(http, HttpMethod.Put, "/hot", null);
        var payload = new byte[4096];
        for (int i = 0; i < 64; i++)
        {
            await store.SendAsync(http, HttpMethod.Put, $"/hot/{i}", payload);
        }
        double idle = await GetP99Async(store, http, TimeSpan.FromSeconds(5), () => false);

        var catalogue = store.Catalogue;
        var rules = new LifecycleConfiguration([new LifecycleRule { Id = "old", Enabled = true, Expiration = new() { Days = 5 } }]);
        await catalogue.Buckets.PutConfigAsync("bench", BucketConfigKinds.Lifecycle, rules.ToJson());
        long id = await catalogue.Jobs.EnqueueAsync(JobKinds.Lifecycle, JobPlacement.BucketTarget("bench"), priority: 20);
        JobInfo job = (await catalogue.Jobs.GetAsync(id))!;
        bool finished = false;
        var watch = Task.Run(async () =>
        {
            while (!(job = (await catalogue.Jobs.GetAsync(id))!).IsFinished)
            {
                await Task.Delay(100);
            }
            finished = true;
        });
        double during = await GetP99Async(store, http, TimeSpan.FromMinutes(30), () => Volatile.Read(ref finished));
        await watch;
        double seconds = (job.Finished!.Value - job.Created).TotalSeconds;
        Console.WriteLine("| bucket | due | pass | 4 KiB GET p99 idle | during the pass | ratio |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| {objects:N0} objects | {objects / 100:N0} | {seconds:F1} s | {idle:F2} ms | {during:F2} ms | {during / idle:F2} |"));
        Console.WriteLine($"\njob {job.State}: {job.Result}; 4 GET clients; {Environment.ProcessorCount} cores; {DateTime.UtcNow:yyyy-MM-dd}");
        return job.State == JobStates.Succeeded ? 0 : 1;
    }

    /// <summary>An unversioned bucket where every 100th object is old enough for a 5-day rule.</summary>
    private static async Task StageAsync(string path, int objects)
    {
        using var catalogue = new SqliteCatalogue(path, TimeProvider.System, synchronousFull: false);
        var now = DateTimeOffset.UtcNow;
        await catalogue.Buckets.CreateAsync("bench", now);
        for (int i = 0; i < objects; i++)
        {
            var written = i % 100 == 0 ? now.AddDays(-10) : now;
            var layout = new ObjectLayout(4, 2, 1 << 20, ShardId.NewDataId(), ["s0", "s1", "s2", "s3", "s4", "s5"]);
            await catalogue.Objects.CommitAsync(new ObjectInfo
            {
                Bucket = "bench", Key = $"data/{i:D7}", Size = 4096, ETag = "0123456789abcdef0123456789abcdef", LastModified = written,
                Parts = [new ObjectPart(1, 0, 4096, "0123456789abcdef0123456789abcdef", null, layout) { LastModified = written }],
            }, null, false);
        }
    }

    /// <summary>4 clients GET random hot objects for <paramref name="longest"/> or until <paramref name="stop"/>; the p99 in ms.</summary>
    private static async Task<double> GetP99Async(BenchStore store, HttpClient http, TimeSpan longest, Func<bool> stop)
    {
        var latencies = new List<double>();
        var deadline = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, 4).Select(async client =>
        {
            var random = new Random(client);
            var mine = new List<double>();
            while (deadline.Elapsed < longest && !stop())
            {
                long start = Stopwatch.GetTimestamp();
                await store.SendAsync(http, HttpMethod.Get, $"/hot/{random.Next(64)}", null);
                mine.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            }
            lock (latencies)
            {
                latencies.AddRange(mine);
            }
        }));
        latencies.Sort();
        return latencies.Count == 0 ? double.NaN : latencies[(int)(latencies.Count * 0.99)];
    }
}
