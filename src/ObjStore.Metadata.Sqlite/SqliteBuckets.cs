using Dapper;
using ObjStore.Core;

namespace ObjStore.Metadata.Sqlite;

internal sealed class SqliteBuckets(SqliteDatabase database) : IBucketCatalogue
{
    public Task<bool> CreateAsync(string name, DateTimeOffset created) => database.WriteAsync(connection =>
        connection.Execute(
            "INSERT INTO buckets(name, created) VALUES (@name, @created) ON CONFLICT(name) DO NOTHING",
            new { name, created = created.ToUnixTimeMilliseconds() }) == 1);

    public Task<bool> DeleteAsync(string name) => database.TransactAsync((connection, tx) =>
    {
        if (connection.ExecuteScalar<long>("SELECT EXISTS(SELECT 1 FROM objects WHERE bucket = @name)", new { name }, tx) != 0)
        {
            throw CatalogueErrors.BucketNotEmpty(name);
        }
        long now = database.Now();
        foreach (var uploadId in connection.Query<string>("SELECT upload_id FROM uploads WHERE bucket = @name", new { name }, tx).ToList())
        {
            Statements.DropUpload(connection, tx, uploadId, now);
        }
        return connection.Execute("DELETE FROM buckets WHERE name = @name", new { name }, tx) == 1;
    });

    public async Task<BucketInfo?> GetAsync(string name)
    {
        await using var connection = await database.OpenReaderAsync();
        var row = await connection.QuerySingleOrDefaultAsync<(string Name, long Created)?>(
            "SELECT name, created FROM buckets WHERE name = @name", new { name });
        return row is { } r ? new BucketInfo(r.Name, DateTimeOffset.FromUnixTimeMilliseconds(r.Created)) : null;
    }

    public async Task<IReadOnlyList<BucketInfo>> ListAsync()
    {
        await using var connection = await database.OpenReaderAsync();
        var rows = await connection.QueryAsync<(string Name, long Created)>("SELECT name, created FROM buckets ORDER BY name");
        return rows.Select(r => new BucketInfo(r.Name, DateTimeOffset.FromUnixTimeMilliseconds(r.Created))).ToList();
    }

    public async Task<bool> AnyAsync()
    {
        await using var connection = await database.OpenReaderAsync();
        return await connection.ExecuteScalarAsync<long>("SELECT EXISTS(SELECT 1 FROM buckets)") != 0;
    }
}
