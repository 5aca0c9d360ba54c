using System.Net.Http.Json;
using Amazon.Runtime;
using Amazon.S3;
using S3ListVersionsRequest = Amazon.S3.Model.ListVersionsRequest;
using S3ListVersionsResponse = Amazon.S3.Model.ListVersionsResponse;
using S3ObjectVersion = Amazon.S3.Model.S3ObjectVersion;
using ObjStore.Core;
using ObjStore.Core.Jobs;
using ObjStore.Lifecycle;
using ObjStore.Metadata.Sqlite;
using ObjStore.S3.Auth;

namespace ObjStore.Integration.Tests;

/// <summary>
/// A lifecycle pass over 10,000 versioned objects, a quarter of them expired, is killed (SIGKILL) half-way; after a
/// restart another attempt resumes from the checkpoint. In the end exactly the expired objects are hidden, each behind
/// exactly one delete marker: nothing was expired twice (a repeat would stack markers) and nothing was skipped.
/// </summary>
public sealed class LifecycleResumeTests : IDisposable
{
    private const int Keys = 10_000;
    private const string Bucket = "resume";
    private readonly string _dir = Directory.CreateTempSubdirectory("objstore-lifecycle-").FullName;
    private DevProcess? _server;
    private string _url = "";

    private static bool Expired(int i) => i % 4 == 0;

    private static string KeyOf(int i) => $"k/{i:D5}";

    [Fact]
    public async Task AKilledPassResumesWithoutRepeatingOrSkippingAnExpiry()
    {
        await StageAsync();
        await StartAsync();
        var running = await WaitForJobAsync(j => j.State == JobStates.Running && j.ItemsDone > 0, "the pass to make progress");
        Kill();
        Assert.InRange(running.ItemsDone, 1, Keys - 1); // killed in the middle, not before or after

        await StartAsync();
        var finished = await WaitForJobAsync(j => j.IsFinished, "the resumed pass to finish");
        Assert.Equal(JobStates.Succeeded, finished.State);
        Assert.True(finished.Attempts >= 2, $"the pass ran {finished.Attempts} time(s)");

        using var s3 = new AmazonS3Client(new BasicAWSCredentials("it", "integration-secret"),
            new AmazonS3Config { ServiceURL = _url, ForcePathStyle = true, AuthenticationRegion = "us-east-1", MaxErrorRetry = 0 });
        var versions = new Dictionary<string, List<S3ObjectVersion>>();
        var request = new S3ListVersionsRequest { BucketName = Bucket, MaxKeys = 1000 };
        S3ListVersionsResponse page;
        do
        {
            page = await s3.ListVersionsAsync(request);
            foreach (var version in page.Versions ?? [])
            {
                (versions.TryGetValue(version.Key, out var list) ? list : versions[version.Key] = []).Add(version);
            }
            (request.KeyMarker, request.VersionIdMarker) = (page.NextKeyMarker, page.NextVersionIdMarker);
        }
        while (page.IsTruncated == true);

        Assert.Equal(Keys, versions.Count);
        for (int i = 0; i < Keys; i++)
        {
            var kinds = versions[KeyOf(i)].Select(v => v.IsDeleteMarker == true).ToList();
            Assert.Equal(Expired(i) ? [true, false] : [false], kinds);
        }
    }

    /// <summary>Metadata straight into the catalogue the server will open (no client could upload 10,000 objects quickly).</summary>
    private async Task StageAsync()
    {
        var now = DateTimeOffset.UtcNow;
        using var catalogue = new SqliteCatalogue(Path.Combine(_dir, "catalogue.db"), TimeProvider.System, synchronousFull: false);
        await catalogue.Buckets.CreateAsync(Bucket, now);
        await catalogue.Buckets.SetVersioningAsync(Bucket, VersioningState.Enabled);
        for (int i = 0; i < Keys; i++)
        {
            var written = Expired(i) ? now.AddDays(-3) : now;
            var layout = new ObjectLayout(4, 2, 1 << 20, ShardId.NewDataId(), ["s0", "s1", "s2", "s3", "s4", "s5"]);
            await catalogue.Objects.CommitAsync(new ObjectInfo
            {
                Bucket = Bucket, Key = KeyOf(i), Size = 1, ETag = "0cc175b9c0f1b6a831c399e269772661", LastModified = written,
                VersionId = VersionIds.New(written),
                Parts = [new ObjectPart(1, 0, 1, "0cc175b9c0f1b6a831c399e269772661", null, layout) { LastModified = written }],
            }, null, false);
        }
        // One "day" is an hour here: the expired quarter is days old, the rest expires in an hour or two.
        var rules = new LifecycleConfiguration([new LifecycleRule { Id = "day", Enabled = true, Expiration = new() { Days = 1 } }]);
        await catalogue.Buckets.PutConfigAsync(Bucket, BucketConfigKinds.Lifecycle, rules.ToJson());
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
    }

    private async Task<JobInfo> WaitForJobAsync(Func<JobInfo, bool> condition, string what)
    {
        var signer = new SigV4Signer("it", "integration-secret");
        using var http = new HttpClient();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, _url + "/_objstore/admin/jobs");
            signer.Sign(request);
            using var response = await http.SendAsync(request);
            var jobs = await response.Content.ReadFromJsonAsync<List<JobInfo>>();
            if (jobs!.FirstOrDefault(j => j.Kind == JobKinds.Lifecycle) is { } job && condition(job))
            {
                return job;
            }
            await Task.Delay(50);
        }
        throw new TimeoutException($"timed out waiting for {what}");
    }

    private async Task StartAsync()
    {
        _server = await DevProcess.StartAsync(_dir, new Dictionary<string, string>
        {
            ["Maintenance:LifecycleDayLength"] = "01:00:00",
            ["Maintenance:LifecycleInterval"] = "01:00:00", // one pass, queued at start
            ["Maintenance:LifecycleOpsPerSecond"] = "500", // about five seconds for the pass
            ["Maintenance:JobLease"] = "00:00:02",
            ["Maintenance:WorkerTimeout"] = "00:00:02",
            ["Maintenance:JobPollInterval"] = "00:00:00.100",
        });
        _url = _server.Url;
    }

    private void Kill()
    {
        _server?.Dispose();
        _server = null;
    }

    public void Dispose()
    {
        Kill();
        Directory.Delete(_dir, recursive: true);
    }
}
