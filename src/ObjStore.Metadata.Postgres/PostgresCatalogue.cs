using System.Data;
using Dapper;
using Microsoft.Data.Sqlite;
using Npgsql;
using ObjStore.Metadata.Sqlite;

namespace ObjStore.Metadata.Postgres;

/// <summary>
/// The catalogue in one PostgreSQL database, which several gateways may share: every aggregate over the same pool of
/// connections, so a commit spans them. Opening it migrates the schema (or refuses a newer one).
/// </summary>
public sealed class PostgresCatalogue : ICatalogue
{
    private readonly PostgresDatabase _database;

    /// <param name="connectionString">An Npgsql connection string or a <c>postgres://</c> URL (<see cref="PostgresConnection.Normalize"/>).</param>
    public PostgresCatalogue(string connectionString, TimeProvider? clock = null)
        : this(PostgresConnection.CreateDataSource(connectionString), clock, ownsDataSource: true)
    {
    }

    /// <summary>Over a data source the caller keeps (and disposes) itself.</summary>
    public PostgresCatalogue(NpgsqlDataSource dataSource, TimeProvider? clock = null)
        : this(dataSource, clock, ownsDataSource: false)
    {
    }

    private PostgresCatalogue(NpgsqlDataSource dataSource, TimeProvider? clock, bool ownsDataSource)
    {
        try
        {
            _database = new PostgresDatabase(dataSource, clock ?? TimeProvider.System, ownsDataSource);
            _database.RefuseAnUnfinishedMigration();
        }
        catch
        {
            if (ownsDataSource)
            {
                dataSource.Dispose();
            }
            throw;
        }
        Changes = new PostgresCatalogueChanges(dataSource, _database.Clock);
        Buckets = new PostgresBuckets(_database);
        Objects = new PostgresObjects(_database);
        Uploads = new PostgresUploads(_database);
        Shards = new PostgresShards(_database);
        Jobs = new PostgresJobs(_database);
        Stores = new PostgresStoreStates(_database);
        Identities = new PostgresIdentities(_database);
        Keys = new PostgresKeys(_database);
    }

    public IBucketCatalogue Buckets { get; }
    public IObjectCatalogue Objects { get; }
    public IUploadCatalogue Uploads { get; }
    public IShardCatalogue Shards { get; }
    public IJobCatalogue Jobs { get; }
    public IStoreStateCatalogue Stores { get; }
    public IIdentityCatalogue Identities { get; }
    public IKeyCatalogue Keys { get; }
    public CatalogueChanges Changes { get; }

    /// <summary>
    /// A logical copy into a SQLite catalogue file at <paramref name="path"/>, read in one REPEATABLE READ snapshot
    /// while writes go on: the store's catalogue backups have one format whatever the backend, and a restore (or
    /// <c>objstore restore-catalogue</c>) reads it as it reads SQLite's own. Operators of PostgreSQL keep their own
    /// backups too (pg_dump, base backups and WAL archiving); this one is the store's last resort, kept in the store.
    /// </summary>
    public async Task BackupToAsync(string path)
    {
        new SqliteCatalogue(path, _database.Clock, synchronousFull: false).Dispose(); // an empty catalogue of the current schema
        var target = new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString();
        await using var sqlite = new SqliteConnection(target);
        await sqlite.OpenAsync();
        await using var postgres = await _database.OpenReaderAsync();
        await using var snapshot = await postgres.BeginTransactionAsync(IsolationLevel.RepeatableRead);
        await using var into = (SqliteTransaction)await sqlite.BeginTransactionAsync();
        foreach (string table in PostgresSchema.Tables.Select(t => t.Name))
        {
            await using var select = new NpgsqlCommand($"SELECT * FROM {table}", postgres, snapshot);
            await using var reader = await select.ExecuteReaderAsync();
            var columns = Enumerable.Range(0, reader.FieldCount).Select(reader.GetName).ToArray();
            await using var insert = sqlite.CreateCommand();
            insert.Transaction = into;
#pragma warning disable CA2100 // table and column names are the schema's own, never input
            insert.CommandText = $"INSERT INTO {table} ({string.Join(", ", columns)}) VALUES ({string.Join(", ", columns.Select((_, i) => $"$p{i}"))})";
#pragma warning restore CA2100
            var parameters = columns.Select((_, i) => insert.Parameters.AddWithValue($"$p{i}", DBNull.Value)).ToArray();
            while (await reader.ReadAsync())
            {
                for (int i = 0; i < columns.Length; i++)
                {
                    parameters[i].Value = reader.GetValue(i);
                }
                await insert.ExecuteNonQueryAsync();
            }
        }
        await into.CommitAsync();
        await snapshot.CommitAsync();
    }

    public async Task<long> SizeBytesAsync()
    {
        await using var connection = await _database.OpenReaderAsync();
        return await connection.ExecuteScalarAsync<long>("SELECT pg_database_size(current_database())");
    }

    public void Dispose() => _database.Dispose();
}
