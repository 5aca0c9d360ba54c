using Dapper;
using ObjStore.Core;
using ObjStore.Metadata.Sqlite;

namespace ObjStore.Metadata.Postgres;

internal sealed class PostgresShards(PostgresDatabase database) : IShardCatalogue
{
    public async Task<IReadOnlyList<ObjectLayout>> PendingDeletesAsync(int limit, string? afterDataId = null)
    {
        await using var connection = await database.OpenReaderAsync();
        var rows = await connection.QueryAsync<(string DataId, long K, long M, string Placement)>(
            "SELECT data_id, data_shards, parity_shards, placement FROM pending_deletes WHERE data_id > @after ORDER BY data_id LIMIT @limit",
            new { limit, after = afterDataId ?? "" });
        return rows.Select(r => new ObjectLayout((int)r.K, (int)r.M, 0, r.DataId, r.Placement.Split(','))).ToList();
    }

    public Task CompleteDeleteAsync(string dataId) => database.WriteAsync(connection =>
        connection.Execute("DELETE FROM pending_deletes WHERE data_id = @dataId", new { dataId }));

    public Task RecordDegradedAsync(ObjectLayout layout, IReadOnlyCollection<int> indexes, string reason) => database.TransactAsync((connection, tx) =>
    {
        long now = database.Now();
        foreach (int index in indexes)
        {
            connection.Execute(
                "INSERT INTO degraded_shards(data_id, shard_index, store_id, reason, recorded) VALUES (@d, @i, @s, @r, @t) ON CONFLICT DO NOTHING",
                new { d = layout.DataId, i = index, s = layout.Placement[index], r = reason, t = now }, tx);
        }
        return indexes.Count;
    });

    public async Task<IReadOnlyList<DegradedShard>> DegradedAsync(int limit)
    {
        await using var connection = await database.OpenReaderAsync();
        var rows = await connection.QueryAsync<(string DataId, long Index, string StoreId, string Reason)>(
            "SELECT data_id, shard_index, store_id, reason FROM degraded_shards ORDER BY recorded LIMIT @limit", new { limit });
        return rows.Select(r => new DegradedShard(r.DataId, (int)r.Index, r.StoreId, r.Reason)).ToList();
    }

    /// <summary>What shards named after <paramref name="dataId"/> belong to: a single-PUT object or a part; null if nothing.</summary>
    public async Task<DataRef?> FindDataAsync(string dataId)
    {
        await using var connection = await database.OpenReaderAsync();
        var single = await connection.QueryFirstOrDefaultAsync<ObjectRow>(
            $"SELECT {ObjectRow.Columns} FROM objects WHERE data_id = @dataId AND parts_count = 0", new { dataId });
        if (single is not null)
        {
            var part = single.ToInfo(null).Parts[0];
            return new DataRef(part.Layout, part.StoredSize, single.bucket, KeyOrder.Text(single.key));
        }
        var row = await connection.QueryFirstOrDefaultAsync<(string UploadId, long Size, string DataId, long K, long M, long Stripe, string Placement, long Kind)>(
            "SELECT upload_id, COALESCE(stored_size, size), data_id, data_shards, parity_shards, stripe_size, placement, layout_kind FROM parts WHERE data_id = @dataId", new { dataId });
        if (row.DataId is null)
        {
            return null;
        }
        var owner = await connection.QueryFirstOrDefaultAsync<(string Bucket, byte[] Key)>(
            "SELECT bucket, key FROM objects WHERE data_id = @uploadId UNION ALL SELECT bucket, key FROM uploads WHERE upload_id = @uploadId LIMIT 1",
            new { uploadId = row.UploadId });
        return new DataRef(new ObjectLayout((int)row.K, (int)row.M, (int)row.Stripe, row.DataId, row.Placement.Split(',')) { Kind = (LayoutKind)row.Kind }, row.Size,
            owner.Bucket ?? "", owner.Key is null ? "" : KeyOrder.Text(owner.Key));
    }

    /// <summary>True when a committed object, a part (of an upload or an object) or a pending delete names the data id.</summary>
    public async Task<bool> IsDataReferencedAsync(string dataId)
    {
        await using var connection = await database.OpenReaderAsync();
        return await connection.ExecuteScalarAsync<bool>(
            """
            SELECT EXISTS(SELECT 1 FROM objects WHERE data_id = @dataId AND parts_count = 0)
                OR EXISTS(SELECT 1 FROM parts WHERE data_id = @dataId)
                OR EXISTS(SELECT 1 FROM pending_deletes WHERE data_id = @dataId)
            """, new { dataId });
    }

    /// <summary>
    /// Every stored layout (single objects, then parts), in pages after <paramref name="afterDataId"/> by data id;
    /// optionally only objects of a bucket whose key starts with a prefix.
    /// </summary>
    public async Task<IReadOnlyList<DataRef>> ListDataAsync(string? afterDataId, int limit, string? bucket = null, string prefix = "")
    {
        await using var connection = await database.OpenReaderAsync();
        byte[] from = KeyOrder.Bytes(prefix);
        byte[]? end = KeyOrder.PrefixEnd(prefix);
        string filter = bucket is null ? "" : " AND o.bucket = @bucket AND o.key >= @from" + (end is null ? "" : " AND o.key < @end");
        var rows = await connection.QueryAsync<(string DataId, long Size, long K, long M, long Stripe, string Placement, string Bucket, byte[] Key, long Kind)>(
            $"""
            SELECT data_id, size, data_shards, parity_shards, stripe_size, placement, bucket, key, layout_kind FROM (
                SELECT o.data_id, COALESCE(o.stored_size, o.size) AS size, o.data_shards, o.parity_shards, o.stripe_size, o.placement, o.bucket, o.key, o.layout_kind
                FROM objects o WHERE o.parts_count = 0 AND o.delete_marker = 0{filter}
                UNION ALL
                SELECT p.data_id, COALESCE(p.stored_size, p.size) AS size, p.data_shards, p.parity_shards, p.stripe_size, p.placement, o.bucket, o.key, p.layout_kind
                FROM parts p JOIN objects o ON o.data_id = p.upload_id AND o.parts_count > 0 WHERE 1 = 1{filter}) AS data
            WHERE data_id > @after ORDER BY data_id LIMIT @limit
            """, new { after = afterDataId ?? "", limit, bucket, from, end });
        return rows.Select(r => new DataRef(new ObjectLayout((int)r.K, (int)r.M, (int)r.Stripe, r.DataId, r.Placement.Split(',')) { Kind = (LayoutKind)r.Kind }, r.Size,
            r.Bucket, KeyOrder.Text(r.Key))).ToList();
    }

    public async Task<DataTotals> MeasureDataAsync(string? bucket = null, string prefix = "", string? store = null)
    {
        await using var connection = await database.OpenReaderAsync();
        byte[] from = KeyOrder.Bytes(prefix);
        byte[]? end = KeyOrder.PrefixEnd(prefix);
        string filter = bucket is null ? "" : " AND o.bucket = @bucket AND o.key >= @from" + (end is null ? "" : " AND o.key < @end");
        // Placement is a comma-separated list of store ids: a store is in it when ",id," is in ",list,".
        string onStore = store is null ? "" : " AND strpos(',' || placement || ',', ',' || @store || ',') > 0";
        var totals = await connection.QuerySingleAsync<(long Layouts, long? Bytes)>(
            $"""
            SELECT COUNT(*), SUM(size)::bigint FROM (
                SELECT COALESCE(o.stored_size, o.size) AS size, o.placement AS placement
                FROM objects o WHERE o.parts_count = 0 AND o.delete_marker = 0{filter}
                UNION ALL
                SELECT COALESCE(p.stored_size, p.size), p.placement
                FROM parts p JOIN objects o ON o.data_id = p.upload_id AND o.parts_count > 0 WHERE 1 = 1{filter}) AS data
            WHERE 1 = 1{onStore}
            """, new { bucket, from, end, store });
        return new DataTotals(totals.Layouts, totals.Bytes ?? 0);
    }

    public Task ClearDegradedAsync(string dataId) => database.WriteAsync(connection =>
        connection.Execute("DELETE FROM degraded_shards WHERE data_id = @dataId", new { dataId }));

    public async Task<long> CountDegradedAsync()
    {
        await using var connection = await database.OpenReaderAsync();
        return await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM degraded_shards");
    }

    public Task<bool> MoveShardAsync(string dataId, int index, string storeId) => database.TransactAsync((connection, tx) =>
    {
        bool moved = false;
        foreach (var (table, where) in new[] { ("objects", "data_id = @dataId AND parts_count = 0"), ("parts", "data_id = @dataId") })
        {
            var placements = connection.Query<string>($"SELECT placement FROM {table} WHERE {where} FOR UPDATE", new { dataId }, tx).ToList(); // two moves of one layout's shards: neither lost
            foreach (var placement in placements)
            {
                var stores = placement.Split(',');
                stores[index] = storeId;
                moved |= connection.Execute($"UPDATE {table} SET placement = @placement WHERE {where}", new { dataId, placement = string.Join(',', stores) }, tx) > 0;
            }
        }
        return moved;
    });
}
