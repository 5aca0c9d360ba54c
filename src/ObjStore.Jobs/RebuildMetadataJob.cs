using ObjStore.Core;
using ObjStore.Core.Jobs;
using ObjStore.Metadata;
using ObjStore.Objects;

namespace ObjStore.Jobs;

/// <summary>
/// Rebuild-metadata: puts buckets and objects back into the catalogue from the shards' footers alone (a lost or
/// restored-from-old-backup catalogue). Multipart objects come back from their parts: an upload whose parts 1..N are
/// all present is restored as completed with all of them (parts of an upload that was still in progress come back as
/// an object too; abort them by deleting the key). Every version comes back with its id, in the order it was written;
/// where one key has several null versions (an overwrite's old shards not yet collected), the newest wins. Delete
/// markers have no shards: a rebuild without a catalogue backup cannot bring them back (docs/design.md).
/// </summary>
public sealed class RebuildMetadataJob(ShardCluster cluster, ICatalogue catalogue) : IBackgroundJob
{
    private readonly FooterScan _scan = new(cluster);

    public string Kind => JobKinds.RebuildMetadata;

    public async Task<object> RunAsync(string target, IJobProgress progress, CancellationToken cancellationToken)
    {
        var (byData, shards) = await _scan.ScanAsync(progress, cancellationToken);
        int restored = 0;
        // A footer naming a version id this store never makes is not one of its footers.
        var footers = byData.Values.Where(v => v.Footer.VersionId is null || VersionIds.IsWellFormed(v.Footer.VersionId)).ToList();
        foreach (var found in footers.Where(v => v.Footer.UploadId is null))
        {
            restored += await catalogue.Objects.RestoreAsync(_scan.SingleObjectOf(found)) ? 1 : 0;
        }
        foreach (var upload in footers.Where(v => v.Footer.UploadId is not null).GroupBy(v => v.Footer.UploadId!))
        {
            if (MultipartObjectOf(upload.Key, [.. upload.OrderBy(p => p.Footer.PartNumber)]) is { } info)
            {
                restored += await catalogue.Objects.RestoreAsync(info) ? 1 : 0;
            }
        }
        return new { shardsScanned = shards, objectsRestored = restored };
    }

    /// <summary>The completed object an upload's parts make, or null when a part is missing (not a completed upload).</summary>
    private ObjectInfo? MultipartObjectOf(string uploadId, IReadOnlyList<FooterScan.Found> parts)
    {
        if (parts.Select((p, i) => p.Footer.PartNumber == i + 1).Any(ok => !ok))
        {
            return null;
        }
        long offset = 0;
        var objectParts = new List<ObjectPart>();
        foreach (var part in parts)
        {
            var footer = part.Footer;
            objectParts.Add(new ObjectPart(footer.PartNumber!.Value, offset, footer.ObjectSize, footer.ETag, footer.Checksum, _scan.LayoutOf(part))
            {
                LastModified = footer.Created,
                Encoding = footer.Encoding,
            });
            offset += footer.ObjectSize;
        }
        var first = parts[0].Footer;
        return ErasureObjectLayer.CompletedObject(first.Bucket, first.Key, uploadId, first.Metadata, objectParts, parts.Max(p => p.Footer.Created))
            with { VersionId = first.VersionId ?? VersionIds.Null, Lock = first.Lock };
    }
}
