using Dapper;

namespace ObjStore.Metadata.Sqlite;

/// <summary>The catalogue in one SQLite file: every aggregate over the same database, so a commit spans them.</summary>
public sealed class SqliteCatalogue : ICatalogue
{
    /// <summary>The meter of the catalogue's commit latency and writes.</summary>
    public const string MeterName = "ObjStore.Catalogue";

    /// <summary>The schema version (user_version) this build migrates a catalogue file to.</summary>
    public static int SchemaVersion => Schema.Migrations.Length;

    private readonly string _path;

    private readonly SqliteDatabase _database;

    public SqliteCatalogue(string path, TimeProvider? clock = null, bool synchronousFull = true)
    {
        _path = Path.GetFullPath(path);
        _database = new SqliteDatabase(path, clock ?? TimeProvider.System, synchronousFull);
        Buckets = new SqliteBuckets(_database, Changes);
        Objects = new SqliteObjects(_database);
        Uploads = new SqliteUploads(_database);
        Shards = new SqliteShards(_database);
        Jobs = new SqliteJobs(_database);
        Stores = new SqliteStoreStates(_database, Changes);
        Identities = new SqliteIdentities(_database, Changes);
        Keys = new SqliteKeys(_database);
    }

    public IBucketCatalogue Buckets { get; }
    public IObjectCatalogue Objects { get; }
    public IUploadCatalogue Uploads { get; }
    public IShardCatalogue Shards { get; }
    public IJobCatalogue Jobs { get; }
    public IStoreStateCatalogue Stores { get; }
    public IIdentityCatalogue Identities { get; }
    public IKeyCatalogue Keys { get; }
    public CatalogueChanges Changes { get; } = new();

    /// <summary>The database under the aggregates, for tests: they hold its writer and read its group-commit statistics.</summary>
    internal SqliteDatabase Database => _database;

    /// <summary>A consistent, compacted copy (VACUUM INTO), taken on a reader connection while writes go on.</summary>
    public async Task BackupToAsync(string path)
    {
        await using var connection = await _database.OpenReaderAsync();
        await connection.ExecuteAsync("VACUUM INTO @path", new { path });
    }

    public Task<long> SizeBytesAsync() => Task.FromResult(FileBytes(_path) + FileBytes(_path + "-wal"));

    private static long FileBytes(string path)
    {
        var file = new FileInfo(path);
        return file.Exists ? file.Length : 0;
    }

    /// <summary>Three aggregate queries on one reader connection (scans of the objects and parts rows).</summary>
    public async Task<CatalogueUsage> MeasureUsageAsync()
    {
        await using var connection = await _database.OpenReaderAsync();
        long buckets = await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM buckets");
        var current = await connection.QuerySingleAsync<(long Count, long? Bytes)>(
            "SELECT COUNT(*), SUM(size) FROM objects WHERE is_latest = 1 AND delete_marker = 0");
        var all = await connection.QuerySingleAsync<(long Count, long? Bytes)>(
            "SELECT COUNT(*), SUM(size) FROM objects WHERE delete_marker = 0");
        long raw = await connection.ExecuteScalarAsync<long?>(
            """
            SELECT SUM((s + k - 1) / k * (k + m)) FROM (
                SELECT COALESCE(o.stored_size, o.size) AS s, o.data_shards AS k, o.parity_shards AS m
                FROM objects o WHERE o.parts_count = 0 AND o.delete_marker = 0 AND o.data_shards > 0
                UNION ALL
                SELECT COALESCE(p.stored_size, p.size), p.data_shards, p.parity_shards
                FROM parts p JOIN objects o ON o.data_id = p.upload_id AND o.parts_count > 0 WHERE p.data_shards > 0)
            """) ?? 0;
        return new CatalogueUsage(buckets, current.Count, current.Bytes ?? 0, all.Count, all.Bytes ?? 0, raw);
    }

    public void Dispose() => _database.Dispose();
}
