using Dapper;
using Microsoft.Data.Sqlite;
using ObjStore.Core;

namespace ObjStore.Metadata;

/// <summary>A background job as the catalogue keeps it.</summary>
public sealed record JobInfo
{
    public long Id { get; init; }
    public required string Kind { get; init; }
    public required string Target { get; init; }
    public required string State { get; init; }
    public int Priority { get; init; }
    public int Attempts { get; init; }
    public int MaxAttempts { get; init; }
    public long ItemsDone { get; init; }
    public long ItemsTotal { get; init; }
    public long BytesDone { get; init; }
    public long BytesTotal { get; init; }
    public string? LastError { get; init; }
    public string? Result { get; init; }
    public string? LeaseOwner { get; init; }
    public DateTimeOffset? LeaseExpiry { get; init; }

    /// <summary>The worker the scheduler gave the job to (null while no live worker can run it).</summary>
    public string? AssignedTo { get; init; }
    public DateTimeOffset Created { get; init; }
    public DateTimeOffset? Finished { get; init; }

    public bool IsFinished => State is JobStates.Succeeded or JobStates.Failed;
}

public static class JobStates
{
    public const string Queued = "queued";
    public const string Running = "running";
    public const string Succeeded = "succeeded";
    public const string Failed = "failed";
}

/// <summary>One data id's place in the catalogue: the layout its shards follow and how many object bytes they hold.</summary>
public sealed record DataRef(ObjectLayout Layout, long Size, string Bucket, string Key);

/// <summary>Jobs (lease-based), and the lookups healing, scrubbing and GC need.</summary>
public sealed partial class Catalogue
{
    private const string JobColumns = "id, kind, target, state, priority, attempts, max_attempts, items_done, items_total, bytes_done, bytes_total, last_error, result, lease_owner, lease_expiry, assigned_to, created, finished";

    public Task<long> EnqueueJobAsync(string kind, string target, int priority = 0, int maxAttempts = 3) => WriteAsync(connection =>
        connection.ExecuteScalar<long>(
            "INSERT INTO jobs(kind, target, state, priority, max_attempts, created) VALUES (@kind, @target, 'queued', @priority, @maxAttempts, @now) RETURNING id",
            new { kind, target, priority, maxAttempts, now = Now() }));

    /// <summary>
    /// Queues a job unless one of the same kind and target is already queued or running (periodic and follow-up work
    /// must not pile up); the check and the insert are one transaction.
    /// </summary>
    public Task EnsureJobQueuedAsync(string kind, string target, int priority) => WriteAsync(connection =>
        connection.Execute(
            """
            INSERT INTO jobs(kind, target, state, priority, max_attempts, created)
            SELECT @kind, @target, 'queued', @priority, 3, @now
            WHERE NOT EXISTS(SELECT 1 FROM jobs WHERE kind = @kind AND target = @target AND state IN ('queued', 'running'))
            """,
            new { kind, target, priority, now = Now() }));

    /// <summary>
    /// One scheduling round and a claim, in one transaction: records <paramref name="worker"/>'s heartbeat; puts jobs
    /// whose lease expired (their worker died or stalled) back in the queue, with backoff, for another worker, or
    /// fails them when they are out of attempts; gives every unassigned job, and every job whose worker stopped
    /// reporting, to the best live worker (<see cref="JobPlacement"/>); then claims the most urgent job given to this
    /// worker, if any. A worker is live while its heartbeat is younger than <paramref name="workerTimeout"/>.
    /// </summary>
    public Task<JobInfo?> ClaimJobAsync(WorkerInfo worker, TimeSpan lease, TimeSpan workerTimeout) => WriteAsync(connection =>
    {
        using var tx = connection.BeginTransaction();
        long now = Now();
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
        var live = LiveWorkers(connection, tx, now - (long)workerTimeout.TotalMilliseconds);
        Schedule(connection, tx, live, now);
        while (true)
        {
            var row = connection.QueryFirstOrDefault<JobRow>(
                $"""
                SELECT {JobColumns} FROM jobs WHERE state = 'queued' AND assigned_to = @Id AND not_before <= @now
                ORDER BY priority DESC, id LIMIT 1
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

    /// <summary>The scheduling round of <see cref="ClaimJobAsync"/>: expired leases first, then assignments.</summary>
    private static void Schedule(SqliteConnection connection, SqliteTransaction tx, List<WorkerLoad> live, long now)
    {
        foreach (var expired in connection.Query<JobRow>(
            $"SELECT {JobColumns} FROM jobs WHERE state = 'running' AND lease_expiry < @now", new { now }, tx).ToList())
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
            $"SELECT {JobColumns} FROM jobs WHERE state = 'queued' AND (assigned_to IS NULL OR assigned_to NOT IN @liveIds) ORDER BY priority DESC, id",
            new { liveIds }, tx).ToList())
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

    private static List<WorkerLoad> LiveWorkers(SqliteConnection connection, SqliteTransaction? tx, long since) =>
        connection.Query<WorkerRow>(
            """
            SELECT w.id, w.kinds, w.holds, w.io_bytes_per_second, w.disk_free_ratio, w.heartbeat,
                (SELECT COUNT(*) FROM jobs j WHERE j.state = 'running' AND j.lease_owner = w.id) AS running,
                (SELECT COUNT(*) FROM jobs j WHERE j.state = 'queued' AND j.assigned_to = w.id) AS queued
            FROM workers w WHERE w.heartbeat >= @since ORDER BY w.id
            """, new { since }, tx).Select(r => r.ToLoad()).ToList();

    /// <summary>Deletes jobs that finished more than <paramref name="kept"/> ago; returns how many.</summary>
    public Task<int> PruneFinishedJobsAsync(TimeSpan kept) => WriteAsync(connection =>
        connection.Execute(
            "DELETE FROM jobs WHERE state IN ('succeeded', 'failed') AND finished < @before",
            new { before = Now() - (long)kept.TotalMilliseconds }));

    /// <summary>Records the instance a store reports and returns the one recorded before (null the first time).</summary>
    public Task<string?> SwapStoreInstanceAsync(string storeId, string instance) => WriteAsync(connection =>
    {
        using var tx = connection.BeginTransaction();
        string? previous = connection.QuerySingleOrDefault<string>("SELECT instance FROM store_instances WHERE store_id = @storeId", new { storeId }, tx);
        connection.Execute(
            "INSERT INTO store_instances(store_id, instance, seen) VALUES (@storeId, @instance, @now) ON CONFLICT(store_id) DO UPDATE SET instance = excluded.instance, seen = excluded.seen",
            new { storeId, instance, now = Now() }, tx);
        tx.Commit();
        return previous;
    });

    /// <summary>Every worker that has reported within <paramref name="liveWithin"/>, with its running and queued jobs.</summary>
    public async Task<IReadOnlyList<WorkerLoad>> ListWorkersAsync(TimeSpan liveWithin)
    {
        await using var connection = await OpenReaderAsync();
        return LiveWorkers(connection, null, Now() - (long)liveWithin.TotalMilliseconds);
    }

    /// <summary>Extends the lease and records progress; false when the lease was lost (another worker took over).</summary>
    public Task<bool> RenewJobAsync(long id, string owner, TimeSpan lease, long itemsDone, long itemsTotal, long bytesDone, long bytesTotal) => WriteAsync(connection =>
        connection.Execute(
            """
            UPDATE jobs SET lease_expiry = @expiry, items_done = @itemsDone, items_total = @itemsTotal, bytes_done = @bytesDone, bytes_total = @bytesTotal
            WHERE id = @id AND lease_owner = @owner AND state = 'running'
            """,
            new { id, owner, expiry = Now() + (long)lease.TotalMilliseconds, itemsDone, itemsTotal, bytesDone, bytesTotal }) == 1);

    /// <summary>Ends a claimed job. A failure with attempts left goes back to the queue after <paramref name="backoff"/>.</summary>
    public Task FinishJobAsync(long id, string owner, bool succeeded, string? error, string? result, TimeSpan backoff) => WriteAsync(connection =>
    {
        long now = Now();
        return succeeded
            ? connection.Execute(
                "UPDATE jobs SET state = 'succeeded', finished = @now, result = @result, last_error = NULL, lease_owner = NULL WHERE id = @id AND lease_owner = @owner",
                new { id, owner, now, result })
            : connection.Execute(
                """
                UPDATE jobs SET state = CASE WHEN attempts >= max_attempts THEN 'failed' ELSE 'queued' END,
                    finished = CASE WHEN attempts >= max_attempts THEN @now ELSE NULL END,
                    not_before = @notBefore, last_error = @error, result = @result, lease_owner = NULL
                WHERE id = @id AND lease_owner = @owner
                """,
                new { id, owner, now, error, result, notBefore = now + (long)backoff.TotalMilliseconds });
    });

    public async Task<JobInfo?> GetJobAsync(long id)
    {
        await using var connection = await OpenReaderAsync();
        return (await connection.QuerySingleOrDefaultAsync<JobRow>($"SELECT {JobColumns} FROM jobs WHERE id = @id", new { id }))?.ToJob();
    }

    public async Task<IReadOnlyList<JobInfo>> ListJobsAsync(int limit)
    {
        await using var connection = await OpenReaderAsync();
        return (await connection.QueryAsync<JobRow>($"SELECT {JobColumns} FROM jobs ORDER BY id DESC LIMIT @limit", new { limit })).Select(r => r.ToJob()).ToList();
    }

    // ---- lookups for healing, scrubbing, GC ----------------------------------------------------------------------

    /// <summary>What shards named after <paramref name="dataId"/> belong to: a single-PUT object or a part; null if nothing.</summary>
    public async Task<DataRef?> FindDataAsync(string dataId)
    {
        await using var connection = await OpenReaderAsync();
        var single = await connection.QueryFirstOrDefaultAsync<ObjectRow>(
            $"SELECT {ObjectRow.Columns} FROM objects WHERE data_id = @dataId AND parts_count = 0", new { dataId });
        if (single is not null)
        {
            var part = single.ToInfo(null).Parts[0];
            return new DataRef(part.Layout, part.Size, single.bucket, Naming.StrictUtf8.GetString(single.key));
        }
        var row = await connection.QueryFirstOrDefaultAsync<(string UploadId, long Size, string DataId, long K, long M, long Stripe, string Placement)>(
            "SELECT upload_id, size, data_id, data_shards, parity_shards, stripe_size, placement FROM parts WHERE data_id = @dataId", new { dataId });
        if (row.DataId is null)
        {
            return null;
        }
        var owner = await connection.QueryFirstOrDefaultAsync<(string Bucket, byte[] Key)>(
            "SELECT bucket, key FROM objects WHERE data_id = @uploadId UNION ALL SELECT bucket, key FROM uploads WHERE upload_id = @uploadId LIMIT 1",
            new { uploadId = row.UploadId });
        return new DataRef(new ObjectLayout((int)row.K, (int)row.M, (int)row.Stripe, row.DataId, row.Placement.Split(',')), row.Size,
            owner.Bucket ?? "", owner.Key is null ? "" : Naming.StrictUtf8.GetString(owner.Key));
    }

    /// <summary>True when a committed object, a part (of an upload or an object) or a pending delete names the data id.</summary>
    public async Task<bool> IsDataReferencedAsync(string dataId)
    {
        await using var connection = await OpenReaderAsync();
        return await connection.ExecuteScalarAsync<long>(
            """
            SELECT EXISTS(SELECT 1 FROM objects WHERE data_id = @dataId AND parts_count = 0)
                OR EXISTS(SELECT 1 FROM parts WHERE data_id = @dataId)
                OR EXISTS(SELECT 1 FROM pending_deletes WHERE data_id = @dataId)
            """, new { dataId }) != 0;
    }

    /// <summary>
    /// Every stored layout (single objects, then parts), in pages after <paramref name="afterDataId"/> by data id;
    /// optionally only objects of a bucket whose key starts with a prefix.
    /// </summary>
    public async Task<IReadOnlyList<DataRef>> ListDataAsync(string? afterDataId, int limit, string? bucket = null, string prefix = "")
    {
        await using var connection = await OpenReaderAsync();
        byte[] from = KeyBytes(prefix);
        byte[]? end = prefix.Length == 0 ? null : Successor(from);
        string filter = bucket is null ? "" : " AND o.bucket = @bucket AND o.key >= @from" + (end is null ? "" : " AND o.key < @end");
        var rows = await connection.QueryAsync<(string DataId, long Size, long K, long M, long Stripe, string Placement, string Bucket, byte[] Key)>(
            $"""
            SELECT data_id, size, data_shards, parity_shards, stripe_size, placement, bucket, key FROM (
                SELECT o.data_id, o.size, o.data_shards, o.parity_shards, o.stripe_size, o.placement, o.bucket, o.key
                FROM objects o WHERE o.parts_count = 0{filter}
                UNION ALL
                SELECT p.data_id, p.size, p.data_shards, p.parity_shards, p.stripe_size, p.placement, o.bucket, o.key
                FROM parts p JOIN objects o ON o.data_id = p.upload_id AND o.parts_count > 0 WHERE 1 = 1{filter})
            WHERE data_id > @after ORDER BY data_id LIMIT @limit
            """, new { after = afterDataId ?? "", limit, bucket, from, end });
        return rows.Select(r => new DataRef(new ObjectLayout((int)r.K, (int)r.M, (int)r.Stripe, r.DataId, r.Placement.Split(',')), r.Size,
            r.Bucket, Naming.StrictUtf8.GetString(r.Key))).ToList();
    }

    /// <summary>
    /// Every stored layout in data-id order, page by page (see <see cref="ListDataAsync"/>). Cancellation throws rather
    /// than ending the sequence early, so a pass that was cut short is never taken for a complete one.
    /// </summary>
    public async IAsyncEnumerable<DataRef> EnumerateDataAsync(
        string? bucket = null, string prefix = "", [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        string? after = null;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var page = await ListDataAsync(after, 500, bucket, prefix);
            if (page.Count == 0)
            {
                yield break;
            }
            foreach (var data in page)
            {
                yield return data;
            }
            after = page[^1].Layout.DataId;
        }
    }

    public Task ClearDegradedAsync(string dataId) => WriteAsync(connection =>
        connection.Execute("DELETE FROM degraded_shards WHERE data_id = @dataId", new { dataId }));

    public async Task<long> CountDegradedShardsAsync()
    {
        await using var connection = await OpenReaderAsync();
        return await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM degraded_shards");
    }

    private static long Now() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

#pragma warning disable IDE1006, CA1707 // names mirror the SQL columns
    private sealed record JobRow
    {
        public long id { get; init; }
        public string kind { get; init; } = "";
        public string target { get; init; } = "";
        public string state { get; init; } = "";
        public long priority { get; init; }
        public long attempts { get; init; }
        public long max_attempts { get; init; }
        public long items_done { get; init; }
        public long items_total { get; init; }
        public long bytes_done { get; init; }
        public long bytes_total { get; init; }
        public string? last_error { get; init; }
        public string? result { get; init; }
        public string? lease_owner { get; init; }
        public long? lease_expiry { get; init; }
        public string? assigned_to { get; init; }
        public long created { get; init; }
        public long? finished { get; init; }

        public JobInfo ToJob() => new()
        {
            Id = id,
            Kind = kind,
            Target = target,
            State = state,
            Priority = (int)priority,
            Attempts = (int)attempts,
            MaxAttempts = (int)max_attempts,
            ItemsDone = items_done,
            ItemsTotal = items_total,
            BytesDone = bytes_done,
            BytesTotal = bytes_total,
            LastError = last_error,
            Result = result,
            LeaseOwner = lease_owner,
            LeaseExpiry = lease_expiry is { } e ? DateTimeOffset.FromUnixTimeMilliseconds(e) : null,
            AssignedTo = assigned_to,
            Created = DateTimeOffset.FromUnixTimeMilliseconds(created),
            Finished = finished is { } f ? DateTimeOffset.FromUnixTimeMilliseconds(f) : null,
        };
    }

    private sealed record WorkerRow
    {
        public string id { get; init; } = "";
        public string kinds { get; init; } = "";
        public string? holds { get; init; }
        public long io_bytes_per_second { get; init; }
        public double? disk_free_ratio { get; init; }
        public long heartbeat { get; init; }
        public long running { get; init; }
        public long queued { get; init; }

        public WorkerLoad ToLoad() => new(
            new WorkerInfo(id, kinds.Split(',', StringSplitOptions.RemoveEmptyEntries), holds, io_bytes_per_second, disk_free_ratio),
            (int)running, (int)queued, DateTimeOffset.FromUnixTimeMilliseconds(heartbeat));
    }
#pragma warning restore IDE1006, CA1707
}

/// <summary>Catalogue recovery: objects put back from what their shards' footers say.</summary>
public sealed partial class Catalogue
{
    /// <summary>
    /// Puts a recovered object back (and its bucket, and for a multipart object its parts), unless the key already
    /// holds an object at least as new. Returns false when it was skipped.
    /// </summary>
    public Task<bool> RestoreObjectAsync(ObjectInfo info) => WriteAsync(connection =>
    {
        using var tx = connection.BeginTransaction();
        connection.Execute("INSERT INTO buckets(name, created) VALUES (@name, @created) ON CONFLICT(name) DO NOTHING",
            new { name = info.Bucket, created = info.LastModified.ToUnixTimeMilliseconds() }, tx);
        var current = FindObject(connection, tx, info.Bucket, info.Key);
        if (current is not null && current.last_modified >= info.LastModified.ToUnixTimeMilliseconds())
        {
            tx.Commit();
            return false;
        }
        if (current is not null)
        {
            Retire(connection, tx, current);
        }
        if (info.IsMultipart)
        {
            foreach (var part in info.Parts)
            {
                connection.Execute($"INSERT OR REPLACE INTO parts ({PartRow.Columns}) VALUES ({PartRow.Parameters})", PartRow.From(info.UploadId!, part), tx);
            }
        }
        InsertObject(connection, tx, info);
        tx.Commit();
        return true;
    });

    public async Task<bool> HasBucketsAsync()
    {
        await using var connection = await OpenReaderAsync();
        return await connection.ExecuteScalarAsync<long>("SELECT EXISTS(SELECT 1 FROM buckets)") != 0;
    }
}

/// <summary>Online backups: a consistent copy of the live catalogue, taken without stopping writes.</summary>
public sealed partial class Catalogue
{
    /// <summary>Writes a consistent, compacted copy of the catalogue to <paramref name="path"/> (VACUUM INTO).</summary>
    public async Task BackupToAsync(string path)
    {
        await using var connection = await OpenReaderAsync();
        await connection.ExecuteAsync("VACUUM INTO @path", new { path });
    }
}

/// <summary>Draining: store states, and moving one shard of a layout to another store.</summary>
public sealed partial class Catalogue
{
    public Task SetStoreStateAsync(string storeId, string state) => WriteAsync(connection =>
        connection.Execute(
            "INSERT INTO store_states(store_id, state, changed) VALUES (@storeId, @state, @now) ON CONFLICT(store_id) DO UPDATE SET state = @state, changed = @now",
            new { storeId, state, now = Now() }));

    public async Task<IReadOnlyDictionary<string, string>> StoreStatesAsync()
    {
        await using var connection = await OpenReaderAsync();
        return (await connection.QueryAsync<(string Id, string State)>("SELECT store_id, state FROM store_states"))
            .ToDictionary(r => r.Id, r => r.State, StringComparer.Ordinal);
    }

    /// <summary>Records that shard <paramref name="index"/> of a data id now lives on <paramref name="storeId"/>.</summary>
    public Task<bool> MoveShardAsync(string dataId, int index, string storeId) => WriteAsync(connection =>
    {
        using var tx = connection.BeginTransaction();
        bool moved = false;
        foreach (var table in new[] { "objects", "parts" })
        {
            string where = table == "objects" ? "data_id = @dataId AND parts_count = 0" : "data_id = @dataId";
            var placements = connection.Query<string>($"SELECT placement FROM {table} WHERE {where}", new { dataId }, tx).ToList();
            foreach (var placement in placements)
            {
                var stores = placement.Split(',');
                stores[index] = storeId;
                moved |= connection.Execute($"UPDATE {table} SET placement = @placement WHERE {where}", new { dataId, placement = string.Join(',', stores) }, tx) > 0;
            }
        }
        tx.Commit();
        return moved;
    });
}
