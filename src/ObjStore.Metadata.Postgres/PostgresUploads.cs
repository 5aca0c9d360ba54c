using Dapper;
using ObjStore.Core;
using ObjStore.Metadata.Sqlite;

namespace ObjStore.Metadata.Postgres;

/// <summary>
/// Multipart uploads: an uploads row per upload in progress, a parts row per stored part. Completion turns the chosen
/// parts into an object in one transaction (no data moves); everything a completion, abort or re-upload leaves
/// unreferenced is queued in pending_deletes in the same transaction.
/// </summary>
internal sealed class PostgresUploads(PostgresDatabase database) : IUploadCatalogue
{
    public Task CreateAsync(MultipartUpload upload) => database.TransactAsync((connection, tx) =>
    {
        Statements.RequireBucket(connection, tx, upload.Bucket);
        return connection.Execute($"INSERT INTO uploads ({UploadRow.Columns}) VALUES ({UploadRow.Parameters})", UploadRow.From(upload), tx);
    });

    public async Task<MultipartUpload?> GetAsync(string bucket, string key, string uploadId)
    {
        await using var connection = await database.OpenReaderAsync();
        var row = await connection.QuerySingleOrDefaultAsync<UploadRow>(Statements.SelectUpload, new { uploadId });
        return Statements.IsUploadAt(row, bucket, key) ? row!.ToUpload() : null;
    }

    public Task<ObjectLayout?> CommitPartAsync(string bucket, string key, string uploadId, ObjectPart part) => database.TransactAsync((connection, tx) =>
    {
        Statements.RequireUpload(connection, tx, bucket, key, uploadId);
        var previous = connection.QuerySingleOrDefault<PartRow>(
            $"SELECT {PartRow.Columns} FROM parts WHERE upload_id = @uploadId AND part_number = @number", new { uploadId, number = part.Number }, tx);
        Statements.InsertPart(connection, tx, uploadId, part);
        if (previous is null)
        {
            return null;
        }
        Statements.EnqueueDelete(connection, tx, previous.Layout, database.Now());
        return previous.Layout;
    });

    public Task<(ObjectInfo Object, IReadOnlyList<ObjectLayout> Garbage)> CompleteAsync(
        string bucket, string key, string uploadId, Func<MultipartUpload, IReadOnlyList<ObjectPart>, ObjectInfo> assemble) => database.TransactAsync((connection, tx) =>
    {
        // The bucket and key first, in the order every version change takes them, then the upload (waiting for parts
        // still being committed): a retried completion racing the first one waits, then finds the object it made.
        var bucketRow = Statements.FindBucket(connection, tx, bucket);
        PostgresDatabase.LockKey(connection, tx, bucket, KeyOrder.Bytes(key));
        var uploadRow = connection.QuerySingleOrDefault<UploadRow>(Statements.SelectUpload + " FOR UPDATE", new { uploadId }, tx);
        if (!Statements.IsUploadAt(uploadRow, bucket, key))
        {
            var done = connection.QuerySingleOrDefault<ObjectRow>(
                $"SELECT {ObjectRow.Columns} FROM objects WHERE data_id = @uploadId AND parts_count > 0 AND bucket = @bucket AND key = @key",
                new { uploadId, bucket, key = KeyOrder.Bytes(key) }, tx);
            if (done is not null)
            {
                return (Statements.Load(connection, tx, done), (IReadOnlyList<ObjectLayout>)[]);
            }
            throw CatalogueErrors.NoSuchUpload();
        }
        var stored = connection.Query<PartRow>(
            $"SELECT {PartRow.Columns} FROM parts WHERE upload_id = @uploadId ORDER BY part_number", new { uploadId }, tx)
            .Select(p => p.ToPart(0)).ToList();
        var info = assemble(uploadRow!.ToUpload(), stored);

        long now = database.Now();
        var garbage = new List<ObjectLayout>();
        var chosen = info.Parts.Select(p => p.Number).ToHashSet();
        foreach (var part in stored.Where(p => !chosen.Contains(p.Number)))
        {
            Statements.EnqueueDelete(connection, tx, part.Layout, now);
            garbage.Add(part.Layout);
            connection.Execute("DELETE FROM parts WHERE upload_id = @uploadId AND part_number = @number", new { uploadId, number = part.Number }, tx);
        }
        Statements.RequireVersioningAsWritten(bucketRow ?? throw CatalogueErrors.NoSuchBucket(bucket), info);
        garbage.AddRange(Statements.AddVersion(connection, tx, info, Statements.FindLatest(connection, tx, bucket, key), now));
        connection.Execute("DELETE FROM uploads WHERE upload_id = @uploadId", new { uploadId }, tx);
        return (info, (IReadOnlyList<ObjectLayout>)garbage);
    });

    public Task<IReadOnlyList<ObjectLayout>> AbortAsync(string bucket, string key, string uploadId) => database.TransactAsync<IReadOnlyList<ObjectLayout>>((connection, tx) =>
    {
        Statements.RequireUpload(connection, tx, bucket, key, uploadId);
        return Statements.DropUpload(connection, tx, uploadId, database.Now());
    });

    public async Task<(IReadOnlyList<ObjectPart> Parts, bool IsTruncated)> ListPartsAsync(string uploadId, int partNumberMarker, int maxParts)
    {
        await using var connection = await database.OpenReaderAsync();
        var rows = (await connection.QueryAsync<PartRow>(
            $"SELECT {PartRow.Columns} FROM parts WHERE upload_id = @uploadId AND part_number > @partNumberMarker ORDER BY part_number LIMIT @limit",
            new { uploadId, partNumberMarker, limit = maxParts + 1 })).ToList();
        return (rows.Take(maxParts).Select(r => r.ToPart(0)).ToList(), rows.Count > maxParts);
    }

    /// <summary>
    /// One page of uploads in (key, upload id) order, which is (key, initiation) order. As in object listings, a
    /// common prefix is returned once and the scan seeks past it.
    /// </summary>
    public async Task<UploadsPage> ListAsync(ListUploadsRequest request)
    {
        await using var connection = await database.OpenReaderAsync();
        byte[] prefix = KeyOrder.Bytes(request.Prefix);
        byte[]? end = KeyOrder.PrefixEnd(request.Prefix);
        byte[]? keyMarker = string.IsNullOrEmpty(request.KeyMarker) ? null : KeyOrder.Bytes(request.KeyMarker);
        // The scan position: (fromKey, afterUploadId) means uploads of fromKey after that id, then later keys.
        byte[]? fromKey = prefix;
        string afterUploadId = "";
        if (keyMarker is not null && KeyOrder.Compare(keyMarker, prefix) >= 0)
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
                string key = KeyOrder.Text(row.key);
                string? common = KeyOrder.CommonPrefixOf(key, request.Prefix, request.Delimiter);
                if (common is null)
                {
                    uploads.Add(row.ToUpload());
                    (fromKey, afterUploadId) = (row.key, row.upload_id);
                    (nextKeyMarker, nextUploadIdMarker) = (key, row.upload_id);
                    continue;
                }
                byte[] commonBytes = KeyOrder.Bytes(common);
                if (keyMarker is null || KeyOrder.Compare(commonBytes, keyMarker) > 0)
                {
                    prefixes.Add(common);
                    (nextKeyMarker, nextUploadIdMarker) = (common, null);
                }
                // Every key under the prefix sorts before its successor; "" lets uploads of the successor itself in.
                fromKey = KeyOrder.Successor(commonBytes);
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
        bool truncated = !exhausted && wanted > 0 && await connection.ExecuteScalarAsync<bool>(
            "SELECT EXISTS(SELECT 1 FROM uploads WHERE bucket = @bucket AND (key > @fromKey OR (key = @fromKey AND upload_id > @afterUploadId))"
            + (end is null ? "" : " AND key < @end") + ")",
            new { bucket = request.Bucket, fromKey, afterUploadId, end });
        return new UploadsPage(uploads, prefixes, truncated, truncated ? nextKeyMarker : null, truncated ? nextUploadIdMarker : null);
    }

    public async Task<IReadOnlyList<MultipartUpload>> InitiatedBeforeAsync(DateTimeOffset cutoff, int limit)
    {
        await using var connection = await database.OpenReaderAsync();
        var rows = await connection.QueryAsync<UploadRow>(
            $"SELECT {UploadRow.Columns} FROM uploads WHERE initiated < @cutoff ORDER BY initiated LIMIT @limit",
            new { cutoff = cutoff.ToUnixTimeMilliseconds(), limit });
        return rows.Select(r => r.ToUpload()).ToList();
    }
}
