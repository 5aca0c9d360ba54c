using System.Net;
using System.Security.Cryptography;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using ObjStore.Core.Jobs;

namespace ObjStore.Integration.Tests;

/// <summary>
/// `objstore dev` killed with SIGKILL at a random moment under 64 clients doing PUTs, overwrites, deletes and multipart
/// completions, restarted, and checked, several rounds over the same data: every acknowledged write reads back
/// exactly (or, where an operation on that key was in flight at the kill, its outcome), listings match what exists,
/// and after a GC no shard is left that no object owns. Each round kills the server only once it has acknowledged
/// <see cref="MinAcknowledged"/> writes (then after a random moment more), so a server failing its writes cannot pass
/// for one that survived the kill, however slow the machine.
/// </summary>
public sealed class CrashSafetyTests : IAsyncLifetime
{
    private const int Clients = 64;
    private const int Rounds = 5;

    /// <summary>Writes (PUTs, deletes, multipart completions) a round must see acknowledged: two per client.</summary>
    private const int MinAcknowledged = 2 * Clients;

    /// <summary>How long a round may take to get there: far more than a working server needs, even on two busy cores.</summary>
    private static readonly TimeSpan AcknowledgedWithin = TimeSpan.FromMinutes(2);
    private readonly string _dir = Directory.CreateTempSubdirectory("objstore-crash-").FullName;
    private DevProcess? _server;
    private string _url = "";

    /// <summary>What a key may hold: null is "absent"; in flight, either the last acknowledged state or the new one.</summary>
    private sealed class KeyState
    {
        public byte[]? Acknowledged;
        public bool HasPending;
        public byte[]? Pending;
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync()
    {
        Kill();
        Directory.Delete(_dir, recursive: true);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task AcknowledgedWritesSurviveSigkillAndNothingHalfWrittenShows()
    {
        var keys = new Dictionary<string, KeyState>();
        for (int c = 0; c < Clients; c++)
        {
            for (int k = 0; k < 4; k++)
            {
                keys[$"client-{c:D2}/key-{k}"] = new KeyState();
            }
        }
        await StartAsync();
        using (var setup = Client())
        {
            await setup.PutBucketAsync("crash");
        }
        var random = new Random(20261126);
        for (int round = 0; round < Rounds; round++)
        {
            using var stop = new CancellationTokenSource();
            using var s3 = Client();
            var progress = new Progress();
            var clients = Enumerable.Range(0, Clients).Select(c => Task.Run(() => WorkAsync(s3, c, keys, new Random(round * 1000 + c), progress, stop.Token))).ToList();
            // A client stops at its first failure: if all of them fail, this never completes and the round fails.
            bool enough = await Task.WhenAny(progress.Reached, Task.Delay(AcknowledgedWithin, stop.Token)) == progress.Reached;
            await Task.Delay(random.Next(0, 1100)); // the kill lands anywhere in what follows
            Kill(); // SIGKILL: no shutdown, no flush
            await stop.CancelAsync();
            await Task.WhenAll(clients);
            Assert.True(enough && progress.Count >= MinAcknowledged,
                $"round {round}: {progress.Count} writes acknowledged before the kill, {MinAcknowledged} needed");

            await StartAsync();
            using var check = Client();
            await VerifyAsync(check, keys, $"round {round}");
            foreach (var state in keys.Values.Where(s => s.HasPending))
            {
                // Whatever the read found is now the acknowledged state (VerifyAsync stored it).
                state.HasPending = false;
            }
        }
        await AssertNoOrphansAfterGcAsync();
    }

    /// <summary>Writes acknowledged in a round, and the moment there were enough.</summary>
    private sealed class Progress
    {
        private readonly TaskCompletionSource _reached = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _count;

        public int Count => Volatile.Read(ref _count);
        public Task Reached => _reached.Task;

        public void Acknowledged()
        {
            if (Interlocked.Increment(ref _count) >= MinAcknowledged)
            {
                _reached.TrySetResult();
            }
        }
    }

    private static async Task WorkAsync(AmazonS3Client s3, int client, Dictionary<string, KeyState> keys, Random random, Progress progress, CancellationToken stop)
    {
        var mine = keys.Where(k => k.Key.StartsWith($"client-{client:D2}/", StringComparison.Ordinal)).ToList();
        while (!stop.IsCancellationRequested)
        {
            var (key, state) = mine[random.Next(mine.Count)];
            int action = random.Next(10);
            byte[]? next = action switch
            {
                < 5 => TestData.Bytes(random.Next(0, 200_000), random.Next()),
                < 7 => null,
                _ => TestData.Bytes(300_000 + random.Next(50_000), random.Next()),
            };
            lock (state)
            {
                state.Pending = next;
                state.HasPending = true;
            }
            try
            {
                if (action < 5)
                {
                    await s3.PutObjectAsync(new PutObjectRequest { BucketName = "crash", Key = key, InputStream = new MemoryStream(next!) }, stop);
                }
                else if (action < 7)
                {
                    await s3.DeleteObjectAsync("crash", key, stop);
                }
                else
                {
                    await MultipartAsync(s3, key, next!, stop);
                }
                lock (state)
                {
                    state.Acknowledged = next;
                    state.HasPending = false;
                }
                progress.Acknowledged();
            }
            catch (Exception)
            {
                // The server died (or the round ended) mid-operation: the outcome is unknown; Pending stays possible.
                return;
            }
        }
    }

    private static async Task MultipartAsync(AmazonS3Client s3, string key, byte[] data, CancellationToken stop)
    {
        string id = (await s3.InitiateMultipartUploadAsync("crash", key, stop)).UploadId;
        int half = data.Length / 2;
        var one = await s3.UploadPartAsync(new UploadPartRequest { BucketName = "crash", Key = key, UploadId = id, PartNumber = 1, InputStream = new MemoryStream(data, 0, half) }, stop);
        var two = await s3.UploadPartAsync(new UploadPartRequest { BucketName = "crash", Key = key, UploadId = id, PartNumber = 2, InputStream = new MemoryStream(data, half, data.Length - half) }, stop);
        await s3.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
        {
            BucketName = "crash", Key = key, UploadId = id, PartETags = [new PartETag(1, one.ETag), new PartETag(2, two.ETag)],
        }, stop);
    }

    private static async Task VerifyAsync(AmazonS3Client s3, Dictionary<string, KeyState> keys, string round)
    {
        var present = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (key, state) in keys)
        {
            byte[]? actual;
            try
            {
                actual = await s3.GetBytesAsync("crash", key);
                present.Add(key);
            }
            catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
            {
                actual = null;
            }
            bool matchesAcknowledged = Same(actual, state.Acknowledged);
            bool matchesPending = state.HasPending && Same(actual, state.Pending);
            Assert.True(matchesAcknowledged || matchesPending,
                $"{round}: {key} holds {Describe(actual)}, acknowledged {Describe(state.Acknowledged)}, in flight {(state.HasPending ? Describe(state.Pending) : "nothing")}");
            state.Acknowledged = actual;
        }
        var listed = new HashSet<string>(StringComparer.Ordinal);
        string? token = null;
        do
        {
            var page = await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = "crash", ContinuationToken = token });
            foreach (var o in page.S3Objects ?? [])
            {
                listed.Add(o.Key);
            }
            token = page.IsTruncated == true ? page.NextContinuationToken : null;
        }
        while (token is not null);
        Assert.True(present.SetEquals(listed), $"{round}: listing and GETs disagree");
    }

    /// <summary>The server's ReplicateUpTo: objects and parts up to this size are 3 copies, larger ones 6 stripes (4+2).</summary>
    private const long ReplicateUpTo = 65_536;

    private static int ShardsOf(long partSize) => partSize <= ReplicateUpTo ? 3 : 6;

    /// <summary>
    /// Every shard file left after a GC belongs to a version (or an open upload's part): 6 shards per striped part
    /// (4+2), 3 per replicated one.
    /// </summary>
    private async Task AssertNoOrphansAfterGcAsync(string bucket = "crash")
    {
        var job = await RawS3.RunJobAsync(_url, "gc");
        Assert.Equal(JobStates.Succeeded, job.State);

        using var s3 = Client();
        long expected = 0;
        foreach (var version in await AllVersionsAsync(s3, bucket))
        {
            if (version.IsDeleteMarker == true)
            {
                continue;
            }
            int dash = version.ETag.IndexOf('-', StringComparison.Ordinal);
            if (dash < 0)
            {
                expected += ShardsOf(version.Size ?? 0);
                continue;
            }
            int parts = int.Parse(version.ETag[(dash + 1)..].Trim('"'), System.Globalization.CultureInfo.InvariantCulture);
            for (int part = 1; part <= parts; part++)
            {
                var head = await s3.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = bucket, Key = version.Key, VersionId = version.VersionId, PartNumber = part });
                expected += ShardsOf(head.ContentLength);
            }
        }
        // Uploads a kill interrupted are still open (until they expire): their parts are live, not orphans.
        foreach (var upload in (await s3.ListMultipartUploadsAsync(bucket)).MultipartUploads ?? [])
        {
            expected += ((await s3.ListPartsAsync(bucket, upload.Key, upload.UploadId)).Parts ?? []).Sum(p => ShardsOf(p.Size ?? 0));
        }
        var shardFiles = Directory.EnumerateDirectories(_dir, "store-*")
            .SelectMany(store => Directory.EnumerateFiles(Path.Combine(store, "shards"), "*", SearchOption.AllDirectories)).Count();
        Assert.Equal(expected, shardFiles);
    }

    private static async Task<List<S3ObjectVersion>> AllVersionsAsync(AmazonS3Client s3, string bucket)
    {
        var all = new List<S3ObjectVersion>();
        string? keyMarker = null, versionMarker = null;
        while (true)
        {
            var page = await s3.ListVersionsAsync(new ListVersionsRequest { BucketName = bucket, KeyMarker = keyMarker, VersionIdMarker = versionMarker });
            all.AddRange(page.Versions ?? []);
            if (page.IsTruncated != true)
            {
                return all;
            }
            (keyMarker, versionMarker) = (page.NextKeyMarker, page.NextVersionIdMarker);
        }
    }

    /// <summary>
    /// The same kills in a versioned bucket: every acknowledged version reads back exactly by its id, every version
    /// listed reads back whole (a version whose shards were written but whose commit the kill prevented is not
    /// listed), and after a GC no shard is left that no version owns.
    /// </summary>
    [Fact]
    public async Task AcknowledgedVersionsSurviveSigkillAndNoHalfVersionShows()
    {
        const int writers = 16;
        await StartAsync();
        using (var setup = Client())
        {
            await setup.PutBucketAsync("crash-v");
            await setup.PutBucketVersioningAsync(new PutBucketVersioningRequest
            {
                BucketName = "crash-v", VersioningConfig = new S3BucketVersioningConfig { Status = VersionStatus.Enabled },
            });
        }
        var acknowledged = new System.Collections.Concurrent.ConcurrentDictionary<string, byte[]>(StringComparer.Ordinal);
        var random = new Random(20261201);
        for (int round = 0; round < 3; round++)
        {
            using var stop = new CancellationTokenSource();
            using var s3 = Client();
            int count = 0;
            var clients = Enumerable.Range(0, writers).Select(c => Task.Run(async () =>
            {
                var mine = new Random(round * 100 + c);
                string key = $"writer-{c:D2}";
                try
                {
                    while (!stop.IsCancellationRequested)
                    {
                        byte[] data = TestData.Bytes(mine.Next(0, 300_000), mine.Next());
                        string? versionId = mine.Next(4) == 0
                            ? (await s3.DeleteObjectAsync("crash-v", key, stop.Token)).VersionId
                            : (await s3.PutObjectAsync(new PutObjectRequest { BucketName = "crash-v", Key = key, InputStream = new MemoryStream(data) }, stop.Token)).VersionId;
                        if (!acknowledged.TryAdd(key + "?" + versionId, data))
                        {
                            throw new InvalidOperationException($"version id {versionId} given twice");
                        }
                        Interlocked.Increment(ref count);
                    }
                }
                catch (Exception e) when (e is not InvalidOperationException)
                {
                    // Killed mid-request: its outcome is unknown.
                }
            })).ToList();
            for (int waited = 0; Volatile.Read(ref count) < 2 * writers && waited < 1200; waited++)
            {
                await Task.Delay(100);
            }
            await Task.Delay(random.Next(0, 800));
            Kill();
            await stop.CancelAsync();
            await Task.WhenAll(clients);
            Assert.True(Volatile.Read(ref count) >= 2 * writers, $"round {round}: only {count} writes acknowledged");

            await StartAsync();
            using var check = Client();
            var listed = await AllVersionsAsync(check, "crash-v");
            var listedIds = listed.Select(v => v.Key + "?" + v.VersionId).ToHashSet(StringComparer.Ordinal);
            foreach (var (id, data) in acknowledged)
            {
                Assert.True(listedIds.Contains(id), $"round {round}: acknowledged version {id} is gone");
            }
            foreach (var version in listed.Where(v => v.IsDeleteMarker != true))
            {
                byte[] actual;
                using (var response = await check.GetObjectAsync(new GetObjectRequest { BucketName = "crash-v", Key = version.Key, VersionId = version.VersionId }))
                using (var buffer = new MemoryStream())
                {
                    await response.ResponseStream.CopyToAsync(buffer);
                    actual = buffer.ToArray();
                }
                Assert.Equal(version.Size, actual.Length);
                Assert.Equal(version.ETag.Trim('"'), Convert.ToHexStringLower(MD5.HashData(actual)));
                if (acknowledged.TryGetValue(version.Key + "?" + version.VersionId, out var expected))
                {
                    Assert.True(expected.AsSpan().SequenceEqual(actual), $"round {round}: {version.Key} {version.VersionId} differs");
                }
            }
        }
        await AssertNoOrphansAfterGcAsync("crash-v");
    }

    private static bool Same(byte[]? a, byte[]? b) =>
        a is null || b is null ? a is null && b is null : a.AsSpan().SequenceEqual(b);

    private static string Describe(byte[]? bytes) =>
        bytes is null ? "nothing" : $"{bytes.Length} bytes {Convert.ToHexStringLower(SHA256.HashData(bytes))[..8]}";


    private AmazonS3Client Client() => new(new BasicAWSCredentials("it", "integration-secret"), new AmazonS3Config
    {
        ServiceURL = _url,
        ForcePathStyle = true,
        AuthenticationRegion = "us-east-1",
        MaxErrorRetry = 0,
        Timeout = TimeSpan.FromSeconds(30),
    });

    private async Task StartAsync()
    {
        _server = await DevProcess.StartAsync(_dir, new Dictionary<string, string>
        {
            ["MinPartSize"] = "1",
            ["ReplicateUpTo"] = ReplicateUpTo.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Maintenance:GcGrace"] = "00:00:00",
            ["Maintenance:JobPollInterval"] = "00:00:00.100",
        }, "--stripe-size", "65536");
        _url = _server.Url;
    }

    private void Kill()
    {
        _server?.Dispose();
        _server = null;
    }
}
