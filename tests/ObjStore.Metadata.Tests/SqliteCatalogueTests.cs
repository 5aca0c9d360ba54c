using Dapper;
using Microsoft.Data.Sqlite;
using ObjStore.Core;
using ObjStore.Metadata.Sqlite;

namespace ObjStore.Metadata.Tests;

/// <summary>The catalogue contract over SQLite, plus what is SQLite's own: its schema version.</summary>
public sealed class SqliteCatalogueTests : CatalogueContract
{
    private string? _dir;

    protected override ICatalogue Open(TimeProvider clock)
    {
        _dir ??= Directory.CreateTempSubdirectory("objstore-catalogue-").FullName;
        return new SqliteCatalogue(Path.Combine(_dir, "catalogue.db"), clock, synchronousFull: false);
    }

    protected override ICatalogue OpenCopy(string path) => new SqliteCatalogue(path, Clock, synchronousFull: false);

    public override void Dispose()
    {
        base.Dispose();
        SqliteConnection.ClearAllPools();
        Directory.Delete(_dir!, recursive: true);
    }

    [Fact]
    public void ACatalogueFromANewerBuildIsRefusedNotMigratedDown()
    {
        string path = Path.Combine(_dir!, "newer.db");
        new SqliteCatalogue(path, Clock).Dispose();
        using (var connection = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA user_version = 999";
            command.ExecuteNonQuery();
        }
        var refused = Assert.Throws<CatalogueRefusedException>(() => new SqliteCatalogue(path, Clock));
        Assert.Contains("newer", refused.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// A catalogue written before versioning (schema 6) opens with every object its key's null version, the latest,
    /// its shards still referenced where they were: the migration rewrites rows, never shards.
    /// </summary>
    [Fact]
    public async Task ObjectsWrittenBeforeVersioningBecomeNullVersions()
    {
        string path = Path.Combine(_dir!, "schema6.db");
        using (var connection = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            connection.Open();
            foreach (string migration in Schema.Migrations[..6])
            {
                connection.Execute(migration);
            }
            connection.Execute(
                """
                PRAGMA user_version = 6;
                INSERT INTO buckets(name, created) VALUES ('old', 1);
                INSERT INTO objects(bucket, key, size, etag, last_modified, data_id, data_shards, parity_shards, stripe_size, placement)
                    VALUES ('old', CAST('single' AS BLOB), 5, 'e1', 1000, 'd-single', 2, 1, 65536, 's0,s1,s2');
                INSERT INTO objects(bucket, key, size, etag, last_modified, data_id, data_shards, parity_shards, stripe_size, placement, parts_count)
                    VALUES ('old', CAST('multi' AS BLOB), 7, 'e2-2', 2000, 'upload-1', 0, 0, 0, '', 2);
                INSERT INTO parts(upload_id, part_number, size, etag, last_modified, data_id, data_shards, parity_shards, stripe_size, placement)
                    VALUES ('upload-1', 1, 3, 'p1', 2000, 'd-part1', 2, 1, 65536, 's0,s1,s2'),
                           ('upload-1', 2, 4, 'p2', 2000, 'd-part2', 2, 1, 65536, 's1,s2,s0');
                """);
        }

        using var migrated = new SqliteCatalogue(path, Clock, synchronousFull: false);
        var single = await migrated.Objects.GetAsync("old", "single");
        Assert.Equal((VersionIds.Null, true, false, "d-single"), (single!.VersionId, single.IsLatest, single.IsDeleteMarker, single.Parts[0].Layout.DataId));
        Assert.Equal(VersioningState.Unversioned, (await migrated.Buckets.GetAsync("old"))!.Versioning);
        var multi = await migrated.Objects.GetAsync("old", "multi", VersionIds.Null);
        Assert.Equal(["d-part1", "d-part2"], multi!.Parts.Select(p => p.Layout.DataId));
        Assert.Equal(["multi", "single"], (await migrated.Objects.ListAsync(new ListRequest { Bucket = "old" })).Objects.Select(o => o.Key));
        Assert.Equal(["d-part1", "d-part2", "d-single"], (await migrated.Shards.ListDataAsync(null, 10)).Select(d => d.Layout.DataId));

        // Versioning enabled afterwards keeps the null version beside the new ones.
        await migrated.Buckets.SetVersioningAsync("old", VersioningState.Enabled);
        await migrated.Objects.CommitAsync(single with { VersionId = VersionIds.New(Clock.GetUtcNow()), Parts = [single.Parts[0] with { Layout = single.Parts[0].Layout with { DataId = "d-new" } }] }, null, false);
        var versions = (await migrated.Objects.ListVersionsAsync(new ListVersionsRequest { Bucket = "old", Prefix = "single" })).Versions;
        Assert.Equal([false, true], versions.Select(v => v.VersionId == VersionIds.Null));
    }
}
