using System.Diagnostics;
using System.Globalization;

namespace ObjStore.Bench;

/// <summary>A bench that could not start: the bucket could not be made, or preparing objects failed.</summary>
public sealed class BenchSetupException(string message) : Exception(message);

/// <summary>
/// Runs one bench: creates the bucket, prepares objects when the operation needs them, drives N concurrent workers for
/// the duration (or the object count), cleans up unless asked to keep, and reports.
/// </summary>
public sealed class BenchRunner(BenchOptions options, TextWriter? live = null)
{
    private readonly string _prefix = $"bench-{Guid.NewGuid().ToString("N")[..8]}/";
    private readonly KeyPool _pool = new();
    private long _nextIndex;
    private long _cursor;
    private long _liveOps, _liveBytes, _liveErrors;

    private static string KeyOf(string prefix, long index) => prefix + index.ToString("D8", CultureInfo.InvariantCulture);

    public async Task<BenchReport> RunAsync(CancellationToken cancellationToken = default)
    {
        using var client = new BenchClient(options);
        var payload = new Payload(options.Size.Max, options.Seed, options.Content);
        if (!options.NoSign)
        {
            var created = await client.CreateBucketAsync(cancellationToken);
            if (created.Error is { } error && !error.StartsWith("BucketAlreadyOwnedByYou", StringComparison.Ordinal))
            {
                throw new BenchSetupException($"cannot create bucket {options.Bucket}: {error}");
            }
            if (options.Versioning && (await client.EnableVersioningAsync(cancellationToken)).Error is { } refused)
            {
                throw new BenchSetupException($"cannot enable versioning on {options.Bucket}: {refused}");
            }
        }
        int prepared = 0;
        if (options.Operation != BenchOperation.Put)
        {
            prepared = options.ObjectCount;
            await PrepareAsync(client, payload, prepared, cancellationToken);
        }

        var workers = Enumerable.Range(0, options.Concurrency).Select(i => new Worker(i, options.Seed)).ToList();
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        long start = Stopwatch.GetTimestamp();
        long? deadline = options.EffectiveDuration is { } d ? start + (long)(d.TotalSeconds * Stopwatch.Frequency) : null;
        var snapshot = _pool.Snapshot();
        using var progress = new CancellationTokenSource();
        var liveTask = live is null ? Task.CompletedTask : ShowProgressAsync(start, progress.Token);
        await Task.WhenAll(workers.Select(w => Task.Run(() => WorkAsync(w, client, payload, start, deadline, snapshot, cancellationToken), cancellationToken)));
        double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        var cpu = Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;
        await progress.CancelAsync();
        await liveTask;

        if (!options.Keep)
        {
            await CleanUpAsync(client, cancellationToken);
        }
        return Report(workers, seconds, cpu.TotalSeconds, prepared);
    }

    private async Task PrepareAsync(BenchClient client, Payload payload, int count, CancellationToken ct)
    {
        var sizes = new Random(options.Seed);
        var plan = Enumerable.Range(0, count).Select(_ => (Index: Interlocked.Increment(ref _nextIndex), Size: options.Size.Next(sizes))).ToList();
        string? failure = null;
        await Parallel.ForEachAsync(plan, new ParallelOptions { MaxDegreeOfParallelism = options.Concurrency, CancellationToken = ct }, async (item, token) =>
        {
            var result = await client.PutAsync(KeyOf(_prefix, item.Index), payload.ContentFor(item.Index, item.Size), token);
            if (result.Error is not null)
            {
                failure ??= result.Error;
                return;
            }
            _pool.Add(item.Index, item.Size);
        });
        if (failure is not null)
        {
            await CleanUpAsync(client, ct);
            throw new BenchSetupException($"preparing {count} objects failed: {failure}");
        }
    }

    private async Task WorkAsync(Worker worker, BenchClient client, Payload payload, long start, long? deadline,
        IReadOnlyList<(long Index, long Size)> snapshot, CancellationToken ct)
    {
        var scratch = new byte[256 << 10];
        bool Expired() => deadline is { } end && Stopwatch.GetTimestamp() >= end;
        while (!ct.IsCancellationRequested && !Expired())
        {
            var op = options.Operation == BenchOperation.Mixed ? worker.PickFromMix(options.Mix) : options.Operation;
            long began = Stopwatch.GetTimestamp();
            OpResult result;
            long keys = 0;
            switch (op)
            {
                case BenchOperation.Put:
                {
                    long index = Interlocked.Increment(ref _nextIndex);
                    if (deadline is null && options.Operation == BenchOperation.Put && index > options.ObjectCount)
                    {
                        return;
                    }
                    long size = options.Size.Next(worker.Random);
                    result = await client.PutAsync(KeyOf(_prefix, index), payload.ContentFor(index, size), ct);
                    if (result.Error is null)
                    {
                        _pool.Add(index, size);
                    }
                    break;
                }
                case BenchOperation.Get or BenchOperation.Stat:
                {
                    if (!NextTarget(worker, snapshot, deadline, remove: false, out var target))
                    {
                        if (options.Operation == BenchOperation.Mixed)
                        {
                            continue;
                        }
                        return;
                    }
                    try
                    {
                        result = op == BenchOperation.Stat
                            ? await client.HeadAsync(KeyOf(_prefix, target.Index), ct)
                            : await client.GetAsync(KeyOf(_prefix, target.Index), target.Size, scratch,
                                options.Verify ? (position, bytes) => payload.Matches(target.Index, position, bytes.Span) : null, ct);
                    }
                    finally
                    {
                        if (IsRandomPick(deadline))
                        {
                            _pool.Release(target.Index);
                        }
                    }
                    break;
                }
                case BenchOperation.Delete:
                {
                    if (!NextTarget(worker, snapshot, deadline, remove: true, out var target))
                    {
                        if (options.Operation == BenchOperation.Mixed)
                        {
                            continue;
                        }
                        return;
                    }
                    result = await client.DeleteAsync(KeyOf(_prefix, target.Index), ct);
                    break;
                }
                case BenchOperation.List:
                {
                    var page = await client.ListPageAsync(_prefix, worker.Continuation, ct);
                    result = page.Result;
                    keys = page.Keys;
                    worker.Continuation = page.Next;
                    if (page.Next is null && deadline is null)
                    {
                        worker.Record(op, began, Stopwatch.GetTimestamp(), start, result, keys);
                        Count(result);
                        return; // one full pass per worker when there is no duration
                    }
                    break;
                }
                default:
                    throw new InvalidOperationException($"unexpected operation {op}");
            }
            worker.Record(op, began, Stopwatch.GetTimestamp(), start, result, keys);
            Count(result);
        }
    }

    /// <summary>
    /// The object a get, stat or delete targets. Timed runs pick at random (delete removes what it picks); runs by
    /// count walk the prepared objects once, each taken by one worker.
    /// </summary>
    private bool NextTarget(Worker worker, IReadOnlyList<(long Index, long Size)> snapshot, long? deadline, bool remove, out (long Index, long Size) target)
    {
        if (!IsRandomPick(deadline))
        {
            long next = Interlocked.Increment(ref _cursor) - 1;
            if (next < snapshot.Count)
            {
                target = snapshot[(int)next];
                if (remove)
                {
                    _pool.Remove(target.Index);
                }
                return true;
            }
            target = default;
            return false;
        }
        return remove ? _pool.TryTakeRandom(worker.Random, out target) : _pool.TryLeaseRandom(worker.Random, out target);
    }

    /// <summary>Timed and mixed runs pick objects at random from the pool (reads lease them); runs by count walk a snapshot.</summary>
    private bool IsRandomPick(long? deadline) => deadline is not null || options.Operation == BenchOperation.Mixed;

    private void Count(OpResult result)
    {
        Interlocked.Increment(ref _liveOps);
        Interlocked.Add(ref _liveBytes, result.Bytes);
        if (result.Error is not null)
        {
            Interlocked.Increment(ref _liveErrors);
        }
    }

    private async Task ShowProgressAsync(long start, CancellationToken stop)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        long lastOps = 0, lastBytes = 0;
        try
        {
            while (await timer.WaitForNextTickAsync(stop))
            {
                long ops = Interlocked.Read(ref _liveOps), bytes = Interlocked.Read(ref _liveBytes);
                await live!.WriteAsync(string.Create(CultureInfo.InvariantCulture,
                    $"\r{Stopwatch.GetElapsedTime(start).TotalSeconds,7:F1} s {ops - lastOps,9} ops/s {(bytes - lastBytes) / 1048576.0,10:F2} MiB/s {Interlocked.Read(ref _liveErrors),6} errors"));
                (lastOps, lastBytes) = (ops, bytes);
            }
        }
        catch (OperationCanceledException)
        {
        }
        await live!.WriteLineAsync();
    }

    private async Task CleanUpAsync(BenchClient client, CancellationToken ct)
    {
        var leftovers = _pool.Snapshot();
        await Parallel.ForEachAsync(leftovers, new ParallelOptions { MaxDegreeOfParallelism = options.Concurrency, CancellationToken = ct },
            async (item, token) => await client.DeleteAsync(KeyOf(_prefix, item.Index), token));
        if (!options.NoSign)
        {
            await client.DeleteBucketAsync(ct); // fails harmlessly when the bucket holds other objects
        }
    }

    private BenchReport Report(List<Worker> workers, double seconds, double cpuSeconds, int prepared)
    {
        var operations = workers.SelectMany(w => w.Stats.Keys).Distinct().Order().Select(op =>
        {
            var all = workers.Where(w => w.Stats.ContainsKey(op)).Select(w => w.Stats[op]).ToList();
            var latencies = all.SelectMany(s => s.LatenciesMs).Order().ToArray();
            long ops = all.Sum(s => s.Ops), bytes = all.Sum(s => s.Bytes), keys = all.Sum(s => s.Keys);
            var codes = all.SelectMany(s => s.ErrorCodes).GroupBy(e => e.Key).ToDictionary(g => g.Key, g => g.Sum(e => e.Value));
            return new OpReport
            {
                Operation = op.ToString().ToLowerInvariant(),
                Ops = ops,
                Bytes = bytes,
                Errors = codes.Values.Sum(),
                Seconds = Math.Round(seconds, 3),
                OpsPerSecond = Math.Round(ops / seconds, 2),
                MiBPerSecond = Math.Round(bytes / seconds / 1048576.0, 3),
                P50Ms = Math.Round(Percentile(latencies, 0.50), 3),
                P90Ms = Math.Round(Percentile(latencies, 0.90), 3),
                P99Ms = Math.Round(Percentile(latencies, 0.99), 3),
                MaxMs = latencies.Length == 0 ? 0 : Math.Round(latencies[^1], 3),
                Keys = op == BenchOperation.List ? keys : null,
                KeysPerSecond = op == BenchOperation.List ? Math.Round(keys / seconds, 1) : null,
                ErrorCodes = codes,
            };
        }).ToList();
        var series = workers.SelectMany(w => w.Series).GroupBy(p => p.Key).OrderBy(g => g.Key)
            .Select(g => new TimePoint(g.Key, g.Sum(p => p.Value.Ops), g.Sum(p => p.Value.Bytes), g.Sum(p => p.Value.Errors))).ToList();
        return new BenchReport
        {
            Endpoint = options.Endpoint.ToString(),
            Operation = options.Operation.ToString().ToLowerInvariant(),
            Size = options.Size.ToString(),
            Concurrency = options.Concurrency,
            PreparedObjects = prepared,
            Seconds = Math.Round(seconds, 3),
            ClientCpuSeconds = Math.Round(cpuSeconds, 3),
            Operations = operations,
            Series = series,
        };
    }

    /// <summary>The nearest-rank percentile <paramref name="p"/> of sorted values (0 of none).</summary>
    internal static double Percentile(IReadOnlyList<double> sorted, double p) =>
        sorted.Count == 0 ? 0 : sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)];

    private sealed class OpStats
    {
        public long Ops;
        public long Bytes;
        public long Keys;
        public readonly List<double> LatenciesMs = [];
        public readonly Dictionary<string, long> ErrorCodes = [];
    }

    /// <summary>A worker's own counters (merged at the end, so the hot path shares nothing but the live totals).</summary>
    private sealed class Worker(int id, int seed)
    {
        public readonly Random Random = new(seed * 7919 + id);
        public readonly Dictionary<BenchOperation, OpStats> Stats = [];
        public readonly Dictionary<int, (long Ops, long Bytes, long Errors)> Series = [];
        public string? Continuation;

        public BenchOperation PickFromMix(IReadOnlyDictionary<BenchOperation, int> mix)
        {
            int roll = Random.Next(mix.Values.Sum());
            foreach (var (op, weight) in mix)
            {
                if (roll < weight)
                {
                    return op;
                }
                roll -= weight;
            }
            return mix.Keys.First();
        }

        public void Record(BenchOperation op, long began, long ended, long runStart, OpResult result, long keys)
        {
            if (!Stats.TryGetValue(op, out var stats))
            {
                Stats[op] = stats = new OpStats();
            }
            stats.Ops++;
            stats.Bytes += result.Bytes;
            stats.Keys += keys;
            stats.LatenciesMs.Add((ended - began) * 1000.0 / Stopwatch.Frequency);
            if (result.Error is { } error)
            {
                stats.ErrorCodes[error] = stats.ErrorCodes.GetValueOrDefault(error) + 1;
            }
            int second = (int)((ended - runStart) / Stopwatch.Frequency);
            var point = Series.GetValueOrDefault(second);
            Series[second] = (point.Ops + 1, point.Bytes + result.Bytes, point.Errors + (result.Error is null ? 0 : 1));
        }
    }
}
