using ObjStore.Core.Jobs;

namespace ObjStore.Metadata.Tests;

/// <summary>
/// The scheduler in the catalogue: which worker gets a job (the one holding the data, else the least loaded), what
/// happens when a worker dies (its lease expires and the job goes elsewhere after a backoff, until it is out of
/// attempts), and that a worker never runs what it cannot.
/// </summary>
public abstract partial class CatalogueContract
{
    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan Alive = TimeSpan.FromMinutes(1);
    private static readonly string[] AllKinds = ["heal", "scrub", "gc", "rebuild-metadata", "backup", "drain", "lifecycle"];

    private static WorkerInfo Gateway(string id = "gateway") => new(id, AllKinds);

    private static WorkerInfo Node(int n) => new($"node:node-{n}", ["scrub"], $"node-{n}", DiskFreeRatio: 0.5);

    private IJobCatalogue Jobs => Catalogue.Jobs;

    [Fact]
    public async Task AScrubGoesToTheNodeHoldingTheStoreAndNodesRunNothingElse()
    {
        foreach (var worker in new[] { Gateway(), Node(1), Node(2) })
        {
            Assert.Null(await Jobs.ClaimAsync(worker, Lease, Alive)); // registers, nothing to do yet
        }
        long heal = await Jobs.EnqueueAsync("heal", "degraded", priority: 10);
        long scrub1 = await Jobs.EnqueueAsync("scrub", "store:node-1");
        long scrub2 = await Jobs.EnqueueAsync("scrub", "store:node-2");
        long scrub3 = await Jobs.EnqueueAsync("scrub", "store:node-3"); // no node-3 worker: the gateway's

        Assert.Equal(scrub2, (await Jobs.ClaimAsync(Node(2), Lease, Alive))!.Id);
        Assert.Equal(scrub1, (await Jobs.ClaimAsync(Node(1), Lease, Alive))!.Id);
        Assert.Null(await Jobs.ClaimAsync(Node(1), Lease, Alive)); // the heal and node-3's scrub are not for it
        Assert.Equal(heal, (await Jobs.ClaimAsync(Gateway(), Lease, Alive))!.Id);
        Assert.Equal(scrub3, (await Jobs.ClaimAsync(Gateway(), Lease, Alive))!.Id);
        Assert.Equal("node:node-1", (await Jobs.GetAsync(scrub1))!.AssignedTo);
    }

    [Fact]
    public async Task QueuedJobsSpreadOverIdleWorkersAndEnsureQueuedDoesNotPileUp()
    {
        var idle = Gateway("idle");
        var busy = Gateway("busy");
        Assert.Null(await Jobs.ClaimAsync(idle, Lease, Alive));
        Assert.Null(await Jobs.ClaimAsync(busy, Lease, Alive));
        var ids = new List<long>();
        for (int i = 0; i < 4; i++)
        {
            ids.Add(await Jobs.EnqueueAsync("heal", $"bucket-{i}"));
        }
        Assert.Null(await Jobs.ClaimAsync(Node(1), Lease, Alive)); // runs the scheduling round
        var assigned = (await Task.WhenAll(ids.Select(Jobs.GetAsync))).Select(j => j!.AssignedTo).ToList();
        Assert.Equal(2, assigned.Count(a => a == "idle"));
        Assert.Equal(2, assigned.Count(a => a == "busy"));

        await Jobs.EnsureQueuedAsync("gc", "*", priority: 5);
        await Jobs.EnsureQueuedAsync("gc", "*", priority: 5);
        Assert.Single(await Jobs.ListAsync(100), j => j.Kind == "gc");
    }

    [Fact]
    public async Task ANodeThatStopsReportingLosesItsQueuedJobsToTheGateway()
    {
        Assert.Null(await Jobs.ClaimAsync(Node(1), Lease, Alive));
        long scrub = await Jobs.EnqueueAsync("scrub", "store:node-1");
        Assert.Null(await Jobs.ClaimAsync(Gateway(), Lease, Alive)); // the node's, while it is alive
        Assert.Equal("node:node-1", (await Jobs.GetAsync(scrub))!.AssignedTo);

        Clock.Advance(Alive + TimeSpan.FromSeconds(1)); // the node has said nothing for longer than the worker timeout
        var taken = await Jobs.ClaimAsync(Gateway(), Lease, Alive);
        Assert.Equal((scrub, "gateway"), (taken!.Id, taken.LeaseOwner));
    }

    [Fact]
    public async Task AnExpiredLeaseHandsTheJobToAnotherWorkerAfterABackoffUntilItIsOutOfAttempts()
    {
        var a = Gateway("worker-a");
        var b = Gateway("worker-b");
        Assert.Null(await Jobs.ClaimAsync(b, Lease, Alive));
        long id = await Jobs.EnqueueAsync("scrub", "*", maxAttempts: 2);
        var first = await Jobs.ClaimAsync(a, Lease, Alive);
        Assert.Equal((id, "worker-a"), (first!.Id, first.LeaseOwner));
        Assert.True(await Jobs.RenewAsync(id, "worker-a", Lease, new JobProgress(1, 10, 100, 1000)));
        Assert.Equal((1L, 10L, 100L, 1000L), await ProgressOfAsync(id));

        // worker-a's lease runs out (it died): the job is queued again for worker-b, not before the backoff.
        Clock.Advance(Lease + TimeSpan.FromSeconds(1));
        Assert.Null(await Jobs.ClaimAsync(b, Lease, Alive));
        var requeued = await Jobs.GetAsync(id);
        Assert.Equal((JobStates.Queued, "worker-b"), (requeued!.State, requeued.AssignedTo));
        Assert.Contains("worker-a", requeued.LastError, StringComparison.Ordinal);
        Clock.Advance(JobPlacement.Backoff(1) - TimeSpan.FromMilliseconds(1));
        Assert.Null(await Jobs.ClaimAsync(b, Lease, Alive)); // still backing off
        Clock.Advance(TimeSpan.FromMilliseconds(2));
        var second = await Jobs.ClaimAsync(b, Lease, Alive);
        Assert.Equal((id, 2, "worker-b"), (second!.Id, second.Attempts, second.LeaseOwner));
        Assert.False(await Jobs.RenewAsync(id, "worker-a", Lease, default)); // a lost lease stays lost

        Clock.Advance(Lease + TimeSpan.FromSeconds(1));
        Assert.Null(await Jobs.ClaimAsync(a, Lease, Alive));
        var failed = await Jobs.GetAsync(id);
        Assert.Equal(JobStates.Failed, failed!.State);
        Assert.Contains("out of attempts", failed.LastError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AFailedJobIsRetriedAfterItsBackoffAndASucceededOneKeepsItsResult()
    {
        var gateway = Gateway();
        long id = await Jobs.EnqueueAsync("gc", "*", maxAttempts: 3);
        Assert.Equal(id, (await Jobs.ClaimAsync(gateway, Lease, Alive))!.Id);
        await Jobs.FinishAsync(id, gateway.Id, succeeded: false, "disk on fire", null, TimeSpan.FromSeconds(10));
        Assert.Equal((JobStates.Queued, "disk on fire"), ((await Jobs.GetAsync(id))!.State, (await Jobs.GetAsync(id))!.LastError));
        Assert.Null(await Jobs.ClaimAsync(gateway, Lease, Alive));
        Clock.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(id, (await Jobs.ClaimAsync(gateway, Lease, Alive))!.Id);
        await Jobs.FinishAsync(id, "someone else", succeeded: true, null, "{}", TimeSpan.Zero); // not the lease owner: ignored
        Assert.Equal(JobStates.Running, (await Jobs.GetAsync(id))!.State);
        await Jobs.FinishAsync(id, gateway.Id, succeeded: true, null, "{\"ok\":1}", TimeSpan.Zero);
        var done = await Jobs.GetAsync(id);
        Assert.Equal((JobStates.Succeeded, "{\"ok\":1}", Clock.GetUtcNow()), (done!.State, done.Result, done.Finished));
    }

    [Fact]
    public async Task ACancelledJobFailsAtOnceItsWorkerLosesTheLeaseAndARetryQueuesItAgain()
    {
        var gateway = Gateway();
        long queued = await Jobs.EnqueueAsync("scrub", "*");
        long running = await Jobs.EnqueueAsync("heal", "degraded", priority: 10);
        Assert.Equal(running, (await Jobs.ClaimAsync(gateway, Lease, Alive))!.Id);

        Assert.True(await Jobs.CancelAsync(queued, "cancelled"));
        Assert.True(await Jobs.CancelAsync(running, "cancelled"));
        foreach (long id in new[] { queued, running })
        {
            var job = await Jobs.GetAsync(id);
            Assert.Equal((JobStates.Failed, "cancelled", Clock.GetUtcNow()), (job!.State, job.LastError, job.Finished));
        }
        Assert.False(await Jobs.RenewAsync(running, gateway.Id, Lease, new JobProgress(1, 10, 0, 0))); // the worker stops
        await Jobs.FinishAsync(running, gateway.Id, succeeded: false, "operation cancelled", null, TimeSpan.Zero); // ignored
        Assert.Equal("cancelled", (await Jobs.GetAsync(running))!.LastError);
        Assert.False(await Jobs.CancelAsync(running, "again")); // already finished
        Assert.False(await Jobs.CancelAsync(999_999, "no such job"));
        Assert.Null(await Jobs.ClaimAsync(gateway, Lease, Alive)); // neither runs

        Assert.True(await Jobs.RetryAsync(running));
        var retried = await Jobs.GetAsync(running);
        Assert.Equal((JobStates.Queued, 0, (DateTimeOffset?)null, (string?)null), (retried!.State, retried.Attempts, retried.Finished, retried.LastError));
        Assert.False(await Jobs.RetryAsync(running)); // only a failed job
        var claimed = await Jobs.ClaimAsync(gateway, Lease, Alive);
        Assert.Equal((running, 1), (claimed!.Id, claimed.Attempts));
        await Jobs.FinishAsync(running, gateway.Id, succeeded: true, null, "{}", TimeSpan.Zero);
        Assert.False(await Jobs.RetryAsync(running)); // a succeeded job is not retried
    }

    [Fact]
    public async Task FinishedJobsArePrunedAfterTheHistoryAndOthersStay()
    {
        var gateway = Gateway();
        long done = await Jobs.EnqueueAsync("gc", "*");
        long waiting = await Jobs.EnqueueAsync("heal", "degraded");
        var claimed = await Jobs.ClaimAsync(gateway, Lease, Alive); // same priority: the older one
        Assert.Equal(done, claimed!.Id);
        await Jobs.FinishAsync(done, gateway.Id, succeeded: true, null, "{}", TimeSpan.Zero);
        Assert.Equal(0, await Jobs.PruneFinishedAsync(TimeSpan.FromDays(30)));
        Clock.Advance(TimeSpan.FromDays(31));
        Assert.Equal(1, await Jobs.PruneFinishedAsync(TimeSpan.FromDays(30)));
        Assert.Null(await Jobs.GetAsync(done));
        Assert.NotNull(await Jobs.GetAsync(waiting)); // queued jobs are never pruned
    }

    [Fact]
    public async Task WorkersAreListedWithTheirLoadWhileTheyReport()
    {
        Assert.Null(await Jobs.ClaimAsync(Node(1) with { IoBytesPerSecond = 5 }, Lease, Alive));
        await Jobs.EnqueueAsync("scrub", "store:node-1");
        Assert.NotNull(await Jobs.ClaimAsync(Node(1), Lease, Alive));
        var load = Assert.Single(await Jobs.ListWorkersAsync(Alive));
        Assert.Equal(("node:node-1", 1, 0, "node-1"), (load.Worker.Id, load.Running, load.Queued, load.Worker.Holds));
        Clock.Advance(Alive + TimeSpan.FromSeconds(1));
        Assert.Empty(await Jobs.ListWorkersAsync(Alive));
    }

    private async Task<(long, long, long, long)> ProgressOfAsync(long id)
    {
        var job = await Jobs.GetAsync(id);
        return (job!.ItemsDone, job.ItemsTotal, job.BytesDone, job.BytesTotal);
    }
}
