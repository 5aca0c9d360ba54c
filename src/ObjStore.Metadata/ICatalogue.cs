using ObjStore.Core;
using ObjStore.Core.Jobs;

namespace ObjStore.Metadata;

/// <summary>
/// The metadata catalogue, one narrow interface per aggregate. Every implementation (SQLite today, PostgreSQL next)
/// passes the same contract suite (<c>tests/ObjStore.Metadata.Tests</c>). Each write is one transaction: an object
/// becomes visible, and the shards it replaces become garbage (queued in pending deletes), in the same commit.
/// Keys compare in UTF-8 byte order everywhere.
/// </summary>
public interface ICatalogue : IDisposable
{
    IBucketCatalogue Buckets { get; }
    IObjectCatalogue Objects { get; }
    IUploadCatalogue Uploads { get; }
    IShardCatalogue Shards { get; }
    IJobCatalogue Jobs { get; }
    IStoreStateCatalogue Stores { get; }
    IIdentityCatalogue Identities { get; }
    IKeyCatalogue Keys { get; }

    /// <summary>Committed changes to what gateways cache (bucket settings, identities, store states), from any gateway.</summary>
    CatalogueChanges Changes { get; }

    /// <summary>Writes a consistent copy of the catalogue, taken without stopping writes, to <paramref name="path"/>.</summary>
    Task BackupToAsync(string path);

    /// <summary>Bytes the catalogue takes on disk: SQLite's file and write-ahead log, PostgreSQL's database.</summary>
    Task<long> SizeBytesAsync();

    /// <summary>
    /// What the store holds, for `objstore admin info`. A backend answers it with a query of its own (SQLite does);
    /// this default pages through the aggregates' queries, O(buckets + stored layouts), and counts versions as objects.
    /// </summary>
    async Task<CatalogueUsage> MeasureUsageAsync()
    {
        var buckets = await Buckets.ListAsync();
        long versions = 0;
        foreach (var bucket in buckets)
        {
            versions += await Objects.CountVersionsAsync(bucket.Name, "");
        }
        long stored = 0, raw = 0;
        string? after = null;
        while (await Shards.ListDataAsync(after, 1000) is { Count: > 0 } page)
        {
            foreach (var data in page)
            {
                stored += data.Size;
                raw += CatalogueUsage.RawBytesOf(data.Size, data.Layout.DataShards, data.Layout.ParityShards);
            }
            after = page[^1].Layout.DataId;
        }
        return new CatalogueUsage(buckets.Count, versions, stored, versions, stored, raw);
    }
}

/// <summary>
/// Totals of a catalogue: buckets; objects (latest versions that are not delete markers) and their bytes as clients
/// see them; every stored version and its bytes; and the shard bytes they take on the stores (raw: data and parity
/// blocks, without the block checksums and footers).
/// </summary>
public sealed record CatalogueUsage(long Buckets, long Objects, long ObjectBytes, long Versions, long VersionBytes, long RawBytes)
{
    /// <summary>The data and parity blocks of <paramref name="storedSize"/> bytes at k+m: each shard holds ceil(size/k).</summary>
    public static long RawBytesOf(long storedSize, int dataShards, int parityShards) =>
        dataShards <= 0 ? 0 : (storedSize + dataShards - 1) / dataShards * (dataShards + parityShards);
}

public interface IBucketCatalogue
{
    /// <summary>
    /// False when the bucket already exists. A bucket created with Object Lock has versioning enabled.
    /// <paramref name="owner"/> is the creator's canonical id ("" for the root user); <paramref name="configs"/> are
    /// configuration documents it starts with (an ACL, ownership controls), in the same transaction.
    /// </summary>
    Task<bool> CreateAsync(string name, DateTimeOffset created, bool objectLock = false, string owner = "",
        IReadOnlyDictionary<string, string>? configs = null);

    /// <summary>
    /// False when there was no such bucket; throws BucketNotEmpty when it holds objects. Uploads in progress die with
    /// it (their parts are queued for deletion).
    /// </summary>
    Task<bool> DeleteAsync(string name);

    /// <summary>The bucket with its configuration documents (<see cref="BucketInfo.Configs"/>).</summary>
    Task<BucketInfo?> GetAsync(string name);

    /// <summary>Stores (or replaces) one configuration document of the bucket. NoSuchBucket.</summary>
    Task PutConfigAsync(string name, string kind, string document);

    /// <summary>Removes one configuration document; false when there was none. NoSuchBucket.</summary>
    Task<bool> DeleteConfigAsync(string name, string kind);

    /// <summary>In name order, without their configuration documents.</summary>
    Task<IReadOnlyList<BucketInfo>> ListAsync();

    /// <summary>The names of the buckets that have a configuration document of <paramref name="kind"/>, in name order.</summary>
    Task<IReadOnlyList<string>> ListWithConfigAsync(string kind);

    Task<bool> AnyAsync();

    /// <summary>
    /// Enables or suspends versioning (a bucket never goes back to unversioned). NoSuchBucket; InvalidBucketState when
    /// suspending a bucket with Object Lock.
    /// </summary>
    Task SetVersioningAsync(string name, VersioningState state);

    /// <summary>
    /// Enables Object Lock (if it is not) and sets the default retention (null: none). InvalidBucketState when the
    /// bucket's versioning is not enabled.
    /// </summary>
    Task SetObjectLockAsync(string name, DefaultRetention? defaultRetention);
}

/// <summary>
/// Objects and their versions. Every version of a key is kept here (a key of an unversioned bucket has one, the
/// <c>null</c> version); a key's versions are ordered by a sequence the catalogue assigns at commit, so the latest is
/// the last committed. Only removing a version (a DELETE naming it, replacing a <c>null</c> version) makes shards
/// garbage, and that path refuses a version under Object Lock (<see cref="ObjectLockRules"/>).
/// </summary>
public interface IObjectCatalogue
{
    /// <summary>The latest version of the key (maybe a delete marker), or the version named; null when there is none.</summary>
    Task<ObjectInfo?> GetAsync(string bucket, string key, string? versionId = null);

    /// <summary>
    /// Makes <paramref name="info"/> (a single-PUT object) the latest version at its key, in one transaction: the bucket
    /// must exist and the preconditions must hold against the latest version (a delete marker counts as no object).
    /// A <c>null</c> version id replaces the key's <c>null</c> version, whose shards are queued for deletion (returned);
    /// any other id is added beside the versions there.
    /// </summary>
    Task<IReadOnlyList<ObjectLayout>> CommitAsync(ObjectInfo info, string? ifMatch, bool ifNoneMatchAny);

    /// <summary>
    /// S3's DELETE. With a version id: removes that version or marker for good (its shards queued, returned), unless
    /// Object Lock protects it. Without: in an unversioned bucket removes the object; in an enabled one adds a delete
    /// marker; in a suspended one replaces the <c>null</c> version with a delete marker.
    /// </summary>
    Task<DeleteOutcome> DeleteAsync(string bucket, string key, string? versionId, bool bypassGovernance);

    /// <summary>
    /// One page of latest versions that are not delete markers, in UTF-8 binary key order, common prefixes rolled up;
    /// O(page), never a scan of the bucket or of a key's versions.
    /// </summary>
    Task<ListPage> ListAsync(ListRequest request);

    /// <summary>One page of versions and delete markers: keys in byte order, each key's newest first; O(page).</summary>
    /// <exception cref="ObjectStoreException">InvalidArgument when the version-id marker is not a version of the key marker.</exception>
    Task<VersionsPage> ListVersionsAsync(ListVersionsRequest request);

    /// <summary>
    /// Every version of the keys after <paramref name="afterKey"/> (null: from the start) that begin with
    /// <paramref name="prefix"/>, in key order and each key's newest first, with tags and lock, about
    /// <paramref name="limit"/> rows a page: a page always holds whole keys (a key with more versions than the limit
    /// comes whole, alone), so a caller that pages by the last key never sees a key split.
    /// </summary>
    Task<IReadOnlyList<VersionEntry>> ScanVersionsAsync(string bucket, string prefix, string? afterKey, int limit);

    /// <summary>How many versions and delete markers the bucket holds under <paramref name="prefix"/>.</summary>
    Task<long> CountVersionsAsync(string bucket, string prefix);

    /// <summary>
    /// A lifecycle expiry of one version, in one transaction, only if the version is still what the rule judged (the
    /// same sequence and tags, still latest or noncurrent as <paramref name="action"/> requires): otherwise
    /// <see cref="DeleteOutcome.Nothing"/>, so a pass that runs twice, or races a new write, never removes what it did
    /// not judge. Removing a version goes through the Object Lock rules as every removal does.
    /// </summary>
    Task<DeleteOutcome> ExpireAsync(string bucket, VersionEntry version, ExpiryAction action);

    /// <summary>
    /// Sets a version's retention (the latest when <paramref name="versionId"/> is null; null retention removes it),
    /// under <see cref="ObjectLockRules.CheckRetentionChange"/>. Returns the version id changed.
    /// </summary>
    Task<string> SetRetentionAsync(string bucket, string key, string? versionId, ObjectRetention? retention, bool bypassGovernance);

    /// <summary>Sets or clears a version's legal hold (the latest when <paramref name="versionId"/> is null). Returns the version id.</summary>
    Task<string> SetLegalHoldAsync(string bucket, string key, string? versionId, bool legalHold);

    /// <summary>Replaces a version's ACL (the latest when <paramref name="versionId"/> is null); returns the version id.</summary>
    Task<string> SetAclAsync(string bucket, string key, string? versionId, string? acl);

    /// <summary>Replaces a version's tags (the latest when <paramref name="versionId"/> is null); returns the version id.</summary>
    Task<string> SetTagsAsync(string bucket, string key, string? versionId, IReadOnlyDictionary<string, string> tags);

    /// <summary>
    /// Puts a recovered version back (and its bucket, and for a multipart object its parts), unless the key already
    /// holds a version with its data; returns false when it was skipped. It never frees data: of two <c>null</c>
    /// versions the newer stays the null version and the older gets an id of its own.
    /// </summary>
    Task<bool> RestoreAsync(ObjectInfo info);
}

/// <summary>A user: its own owner of buckets, limited by its identity policy (JSON; null: none, so nothing is allowed).</summary>
public sealed record UserRecord(string Name, string CanonicalId, DateTimeOffset Created, bool Disabled, string? Policy);

/// <summary>An access key; the secret is sealed under the master key by the caller, opaque here.</summary>
public sealed record AccessKeyRecord(string AccessKey, string UserName, byte[] SealedSecret, DateTimeOffset Created);

/// <summary>Users and their access keys.</summary>
public interface IIdentityCatalogue
{
    /// <summary>False when a user of that name exists.</summary>
    Task<bool> AddUserAsync(UserRecord user);

    Task<IReadOnlyList<UserRecord>> ListUsersAsync();

    /// <summary>False when there is no such user.</summary>
    Task<bool> SetDisabledAsync(string name, bool disabled);

    /// <summary>Sets (null: removes) the user's identity policy; false when there is no such user.</summary>
    Task<bool> SetPolicyAsync(string name, string? policy);

    /// <summary>Removes the user and its keys; false when there was none. Buckets it owns stay, owned by its id.</summary>
    Task<bool> RemoveUserAsync(string name);

    /// <summary>False when the user does not exist (or the key id is taken).</summary>
    Task<bool> AddKeyAsync(AccessKeyRecord key);

    /// <summary>Every key (of one user when named), oldest first.</summary>
    Task<IReadOnlyList<AccessKeyRecord>> ListKeysAsync(string? userName = null);

    Task<bool> RemoveKeyAsync(string accessKey);

    /// <summary>Replaces sealed secrets in one transaction (master key rotation).</summary>
    Task ResealAsync(IReadOnlyList<(string AccessKey, byte[] SealedSecret)> secrets);
}

/// <summary>A named key of the built-in key provider (SSE-KMS), sealed under the master key.</summary>
public sealed record KmsKeyRecord(string KeyId, byte[] Sealed, DateTimeOffset Created);

/// <summary>A payload's sealed data key, named by the payload's data id (a single PUT's object or a part).</summary>
public sealed record SealedDataKey(string DataId, byte[] Sealed);

/// <summary>Keys at rest: the built-in key provider's named keys and the sealed data keys of encrypted payloads.</summary>
public interface IKeyCatalogue
{
    /// <summary>False when a key with this id exists.</summary>
    Task<bool> AddKmsKeyAsync(KmsKeyRecord key);

    Task<KmsKeyRecord?> GetKmsKeyAsync(string keyId);

    /// <summary>Every named key, by id.</summary>
    Task<IReadOnlyList<KmsKeyRecord>> ListKmsKeysAsync();

    /// <summary>Replaces a named key's sealed material if it is still <paramref name="old"/> (master key rotation).</summary>
    Task<bool> ResealKmsKeyAsync(string keyId, byte[] old, byte[] resealed);

    /// <summary>How many payloads have a sealed data key.</summary>
    Task<long> CountDataKeysAsync();

    /// <summary>Sealed data keys of committed objects, parts and uploads' parts, by data id after <paramref name="afterDataId"/>.</summary>
    Task<IReadOnlyList<SealedDataKey>> ListDataKeysAsync(string? afterDataId, int limit);

    /// <summary>Whether any payload's data key is sealed by the key with this id (<c>MasterKey.SealedBy</c>).</summary>
    Task<bool> AnyDataKeySealedByAsync(uint sealerId);

    /// <summary>
    /// Replaces sealed data keys in one transaction, each only if it is still the old one (master key rotation);
    /// returns how many were replaced.
    /// </summary>
    Task<int> ResealDataKeysAsync(IReadOnlyList<(string DataId, byte[] Old, byte[] Resealed)> keys);
}

public interface IUploadCatalogue
{
    /// <summary>NoSuchBucket when the bucket does not exist.</summary>
    Task CreateAsync(MultipartUpload upload);

    /// <summary>The upload, if it is in progress at this bucket and key.</summary>
    Task<MultipartUpload?> GetAsync(string bucket, string key, string uploadId);

    /// <summary>Records a stored part; returns the layout of the part it replaced (now garbage), if any.</summary>
    /// <exception cref="ObjectStoreException">NoSuchUpload when the upload was completed or aborted meanwhile.</exception>
    Task<ObjectLayout?> CommitPartAsync(string bucket, string key, string uploadId, ObjectPart part);

    /// <summary>
    /// Completes an upload in one transaction, committing a version as <see cref="IObjectCatalogue.CommitAsync"/> does.
    /// <paramref name="assemble"/> sees the upload and all its stored parts (offsets not yet meaningful) and returns the object, whose <see cref="ObjectInfo.Parts"/> are the chosen ones;
    /// it throws to refuse (InvalidPart, EntityTooSmall, ...). Unchosen parts and a replaced null version become
    /// garbage (returned). A retry of a completion that already succeeded returns the object it made.
    /// </summary>
    Task<(ObjectInfo Object, IReadOnlyList<ObjectLayout> Garbage)> CompleteAsync(
        string bucket, string key, string uploadId, Func<MultipartUpload, IReadOnlyList<ObjectPart>, ObjectInfo> assemble);

    /// <summary>Ends an upload; returns its parts' layouts (now garbage). NoSuchUpload when it is not in progress.</summary>
    Task<IReadOnlyList<ObjectLayout>> AbortAsync(string bucket, string key, string uploadId);

    /// <summary>Parts after <paramref name="partNumberMarker"/> in number order (offsets not meaningful).</summary>
    Task<(IReadOnlyList<ObjectPart> Parts, bool IsTruncated)> ListPartsAsync(string uploadId, int partNumberMarker, int maxParts);

    /// <summary>One page of uploads in (key, upload id) order, common prefixes rolled up.</summary>
    Task<UploadsPage> ListAsync(ListUploadsRequest request);

    /// <summary>Uploads initiated before <paramref name="cutoff"/>, oldest first: abandoned, to be aborted.</summary>
    Task<IReadOnlyList<MultipartUpload>> InitiatedBeforeAsync(DateTimeOffset cutoff, int limit);
}

/// <summary>The bookkeeping of shards: garbage to delete, degraded shards to heal, and every stored layout.</summary>
public interface IShardCatalogue
{
    /// <summary>
    /// Layouts whose shards are garbage (replaced or deleted objects, dropped parts), in data-id order after
    /// <paramref name="afterDataId"/>: a collection pages past the ones it cannot free yet.
    /// </summary>
    Task<IReadOnlyList<ObjectLayout>> PendingDeletesAsync(int limit, string? afterDataId = null);

    /// <summary>Every shard of the data id is gone: forget it.</summary>
    Task CompleteDeleteAsync(string dataId);

    /// <summary>Records shards of a committed layout that are missing or bad, for healing (a shard once).</summary>
    Task RecordDegradedAsync(ObjectLayout layout, IReadOnlyCollection<int> indexes, string reason);

    /// <summary>Recorded degraded shards, oldest first.</summary>
    Task<IReadOnlyList<DegradedShard>> DegradedAsync(int limit);

    Task ClearDegradedAsync(string dataId);

    Task<long> CountDegradedAsync();

    /// <summary>What shards named after <paramref name="dataId"/> belong to: a single-PUT object or a part; null if nothing.</summary>
    Task<DataRef?> FindDataAsync(string dataId);

    /// <summary>True when a committed object, a part (of an upload or an object) or a pending delete names the data id.</summary>
    Task<bool> IsDataReferencedAsync(string dataId);

    /// <summary>
    /// Stored layouts of committed objects (single objects and completed parts) in data-id order after
    /// <paramref name="afterDataId"/>; optionally only objects of a bucket whose key starts with a prefix.
    /// </summary>
    Task<IReadOnlyList<DataRef>> ListDataAsync(string? afterDataId, int limit, string? bucket = null, string prefix = "");

    /// <summary>
    /// How many layouts <see cref="ListDataAsync"/> would list, and the bytes their shards encode, optionally only
    /// those with a shard on <paramref name="store"/>: a job's totals, known before it starts.
    /// </summary>
    Task<DataTotals> MeasureDataAsync(string? bucket = null, string prefix = "", string? store = null);

    /// <summary>Records that shard <paramref name="index"/> of a data id now lives on <paramref name="storeId"/>.</summary>
    Task<bool> MoveShardAsync(string dataId, int index, string storeId);
}

/// <summary>Background jobs under leases, and the workers that run them.</summary>
public interface IJobCatalogue
{
    Task<long> EnqueueAsync(string kind, string target, int priority = 0, int maxAttempts = 3);

    /// <summary>Queues a job unless one of the same kind and target is queued or running (one transaction).</summary>
    Task EnsureQueuedAsync(string kind, string target, int priority);

    /// <summary>
    /// One scheduling round and a claim, in one transaction: records <paramref name="worker"/>'s heartbeat; puts jobs
    /// whose lease expired (their worker died or stalled) back in the queue, with backoff, for another worker, or
    /// fails them when they are out of attempts; gives every unassigned job, and every job whose worker stopped
    /// reporting, to the best live worker (<see cref="JobPlacement"/>); then claims the most urgent job given to this
    /// worker, if any. A worker is live while its heartbeat is younger than <paramref name="workerTimeout"/>.
    /// </summary>
    Task<JobInfo?> ClaimAsync(WorkerInfo worker, TimeSpan lease, TimeSpan workerTimeout);

    /// <summary>Extends the lease and records progress; false when the lease was lost (another worker took over).</summary>
    Task<bool> RenewAsync(long id, string owner, TimeSpan lease, JobProgress progress);

    /// <summary>
    /// Ends a claimed job (only its lease owner can), with its result or <paramref name="failure"/>. A failure with
    /// attempts left goes back to the queue after <paramref name="backoff"/>.
    /// </summary>
    Task FinishAsync(long id, string owner, bool succeeded, string? failure, string? result, TimeSpan backoff);

    Task<JobInfo?> GetAsync(long id);

    /// <summary>
    /// Fails a queued or running job at once with <paramref name="reason"/> and no attempts left; false when it is
    /// not queued or running. Its lease is gone, so the worker running it loses its next renewal and stops.
    /// </summary>
    Task<bool> CancelAsync(long id, string reason);

    /// <summary>Queues a failed job again, its attempts reset, its error cleared, its checkpoint kept; false when it is not failed.</summary>
    Task<bool> RetryAsync(long id);

    /// <summary>The newest jobs first.</summary>
    Task<IReadOnlyList<JobInfo>> ListAsync(int limit);

    /// <summary>Deletes jobs that finished more than <paramref name="kept"/> ago; returns how many.</summary>
    Task<int> PruneFinishedAsync(TimeSpan kept);

    /// <summary>Every worker that has reported within <paramref name="liveWithin"/>, with its running and queued jobs.</summary>
    Task<IReadOnlyList<WorkerLoad>> ListWorkersAsync(TimeSpan liveWithin);
}

/// <summary>What the catalogue knows of each shard store: its drain state and the instance id it last reported.</summary>
public interface IStoreStateCatalogue
{
    Task SetStateAsync(string storeId, string state);

    Task<IReadOnlyDictionary<string, string>> StatesAsync();

    /// <summary>Records the instance a store reports and returns the one recorded before (null the first time).</summary>
    Task<string?> SwapInstanceAsync(string storeId, string instance);
}

/// <summary>A count of layouts and the bytes their shards encode.</summary>
public readonly record struct DataTotals(long Layouts, long Bytes);

/// <summary>One data id's place in the catalogue: the layout its shards follow and how many object bytes they hold.</summary>
public sealed record DataRef(ObjectLayout Layout, long Size, string Bucket, string Key);

/// <summary>A shard recorded as missing or bad.</summary>
public sealed record DegradedShard(string DataId, int Index, string StoreId, string Reason);

/// <summary>Store states a drain moves through.</summary>
public static class StoreStates
{
    public const string Draining = "draining";
    public const string Drained = "drained";
}

public static class CatalogueExtensions
{
    /// <summary>
    /// Every stored layout in data-id order, page by page (<see cref="IShardCatalogue.ListDataAsync"/>). Cancellation
    /// throws rather than ending the sequence early, so a pass that was cut short is never taken for a complete one.
    /// </summary>
    public static async IAsyncEnumerable<DataRef> EnumerateDataAsync(this IShardCatalogue shards,
        string? bucket = null, string prefix = "", [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        string? after = null;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var page = await shards.ListDataAsync(after, 500, bucket, prefix);
            if (page.Count == 0)
            {
                yield break;
            }
            foreach (var data in page)
            {
                yield return data;
            }
            after = page[^1].Layout.DataId;
        }
    }
}

/// <summary>
/// A catalogue this build must not open: one a newer build migrated, or a PostgreSQL catalogue a migration from SQLite
/// has not finished filling. The message says what to do; the host reports it in one line.
/// </summary>
public sealed class CatalogueRefusedException(string message) : InvalidOperationException(message);
