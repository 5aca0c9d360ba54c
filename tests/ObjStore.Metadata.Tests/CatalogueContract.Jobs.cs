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
    public async Task ACancelledQueuedJobFailsAtOnceARunningOneIsCancellingUntilItsWorkerStopsAndARetryQueuesItAgain()
    {
        var gateway = Gateway();
        long queued = await Jobs.EnqueueAsync("scrub", "*");
        long running = await Jobs.EnqueueAsync("heal", "degraded", priority: 10);
        Assert.Equal(running, (await Jobs.ClaimAsync(gateway, Lease, Alive))!.Id);

        Assert.True(await Jobs.CancelAsync(queued, "cancelled"));
        var cancelledQueued = await Jobs.GetAsync(queued);
        Assert.Equal((JobStates.Failed, "cancelled", Clock.GetUtcNow()), (cancelledQueued!.State, cancelledQueued.LastError, cancelledQueued.Finished));

        Assert.True(await Jobs.CancelAsync(running, "cancelled"));
        var cancelling = await Jobs.GetAsync(running);
        // Still the worker's (its lease kept): nothing else may run it while the old run may still be going.
        Assert.Equal((JobStates.Cancelling, "cancelled", (DateTimeOffset?)null, gateway.Id), (cancelling!.State, cancelling.LastError, cancelling.Finished, cancelling.LeaseOwner));
        Assert.False(cancelling.IsFinished);
        Assert.False(await Jobs.CancelAsync(running, "again")); // already cancelling
        Assert.False(await Jobs.RetryAsync(running)); // not failed yet
        await Jobs.EnsureQueuedAsync("heal", "degraded", 0); // counts as running: no second heal
        Assert.Equal(2, (await Jobs.ListAsync(10)).Count);
        Assert.Null(await Jobs.ClaimAsync(gateway, Lease, Alive)); // neither runs again

        Assert.False(await Jobs.RenewAsync(running, gateway.Id, Lease, new JobProgress(1, 10, 0, 0))); // the worker stops at once
        await Jobs.FinishAsync(running, "someone else", succeeded: false, "x", null, TimeSpan.Zero); // not the owner: ignored
        Assert.Equal(JobStates.Cancelling, (await Jobs.GetAsync(running))!.State);
        await Jobs.FinishAsync(running, gateway.Id, succeeded: false, "operation cancelled", null, TimeSpan.FromMinutes(5));
        var failed = await Jobs.GetAsync(running);
        Assert.Equal((JobStates.Failed, "cancelled", Clock.GetUtcNow(), (string?)null), (failed!.State, failed.LastError, failed.Finished, failed.LeaseOwner));
        Assert.False(await Jobs.CancelAsync(running, "again")); // finished
        Assert.False(await Jobs.CancelAsync(999_999, "no such job"));
        Assert.Null(await Jobs.ClaimAsync(gateway, Lease, Alive));

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
    public async Task ACancelledJobWhoseWorkerSaysNothingFailsWhenItsLeaseExpiresAndEvenASuccessReportedLateIsAFailure()
    {
        var gateway = Gateway();
        long silent = await Jobs.EnqueueAsync("heal", "degraded");
        Assert.Equal(silent, (await Jobs.ClaimAsync(gateway, Lease, Alive))!.Id);
        Assert.True(await Jobs.CancelAsync(silent, "cancelled"));
        Clock.Advance(Lease / 2);
        Assert.Null(await Jobs.ClaimAsync(Gateway("other"), Lease, Alive)); // the lease still runs: still cancelling
        Assert.Equal(JobStates.Cancelling, (await Jobs.GetAsync(silent))!.State);
        Clock.Advance(Lease);
        Assert.Null(await Jobs.ClaimAsync(Gateway("other"), Lease, Alive)); // expired: failed, not queued again
        var expired = await Jobs.GetAsync(silent);
        Assert.Equal((JobStates.Failed, "cancelled", Clock.GetUtcNow(), (string?)null), (expired!.State, expired.LastError, expired.Finished, expired.LeaseOwner));

        long late = await Jobs.EnqueueAsync("gc", "*");
        Assert.Equal(late, (await Jobs.ClaimAsync(gateway, Lease, Alive))!.Id);
        Assert.True(await Jobs.CancelAsync(late, "cancelled"));
        await Jobs.FinishAsync(late, gateway.Id, succeeded: true, null, "{}", TimeSpan.Zero); // finished before it heard
        Assert.Equal((JobStates.Failed, "cancelled"), ((await Jobs.GetAsync(late))!.State, (await Jobs.GetAsync(late))!.LastError));
    }

    [Fact]
    public async Task AFailedJobIsNotRetriedWhileAnotherOfItsKindAndTargetIsQueuedOrRunning()
    {
        var gateway = Gateway();
        long first = await Jobs.EnqueueAsync("scrub", "*");
        Assert.True(await Jobs.CancelAsync(first, "cancelled"));
        long second = await Jobs.EnqueueAsync("scrub", "*");
        long otherTarget = await Jobs.EnqueueAsync("scrub", "store:s1");
        Assert.False(await Jobs.RetryAsync(first)); // the second is queued
        Assert.Equal(second, (await Jobs.ClaimAsync(gateway, Lease, Alive))!.Id);
        Assert.False(await Jobs.RetryAsync(first)); // and now running
        Assert.True(await Jobs.CancelAsync(second, "cancelled"));
        Assert.False(await Jobs.RetryAsync(first)); // cancelling: its run may still be going
        await Jobs.FinishAsync(second, gateway.Id, succeeded: false, "cancelled", null, TimeSpan.Zero);
        Assert.True(await Jobs.RetryAsync(first)); // a job of another target does not count
        Assert.Equal(JobStates.Queued, (await Jobs.GetAsync(otherTarget))!.State);
        Assert.False(await Jobs.RetryAsync(second)); // the first is queued again
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
