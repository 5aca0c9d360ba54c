using ObjStore.Core;

namespace ObjStore.Objects;

/// <summary>
/// Catalogue recovery from the shards alone: every shard ends with a footer naming its bucket, key, layout, sizes,
/// checksums and metadata (and, for a part, its upload and part number), so scanning the stores' footers is enough to
/// put buckets and objects back. Multipart objects come back from their parts: an upload whose parts 1..N are all
/// present is restored as completed with all of them (parts of an upload that was still in progress come back as an
/// object too; abort them by deleting the key). Where one key has several versions (an overwrite's old shards not
/// yet collected), the newest wins.
/// </summary>
public sealed partial class ErasureObjectLayer
{
    public async Task<(int Objects, int Shards)> RebuildCatalogueAsync(IJobProgress progress, CancellationToken cancellationToken)
    {
        var (byData, shards) = await ScanFootersAsync(progress, cancellationToken);
        int restored = 0;
        foreach (var (footer, placement) in byData.Values.Where(v => v.Footer.UploadId is null))
        {
            restored += await _catalogue.RestoreObjectAsync(SingleObjectFrom(footer, placement)) ? 1 : 0;
        }
        foreach (var upload in byData.Values.Where(v => v.Footer.UploadId is not null).GroupBy(v => v.Footer.UploadId!))
        {
            var parts = upload.OrderBy(p => p.Footer.PartNumber).ToList();
            if (parts.Select((p, i) => p.Footer.PartNumber == i + 1).Any(ok => !ok))
            {
                continue; // a gap: not a completed upload
            }
            long offset = 0;
            var objectParts = new List<ObjectPart>();
            foreach (var (footer, placement) in parts)
            {
                var layout = LayoutFrom(footer, placement);
                objectParts.Add(new ObjectPart(footer.PartNumber!.Value, offset, footer.Size, footer.ETag, footer.Checksum, layout) { LastModified = footer.Created });
                offset += footer.Size;
            }
            var first = parts[0].Footer;
            var (etag, algorithm, checksum) = CompletedDigest(objectParts, first.ChecksumAlgorithm);
            restored += await _catalogue.RestoreObjectAsync(new ObjectInfo
            {
                Bucket = first.Bucket,
                Key = first.Key,
                Size = offset,
                ETag = etag,
                ChecksumAlgorithm = algorithm,
                Checksum = checksum,
                LastModified = parts.Max(p => p.Footer.Created),
                ContentType = first.ContentType,
                StorageClass = first.StorageClass,
                Headers = first.Headers,
                UserMetadata = first.UserMetadata,
                Parts = objectParts,
                IsMultipart = true,
                UploadId = upload.Key,
            }) ? 1 : 0;
        }
        return (restored, shards);
    }

    /// <summary>
    /// Reads the footer of every shard on every store: per data id, one footer and the store holding each shard index
    /// (null where none was found). Also returns how many shards were scanned.
    /// </summary>
    private async Task<(Dictionary<string, (ShardFooter Footer, string?[] Placement)> ByData, int Shards)> ScanFootersAsync(
        IJobProgress? progress, CancellationToken cancellationToken)
    {
        var byData = new Dictionary<string, (ShardFooter Footer, string?[] Placement)>(StringComparer.Ordinal);
        int shards = 0;
        foreach (var store in _stores.Values)
        {
            await foreach (var entry in store.ListAsync(cancellationToken))
            {
                shards++;
                progress?.Advance(1, entry.Length);
                var footer = await ReadFooterAtEndAsync(store, entry, cancellationToken);
                if (footer is null || footer.Index < 0 || footer.Index >= footer.DataShards + footer.ParityShards)
                {
                    continue;
                }
                if (!byData.TryGetValue(footer.DataId, out var found))
                {
                    found = (footer, new string?[footer.DataShards + footer.ParityShards]);
                    byData[footer.DataId] = found;
                }
                found.Placement[footer.Index] = store.Id;
            }
        }
        return (byData, shards);
    }

    /// <summary>
    /// The layout a footer describes. An index no store holds is given a configured store (its shard is missing there,
    /// which reads route around and heal repairs): a layout must name a store for every index.
    /// </summary>
    private ObjectLayout LayoutFrom(ShardFooter footer, string?[] placement) =>
        new(footer.DataShards, footer.ParityShards, footer.StripeSize, footer.DataId,
            [.. placement.Select((id, i) => id ?? _topology[i % _topology.Count].Id)]);

    /// <summary>The single-PUT object a shard footer describes.</summary>
    private ObjectInfo SingleObjectFrom(ShardFooter footer, string?[] placement) => new()
    {
        Bucket = footer.Bucket,
        Key = footer.Key,
        Size = footer.Size,
        ETag = footer.ETag,
        LastModified = footer.Created,
        ContentType = footer.ContentType,
        StorageClass = footer.StorageClass,
        Headers = footer.Headers,
        UserMetadata = footer.UserMetadata,
        ChecksumAlgorithm = footer.ChecksumAlgorithm,
        Checksum = footer.Checksum,
        Parts = [new ObjectPart(1, 0, footer.Size, footer.ETag, footer.Checksum, LayoutFrom(footer, placement)) { LastModified = footer.Created }],
    };

    private static async Task<ShardFooter?> ReadFooterAtEndAsync(IShardStore store, ShardEntry entry, CancellationToken cancellationToken)
    {
        try
        {
            await using var reader = await store.OpenAsync(entry.ShardId, cancellationToken);
            return await ShardVerifier.ReadFooterAtEndAsync(reader, entry.Length, cancellationToken) is var (footer, _)
                && ShardId.For(footer.DataId, footer.Index) == entry.ShardId ? footer : null;
        }
        catch (Exception e) when (IsShardFailure(e))
        {
            return null;
        }
    }
}

/// <summary>Catalogue backups stored in the store itself, erasure-coded like any object, and found again by footer.</summary>
public sealed partial class ErasureObjectLayer
{
    public const string BackupPrefix = "catalogue-backups/";

    /// <summary>Backs the catalogue up into the system bucket and keeps the newest <paramref name="keep"/>; returns the key.</summary>
    public async Task<string> BackupCatalogueAsync(int keep, CancellationToken cancellationToken)
    {
        string temp = Path.Combine(Path.GetTempPath(), $"objstore-catalogue-{Guid.NewGuid():N}.db");
        try
        {
            await _catalogue.BackupToAsync(temp);
            await _catalogue.CreateBucketAsync(Naming.BackupBucket, _clock.GetUtcNow());
            string key = BackupPrefix + _clock.GetUtcNow().ToString("yyyyMMdd'T'HHmmssfff'Z'", System.Globalization.CultureInfo.InvariantCulture) + ".db";
            await using (var file = File.OpenRead(temp))
            {
                await PutObjectAsync(new PutObjectRequest
                {
                    Bucket = Naming.BackupBucket, Key = key, ContentType = "application/vnd.sqlite3", DeclaredLength = file.Length,
                }, file, cancellationToken);
            }
            var backups = await _catalogue.ListObjectsAsync(new ListRequest { Bucket = Naming.BackupBucket, Prefix = BackupPrefix, MaxKeys = 1000 });
            foreach (var old in backups.Objects.OrderByDescending(o => o.Key, StringComparer.Ordinal).Skip(keep))
            {
                await DeleteObjectAsync(Naming.BackupBucket, old.Key, cancellationToken);
            }
            return key;
        }
        finally
        {
            File.Delete(temp);
        }
    }

    /// <summary>
    /// Writes the newest catalogue backup found on the stores (by shard footer: the catalogue may be gone) to
    /// <paramref name="target"/>; returns its key, or null when there is none.
    /// </summary>
    public async Task<string?> RestoreNewestBackupAsync(string target, CancellationToken cancellationToken)
    {
        var (byData, _) = await ScanFootersAsync(null, cancellationToken);
        var backups = byData.Values
            .Where(v => v.Footer.UploadId is null && v.Footer.Bucket == Naming.BackupBucket && v.Footer.Key.StartsWith(BackupPrefix, StringComparison.Ordinal))
            .ToList();
        if (backups.Count == 0)
        {
            return null;
        }
        var newest = backups.MaxBy(v => v.Footer.Key, StringComparer.Ordinal);
        var info = SingleObjectFrom(newest.Footer, newest.Placement);
        await using (var file = new FileStream(target, FileMode.CreateNew, FileAccess.Write))
        {
            await ReadObjectAsync(info, 0, info.Size, file, cancellationToken);
            await file.FlushAsync(cancellationToken);
            file.Flush(flushToDisk: true);
        }
        return info.Key;
    }
}
