using Dapper;
using Npgsql;
using ObjStore.Core;
using ObjStore.Metadata.Sqlite;

namespace ObjStore.Metadata.Postgres;

/// <summary>The statements several aggregates run inside their own transactions (a completion adds a version, which may remove another).</summary>
internal static class Statements
{
    /// <summary>The key's latest version: the first row of the key in objects_by_seq's (seq DESC) order.</summary>
    private const string LatestOfKey = "FROM objects WHERE bucket = @bucket AND key = @key ORDER BY seq DESC LIMIT 1";
    private const string NamedVersionOfKey = "FROM objects WHERE bucket = @bucket AND key = @key AND version_id = @versionId";
    private const string WithBucketVersioning = $"SELECT {ObjectRow.Columns}, (SELECT versioning FROM buckets WHERE name = @bucket) AS bucket_versioning";

    public const string SelectLatest = $"SELECT {ObjectRow.Columns} {LatestOfKey}";
    public const string SelectVersion = $"SELECT {ObjectRow.Columns} {NamedVersionOfKey}";

    /// <summary>A version as a GET reads it (the latest, or the one named by @versionId), with its bucket's versioning.</summary>
    public const string ReadLatest = $"{WithBucketVersioning} {LatestOfKey}";
    public const string ReadVersion = $"{WithBucketVersioning} {NamedVersionOfKey}";

    public const string SelectUpload = $"SELECT {UploadRow.Columns} FROM uploads WHERE upload_id = @uploadId";

    public static ObjectRow? FindLatest(NpgsqlConnection connection, NpgsqlTransaction? tx, string bucket, string key) =>
        connection.QuerySingleOrDefault<ObjectRow>(SelectLatest, new { bucket, key = KeyOrder.Bytes(key) }, tx);

    /// <summary>The version named, or the latest when <paramref name="versionId"/> is null.</summary>
    public static ObjectRow? FindVersion(NpgsqlConnection connection, NpgsqlTransaction? tx, string bucket, string key, string? versionId) =>
        versionId is null
            ? FindLatest(connection, tx, bucket, key)
            : connection.QuerySingleOrDefault<ObjectRow>(SelectVersion, new { bucket, key = KeyOrder.Bytes(key), versionId }, tx);

    /// <summary>
    /// The bucket, locked until the transaction ends: FOR SHARE by what writes into it (so a bucket delete, which
    /// locks it FOR UPDATE, waits for them and then sees their rows), FOR UPDATE by what changes the bucket itself.
    /// </summary>
    public static BucketRow? FindBucket(NpgsqlConnection connection, NpgsqlTransaction tx, string bucket, bool forUpdate = false) =>
        connection.QuerySingleOrDefault<BucketRow>(
            $"SELECT {BucketRow.Columns} FROM buckets WHERE name = @bucket {(forUpdate ? "FOR UPDATE" : "FOR SHARE")}", new { bucket }, tx);

    public static BucketRow RequireBucket(NpgsqlConnection connection, NpgsqlTransaction tx, string bucket, bool forUpdate = false) =>
        FindBucket(connection, tx, bucket, forUpdate) ?? throw CatalogueErrors.NoSuchBucket(bucket);

    /// <summary>
    /// The bucket (FOR SHARE), then the key's lock (<see cref="PostgresDatabase.LockKey"/>), always in this order:
    /// what every change to a key's versions takes first.
    /// </summary>
    public static BucketRow RequireBucketForKey(NpgsqlConnection connection, NpgsqlTransaction tx, string bucket, string key)
    {
        var row = RequireBucket(connection, tx, bucket);
        PostgresDatabase.LockKey(connection, tx, bucket, KeyOrder.Bytes(key));
        return row;
    }

    /// <summary>
    /// A write decides its version id when it starts (its footers carry it). Versioning enabled while it streamed
    /// must not let its <c>null</c> version replace the null version of a bucket that now keeps every version: the
    /// write is refused (retryable), never committed as a replacement.
    /// </summary>
    public static void RequireVersioningAsWritten(BucketRow bucket, ObjectInfo info)
    {
        if (info.VersionId == VersionIds.Null && (VersioningState)bucket.versioning == VersioningState.Enabled)
        {
            throw CatalogueErrors.VersioningChanged();
        }
    }

    public static void RequireUpload(NpgsqlConnection connection, NpgsqlTransaction tx, string bucket, string key, string uploadId)
    {
        // FOR SHARE: parts go on arriving side by side; a completion or abort (FOR UPDATE) waits for them.
        if (!IsUploadAt(connection.QuerySingleOrDefault<UploadRow>(SelectUpload + " FOR SHARE", new { uploadId }, tx), bucket, key))
        {
            throw CatalogueErrors.NoSuchUpload();
        }
    }

    public static bool IsUploadAt(UploadRow? row, string bucket, string key) =>
        row is not null && row.bucket == bucket && row.key.AsSpan().SequenceEqual(KeyOrder.Bytes(key));

    public static void EnqueueDelete(NpgsqlConnection connection, NpgsqlTransaction tx, ObjectLayout layout, long now) =>
        connection.Execute(
            "INSERT INTO pending_deletes(data_id, data_shards, parity_shards, placement, enqueued) VALUES (@d, @k, @m, @p, @t) ON CONFLICT DO NOTHING",
            new { d = layout.DataId, k = layout.DataShards, m = layout.ParityShards, p = Rows.Placement(layout), t = now }, tx);

    /// <summary>
    /// The one statement that removes a version (or delete marker) for good. It refuses a version under Object Lock
    /// (<see cref="ObjectLockRules"/>), queues the version's shards for deletion (returned), and when the version was
    /// the latest makes the next newest one the latest.
    /// </summary>
    public static List<ObjectLayout> RemoveVersion(
        NpgsqlConnection connection, NpgsqlTransaction tx, ObjectRow row, long now, bool bypassGovernance, bool replacedByNewer = false)
    {
        ObjectLockRules.CheckRemovable(row.Lock, DateTimeOffset.FromUnixTimeMilliseconds(now), bypassGovernance);
        var layouts = row.IsDeleteMarker ? [] : Load(connection, tx, row).Parts.Select(p => p.Layout).ToList();
        foreach (var layout in layouts)
        {
            EnqueueDelete(connection, tx, layout, now);
        }
        if (row.parts_count > 0)
        {
            connection.Execute("DELETE FROM parts WHERE upload_id = @id", new { id = row.data_id }, tx);
        }
        connection.Execute("DELETE FROM objects WHERE bucket = @bucket AND key = @key AND seq = @seq", new { row.bucket, row.key, row.seq }, tx);
        if (row.is_latest != 0 && !replacedByNewer)
        {
            MarkLatest(connection, tx, row.bucket, row.key);
        }
        return layouts;
    }

    /// <summary>
    /// Adds <paramref name="info"/> as its key's latest version. A <c>null</c> version replaces the key's <c>null</c>
    /// version, if there is one (through <see cref="RemoveVersion"/>: its shards are returned as garbage); any other is
    /// added beside the key's versions. The sequence increases per key, so the version committed last is the latest,
    /// whatever the clock does. <paramref name="latest"/> is the key's latest version as the caller read it in this
    /// transaction (null: the key has none), so an unversioned write costs no more reads than it did before versions.
    /// </summary>
    public static List<ObjectLayout> AddVersion(NpgsqlConnection connection, NpgsqlTransaction tx, ObjectInfo info, ObjectRow? latest, long now)
    {
        var garbage = new List<ObjectLayout>();
        var replaced = info.VersionId != VersionIds.Null ? null
            : latest?.version_id == VersionIds.Null ? latest
            : latest is null ? null
            : FindVersion(connection, tx, info.Bucket, info.Key, VersionIds.Null);
        if (replaced is not null)
        {
            garbage.AddRange(RemoveVersion(connection, tx, replaced, now, bypassGovernance: false, replacedByNewer: true));
        }
        var row = ObjectRow.From(info);
        row.seq = Math.Max(now << 20, (latest?.seq ?? 0) + 1);
        row.is_latest = 1;
        if (latest is not null && !ReferenceEquals(latest, replaced))
        {
            connection.Execute("UPDATE objects SET is_latest = 0 WHERE bucket = @bucket AND key = @key AND seq = @seq", new { latest.bucket, latest.key, latest.seq }, tx);
        }
        connection.Execute($"INSERT INTO objects ({ObjectRow.Columns}) VALUES ({ObjectRow.Parameters})", row, tx);
        return garbage;
    }

    /// <summary>The delete marker a DELETE without a version id (or an expiry) adds in a versioned bucket: a new id when enabled, else <c>null</c>.</summary>
    public static ObjectInfo DeleteMarker(string bucket, string key, VersioningState state, long now) => new()
    {
        Bucket = bucket,
        Key = key,
        Size = 0,
        ETag = "",
        LastModified = DateTimeOffset.FromUnixTimeMilliseconds(now),
        Parts = [],
        VersionId = state == VersioningState.Enabled ? VersionIds.New(DateTimeOffset.FromUnixTimeMilliseconds(now)) : VersionIds.Null,
        IsDeleteMarker = true,
    };

    /// <summary>Inserts a version row at its sequence; it becomes the latest when it is the key's newest.</summary>
    public static void InsertVersion(NpgsqlConnection connection, NpgsqlTransaction tx, ObjectRow row)
    {
        long? newest = NewestSeq(connection, tx, row.bucket, row.key);
        row.is_latest = newest is null || row.seq > newest ? 1 : 0;
        if (row.is_latest == 1 && newest is not null)
        {
            connection.Execute("UPDATE objects SET is_latest = 0 WHERE bucket = @bucket AND key = @key AND seq = @newest", new { row.bucket, row.key, newest }, tx);
        }
        connection.Execute($"INSERT INTO objects ({ObjectRow.Columns}) VALUES ({ObjectRow.Parameters})", row, tx);
    }

    public static long? NewestSeq(NpgsqlConnection connection, NpgsqlTransaction tx, string bucket, byte[] key) =>
        connection.ExecuteScalar<long?>("SELECT seq FROM objects WHERE bucket = @bucket AND key = @key ORDER BY seq DESC LIMIT 1", new { bucket, key }, tx);

    /// <summary>After the latest version was removed: the newest remaining one becomes the latest.</summary>
    private static void MarkLatest(NpgsqlConnection connection, NpgsqlTransaction tx, string bucket, byte[] key) =>
        connection.Execute("UPDATE objects SET is_latest = 1 WHERE bucket = @bucket AND key = @key AND seq = @newest",
            new { bucket, key, newest = NewestSeq(connection, tx, bucket, key) }, tx);

    public static void InsertPart(NpgsqlConnection connection, NpgsqlTransaction tx, string uploadId, ObjectPart part) =>
        connection.Execute($"INSERT INTO parts ({PartRow.Columns}) VALUES ({PartRow.Parameters}) ON CONFLICT (upload_id, part_number) DO UPDATE SET {ReplacePart}",
            PartRow.From(uploadId, part), tx);

    private static readonly string ReplacePart = string.Join(", ",
        PartRow.Columns.Split(", ").Where(c => c is not ("upload_id" or "part_number")).Select(c => $"{c} = excluded.{c}"));

    /// <summary>The object a row names, with its parts when it is a multipart object.</summary>
    public static ObjectInfo Load(NpgsqlConnection connection, NpgsqlTransaction? tx, ObjectRow row)
    {
        if (row.parts_count == 0)
        {
            return row.ToInfo(null);
        }
        var parts = connection.Query<PartRow>($"SELECT {PartRow.Columns} FROM parts WHERE upload_id = @id ORDER BY part_number", new { id = row.data_id }, tx);
        return row.ToInfo(PartRow.WithOffsets(parts));
    }

    /// <summary>Deletes an upload and its parts, queueing the parts' shards for deletion.</summary>
    public static List<ObjectLayout> DropUpload(NpgsqlConnection connection, NpgsqlTransaction tx, string uploadId, long now)
    {
        // Parts being committed hold the upload FOR SHARE: wait for them, so none is left behind unqueued.
        connection.Execute("SELECT 1 FROM uploads WHERE upload_id = @uploadId FOR UPDATE", new { uploadId }, tx);
        var layouts = connection.Query<PartRow>($"SELECT {PartRow.Columns} FROM parts WHERE upload_id = @uploadId", new { uploadId }, tx)
            .Select(p => p.Layout).ToList();
        foreach (var layout in layouts)
        {
            EnqueueDelete(connection, tx, layout, now);
        }
        connection.Execute("DELETE FROM parts WHERE upload_id = @uploadId", new { uploadId }, tx);
        connection.Execute("DELETE FROM uploads WHERE upload_id = @uploadId", new { uploadId }, tx);
        return layouts;
    }
}
