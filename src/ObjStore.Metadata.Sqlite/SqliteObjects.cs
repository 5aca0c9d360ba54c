using Dapper;
using ObjStore.Core;

namespace ObjStore.Metadata.Sqlite;

internal sealed class SqliteObjects(SqliteDatabase database) : IObjectCatalogue
{
    public async Task<ObjectInfo?> GetAsync(string bucket, string key)
    {
        await using var connection = await database.OpenReaderAsync();
        var row = await connection.QuerySingleOrDefaultAsync<ObjectRow>(Statements.SelectObject, new { bucket, key = KeyOrder.Bytes(key) });
        if (row is null || row.parts_count == 0)
        {
            return row?.ToInfo(null); // one row is its own snapshot
        }
        // A multipart object's row and parts come from one read transaction: never the parts of an overwrite.
        using var tx = connection.BeginTransaction(deferred: true);
        row = await connection.QuerySingleOrDefaultAsync<ObjectRow>(Statements.SelectObject, new { bucket, key = KeyOrder.Bytes(key) }, tx);
        return row is null ? null : Statements.Load(connection, tx, row);
    }

    public Task<IReadOnlyList<ObjectLayout>> CommitAsync(ObjectInfo info, string? ifMatch, bool ifNoneMatchAny) => database.TransactAsync((connection, tx) =>
    {
        Statements.RequireBucket(connection, tx, info.Bucket);
        var current = Statements.FindObject(connection, tx, info.Bucket, info.Key);
        if (ifNoneMatchAny && current is not null)
        {
            throw CatalogueErrors.ExistsAlready();
        }
        if (ifMatch is not null && (current is null || !KeyOrder.ETagMatches(ifMatch, current.etag)))
        {
            throw current is null ? CatalogueErrors.NothingToMatch() : CatalogueErrors.ETagDiffers();
        }
        IReadOnlyList<ObjectLayout> replaced = current is null ? [] : Statements.Retire(connection, tx, current, database.Now());
        Statements.InsertObject(connection, tx, info);
        return replaced;
    });

    public Task<IReadOnlyList<ObjectLayout>?> DeleteAsync(string bucket, string key) => database.TransactAsync<IReadOnlyList<ObjectLayout>?>((connection, tx) =>
    {
        var current = Statements.FindObject(connection, tx, bucket, key);
        if (current is null)
        {
            return null;
        }
        connection.Execute("DELETE FROM objects WHERE bucket = @bucket AND key = @key", new { bucket, key = KeyOrder.Bytes(key) }, tx);
        return Statements.Retire(connection, tx, current, database.Now());
    });

    /// <summary>
    /// Each query is an indexed range seek; a common prefix is returned once and the listing then seeks past every key
    /// under it, so a page costs O(page), never a scan of the bucket.
    /// </summary>
    public async Task<ListPage> ListAsync(ListRequest request)
    {
        await using var connection = await database.OpenReaderAsync();
        byte[] prefix = KeyOrder.Bytes(request.Prefix);
        byte[]? end = request.Prefix.Length == 0 ? null : KeyOrder.Successor(prefix);
        byte[]? startAfter = request.StartAfter is null ? null : KeyOrder.Bytes(request.StartAfter);
        byte[]? from = prefix;
        if (startAfter is not null && KeyOrder.Compare(startAfter, prefix) >= 0)
        {
            from = KeyOrder.After(startAfter);
        }

        var objects = new List<ObjectSummary>();
        var prefixes = new List<string>();
        string? last = null;
        int wanted = Math.Max(0, request.MaxKeys);
        string range = "bucket = @bucket AND key >= @from" + (end is null ? "" : " AND key < @end");
        string sql = $"SELECT {ObjectRow.SummaryColumns} FROM objects WHERE {range} ORDER BY key LIMIT @limit";

        while (from is not null && objects.Count + prefixes.Count < wanted)
        {
            int limit = wanted - objects.Count - prefixes.Count;
            var rows = (await connection.QueryAsync<ObjectRow>(sql, new { bucket = request.Bucket, from, end, limit })).ToList();
            bool jumped = false;
            foreach (var row in rows)
            {
                string key = KeyOrder.Text(row.key);
                string? common = KeyOrder.CommonPrefixOf(key, request.Prefix, request.Delimiter);
                if (common is null)
                {
                    objects.Add(row.ToSummary());
                    last = key;
                    from = KeyOrder.After(row.key);
                    continue;
                }
                byte[] commonBytes = KeyOrder.Bytes(common);
                if (startAfter is null || KeyOrder.Compare(commonBytes, startAfter) > 0)
                {
                    prefixes.Add(common);
                    last = common;
                }
                from = KeyOrder.Successor(commonBytes);
                jumped = true;
                break;
            }
            if (!jumped && rows.Count < limit)
            {
                from = null; // fewer rows than asked for: the range is exhausted
            }
        }

        bool truncated = from is not null && wanted > 0 && await connection.ExecuteScalarAsync<long>(
            $"SELECT EXISTS(SELECT 1 FROM objects WHERE {range})", new { bucket = request.Bucket, from, end }) != 0;
        return new ListPage(objects, prefixes, truncated, truncated ? last : null);
    }

    public Task<bool> RestoreAsync(ObjectInfo info) => database.TransactAsync((connection, tx) =>
    {
        connection.Execute("INSERT INTO buckets(name, created) VALUES (@name, @created) ON CONFLICT(name) DO NOTHING",
            new { name = info.Bucket, created = info.LastModified.ToUnixTimeMilliseconds() }, tx);
        var current = Statements.FindObject(connection, tx, info.Bucket, info.Key);
        if (current is not null && current.last_modified >= info.LastModified.ToUnixTimeMilliseconds())
        {
            return false;
        }
        if (current is not null)
        {
            Statements.Retire(connection, tx, current, database.Now());
        }
        if (info.IsMultipart)
        {
            foreach (var part in info.Parts)
            {
                Statements.InsertPart(connection, tx, info.UploadId!, part);
            }
        }
        Statements.InsertObject(connection, tx, info);
        return true;
    });
}
