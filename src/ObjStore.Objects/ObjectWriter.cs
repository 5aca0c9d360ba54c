using System.Security.Cryptography;
using ObjStore.Core;
using ObjStore.Erasure;
using ObjStore.Storage.Format;

namespace ObjStore.Objects;

/// <summary>
/// The write path: stripes are read from the body into one buffer while the previous stripe is hashed, encoded and
/// written to all k+m shards in parallel (two stripe buffers, so memory is 2 x (k+m) blocks whatever the size; a
/// body of one stripe uses one). Small objects are replicated instead (<see cref="ChooseLayout"/>).
/// Shards are fsynced and renamed at commit; the caller commits the catalogue row only once this returns, that is
/// once the write quorum is durable.
/// </summary>
public sealed class ObjectWriter(ShardCluster cluster)
{
    /// <summary>What <see cref="StoreAsync"/> wrote: durable shards (write quorum met) not yet in the catalogue.</summary>
    public sealed record StoredData(ObjectLayout Layout, long Size, string ETag, string? Checksum)
    {
        /// <summary>How the body was compressed or encrypted before erasure coding; null: stored as sent.</summary>
        public PartEncoding? Encoding { get; init; }

        /// <summary>Shards that did not become durable (the write quorum was met without them): to heal.</summary>
        public IReadOnlyList<int> Missing { get; init; } = [];
    }

    /// <summary>
    /// Streams a body into a fresh set of k+m shards, verifies Content-MD5 and the flexible checksum, and commits the
    /// shards with the footer <paramref name="describe"/> gives (index 0; each shard gets its own index). The caller
    /// commits the catalogue row, or frees the shards if that fails.
    /// </summary>
    public async Task<StoredData> StoreAsync(
        PutObjectRequest request, Stream body, long maxSize, PayloadPlan plan, Func<StoredData, ShardFooter> describe, CancellationToken cancellationToken)
    {
        if (request.DeclaredLength > maxSize)
        {
            throw TooLarge(maxSize);
        }
        var objectLayout = ChooseLayout(request, plan);
        var layout = new StripeLayout(objectLayout.DataShards, objectLayout.ParityShards, objectLayout.StripeSize);
        var shards = new ShardWriteSet(cluster, objectLayout);
        try
        {
            await shards.OpenAsync(cancellationToken);
            using var hasher = new ContentHasher(request.Metadata.ChecksumAlgorithm);
            long size;
            PartEncoding? encoding = null;
            if (plan.IsPlain)
            {
                // The bytes are the shards' bytes: each stripe is hashed on another core while it is encoded.
                size = await StreamStripesAsync(body, request.DeclaredLength, layout, maxSize, hasher, shards, cancellationToken);
            }
            else
            {
                // The plaintext is hashed and counted as the encoders pull it; the stripes hold what they make.
                var plaintext = new PlaintextMeter(body, hasher, request.DeclaredLength, maxSize, () => TooLarge(maxSize));
                await using var encoded = plan.Encode(plaintext, out var compressor);
                using var compression = compressor; // the encryption stream leaves its source open
                long storedSize = await StreamStripesAsync(encoded, null, layout, long.MaxValue, null, shards, cancellationToken);
                size = plaintext.BytesRead;
                CheckDeclaredLength(request.DeclaredLength, size);
                encoding = new PartEncoding(storedSize) { SealedKey = plan.Key?.Sealed, Frames = compressor?.Index!.ToBytes() };
            }

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
                    ErrorKind.BadDigest, $"The {request.Metadata.ChecksumAlgorithm.ToString().ToUpperInvariant()} you specified did not match the calculated checksum.");
            }
            var stored = new StoredData(objectLayout, size, plan.ETag(md5), checksum) { Encoding = encoding };
            var missing = await shards.CommitAsync(describe(stored), cancellationToken);
            return stored with { Missing = missing };
        }
        finally
        {
            await shards.DisposeAsync();
        }
    }

    /// <summary>
    /// The layout of a new object, decided before a byte is read: a declared size up to
    /// <see cref="ObjectLayerOptions.ReplicateUpTo"/> is stored as 1+m copies (one block of exactly its size, so a
    /// 4 KiB object costs three 4 KiB blocks, not two stripe buffers), anything else (a body of unknown length too)
    /// is striped k+m. Either way the shards go to distinct failure domains while there are enough.
    /// </summary>
    private ObjectLayout ChooseLayout(PutObjectRequest request, PayloadPlan plan)
    {
        var options = cluster.Options;
        string dataId = ShardId.NewDataId();
        long? stored = request.DeclaredLength is { } declared ? plan.MaxStoredLength(declared) : null;
        bool replicate = options.ReplicateUpTo > 0 && stored <= options.ReplicateUpTo;
        int k = replicate ? 1 : options.DataShards, m = options.ParityShards;
        int stripeSize = replicate ? ReplicatedStripeSize(stored!.Value, options.StripeSize) : options.StripeSize;
        var placement = Placement.Choose(cluster.OpenTopology(k + m), k + m, request.Bucket, request.Key, dataId);
        return new ObjectLayout(k, m, stripeSize, dataId, placement) { Kind = replicate ? LayoutKind.Replicated : LayoutKind.Striped };
    }

    /// <summary>The whole object in one block (64-byte aligned) when it fits a configured stripe, else stripes of that size.</summary>
    public static int ReplicatedStripeSize(long size, int configuredStripeSize) =>
        (int)Math.Clamp((size + 63) / 64 * 64, 64, configuredStripeSize);

    /// <summary>
    /// Streams <paramref name="body"/> into stripes and returns its length; hashes each stripe when given a hasher,
    /// and holds the body to <paramref name="declaredLength"/> when given one.
    /// </summary>
    private async Task<long> StreamStripesAsync(
        Stream body, long? declaredLength, StripeLayout layout, long maxSize, ContentHasher? hasher, ShardWriteSet shards, CancellationToken cancellationToken)
    {
        var codec = cluster.Codec(shards.Layout);
        using var first = new StripeBuffer(codec, layout);
        StripeBuffer? second = null; // only a body of more than one stripe needs the second buffer
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
                if (declaredLength is { } declared && size > declared)
                {
                    throw new ObjectStoreException(ErrorKind.InvalidArgument, "The body is longer than its declared Content-Length.");
                }
                await previous;
                if (read == 0)
                {
                    break;
                }
                previous = WriteStripeAsync(current, read, hasher, shards, cluster.Metrics, cancellationToken);
                if (read < layout.StripeDataSize)
                {
                    break;
                }
                current = current == first ? second ??= new StripeBuffer(codec, layout) : first;
            }
            await previous;
        }
        catch
        {
            // Never leave a write in flight on a buffer that is about to go back to the pool.
            await Task.WhenAny(previous);
            throw;
        }
        finally
        {
            second?.Dispose();
        }
        CheckDeclaredLength(declaredLength, size);
        return size;
    }

    private static void CheckDeclaredLength(long? declaredLength, long size)
    {
        if (declaredLength is { } expected && size != expected)
        {
            throw new ObjectStoreException(
                ErrorKind.IncompleteBody, $"You did not provide the number of bytes specified by the Content-Length ({size} of {expected}).");
        }
    }

    private static async Task WriteStripeAsync(
        StripeBuffer stripe, int length, ContentHasher? hasher, ShardWriteSet shards, ObjectLayerMetrics? metrics, CancellationToken cancellationToken)
    {
        // MD5 runs on another core while this one encodes: hashing is the slowest step of a PUT.
        var data = stripe.DataRegion[..length];
        var hashing = hasher is null ? Task.CompletedTask : Task.Run(() => hasher.Append(data.Span), CancellationToken.None);
        try
        {
            stripe.Seal(length);
            metrics?.Encoded(length);
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
}
