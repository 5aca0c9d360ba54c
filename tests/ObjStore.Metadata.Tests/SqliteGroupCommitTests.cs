using Dapper;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Time.Testing;
using ObjStore.Core;
using ObjStore.Metadata.Sqlite;

namespace ObjStore.Metadata.Tests;

/// <summary>
/// The SQLite catalogue's group commit. Each test holds the writer in a transaction of its own while it issues
/// writes, so those queue and (deterministically) share the next batch; then it lets go and checks what landed.
/// </summary>
public sealed class SqliteGroupCommitTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("objstore-groupcommit-").FullName;
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 12, 1, 12, 0, 0, TimeSpan.Zero));
    private readonly SqliteCatalogue _catalogue;
    private int _ids;

    public SqliteGroupCommitTests() =>
        _catalogue = new SqliteCatalogue(Path.Combine(_dir, "catalogue.db"), _clock, synchronousFull: true);

    public void Dispose()
    {
        _catalogue.Dispose();
        SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task WritesQueuedBehindACommitShareTheNextOne()
    {
        await _catalogue.Buckets.CreateAsync("b", _clock.GetUtcNow());
        var before = _catalogue.Database.Statistics;

        var release = await HoldWriterAsync();
        var writes = Enumerable.Range(0, 100).Select(i => _catalogue.Objects.CommitAsync(ObjectAt("b", $"k{i:D3}"), null, false)).ToList();
        await release();
        await Task.WhenAll(writes);

        var after = _catalogue.Database.Statistics;
        Assert.Equal((2L, 101L), (after.Batches - before.Batches, after.Units - before.Units)); // the holder's, then all 100 in one
        Assert.Equal(100, CountFromAnotherConnection("SELECT COUNT(*) FROM objects WHERE bucket = 'b'"));
    }

    [Fact]
    public async Task ABatchIsCappedAndTheRestGoesIntoTheNext()
    {
        await _catalogue.Buckets.CreateAsync("b", _clock.GetUtcNow());
        var before = _catalogue.Database.Statistics;

        var release = await HoldWriterAsync();
        int count = SqliteDatabase.MaxBatch + 10;
        var writes = Enumerable.Range(0, count).Select(i => _catalogue.Objects.CommitAsync(ObjectAt("b", $"k{i:D3}"), null, false)).ToList();
        await release();
        await Task.WhenAll(writes);

        var after = _catalogue.Database.Statistics;
        Assert.Equal((3L, count + 1L), (after.Batches - before.Batches, after.Units - before.Units));
        Assert.Equal(count, CountFromAnotherConnection("SELECT COUNT(*) FROM objects WHERE bucket = 'b'"));
    }

    [Fact]
    public async Task AUnitThatThrowsRollsBackOnlyItsOwnChangesAndGetsItsOwnError()
    {
        await _catalogue.Buckets.CreateAsync("b", _clock.GetUtcNow());
        var taken = ObjectAt("b", "taken");
        await _catalogue.Objects.CommitAsync(taken, null, false);
        await _catalogue.Buckets.CreateAsync("locked", _clock.GetUtcNow(), objectLock: true);
        var locked = ObjectAt("locked", "k") with
        {
            VersionId = VersionIds.New(_clock.GetUtcNow()),
            Lock = new ObjectLock(new ObjectRetention(RetentionMode.Compliance, _clock.GetUtcNow().AddDays(1)), false),
        };
        await _catalogue.Objects.CommitAsync(locked, null, false);
        var before = _catalogue.Database.Statistics;

        var release = await HoldWriterAsync();
        var first = _catalogue.Objects.CommitAsync(ObjectAt("b", "first"), null, false);
        // Writes a row, then fails: only a savepoint of its own takes the row back out of the shared transaction.
        var halfDone = _catalogue.Database.TransactAsync<int>((connection, tx) =>
        {
            connection.Execute("INSERT INTO buckets(name, created) VALUES ('half', 1)", transaction: tx);
            throw new InvalidOperationException("half done");
        });
        var exists = _catalogue.Objects.CommitAsync(ObjectAt("b", "taken", etag: "ffffffffffffffffffffffffffffffff"), null, ifNoneMatchAny: true);
        var noBucket = _catalogue.Objects.CommitAsync(ObjectAt("missing", "k"), null, false);
        var retained = _catalogue.Objects.DeleteAsync("locked", "k", locked.VersionId, bypassGovernance: false);
        var last = _catalogue.Objects.CommitAsync(ObjectAt("b", "last"), null, false);
        await release();

        Assert.Equal("half done", (await Assert.ThrowsAsync<InvalidOperationException>(() => halfDone)).Message);
        Assert.Equal(ErrorKind.PreconditionFailed, (await Assert.ThrowsAsync<ObjectStoreException>(() => exists)).Kind);
        Assert.Equal(ErrorKind.NoSuchBucket, (await Assert.ThrowsAsync<ObjectStoreException>(() => noBucket)).Kind);
        Assert.Equal(ErrorKind.AccessDenied, (await Assert.ThrowsAsync<ObjectStoreException>(() => retained)).Kind);
        await Task.WhenAll(first, last);
        var after = _catalogue.Database.Statistics;
        Assert.Equal(2L, after.Batches - before.Batches); // all of them in one transaction
        Assert.Equal(0, CountFromAnotherConnection("SELECT COUNT(*) FROM buckets WHERE name = 'half'"));
        Assert.Equal(2, CountFromAnotherConnection("SELECT COUNT(*) FROM objects WHERE bucket = 'b' AND key IN (CAST('first' AS BLOB), CAST('last' AS BLOB))"));
        Assert.Equal(taken.ETag, (await _catalogue.Objects.GetAsync("b", "taken"))!.ETag);
        Assert.NotNull(await _catalogue.Objects.GetAsync("locked", "k", locked.VersionId));
    }

    [Fact]
    public async Task ACallerHearsOnlyOnceItsBatchHasCommitted()
    {
        await _catalogue.Buckets.CreateAsync("b", _clock.GetUtcNow());
        const string Query = "SELECT COUNT(*) FROM objects WHERE bucket = 'b' AND key = CAST('k' AS BLOB)";

        var release = await HoldWriterAsync();
        var commit = _catalogue.Objects.CommitAsync(ObjectAt("b", "k"), null, false);
        var visibleAtCompletion = commit.ContinueWith(_ => CountFromAnotherConnection(Query), TaskScheduler.Default);
        // Runs after the commit's unit, in the same transaction, before its COMMIT.
        var laterInBatch = _catalogue.Database.TransactAsync((connection, tx) => (commit.IsCompleted, CountFromAnotherConnection(Query)));
        await release();

        Assert.Equal((false, 0), await laterInBatch); // not answered yet, and not yet visible to anyone else
        await commit;
        Assert.Equal(1, await visibleAtCompletion);
    }

    [Fact]
    public async Task AFailedCommitFailsEveryUnitOfItsBatch()
    {
        await _catalogue.Buckets.CreateAsync("b", _clock.GetUtcNow());

        var release = await HoldWriterAsync();
        var first = _catalogue.Objects.CommitAsync(ObjectAt("b", "first"), null, false);
        // A foreign key checked only at COMMIT (deferred) fails the COMMIT itself, as a full disk or an I/O error would.
        var breaksCommit = _catalogue.Database.TransactAsync((connection, tx) => connection.Execute(
            "PRAGMA defer_foreign_keys = ON; INSERT INTO access_keys(access_key, user_name, secret, created) VALUES ('AK', 'nobody', x'00', 1)",
            transaction: tx));
        var last = _catalogue.Objects.CommitAsync(ObjectAt("b", "last"), null, false);
        await release();

        foreach (var unit in new Task[] { first, breaksCommit, last })
        {
            var failed = await Assert.ThrowsAsync<SqliteException>(() => unit);
            Assert.Contains("FOREIGN KEY", failed.Message, StringComparison.Ordinal);
        }
        Assert.Equal(0, CountFromAnotherConnection("SELECT COUNT(*) FROM objects WHERE bucket = 'b'"));
        Assert.Equal(0, CountFromAnotherConnection("SELECT COUNT(*) FROM access_keys"));

        // The writer goes on with the next batch.
        await _catalogue.Objects.CommitAsync(ObjectAt("b", "again"), null, false);
        Assert.NotNull(await _catalogue.Objects.GetAsync("b", "again"));
    }

    [Fact]
    public async Task ATransactionSqliteRollsBackItselfFailsEveryUnitOfItsBatchWithItsCause()
    {
        await _catalogue.Buckets.CreateAsync("b", _clock.GetUtcNow());

        var release = await HoldWriterAsync();
        var first = _catalogue.Objects.CommitAsync(ObjectAt("b", "first"), null, false);
        // OR ROLLBACK: on the conflict SQLite itself rolls back the whole transaction, as it does on an I/O error.
        var rollsBack = _catalogue.Database.TransactAsync((connection, tx) =>
            connection.Execute("INSERT OR ROLLBACK INTO buckets(name, created) VALUES ('b', 1)", transaction: tx));
        var last = _catalogue.Objects.CommitAsync(ObjectAt("b", "last"), null, false);
        await release();

        var cause = await Assert.ThrowsAsync<SqliteException>(() => rollsBack);
        Assert.Same(cause, await Assert.ThrowsAsync<SqliteException>(() => first));
        Assert.Same(cause, await Assert.ThrowsAsync<SqliteException>(() => last));
        Assert.Equal(0, CountFromAnotherConnection("SELECT COUNT(*) FROM objects WHERE bucket = 'b'"));

        await _catalogue.Objects.CommitAsync(ObjectAt("b", "again"), null, false);
        Assert.NotNull(await _catalogue.Objects.GetAsync("b", "again"));
    }

    [Fact]
    public async Task AUnitThatEndsTheSharedTransactionFailsItsWholeBatch()
    {
        await _catalogue.Buckets.CreateAsync("b", _clock.GetUtcNow());

        var release = await HoldWriterAsync();
        var first = _catalogue.Objects.CommitAsync(ObjectAt("b", "first"), null, false);
        var commitsItself = _catalogue.Database.TransactAsync((connection, tx) =>
        {
            tx.Commit();
            return 0;
        });
        var last = _catalogue.Objects.CommitAsync(ObjectAt("b", "last"), null, false);
        await release();

        foreach (var unit in new Task[] { first, commitsItself, last })
        {
            await Assert.ThrowsAsync<InvalidOperationException>(() => unit);
        }
        await _catalogue.Objects.CommitAsync(ObjectAt("b", "again"), null, false);
        Assert.NotNull(await _catalogue.Objects.GetAsync("b", "again"));
    }

    [Fact]
    public async Task AWriteAloneThatLeavesATransactionOpenIsRolledBackAndFails()
    {
        await _catalogue.Buckets.CreateAsync("b", _clock.GetUtcNow());

        var leaves = _catalogue.Database.WriteAsync(connection =>
            connection.Execute("BEGIN; INSERT INTO buckets(name, created) VALUES ('open', 1)"));

        await Assert.ThrowsAsync<InvalidOperationException>(() => leaves);
        Assert.Equal(0, CountFromAnotherConnection("SELECT COUNT(*) FROM buckets WHERE name = 'open'"));
        await _catalogue.Objects.CommitAsync(ObjectAt("b", "after"), null, false);
        Assert.NotNull(await _catalogue.Objects.GetAsync("b", "after"));
    }

    [Fact]
    public async Task AWriteOutsideATransactionRunsAloneInItsPlace()
    {
        await _catalogue.Buckets.CreateAsync("b", _clock.GetUtcNow());
        var before = _catalogue.Database.Statistics;

        var release = await HoldWriterAsync();
        var first = _catalogue.Objects.CommitAsync(ObjectAt("b", "first"), null, false);
        var job = _catalogue.Jobs.EnqueueAsync("scrub", "all"); // its own statements, never inside a batch
        var last = _catalogue.Objects.CommitAsync(ObjectAt("b", "last"), null, false);
        await release();

        await Task.WhenAll(first, job, last);
        Assert.NotNull(await _catalogue.Jobs.GetAsync(await job));
        var after = _catalogue.Database.Statistics;
        Assert.Equal((3L, 3L), (after.Batches - before.Batches, after.Units - before.Units)); // holder, first, last
    }

    [Fact]
    public async Task ReadsDoNotWaitForTheWriter()
    {
        await _catalogue.Buckets.CreateAsync("b", _clock.GetUtcNow());
        await _catalogue.Objects.CommitAsync(ObjectAt("b", "k"), null, false);

        // The writer is busy inside a transaction that has changed the same rows: reads answer from the last commit.
        var release = await HoldWriterAsync((connection, tx) => connection.Execute("DELETE FROM objects WHERE bucket = 'b'", transaction: tx));
        try
        {
            var reads = Task.WhenAll(
                _catalogue.Objects.GetAsync("b", "k"),
                _catalogue.Objects.ListAsync(new ListRequest { Bucket = "b" }),
                _catalogue.Buckets.GetAsync("b"));
            // Generous bound, only so that a read stuck behind the writer fails the test instead of hanging it.
            await reads.WaitAsync(TimeSpan.FromSeconds(30));
            Assert.NotNull(await _catalogue.Objects.GetAsync("b", "k"));
        }
        finally
        {
            await release();
        }
        Assert.Null(await _catalogue.Objects.GetAsync("b", "k"));
    }

    /// <summary>
    /// Starts a write that holds the writer (after <paramref name="work"/>, if given) until the returned function is
    /// called; that function then waits for its commit. Writes issued in between queue up for the next batch.
    /// </summary>
    private async Task<Func<Task>> HoldWriterAsync(Action<SqliteConnection, SqliteTransaction>? work = null)
    {
        var holding = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var go = new ManualResetEventSlim();
        // From another thread: a write that finds the writer idle runs on its caller's thread.
        var held = Task.Run(() => _catalogue.Database.TransactAsync((connection, tx) =>
        {
            work?.Invoke(connection, tx);
            holding.SetResult();
            // Bounded, so that a failing test cannot hang the run.
            return go.Wait(TimeSpan.FromMinutes(1));
        }));
        await holding.Task;
        return async () =>
        {
            go.Set();
            Assert.True(await held);
            go.Dispose();
        };
    }

    private int CountFromAnotherConnection(string sql)
    {
        using var connection = new SqliteConnection($"Data Source={Path.Combine(_dir, "catalogue.db")};Pooling=False");
        connection.Open();
        return connection.ExecuteScalar<int>(sql);
    }

    private ObjectInfo ObjectAt(string bucket, string key, string etag = "0123456789abcdef0123456789abcdef") => new()
    {
        Bucket = bucket,
        Key = key,
        Size = 10,
        ETag = etag,
        LastModified = _clock.GetUtcNow(),
        Metadata = ObjectMetadata.Default,
        Parts = [new ObjectPart(1, 0, 10, etag, null, new ObjectLayout(4, 2, 1 << 20, $"data{Interlocked.Increment(ref _ids):D6}", ["s0", "s1", "s2", "s3", "s4", "s5"]))
        {
            LastModified = _clock.GetUtcNow(),
        }],
    };
}
