using System.Security.Cryptography;
using ObjStore.Core;
using ObjStore.Erasure;

namespace ObjStore.Objects;

public sealed partial class ErasureObjectLayer
{
    /// <summary>
    /// The write path: stripes are read from the body into one buffer while the previous stripe is hashed, encoded and
    /// written to all k+m shards in parallel (two stripe buffers, so memory is 2 x (k+m) blocks whatever the size).
    /// Shards are fsynced and renamed at commit; the catalogue row commits only when the write quorum is durable.
    /// </summary>
    public async Task<ObjectInfo> PutObjectAsync(PutObjectRequest request, Stream body, CancellationToken cancellationToken)
    {
        Naming.ValidateKey(request.Key);
        if (await _catalogue.GetBucketAsync(request.Bucket) is null)
        {
            throw NoSuchBucket(request.Bucket);
        }
        var now = _clock.GetUtcNow();
        ObjectInfo? info = null;
        var stored = await StoreAsync(request, body, _options.MaxObjectSize, data =>
        {
            info = new ObjectInfo
            {
                Bucket = request.Bucket,
                Key = request.Key,
                Size = data.Size,
                ETag = data.ETag,
                LastModified = now,
                ContentType = request.ContentType,
                Headers = request.Headers,
                UserMetadata = request.UserMetadata,
                ChecksumAlgorithm = request.ChecksumAlgorithm,
                Checksum = data.Checksum,
                StorageClass = request.StorageClass,
                Parts = [new ObjectPart(1, 0, data.Size, data.ETag, data.Checksum, data.Layout) { LastModified = now }],
            };
            return ShardFooter.Describe(info);
        }, cancellationToken);

        IReadOnlyList<ObjectLayout> replaced;
        try
        {
            replaced = await _catalogue.CommitObjectAsync(info!, request.IfMatch, request.IfNoneMatchAny);
        }
        catch
        {
            await FreeShardsAsync(stored.Layout);
            throw;
        }
        await FreeShardsAsync(replaced);
        await RecordMissingAsync(stored);
        return info!;
    }

    /// <summary>A write that met its quorum without every shard leaves the rest for healing.</summary>
    private async Task RecordMissingAsync(StoredData stored)
    {
        if (stored.Missing.Count > 0)
        {
            await _catalogue.RecordDegradedShardsAsync(stored.Layout, [.. stored.Missing], "not written");
        }
    }

    /// <summary>What <see cref="StoreAsync"/> wrote: durable shards (write quorum met) not yet in the catalogue.</summary>
    private sealed record StoredData(ObjectLayout Layout, long Size, string ETag, string? Checksum)
    {
        /// <summary>Shards that did not become durable (the write quorum was met without them): to heal.</summary>
        public IReadOnlyList<int> Missing { get; init; } = [];
    }

    /// <summary>
    /// Streams a body into a fresh set of k+m shards, verifies Content-MD5 and the flexible checksum, and commits the
    /// shards with the footer <paramref name="describe"/> gives (index 0; each shard gets its own index). The caller
    /// commits the catalogue row, or frees the shards if that fails.
    /// </summary>
    private async Task<StoredData> StoreAsync(
        PutObjectRequest request, Stream body, long maxSize, Func<StoredData, ShardFooter> describe, CancellationToken cancellationToken)
    {
        if (request.DeclaredLength > maxSize)
        {
            throw TooLarge(maxSize);
        }
        int k = _options.DataShards, m = _options.ParityShards;
        var layout = new StripeLayout(k, m, _options.StripeSize);
        string dataId = ShardId.NewDataId();
        var placement = Placement.Choose(OpenTopology(k + m), k + m, request.Bucket, request.Key, dataId);
        var objectLayout = new ObjectLayout(k, m, _options.StripeSize, dataId, placement);
        var shards = new ShardSet(this, dataId, placement);
        try
        {
            await shards.OpenAsync(cancellationToken);
            using var hasher = new ContentHasher(request.ChecksumAlgorithm);
            long size = await StreamStripesAsync(request, body, layout, maxSize, hasher, shards, cancellationToken);

            byte[] md5 = hasher.Md5();
            if (request.ExpectedMd5 is { } expectedMd5 && !CryptographicOperations.FixedTimeEquals(md5, expectedMd5))
            {
                throw new ObjectStoreException(ErrorKind.BadDigest, "The Content-MD5 you specified did not match what we received.");
            }
            string? checksum = hasher.Checksum();
            string? expectedChecksum = request.ExpectedChecksum?.Invoke();
            if (expectedChecksum is not null && expectedChecksum != checksum)
            {
                throw new ObjectStoreException(
                    ErrorKind.BadDigest, $"The {request.ChecksumAlgorithm.ToString().ToUpperInvariant()} you specified did not match the calculated checksum.");
            }
            var stored = new StoredData(objectLayout, size, Convert.ToHexStringLower(md5), checksum);
            var missing = await shards.CommitAsync(objectLayout, describe(stored), _options.EffectiveWriteQuorum, cancellationToken);
            return stored with { Missing = missing };
        }
        finally
        {
            await shards.DisposeAsync();
        }
    }

    private async Task<long> StreamStripesAsync(
        PutObjectRequest request, Stream body, StripeLayout layout, long maxSize, ContentHasher hasher, ShardSet shards, CancellationToken cancellationToken)
    {
        var codec = Codec(layout.DataShards, layout.ParityShards);
        using var first = new StripeBuffer(codec, layout);
        using var second = new StripeBuffer(codec, layout);
        var current = first;
        Task previous = Task.CompletedTask;
        long size = 0;
        try
        {
            while (true)
            {
                int read = await FillAsync(body, current.DataRegion, cancellationToken);
                size += read;
                if (size > maxSize)
                {
                    throw TooLarge(maxSize);
                }
                if (request.DeclaredLength is { } declared && size > declared)
                {
                    throw new ObjectStoreException(ErrorKind.InvalidArgument, "The body is longer than its declared Content-Length.");
                }
                await previous;
                if (read == 0)
                {
                    break;
                }
                previous = WriteStripeAsync(current, read, hasher, shards, cancellationToken);
                current = current == first ? second : first;
                if (read < layout.StripeDataSize)
                {
                    break;
                }
            }
            await previous;
        }
        catch
        {
            // Never leave a write in flight on a buffer that is about to go back to the pool.
            await Task.WhenAny(previous);
            throw;
        }
        if (request.DeclaredLength is { } expected && size != expected)
        {
            throw new ObjectStoreException(
                ErrorKind.IncompleteBody, $"You did not provide the number of bytes specified by the Content-Length ({size} of {expected}).");
        }
        return size;
    }

    private static async Task WriteStripeAsync(StripeBuffer stripe, int length, ContentHasher hasher, ShardSet shards, CancellationToken cancellationToken)
    {
        // MD5 runs on another core while this one encodes: hashing is the slowest step of a PUT.
        var data = stripe.DataRegion[..length];
        var hashing = Task.Run(() => hasher.Append(data.Span), CancellationToken.None);
        try
        {
            stripe.Seal(length);
            await shards.WriteStripeAsync(stripe, cancellationToken);
        }
        finally
        {
            await hashing;
        }
    }

    /// <summary>Reads until the buffer is full or the body ends. Client hang-ups surface as IncompleteBody.</summary>
    private static async Task<int> FillAsync(Stream body, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        try
        {
            return await body.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, cancellationToken);
        }
        catch (IOException e)
        {
            throw new ObjectStoreException(ErrorKind.IncompleteBody, "The request body ended early: " + e.Message, e);
        }
    }

    private static ObjectStoreException TooLarge(long maxSize) => new(
        ErrorKind.EntityTooLarge, $"Your proposed upload exceeds the maximum allowed size ({maxSize} bytes).");

    /// <summary>
    /// The k+m shard writers of one PUT; a writer that fails drops out, and the write fails below quorum. Each shard's
    /// footer digest (<see cref="ShardDigest"/>) is computed as its blocks are written, on that shard's own task.
    /// </summary>
    private sealed class ShardSet(ErasureObjectLayer owner, string dataId, IReadOnlyList<string> placement) : IAsyncDisposable
    {
        private readonly IShardWriter?[] _writers = new IShardWriter?[placement.Count];
        private readonly byte[][] _checksums = Enumerable.Range(0, placement.Count).Select(_ => new byte[StripeLayout.ChecksumSize]).ToArray();
        private readonly ShardDigest[] _digests = [.. Enumerable.Range(0, placement.Count).Select(i => ShardDigest.Create(owner._shardKey, ShardId.For(dataId, i)))];

        private int _full;

        private int Alive => _writers.Count(w => w is not null);

        /// <summary>Opens a writer on every store of the placement but those without room above the reserve.</summary>
        public async Task OpenAsync(CancellationToken cancellationToken)
        {
            var full = await owner._space.FullStoresAsync(placement, cancellationToken);
            _full = full.Count;
            await Task.WhenAll(placement.Select(async (storeId, index) =>
            {
                if (full.Contains(storeId))
                {
                    return;
                }
                try
                {
                    _writers[index] = await owner._stores[storeId].CreateAsync(ShardId.For(dataId, index), cancellationToken);
                }
                catch (Exception e) when (IsShardFailure(e))
                {
                    CountFull(e);
                    LogShardWriteFailed(owner._logger, dataId, index, storeId, e);
                }
            }));
            RequireQuorum("opening shards");
        }

        public async Task WriteStripeAsync(StripeBuffer stripe, CancellationToken cancellationToken)
        {
            await Task.WhenAll(_writers.Select(async (writer, index) =>
            {
                if (writer is null)
                {
                    return;
                }
                // Off the caller's thread, so the k+m shards' digests (and whatever the writers do) run in parallel.
                await Task.Yield();
                try
                {
                    stripe.WriteChecksum(index, _checksums[index]);
                    _digests[index].AppendStripe(stripe.Block(index).Span, _checksums[index]);
                    await writer.WriteAsync(stripe.Block(index), cancellationToken);
                    await writer.WriteAsync(_checksums[index], cancellationToken);
                }
                catch (Exception e) when (IsShardFailure(e))
                {
                    await DropAsync(index, e);
                }
            }));
            RequireQuorum("writing stripes");
        }

        /// <summary>Commits every live shard; returns the indexes that are not durable. Below quorum: frees all, throws.</summary>
        public async Task<IReadOnlyList<int>> CommitAsync(ObjectLayout layout, ShardFooter footer, int quorum, CancellationToken cancellationToken)
        {
            var committed = new bool[_writers.Length];
            await Task.WhenAll(_writers.Select(async (writer, index) =>
            {
                if (writer is null)
                {
                    return;
                }
                try
                {
                    await writer.CommitAsync((footer with { Index = index, Digest = _digests[index].Finish() }).Serialize(), cancellationToken);
                    committed[index] = true;
                }
                catch (Exception e) when (IsShardFailure(e))
                {
                    await DropAsync(index, e);
                }
            }));
            int durable = committed.Count(c => c);
            if (durable < quorum)
            {
                await owner.FreeShardsAsync(layout);
                throw QuorumFailure(durable, quorum, "committing shards");
            }
            return [.. Enumerable.Range(0, committed.Length).Where(i => !committed[i])];
        }

        public async ValueTask DisposeAsync()
        {
            foreach (var writer in _writers)
            {
                if (writer is not null)
                {
                    await writer.DisposeAsync();
                }
            }
            foreach (var digest in _digests)
            {
                digest.Dispose();
            }
        }

        private void CountFull(Exception e)
        {
            if (e is StoreFullException)
            {
                Interlocked.Increment(ref _full);
            }
        }

        /// <summary>
        /// Missing the quorum only because stores are full is not a reason to retry soon (507, not 503); missing it
        /// because stores are down as well is an outage that passes (503), whatever else is full.
        /// </summary>
        private Exception QuorumFailure(int have, int need, string stage) =>
            Volatile.Read(ref _full) > 0 && have + Volatile.Read(ref _full) >= need
                ? new InsufficientStorageException(have, need)
                : new WriteQuorumException(have, need, stage);

        private async Task DropAsync(int index, Exception e)
        {
            CountFull(e);
            LogShardWriteFailed(owner._logger, dataId, index, placement[index], e);
            var writer = _writers[index];
            _writers[index] = null;
            if (writer is not null)
            {
                await writer.DisposeAsync();
            }
        }

        private void RequireQuorum(string stage)
        {
            int need = owner._options.EffectiveWriteQuorum;
            if (Alive < need)
            {
                throw QuorumFailure(Alive, need, stage);
            }
        }
    }

    /// <summary>Failures of one shard store, which quorum absorbs; anything else (cancellation, bugs) propagates.</summary>
    private static bool IsShardFailure(Exception e) =>
        e is IOException or HttpRequestException or TimeoutException or UnauthorizedAccessException;
}
