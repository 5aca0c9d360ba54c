using Microsoft.Extensions.DependencyInjection;
using ObjStore.Jobs;

namespace ObjStore.Hosting;

/// <summary>
/// Offline restore of a lost catalogue from the newest backup stored in the store itself: the same stores as the
/// server would build (dev folders or cluster nodes) over a scratch catalogue, the backup found by its shard footers
/// and read through the normal (erasure-decoding) read path into the catalogue's place. Run with the server stopped.
/// </summary>
public static class CatalogueRestore
{
    /// <returns>The backup's key, or null when the stores hold none.</returns>
    public static async Task<string?> RunAsync(IEnumerable<KeyValuePair<string, string?>> settings, StoreMode mode, string? target, bool force)
    {
        string scratch = Path.Combine(Path.GetTempPath(), $"objstore-restore-{Guid.NewGuid():N}");
        Directory.CreateDirectory(scratch);
        try
        {
            var overrides = settings.ToList();
            // Resolve the real target before pointing the host's catalogue at the scratch one.
            string? named = overrides.LastOrDefault(p => p.Key == $"{StoreOptions.Section}:{nameof(StoreOptions.Catalogue)}").Value;
            if (target is null && !string.IsNullOrWhiteSpace(named) && !named.Trim().StartsWith(CatalogueSetting.SqlitePrefix, StringComparison.OrdinalIgnoreCase))
            {
                throw new Storage.StartupException(
                    "The catalogue is on PostgreSQL, which is restored from its own backups (pg_dump, base backups and WAL): " +
                    "this command writes the store's newest catalogue backup as a SQLite file, so give it --target PATH; " +
                    "`objstore admin rebuild-metadata` rebuilds either catalogue from the shards.");
            }
            string catalogueKey = $"{StoreOptions.Section}:{nameof(StoreOptions.Catalogue)}", pathKey = $"{StoreOptions.Section}:{nameof(StoreOptions.MetadataPath)}";
            var probe = StoreHost.Build([], overrides
                .Where(p => p.Key != catalogueKey && p.Key != pathKey)
                .Append(new(catalogueKey, CatalogueSetting.SqlitePrefix + Path.Combine(scratch, "probe.db"))), mode, listens: false);
            var options = probe.Services.GetRequiredService<StoreOptions>();
            var settingsTarget = named is not null && named.Trim().StartsWith(CatalogueSetting.SqlitePrefix, StringComparison.OrdinalIgnoreCase)
                ? named.Trim()[CatalogueSetting.SqlitePrefix.Length..]
                : overrides.LastOrDefault(p => p.Key == $"{StoreOptions.Section}:{nameof(StoreOptions.MetadataPath)}").Value;
            target ??= settingsTarget ?? Path.Combine(Path.GetFullPath(options.DataDir), "catalogue.db");
            if (File.Exists(target) && !force)
            {
                throw new IOException($"{target} exists; move it away or pass --force.");
            }
            var backups = probe.Services.GetRequiredService<CatalogueBackups>();
            string partial = target + ".restoring";
            File.Delete(partial);
            string? key = await backups.RestoreNewestAsync(partial, CancellationToken.None);
            if (key is not null)
            {
                foreach (var stale in new[] { target, target + "-wal", target + "-shm" })
                {
                    File.Delete(stale);
                }
                File.Move(partial, target);
            }
            await probe.DisposeAsync();
            return key;
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(scratch, recursive: true);
        }
    }
}
