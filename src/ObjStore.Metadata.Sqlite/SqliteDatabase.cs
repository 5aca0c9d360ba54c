using System.Data;
using Dapper;
using Microsoft.Data.Sqlite;

namespace ObjStore.Metadata.Sqlite;

/// <summary>
/// One SQLite file in WAL mode: one writer connection serialised by a lock (SQLite allows one writer); readers open
/// pooled connections of their own and never block the writer. Time comes from the clock, so tests run on a fake one.
/// </summary>
internal sealed class SqliteDatabase : IDisposable
{
    private readonly string _connectionString;
    private readonly SqliteConnection _writer;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private bool _disposed;

    public SqliteDatabase(string path, TimeProvider clock, bool synchronousFull)
    {
        Clock = clock;
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
        _writer = new SqliteConnection(_connectionString);
        _writer.Open();
        // FULL: an acknowledged PUT must survive power loss, not just a process crash.
        _writer.Execute($"PRAGMA journal_mode=WAL; PRAGMA synchronous={(synchronousFull ? "FULL" : "NORMAL")}; PRAGMA foreign_keys=ON;",
            commandType: CommandType.Text);
        Migrate();
    }

    public TimeProvider Clock { get; }

    /// <summary>Now, as the catalogue stores times: Unix milliseconds.</summary>
    public long Now() => Clock.GetUtcNow().ToUnixTimeMilliseconds();

    public async Task<SqliteConnection> OpenReaderAsync()
    {
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync();
        return connection;
    }

    /// <summary>Runs <paramref name="work"/> on the writer connection, alone.</summary>
    public async Task<T> WriteAsync<T>(Func<SqliteConnection, T> work)
    {
        await _writeLock.WaitAsync();
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return work(_writer);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>Runs <paramref name="work"/> in one write transaction, committed when it returns.</summary>
    public Task<T> TransactAsync<T>(Func<SqliteConnection, SqliteTransaction, T> work) => WriteAsync(connection =>
    {
        using var tx = connection.BeginTransaction();
        var result = work(connection, tx);
        tx.Commit();
        return result;
    });

    /// <summary>
    /// Waits for the write in progress (background work such as a job claim may still be in one while the host shuts
    /// down), then closes; later writes are refused with <see cref="ObjectDisposedException"/>.
    /// </summary>
    public void Dispose()
    {
        _writeLock.Wait();
        try
        {
            if (!_disposed)
            {
                _disposed = true;
                _writer.Dispose();
                SqliteConnection.ClearAllPools();
            }
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private void Migrate()
    {
        long version = _writer.ExecuteScalar<long>("PRAGMA user_version", commandType: CommandType.Text);
        if (version > Schema.Migrations.Length)
        {
            throw new InvalidOperationException(
                $"The catalogue is at schema version {version}, newer than this build knows ({Schema.Migrations.Length}): run a newer objstore.");
        }
        for (long i = version; i < Schema.Migrations.Length; i++)
        {
            using var tx = _writer.BeginTransaction();
            _writer.Execute(Schema.Migrations[i], transaction: tx, commandType: CommandType.Text);
            _writer.Execute($"PRAGMA user_version = {i + 1}", transaction: tx, commandType: CommandType.Text);
            tx.Commit();
        }
    }
}
