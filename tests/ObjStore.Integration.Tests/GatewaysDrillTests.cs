using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using ObjStore.Core.Jobs;
using ObjStore.S3.Auth;
using Xunit.Abstractions;

namespace ObjStore.Integration.Tests;

/// <summary>
/// The several-gateways drill on real processes: deploy/local-cluster.sh with two gateways, six nodes (4+2) and its
/// throwaway PostgreSQL, clients alternating between the gateways. Racing writers on one key, an upload spread over
/// both, a gateway killed (SIGKILL) in the middle of writes and of the scrub it was running, read-after-write and
/// list-after-write across gateways for 10,000 objects, then PostgreSQL stopped and started under load. One test, in
/// steps, because each step needs the cluster (and the objects) the previous one left.
/// </summary>
public sealed class GatewaysDrillTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string Bucket = "drill";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Short job leases and worker timeouts, so the dead gateway's scrub is taken over in seconds, and a paced scrub,
    /// so it is still running when that gateway is killed.
    /// </summary>
    private static readonly Dictionary<string, string> GatewaySettings = new()
    {
        ["ObjStore__Maintenance__JobLease"] = "00:00:03",
        ["ObjStore__Maintenance__WorkerTimeout"] = "00:00:03",
        ["ObjStore__Maintenance__JobPollInterval"] = "00:00:00.200",
        ["ObjStore__Maintenance__ScrubOpsPerSecond"] = "400",
    };

    // Not CreateTempSubdirectory (mode 0700): PostgreSQL runs as its own user (as root, postgres) and needs to reach DIR/postgres.
    private readonly string _dir = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), $"objstore-gateways-{Guid.NewGuid():N}")).FullName;
    private readonly HttpClient _http = new();

    /// <summary>Every write a gateway acknowledged: key, and the seed and size its bytes came from.</summary>
    private readonly ConcurrentDictionary<string, (int Seed, int Size)> _acknowledged = new();
    private Dictionary<string, string> _env = [];
    private string[] _urls = [];
    private AmazonS3Client[] _s3 = [];

    public async Task InitializeAsync()
    {
        try
        {
            await ScriptAsync("start", _dir, "--nodes", "6", "--ec", "4+2", "--postgres", "--gateways", "2");
            LoadEnv();
            _urls = _env["OBJSTORE_ENDPOINTS"].Split(' ');
            Assert.Equal(2, _urls.Length);
            Assert.Equal(_env["OBJSTORE_ENDPOINT"], _urls[0]);
            _s3 = [.. _urls.Select(Client)];
        }
        catch
        {
            await DisposeAsync();
            throw;
        }
    }

    public async Task DisposeAsync()
    {
        foreach (var client in _s3)
        {
            client.Dispose();
        }
        _http.Dispose();
        if (File.Exists(Path.Combine(_dir, "cluster.env")))
        {
            await ScriptAsync("stop", _dir);
        }
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task TwoGatewaysOnOnePostgresServeOneStoreThroughAGatewayCrashAndADatabaseRestart()
    {
        var watch = Stopwatch.StartNew();
        await _s3[0].PutBucketAsync(Bucket);
        await RacingWritersThroughBothGatewaysEndWithOneWholeWinnerAsync();
        await AnUploadSpreadOverBothGatewaysCompletesAsync();
        Log(watch, "racing writers and multipart");
        await AGatewayKilledMidWriteLosesNothingAndItsJobFinishesElsewhereAsync();
        Log(watch, "gateway killed");
        await ScriptAsync("gateway-start", _dir, "1");
        await ScriptAsync("gateway-start", _dir, "2"); // whichever was killed: the other answers "is running"
        LoadEnv();
        await ReadAfterWriteAndListAfterWriteHoldAcrossGatewaysAsync(10_000);
        Log(watch, "read-after-write");
        await APostgresRestartUnderLoadIsA503AndLosesNothingAsync();
        Log(watch, "PostgreSQL restarted");

        // Nothing acknowledged in any step is lost: every such object reads back whole through both gateways.
        var keys = _acknowledged.Keys.Where(k => !k.StartsWith("raw/", StringComparison.Ordinal)).ToList();
        await Parallel.ForEachAsync(keys, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (key, _) =>
        {
            foreach (var s3 in _s3)
            {
                await AssertReadsBackAsync(s3, key);
            }
        });
        Assert.Equal(10_000, (await ListAsync(_s3[0], "raw/")).Count);
        Log(watch, $"{keys.Count} acknowledged objects read back through both gateways, 10000 raw/ keys listed");
    }

    /// <summary>16 unconditional PUTs of one key, 8 through each gateway, of bodies spanning stripes: one body wins, whole.</summary>
    private async Task RacingWritersThroughBothGatewaysEndWithOneWholeWinnerAsync()
    {
        const int Writers = 16, Size = (2 << 20) + 12345;
        var bodies = Enumerable.Range(0, Writers).Select(w => TestData.Bytes(Size, 9000 + w)).ToList();
        using var go = new SemaphoreSlim(0);
        var writes = Enumerable.Range(0, Writers).Select(w => Task.Run(async () =>
        {
            await go.WaitAsync();
            await _s3[w % 2].PutObjectAsync(new PutObjectRequest { BucketName = Bucket, Key = "contested", InputStream = new MemoryStream(bodies[w]) });
        })).ToList();
        go.Release(Writers);
        await Task.WhenAll(writes);
        var hashes = bodies.Select(b => Convert.ToHexString(SHA256.HashData(b))).ToList();
        int winner = -1;
        foreach (var s3 in _s3)
        {
            string seen = Convert.ToHexString(SHA256.HashData(await s3.GetBytesAsync(Bucket, "contested")));
            int index = hashes.IndexOf(seen);
            Assert.True(index >= 0, "the contested key holds bytes no writer wrote (a mix)");
            Assert.True(winner < 0 || winner == index, "the gateways disagree on the winner");
            winner = index;
        }
        var listed = Assert.Single(await ListAsync(_s3[1], "contested"));
        Assert.Equal(Size, listed.Size);
        _acknowledged["contested"] = (9000 + winner, Size);
        output.WriteLine($"racing writers: {Writers} PUTs through both gateways, writer {winner} won, whole");
    }

    /// <summary>Initiated on A, parts through B, A and B, listed on B, completed through A, read through B.</summary>
    private async Task AnUploadSpreadOverBothGatewaysCompletesAsync()
    {
        string id = (await _s3[0].InitiateMultipartUploadAsync(Bucket, "spread")).UploadId;
        var sizes = new[] { 5 << 20, 5 << 20, 777 };
        var parts = new List<PartETag>();
        for (int n = 1; n <= sizes.Length; n++)
        {
            var part = await _s3[n % 2].UploadPartAsync(new UploadPartRequest
            {
                BucketName = Bucket, Key = "spread", UploadId = id, PartNumber = n, InputStream = new MemoryStream(TestData.Bytes(sizes[n - 1], 7000 + n)),
            });
            parts.Add(new PartETag(n, part.ETag));
        }
        Assert.Equal(3, (await _s3[1].ListPartsAsync(Bucket, "spread", id)).Parts.Count);
        await _s3[0].CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest { BucketName = Bucket, Key = "spread", UploadId = id, PartETags = parts });
        byte[] whole = [.. Enumerable.Range(1, sizes.Length).SelectMany(n => TestData.Bytes(sizes[n - 1], 7000 + n))];
        Assert.Equal(whole, await _s3[1].GetBytesAsync(Bucket, "spread"));
        output.WriteLine("multipart: 3 parts through B, A, B, completed through A, read whole through B");
    }

    /// <summary>
    /// Writers go through both gateways while a scrub runs on one of them; that gateway is killed with SIGKILL. Every
    /// write it acknowledged reads back through the other, every key listed reads back whole (nothing half-visible),
    /// and the scrub, its lease expired, is run to the end by the other gateway.
    /// </summary>
    private async Task AGatewayKilledMidWriteLosesNothingAndItsJobFinishesElsewhereAsync()
    {
        // Objects for the scrub to read, so that it is still running when its gateway dies.
        await Parallel.ForEachAsync(Enumerable.Range(0, 400), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, _) =>
            await PutAsync(_s3[i % 2], $"seed/{i:D4}", 100_000 + i, 1000 + (i % 3000)));

        var acks = new int[2];
        using var stopWriting = new CancellationTokenSource();
        var writers = Enumerable.Range(0, 16).Select(w => Task.Run(async () =>
        {
            int gateway = w % 2;
            for (int i = 0; !stopWriting.IsCancellationRequested; i++)
            {
                string key = $"kill/{w:D2}/{i:D5}";
                try
                {
                    await PutAsync(_s3[gateway], key, KillSeed(w, i), KillSize(w, i));
                    Interlocked.Increment(ref acks[gateway]);
                }
                catch (Exception e) when (e is AmazonServiceException or HttpRequestException or IOException or OperationCanceledException)
                {
                    // Not acknowledged (the gateway died under it): no claim is made about it.
                }
            }
        })).ToList();
        await WaitForAsync(() => acks[0] >= 20 && acks[1] >= 20, "writes through both gateways");

        var job = await StartJobAsync(_urls[0], JobKinds.Scrub, "*");
        job = await WaitForJobAsync(_urls[0], job.Id, j => j.State == JobStates.Running && j.LeaseOwner is not null, "the scrub to start");
        var pids = _env["GATEWAY_PIDS"].Split(' ');
        int victim = Array.FindIndex(pids, pid => job.LeaseOwner == $"{Environment.MachineName}:{pid}");
        Assert.True(victim >= 0, $"the scrub runs on {job.LeaseOwner}, not on a gateway ({string.Join(' ', pids)})");
        int survivor = 1 - victim;
        int victimAcksBefore = Volatile.Read(ref acks[victim]);
        await ScriptAsync("gateway-stop", _dir, (victim + 1).ToString(System.Globalization.CultureInfo.InvariantCulture));
        int victimAcks = Volatile.Read(ref acks[victim]);
        var atKill = await GetJobAsync(_urls[survivor], job.Id);
        Assert.False(atKill.IsFinished, "the scrub had finished before its gateway was killed: the drill proves nothing");
        int survivorAcksAtKill = Volatile.Read(ref acks[survivor]);
        await WaitForAsync(() => acks[survivor] >= survivorAcksAtKill + 100, "writes through the survivor after the kill");
        await stopWriting.CancelAsync();
        await Task.WhenAll(writers);

        // Acknowledged by either gateway: readable through the survivor, with the right bytes.
        var written = _acknowledged.Keys.Where(k => k.StartsWith("kill/", StringComparison.Ordinal)).ToList();
        await Parallel.ForEachAsync(written, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (key, _) => await AssertReadsBackAsync(_s3[survivor], key));
        // Nothing half-visible: every key listed (acknowledged or cut off by the kill after its commit) reads back whole.
        var listed = await ListAsync(_s3[survivor], "kill/");
        Assert.True(listed.Count >= written.Count, $"{listed.Count} listed, {written.Count} acknowledged");
        await Parallel.ForEachAsync(listed, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (entry, _) =>
        {
            var (w, i) = ParseKillKey(entry.Key);
            _acknowledged.TryAdd(entry.Key, (KillSeed(w, i), KillSize(w, i)));
            await AssertReadsBackAsync(_s3[survivor], entry.Key);
        });

        // The scrub the dead gateway held: its lease runs out, and the survivor runs it to the end.
        string survivorWorker = $"{Environment.MachineName}:{pids[survivor]}";
        var finished = await WaitForJobAsync(_urls[survivor], job.Id, j => j.IsFinished, "the scrub to finish on the survivor");
        Assert.Equal(JobStates.Succeeded, finished.State);
        Assert.Equal(survivorWorker, finished.AssignedTo);
        Assert.True(finished.Attempts >= 2, $"the scrub finished in attempt {finished.Attempts}: it was not taken over");
        output.WriteLine(
            $"kill -9 of gateway {victim + 1}: it acknowledged {victimAcksBefore}..{victimAcks} writes, the survivor {acks[survivor]}; " +
            $"{written.Count} acknowledged and {listed.Count} listed read back whole; scrub {job.Id} taken over by {survivorWorker} " +
            $"(attempt {finished.Attempts}): {finished.Result}");
    }

    /// <summary>
    /// 10,000 small objects, each PUT through one gateway and at once read (GET, HEAD) through the other, 32 at a time;
    /// then a listing through each gateway sees every one.
    /// </summary>
    private async Task ReadAfterWriteAndListAfterWriteHoldAcrossGatewaysAsync(int count)
    {
        var watch = Stopwatch.StartNew();
        await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (i, cancel) =>
        {
            var (writer, reader) = (_s3[i % 2], _s3[(i + 1) % 2]);
            string key = $"raw/{i:D5}";
            byte[] body = TestData.Bytes(1 + (i % 2048), i);
            var put = await writer.PutObjectAsync(new PutObjectRequest { BucketName = Bucket, Key = key, InputStream = new MemoryStream(body) }, cancel);
            var head = await reader.GetObjectMetadataAsync(Bucket, key, cancel);
            Assert.Equal(body.Length, head.ContentLength);
            Assert.Equal(put.ETag, head.ETag);
            byte[] read = await reader.GetBytesAsync(Bucket, key);
            Assert.True(body.AsSpan().SequenceEqual(read), $"{key}: other bytes through the other gateway");
        });
        var written = watch.Elapsed;
        foreach (var s3 in _s3)
        {
            var keys = (await ListAsync(s3, "raw/")).Select(o => o.Key).ToList();
            Assert.Equal(Enumerable.Range(0, count).Select(i => $"raw/{i:D5}"), keys);
        }
        output.WriteLine($"read-after-write: {count} PUTs with GET and HEAD through the other gateway in {written.TotalSeconds:F1} s; both gateways list {count}");
    }

    /// <summary>
    /// Writers and readers on both gateways while PostgreSQL is stopped and started again: while it is down every
    /// failure is a 503 (never a 500, never a hang), afterwards both gateways serve again without a restart, and every
    /// write acknowledged before, during or after reads back.
    /// </summary>
    private async Task APostgresRestartUnderLoadIsA503AndLosesNothingAsync()
    {
        var ok = new int[2];
        var unavailable = new int[2];
        var otherFailures = new ConcurrentQueue<string>();
        using var stop = new CancellationTokenSource();
        var workers = Enumerable.Range(0, 8).Select(w => Task.Run(async () =>
        {
            int gateway = w % 2;
            for (int i = 0; !stop.IsCancellationRequested; i++)
            {
                string key = $"outage/{w}/{i:D5}";
                try
                {
                    await PutAsync(_s3[gateway], key, 200_000 + (w * 100_000) + i, 100 + (i % 5000));
                    await AssertReadsBackAsync(_s3[1 - gateway], key);
                    Interlocked.Increment(ref ok[gateway]);
                }
                catch (AmazonServiceException e) when (e.StatusCode == HttpStatusCode.ServiceUnavailable)
                {
                    Interlocked.Increment(ref unavailable[gateway]);
                }
                catch (AmazonServiceException e)
                {
                    otherFailures.Enqueue($"{key} through gateway {gateway + 1}: {(int)e.StatusCode} {e.ErrorCode} {e.Message}");
                }
            }
        })).ToList();
        await WaitForAsync(() => ok[0] >= 20 && ok[1] >= 20, "writes before the outage");
        await ScriptAsync("postgres-stop", _dir);
        int okAtStop = ok[0] + ok[1];
        await WaitForAsync(() => unavailable[0] >= 10 && unavailable[1] >= 10, "503s from both gateways while PostgreSQL is down");
        int okWhileDown = ok[0] + ok[1] - okAtStop;
        await ScriptAsync("postgres-start", _dir);
        int[] okAtStart = [ok[0], ok[1]];
        await WaitForAsync(() => ok[0] >= okAtStart[0] + 50 && ok[1] >= okAtStart[1] + 50, "both gateways serving again after PostgreSQL is back");
        await stop.CancelAsync();
        await Task.WhenAll(workers);
        Assert.True(otherFailures.IsEmpty, string.Join('\n', otherFailures.Take(10)));
        // Requests in flight when it stopped may have been acknowledged; once it was down, none can have succeeded.
        Assert.True(okWhileDown <= 8, $"{okWhileDown} writes succeeded while PostgreSQL was down");
        output.WriteLine(
            $"PostgreSQL restart: {okAtStop} writes before, {unavailable[0]} + {unavailable[1]} 503s while down, 0 other failures, " +
            $"{ok[0] + ok[1] - okAtStart[0] - okAtStart[1]} after, through both gateways without restarting them");
    }

    private async Task PutAsync(AmazonS3Client s3, string key, int seed, int size)
    {
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = Bucket, Key = key, InputStream = new MemoryStream(TestData.Bytes(size, seed)) });
        _acknowledged[key] = (seed, size);
    }

    private async Task AssertReadsBackAsync(AmazonS3Client s3, string key)
    {
        var (seed, size) = _acknowledged[key];
        byte[] actual = await s3.GetBytesAsync(Bucket, key);
        Assert.True(TestData.Bytes(size, seed).AsSpan().SequenceEqual(actual), $"{key}: {actual.Length} bytes differ from the {size} written");
    }

    private static int KillSeed(int writer, int i) => 1_000_000 + (writer * 100_000) + i;

    private static int KillSize(int writer, int i) => 1 + ((writer * 7919 + i * 131) % 20_000);

    private static (int Writer, int I) ParseKillKey(string key)
    {
        var parts = key.Split('/');
        return (int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture), int.Parse(parts[2], System.Globalization.CultureInfo.InvariantCulture));
    }

    private static async Task<List<S3Object>> ListAsync(AmazonS3Client s3, string prefix)
    {
        var all = new List<S3Object>();
        string? token = null;
        do
        {
            var page = await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = Bucket, Prefix = prefix, ContinuationToken = token });
            all.AddRange(page.S3Objects ?? []);
            token = page.IsTruncated == true ? page.NextContinuationToken : null;
        }
        while (token is not null);
        return all;
    }

    private async Task<JobInfo> StartJobAsync(string url, string kind, string target)
    {
        using var post = Signed(HttpMethod.Post, $"{url}/_objstore/admin/jobs?kind={kind}&target={Uri.EscapeDataString(target)}");
        using var response = await _http.SendAsync(post);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JobInfo>())!;
    }

    private async Task<JobInfo> GetJobAsync(string url, long id)
    {
        using var get = Signed(HttpMethod.Get, $"{url}/_objstore/admin/jobs/{id}");
        using var response = await _http.SendAsync(get);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JobInfo>())!;
    }

    private async Task<JobInfo> WaitForJobAsync(string url, long id, Func<JobInfo, bool> condition, string what)
    {
        JobInfo job = await GetJobAsync(url, id);
        var watch = Stopwatch.StartNew();
        while (!condition(job))
        {
            if (watch.Elapsed > Patience)
            {
                throw new TimeoutException($"waited {Patience} for {what}; the job is {job.State} on {job.LeaseOwner}, {job.ItemsDone}/{job.ItemsTotal}, attempt {job.Attempts}");
            }
            await Task.Delay(50);
            job = await GetJobAsync(url, id);
        }
        return job;
    }

    private HttpRequestMessage Signed(HttpMethod method, string url)
    {
        var request = new HttpRequestMessage(method, url);
        new SigV4Signer(_env["OBJSTORE_ACCESS_KEY"], _env["OBJSTORE_SECRET_KEY"]).Sign(request);
        return request;
    }

    /// <summary>Waits for an event the workers count (never a fixed sleep standing for it), at most <see cref="Patience"/>.</summary>
    private static async Task WaitForAsync(Func<bool> condition, string what)
    {
        var watch = Stopwatch.StartNew();
        while (!condition())
        {
            if (watch.Elapsed > Patience)
            {
                throw new TimeoutException($"waited {Patience} for {what}");
            }
            await Task.Delay(20);
        }
    }

    private void Log(Stopwatch watch, string step) => output.WriteLine($"[{watch.Elapsed.TotalSeconds,5:F1} s] {step}");

    private AmazonS3Client Client(string url) => new(new BasicAWSCredentials(_env["OBJSTORE_ACCESS_KEY"], _env["OBJSTORE_SECRET_KEY"]), new AmazonS3Config
    {
        ServiceURL = url,
        ForcePathStyle = true,
        AuthenticationRegion = "us-east-1",
        MaxErrorRetry = 0,
        Timeout = TimeSpan.FromSeconds(30),
    });

    private void LoadEnv() => _env = File.ReadAllLines(Path.Combine(_dir, "cluster.env"))
        .Where(line => line.Contains('=', StringComparison.Ordinal))
        .Select(line => (line.StartsWith("export ", StringComparison.Ordinal) ? line["export ".Length..] : line).Split('=', 2))
        .ToDictionary(p => p[0], p => p[1].Trim('"'));

    private static async Task ScriptAsync(params string[] args)
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(RepoPaths.Root, "deploy", "local-cluster.sh"));
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        foreach (var (key, value) in GatewaySettings)
        {
            start.Environment[key] = value;
        }
        using var process = Process.Start(start)!;
        var errors = process.StandardError.ReadToEndAsync();
        string output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"local-cluster.sh {string.Join(' ', args)} failed: {output}{await errors}");
        }
    }
}
