using System.Data;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Runtime.ExceptionServices;
using Dapper;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace ObjStore.Metadata.Sqlite;

/// <summary>
/// One SQLite file in WAL mode: one writer connection (SQLite allows one writer) fed by a queue; readers open pooled
/// connections of their own and never wait for the writer. Time comes from the clock, so tests run on a fake one.
/// </summary>
/// <remarks>
/// Group commit, as <c>FileSystemSync</c> does for syncfs. A <see cref="TransactAsync"/> that finds the writer idle
/// runs its batch at once, on its own thread (no added latency, no thread hop at one client); those arriving while a
/// batch runs and commits wait in the queue and go together into the next one, up to <see cref="MaxBatch"/>. So a
/// unit waits for company at most as long as the commit in flight, and not at all when the writer is idle. Each unit
/// runs in a SAVEPOINT of the batch's one transaction, in arrival order, so it sees the units before it exactly as if
/// they had committed alone, and a unit that throws rolls back only its own changes. Every caller's task completes
/// only after the batch's COMMIT has returned (synced to the WAL with synchronous=FULL): success is never reported
/// before the caller's rows are durable. A failed COMMIT fails every unit of the batch.
/// </remarks>
internal sealed class SqliteDatabase : IDisposable
{
    /// <summary>
    /// The most units in one transaction: bounds how long a caller waits on the units ahead of it in its batch (and
    /// the size of the transaction). Random-key inserts gain little past about 100 rows a transaction here.
    /// </summary>
    internal const int MaxBatch = 256;

    /// <summary>
    /// Process-wide, as a catalogue is opened by more than hosts (restores, benchmarks) and has no meter factory to
    /// ask: every host exports it (<see cref="SqliteCatalogue.MeterName"/>).
    /// </summary>
    private static readonly Meter Meter = new(SqliteCatalogue.MeterName);

    private static readonly Histogram<double> CommitDuration = Meter.CreateHistogram("objstore.catalogue.commit.duration", "s",
        "Time to run and commit one batch of catalogue writes (group commit: one fsync for all of them).", tags: null,
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1] });

    private static readonly Counter<long> CommittedUnits = Meter.CreateCounter<long>("objstore.catalogue.commit.units", "{write}",
        "Catalogue writes run, each in a batch's transaction or alone.");

    private readonly string _connectionString;
    private readonly SqliteConnection _writer;
    // Prepared once on the writer connection: the savepoints cost a unit no SQL text and no statement preparation.
    private readonly SqliteCommand _savepoint, _release, _rollbackTo;
    private readonly Lock _lock = new();
    private readonly Queue<Unit> _queue = new();
    private readonly List<Unit> _batch = new(MaxBatch); // only the writer touches it
    private readonly ManualResetEventSlim _idle = new(initialState: true);
    private bool _writing;
    private bool _disposed;
    private long _batches, _units;

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
        // FULL: an acknowledged PUT must survive power loss, not just a process crash. temp_store=MEMORY keeps the
        // journals of the units' savepoints in memory, never in temporary files (each is dropped when its unit is released).
        _writer.Execute(
            $"PRAGMA journal_mode=WAL; PRAGMA synchronous={(synchronousFull ? "FULL" : "NORMAL")}; PRAGMA foreign_keys=ON; PRAGMA temp_store=MEMORY;",
            commandType: CommandType.Text);
        Migrate();
        PointReads = new PointReaders(_connectionString);
        _savepoint = Command("SAVEPOINT unit");
        _release = Command("RELEASE unit");
        _rollbackTo = Command("ROLLBACK TO unit");
    }

    public TimeProvider Clock { get; }

    /// <summary>The hottest reads, on connections of their own with prepared statements.</summary>
    public PointReaders PointReads { get; }

    /// <summary>Now, as the catalogue stores times: Unix milliseconds.</summary>
    public long Now() => Clock.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>Batches committed and the transactional units they held, for tests: batching shows as fewer batches than units.</summary>
    internal (long Batches, long Units) Statistics => (Interlocked.Read(ref _batches), Interlocked.Read(ref _units));

    public async Task<SqliteConnection> OpenReaderAsync()
    {
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync();
        return connection;
    }

    /// <summary>
    /// Runs <paramref name="work"/> on the writer connection alone, outside any transaction (its statements commit
    /// one by one, or it opens a transaction of its own), in its place in the queue: never inside a batch.
    /// </summary>
    public Task<T> WriteAsync<T>(Func<SqliteConnection, T> work) => Enqueue(new Unit<T>((connection, _) => work(connection), alone: true));

    /// <summary>
    /// Runs <paramref name="work"/> in a write transaction, possibly shared with other callers' work (each in a
    /// savepoint of its own); the task completes once that transaction has committed, with the work's result or the
    /// exception it threw (its changes then rolled back, the others' kept).
    /// </summary>
    public Task<T> TransactAsync<T>(Func<SqliteConnection, SqliteTransaction, T> work) => Enqueue(new Unit<T>((connection, tx) => work(connection, tx!), alone: false));

    private Task<T> Enqueue<T>(Unit<T> unit)
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return Task.FromException<T>(new ObjectDisposedException(nameof(SqliteDatabase)));
            }
            _queue.Enqueue(unit);
            if (_writing)
            {
                return unit.Task; // the writer takes it into its next batch
            }
            _writing = true;
            _idle.Reset();
        }
        // The writer was idle: this caller writes its batch on its own thread, with no hand-over to another (as the
        // lone writer did before batching), and is answered as soon as it has committed. Units that queued meanwhile
        // get a loop of their own.
        if (TakeBatch())
        {
            RunBatch();
            if (TakeBatch())
            {
                // Without the first caller's execution context: its trace and log scopes are not the later units'.
                using (ExecutionContext.SuppressFlow())
                {
                    _ = Task.Run(WriterLoop);
                }
            }
        }
        return unit.Task;
    }

    private void WriterLoop()
    {
        do
        {
            RunBatch();
        }
        while (TakeBatch());
    }

    /// <summary>
    /// Takes the next batch off the queue, in arrival order; when there is none, the writer goes idle (false). Only
    /// the one writer (<see cref="_writing"/>) calls it.
    /// </summary>
    private bool TakeBatch()
    {
        lock (_lock)
        {
            if (_queue.Count == 0)
            {
                _writing = false;
                _idle.Set();
                return false;
            }
            // A unit that must run alone is a batch by itself; a batch stops before the next one.
            _batch.Add(_queue.Dequeue());
            while (!_batch[0].Alone && _batch.Count < MaxBatch && _queue.TryPeek(out var next) && !next.Alone)
            {
                _batch.Add(_queue.Dequeue());
            }
            return true;
        }
    }

    private void RunBatch()
    {
        long started = Stopwatch.GetTimestamp();
        if (_batch[0].Alone)
        {
            _batch[0].Run(_writer, null);
            _batch[0].Finish(EndLeftOpenTransaction());
        }
        else
        {
            Commit(_batch);
        }
        CommitDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds);
        CommittedUnits.Add(_batch.Count);
        _batch.Clear();
    }

    private bool InAutocommit => raw.sqlite3_get_autocommit(_writer.Handle) != 0;

    /// <summary>
    /// A unit run alone that left a transaction open would make every later batch fail to begin its own: roll it back
    /// and fail that unit instead.
    /// </summary>
    private InvalidOperationException? EndLeftOpenTransaction()
    {
        if (InAutocommit)
        {
            return null;
        }
        using var rollback = _writer.CreateCommand();
        rollback.CommandText = "ROLLBACK";
        rollback.ExecuteNonQuery();
        return new InvalidOperationException("A write left its transaction open; it was rolled back.");
    }

    /// <summary>One transaction for the batch, a savepoint per unit; callers hear only after COMMIT returned.</summary>
    private void Commit(List<Unit> batch)
    {
        Exception? failure = null;
        SqliteTransaction? tx = null;
        try
        {
            tx = _writer.BeginTransaction();
            _savepoint.Transaction = _release.Transaction = _rollbackTo.Transaction = tx;
            foreach (var unit in batch)
            {
                _savepoint.ExecuteNonQuery();
                if (unit.Run(_writer, tx) is { } error)
                {
                    if (InAutocommit)
                    {
                        // SQLite rolled back the whole transaction (an I/O error, disk full): the batch is lost, for this cause.
                        ExceptionDispatchInfo.Throw(error);
                    }
                    _rollbackTo.ExecuteNonQuery(); // this unit's changes only
                }
                else if (InAutocommit)
                {
                    // The unit committed or rolled back the batch's transaction itself: what the units before it
                    // wrote is no longer known, so none of them is told it landed.
                    throw new InvalidOperationException("A unit of work ended the transaction it shares with others.");
                }
                _release.ExecuteNonQuery();
            }
            tx.Commit();
        }
#pragma warning disable CA1031 // whatever failed the transaction is every unit's answer, never the end of the writer
        catch (Exception e)
#pragma warning restore CA1031
        {
            failure = e;
        }
        finally
        {
            TryDispose(tx);
        }
        Interlocked.Increment(ref _batches);
        Interlocked.Add(ref _units, batch.Count);
        foreach (var unit in batch)
        {
            unit.Finish(failure);
        }
    }

    /// <summary>Rolls back what a failed batch left open; nothing after a COMMIT.</summary>
    private static void TryDispose(SqliteTransaction? tx)
    {
        try
        {
            tx?.Dispose();
        }
        catch (SqliteException)
        {
            // SQLite had already rolled the transaction back: there is nothing to undo, and the connection is free.
        }
    }

    private SqliteCommand Command(string sql)
    {
        var command = _writer.CreateCommand();
        command.CommandText = sql;
        command.Prepare();
        return command;
    }

    /// <summary>
    /// Refuses new writes and those still queued with <see cref="ObjectDisposedException"/>, waits for the batch in
    /// progress (background work such as a job claim may still be in one while the host shuts down), then closes.
    /// </summary>
    public void Dispose()
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }
            _disposed = true;
            while (_queue.TryDequeue(out var unit))
            {
                unit.Finish(new ObjectDisposedException(nameof(SqliteDatabase)));
            }
        }
        _idle.Wait();
        _idle.Dispose();
        _savepoint.Dispose();
        _release.Dispose();
        _rollbackTo.Dispose();
        PointReads.Dispose();
        _writer.Dispose();
        SqliteConnection.ClearAllPools();
    }

    private void Migrate()
    {
        long version = _writer.ExecuteScalar<long>("PRAGMA user_version", commandType: CommandType.Text);
        if (version > Schema.Migrations.Length)
        {
            throw new CatalogueRefusedException(
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

    /// <summary>One caller's work in the queue: run on the writer, then finished once its batch is settled.</summary>
    private abstract class Unit
    {
        protected Unit(bool alone) => Alone = alone;

        /// <summary>Runs outside any transaction, never batched (<see cref="WriteAsync"/>).</summary>
        public bool Alone { get; }

        /// <summary>Runs the work and keeps its result or exception; returns the exception it threw, if any.</summary>
        public abstract Exception? Run(SqliteConnection connection, SqliteTransaction? tx);

        /// <summary>Completes the caller's task: its own exception, else the batch's failure, else its result.</summary>
        public abstract void Finish(Exception? batchFailure);
    }

    private sealed class Unit<T>(Func<SqliteConnection, SqliteTransaction?, T> work, bool alone) : Unit(alone)
    {
        // Asynchronous continuations: a caller's code never runs on the writer, holding up the next batch.
        private readonly TaskCompletionSource<T> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private T? _result;
        private Exception? _error;

        public Task<T> Task => _completion.Task;

        public override Exception? Run(SqliteConnection connection, SqliteTransaction? tx)
        {
            try
            {
                _result = work(connection, tx);
                return null;
            }
#pragma warning disable CA1031 // the caller's exception, handed to the caller
            catch (Exception e)
#pragma warning restore CA1031
            {
                _error = e;
                return e;
            }
        }

        public override void Finish(Exception? batchFailure)
        {
            if ((_error ?? batchFailure) is { } error)
            {
                _completion.TrySetException(error);
            }
            else
            {
                _completion.TrySetResult(_result!);
            }
        }
    }
}
