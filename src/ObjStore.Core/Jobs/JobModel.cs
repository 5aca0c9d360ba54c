namespace ObjStore.Core.Jobs;

/// <summary>A background job as the catalogue keeps it.</summary>
public sealed record JobInfo
{
    public long Id { get; init; }
    public required string Kind { get; init; }
    public required string Target { get; init; }
    public required string State { get; init; }
    public int Priority { get; init; }
    public int Attempts { get; init; }
    public int MaxAttempts { get; init; }
    public long ItemsDone { get; init; }
    public long ItemsTotal { get; init; }
    public long BytesDone { get; init; }
    public long BytesTotal { get; init; }
    public string? LastError { get; init; }
    public string? Result { get; init; }

    /// <summary>Where the job got to, as it last recorded (<see cref="IJobProgress.SetCheckpoint"/>): a retry resumes there.</summary>
    public string? Checkpoint { get; init; }
    public string? LeaseOwner { get; init; }
    public DateTimeOffset? LeaseExpiry { get; init; }

    /// <summary>The worker the scheduler gave the job to (null while no live worker can run it).</summary>
    public string? AssignedTo { get; init; }
    public DateTimeOffset Created { get; init; }
    public DateTimeOffset? Finished { get; init; }

    public bool IsFinished => State is JobStates.Succeeded or JobStates.Failed;
}

public static class JobStates
{
    public const string Queued = "queued";
    public const string Running = "running";

    /// <summary>Cancelled while running: its worker is told at its next renewal; failed once it stops or its lease expires.</summary>
    public const string Cancelling = "cancelling";
    public const string Succeeded = "succeeded";
    public const string Failed = "failed";
}

/// <summary>The kinds of background work; a job is one kind and a target (a store, a scope, "*").</summary>
public static class JobKinds
{
    public const string Heal = "heal";
    public const string Scrub = "scrub";
    public const string Gc = "gc";
    public const string RebuildMetadata = "rebuild-metadata";
    public const string Backup = "backup";
    public const string Drain = "drain";
    public const string Rebalance = "rebalance";

    /// <summary>A pass of a bucket's lifecycle rules; the target is <c>bucket:NAME</c> (<see cref="JobPlacement.BucketTarget"/>).</summary>
    public const string Lifecycle = "lifecycle";

    /// <summary>Re-seals every data key, KMS key and secret sealed under a previous master key under the current one.</summary>
    public const string KeyRotation = "kms-rotate";

    /// <summary>The heal target that means "every shard recorded as degraded".</summary>
    public const string Degraded = "degraded";
}

/// <summary>
/// A job worker as it last reported itself: the job kinds it runs, the store whose shards are on its own disk (a
/// storage node; null for a gateway, which reaches every store), the bytes a second its jobs moved recently, and the
/// share of its disk still free.
/// </summary>
public sealed record WorkerInfo(string Id, IReadOnlyList<string> Kinds, string? Holds = null, long IoBytesPerSecond = 0, double? DiskFreeRatio = null);

/// <summary>A live worker and the jobs it has now: running under its lease, and queued for it.</summary>
public sealed record WorkerLoad(WorkerInfo Worker, int Running, int Queued, DateTimeOffset Heartbeat);

/// <summary>
/// How far a running job is: items (layouts, shards, versions) and bytes, done and in all, and the checkpoint it
/// resumes from after a crash (null: none recorded, keep the one the catalogue has).
/// </summary>
public readonly record struct JobProgress(long ItemsDone, long ItemsTotal, long BytesDone, long BytesTotal, string? Checkpoint = null);
