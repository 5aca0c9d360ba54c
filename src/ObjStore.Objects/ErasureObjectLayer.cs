using System.IO.Pipelines;
using System.Runtime.ExceptionServices;
using ObjStore.Core;
using ObjStore.Metadata;
using ObjStore.Storage.Format;

namespace ObjStore.Objects;

/// <summary>
/// The object API over erasure-coded shard stores and the catalogue: S3's semantics (buckets, PUT, GET, LIST, copy,
/// multipart) and the commit protocol, an object visible only once its shards meet the write quorum and its row
/// commits. The same code serves dev mode (local folders) and the cluster gateway (remote nodes): only the
/// <see cref="IShardStore"/>s differ. Background work (scrub, heal, drain, ...) lives in ObjStore.Jobs and shares
/// the <see cref="ShardCluster"/>.
/// </summary>
public sealed partial class ErasureObjectLayer : IObjectLayer
{
    private readonly ICatalogue _catalogue;
    private readonly ShardCluster _cluster;
    private readonly ObjectLayerOptions _options;
    private readonly TimeProvider _clock;
    private readonly ObjectWriter _writer;
    private readonly ObjectReader _reader;
    private readonly ShardGarbage _garbage;
    private readonly IDataKeys? _dataKeys;

    /// <param name="dataKeys">Makes and opens data keys; without it, a request for encryption is refused.</param>
    public ErasureObjectLayer(ICatalogue catalogue, ShardCluster cluster, IDataKeys? dataKeys = null)
    {
        _dataKeys = dataKeys;
        _catalogue = catalogue;
        _cluster = cluster;
        _options = cluster.Options;
        _clock = cluster.Clock;
        _writer = new ObjectWriter(cluster);
        _reader = new ObjectReader(cluster, catalogue.Shards, dataKeys);
        _garbage = new ShardGarbage(cluster, catalogue.Shards);
    }

    /// <summary>Frees the shards of replaced and deleted objects; shared with the GC job.</summary>
    public ShardGarbage Garbage => _garbage;

    // ---- buckets -------------------------------------------------------------------------------------------------

    public async Task CreateBucketAsync(string bucket, bool objectLock, string owner, IReadOnlyDictionary<string, string> configs, CancellationToken cancellationToken)
    {
        if (!Naming.IsValidBucketName(bucket))
        {
            throw new ObjectStoreException(ErrorKind.InvalidBucketName, $"'{bucket}' is not a valid bucket name.");
        }
        if (!await _catalogue.Buckets.CreateAsync(bucket, _clock.GetUtcNow(), objectLock, owner, configs))
        {
            var existing = await _catalogue.Buckets.GetAsync(bucket);
            throw existing is null || existing.Owner == owner
                ? new ObjectStoreException(ErrorKind.BucketAlreadyOwnedByYou, $"You already own the bucket {bucket}.")
                : new ObjectStoreException(ErrorKind.BucketAlreadyExists, "The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again.");
        }
    }

    public Task PutBucketConfigAsync(string bucket, string kind, string document, CancellationToken cancellationToken) =>
        _catalogue.Buckets.PutConfigAsync(bucket, kind, document);

    public Task<bool> DeleteBucketConfigAsync(string bucket, string kind, CancellationToken cancellationToken) =>
        _catalogue.Buckets.DeleteConfigAsync(bucket, kind);

    public Task<string> SetObjectAclAsync(string bucket, string key, string? versionId, string? acl, CancellationToken cancellationToken) =>
        _catalogue.Objects.SetAclAsync(bucket, key, versionId, acl);

    public Task<string> SetObjectTagsAsync(string bucket, string key, string? versionId, IReadOnlyDictionary<string, string> tags, CancellationToken cancellationToken) =>
        _catalogue.Objects.SetTagsAsync(bucket, key, versionId, tags);

    public async Task DeleteBucketAsync(string bucket, CancellationToken cancellationToken)
    {
        if (!await _catalogue.Buckets.DeleteAsync(bucket))
        {
            throw CatalogueErrors.NoSuchBucket(bucket);
        }
        await _garbage.CollectPendingAsync(cancellationToken); // the parts of uploads that died with the bucket
    }

    public Task<BucketInfo?> GetBucketAsync(string bucket, CancellationToken cancellationToken) => _catalogue.Buckets.GetAsync(bucket);

    public Task<IReadOnlyList<BucketInfo>> ListBucketsAsync(CancellationToken cancellationToken) => _catalogue.Buckets.ListAsync();

    public Task SetBucketVersioningAsync(string bucket, VersioningState state, CancellationToken cancellationToken) =>
        _catalogue.Buckets.SetVersioningAsync(bucket, state);

    public Task SetObjectLockConfigurationAsync(string bucket, DefaultRetention? defaultRetention, CancellationToken cancellationToken) =>
        _catalogue.Buckets.SetObjectLockAsync(bucket, defaultRetention);

    private async Task<BucketInfo> RequireBucketAsync(string bucket) =>
        await _catalogue.Buckets.GetAsync(bucket) ?? throw CatalogueErrors.NoSuchBucket(bucket);

    /// <summary>
    /// The lock a new version gets: the one asked for, else the bucket's default retention. Asking for one needs a
    /// bucket with Object Lock, and a retention that ends in the future.
    /// </summary>
    private static ObjectLock LockFor(BucketInfo bucket, ObjectLock? requested, DateTimeOffset now)
    {
        if (requested is not null && !bucket.ObjectLockEnabled)
        {
            throw new ObjectStoreException(ErrorKind.InvalidRequest, "Bucket is missing ObjectLockConfiguration");
        }
        if (requested?.Retention is { } asked && !asked.IsActive(now))
        {
            throw new ObjectStoreException(ErrorKind.InvalidArgument, "The retain until date must be in the future!");
        }
        var retention = requested?.Retention ?? bucket.DefaultRetention?.From(now);
        return retention is null && requested?.LegalHold is null ? ObjectLock.None : new ObjectLock(retention, requested?.LegalHold);
    }

    // ---- objects -------------------------------------------------------------------------------------------------

    public Task<ObjectInfo> PutObjectAsync(PutObjectRequest request, Stream body, CancellationToken cancellationToken) =>
        PutAsync(request, body, copied: false, cancellationToken);

    /// <summary>
    /// A PUT, or the write of a copy (<paramref name="copied"/>: its bytes come checked from a committed version). A
    /// client's body that becomes a locked version must come with Content-MD5 or a checksum, as S3 requires.
    /// </summary>
    private async Task<ObjectInfo> PutAsync(PutObjectRequest request, Stream body, bool copied, CancellationToken cancellationToken)
    {
        Naming.ValidateKey(request.Key);
        var bucket = await RequireBucketAsync(request.Bucket);
        var now = _clock.GetUtcNow();
        var objectLock = LockFor(bucket, request.Lock, now);
        if (!objectLock.IsNone && !copied && request.ExpectedMd5 is null && request.ExpectedChecksum is null)
        {
            throw new ObjectStoreException(ErrorKind.InvalidRequest,
                "Content-MD5 OR x-amz-checksum- HTTP header is required for Put Object requests with Object Lock parameters");
        }
        // Decided before the shards are written, so their footers name the version they belong to.
        string versionId = bucket.NewVersionId(now);
        request = request with { Metadata = request.Metadata with { Encryption = await ResolveEncryptionAsync(request.Metadata.Encryption, cancellationToken) } };
        var plan = await PlanAsync(request.Metadata.Encryption, request.CustomerKey, CompressionFor(bucket, request.Key, request.Metadata.ContentType), cancellationToken);
        ObjectInfo? info = null;
        var stored = await _writer.StoreAsync(request, body, _options.MaxObjectSize, plan, data =>
        {
            info = new ObjectInfo
            {
                Bucket = request.Bucket,
                Key = request.Key,
                Size = data.Size,
                ETag = data.ETag,
                LastModified = now,
                Metadata = request.Metadata,
                Checksum = data.Checksum,
                Parts = [new ObjectPart(1, 0, data.Size, data.ETag, data.Checksum, data.Layout) { LastModified = now, Encoding = data.Encoding }],
                VersionId = versionId,
                Lock = objectLock,
                Acl = request.Acl,
                Owner = request.Owner,
                Tags = request.Tags,
                BucketVersioning = bucket.Versioning,
            };
            return ShardFooter.Describe(info);
        }, cancellationToken);

        IReadOnlyList<ObjectLayout> replaced;
        try
        {
            replaced = await _catalogue.Objects.CommitAsync(info!, request.IfMatch, request.IfNoneMatchAny);
        }
        catch
        {
            await _garbage.FreeAsync(stored.Layout);
            throw;
        }
        await _garbage.FreeAsync(replaced);
        await RecordMissingAsync(stored);
        return info!;
    }

    /// <summary>The encryption a write asked for, completed by the key service (SSE-KMS's key resolved).</summary>
    private async Task<ObjectEncryption?> ResolveEncryptionAsync(ObjectEncryption? requested, CancellationToken cancellationToken) =>
        requested is null ? null : await RequireDataKeys().ResolveAsync(requested, cancellationToken);

    /// <summary>What a write of one payload does to its body: a fresh data key when the object is encrypted, compression when asked.</summary>
    private async Task<PayloadPlan> PlanAsync(
        ObjectEncryption? encryption, CustomerKey? customerKey, CompressionRequest? compression, CancellationToken cancellationToken)
    {
        if (encryption is null)
        {
            return compression is null ? PayloadPlan.Plain : new PayloadPlan(compression, null, EncryptionMode.None);
        }
        var key = await RequireDataKeys().CreateAsync(encryption, customerKey, cancellationToken);
        return new PayloadPlan(compression, key, encryption.Mode);
    }

    /// <summary>Compression when the bucket's settings (an admin setting, off unless set) match the object.</summary>
    private static CompressionRequest? CompressionFor(BucketInfo bucket, string key, string? contentType) =>
        bucket.Configs.TryGetValue(BucketConfigKinds.Compression, out var document) && CompressionSettings.Parse(document) is var settings
        && settings.Matches(key, contentType)
            ? new CompressionRequest(settings.Level)
            : null;

    private IDataKeys RequireDataKeys() =>
        _dataKeys ?? throw new ObjectStoreException(ErrorKind.InvalidRequest, "Server-side encryption is not configured on this store.");

    /// <summary>A write that met its quorum without every shard leaves the rest for healing.</summary>
    private async Task RecordMissingAsync(ObjectWriter.StoredData stored)
    {
        if (stored.Missing.Count > 0)
        {
            await _catalogue.Shards.RecordDegradedAsync(stored.Layout, [.. stored.Missing], "not written");
        }
    }

    public async Task<ObjectInfo> GetObjectInfoAsync(string bucket, string key, string? versionId, CancellationToken cancellationToken)
    {
        var info = await _catalogue.Objects.GetAsync(bucket, key, versionId);
        if (info is not null)
        {
            return info;
        }
        await RequireBucketAsync(bucket);
        throw versionId is null ? CatalogueErrors.NoSuchKey() : CatalogueErrors.NoSuchVersion();
    }

    public Task ReadObjectAsync(ObjectInfo info, long offset, long length, Stream destination, CustomerKey? customerKey, CancellationToken cancellationToken) =>
        _reader.ReadObjectAsync(info, offset, length, destination, customerKey, cancellationToken);

    public async Task<DeleteOutcome> DeleteObjectAsync(string bucket, string key, string? versionId, bool bypassGovernance, CancellationToken cancellationToken)
    {
        var outcome = await _catalogue.Objects.DeleteAsync(bucket, key, versionId, bypassGovernance);
        await _garbage.FreeAsync(outcome.Garbage);
        return outcome;
    }

    /// <summary>A lifecycle expiry (<see cref="IObjectCatalogue.ExpireAsync"/>), freeing what it removed.</summary>
    public async Task<DeleteOutcome> ExpireAsync(string bucket, VersionEntry version, ExpiryAction action)
    {
        var outcome = await _catalogue.Objects.ExpireAsync(bucket, version, action);
        await _garbage.FreeAsync(outcome.Garbage);
        return outcome;
    }

    public Task<string> SetObjectRetentionAsync(
        string bucket, string key, string? versionId, ObjectRetention? retention, bool bypassGovernance, CancellationToken cancellationToken)
    {
        if (retention is not null && !retention.IsActive(_clock.GetUtcNow()))
        {
            throw new ObjectStoreException(ErrorKind.InvalidArgument, "The retain until date must be in the future!");
        }
        return _catalogue.Objects.SetRetentionAsync(bucket, key, versionId, retention, bypassGovernance);
    }

    public Task<string> SetObjectLegalHoldAsync(string bucket, string key, string? versionId, bool legalHold, CancellationToken cancellationToken) =>
        _catalogue.Objects.SetLegalHoldAsync(bucket, key, versionId, legalHold);

    public async Task<ListPage> ListObjectsAsync(ListRequest request, CancellationToken cancellationToken)
    {
        await RequireBucketAsync(request.Bucket);
        return await _catalogue.Objects.ListAsync(request);
    }

    public async Task<VersionsPage> ListObjectVersionsAsync(ListVersionsRequest request, CancellationToken cancellationToken)
    {
        await RequireBucketAsync(request.Bucket);
        return await _catalogue.Objects.ListVersionsAsync(request);
    }

    public Task<ObjectInfo> CopyObjectAsync(ObjectInfo source, CustomerKey? sourceKey, PutObjectRequest destination, CancellationToken cancellationToken) =>
        PipeFromAsync(source, sourceKey, 0, source.Size,
            body => PutAsync(destination with { DeclaredLength = source.Size }, body, copied: true, cancellationToken), cancellationToken);

    /// <summary>
    /// Streams bytes of a committed object through a pipe into <paramref name="consume"/> (a new PUT or part): bounded
    /// memory, and the same commit protocol as any write.
    /// </summary>
    private async Task<T> PipeFromAsync<T>(
        ObjectInfo source, CustomerKey? sourceKey, long offset, long length, Func<Stream, Task<T>> consume, CancellationToken cancellationToken)
    {
        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 4 << 20, resumeWriterThreshold: 2 << 20));
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Exception? sourceFailure = null;
        var produce = Task.Run(async () =>
        {
            try
            {
                await using var sink = pipe.Writer.AsStream();
                await _reader.ReadObjectAsync(source, offset, length, sink, sourceKey, cancel.Token);
                await pipe.Writer.CompleteAsync();
            }
            catch (Exception e)
            {
                sourceFailure = e;
                await pipe.Writer.CompleteAsync(e);
            }
        }, CancellationToken.None);
        try
        {
            await using var body = pipe.Reader.AsStream();
            return await consume(body);
        }
        catch
        {
            // The source failed (a lost quorum, a wrong key, damage): that is the error, not the body it cut short.
            if (await StoppedAsync() is { } failure)
            {
                ExceptionDispatchInfo.Throw(failure);
            }
            throw;
        }
        finally
        {
            await StoppedAsync();
        }

        async Task<Exception?> StoppedAsync()
        {
            await cancel.CancelAsync();
            await produce;
            return sourceFailure is OperationCanceledException ? null : sourceFailure;
        }
    }

    public async Task<Readiness> GetReadinessAsync(CancellationToken cancellationToken)
    {
        var stores = await Task.WhenAll(_cluster.Stores.Values.Select(async s =>
        {
            var health = await StoreSpace.AskAsync(s, cancellationToken);
            return new StoreReadiness(s.Id, health.Ready, _cluster.Space.IsFull(health), health.FreeBytes, health.TotalBytes);
        }));
        return new Readiness(Quorum.CanWrite(_options, stores.Count(s => s.Up)), Quorum.CanWrite(_options, stores.Count(s => s.Up && !s.Full)),
            [.. stores.OrderBy(s => s.Id, StringComparer.Ordinal)]);
    }
}
