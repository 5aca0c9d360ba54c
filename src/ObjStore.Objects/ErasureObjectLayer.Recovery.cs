using System.Security.Cryptography;
using ObjStore.Core;
using ObjStore.Erasure;

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
        var byData = new Dictionary<string, (ShardFooter Footer, string[] Placement)>(StringComparer.Ordinal);
        int shards = 0;
        foreach (var store in _stores.Values)
        {
            await foreach (var entry in store.ListAsync(cancellationToken))
            {
                shards++;
                progress.Advance(1, entry.Length);
                var footer = await ReadFooterAtEndAsync(store, entry, cancellationToken);
                if (footer is null || footer.Index < 0 || footer.Index >= footer.DataShards + footer.ParityShards)
                {
                    continue;
                }
                if (!byData.TryGetValue(footer.DataId, out var found))
                {
                    found = (footer, new string[footer.DataShards + footer.ParityShards]);
                    byData[footer.DataId] = found;
                }
                found.Placement[footer.Index] = store.Id;
            }
        }

        int restored = 0;
        // A layout's placement must name a store for every index; a missing one is filled in (and healed later).
        string[] Complete(string[] placement) => [.. placement.Select((id, i) => id ?? _topology[i % _topology.Count].Id)];
        foreach (var (footer, placement) in byData.Values.Where(v => v.Footer.UploadId is null))
        {
            var layout = new ObjectLayout(footer.DataShards, footer.ParityShards, footer.StripeSize, footer.DataId, Complete(placement));
            restored += await _catalogue.RestoreObjectAsync(new ObjectInfo
            {
                Bucket = footer.Bucket,
                Key = footer.Key,
                Size = footer.Size,
                ETag = footer.ETag,
                LastModified = footer.Created,
                ContentType = footer.ContentType,
                Headers = footer.Headers,
                UserMetadata = footer.UserMetadata,
                ChecksumAlgorithm = footer.ChecksumAlgorithm,
                Checksum = footer.Checksum,
                Parts = [new ObjectPart(1, 0, footer.Size, footer.ETag, footer.Checksum, layout) { LastModified = footer.Created }],
            }) ? 1 : 0;
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
            using var md5s = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
            foreach (var (footer, placement) in parts)
            {
                var layout = new ObjectLayout(footer.DataShards, footer.ParityShards, footer.StripeSize, footer.DataId, Complete(placement));
                objectParts.Add(new ObjectPart(footer.PartNumber!.Value, offset, footer.Size, footer.ETag, footer.Checksum, layout) { LastModified = footer.Created });
                offset += footer.Size;
                md5s.AppendData(Convert.FromHexString(footer.ETag));
            }
            var first = parts[0].Footer;
            restored += await _catalogue.RestoreObjectAsync(new ObjectInfo
            {
                Bucket = first.Bucket,
                Key = first.Key,
                Size = offset,
                ETag = $"{Convert.ToHexStringLower(md5s.GetHashAndReset())}-{parts.Count}",
                LastModified = parts.Max(p => p.Footer.Created),
                ContentType = first.ContentType,
                Headers = first.Headers,
                UserMetadata = first.UserMetadata,
                Parts = objectParts,
                IsMultipart = true,
                UploadId = upload.Key,
            }) ? 1 : 0;
        }
        return (restored, shards);
    }

    private static async Task<ShardFooter?> ReadFooterAtEndAsync(IShardStore store, ShardEntry entry, CancellationToken cancellationToken)
    {
        try
        {
            int length = (int)Math.Min(entry.Length, FooterReadLimit);
            var tail = new byte[length];
            await using var reader = await store.OpenAsync(entry.ShardId, cancellationToken);
            int n = await reader.ReadAsync(entry.Length - length, tail, cancellationToken);
            var footer = ShardFooter.Parse(tail.AsSpan(0, n));
            return footer is not null && ShardId.For(footer.DataId, footer.Index) == entry.ShardId ? footer : null;
        }
        catch (Exception e) when (IsShardFailure(e))
        {
            return null;
        }
    }
}
