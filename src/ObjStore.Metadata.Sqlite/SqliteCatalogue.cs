using Dapper;

namespace ObjStore.Metadata.Sqlite;

/// <summary>The catalogue in one SQLite file: every aggregate over the same database, so a commit spans them.</summary>
public sealed class SqliteCatalogue : ICatalogue
{
    /// <summary>The meter of the catalogue's commit latency and writes.</summary>
    public const string MeterName = "ObjStore.Catalogue";

    private readonly SqliteDatabase _database;

    public SqliteCatalogue(string path, TimeProvider? clock = null, bool synchronousFull = true)
    {
        _database = new SqliteDatabase(path, clock ?? TimeProvider.System, synchronousFull);
        Buckets = new SqliteBuckets(_database);
        Objects = new SqliteObjects(_database);
        Uploads = new SqliteUploads(_database);
        Shards = new SqliteShards(_database);
        Jobs = new SqliteJobs(_database);
        Stores = new SqliteStoreStates(_database);
        Identities = new SqliteIdentities(_database);
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

    /// <summary>The database under the aggregates, for tests: they hold its writer and read its group-commit statistics.</summary>
    internal SqliteDatabase Database => _database;

    /// <summary>A consistent, compacted copy (VACUUM INTO), taken on a reader connection while writes go on.</summary>
    public async Task BackupToAsync(string path)
    {
        await using var connection = await _database.OpenReaderAsync();
        await connection.ExecuteAsync("VACUUM INTO @path", new { path });
    }

    public void Dispose() => _database.Dispose();
}
