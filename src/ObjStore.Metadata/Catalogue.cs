using System.Data;
using System.Text.Json;
using Dapper;
using Microsoft.Data.Sqlite;
using ObjStore.Core;

namespace ObjStore.Metadata;

/// <summary>
/// The metadata catalogue in SQLite (WAL). One writer connection serialised by a lock (SQLite allows one writer);
/// readers open pooled connections of their own and never block the writer.
/// </summary>
public sealed partial class Catalogue : IDisposable
{
    private readonly string _connectionString;
    private readonly SqliteConnection _writer;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private bool _disposed;

    public Catalogue(string path, bool synchronousFull = true)
    {
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
        // FULL: an acknowledged PUT must survive power loss, not just a process crash.
        Exec(_writer, $"PRAGMA journal_mode=WAL; PRAGMA synchronous={(synchronousFull ? "FULL" : "NORMAL")}; PRAGMA foreign_keys=ON;");
        Migrate();
    }

    /// <summary>
    /// Waits for the write in progress (background work such as a job claim may still be in one while the host shuts
    /// down), then closes; later writes are refused with <see cref="ObjectDisposedException"/>.
    /// </summary>
    public void Dispose()
    {
        _writeLock.Wait();
        try
        {
            if (!_disposed)
            {
                _disposed = true;
                _writer.Dispose();
                SqliteConnection.ClearAllPools();
            }
        }
        finally
        {
            _writeLock.Release();
        }
    }

    // ---- buckets -------------------------------------------------------------------------------------------------

    /// <summary>False when the bucket already exists.</summary>
    public Task<bool> CreateBucketAsync(string name, DateTimeOffset created) => WriteAsync(connection =>
        connection.Execute(
            "INSERT INTO buckets(name, created) VALUES (@name, @created) ON CONFLICT(name) DO NOTHING",
            new { name, created = created.ToUnixTimeMilliseconds() }) == 1);

    /// <summary>False when there was no such bucket; throws BucketNotEmpty when it holds objects.</summary>
    public Task<bool> DeleteBucketAsync(string name) => WriteAsync(connection =>
    {
        using var tx = connection.BeginTransaction();
        if (connection.ExecuteScalar<long>("SELECT EXISTS(SELECT 1 FROM objects WHERE bucket = @name)", new { name }, tx) != 0)
        {
            throw new ObjectStoreException(ErrorKind.BucketNotEmpty, $"The bucket {name} is not empty.");
        }
        // Uploads still in progress die with their bucket; their parts become garbage.
        foreach (var uploadId in connection.Query<string>("SELECT upload_id FROM uploads WHERE bucket = @name", new { name }, tx).ToList())
        {
            DropUpload(connection, tx, uploadId);
        }
        bool deleted = connection.Execute("DELETE FROM buckets WHERE name = @name", new { name }, tx) == 1;
        tx.Commit();
        return deleted;
    });

    public async Task<BucketInfo?> GetBucketAsync(string name)
    {
        await using var connection = await OpenReaderAsync();
        var row = await connection.QuerySingleOrDefaultAsync<(string Name, long Created)?>(
            "SELECT name, created FROM buckets WHERE name = @name", new { name });
        return row is { } r ? new BucketInfo(r.Name, DateTimeOffset.FromUnixTimeMilliseconds(r.Created)) : null;
    }

    public async Task<IReadOnlyList<BucketInfo>> ListBucketsAsync()
    {
        await using var connection = await OpenReaderAsync();
        var rows = await connection.QueryAsync<(string Name, long Created)>("SELECT name, created FROM buckets ORDER BY name");
        return rows.Select(r => new BucketInfo(r.Name, DateTimeOffset.FromUnixTimeMilliseconds(r.Created))).ToList();
    }

    // ---- objects -------------------------------------------------------------------------------------------------

    public async Task<ObjectInfo?> GetObjectAsync(string bucket, string key)
    {
        await using var connection = await OpenReaderAsync();
        var row = await connection.QuerySingleOrDefaultAsync<ObjectRow>(SelectObjectSql, new { bucket, key = KeyBytes(key) });
        if (row is null || row.parts_count == 0)
        {
            return row?.ToInfo(null); // one row is its own snapshot
        }
        // A multipart object's row and parts come from one read transaction: never the parts of an overwrite.
        using var tx = connection.BeginTransaction(deferred: true);
        row = await connection.QuerySingleOrDefaultAsync<ObjectRow>(SelectObjectSql, new { bucket, key = KeyBytes(key) }, tx);
        return row is null ? null : Load(connection, tx, row);
    }

    /// <summary>
    /// Makes <paramref name="info"/> (a single-PUT object) the object at its key, in one transaction: the bucket must
    /// exist, the preconditions must hold against the current object, and the replaced object's shards are queued for
    /// deletion. Returns the replaced object's layouts (now garbage).
    /// </summary>
    public Task<IReadOnlyList<ObjectLayout>> CommitObjectAsync(ObjectInfo info, string? ifMatch, bool ifNoneMatchAny) => WriteAsync(connection =>
    {
        using var tx = connection.BeginTransaction();
        RequireBucket(connection, tx, info.Bucket);
        var current = FindObject(connection, tx, info.Bucket, info.Key);
        if (ifNoneMatchAny && current is not null)
        {
            throw new ObjectStoreException(ErrorKind.PreconditionFailed, "An object already exists at this key (If-None-Match: *).");
        }
        if (ifMatch is not null && (current is null || !ETagMatches(ifMatch, current.etag)))
        {
            throw current is null
                ? new ObjectStoreException(ErrorKind.NoSuchKey, "No object to match If-Match against.")
                : new ObjectStoreException(ErrorKind.PreconditionFailed, "The object's ETag does not match If-Match.");
        }
        IReadOnlyList<ObjectLayout> replaced = current is null ? [] : Retire(connection, tx, current);
        InsertObject(connection, tx, info);
        tx.Commit();
        return replaced;
    });

    /// <summary>Removes the object; returns its layouts (now garbage, queued for deletion) or null when absent.</summary>
    public Task<IReadOnlyList<ObjectLayout>?> DeleteObjectAsync(string bucket, string key) => WriteAsync<IReadOnlyList<ObjectLayout>?>(connection =>
    {
        using var tx = connection.BeginTransaction();
        var current = FindObject(connection, tx, bucket, key);
        if (current is null)
        {
            return null;
        }
        connection.Execute("DELETE FROM objects WHERE bucket = @bucket AND key = @key", new { bucket, key = KeyBytes(key) }, tx);
        var layouts = Retire(connection, tx, current);
        tx.Commit();
        return layouts;
    });

    /// <summary>Queues every shard of an object that is leaving its key for deletion; returns the layouts.</summary>
    private static List<ObjectLayout> Retire(SqliteConnection connection, IDbTransaction tx, ObjectRow current)
    {
        var layouts = Load(connection, tx, current).Parts.Select(p => p.Layout).ToList();
        foreach (var layout in layouts)
        {
            EnqueueDelete(connection, tx, layout);
        }
        if (current.parts_count > 0)
        {
            connection.Execute("DELETE FROM parts WHERE upload_id = @id", new { id = current.data_id }, tx);
        }
        return layouts;
    }

    private static void InsertObject(SqliteConnection connection, IDbTransaction tx, ObjectInfo info) =>
        connection.Execute(
            $"INSERT OR REPLACE INTO objects ({ObjectRow.Columns}) VALUES ({ObjectRow.Parameters})", ObjectRow.From(info), tx);

    private static ObjectInfo Load(SqliteConnection connection, IDbTransaction tx, ObjectRow row)
    {
        if (row.parts_count == 0)
        {
            return row.ToInfo(null);
        }
        var parts = connection.Query<PartRow>($"SELECT {PartRow.Columns} FROM parts WHERE upload_id = @id ORDER BY part_number", new { id = row.data_id }, tx);
        return row.ToInfo(PartRow.WithOffsets(parts));
    }

    /// <summary>
    /// One page in UTF-8 binary key order. Each query is an indexed range seek; a common prefix is returned once and
    /// the listing then seeks past every key under it, so a page costs O(page), never a scan of the bucket.
    /// </summary>
    public async Task<ListPage> ListObjectsAsync(ListRequest request)
    {
        await using var connection = await OpenReaderAsync();
        byte[] prefix = KeyBytes(request.Prefix);
        byte[]? end = request.Prefix.Length == 0 ? null : Successor(prefix);
        byte[]? startAfter = request.StartAfter is null ? null : KeyBytes(request.StartAfter);
        byte[]? from = prefix;
        if (startAfter is not null && Compare(startAfter, prefix) >= 0)
        {
            from = [.. startAfter, 0]; // the smallest key after startAfter
        }

        var objects = new List<ObjectSummary>();
        var prefixes = new List<string>();
        string? last = null;
        int wanted = Math.Max(0, request.MaxKeys);
        string sql = $"SELECT {ObjectRow.SummaryColumns} FROM objects WHERE bucket = @bucket AND key >= @from"
            + (end is null ? "" : " AND key < @end") + " ORDER BY key LIMIT @limit";

        while (from is not null && objects.Count + prefixes.Count < wanted)
        {
            int limit = wanted - objects.Count - prefixes.Count;
            var rows = (await connection.QueryAsync<ObjectRow>(
                sql, new { bucket = request.Bucket, from, end, limit })).ToList();
            bool jumped = false;
            foreach (var row in rows)
            {
                string key = Naming.StrictUtf8.GetString(row.key);
                string? common = CommonPrefixOf(key, request.Prefix, request.Delimiter);
                if (common is null)
                {
                    objects.Add(row.ToSummary());
                    last = key;
                    from = [.. row.key, 0];
                    continue;
                }
                byte[] commonBytes = KeyBytes(common);
                if (startAfter is null || Compare(commonBytes, startAfter) > 0)
                {
                    prefixes.Add(common);
                    last = common;
                }
                from = Successor(commonBytes);
                jumped = true;
                break;
            }
            if (!jumped && rows.Count < limit)
            {
                from = null; // fewer rows than asked for: the range is exhausted
            }
        }

        bool truncated = false;
        if (from is not null && wanted > 0)
        {
            truncated = await connection.ExecuteScalarAsync<long>(
                "SELECT EXISTS(SELECT 1 FROM objects WHERE bucket = @bucket AND key >= @from" + (end is null ? "" : " AND key < @end") + ")",
                new { bucket = request.Bucket, from, end }) != 0;
        }
        return new ListPage(objects, prefixes, truncated, truncated ? last : null);
    }

    // ---- garbage -------------------------------------------------------------------------------------------------

    public async Task<IReadOnlyList<ObjectLayout>> PendingDeletesAsync(int limit)
    {
        await using var connection = await OpenReaderAsync();
        var rows = await connection.QueryAsync<(string DataId, long K, long M, string Placement)>(
            "SELECT data_id, data_shards, parity_shards, placement FROM pending_deletes ORDER BY enqueued LIMIT @limit", new { limit });
        return rows.Select(r => new ObjectLayout((int)r.K, (int)r.M, 0, r.DataId, r.Placement.Split(','))).ToList();
    }

    public Task CompleteDeleteAsync(string dataId) => WriteAsync(connection =>
        connection.Execute("DELETE FROM pending_deletes WHERE data_id = @dataId", new { dataId }));

    // ---- degraded shards ----------------------------------------------------------------------------------------

    /// <summary>Records shards of a committed layout that are missing or bad, for healing.</summary>
    public Task RecordDegradedShardsAsync(ObjectLayout layout, IReadOnlyCollection<int> indexes, string reason) => WriteAsync(connection =>
    {
        using var tx = connection.BeginTransaction();
        long now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        foreach (int index in indexes)
        {
            connection.Execute(
                "INSERT OR IGNORE INTO degraded_shards(data_id, shard_index, store_id, reason, recorded) VALUES (@d, @i, @s, @r, @t)",
                new { d = layout.DataId, i = index, s = layout.Placement[index], r = reason, t = now }, tx);
        }
        tx.Commit();
        return 0;
    });

    public async Task<IReadOnlyList<(string DataId, int Index, string StoreId, string Reason)>> DegradedShardsAsync(int limit)
    {
        await using var connection = await OpenReaderAsync();
        var rows = await connection.QueryAsync<(string, long, string, string)>(
            "SELECT data_id, shard_index, store_id, reason FROM degraded_shards ORDER BY recorded LIMIT @limit", new { limit });
        return rows.Select(r => (r.Item1, (int)r.Item2, r.Item3, r.Item4)).ToList();
    }

    // ---- plumbing ------------------------------------------------------------------------------------------------

    public static byte[] KeyBytes(string key) => Naming.StrictUtf8.GetBytes(key);

    private static void EnqueueDelete(SqliteConnection connection, IDbTransaction tx, ObjectLayout layout) =>
        connection.Execute(
            "INSERT OR IGNORE INTO pending_deletes(data_id, data_shards, parity_shards, placement, enqueued) VALUES (@d, @k, @m, @p, @t)",
            new { d = layout.DataId, k = layout.DataShards, m = layout.ParityShards, p = string.Join(',', layout.Placement), t = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() },
            tx);

    private const string SelectObjectSql = $"SELECT {ObjectRow.Columns} FROM objects WHERE bucket = @bucket AND key = @key";

    private static ObjectRow? FindObject(SqliteConnection connection, IDbTransaction tx, string bucket, string key) =>
        connection.QuerySingleOrDefault<ObjectRow>(SelectObjectSql, new { bucket, key = KeyBytes(key) }, tx);

    private static void RequireBucket(SqliteConnection connection, IDbTransaction tx, string bucket)
    {
        if (connection.ExecuteScalar<long>("SELECT EXISTS(SELECT 1 FROM buckets WHERE name = @bucket)", new { bucket }, tx) == 0)
        {
            throw new ObjectStoreException(ErrorKind.NoSuchBucket, $"The bucket {bucket} does not exist.");
        }
    }

    private static bool ETagMatches(string condition, string etag) =>
        condition.Split(',').Select(c => c.Trim().Trim('"')).Any(c => c == "*" || c == etag);

    /// <summary>
    /// S3's rollup rule: the key's common prefix (up to and including the first delimiter after the listing prefix), or
    /// null when the key is listed itself.
    /// </summary>
    private static string? CommonPrefixOf(string key, string prefix, string? delimiter)
    {
        int at = string.IsNullOrEmpty(delimiter) ? -1 : key.IndexOf(delimiter, prefix.Length, StringComparison.Ordinal);
        return at < 0 ? null : key[..(at + delimiter!.Length)];
    }

    /// <summary>The smallest byte string greater than every string starting with <paramref name="value"/>; null if none.</summary>
    private static byte[]? Successor(byte[] value)
    {
        var next = (byte[])value.Clone();
        for (int i = next.Length - 1; i >= 0; i--)
        {
            if (next[i] != 0xFF)
            {
                next[i]++;
                return next[..(i + 1)];
            }
        }
        return null;
    }

    private static int Compare(byte[] a, byte[] b) => a.AsSpan().SequenceCompareTo(b);

    private async Task<SqliteConnection> OpenReaderAsync()
    {
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync();
        return connection;
    }

    private async Task<T> WriteAsync<T>(Func<SqliteConnection, T> work)
    {
        await _writeLock.WaitAsync();
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return work(_writer);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private void Migrate()
    {
        long version = _writer.ExecuteScalar<long>("PRAGMA user_version", commandType: CommandType.Text);
        for (long i = version; i < Schema.Migrations.Length; i++)
        {
            using var tx = _writer.BeginTransaction();
            _writer.Execute(Schema.Migrations[i], transaction: tx, commandType: CommandType.Text);
            _writer.Execute($"PRAGMA user_version = {i + 1}", transaction: tx, commandType: CommandType.Text);
            tx.Commit();
        }
    }

    private static void Exec(SqliteConnection connection, string sql) => connection.Execute(sql, commandType: CommandType.Text);

    /// <summary>The objects row as Dapper maps it (column names verbatim).</summary>
#pragma warning disable IDE1006, CA1707 // names mirror the SQL columns
    private sealed class ObjectRow
    {
        public const string Columns = "bucket, key, size, etag, last_modified, content_type, headers, user_meta, checksum_algo, checksum, storage_class, data_id, data_shards, parity_shards, stripe_size, placement, parts_count";
        public const string Parameters = "@bucket, @key, @size, @etag, @last_modified, @content_type, @headers, @user_meta, @checksum_algo, @checksum, @storage_class, @data_id, @data_shards, @parity_shards, @stripe_size, @placement, @parts_count";
        public const string SummaryColumns = "key, size, etag, last_modified, checksum_algo, storage_class";

        public string bucket { get; set; } = "";
        public byte[] key { get; set; } = [];
        public long size { get; set; }
        public string etag { get; set; } = "";
        public long last_modified { get; set; }
        public string? content_type { get; set; }
        public string? headers { get; set; }
        public string? user_meta { get; set; }
        public long checksum_algo { get; set; }
        public string? checksum { get; set; }
        public string storage_class { get; set; } = "STANDARD";
        public string data_id { get; set; } = "";
        public long data_shards { get; set; }
        public long parity_shards { get; set; }
        public long stripe_size { get; set; }
        public string placement { get; set; } = "";
        public long parts_count { get; set; }

        /// <summary>A single-PUT object keeps its one layout in the row; a multipart one names its upload instead.</summary>
        public static ObjectRow From(ObjectInfo info)
        {
            var layout = info.Parts.Count > 0 ? info.Parts[0].Layout : null;
            return new()
            {
                bucket = info.Bucket,
                key = KeyBytes(info.Key),
                size = info.Size,
                etag = info.ETag,
                last_modified = info.LastModified.ToUnixTimeMilliseconds(),
                content_type = info.ContentType,
                headers = Json(info.Headers),
                user_meta = Json(info.UserMetadata),
                checksum_algo = (long)info.ChecksumAlgorithm,
                checksum = info.Checksum,
                storage_class = info.StorageClass,
                data_id = info.IsMultipart ? info.UploadId! : layout!.DataId,
                data_shards = layout?.DataShards ?? 0,
                parity_shards = layout?.ParityShards ?? 0,
                stripe_size = layout?.StripeSize ?? 0,
                placement = info.IsMultipart ? "" : string.Join(',', layout!.Placement),
                parts_count = info.IsMultipart ? info.Parts.Count : 0,
            };
        }

        public ObjectInfo ToInfo(IReadOnlyList<ObjectPart>? parts)
        {
            var lastModified = DateTimeOffset.FromUnixTimeMilliseconds(last_modified);
            return new()
            {
                Bucket = bucket,
                Key = Naming.StrictUtf8.GetString(key),
                Size = size,
                ETag = etag,
                LastModified = lastModified,
                ContentType = content_type,
                Headers = Dictionary(headers),
                UserMetadata = Dictionary(user_meta),
                ChecksumAlgorithm = (ChecksumAlgorithm)checksum_algo,
                Checksum = checksum,
                StorageClass = storage_class,
                IsMultipart = parts is not null,
                UploadId = parts is not null ? data_id : null,
                Parts = parts ??
                [
                    new ObjectPart(1, 0, size, etag, checksum,
                        new ObjectLayout((int)data_shards, (int)parity_shards, (int)stripe_size, data_id, placement.Split(',')))
                    { LastModified = lastModified },
                ],
            };
        }

        public ObjectSummary ToSummary() => new(
            Naming.StrictUtf8.GetString(key), size, etag, DateTimeOffset.FromUnixTimeMilliseconds(last_modified), storage_class,
            (ChecksumAlgorithm)checksum_algo);
    }

    /// <summary>The parts row.</summary>
    private sealed class PartRow
    {
        public const string Columns = "upload_id, part_number, size, etag, checksum, last_modified, data_id, data_shards, parity_shards, stripe_size, placement";
        public const string Parameters = "@upload_id, @part_number, @size, @etag, @checksum, @last_modified, @data_id, @data_shards, @parity_shards, @stripe_size, @placement";

        public string upload_id { get; set; } = "";
        public long part_number { get; set; }
        public long size { get; set; }
        public string etag { get; set; } = "";
        public string? checksum { get; set; }
        public long last_modified { get; set; }
        public string data_id { get; set; } = "";
        public long data_shards { get; set; }
        public long parity_shards { get; set; }
        public long stripe_size { get; set; }
        public string placement { get; set; } = "";

        public ObjectLayout Layout => new((int)data_shards, (int)parity_shards, (int)stripe_size, data_id, placement.Split(','));

        public ObjectPart ToPart(long offset) =>
            new((int)part_number, offset, size, etag, checksum, Layout) { LastModified = DateTimeOffset.FromUnixTimeMilliseconds(last_modified) };

        public static PartRow From(string uploadId, ObjectPart part) => new()
        {
            upload_id = uploadId,
            part_number = part.Number,
            size = part.Size,
            etag = part.ETag,
            checksum = part.Checksum,
            last_modified = part.LastModified.ToUnixTimeMilliseconds(),
            data_id = part.Layout.DataId,
            data_shards = part.Layout.DataShards,
            parity_shards = part.Layout.ParityShards,
            stripe_size = part.Layout.StripeSize,
            placement = string.Join(',', part.Layout.Placement),
        };

        /// <summary>Parts in number order, each placed after the previous one.</summary>
        public static List<ObjectPart> WithOffsets(IEnumerable<PartRow> rows)
        {
            var parts = new List<ObjectPart>();
            long offset = 0;
            foreach (var row in rows)
            {
                parts.Add(row.ToPart(offset));
                offset += row.size;
            }
            return parts;
        }
    }
#pragma warning restore IDE1006, CA1707

    private static string? Json(IReadOnlyDictionary<string, string> values) => values.Count == 0 ? null : JsonSerializer.Serialize(values);

    private static Dictionary<string, string> Dictionary(string? json) =>
        json is null ? new Dictionary<string, string>() : JsonSerializer.Deserialize<Dictionary<string, string>>(json)!;
}
