using Dapper;
using Microsoft.Data.Sqlite;
using ObjStore.Core;

namespace ObjStore.Metadata.Sqlite;

/// <summary>The statements several aggregates run inside their own transactions (an object's commit retires another's shards).</summary>
internal static class Statements
{
    public const string SelectObject = $"SELECT {ObjectRow.Columns} FROM objects WHERE bucket = @bucket AND key = @key";
    public const string SelectUpload = $"SELECT {UploadRow.Columns} FROM uploads WHERE upload_id = @uploadId";

    public static ObjectRow? FindObject(SqliteConnection connection, SqliteTransaction tx, string bucket, string key) =>
        connection.QuerySingleOrDefault<ObjectRow>(SelectObject, new { bucket, key = KeyOrder.Bytes(key) }, tx);

    public static void RequireBucket(SqliteConnection connection, SqliteTransaction tx, string bucket)
    {
        if (connection.ExecuteScalar<long>("SELECT EXISTS(SELECT 1 FROM buckets WHERE name = @bucket)", new { bucket }, tx) == 0)
        {
            throw CatalogueErrors.NoSuchBucket(bucket);
        }
    }

    public static void RequireUpload(SqliteConnection connection, SqliteTransaction tx, string bucket, string key, string uploadId)
    {
        if (!IsUploadAt(connection.QuerySingleOrDefault<UploadRow>(SelectUpload, new { uploadId }, tx), bucket, key))
        {
            throw CatalogueErrors.NoSuchUpload();
        }
    }

    public static bool IsUploadAt(UploadRow? row, string bucket, string key) =>
        row is not null && row.bucket == bucket && row.key.AsSpan().SequenceEqual(KeyOrder.Bytes(key));

    public static void EnqueueDelete(SqliteConnection connection, SqliteTransaction tx, ObjectLayout layout, long now) =>
        connection.Execute(
            "INSERT OR IGNORE INTO pending_deletes(data_id, data_shards, parity_shards, placement, enqueued) VALUES (@d, @k, @m, @p, @t)",
            new { d = layout.DataId, k = layout.DataShards, m = layout.ParityShards, p = Rows.Placement(layout), t = now }, tx);

    /// <summary>Queues every shard of an object that is leaving its key for deletion; returns the layouts.</summary>
    public static List<ObjectLayout> Retire(SqliteConnection connection, SqliteTransaction tx, ObjectRow current, long now)
    {
        var layouts = Load(connection, tx, current).Parts.Select(p => p.Layout).ToList();
        foreach (var layout in layouts)
        {
            EnqueueDelete(connection, tx, layout, now);
        }
        if (current.parts_count > 0)
        {
            connection.Execute("DELETE FROM parts WHERE upload_id = @id", new { id = current.data_id }, tx);
        }
        return layouts;
    }

    public static void InsertObject(SqliteConnection connection, SqliteTransaction tx, ObjectInfo info) =>
        connection.Execute($"INSERT OR REPLACE INTO objects ({ObjectRow.Columns}) VALUES ({ObjectRow.Parameters})", ObjectRow.From(info), tx);

    public static void InsertPart(SqliteConnection connection, SqliteTransaction tx, string uploadId, ObjectPart part) =>
        connection.Execute($"INSERT OR REPLACE INTO parts ({PartRow.Columns}) VALUES ({PartRow.Parameters})", PartRow.From(uploadId, part), tx);

    /// <summary>The object a row names, with its parts when it is a multipart object.</summary>
    public static ObjectInfo Load(SqliteConnection connection, SqliteTransaction? tx, ObjectRow row)
    {
        if (row.parts_count == 0)
        {
            return row.ToInfo(null);
        }
        var parts = connection.Query<PartRow>($"SELECT {PartRow.Columns} FROM parts WHERE upload_id = @id ORDER BY part_number", new { id = row.data_id }, tx);
        return row.ToInfo(PartRow.WithOffsets(parts));
    }

    /// <summary>Deletes an upload and its parts, queueing the parts' shards for deletion.</summary>
    public static List<ObjectLayout> DropUpload(SqliteConnection connection, SqliteTransaction tx, string uploadId, long now)
    {
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
