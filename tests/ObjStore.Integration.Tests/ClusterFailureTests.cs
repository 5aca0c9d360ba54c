using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Amazon.S3.Transfer;
using Microsoft.Data.Sqlite;
using ObjStore.Core.Jobs;

namespace ObjStore.Integration.Tests;

/// <summary>
/// A real 4+2 cluster of six node processes and a gateway process, started by deploy/local-cluster.sh, with nodes
/// killed (SIGKILL), restarted, stalled and corrupted under it. One test, in steps, because every step needs the
/// objects the first one wrote and the cluster the previous one left.
/// </summary>
public sealed class ClusterFailureTests : IAsyncLifetime
{
    private const int Stripe = 1 << 20;
    private const string Bucket = "drill";
    private readonly string _dir = Directory.CreateTempSubdirectory("objstore-cluster-").FullName;
    private readonly Dictionary<string, (int Seed, int Size)> _objects = [];
    private Dictionary<string, string> _env = [];
    private AmazonS3Client _s3 = null!;

    public async Task InitializeAsync()
    {
        await ScriptAsync("start", _dir, "--nodes", "6", "--ec", "4+2");
        _env = File.ReadAllLines(Path.Combine(_dir, "cluster.env"))
            .Select(line => (line.StartsWith("export ", StringComparison.Ordinal) ? line["export ".Length..] : line).Split('=', 2))
            .ToDictionary(p => p[0], p => p[1].Trim('"'));
        _s3 = new AmazonS3Client(new BasicAWSCredentials(_env["OBJSTORE_ACCESS_KEY"], _env["OBJSTORE_SECRET_KEY"]), new AmazonS3Config
        {
            ServiceURL = _env["OBJSTORE_ENDPOINT"],
            ForcePathStyle = true,
            AuthenticationRegion = "us-east-1",
            MaxErrorRetry = 0,
            Timeout = TimeSpan.FromSeconds(60),
        });
    }

    public async Task DisposeAsync()
    {
        _s3?.Dispose();
        await ScriptAsync("stop", _dir);
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task TheClusterSurvivesLostStalledAndCorruptNodes()
    {
        await _s3.PutBucketAsync(Bucket);
        await WriteObjectsAsync();

        // Any two nodes down, including the two holding the first data shards of the largest object: every byte reads.
        var (first, second) = DataShardHolders("multipart-100MiB");
        foreach (var (a, b) in new[] { (first, second), (3, 6), (1, 5) }.Distinct())
        {
            await ScriptAsync("node-stop", _dir, a.ToString(), "");
            await ScriptAsync("node-stop", _dir, b.ToString(), "");
            await ReadEverythingAsync($"nodes {a} and {b} down");
            await ScriptAsync("node-start", _dir, a.ToString(), "");
            await ScriptAsync("node-start", _dir, b.ToString(), "");
            await WaitUntilReadyAsync();
        }

        // Three down is more than m: reads fail with an S3 error (or a cut connection), never with wrong bytes. (Not
        // the 1-byte objects: their byte is in data shard 0 alone, and a read asks only the shards holding its range.)
        foreach (int node in new[] { 1, 2, 3 })
        {
            await ScriptAsync("node-stop", _dir, node.ToString(), "");
        }
        foreach (var key in _objects.Keys.Where(k => _objects[k].Size > 1).Take(12))
        {
            var failure = await Record.ExceptionAsync(() => ReadAsync(key));
            Assert.NotNull(failure);
            if (failure is AmazonS3Exception s3)
            {
                Assert.Equal(HttpStatusCode.ServiceUnavailable, s3.StatusCode);
            }
        }
        foreach (int node in new[] { 1, 2, 3 })
        {
            await ScriptAsync("node-start", _dir, node.ToString(), "");
        }
        await WaitUntilReadyAsync();
        await ReadEverythingAsync("all nodes back");

        // One node down: writes still meet the k+1 quorum, and the missing shard is recorded for healing.
        await ScriptAsync("node-stop", _dir, "4", "");
        await WaitUntilMarkedDownAsync();
        await PutAsync("written-degraded", 7, 3 * Stripe + 5);
        await ReadEverythingAsync("node 4 down after a degraded write");
        Assert.Contains(DegradedShards(), d => d.StoreId == "node-4" && d.Reason == "not written");
        await ScriptAsync("node-start", _dir, "4", "");
        await WaitUntilReadyAsync();

        // A node that accepts connections and never answers costs at most a timeout, then is skipped.
        int stalled = first;
        await ScriptAsync("node-stop", _dir, stalled.ToString(), "");
        using (var listener = StallingListener(NodePort(stalled)))
        using (var readListener = StallingListener(NodeReadPort(stalled)))
        {
            var watch = Stopwatch.StartNew();
            await ReadEverythingAsync($"node {stalled} stalling");
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(90), $"reads took {watch.Elapsed} with a stalled node");
        }
        await ScriptAsync("node-start", _dir, stalled.ToString(), "");
        await WaitUntilReadyAsync();

        // A node killed in the middle of writes: every acknowledged write reads back, the node's half-written shard
        // never shows (its temp files are gone after restart), and a heal brings every object back to all six shards.
        var written = new System.Collections.Concurrent.ConcurrentDictionary<string, (int Seed, int Size)>();
        using (var stopWriting = new CancellationTokenSource())
        {
            var writers = Enumerable.Range(0, 16).Select(w => Task.Run(async () =>
            {
                for (int i = 0; !stopWriting.IsCancellationRequested; i++)
                {
                    string key = $"midwrite/{w:D2}/{i:D4}";
                    int seed = 5000 + (w * 1000) + i, size = Stripe + (w * 1000) + i;
                    try
                    {
                        await _s3.PutObjectAsync(new PutObjectRequest { BucketName = Bucket, Key = key, InputStream = new MemoryStream(TestData.Bytes(size, seed)) });
                        written[key] = (seed, size);
                    }
                    catch (Exception e) when (e is AmazonS3Exception or HttpRequestException or IOException)
                    {
                        // Not acknowledged: no claim is made about it.
                    }
                }
            })).ToList();
            await Task.Delay(1500);
            await ScriptAsync("node-stop", _dir, "5", "");
            await Task.Delay(1500);
            await stopWriting.CancelAsync();
            await Task.WhenAll(writers);
        }
        Assert.NotEmpty(written);
        foreach (var (key, value) in written)
        {
            _objects[key] = value;
        }
        await ScriptAsync("node-start", _dir, "5", "");
        await WaitUntilReadyAsync();
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(_dir, "node-5", "tmp")));
        foreach (var key in written.Keys)
        {
            await AssertReadsBackAsync(key);
        }
        var heal = await RunJobAsync("heal", "degraded");
        Assert.Equal(JobStates.Succeeded, heal.State);
        foreach (var key in written.Keys)
        {
            string dataId = DataId(key);
            int shards = Enumerable.Range(1, 6).Sum(n => Directory.EnumerateFiles(Path.Combine(_dir, $"node-{n}", "shards"), dataId + ".*", SearchOption.AllDirectories).Count());
            Assert.True(shards == 6, $"{key} has {shards} shards after healing");
        }

        // Flipped bytes on a node's disk are caught by the block checksums: reads stay exact, the shard is recorded.
        // The victim is data shard 0, which every GET reads (parity is read only when a data shard fails).
        string victim = "single-33MiB";
        int holder = DataShardHolders(victim).Item1;
        var shardFile = Directory.EnumerateFiles(Path.Combine(_dir, $"node-{holder}", "shards"), DataId(victim) + ".00", SearchOption.AllDirectories).Single();
        using (var file = new FileStream(shardFile, FileMode.Open, FileAccess.ReadWrite))
        {
            foreach (long at in new long[] { 100, Stripe / 4 + 77, 5L * Stripe / 4 })
            {
                file.Position = at;
                int b = file.ReadByte();
                file.Position = at;
                file.WriteByte((byte)(b ^ 0xA5));
            }
        }
        await AssertReadsBackAsync(victim);
        Assert.Contains(DegradedShards(), d => d.DataId == DataId(victim) && d.Reason.Contains("corrupt", StringComparison.Ordinal));
        // Repaired now, not whenever the scheduler's next round comes: the node scrub below counts what it finds.
        Assert.Equal(JobStates.Succeeded, (await RunJobAsync("heal", "degraded")).State);
        Assert.Empty(DegradedShards());

        await TheJobApiRefusesWhatTheClusterSecretDidNotSignAsync();
        await NodeScrubsItsOwnDiskAsync();
        await WipedNodeIsHealedAsync();
    }

    /// <summary>Nodes claim jobs from the gateway: unsigned, wrongly keyed and tampered claims are refused.</summary>
    private async Task TheJobApiRefusesWhatTheClusterSecretDidNotSignAsync()
    {
        using var http = new HttpClient();
        var url = new Uri(_env["OBJSTORE_ENDPOINT"] + "/_objstore/cluster/jobs/claim");
        byte[] body = System.Text.Encoding.UTF8.GetBytes("""{"Id":"intruder","Kinds":["heal"]}""");
        async Task<HttpStatusCode> ClaimAsync(string? secret, byte[] signed, byte[] sent)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(sent) };
            if (secret is not null)
            {
                ObjStore.Storage.Remote.NodeAuth.Sign(request, ObjStore.Storage.Remote.NodeAuth.Key(secret), TimeProvider.System,
                    ObjStore.Storage.Remote.NodeAuth.GatewayTarget, ObjStore.Storage.Remote.NodeAuth.BodyMarkerOf(signed));
            }
            using var response = await http.SendAsync(request);
            return response.StatusCode;
        }
        Assert.Equal(HttpStatusCode.Forbidden, await ClaimAsync(null, body, body));
        Assert.Equal(HttpStatusCode.Forbidden, await ClaimAsync("not-the-cluster-secret", body, body));
        byte[] tampered = System.Text.Encoding.UTF8.GetBytes("""{"Id":"intruder","Kinds":["gc"]}""");
        Assert.Equal(HttpStatusCode.Forbidden, await ClaimAsync(_env["CLUSTER_SECRET"], body, tampered));
        Assert.Equal(HttpStatusCode.NoContent, await ClaimAsync(_env["CLUSTER_SECRET"], """{"Id":"probe","Kinds":[]}"""u8.ToArray(), """{"Id":"probe","Kinds":[]}"""u8.ToArray()));
    }

    /// <summary>
    /// A scrub of one node's store goes to that node's own worker (it holds the data), which reads its disk locally;
    /// a flipped byte in a parity shard (which no GET reads) is found there, and the heal it queues repairs it.
    /// </summary>
    private async Task NodeScrubsItsOwnDiskAsync()
    {
        string key = "single-2-stripes-plus-1";
        string dataId = DataId(key);
        int node = Enumerable.Range(1, 6).First(n => ShardFile(n, dataId + ".04") is not null);
        string parity = ShardFile(node, dataId + ".04")!;
        byte[] original = await File.ReadAllBytesAsync(parity);
        using (var file = new FileStream(parity, FileMode.Open, FileAccess.ReadWrite))
        {
            file.Position = 10;
            int b = file.ReadByte();
            file.Position = 10;
            file.WriteByte((byte)(b ^ 0xFF));
        }
        var scrub = await RunJobAsync("scrub", $"store:node-{node}");
        Assert.Equal(JobStates.Succeeded, scrub.State);
        Assert.Equal($"node:node-{node}", scrub.AssignedTo);
        Assert.Contains("\"bad\":1", scrub.Result, StringComparison.Ordinal);
        await RawS3.WaitForAsync(() => !DegradedShards().Any(d => d.DataId == dataId) && File.ReadAllBytes(parity).AsSpan().SequenceEqual(original), 30_000);
        Assert.Equal(original, await File.ReadAllBytesAsync(parity));
        var again = await RunJobAsync("scrub", $"store:node-{node}");
        Assert.Contains("\"bad\":0", again.Result, StringComparison.Ordinal);
    }

    /// <summary>
    /// A node restarted on an empty disk reports a new data-folder instance; the gateway queues a heal of that store on
    /// its own, which puts back every shard the node held, while every object stays readable.
    /// </summary>
    private async Task WipedNodeIsHealedAsync()
    {
        const int node = 2;
        string shards = Path.Combine(_dir, $"node-{node}", "shards");
        var before = Directory.EnumerateFiles(shards, "*", SearchOption.AllDirectories).Select(Path.GetFileName).Order().ToList();
        await ScriptAsync("node-stop", _dir, node.ToString(), "");
        Directory.Delete(Path.Combine(_dir, $"node-{node}"), recursive: true);
        await ScriptAsync("node-start", _dir, node.ToString(), "");
        await WaitUntilReadyAsync();
        JobInfo? heal = null;
        for (int i = 0; i < 600 && heal is not { IsFinished: true }; i++)
        {
            await Task.Delay(100);
            heal = (await ListJobsAsync()).FirstOrDefault(j => j.Kind == "heal" && j.Target == $"store:node-{node}");
        }
        Assert.NotNull(heal);
        Assert.Equal(JobStates.Succeeded, heal.State);
        var after = Directory.EnumerateFiles(shards, "*", SearchOption.AllDirectories).Select(Path.GetFileName).Order().ToList();
        Assert.Equal(before, after);
        await ReadEverythingAsync($"node {node} healed after a wipe");
    }

    private string? ShardFile(int node, string shardId) =>
        Directory.EnumerateFiles(Path.Combine(_dir, $"node-{node}", "shards"), shardId, SearchOption.AllDirectories).SingleOrDefault();

    private Task<JobInfo> RunJobAsync(string kind, string target) =>
        RawS3.RunJobAsync(_env["OBJSTORE_ENDPOINT"], kind, target, _env["OBJSTORE_ACCESS_KEY"], _env["OBJSTORE_SECRET_KEY"]);

    private async Task<List<JobInfo>> ListJobsAsync()
    {
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, _env["OBJSTORE_ENDPOINT"] + "/_objstore/admin/jobs");
        new ObjStore.S3.Auth.SigV4Signer(_env["OBJSTORE_ACCESS_KEY"], _env["OBJSTORE_SECRET_KEY"]).Sign(request);
        using var response = await http.SendAsync(request);
        return (await System.Net.Http.Json.HttpContentJsonExtensions.ReadFromJsonAsync<List<JobInfo>>(response.Content))!;
    }

    private async Task WriteObjectsAsync()
    {
        int[] small = [0, 1, Stripe - 1, Stripe, Stripe + 1];
        for (int i = 0; i < 192; i++)
        {
            await PutAsync($"small/{i:D3}", i, small[i % small.Length]);
        }
        await PutAsync("single-33MiB", 1000, 33 * Stripe);
        await PutAsync("single-100MiB", 1001, 100 * Stripe);
        await PutAsync("single-1MiB", 1002, Stripe);
        await PutMultipartAsync("multipart-33MiB", 1003, 33 * Stripe);
        await PutMultipartAsync("multipart-100MiB", 1004, 100 * Stripe);
        await PutMultipartAsync("multipart-7MiB", 1005, 7 * Stripe + 3);
        await PutAsync("single-stripe-minus-1", 1006, Stripe - 1);
        await PutAsync("single-2-stripes-plus-1", 1007, 2 * Stripe + 1);
        Assert.Equal(200, _objects.Count);
    }


    private async Task PutAsync(string key, int seed, int size)
    {
        await _s3.PutObjectAsync(new PutObjectRequest { BucketName = Bucket, Key = key, InputStream = new MemoryStream(TestData.Bytes(size, seed)) });
        _objects[key] = (seed, size);
    }

    private async Task PutMultipartAsync(string key, int seed, int size)
    {
        using var transfer = new TransferUtility(_s3);
        await transfer.UploadAsync(new TransferUtilityUploadRequest
        {
            BucketName = Bucket, Key = key, InputStream = new MemoryStream(TestData.Bytes(size, seed)), PartSize = 8 * Stripe,
        });
        _objects[key] = (seed, size);
    }

    private Task<byte[]> ReadAsync(string key, ByteRange? range = null) => _s3.GetBytesAsync(Bucket, key, range);

    private async Task AssertReadsBackAsync(string key)
    {
        var (seed, size) = _objects[key];
        var expected = TestData.Bytes(size, seed);
        byte[] actual = await ReadAsync(key);
        Assert.True(SHA256.HashData(expected).AsSpan().SequenceEqual(SHA256.HashData(actual)), $"{key}: bytes differ");
        if (size > 2)
        {
            int from = new Random(seed).Next(size - 1), to = Math.Min(size - 1, from + 3 * Stripe);
            byte[] slice = await ReadAsync(key, new ByteRange(from, to));
            Assert.True(expected.AsSpan(from, to - from + 1).SequenceEqual(slice), $"{key}: range {from}-{to} differs");
        }
    }

    private async Task ReadEverythingAsync(string situation)
    {
        foreach (var key in _objects.Keys)
        {
            try
            {
                await AssertReadsBackAsync(key);
            }
            catch (Exception e) when (e is not Xunit.Sdk.XunitException)
            {
                throw new InvalidOperationException($"{situation}: reading {key} failed", e);
            }
        }
    }

    /// <summary>The nodes (1-based) holding shards 0 and 1 of an object's first part, from the gateway's catalogue.</summary>
    private (int, int) DataShardHolders(string key)
    {
        using var connection = OpenCatalogue();
        using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT COALESCE((SELECT p.placement FROM parts p WHERE p.upload_id = o.data_id ORDER BY p.part_number LIMIT 1), o.placement)
            FROM objects o WHERE o.bucket = $bucket AND o.key = $key
            """;
        command.Parameters.AddWithValue("$bucket", Bucket);
        command.Parameters.AddWithValue("$key", System.Text.Encoding.UTF8.GetBytes(key));
        var placement = ((string)command.ExecuteScalar()!).Split(',');
        return (int.Parse(placement[0]["node-".Length..]), int.Parse(placement[1]["node-".Length..]));
    }

    private string DataId(string key)
    {
        using var connection = OpenCatalogue();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT data_id FROM objects WHERE bucket = $bucket AND key = $key";
        command.Parameters.AddWithValue("$bucket", Bucket);
        command.Parameters.AddWithValue("$key", System.Text.Encoding.UTF8.GetBytes(key));
        return (string)command.ExecuteScalar()!;
    }

    private List<(string DataId, string StoreId, string Reason)> DegradedShards()
    {
        using var connection = OpenCatalogue();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT data_id, store_id, reason FROM degraded_shards";
        using var reader = command.ExecuteReader();
        var rows = new List<(string, string, string)>();
        while (reader.Read())
        {
            rows.Add((reader.GetString(0), reader.GetString(1), reader.GetString(2)));
        }
        return rows;
    }

    private SqliteConnection OpenCatalogue()
    {
        var connection = new SqliteConnection($"Data Source={Path.Combine(_dir, "gateway", "catalogue.db")};Mode=ReadOnly;Pooling=False");
        connection.Open();
        return connection;
    }

    private int NodePort(int node) => int.Parse(_env["NODE_PORTS"].Split(' ')[node - 1]);

    private int NodeReadPort(int node) => int.Parse(_env["NODE_READ_PORTS"].Split(' ')[node - 1]);

    /// <summary>Accepts connections on a node's port and never answers (nor reads).</summary>
    private static TcpListener StallingListener(int port)
    {
        var listener = new TcpListener(IPAddress.Loopback, port);
        listener.Start();
        var held = new List<TcpClient>();
        _ = Task.Run(async () =>
        {
            try
            {
                while (true)
                {
                    held.Add(await listener.AcceptTcpClientAsync());
                }
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                foreach (var client in held)
                {
                    client.Dispose();
                }
            }
        });
        return listener;
    }

    /// <summary>Until the gateway sees every node up again (its probes run every second): admin status, all ready.</summary>
    private async Task WaitUntilReadyAsync()
    {
        using var http = new HttpClient();
        var signer = new ObjStore.S3.Auth.SigV4Signer(_env["OBJSTORE_ACCESS_KEY"], _env["OBJSTORE_SECRET_KEY"]);
        for (int i = 0; i < 300; i++)
        {
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, _env["OBJSTORE_ENDPOINT"] + "/_objstore/admin/status");
                signer.Sign(request);
                using var response = await http.SendAsync(request);
                using var status = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync());
                if (status.RootElement.GetProperty("stores").EnumerateArray().All(s => s.GetProperty("ready").GetBoolean()))
                {
                    return;
                }
            }
            catch (Exception e) when (e is HttpRequestException or System.Text.Json.JsonException or KeyNotFoundException)
            {
            }
            await Task.Delay(100);
        }
        throw new TimeoutException("The gateway did not see every node up again.");
    }

    /// <summary>With one node down the gateway stays ready (5 of 6 meet the quorum): wait for its probe instead.</summary>
    private static Task WaitUntilMarkedDownAsync() => Task.Delay(TimeSpan.FromSeconds(2.5));

    private static async Task ScriptAsync(params string[] args)
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(RepoPaths.Root, "deploy", "local-cluster.sh"));
        foreach (var arg in args.Where(a => a.Length > 0))
        {
            start.ArgumentList.Add(arg);
        }
        using var process = Process.Start(start)!;
        string output = await process.StandardOutput.ReadToEndAsync() + await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"local-cluster.sh {string.Join(' ', args)} failed: {output}");
        }
    }
}
