using System.Security.Cryptography;
using ObjStore.Core;
using ObjStore.Metadata;
using ObjStore.Storage.Format;

namespace ObjStore.Objects;

/// <summary>
/// Multipart uploads. Each part is erasure-coded as it arrives, exactly like a single PUT, and recorded in the
/// catalogue; completion validates the part list and writes metadata only, so completing a 10 GiB upload moves no data.
/// </summary>
public sealed partial class ErasureObjectLayer
{
    public const int MaxParts = 10_000;

    public async Task<MultipartUpload> CreateMultipartUploadAsync(PutObjectRequest request, CancellationToken cancellationToken)
    {
        Naming.ValidateKey(request.Key);
        var bucket = await RequireBucketAsync(request.Bucket);
        var now = _clock.GetUtcNow();
        var encryption = await ResolveEncryptionAsync(request.Metadata.Encryption, cancellationToken);
        var upload = new MultipartUpload
        {
            // The version the completed object will be if the bucket's versioning is the same then, decided now so
            // every part's footer can name it (CompleteMultipartUploadAsync decides again).
            VersionId = bucket.NewVersionId(now),
            Lock = LockFor(bucket, request.Lock, now),
            Acl = request.Acl,
            Owner = request.Owner,
            Tags = request.Tags,
            // Time first, so ids of one key sort in initiation order, as ListMultipartUploads must list them.
            UploadId = $"{now.ToUnixTimeMilliseconds():x12}{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(10))}",
            Bucket = request.Bucket,
            Key = request.Key,
            Initiated = now,
            Metadata = request.Metadata with { Encryption = encryption },
        };
        await _catalogue.Uploads.CreateAsync(upload);
        return upload;
    }

    public async Task<StoredPart> UploadPartAsync(PutObjectRequest request, string uploadId, int partNumber, Stream body, CancellationToken cancellationToken)
    {
        ValidatePartNumber(partNumber);
        var bucket = await RequireBucketAsync(request.Bucket);
        var upload = await RequireUploadAsync(request.Bucket, request.Key, uploadId);
        var uploadAlgorithm = upload.Metadata.ChecksumAlgorithm;
        var partAlgorithm = request.Metadata.ChecksumAlgorithm;
        if (uploadAlgorithm != ChecksumAlgorithm.None && partAlgorithm != ChecksumAlgorithm.None && partAlgorithm != uploadAlgorithm)
        {
            throw new ObjectStoreException(ErrorKind.InvalidRequest,
                $"Checksum Type mismatch occurred, expected checksum Type: {uploadAlgorithm}, actual checksum Type: {partAlgorithm}.");
        }
        // A part keeps a checksum only in the upload's algorithm: that is what completion combines and ListParts shows.
        // A checksum of a part in another algorithm (upload created without one) is verified, not kept.
        var algorithm = partAlgorithm != ChecksumAlgorithm.None ? partAlgorithm : uploadAlgorithm;
        CheckPartKey(upload, request.CustomerKey);
        var now = _clock.GetUtcNow();
        // Each part has its own data key: a part uploaded again never reuses a key with the same nonces.
        var compression = CompressionFor(bucket, request.Key, upload.Metadata.ContentType);
        var plan = await PlanAsync(upload.Metadata.Encryption, request.CustomerKey, compression, cancellationToken);
        var stored = await _writer.StoreAsync(request with { Metadata = request.Metadata with { ChecksumAlgorithm = algorithm } }, body, _options.MaxPartSize, plan,
            data => ShardFooter.Describe(upload, partNumber, data.Layout, data.Size, data.Encoding, data.ETag, data.Checksum, now), cancellationToken);
        string? checksum = uploadAlgorithm != ChecksumAlgorithm.None ? stored.Checksum : null;
        var part = new ObjectPart(partNumber, 0, stored.Size, stored.ETag, checksum, stored.Layout) { LastModified = now, Encoding = stored.Encoding };
        ObjectLayout? replaced;
        try
        {
            replaced = await _catalogue.Uploads.CommitPartAsync(request.Bucket, request.Key, uploadId, part);
        }
        catch
        {
            await _garbage.FreeAsync(stored.Layout); // completed or aborted meanwhile: this part belongs to nothing
            throw;
        }
        if (replaced is not null)
        {
            await _garbage.FreeAsync(replaced);
        }
        await RecordMissingAsync(stored);
        return new StoredPart(part, upload.Metadata.Encryption);
    }

    public async Task<StoredPart> UploadPartCopyAsync(
        PutObjectRequest request, string uploadId, int partNumber, ObjectInfo source, CustomerKey? sourceKey, long offset, long length,
        CancellationToken cancellationToken)
    {
        ValidatePartNumber(partNumber);
        CheckPartKey(await RequireUploadAsync(request.Bucket, request.Key, uploadId), request.CustomerKey);
        request = request with { DeclaredLength = length };
        return await PipeFromAsync(source, sourceKey, offset, length,
            body => UploadPartAsync(request, uploadId, partNumber, body, cancellationToken), cancellationToken);
    }

    /// <summary>
    /// Every part of an SSE-C upload comes with the key the upload was created with, and only those parts come with
    /// one, as S3 requires.
    /// </summary>
    private static void CheckPartKey(MultipartUpload upload, CustomerKey? customerKey)
    {
        bool customer = upload.Metadata.Encryption?.Mode == EncryptionMode.Customer;
        if (customer && customerKey is null)
        {
            throw new ObjectStoreException(ErrorKind.InvalidRequest,
                "The multipart upload initiate requested encryption. Subsequent part requests must include the appropriate encryption parameters.");
        }
        if (!customer && customerKey is not null)
        {
            throw new ObjectStoreException(ErrorKind.InvalidRequest,
                "The multipart upload initiate did not request encryption with a customer key. The encryption parameters are not applicable to this upload.");
        }
        if (customer && !customerKey!.Matches(upload.Metadata.Encryption!.CustomerKeyFingerprint ?? ""))
        {
            throw new ObjectStoreException(ErrorKind.InvalidArgument, "The provided encryption parameters did not match the ones used originally.");
        }
    }

    public async Task<ObjectInfo> CompleteMultipartUploadAsync(
        string bucket, string key, string uploadId, IReadOnlyList<CompletedPart> parts, CancellationToken cancellationToken)
    {
        if (parts.Count == 0)
        {
            throw new ObjectStoreException(ErrorKind.MalformedXml, "You must specify at least one part.");
        }
        for (int i = 1; i < parts.Count; i++)
        {
            if (parts[i].Number <= parts[i - 1].Number)
            {
                throw new ObjectStoreException(ErrorKind.InvalidPartOrder, "The list of parts was not in ascending order. The parts list must be specified in order by part number.");
            }
        }
        var bucketInfo = await RequireBucketAsync(bucket);
        var now = _clock.GetUtcNow();
        var (info, garbage) = await _catalogue.Uploads.CompleteAsync(bucket, key, uploadId,
            (upload, stored) => Assemble(upload, stored, parts, now) with { VersionId = VersionAtCompletion(upload, bucketInfo, now) });
        await _garbage.FreeAsync(garbage);
        return info with { BucketVersioning = bucketInfo.Versioning };
    }

    /// <summary>
    /// S3 versions a multipart object as the bucket is when the upload completes: an upload started while versioning
    /// was suspended and completed once it is enabled must not replace the null version. The id chosen at creation
    /// (which the parts' footers carry) is kept when the bucket is still enabled.
    /// </summary>
    private static string VersionAtCompletion(MultipartUpload upload, BucketInfo bucket, DateTimeOffset now) =>
        bucket.Versioning != VersioningState.Enabled ? VersionIds.Null
        : upload.VersionId != VersionIds.Null ? upload.VersionId
        : VersionIds.New(now);

    /// <summary>The object a completion makes, or the S3 error refusing it.</summary>
    private ObjectInfo Assemble(MultipartUpload upload, IReadOnlyList<ObjectPart> stored, IReadOnlyList<CompletedPart> requested, DateTimeOffset now)
    {
        var byNumber = stored.ToDictionary(p => p.Number);
        var chosen = new List<ObjectPart>(requested.Count);
        long offset = 0;
        var uploadAlgorithm = upload.Metadata.ChecksumAlgorithm;
        bool composite = HasCompositeChecksum(uploadAlgorithm);
        // Every named part must exist with its ETag before sizes are judged: an unknown part is InvalidPart.
        var found = requested.Select(want =>
        {
            if (!byNumber.TryGetValue(want.Number, out var part) || !string.Equals(want.ETag.Trim().Trim('"'), part.ETag, StringComparison.OrdinalIgnoreCase))
            {
                throw new ObjectStoreException(ErrorKind.InvalidPart,
                    $"Part {want.Number} could not be found or its ETag does not match. The part may not have been uploaded.");
            }
            if (want.Checksum is not null && part.Checksum is not null && want.Checksum != part.Checksum)
            {
                throw new ObjectStoreException(ErrorKind.InvalidPart, $"The checksum of part {want.Number} does not match the uploaded part.");
            }
            if (composite && part.Checksum is null)
            {
                throw new ObjectStoreException(ErrorKind.InvalidPart, $"Part {part.Number} has no {uploadAlgorithm} checksum.");
            }
            return part;
        }).ToList();
        for (int i = 0; i < found.Count; i++)
        {
            var part = found[i];
            if (i < found.Count - 1 && part.Size < _options.MinPartSize)
            {
                throw new ObjectStoreException(ErrorKind.EntityTooSmall,
                    $"Your proposed upload is smaller than the minimum allowed object size: part {part.Number} has {part.Size} bytes, every part but the last needs {_options.MinPartSize}.");
            }
            chosen.Add(part with { Offset = offset });
            offset += part.Size;
        }
        return CompletedObject(upload.Bucket, upload.Key, upload.UploadId, upload.Metadata, chosen, now) with { Lock = upload.Lock, Acl = upload.Acl, Owner = upload.Owner, Tags = upload.Tags };
    }

    /// <summary>CRC64NVME has only a full-object form in S3, which needs every byte again: such objects carry none.</summary>
    private static bool HasCompositeChecksum(ChecksumAlgorithm algorithm) => algorithm is not (ChecksumAlgorithm.None or ChecksumAlgorithm.Crc64Nvme);

    /// <summary>
    /// The object a completed multipart upload's parts (in order, with their offsets) make, at completion and when a
    /// catalogue is rebuilt from footers. ETag: MD5 of the concatenated binary part MD5s, then "-N". Checksum: composite
    /// (the upload's algorithm over the concatenated part checksums, then "-N"), when the algorithm has one and every
    /// part carries its checksum; otherwise none, and the object's algorithm is None.
    /// </summary>
    public static ObjectInfo CompletedObject(
        string bucket, string key, string uploadId, ObjectMetadata metadata, IReadOnlyList<ObjectPart> parts, DateTimeOffset lastModified)
    {
        var (etag, algorithm, checksum) = CompletedDigest(parts, metadata.ChecksumAlgorithm);
        return new ObjectInfo
        {
            Bucket = bucket,
            Key = key,
            Size = parts.Sum(p => p.Size),
            ETag = etag,
            LastModified = lastModified,
            Metadata = metadata with { ChecksumAlgorithm = algorithm },
            Checksum = checksum,
            Parts = parts,
            IsMultipart = true,
            UploadId = uploadId,
        };
    }

    private static (string ETag, ChecksumAlgorithm Algorithm, string? Checksum) CompletedDigest(IReadOnlyList<ObjectPart> parts, ChecksumAlgorithm algorithm)
    {
        bool composite = HasCompositeChecksum(algorithm) && parts.All(p => p.Checksum is not null);
        using var md5s = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
        using var checksums = new ContentHasher(composite ? algorithm : ChecksumAlgorithm.None);
        foreach (var part in parts)
        {
            md5s.AppendData(Convert.FromHexString(part.ETag));
            if (composite)
            {
                checksums.Append(Convert.FromBase64String(part.Checksum!));
            }
        }
        string suffix = "-" + parts.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return (Convert.ToHexStringLower(md5s.GetHashAndReset()) + suffix,
            composite ? algorithm : ChecksumAlgorithm.None,
            composite ? checksums.Checksum() + suffix : null);
    }

    public async Task AbortMultipartUploadAsync(string bucket, string key, string uploadId, CancellationToken cancellationToken) =>
        await _garbage.FreeAsync(await _catalogue.Uploads.AbortAsync(bucket, key, uploadId));

    public async Task<PartsPage> ListPartsAsync(string bucket, string key, string uploadId, int partNumberMarker, int maxParts, CancellationToken cancellationToken)
    {
        var upload = await RequireUploadAsync(bucket, key, uploadId);
        var (parts, truncated) = await _catalogue.Uploads.ListPartsAsync(uploadId, partNumberMarker, Math.Clamp(maxParts, 0, 1000));
        return new PartsPage(upload, parts, truncated);
    }

    public async Task<UploadsPage> ListMultipartUploadsAsync(ListUploadsRequest request, CancellationToken cancellationToken)
    {
        await RequireBucketAsync(request.Bucket);
        return await _catalogue.Uploads.ListAsync(request);
    }

    private async Task<MultipartUpload> RequireUploadAsync(string bucket, string key, string uploadId)
    {
        var upload = await _catalogue.Uploads.GetAsync(bucket, key, uploadId);
        if (upload is not null)
        {
            return upload;
        }
        await RequireBucketAsync(bucket);
        throw CatalogueErrors.NoSuchUpload();
    }

    private static void ValidatePartNumber(int partNumber)
    {
        if (partNumber is < 1 or > MaxParts)
        {
            throw new ObjectStoreException(ErrorKind.InvalidArgument, $"Part number must be an integer between 1 and {MaxParts}, inclusive.");
        }
    }
}
