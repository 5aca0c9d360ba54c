using Dapper;
using ObjStore.Core;
using ObjStore.Metadata.Sqlite;

namespace ObjStore.Metadata.Postgres;

internal sealed class PostgresBuckets(PostgresDatabase database) : IBucketCatalogue
{
    public Task<bool> CreateAsync(string name, DateTimeOffset created, bool objectLock = false, string owner = "",
        IReadOnlyDictionary<string, string>? configs = null) => database.TransactAsync(CatalogueChange.OfBucket(name), (connection, tx) =>
    {
        bool inserted = connection.Execute(
            "INSERT INTO buckets(name, created, versioning, object_lock, owner) VALUES (@name, @created, @versioning, @objectLock, @owner) ON CONFLICT(name) DO NOTHING",
            new
            {
                name,
                created = created.ToUnixTimeMilliseconds(),
                versioning = (long)(objectLock ? VersioningState.Enabled : VersioningState.Unversioned),
                objectLock = objectLock ? 1 : 0,
                owner,
            }, tx) == 1;
        if (inserted)
        {
            foreach (var (kind, document) in configs ?? new Dictionary<string, string>())
            {
                connection.Execute("INSERT INTO bucket_configs(bucket, kind, document) VALUES (@name, @kind, @document)", new { name, kind, document }, tx);
            }
        }
        return inserted;
    });

    public Task<bool> DeleteAsync(string name) => database.TransactAsync(CatalogueChange.OfBucket(name), (connection, tx) =>
    {
        // The row lock waits for every write into the bucket that holds it FOR SHARE (Statements.RequireBucket), so
        // the emptiness check below sees what they committed, and later ones find no bucket.
        if (connection.QuerySingleOrDefault<string>("SELECT name FROM buckets WHERE name = @name FOR UPDATE", new { name }, tx) is null)
        {
            return false;
        }
        if (connection.ExecuteScalar<bool>("SELECT EXISTS(SELECT 1 FROM objects WHERE bucket = @name)", new { name }, tx))
        {
            throw CatalogueErrors.BucketNotEmpty(name);
        }
        long now = database.Now();
        foreach (var uploadId in connection.Query<string>("SELECT upload_id FROM uploads WHERE bucket = @name", new { name }, tx).ToList())
        {
            Statements.DropUpload(connection, tx, uploadId, now);
        }
        connection.Execute("DELETE FROM bucket_configs WHERE bucket = @name", new { name }, tx);
        return connection.Execute("DELETE FROM buckets WHERE name = @name", new { name }, tx) == 1;
    });

    public async Task<BucketInfo?> GetAsync(string name)
    {
        await using var connection = await database.OpenReaderAsync();
        var row = await connection.QuerySingleOrDefaultAsync<BucketRow>($"SELECT {BucketRow.Columns} FROM buckets WHERE name = @name", new { name });
        if (row is null)
        {
            return null;
        }
        var configs = await connection.QueryAsync<(string Kind, string Document)>(
            "SELECT kind, document FROM bucket_configs WHERE bucket = @name", new { name });
        return row.ToInfo(configs.ToDictionary(c => c.Kind, c => c.Document, StringComparer.Ordinal));
    }

    public Task PutConfigAsync(string name, string kind, string document) => database.TransactAsync(CatalogueChange.OfBucket(name), (connection, tx) =>
    {
        Statements.RequireBucket(connection, tx, name);
        return connection.Execute(
            "INSERT INTO bucket_configs(bucket, kind, document) VALUES (@name, @kind, @document) ON CONFLICT(bucket, kind) DO UPDATE SET document = excluded.document",
            new { name, kind, document }, tx);
    });

    public Task<bool> DeleteConfigAsync(string name, string kind) => database.TransactAsync(CatalogueChange.OfBucket(name), (connection, tx) =>
    {
        Statements.RequireBucket(connection, tx, name);
        return connection.Execute("DELETE FROM bucket_configs WHERE bucket = @name AND kind = @kind", new { name, kind }, tx) == 1;
    });

    public async Task<IReadOnlyList<BucketInfo>> ListAsync()
    {
        await using var connection = await database.OpenReaderAsync();
        var rows = await connection.QueryAsync<BucketRow>($"SELECT {BucketRow.Columns} FROM buckets ORDER BY name");
        return rows.Select(r => r.ToInfo()).ToList();
    }

    public async Task<IReadOnlyList<string>> ListWithConfigAsync(string kind)
    {
        await using var connection = await database.OpenReaderAsync();
        return (await connection.QueryAsync<string>(
            "SELECT bucket FROM bucket_configs WHERE kind = @kind ORDER BY bucket", new { kind })).ToList();
    }

    public async Task<bool> AnyAsync()
    {
        await using var connection = await database.OpenReaderAsync();
        return await connection.ExecuteScalarAsync<bool>("SELECT EXISTS(SELECT 1 FROM buckets)");
    }

    public Task SetVersioningAsync(string name, VersioningState state) => database.TransactAsync(CatalogueChange.OfBucket(name), (connection, tx) =>
    {
        var bucket = Statements.RequireBucket(connection, tx, name, forUpdate: true);
        if (bucket.object_lock != 0 && state != VersioningState.Enabled)
        {
            throw CatalogueErrors.LockedBucketCannotSuspend();
        }
        return connection.Execute("UPDATE buckets SET versioning = @state WHERE name = @name", new { name, state = (long)state }, tx);
    });

    public Task SetObjectLockAsync(string name, DefaultRetention? defaultRetention) => database.TransactAsync(CatalogueChange.OfBucket(name), (connection, tx) =>
    {
        if ((VersioningState)Statements.RequireBucket(connection, tx, name, forUpdate: true).versioning != VersioningState.Enabled)
        {
            throw CatalogueErrors.LockNeedsVersioning();
        }
        return connection.Execute(
            "UPDATE buckets SET object_lock = 1, lock_mode = @mode, lock_days = @days, lock_years = @years WHERE name = @name",
            new { name, mode = defaultRetention is null ? null : RetentionModes.Name(defaultRetention.Mode), days = defaultRetention?.Days, years = defaultRetention?.Years }, tx);
    });
}
