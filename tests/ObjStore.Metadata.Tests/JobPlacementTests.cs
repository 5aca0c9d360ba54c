using ObjStore.Core.Jobs;

namespace ObjStore.Metadata.Tests;

/// <summary>Which worker a job goes to, as <see cref="JobPlacement"/> decides it for every catalogue.</summary>
public sealed class JobPlacementTests
{
    private static WorkerInfo Gateway(string id = "gateway") => new(id, ["heal", "scrub", "gc"]);

    private static WorkerInfo Node(int n) => new($"node:node-{n}", ["scrub"], $"node-{n}", DiskFreeRatio: 0.5);

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
}
