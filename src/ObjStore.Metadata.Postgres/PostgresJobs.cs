using Dapper;
using Npgsql;
using ObjStore.Core.Jobs;
using ObjStore.Metadata.Sqlite;

namespace ObjStore.Metadata.Postgres;

/// <summary>Jobs under leases, scheduled onto workers as they ask for work (<see cref="JobPlacement"/>).</summary>
internal sealed class PostgresJobs(PostgresDatabase database) : IJobCatalogue
{
    private const string Columns = "id, kind, target, state, priority, attempts, max_attempts, items_done, items_total, bytes_done, bytes_total, last_error, result, checkpoint, lease_owner, lease_expiry, assigned_to, created, finished";

    public Task<long> EnqueueAsync(string kind, string target, int priority = 0, int maxAttempts = 3) => database.WriteAsync(connection =>
        connection.ExecuteScalar<long>(
            "INSERT INTO jobs(kind, target, state, priority, max_attempts, created) VALUES (@kind, @target, 'queued', @priority, @maxAttempts, @now) RETURNING id",
            new { kind, target, priority, maxAttempts, now = database.Now() }));

    /// <summary>
    /// Queues a job unless one of the same kind and target is already queued or running (periodic and follow-up work
    /// must not pile up); the check and the insert are one transaction, under a lock on (kind, target) so that two
    /// gateways asking at once queue it once.
    /// </summary>
    public Task EnsureQueuedAsync(string kind, string target, int priority) => database.TransactAsync((connection, tx) =>
    {
        connection.Execute("SELECT pg_advisory_xact_lock(@space, hashtext(@kind || '/' || @target))",
            new { space = PostgresDatabase.JobKindLockSpace, kind, target }, tx);
        return connection.Execute(
            """
            INSERT INTO jobs(kind, target, state, priority, max_attempts, created)
            SELECT @kind, @target, 'queued', @priority, 3, @now
            WHERE NOT EXISTS(SELECT 1 FROM jobs WHERE kind = @kind AND target = @target AND state IN ('queued', 'running', 'cancelling'))
            """,
            new { kind, target, priority, now = database.Now() }, tx);
    });

    /// <summary>
    /// One scheduling round and a claim, in one transaction: records <paramref name="worker"/>'s heartbeat; puts jobs
    /// whose lease expired (their worker died or stalled) back in the queue, with backoff, for another worker, or
    /// fails them when they are out of attempts; gives every unassigned job, and every job whose worker stopped
    /// reporting, to the best live worker (<see cref="JobPlacement"/>); then claims the most urgent job given to this
    /// worker, if any. A worker is live while its heartbeat is younger than <paramref name="workerTimeout"/>.
    /// </summary>
    /// <remarks>
    /// Several gateways (and nodes) claim at once. The scheduling round runs in one of them at a time (a transaction
    /// advisory lock, tried, not waited for: a worker that finds a round in progress elsewhere only claims, and the
    /// round it skipped is the other's); every update it makes re-checks the job's state, so a job claimed or renewed
    /// meanwhile is left alone. The claim takes the job's row FOR UPDATE SKIP LOCKED: a job is claimed once, and a
    /// claim never waits for a row another transaction holds.
    /// </remarks>
    public Task<JobInfo?> ClaimAsync(WorkerInfo worker, TimeSpan lease, TimeSpan workerTimeout) => database.WriteAsync(connection =>
    {
        using var tx = connection.BeginTransaction();
        long now = database.Now();
        connection.Execute(
            """
            INSERT INTO workers(id, kinds, holds, io_bytes_per_second, disk_free_ratio, heartbeat)
            VALUES (@Id, @kinds, @Holds, @IoBytesPerSecond, @DiskFreeRatio, @now)
            ON CONFLICT(id) DO UPDATE SET kinds = excluded.kinds, holds = excluded.holds,
                io_bytes_per_second = excluded.io_bytes_per_second, disk_free_ratio = excluded.disk_free_ratio, heartbeat = excluded.heartbeat
            """,
            new { worker.Id, kinds = string.Join(',', worker.Kinds), worker.Holds, worker.IoBytesPerSecond, worker.DiskFreeRatio, now }, tx);
        // A gateway's worker id names its process, so every restart adds one: forget those silent for a day.
        connection.Execute("DELETE FROM workers WHERE heartbeat < @forgotten", new { forgotten = now - (long)TimeSpan.FromDays(1).TotalMilliseconds }, tx);
        if (connection.ExecuteScalar<bool>("SELECT pg_try_advisory_xact_lock(@space, 0)", new { space = PostgresDatabase.SchedulingLockSpace }, tx))
        {
            var live = LiveWorkers(connection, tx, now - (long)workerTimeout.TotalMilliseconds);
            Schedule(connection, tx, live, now);
        }
        while (true)
        {
            var row = connection.QueryFirstOrDefault<JobRow>(
                $"""
                SELECT {Columns} FROM jobs WHERE state = 'queued' AND assigned_to = @Id AND not_before <= @now
                ORDER BY priority DESC, id LIMIT 1 FOR UPDATE SKIP LOCKED
                """, new { worker.Id, now }, tx);
            if (row is null)
            {
                tx.Commit();
                return null;
            }
            if (row.attempts >= row.max_attempts)
            {
                connection.Execute(
                    "UPDATE jobs SET state = 'failed', finished = @now, last_error = COALESCE(last_error, 'no attempts left') || ' (out of attempts)' WHERE id = @id",
                    new { now, row.id }, tx);
                continue;
            }
            connection.Execute(
                "UPDATE jobs SET state = 'running', attempts = attempts + 1, lease_owner = @owner, lease_expiry = @expiry WHERE id = @id",
                new { owner = worker.Id, expiry = now + (long)lease.TotalMilliseconds, row.id }, tx);
            tx.Commit();
            return row.ToJob() with { State = JobStates.Running, Attempts = (int)row.attempts + 1, LeaseOwner = worker.Id, AssignedTo = worker.Id };
        }
    });

    /// <summary>The scheduling round of <see cref="ClaimAsync"/>: expired leases first, then assignments.</summary>
    private static void Schedule(NpgsqlConnection connection, NpgsqlTransaction tx, List<WorkerLoad> live, long now)
    {
        // A cancelled job whose worker never reported back: its lease is over, so nothing runs it any more.
        connection.Execute(
            "UPDATE jobs SET state = 'failed', finished = @now, lease_owner = NULL, lease_expiry = NULL WHERE state = 'cancelling' AND lease_expiry < @now",
            new { now }, tx);
        foreach (var expired in connection.Query<JobRow>(
            $"SELECT {Columns} FROM jobs WHERE state = 'running' AND lease_expiry < @now FOR UPDATE SKIP LOCKED", new { now }, tx).ToList())
        {
            string error = $"the lease of worker {expired.lease_owner} expired";
            if (expired.attempts >= expired.max_attempts)
            {
                connection.Execute(
                    "UPDATE jobs SET state = 'failed', finished = @now, last_error = @error || ' (out of attempts)', lease_owner = NULL WHERE id = @id",
                    new { now, error, expired.id }, tx);
                continue;
            }
            string? next = JobPlacement.Choose(expired.kind, expired.target, live, avoid: expired.lease_owner);
            connection.Execute(
                """
                UPDATE jobs SET state = 'queued', lease_owner = NULL, assigned_to = @next, last_error = @error, not_before = @notBefore
                WHERE id = @id
                """,
                new { next, error, expired.id, notBefore = now + (long)JobPlacement.Backoff((int)expired.attempts).TotalMilliseconds }, tx);
            CountQueued(live, next);
        }
        var liveIds = live.Select(w => w.Worker.Id).ToList();
        foreach (var job in connection.Query<JobRow>(
            $"SELECT {Columns} FROM jobs WHERE state = 'queued' AND (assigned_to IS NULL OR assigned_to <> ALL(@liveIds)) ORDER BY priority DESC, id FOR UPDATE SKIP LOCKED",
            new { liveIds = liveIds.ToArray() }, tx).ToList())
        {
            string? next = JobPlacement.Choose(job.kind, job.target, live);
            if (next != job.assigned_to)
            {
                connection.Execute("UPDATE jobs SET assigned_to = @next WHERE id = @id", new { next, job.id }, tx);
                CountQueued(live, next);
            }
        }
    }

    private static void CountQueued(List<WorkerLoad> live, string? workerId)
    {
        int at = live.FindIndex(w => w.Worker.Id == workerId);
        if (at >= 0)
        {
            live[at] = live[at] with { Queued = live[at].Queued + 1 };
        }
    }

    private static List<WorkerLoad> LiveWorkers(NpgsqlConnection connection, NpgsqlTransaction? tx, long since) =>
        connection.Query<WorkerRow>(
            """
            SELECT w.id, w.kinds, w.holds, w.io_bytes_per_second, w.disk_free_ratio, w.heartbeat,
                (SELECT COUNT(*) FROM jobs j WHERE j.state IN ('running', 'cancelling') AND j.lease_owner = w.id) AS running,
                (SELECT COUNT(*) FROM jobs j WHERE j.state = 'queued' AND j.assigned_to = w.id) AS queued
            FROM workers w WHERE w.heartbeat >= @since ORDER BY w.id
            """, new { since }, tx).Select(r => r.ToLoad()).ToList();

    /// <summary>Deletes jobs that finished more than <paramref name="kept"/> ago; returns how many.</summary>
    public Task<int> PruneFinishedAsync(TimeSpan kept) => database.WriteAsync(connection =>
        connection.Execute(
            "DELETE FROM jobs WHERE state IN ('succeeded', 'failed') AND finished < @before",
            new { before = database.Now() - (long)kept.TotalMilliseconds }));

    /// <summary>Every worker that has reported within <paramref name="liveWithin"/>, with its running and queued jobs.</summary>
    public async Task<IReadOnlyList<WorkerLoad>> ListWorkersAsync(TimeSpan liveWithin)
    {
        await using var connection = await database.OpenReaderAsync();
        return LiveWorkers(connection, null, database.Now() - (long)liveWithin.TotalMilliseconds);
    }

    /// <summary>
    /// Extends the lease and records progress; false when the lease was lost (another worker took over) or the job was
    /// cancelled (state <c>cancelling</c>): either way the worker stops at once.
    /// </summary>
    public Task<bool> RenewAsync(long id, string owner, TimeSpan lease, JobProgress progress) => database.WriteAsync(connection =>
        connection.Execute(
            """
            UPDATE jobs SET lease_expiry = @expiry, items_done = @itemsDone, items_total = @itemsTotal, bytes_done = @bytesDone, bytes_total = @bytesTotal,
                checkpoint = COALESCE(@checkpoint, checkpoint)
            WHERE id = @id AND lease_owner = @owner AND state = 'running'
            """,
            new
            {
                id, owner, expiry = database.Now() + (long)lease.TotalMilliseconds, itemsDone = progress.ItemsDone, itemsTotal = progress.ItemsTotal,
                bytesDone = progress.BytesDone, bytesTotal = progress.BytesTotal, checkpoint = progress.Checkpoint,
            }) == 1);

    /// <summary>
    /// Ends a claimed job. A failure with attempts left goes back to the queue after <paramref name="backoff"/>. A
    /// cancelled job (<c>cancelling</c>) becomes failed whatever its worker reports, keeping the cancel's reason.
    /// </summary>
    public Task FinishAsync(long id, string owner, bool succeeded, string? failure, string? result, TimeSpan backoff) => database.WriteAsync(connection =>
    {
        long now = database.Now();
        return succeeded
            ? connection.Execute(
                """
                UPDATE jobs SET state = CASE WHEN state = 'cancelling' THEN 'failed' ELSE 'succeeded' END, finished = @now, result = @result,
                    last_error = CASE WHEN state = 'cancelling' THEN last_error ELSE NULL END, lease_owner = NULL, lease_expiry = NULL
                WHERE id = @id AND lease_owner = @owner AND state IN ('running', 'cancelling')
                """,
                new { id, owner, now, result })
            : connection.Execute(
                """
                UPDATE jobs SET state = CASE WHEN state = 'cancelling' OR attempts >= max_attempts THEN 'failed' ELSE 'queued' END,
                    finished = CASE WHEN state = 'cancelling' OR attempts >= max_attempts THEN @now ELSE NULL END,
                    not_before = @notBefore, last_error = CASE WHEN state = 'cancelling' THEN last_error ELSE @error END, result = @result,
                    lease_owner = NULL, lease_expiry = NULL
                WHERE id = @id AND lease_owner = @owner AND state IN ('running', 'cancelling')
                """,
                new { id, owner, now, error = failure, result, notBefore = now + (long)backoff.TotalMilliseconds });
    });

    /// <summary>
    /// One statement, on the job's row: a queued job fails at once; a running one becomes <c>cancelling</c> (its lease
    /// kept, so nothing else claims it while the old run may still be going) until its worker, told by its next
    /// renewal, finishes it, or its lease expires; either makes it failed with <paramref name="reason"/>.
    /// </summary>
    public Task<bool> CancelAsync(long id, string reason) => database.WriteAsync(connection =>
        connection.Execute(
            """
            UPDATE jobs SET state = CASE WHEN state = 'running' THEN 'cancelling' ELSE 'failed' END,
                finished = CASE WHEN state = 'running' THEN NULL ELSE @now END,
                lease_owner = CASE WHEN state = 'running' THEN lease_owner ELSE NULL END,
                lease_expiry = CASE WHEN state = 'running' THEN lease_expiry ELSE NULL END,
                last_error = @reason, attempts = max_attempts
            WHERE id = @id AND state IN ('queued', 'running')
            """,
            new { id, reason, now = database.Now() }) == 1);

    /// <summary>
    /// Queues a failed job again (attempts reset, error cleared, checkpoint kept): only one whose lease has ended, and
    /// only while no other job of its kind and target is queued, running or cancelling; under the same (kind, target)
    /// lock as <see cref="EnsureQueuedAsync"/>, so the two cannot both queue one.
    /// </summary>
    public Task<bool> RetryAsync(long id) => database.TransactAsync((connection, tx) =>
    {
        var job = connection.QuerySingleOrDefault<(string Kind, string Target)?>("SELECT kind, target FROM jobs WHERE id = @id", new { id }, tx);
        if (job is not { } named)
        {
            return false;
        }
        connection.Execute("SELECT pg_advisory_xact_lock(@space, hashtext(@kind || '/' || @target))",
            new { space = PostgresDatabase.JobKindLockSpace, kind = named.Kind, target = named.Target }, tx);
        return connection.Execute(
            """
            UPDATE jobs SET state = 'queued', finished = NULL, attempts = 0, not_before = @now, assigned_to = NULL, lease_owner = NULL,
                lease_expiry = NULL, last_error = NULL
            WHERE id = @id AND state = 'failed' AND lease_owner IS NULL AND (lease_expiry IS NULL OR lease_expiry < @now)
                AND NOT EXISTS(SELECT 1 FROM jobs other WHERE other.kind = jobs.kind AND other.target = jobs.target AND other.id <> jobs.id
                    AND other.state IN ('queued', 'running', 'cancelling'))
            """,
            new { id, now = database.Now() }, tx) == 1;
    });

    public async Task<JobInfo?> GetAsync(long id)
    {
        await using var connection = await database.OpenReaderAsync();
        return (await connection.QuerySingleOrDefaultAsync<JobRow>($"SELECT {Columns} FROM jobs WHERE id = @id", new { id }))?.ToJob();
    }

    public async Task<IReadOnlyList<JobInfo>> ListAsync(int limit)
    {
        await using var connection = await database.OpenReaderAsync();
        return (await connection.QueryAsync<JobRow>($"SELECT {Columns} FROM jobs ORDER BY id DESC LIMIT @limit", new { limit })).Select(r => r.ToJob()).ToList();
    }
}
