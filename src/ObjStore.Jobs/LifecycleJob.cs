using System.Text.Json;
using ObjStore.Core;
using ObjStore.Core.Jobs;
using ObjStore.Lifecycle;
using ObjStore.Metadata;
using ObjStore.Objects;

namespace ObjStore.Jobs;

/// <summary>
/// A lifecycle pass over one bucket (target <c>bucket:NAME</c>): every version under the rules' prefixes, key by key,
/// judged by <see cref="LifecycleJudge"/> at the time the pass started, then the bucket's incomplete uploads. Each
/// expiry is conditional in the catalogue (the version must still be the one judged), so judging a key again is
/// harmless: a repeat never stacks delete markers in a versioned bucket. The checkpoint (the scan prefix and the last
/// key finished under it) is set only after that key's expiries committed and reaches the catalogue with the next
/// lease renewal, so a pass killed and resumed judges at most a renewal's worth of keys again and skips none.
/// Rate-limited like scrub.
/// </summary>
public sealed class LifecycleJob(ICatalogue catalogue, ErasureObjectLayer objects, MaintenanceOptions options, LifecycleClock lifecycleClock, TimeProvider clock)
    : IBackgroundJob
{
    private const int PageRows = 1000;

    public string Kind => JobKinds.Lifecycle;

    public async Task<object> RunAsync(string target, IJobProgress progress, CancellationToken cancellationToken)
    {
        string bucket = JobPlacement.BucketOf(target) ?? throw new ArgumentException($"a lifecycle job targets bucket:NAME, not '{target}'");
        var result = new LifecycleResult { Bucket = bucket };
        try
        {
            await PassAsync(bucket, progress, result, cancellationToken);
        }
        catch (ObjectStoreException e) when (e.Kind == ErrorKind.NoSuchBucket)
        {
            // Deleted during the pass: nothing is left to expire.
        }
        return result;
    }

    private async Task PassAsync(string bucket, IJobProgress progress, LifecycleResult result, CancellationToken cancellationToken)
    {
        var info = await catalogue.Buckets.GetAsync(bucket);
        if (info?.Configs.GetValueOrDefault(BucketConfigKinds.Lifecycle) is not { } document)
        {
            return; // deleted, or its rules removed, since the job was queued
        }
        var config = LifecycleConfiguration.FromJson(document);
        var budget = options.LifecycleBudget(clock);
        var now = clock.GetUtcNow();
        var prefixes = config.VersionScanPrefixes();
        var (scope, afterKey) = Checkpoint.Parse(progress.ResumePoint, prefixes);
        if (progress.ResumePoint is null)
        {
            long total = 0;
            foreach (string prefix in prefixes)
            {
                total += await catalogue.Objects.CountVersionsAsync(bucket, prefix);
            }
            progress.SetTotal(total, 0);
        }
        for (; scope < prefixes.Count; scope++, afterKey = null)
        {
            while (true)
            {
                await budget.SpendAsync(0, cancellationToken);
                var page = await catalogue.Objects.ScanVersionsAsync(bucket, prefixes[scope], afterKey, PageRows);
                if (page.Count == 0)
                {
                    break;
                }
                foreach (var versions in ByKey(page))
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    foreach (var decision in LifecycleJudge.Judge(config, versions, lifecycleClock, now))
                    {
                        await ApplyAsync(bucket, decision, budget, result, cancellationToken);
                    }
                    result.Versions += versions.Count;
                    progress.Advance(versions.Count, 0);
                    progress.SetCheckpoint(Checkpoint.Format(prefixes[scope], versions[0].Key));
                }
                afterKey = page[^1].Key;
            }
        }
        await AbortUploadsAsync(bucket, config, now, budget, result, cancellationToken);
    }

    private async Task ApplyAsync(string bucket, LifecycleDecision decision, IoBudget budget, LifecycleResult result, CancellationToken cancellationToken)
    {
        if (decision.Protected)
        {
            result.Protected++;
            return;
        }
        await budget.SpendAsync(0, cancellationToken);
        DeleteOutcome outcome;
        try
        {
            outcome = await objects.ExpireAsync(bucket, decision.Version, decision.Action);
        }
        catch (ObjectStoreException e) when (e.Kind == ErrorKind.AccessDenied)
        {
            result.Protected++; // a legal hold or retention set after the page was read
            return;
        }
        if (!outcome.Found)
        {
            result.Changed++; // written, deleted or made noncurrent since it was judged: left for the next pass
            return;
        }
        switch (decision.Action)
        {
            case ExpiryAction.ExpireCurrent when outcome.DeleteMarker:
                result.DeleteMarkersAdded++;
                break;
            case ExpiryAction.ExpireCurrent:
                result.ObjectsExpired++;
                break;
            case ExpiryAction.RemoveNoncurrent:
                result.NoncurrentRemoved++;
                break;
            case ExpiryAction.RemoveExpiredDeleteMarker:
                result.DeleteMarkersRemoved++;
                break;
        }
    }

    /// <summary>AbortIncompleteMultipartUpload: uploads are few and an abort is idempotent, so this part keeps no checkpoint.</summary>
    private async Task AbortUploadsAsync(string bucket, LifecycleConfiguration config, DateTimeOffset now, IoBudget budget, LifecycleResult result, CancellationToken cancellationToken)
    {
        if (!config.EnabledRules.Any(r => r.AbortIncompleteUploadDays is not null))
        {
            return;
        }
        string? keyMarker = null, uploadIdMarker = null;
        while (true)
        {
            await budget.SpendAsync(0, cancellationToken);
            var page = await catalogue.Uploads.ListAsync(new ListUploadsRequest { Bucket = bucket, KeyMarker = keyMarker, UploadIdMarker = uploadIdMarker });
            foreach (var upload in page.Uploads)
            {
                if (LifecycleJudge.AbortDue(config, upload.Key, upload.Initiated, lifecycleClock) is not { } due || due.Due > now)
                {
                    continue;
                }
                await budget.SpendAsync(0, cancellationToken);
                try
                {
                    await objects.AbortMultipartUploadAsync(bucket, upload.Key, upload.UploadId, cancellationToken);
                    result.UploadsAborted++;
                }
                catch (ObjectStoreException e) when (e.Kind == ErrorKind.NoSuchUpload)
                {
                    // Completed or aborted since the listing.
                }
            }
            if (!page.IsTruncated)
            {
                return;
            }
            (keyMarker, uploadIdMarker) = (page.NextKeyMarker, page.NextUploadIdMarker);
        }
    }

    /// <summary>A page's versions, one list per key (a page holds whole keys).</summary>
    private static IEnumerable<List<VersionEntry>> ByKey(IReadOnlyList<VersionEntry> page)
    {
        var current = new List<VersionEntry>();
        foreach (var version in page)
        {
            if (current.Count > 0 && current[0].Key != version.Key)
            {
                yield return current;
                current = [];
            }
            current.Add(version);
        }
        if (current.Count > 0)
        {
            yield return current;
        }
    }

    /// <summary>
    /// The scan prefix and the last key finished under it, as JSON. Resumed against the prefixes of the rules as they
    /// are now: a prefix that is gone (the rules changed since) restarts the pass, which costs time, never an expiry.
    /// </summary>
    private static class Checkpoint
    {
        public static string Format(string prefix, string key) => JsonSerializer.Serialize(new[] { prefix, key });

        public static (int Scope, string? AfterKey) Parse(string? checkpoint, IReadOnlyList<string> prefixes)
        {
            try
            {
                if (checkpoint is not null && JsonSerializer.Deserialize<string[]>(checkpoint) is [var prefix, var key]
                    && prefixes.ToList().IndexOf(prefix) is var scope and >= 0)
                {
                    return (scope, key);
                }
            }
            catch (JsonException)
            {
                // An unreadable checkpoint (an older format): start over.
            }
            return (0, null);
        }
    }

    /// <summary>What a pass did, recorded as the job's result.</summary>
    public sealed class LifecycleResult
    {
        public required string Bucket { get; init; }
        public long Versions { get; set; }
        public long ObjectsExpired { get; set; }
        public long DeleteMarkersAdded { get; set; }
        public long NoncurrentRemoved { get; set; }
        public long DeleteMarkersRemoved { get; set; }
        public long UploadsAborted { get; set; }

        /// <summary>Versions a rule would remove that Object Lock keeps.</summary>
        public long Protected { get; set; }

        /// <summary>Versions that changed between being judged and being expired, left for the next pass.</summary>
        public long Changed { get; set; }
    }
}
