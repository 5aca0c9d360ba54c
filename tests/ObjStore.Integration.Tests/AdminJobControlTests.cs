using System.Text.Json;
using ObjStore.Core.Jobs;
using ObjStore.Hosting;

namespace ObjStore.Integration.Tests;

/// <summary>The admin API's cancel and retry of a job (the console's buttons), over signed HTTP.</summary>
public sealed class AdminJobControlTests
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    [Fact]
    public async Task AQueuedJobIsCancelledARetryQueuesItAgainAndWrongStatesAre409()
    {
        await using var server = await DevServer.StartAsync("2+1");
        // A kind no worker runs stays queued for as long as the test needs.
        long id = await server.Catalogue.Jobs.EnqueueAsync("no-worker-runs-this", "*");

        var cancelled = await SendAsync(server, $"/_objstore/admin/jobs/{id}/cancel");
        Assert.Equal(200, cancelled.Status);
        var job = JsonSerializer.Deserialize<JobInfo>(cancelled.Body, Json)!;
        Assert.Equal((id, JobStates.Failed, AdminApi.CancelledMessage), (job.Id, job.State, job.LastError));
        Assert.NotNull(job.Finished);

        var again = await SendAsync(server, $"/_objstore/admin/jobs/{id}/cancel");
        Assert.Equal(409, again.Status);
        Assert.Contains("only a queued or running job can be cancelled", again.Body, StringComparison.Ordinal);

        var retried = await SendAsync(server, $"/_objstore/admin/jobs/{id}/retry");
        Assert.Equal(200, retried.Status);
        job = JsonSerializer.Deserialize<JobInfo>(retried.Body, Json)!;
        Assert.Equal((JobStates.Queued, 0), (job.State, job.Attempts));
        Assert.Equal(JobStates.Queued, (await server.Catalogue.Jobs.GetAsync(id))!.State);

        var retryQueued = await SendAsync(server, $"/_objstore/admin/jobs/{id}/retry");
        Assert.Equal(409, retryQueued.Status);
        Assert.Contains("only a failed job can be retried", retryQueued.Body, StringComparison.Ordinal);

        Assert.Equal(404, (await SendAsync(server, "/_objstore/admin/jobs/999999/cancel")).Status);
        Assert.Equal(404, (await SendAsync(server, "/_objstore/admin/jobs/abc/retry")).Status);
    }

    [Fact]
    public async Task ARunningJobCancelledStopsWithinSecondsIsFailedAndLoggedAsCancelledAndRetriesWaitForItsKindAndTarget()
    {
        // A scrub of 2 shards a second over 24 objects (72 shards) runs for half a minute unless it is cancelled;
        // its lease (30 s) is far longer than the wait below, so only the renewal's answer can stop it in time.
        var settings = new Dictionary<string, string?>(Maintenance.Fast) { ["Maintenance:ScrubOpsPerSecond"] = "2", ["Maintenance:ScrubBytesPerSecond"] = "0" };
        await using var server = await DevServer.StartAsync("2+1", settings: settings);
        var log = LogCapture.On(server);
        using (var s3 = server.Client())
        {
            await s3.PutBucketAsync("slow");
            for (int i = 0; i < 24; i++)
            {
                await s3.PutObjectAsync(new Amazon.S3.Model.PutObjectRequest { BucketName = "slow", Key = $"k{i}", ContentBody = new string('x', 1000) });
            }
        }
        long id = await server.Catalogue.Jobs.EnqueueAsync(JobKinds.Scrub, "*");
        var runningJob = await WaitForAsync(server, id, j => j.State == JobStates.Running && j.ItemsDone > 0); // progress reported
        Assert.True(runningJob.ItemsDone < runningJob.ItemsTotal, $"{runningJob.ItemsDone} of {runningJob.ItemsTotal}: not slow enough");

        var retryRunning = await SendAsync(server, $"/_objstore/admin/jobs/{id}/retry");
        Assert.Equal(409, retryRunning.Status);
        Assert.Contains("only a failed job can be retried", retryRunning.Body, StringComparison.Ordinal);

        var started = System.Diagnostics.Stopwatch.StartNew();
        var cancelled = await SendAsync(server, $"/_objstore/admin/jobs/{id}/cancel");
        Assert.Equal(200, cancelled.Status);
        var job = JsonSerializer.Deserialize<JobInfo>(cancelled.Body, Json)!;
        Assert.True(job.State is JobStates.Cancelling or JobStates.Failed, job.State);
        job = await WaitForStateAsync(server, id, JobStates.Failed);
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(10), $"took {started.Elapsed}");
        Assert.Equal(AdminApi.CancelledMessage, job.LastError);
        Assert.True(job.ItemsDone < job.ItemsTotal, $"{job.ItemsDone} of {job.ItemsTotal}: it did not stop");
        long done = job.ItemsDone;
        await Task.Delay(1500);
        Assert.Equal(done, (await server.Catalogue.Jobs.GetAsync(id))!.ItemsDone);
        var entries = log.In("ObjStore.Jobs.JobWorker").Where(e => e.Message.StartsWith($"Job {id} ", StringComparison.Ordinal)).ToList();
        Assert.Contains(entries, e => e.Message == $"Job {id} (scrub) cancelled" && e.Exception is null);
        Assert.DoesNotContain(entries, e => e.Message.Contains($"Job {id} (scrub) failed", StringComparison.Ordinal) || e.Exception is not null);

        // Another scrub of everything starts (the worker is free again): the cancelled one is not retried beside it.
        long second = await server.Catalogue.Jobs.EnqueueAsync(JobKinds.Scrub, "*");
        await WaitForStateAsync(server, second, JobStates.Running);
        var duplicate = await SendAsync(server, $"/_objstore/admin/jobs/{id}/retry");
        Assert.Equal(409, duplicate.Status);
        Assert.Contains("queued or running", duplicate.Body, StringComparison.Ordinal);
        Assert.Equal(200, (await SendAsync(server, $"/_objstore/admin/jobs/{second}/cancel")).Status);
        await WaitForStateAsync(server, second, JobStates.Failed);
        var retried = await SendAsync(server, $"/_objstore/admin/jobs/{id}/retry");
        Assert.Equal(200, retried.Status);
        await WaitForStateAsync(server, id, JobStates.Running);
        Assert.Equal(200, (await SendAsync(server, $"/_objstore/admin/jobs/{id}/cancel")).Status);
        await WaitForStateAsync(server, id, JobStates.Failed);
    }

    [Fact]
    public async Task ADrainIsNotCancelled()
    {
        await using var server = await DevServer.StartAsync("2+1");
        long id = await server.Catalogue.Jobs.EnqueueAsync(JobKinds.Drain, "no-such-store", maxAttempts: 1);
        var refused = await SendAsync(server, $"/_objstore/admin/jobs/{id}/cancel");
        Assert.Equal(409, refused.Status);
        Assert.Contains("a drain cannot be cancelled", refused.Body, StringComparison.Ordinal);
    }

    private static Task<JobInfo> WaitForStateAsync(DevServer server, long id, string state) => WaitForAsync(server, id, j => j.State == state);

    private static async Task<JobInfo> WaitForAsync(DevServer server, long id, Func<JobInfo, bool> condition)
    {
        JobInfo? job = null;
        for (int i = 0; i < 200; i++)
        {
            job = await server.Catalogue.Jobs.GetAsync(id);
            if (job is not null && condition(job))
            {
                return job;
            }
            await Task.Delay(50);
        }
        Assert.Fail($"job {id} is {job?.State} ({job?.LastError}, {job?.ItemsDone} of {job?.ItemsTotal}): not what the test waits for");
        return job!;
    }

    [Fact]
    public async Task TheStatusGivesEachStoresProbeLatency()
    {
        await using var server = await DevServer.StartAsync("2+1");
        var status = await RawS3.SendSignedAsync(server, "GET", "/_objstore/admin/status");
        Assert.Equal(200, status.Status);
        using var document = JsonDocument.Parse(status.Body);
        var stores = document.RootElement.GetProperty("stores").EnumerateArray().ToList();
        Assert.Equal(3, stores.Count);
        Assert.All(stores, s => Assert.True(s.GetProperty("latencyMs").GetDouble() >= 0));
    }

    private static Task<RawS3.Response> SendAsync(DevServer server, string target) => RawS3.SendSignedAsync(server, "POST", target);
}
