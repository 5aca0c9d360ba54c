using ObjStore.Metadata;

namespace ObjStore.Integration.Tests;

/// <summary>
/// The scheduler in the catalogue: which worker gets a job (the one holding the data, else the least loaded), what
/// happens when a worker dies (its lease expires and the job goes elsewhere after a backoff, until it is out of
/// attempts), and that a worker never runs what it cannot.
/// </summary>
public sealed class JobSchedulingTests : IDisposable
{
    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan Alive = TimeSpan.FromMinutes(1);
    private static readonly string[] AllKinds = ["heal", "scrub", "gc", "rebuild-metadata", "backup", "drain"];
    private readonly string _dir = Directory.CreateTempSubdirectory("objstore-jobs-").FullName;
    private readonly Catalogue _catalogue;

    public JobSchedulingTests() => _catalogue = new Catalogue(Path.Combine(_dir, "catalogue.db"));

    public void Dispose()
    {
        _catalogue.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    private static WorkerInfo Gateway(string id = "gateway") => new(id, AllKinds);

    private static WorkerInfo Node(int n) => new($"node:node-{n}", ["scrub"], $"node-{n}", DiskFreeRatio: 0.5);

    [Fact]
    public async Task AScrubGoesToTheNodeHoldingTheStoreAndNodesRunNothingElse()
    {
        foreach (var worker in new[] { Gateway(), Node(1), Node(2) })
        {
            Assert.Null(await _catalogue.ClaimJobAsync(worker, Lease, Alive)); // registers, nothing to do yet
        }
        long heal = await _catalogue.EnqueueJobAsync("heal", "degraded", priority: 10);
        long scrub1 = await _catalogue.EnqueueJobAsync("scrub", "store:node-1");
        long scrub2 = await _catalogue.EnqueueJobAsync("scrub", "store:node-2");
        long scrub3 = await _catalogue.EnqueueJobAsync("scrub", "store:node-3"); // no node-3 worker: the gateway's

        Assert.Equal(scrub2, (await _catalogue.ClaimJobAsync(Node(2), Lease, Alive))!.Id);
        Assert.Equal(scrub1, (await _catalogue.ClaimJobAsync(Node(1), Lease, Alive))!.Id);
        Assert.Null(await _catalogue.ClaimJobAsync(Node(1), Lease, Alive)); // the heal and node-3's scrub are not for it
        Assert.Equal(heal, (await _catalogue.ClaimJobAsync(Gateway(), Lease, Alive))!.Id);
        Assert.Equal(scrub3, (await _catalogue.ClaimJobAsync(Gateway(), Lease, Alive))!.Id);
        Assert.Equal("node:node-1", (await _catalogue.GetJobAsync(scrub1))!.AssignedTo);
    }

    [Fact]
    public async Task JobsGoToTheLeastLoadedWorker()
    {
        var idle = Gateway("gateway-a");
        var busy = Gateway("gateway-b") with { IoBytesPerSecond = 256L << 20 }; // moving 256 MiB/s: load 4
        Assert.Null(await _catalogue.ClaimJobAsync(idle, Lease, Alive));
        Assert.Null(await _catalogue.ClaimJobAsync(busy, Lease, Alive));
        var ids = new List<long>();
        for (int i = 0; i < 6; i++)
        {
            ids.Add(await _catalogue.EnqueueJobAsync("heal", $"bucket-{i}"));
        }
        Assert.Null(await _catalogue.ClaimJobAsync(Node(1), Lease, Alive)); // runs the scheduling round
        var assigned = (await Task.WhenAll(ids.Select(id => _catalogue.GetJobAsync(id)))).Select(j => j!.AssignedTo).ToList();
        // Each queued job adds 1 to its worker's load: the idle one takes jobs until it is as loaded as the busy one.
        Assert.Equal(5, assigned.Count(a => a == "gateway-a"));
        Assert.Equal(1, assigned.Count(a => a == "gateway-b"));
    }

    [Fact]
    public async Task AWorkerThatStopsReportingLosesItsQueuedJobsToALiveOne()
    {
        Assert.Null(await _catalogue.ClaimJobAsync(Node(1), Lease, Alive));
        long scrub = await _catalogue.EnqueueJobAsync("scrub", "store:node-1");
        Assert.Null(await _catalogue.ClaimJobAsync(Gateway(), Lease, Alive)); // the node's, while it is alive
        Assert.Equal("node:node-1", (await _catalogue.GetJobAsync(scrub))!.AssignedTo);
        await Task.Delay(50);
        // The node has said nothing for longer than a (here very short) worker timeout: it is taken for dead.
        var taken = await _catalogue.ClaimJobAsync(Gateway(), Lease, TimeSpan.FromMilliseconds(20));
        Assert.Equal((scrub, "gateway"), (taken!.Id, taken.LeaseOwner));
    }

    [Fact]
    public async Task AnExpiredLeaseHandsTheJobToAnotherWorkerAfterABackoffUntilItIsOutOfAttempts()
    {
        var a = Gateway("worker-a");
        var b = Gateway("worker-b");
        var shortLease = TimeSpan.FromMilliseconds(1);
        Assert.Null(await _catalogue.ClaimJobAsync(b, Lease, Alive));
        long id = await _catalogue.EnqueueJobAsync("scrub", "*", maxAttempts: 2);
        var first = await _catalogue.ClaimJobAsync(a, shortLease, Alive);
        Assert.Equal((id, "worker-a"), (first!.Id, first.LeaseOwner));
        await Task.Delay(20);

        // worker-a's lease ran out (it died): the job is queued again for worker-b, not before the backoff.
        Assert.Null(await _catalogue.ClaimJobAsync(b, shortLease, Alive));
        var requeued = await _catalogue.GetJobAsync(id);
        Assert.Equal((JobStates.Queued, "worker-b"), (requeued!.State, requeued.AssignedTo));
        Assert.Contains("worker-a", requeued.LastError, StringComparison.Ordinal);
        await Task.Delay(JobPlacement.Backoff(1) + TimeSpan.FromMilliseconds(100));
        var second = await _catalogue.ClaimJobAsync(b, shortLease, Alive);
        Assert.Equal((id, 2, "worker-b"), (second!.Id, second.Attempts, second.LeaseOwner));
        Assert.False(await _catalogue.RenewJobAsync(id, "worker-a", Lease, 0, 0, 0, 0)); // a lost lease stays lost

        await Task.Delay(20);
        Assert.Null(await _catalogue.ClaimJobAsync(a, Lease, Alive));
        var failed = await _catalogue.GetJobAsync(id);
        Assert.Equal(JobStates.Failed, failed!.State);
        Assert.Contains("out of attempts", failed.LastError, StringComparison.Ordinal);
    }

    [Fact]
    public void PlacementWeighsRunningQueuedIoAndDiskAndAvoidsTheWorkerThatLostTheLease()
    {
        var now = DateTimeOffset.UtcNow;
        var node1 = new WorkerLoad(Node(1), Running: 1, Queued: 0, now);
        var gateway = new WorkerLoad(Gateway(), Running: 0, Queued: 0, now);
        Assert.Equal(2.5, JobPlacement.Load(node1)); // 2 per running job + half a disk used
        Assert.Equal(0, JobPlacement.Load(gateway));
        // Holding the data is worth 2: 2.5 - 2 = 0.5 still loses to an idle gateway, but wins against one running a job.
        Assert.Equal("gateway", JobPlacement.Choose("scrub", "store:node-1", [node1, gateway]));
        Assert.Equal("node:node-1", JobPlacement.Choose("scrub", "store:node-1", [node1, gateway with { Running = 1 }]));
        Assert.Equal("gateway", JobPlacement.Choose("scrub", "store:node-1", [node1 with { Running = 0 }, gateway], avoid: "node:node-1"));
        Assert.Equal("node:node-1", JobPlacement.Choose("scrub", "store:node-1", [node1], avoid: "node:node-1")); // no one else
        Assert.Null(JobPlacement.Choose("heal", "degraded", [node1]));
        Assert.Null(JobPlacement.Choose("scrub", "store:node-2", [node1]));
    }

    [Fact]
    public async Task FinishedJobsArePrunedAfterTheHistoryAndOthersStay()
    {
        var gateway = Gateway();
        long done = await _catalogue.EnqueueJobAsync("gc", "*");
        long waiting = await _catalogue.EnqueueJobAsync("heal", "degraded");
        var claimed = await _catalogue.ClaimJobAsync(gateway, Lease, Alive); // same priority: the older one
        Assert.Equal(done, claimed!.Id);
        await _catalogue.FinishJobAsync(done, gateway.Id, succeeded: true, null, "{}", TimeSpan.Zero);
        Assert.Equal(0, await _catalogue.PruneFinishedJobsAsync(TimeSpan.FromDays(30)));
        await Task.Delay(20);
        Assert.Equal(1, await _catalogue.PruneFinishedJobsAsync(TimeSpan.FromMilliseconds(10)));
        Assert.Null(await _catalogue.GetJobAsync(done));
        Assert.NotNull(await _catalogue.GetJobAsync(waiting)); // queued jobs are never pruned
    }
}
