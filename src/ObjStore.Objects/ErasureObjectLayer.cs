using System.Collections.Concurrent;
using System.IO.Pipelines;
using Microsoft.Extensions.Logging;
using ObjStore.Core;
using ObjStore.Erasure;
using ObjStore.Metadata;

namespace ObjStore.Objects;

/// <summary>
/// The object layer over erasure-coded shard stores and the SQLite catalogue. The same code serves dev mode (local
/// folders) and the cluster gateway (remote nodes): only the <see cref="IShardStore"/>s differ.
/// </summary>
public sealed partial class ErasureObjectLayer : IObjectLayer
{
    private readonly Catalogue _catalogue;
    private readonly IReadOnlyDictionary<string, IShardStore> _stores;
    private readonly IReadOnlyList<PlacementNode> _topology;
    private readonly ObjectLayerOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _clock;
    private readonly ConcurrentDictionary<(int, int), ReedSolomon> _codecs = new();
    private readonly ReadLatency _readLatency;
    private readonly StoreSpace _space;
    private readonly byte[] _shardKey;

    /// <param name="topology">Failure domain and weight of each store; by default each store is its own domain.</param>
    public ErasureObjectLayer(
        Catalogue catalogue, IEnumerable<IShardStore> stores, ObjectLayerOptions options, ILogger<ErasureObjectLayer> logger,
        TimeProvider? clock = null, IReadOnlyList<PlacementNode>? topology = null)
    {
        options.Validate();
        _catalogue = catalogue;
        _stores = stores.ToDictionary(s => s.Id, StringComparer.Ordinal);
        _topology = topology ?? [.. _stores.Keys.Order(StringComparer.Ordinal).Select(id => new PlacementNode(id, id))];
        if (_topology.Any(n => !_stores.ContainsKey(n.Id)))
        {
            throw new ArgumentException("Every node of the topology must be one of the stores.", nameof(topology));
        }
        _options = options;
        _shardKey = options.ShardDigestKey is { Length: > 0 } shardKey
            ? shardKey
            : throw new ArgumentException("ObjectLayerOptions.ShardDigestKey must be set.", nameof(options));
        _readLatency = new ReadLatency(options.HedgePercentile, options.HedgeFloor);
        _logger = logger;
        _clock = clock ?? TimeProvider.System;
        _space = new StoreSpace(_stores, options.ReserveBytes, _clock);
        if (_topology.Count < options.DataShards + options.ParityShards)
        {
            throw new ArgumentException(
                $"Layout {options.DataShards}+{options.ParityShards} needs {options.DataShards + options.ParityShards} stores; {_topology.Count} given.");
        }
    }

    // ---- buckets -------------------------------------------------------------------------------------------------

    public async Task CreateBucketAsync(string bucket, CancellationToken cancellationToken)
    {
        if (!Naming.IsValidBucketName(bucket))
        {
            throw new ObjectStoreException(ErrorKind.InvalidBucketName, $"'{bucket}' is not a valid bucket name.");
        }
        if (!await _catalogue.CreateBucketAsync(bucket, _clock.GetUtcNow()))
        {
            throw new ObjectStoreException(ErrorKind.BucketAlreadyOwnedByYou, $"You already own the bucket {bucket}.");
        }
    }

    public async Task DeleteBucketAsync(string bucket, CancellationToken cancellationToken)
    {
        if (!await _catalogue.DeleteBucketAsync(bucket))
        {
            throw NoSuchBucket(bucket);
        }
        await CollectPendingDeletesAsync(cancellationToken); // the parts of uploads that died with the bucket
    }

    public Task<BucketInfo?> GetBucketAsync(string bucket, CancellationToken cancellationToken) => _catalogue.GetBucketAsync(bucket);

    public Task<IReadOnlyList<BucketInfo>> ListBucketsAsync(CancellationToken cancellationToken) => _catalogue.ListBucketsAsync();

    // ---- objects -------------------------------------------------------------------------------------------------

    public async Task<ObjectInfo> GetObjectInfoAsync(string bucket, string key, CancellationToken cancellationToken)
    {
        var info = await _catalogue.GetObjectAsync(bucket, key);
        if (info is not null)
        {
            return info;
        }
        if (await _catalogue.GetBucketAsync(bucket) is null)
        {
            throw NoSuchBucket(bucket);
        }
        throw new ObjectStoreException(ErrorKind.NoSuchKey, "The specified key does not exist.");
    }

    public async Task<bool> DeleteObjectAsync(string bucket, string key, CancellationToken cancellationToken)
    {
        if (await _catalogue.GetBucketAsync(bucket) is null)
        {
            throw NoSuchBucket(bucket);
        }
        var removed = await _catalogue.DeleteObjectAsync(bucket, key);
        if (removed is not null)
        {
            await FreeShardsAsync(removed);
        }
        return removed is not null;
    }

    public async Task<ListPage> ListObjectsAsync(ListRequest request, CancellationToken cancellationToken)
    {
        if (await _catalogue.GetBucketAsync(request.Bucket) is null)
        {
            throw NoSuchBucket(request.Bucket);
        }
        return await _catalogue.ListObjectsAsync(request);
    }

    public Task<ObjectInfo> CopyObjectAsync(ObjectInfo source, PutObjectRequest destination, CancellationToken cancellationToken) =>
        PipeFromAsync(source, 0, source.Size, body => PutObjectAsync(destination with { DeclaredLength = source.Size }, body, cancellationToken), cancellationToken);

    /// <summary>
    /// Streams bytes of a committed object through a pipe into <paramref name="consume"/> (a new PUT or part): bounded
    /// memory, and the same commit protocol as any write.
    /// </summary>
    private async Task<T> PipeFromAsync<T>(ObjectInfo source, long offset, long length, Func<Stream, Task<T>> consume, CancellationToken cancellationToken)
    {
        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 4 << 20, resumeWriterThreshold: 2 << 20));
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var produce = Task.Run(async () =>
        {
            try
            {
                await using var sink = pipe.Writer.AsStream();
                await ReadObjectAsync(source, offset, length, sink, cancel.Token);
                await pipe.Writer.CompleteAsync();
            }
            catch (Exception e)
            {
                await pipe.Writer.CompleteAsync(e);
            }
        }, CancellationToken.None);
        try
        {
            await using var body = pipe.Reader.AsStream();
            return await consume(body);
        }
        finally
        {
            await cancel.CancelAsync();
            await produce;
        }
    }

    public async Task<Readiness> GetReadinessAsync(CancellationToken cancellationToken)
    {
        var stores = await Task.WhenAll(_stores.Values.Select(async s =>
        {
            var health = await StoreSpace.AskAsync(s, cancellationToken);
            return new StoreReadiness(s.Id, health.Ready, _space.IsFull(health), health.FreeBytes, health.TotalBytes);
        }));
        int quorum = _options.EffectiveWriteQuorum;
        return new Readiness(stores.Count(s => s.Up) >= quorum, stores.Count(s => s.Up && !s.Full) >= quorum,
            [.. stores.OrderBy(s => s.Id, StringComparer.Ordinal)]);
    }

    /// <summary>Frees the shards of replaced and deleted objects left over by a crash (they are in the catalogue).</summary>
    public async Task CollectPendingDeletesAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            var batch = await _catalogue.PendingDeletesAsync(100);
            if (batch.Count == 0)
            {
                return;
            }
            foreach (var layout in batch)
            {
                await FreeShardsAsync(layout);
            }
        }
    }

    private async Task FreeShardsAsync(IEnumerable<ObjectLayout> layouts)
    {
        foreach (var layout in layouts)
        {
            await FreeShardsAsync(layout);
        }
    }

    private async Task FreeShardsAsync(ObjectLayout layout)
    {
        bool all = true;
        await Task.WhenAll(layout.Placement.Select(async (storeId, index) =>
        {
            try
            {
                if (_stores.TryGetValue(storeId, out var store))
                {
                    await store.DeleteAsync(ShardId.For(layout.DataId, index), CancellationToken.None);
                }
            }
            catch (Exception e) when (e is IOException or HttpRequestException or TimeoutException or UnauthorizedAccessException)
            {
                all = false;
                LogShardDeleteFailed(_logger, layout.DataId, index, storeId, e);
            }
        }));
        if (all)
        {
            await _catalogue.CompleteDeleteAsync(layout.DataId);
        }
    }

    private ReedSolomon Codec(int k, int m) => _codecs.GetOrAdd((k, m), key => new ReedSolomon(key.Item1, key.Item2));

    private static ObjectStoreException NoSuchBucket(string bucket) =>
        new(ErrorKind.NoSuchBucket, $"The bucket {bucket} does not exist.");

    [LoggerMessage(EventId = 1004, Level = LogLevel.Warning, Message = "Rebalance skipped {DataId} ({Bucket}/{Key}) for now: {Reason}")]
    private static partial void LogRebalanceSkipped(ILogger logger, string dataId, string bucket, string key, string reason);

    [LoggerMessage(EventId = 1001, Level = LogLevel.Warning, Message = "Could not delete shard {DataId}.{Index} on {StoreId}; left for GC")]
    private static partial void LogShardDeleteFailed(ILogger logger, string dataId, int index, string storeId, Exception e);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Warning, Message = "Shard {Index} of {DataId} on {StoreId} failed during write; needs healing")]
    private static partial void LogShardWriteFailed(ILogger logger, string dataId, int index, string storeId, Exception e);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Warning, Message = "Shard {Index} of {DataId} on {StoreId} unreadable ({Reason}); reconstructing from parity")]
    private static partial void LogShardReadFailed(ILogger logger, string dataId, int index, string storeId, string reason);
}
