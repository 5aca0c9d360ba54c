using System.Data;
using Dapper;
using Microsoft.Data.Sqlite;
using ObjStore.Core;

namespace ObjStore.Metadata;

/// <summary>
/// Multipart uploads: an uploads row per upload in progress, a parts row per stored part. Completion turns the chosen
/// parts into an object in one transaction (no data moves); everything a completion, abort or re-upload leaves
/// unreferenced is queued in pending_deletes in the same transaction.
/// </summary>
public sealed partial class Catalogue
{
    public Task CreateUploadAsync(MultipartUpload upload) => WriteAsync(connection =>
    {
        using var tx = connection.BeginTransaction();
        RequireBucket(connection, tx, upload.Bucket);
        connection.Execute(
            $"INSERT INTO uploads ({UploadRow.Columns}) VALUES ({UploadRow.Parameters})", UploadRow.From(upload), tx);
        tx.Commit();
        return 0;
    });

    /// <summary>The upload, if it is in progress at this bucket and key.</summary>
    public async Task<MultipartUpload?> GetUploadAsync(string bucket, string key, string uploadId)
    {
        await using var connection = await OpenReaderAsync();
        var row = await connection.QuerySingleOrDefaultAsync<UploadRow>(SelectUploadSql, new { uploadId });
        return row is not null && row.bucket == bucket && row.key.AsSpan().SequenceEqual(KeyBytes(key)) ? row.ToUpload() : null;
    }

    /// <summary>Records a stored part; returns the layout of the part it replaced (now garbage), if any.</summary>
    /// <exception cref="ObjectStoreException">NoSuchUpload when the upload was completed or aborted meanwhile.</exception>
    public Task<ObjectLayout?> CommitPartAsync(string bucket, string key, string uploadId, ObjectPart part) => WriteAsync(connection =>
    {
        using var tx = connection.BeginTransaction();
        RequireUpload(connection, tx, bucket, key, uploadId);
        var previous = connection.QuerySingleOrDefault<PartRow>(
            $"SELECT {PartRow.Columns} FROM parts WHERE upload_id = @uploadId AND part_number = @number", new { uploadId, number = part.Number }, tx);
        connection.Execute($"INSERT OR REPLACE INTO parts ({PartRow.Columns}) VALUES ({PartRow.Parameters})", PartRow.From(uploadId, part), tx);
        ObjectLayout? replaced = null;
        if (previous is not null)
        {
            replaced = previous.Layout;
            EnqueueDelete(connection, tx, replaced);
        }
        tx.Commit();
        return replaced;
    });

    /// <summary>
    /// Completes an upload in one transaction. <paramref name="assemble"/> sees the upload and all its stored parts
    /// (offsets not yet meaningful) and returns the object, whose <see cref="ObjectInfo.Parts"/> are the chosen ones;
    /// it throws to refuse (InvalidPart, EntityTooSmall, ...). Unchosen parts and the object replaced at the key become
    /// garbage (returned). A retry of a completion that already succeeded returns the object it made.
    /// </summary>
    public Task<(ObjectInfo Object, IReadOnlyList<ObjectLayout> Garbage)> CompleteUploadAsync(
        string bucket, string key, string uploadId, Func<MultipartUpload, IReadOnlyList<ObjectPart>, ObjectInfo> assemble) => WriteAsync(connection =>
    {
        using var tx = connection.BeginTransaction();
        var uploadRow = connection.QuerySingleOrDefault<UploadRow>(SelectUploadSql, new { uploadId }, tx);
        if (uploadRow is null || uploadRow.bucket != bucket || !uploadRow.key.AsSpan().SequenceEqual(KeyBytes(key)))
        {
            if (FindObject(connection, tx, bucket, key) is { } done && done.data_id == uploadId && done.parts_count > 0)
            {
                return (Load(connection, tx, done), (IReadOnlyList<ObjectLayout>)[]);
            }
            throw NoSuchUpload();
        }
        var stored = connection.Query<PartRow>(
            $"SELECT {PartRow.Columns} FROM parts WHERE upload_id = @uploadId ORDER BY part_number", new { uploadId }, tx)
            .Select(p => p.ToPart(0)).ToList();
        var info = assemble(uploadRow.ToUpload(), stored);

        var garbage = new List<ObjectLayout>();
        var chosen = info.Parts.Select(p => p.Number).ToHashSet();
        foreach (var part in stored.Where(p => !chosen.Contains(p.Number)))
        {
            EnqueueDelete(connection, tx, part.Layout);
            garbage.Add(part.Layout);
            connection.Execute("DELETE FROM parts WHERE upload_id = @uploadId AND part_number = @number", new { uploadId, number = part.Number }, tx);
        }
        if (FindObject(connection, tx, bucket, key) is { } current)
        {
            garbage.AddRange(Retire(connection, tx, current));
        }
        connection.Execute("DELETE FROM uploads WHERE upload_id = @uploadId", new { uploadId }, tx);
        InsertObject(connection, tx, info);
        tx.Commit();
        return (info, (IReadOnlyList<ObjectLayout>)garbage);
    });

    /// <summary>Ends an upload; returns its parts' layouts (now garbage).</summary>
    public Task<IReadOnlyList<ObjectLayout>> AbortUploadAsync(string bucket, string key, string uploadId) => WriteAsync<IReadOnlyList<ObjectLayout>>(connection =>
    {
        using var tx = connection.BeginTransaction();
        RequireUpload(connection, tx, bucket, key, uploadId);
        var garbage = DropUpload(connection, tx, uploadId);
        tx.Commit();
        return garbage;
    });

    public async Task<(IReadOnlyList<ObjectPart> Parts, bool IsTruncated)> ListPartsAsync(string uploadId, int partNumberMarker, int maxParts)
    {
        await using var connection = await OpenReaderAsync();
        var rows = (await connection.QueryAsync<PartRow>(
            $"SELECT {PartRow.Columns} FROM parts WHERE upload_id = @uploadId AND part_number > @partNumberMarker ORDER BY part_number LIMIT @limit",
            new { uploadId, partNumberMarker, limit = maxParts + 1 })).ToList();
        bool truncated = rows.Count > maxParts;
        return (rows.Take(maxParts).Select(r => r.ToPart(0)).ToList(), truncated);
    }

    /// <summary>
    /// One page of uploads in (key, upload id) order, which is (key, initiation) order. As in object listings, a
    /// common prefix is returned once and the scan seeks past it.
    /// </summary>
    public async Task<UploadsPage> ListUploadsAsync(ListUploadsRequest request)
    {
        await using var connection = await OpenReaderAsync();
        byte[] prefix = KeyBytes(request.Prefix);
        byte[]? end = request.Prefix.Length == 0 ? null : Successor(prefix);
        byte[]? keyMarker = string.IsNullOrEmpty(request.KeyMarker) ? null : KeyBytes(request.KeyMarker);
        // The scan position: (fromKey, afterUploadId) means uploads of fromKey after that id, then later keys.
        byte[]? fromKey = prefix;
        string afterUploadId = "";
        if (keyMarker is not null && Compare(keyMarker, prefix) >= 0)
        {
            fromKey = keyMarker;
            afterUploadId = string.IsNullOrEmpty(request.UploadIdMarker) ? "\uffff" : request.UploadIdMarker;
        }

        var uploads = new List<MultipartUpload>();
        var prefixes = new List<string>();
        int wanted = Math.Max(0, request.MaxUploads);
        string sql = $"SELECT {UploadRow.Columns} FROM uploads WHERE bucket = @bucket"
            + " AND (key > @fromKey OR (key = @fromKey AND upload_id > @afterUploadId))"
            + (end is null ? "" : " AND key < @end") + " ORDER BY key, upload_id LIMIT @limit";
        string? nextKeyMarker = null, nextUploadIdMarker = null;
        bool exhausted = false;
        while (!exhausted && uploads.Count + prefixes.Count < wanted)
        {
            int limit = wanted - uploads.Count - prefixes.Count;
            var rows = (await connection.QueryAsync<UploadRow>(sql, new { bucket = request.Bucket, fromKey, afterUploadId, end, limit })).ToList();
            bool jumped = false;
            foreach (var row in rows)
            {
                string key = Naming.StrictUtf8.GetString(row.key);
                string? common = CommonPrefixOf(key, request.Prefix, request.Delimiter);
                if (common is null)
                {
                    uploads.Add(row.ToUpload());
                    (fromKey, afterUploadId) = (row.key, row.upload_id);
                    (nextKeyMarker, nextUploadIdMarker) = (key, row.upload_id);
                    continue;
                }
                byte[] commonBytes = KeyBytes(common);
                if (keyMarker is null || Compare(commonBytes, keyMarker) > 0)
                {
                    prefixes.Add(common);
                    (nextKeyMarker, nextUploadIdMarker) = (common, null);
                }
                // Every key under the prefix sorts before its successor; "" lets uploads of the successor itself in.
                fromKey = Successor(commonBytes);
                afterUploadId = "";
                exhausted = fromKey is null;
                jumped = true;
                break;
            }
            if (!jumped && rows.Count < limit)
            {
                exhausted = true;
            }
        }
        bool truncated = !exhausted && wanted > 0 && await connection.ExecuteScalarAsync<long>(
            "SELECT EXISTS(SELECT 1 FROM uploads WHERE bucket = @bucket AND (key > @fromKey OR (key = @fromKey AND upload_id > @afterUploadId))"
            + (end is null ? "" : " AND key < @end") + ")",
            new { bucket = request.Bucket, fromKey, afterUploadId, end }) != 0;
        return new UploadsPage(uploads, prefixes, truncated, truncated ? nextKeyMarker : null, truncated ? nextUploadIdMarker : null);
    }

    /// <summary>Uploads initiated before <paramref name="cutoff"/>: abandoned, to be aborted.</summary>
    public async Task<IReadOnlyList<MultipartUpload>> UploadsInitiatedBeforeAsync(DateTimeOffset cutoff, int limit)
    {
        await using var connection = await OpenReaderAsync();
        var rows = await connection.QueryAsync<UploadRow>(
            $"SELECT {UploadRow.Columns} FROM uploads WHERE initiated < @cutoff ORDER BY initiated LIMIT @limit",
            new { cutoff = cutoff.ToUnixTimeMilliseconds(), limit });
        return rows.Select(r => r.ToUpload()).ToList();
    }

    private const string SelectUploadSql = $"SELECT {UploadRow.Columns} FROM uploads WHERE upload_id = @uploadId";

    private static void RequireUpload(SqliteConnection connection, IDbTransaction tx, string bucket, string key, string uploadId)
    {
        var row = connection.QuerySingleOrDefault<UploadRow>(SelectUploadSql, new { uploadId }, tx);
        if (row is null || row.bucket != bucket || !row.key.AsSpan().SequenceEqual(KeyBytes(key)))
        {
            throw NoSuchUpload();
        }
    }

    /// <summary>Deletes an upload and its parts, queueing the parts' shards for deletion.</summary>
    private static List<ObjectLayout> DropUpload(SqliteConnection connection, IDbTransaction tx, string uploadId)
    {
        var layouts = connection.Query<PartRow>($"SELECT {PartRow.Columns} FROM parts WHERE upload_id = @uploadId", new { uploadId }, tx)
            .Select(p => p.Layout).ToList();
        foreach (var layout in layouts)
        {
            EnqueueDelete(connection, tx, layout);
        }
        connection.Execute("DELETE FROM parts WHERE upload_id = @uploadId", new { uploadId }, tx);
        connection.Execute("DELETE FROM uploads WHERE upload_id = @uploadId", new { uploadId }, tx);
        return layouts;
    }

    public static ObjectStoreException NoSuchUpload() => new(
        ErrorKind.NoSuchUpload, "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.");

#pragma warning disable IDE1006, CA1707 // names mirror the SQL columns
    private sealed class UploadRow
    {
        public const string Columns = "upload_id, bucket, key, initiated, content_type, headers, user_meta, checksum_algo, storage_class";
        public const string Parameters = "@upload_id, @bucket, @key, @initiated, @content_type, @headers, @user_meta, @checksum_algo, @storage_class";

        public string upload_id { get; set; } = "";
        public string bucket { get; set; } = "";
        public byte[] key { get; set; } = [];
        public long initiated { get; set; }
        public string? content_type { get; set; }
        public string? headers { get; set; }
        public string? user_meta { get; set; }
        public long checksum_algo { get; set; }
        public string storage_class { get; set; } = "STANDARD";

        public static UploadRow From(MultipartUpload upload) => new()
        {
            upload_id = upload.UploadId,
            bucket = upload.Bucket,
            key = KeyBytes(upload.Key),
            initiated = upload.Initiated.ToUnixTimeMilliseconds(),
            content_type = upload.ContentType,
            headers = Json(upload.Headers),
            user_meta = Json(upload.UserMetadata),
            checksum_algo = (long)upload.ChecksumAlgorithm,
            storage_class = upload.StorageClass,
        };

        public MultipartUpload ToUpload() => new()
        {
            UploadId = upload_id,
            Bucket = bucket,
            Key = Naming.StrictUtf8.GetString(key),
            Initiated = DateTimeOffset.FromUnixTimeMilliseconds(initiated),
            ContentType = content_type,
            Headers = Dictionary(headers),
            UserMetadata = Dictionary(user_meta),
            ChecksumAlgorithm = (ChecksumAlgorithm)checksum_algo,
            StorageClass = storage_class,
        };
    }
#pragma warning restore IDE1006, CA1707
}
