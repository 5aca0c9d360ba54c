namespace ObjStore.Core.Jobs;

/// <summary>
/// How storage nodes take part in the job system: the gateway owns the catalogue, so a node asks it for work over
/// HTTP (signed with the cluster secret, <c>NodeAuth</c>), renews its lease with progress, and reports the outcome.
/// <code>
/// POST /_objstore/cluster/jobs/claim         WorkerInfo          → 200 JobInfo, or 204 (nothing for this worker)
/// POST /_objstore/cluster/jobs/{id}/renew    JobRenewal          → 204, 409 (the lease is lost: stop), or 410 (cancelled: stop
///                                                                   and finish it, which makes it failed)
/// POST /_objstore/cluster/jobs/{id}/finish   JobOutcome          → 204, or 409
/// </code>
/// </summary>
public static class WorkerProtocol
{
    public const string Prefix = "/_objstore/cluster/jobs";
    public const string Claim = Prefix + "/claim";

    public static string Renew(long jobId) => $"{Prefix}/{jobId}/renew";

    public static string Finish(long jobId) => $"{Prefix}/{jobId}/finish";

    /// <summary>Largest JSON body the gateway accepts from a node (a scrub report lists every corrupt shard).</summary>
    public const int MaxBodyBytes = 16 << 20;
}

public sealed record JobRenewal(string Worker, long ItemsDone, long ItemsTotal, long BytesDone, long BytesTotal);

public sealed record CorruptShard(string ShardId, string Problem);

/// <summary>The end of a node's job: success with a result (JSON) and findings, or failure with an error.</summary>
public sealed record JobOutcome(string Worker, bool Succeeded, string? Error, string? Result, IReadOnlyList<CorruptShard> Corrupt);
