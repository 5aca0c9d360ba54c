namespace ObjStore.Core.Jobs;

/// <summary>
/// Which worker a job goes to: among the live workers that can run it, the least loaded, where holding the job's data
/// counts as much as two running jobs fewer (a node scrubbing its own disk reads locally instead of over the network).
/// Load is 2 per running job, 1 per queued job, 1 per 64 MiB/s of recent I/O, and up to 1 for a full disk.
/// </summary>
public static class JobPlacement
{
    public const double HolderPreference = 2;
    private const double IoBytesPerLoadUnit = 64 << 20;

    private const string StorePrefix = "store:";
    private const string BucketPrefix = "bucket:";

    /// <summary>The target of a job about one store's shards (scrub, heal): <c>store:ID</c>.</summary>
    public static string StoreTarget(string storeId) => StorePrefix + storeId;

    /// <summary>The store a <c>store:ID</c> target names; null for any other target.</summary>
    public static string? StoreOf(string target) =>
        target.StartsWith(StorePrefix, StringComparison.Ordinal) ? target[StorePrefix.Length..] : null;

    /// <summary>A worker runs the kinds it lists; a worker that holds a store runs only jobs aimed at that store.</summary>
    public static bool CanRun(WorkerInfo worker, string kind, string target) =>
        worker.Kinds.Contains(kind) && (worker.Holds is null || HoldsDataOf(worker, target));

    private static bool HoldsDataOf(WorkerInfo worker, string target) => worker.Holds is not null && worker.Holds == StoreOf(target);

    /// <summary>The target of a job about one bucket (lifecycle): <c>bucket:NAME</c>.</summary>
    public static string BucketTarget(string bucket) => BucketPrefix + bucket;

    /// <summary>The bucket a <c>bucket:NAME</c> target names; null for any other target.</summary>
    public static string? BucketOf(string target) =>
        target.StartsWith(BucketPrefix, StringComparison.Ordinal) ? target[BucketPrefix.Length..] : null;

    public static double Load(WorkerLoad load) =>
        2.0 * load.Running + load.Queued + load.Worker.IoBytesPerSecond / IoBytesPerLoadUnit + (1 - (load.Worker.DiskFreeRatio ?? 1));

    /// <summary>
    /// The worker for a job, or null when no live worker can run it. <paramref name="avoid"/> (a worker whose lease on
    /// this job expired) is chosen only when no other worker can run the job.
    /// </summary>
    public static string? Choose(string kind, string target, IReadOnlyCollection<WorkerLoad> live, string? avoid = null)
    {
        var able = live.Where(w => CanRun(w.Worker, kind, target)).ToList();
        if (avoid is not null && able.Any(w => w.Worker.Id != avoid))
        {
            able.RemoveAll(w => w.Worker.Id == avoid);
        }
        return able
            .OrderBy(w => Load(w) - (HoldsDataOf(w.Worker, target) ? HolderPreference : 0))
            .ThenBy(w => w.Worker.Id, StringComparer.Ordinal)
            .FirstOrDefault()?.Worker.Id;
    }

    /// <summary>Wait before a failed job (or one whose worker vanished) is tried again: 1, 2, 4 ... seconds, at most 5 minutes.</summary>
    public static TimeSpan Backoff(int attempts) => TimeSpan.FromSeconds(Math.Min(300, Math.Pow(2, Math.Max(0, attempts - 1))));
}
