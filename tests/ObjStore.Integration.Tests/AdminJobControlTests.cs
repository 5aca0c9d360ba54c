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
