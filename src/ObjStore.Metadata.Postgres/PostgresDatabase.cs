using System.Data;
using System.Security.Cryptography;
using Dapper;
using Npgsql;

namespace ObjStore.Metadata.Postgres;

/// <summary>
/// One PostgreSQL database behind a pool of connections (<see cref="NpgsqlDataSource"/>), shared by every gateway of a
/// cluster. Unlike SQLite there is no single writer to lean on: each write is a READ COMMITTED transaction of its own
/// (PostgreSQL's WAL group commit batches their fsyncs, so ours is not needed) that takes the locks its invariants need
/// (<see cref="LockKey"/>, <c>FOR SHARE</c>/<c>FOR UPDATE</c> on the bucket or upload row, <c>SKIP LOCKED</c> for
/// jobs), and is run again from the start when PostgreSQL reports a deadlock or a serialization failure.
/// </summary>
internal sealed class PostgresDatabase : IDisposable
{
    /// <summary>Advisory lock spaces (the first key of <c>pg_advisory_xact_lock(int, int)</c>).</summary>
    internal const int MigrationLockSpace = 0x6F62_0000, KeyLockSpace = 0x6F62_0001, SchedulingLockSpace = 0x6F62_0002, JobKindLockSpace = 0x6F62_0003;

    /// <summary>How often a transaction that lost a deadlock or serialization race is run again before it fails.</summary>
    private const int Attempts = 5;

    private readonly NpgsqlDataSource _dataSource;
    private readonly bool _ownsDataSource;

    public PostgresDatabase(NpgsqlDataSource dataSource, TimeProvider clock, bool ownsDataSource)
    {
        _dataSource = dataSource;
        _ownsDataSource = ownsDataSource;
        Clock = clock;
        Migrate();
    }

    public TimeProvider Clock { get; }

    internal NpgsqlDataSource DataSource => _dataSource;

    /// <summary>Now, as the catalogue stores times: Unix milliseconds.</summary>
    public long Now() => Clock.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>A pooled connection, outside any transaction (each statement commits alone).</summary>
    public async Task<NpgsqlConnection> OpenReaderAsync()
    {
        try
        {
            return await _dataSource.OpenConnectionAsync();
        }
        catch (NpgsqlException e) when (e.IsTransient)
        {
            _dataSource.Clear(); // after a restart every pooled connection is dead: do not hand them out one by one
            throw;
        }
    }

    /// <summary>Runs <paramref name="work"/> on a connection of its own, outside a transaction (it may open one).</summary>
    public Task<T> WriteAsync<T>(Func<NpgsqlConnection, T> work) => RunAsync(connection => work(connection));

    /// <summary>
    /// Runs <paramref name="work"/> in a READ COMMITTED transaction and commits it; the work is run again, from the
    /// start in a new transaction, when PostgreSQL picked it as a deadlock victim or failed it for serialization, so
    /// it must only touch the database (and throw to refuse).
    /// </summary>
    public Task<T> TransactAsync<T>(Func<NpgsqlConnection, NpgsqlTransaction, T> work, IsolationLevel isolation = IsolationLevel.ReadCommitted) =>
        RunAsync(connection =>
        {
            using var tx = connection.BeginTransaction(isolation);
            var result = work(connection, tx);
            tx.Commit();
            return result;
        });

    /// <summary>
    /// <see cref="TransactAsync{T}(Func{NpgsqlConnection, NpgsqlTransaction, T}, IsolationLevel)"/> that also tells every listening gateway of <paramref name="change"/>
    /// (<see cref="PostgresCatalogueChanges"/>): NOTIFY in the same transaction is delivered when it commits and only
    /// if it does, so no gateway hears of a change it cannot yet read, and none misses one that committed.
    /// </summary>
    public Task<T> TransactAsync<T>(CatalogueChange change, Func<NpgsqlConnection, NpgsqlTransaction, T> work) =>
        TransactAsync((connection, tx) =>
        {
            var result = work(connection, tx);
            connection.Execute("SELECT pg_notify(@channel, @payload)", new { channel = PostgresCatalogueChanges.Channel, payload = change.ToPayload() }, tx);
            return result;
        });

    private async Task<T> RunAsync<T>(Func<NpgsqlConnection, T> work)
    {
        for (int attempt = 1; ; attempt++)
        {
            await using var connection = await OpenReaderAsync();
            try
            {
                // The statements are synchronous (Dapper's, as in the SQLite catalogue): each transaction is short.
                return work(connection);
            }
            catch (PostgresException e) when (attempt < Attempts && e.SqlState is PostgresErrorCodes.DeadlockDetected or PostgresErrorCodes.SerializationFailure)
            {
                await Task.Delay(Random.Shared.Next(1, 10 * attempt));
            }
            catch (NpgsqlException e) when (e.IsTransient && e is not PostgresException)
            {
                _dataSource.Clear();
                throw;
            }
        }
    }

    /// <summary>
    /// Serialises the transactions that change one key's versions (the latest flag, the sequence, conditional writes,
    /// Object Lock checks), across every gateway, until the transaction ends: what SQLite's single writer gave for free.
    /// A lock is taken on the key even when it has no row yet (<c>If-None-Match: *</c> on a new key), which a row lock
    /// could not do. Two keys whose hashes collide only wait for each other.
    /// </summary>
    public static void LockKey(NpgsqlConnection connection, NpgsqlTransaction tx, string bucket, byte[] key)
    {
        byte[] bytes = new byte[System.Text.Encoding.UTF8.GetByteCount(bucket) + 1 + key.Length];
        int n = System.Text.Encoding.UTF8.GetBytes(bucket, bytes);
        bytes[n] = 0;
        key.CopyTo(bytes, n + 1);
        int hash = BitConverter.ToInt32(SHA256.HashData(bytes), 0);
        connection.Execute("SELECT pg_advisory_xact_lock(@space, @hash)", new { space = KeyLockSpace, hash }, tx);
    }

    /// <summary>
    /// Brings the schema to this build's version under an advisory lock (gateways starting together migrate once);
    /// refuses a database a newer build migrated, rather than running over a schema it does not know.
    /// </summary>
    private void Migrate()
    {
        using var connection = _dataSource.OpenConnection();
        using var tx = connection.BeginTransaction();
        connection.Execute("SELECT pg_advisory_xact_lock(@space, 0)", new { space = MigrationLockSpace }, tx);
        connection.Execute("CREATE TABLE IF NOT EXISTS schema_version (version integer NOT NULL)", transaction: tx);
        int? stored = connection.ExecuteScalar<int?>("SELECT max(version) FROM schema_version", transaction: tx);
        int version = stored ?? 0;
        if (version > PostgresSchema.Migrations.Length)
        {
            throw new CatalogueRefusedException(
                $"The catalogue is at schema version {version}, newer than this build knows ({PostgresSchema.Migrations.Length}): run a newer objstore.");
        }
        for (int i = version; i < PostgresSchema.Migrations.Length; i++)
        {
            connection.Execute(PostgresSchema.Migrations[i], transaction: tx);
        }
        if (version < PostgresSchema.Migrations.Length)
        {
            connection.Execute("DELETE FROM schema_version", transaction: tx);
            connection.Execute("INSERT INTO schema_version(version) VALUES (@v)", new { v = PostgresSchema.Migrations.Length }, tx);
        }
        tx.Commit();
    }

    /// <summary>
    /// Refuses a catalogue that <c>objstore migrate-catalogue</c> is still filling (or found different from its
    /// source): served half-copied, objects would seem lost and their shards be collected as garbage.
    /// </summary>
    /// <exception cref="CatalogueRefusedException">A migration into this database is not verified.</exception>
    public void RefuseAnUnfinishedMigration()
    {
        using var connection = _dataSource.OpenConnection();
        if (connection.QueryFirstOrDefault<string>("SELECT source FROM catalogue_migration WHERE verified IS NULL LIMIT 1") is { } source)
        {
            throw new CatalogueRefusedException(
                $"The catalogue's migration from {source} is unfinished: run `objstore migrate-catalogue` again to finish it, before any gateway starts.");
        }
    }

    public void Dispose()
    {
        if (_ownsDataSource)
        {
            _dataSource.Dispose();
        }
    }
}
