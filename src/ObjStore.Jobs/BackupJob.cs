using ObjStore.Core;
using ObjStore.Core.Jobs;
using ObjStore.Metadata;
using ObjStore.Objects;

namespace ObjStore.Jobs;

/// <summary>
/// Catalogue backups stored in the store itself (system bucket <see cref="Naming.BackupBucket"/>), erasure-coded like
/// any object, and found again by footer when the catalogue is gone.
/// </summary>
public sealed class CatalogueBackups(ShardCluster cluster, ICatalogue catalogue, ErasureObjectLayer objects)
{
    public const string Prefix = "catalogue-backups/";

    /// <summary>Backs the catalogue up into the system bucket and keeps the newest <paramref name="keep"/>; returns the key.</summary>
    public async Task<string> BackupAsync(int keep, CancellationToken cancellationToken)
    {
        string temp = Path.Combine(Path.GetTempPath(), $"objstore-catalogue-{Guid.NewGuid():N}.db");
        try
        {
            await catalogue.BackupToAsync(temp);
            var now = cluster.Clock.GetUtcNow();
            await catalogue.Buckets.CreateAsync(Naming.BackupBucket, now);
            string key = Prefix + now.ToString("yyyyMMdd'T'HHmmssfff'Z'", System.Globalization.CultureInfo.InvariantCulture) + ".db";
            await using (var file = File.OpenRead(temp))
            {
                await objects.PutObjectAsync(new PutObjectRequest
                {
                    Bucket = Naming.BackupBucket,
                    Key = key,
                    Metadata = new ObjectMetadata { ContentType = "application/vnd.sqlite3" },
                    DeclaredLength = file.Length,
                }, file, cancellationToken);
            }
            var backups = await catalogue.Objects.ListAsync(new ListRequest { Bucket = Naming.BackupBucket, Prefix = Prefix, MaxKeys = 1000 });
            foreach (var old in backups.Objects.OrderByDescending(o => o.Key, StringComparer.Ordinal).Skip(keep))
            {
                await objects.DeleteObjectAsync(Naming.BackupBucket, old.Key, versionId: null, bypassGovernance: false, cancellationToken);
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
    public async Task<string?> RestoreNewestAsync(string target, CancellationToken cancellationToken)
    {
        var scan = new FooterScan(cluster);
        var (byData, _) = await scan.ScanAsync(null, cancellationToken);
        var newest = byData.Values
            .Where(v => v.Footer.UploadId is null && v.Footer.Bucket == Naming.BackupBucket && v.Footer.Key.StartsWith(Prefix, StringComparison.Ordinal))
            .MaxBy(v => v.Footer.Key, StringComparer.Ordinal);
        if (newest is null)
        {
            return null;
        }
        var info = scan.SingleObjectOf(newest);
        await using (var file = new FileStream(target, FileMode.CreateNew, FileAccess.Write))
        {
            await objects.ReadObjectAsync(info, 0, info.Size, file, null, cancellationToken);
            await file.FlushAsync(cancellationToken);
            file.Flush(flushToDisk: true);
        }
        return info.Key;
    }
}

/// <summary>Backup: a catalogue backup into the store itself, the oldest beyond the kept count deleted.</summary>
public sealed class BackupJob(CatalogueBackups backups, MaintenanceOptions options) : IBackgroundJob
{
    public string Kind => JobKinds.Backup;

    public async Task<object> RunAsync(string target, IJobProgress progress, CancellationToken cancellationToken) =>
        new { key = await backups.BackupAsync(options.BackupsKept, cancellationToken) };
}
