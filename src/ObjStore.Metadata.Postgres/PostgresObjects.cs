using Dapper;
using Npgsql;
using ObjStore.Core;
using ObjStore.Metadata.Sqlite;

namespace ObjStore.Metadata.Postgres;

/// <summary>
/// Every version of every key in one table, in (bucket, key, seq DESC) order: a key's latest version is its first row,
/// ListObjectVersions is a range scan of objects_by_seq, and ListObjects reads a partial index of the latest versions
/// that are not delete markers, so neither grows with the number of old versions.
/// </summary>
internal sealed class PostgresObjects(PostgresDatabase database) : IObjectCatalogue
{
    /// <summary>The rows ListObjects sees: the terms of the partial index objects_current (the planner uses it for a WHERE that implies them).</summary>
    private const string Current = "is_latest = 1 AND delete_marker = 0";

    public async Task<ObjectInfo?> GetAsync(string bucket, string key, string? versionId = null)
    {
        await using var connection = await database.OpenReaderAsync();
        var parameters = new { bucket, key = KeyOrder.Bytes(key), versionId };
        var row = await connection.QuerySingleOrDefaultAsync<ObjectRow>(versionId is null ? Statements.ReadLatest : Statements.ReadVersion, parameters);
        if (row is null || row.parts_count == 0)
        {
            return row?.ToInfo(null); // one row is its own snapshot
        }
        // A multipart version's row and parts come from one snapshot: never the parts of a version removed meanwhile.
        await using var tx = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead);
        row = await connection.QuerySingleOrDefaultAsync<ObjectRow>(Statements.ReadVersion, parameters with { versionId = row.version_id }, tx);
        return row is null ? null : Statements.Load(connection, tx, row);
    }

    public Task<IReadOnlyList<ObjectLayout>> CommitAsync(ObjectInfo info, string? ifMatch, bool ifNoneMatchAny) => database.TransactAsync<IReadOnlyList<ObjectLayout>>((connection, tx) =>
    {
        Statements.RequireVersioningAsWritten(Statements.RequireBucketForKey(connection, tx, info.Bucket, info.Key), info);
        var latest = Statements.FindLatest(connection, tx, info.Bucket, info.Key);
        CheckWriteConditions(latest, ifMatch, ifNoneMatchAny);
        return Statements.AddVersion(connection, tx, info, latest, database.Now());
    });

    /// <summary>If-Match and If-None-Match on a write, against the latest version (a delete marker is no object).</summary>
    private static void CheckWriteConditions(ObjectRow? latest, string? ifMatch, bool ifNoneMatchAny)
    {
        var current = latest is { IsDeleteMarker: false } ? latest : null;
        if (ifNoneMatchAny && current is not null)
        {
            throw CatalogueErrors.ExistsAlready();
        }
        if (ifMatch is not null && (current is null || !KeyOrder.ETagMatches(ifMatch, current.etag)))
        {
            throw current is null ? CatalogueErrors.NothingToMatch() : CatalogueErrors.ETagDiffers();
        }
    }

    public Task<DeleteOutcome> DeleteAsync(string bucket, string key, string? versionId, bool bypassGovernance) => database.TransactAsync((connection, tx) =>
    {
        var bucketRow = Statements.RequireBucketForKey(connection, tx, bucket, key);
        long now = database.Now();
        if (versionId is not null)
        {
            var row = Statements.FindVersion(connection, tx, bucket, key, versionId);
            return row is null
                ? DeleteOutcome.Nothing
                : new DeleteOutcome(true, row.version_id, row.IsDeleteMarker, Statements.RemoveVersion(connection, tx, row, now, bypassGovernance));
        }
        var state = (VersioningState)bucketRow.versioning;
        if (state == VersioningState.Unversioned)
        {
            var latest = Statements.FindLatest(connection, tx, bucket, key);
            return latest is null
                ? DeleteOutcome.Nothing
                : new DeleteOutcome(true, null, false, Statements.RemoveVersion(connection, tx, latest, now, bypassGovernance));
        }
        // Versioned: a delete marker becomes the latest version, even where the key had none (S3 does the same).
        var marker = Statements.DeleteMarker(bucket, key, state, now);
        return new DeleteOutcome(true, marker.VersionId, true, Statements.AddVersion(connection, tx, marker, Statements.FindLatest(connection, tx, bucket, key), now));
    });

    /// <summary>
    /// Each query is an indexed range seek; a common prefix is returned once and the listing then seeks past every key
    /// under it, so a page costs O(page), never a scan of the bucket.
    /// </summary>
    public async Task<ListPage> ListAsync(ListRequest request)
    {
        await using var connection = await database.OpenReaderAsync();
        byte[] prefix = KeyOrder.Bytes(request.Prefix);
        byte[]? end = KeyOrder.PrefixEnd(request.Prefix);
        byte[]? startAfter = request.StartAfter is null ? null : KeyOrder.Bytes(request.StartAfter);
        byte[]? from = prefix;
        if (startAfter is not null && KeyOrder.Compare(startAfter, prefix) >= 0)
        {
            from = KeyOrder.After(startAfter);
        }

        int wanted = Math.Max(0, request.MaxKeys);
        if (!string.IsNullOrEmpty(request.Delimiter) && wanted > 0)
        {
            return await ListDelimitedAsync(connection, request, prefix, end, startAfter, from, wanted);
        }

        var objects = new List<ObjectSummary>();
        var prefixes = new List<string>();
        string? last = null;
        string range = ListRange(bounded: end is not null);
        // One prepared statement for every seek of the page (a delimiter listing makes one per common prefix), its
        // rows read one at a time: a seek that lands in a common prefix reads one row, not a page of them.
        await using var seek = Seek(connection, ListSeek(bounded: end is not null), request.Bucket, end, out var fromParameter, out var limitParameter);

        while (from is not null && objects.Count + prefixes.Count < wanted)
        {
            int limit = wanted - objects.Count - prefixes.Count;
            (fromParameter.Value, limitParameter.Value) = (from, limit);
            var (read, common) = await SeekUntilCommonPrefixAsync(seek, request.Prefix, request.Delimiter, (row, key) =>
            {
                objects.Add(row.ToSummary());
                last = key;
                from = KeyOrder.After(row.key);
            });
            if (common is not null)
            {
                byte[] commonBytes = KeyOrder.Bytes(common);
                if (startAfter is null || KeyOrder.Compare(commonBytes, startAfter) > 0)
                {
                    prefixes.Add(common);
                    last = common;
                }
                from = KeyOrder.Successor(commonBytes);
            }
            else if (read < limit)
            {
                from = null; // fewer rows than asked for: the range is exhausted
            }
        }

        bool truncated = from is not null && wanted > 0 && await connection.ExecuteScalarAsync<bool>(
            $"SELECT EXISTS(SELECT 1 FROM objects WHERE {range})", new { bucket = request.Bucket, from, end });
        return new ListPage(objects, prefixes, truncated, truncated ? last : null);
    }

    /// <summary>
    /// A delimiter listing as one statement: PostgreSQL walks the page itself, one index probe of objects_current a
    /// step, each step either a key (the next step seeks the key after it) or a common prefix (the next seeks past every
    /// key under it, to the prefix with its last byte, the delimiter's, one higher: never 0xFF in UTF-8). A page of
    /// 1000 common prefixes was 1000 round trips from the gateway (400-800 ms on loopback, a seek each); it is one.
    /// Two steps more than the page: one for a common prefix holding StartAfter (not listed again), one to tell
    /// whether the listing is truncated.
    /// </summary>
    private static async Task<ListPage> ListDelimitedAsync(NpgsqlConnection connection, ListRequest request, byte[] prefix, byte[]? end,
        byte[]? startAfter, byte[] from, int wanted)
    {
        await using var walk = WalkCommand(connection, DelimiterWalk(bounded: end is not null), request.Bucket, request.Delimiter!, prefix, end, wanted);
        walk.Parameters.AddWithValue("from", NpgsqlTypes.NpgsqlDbType.Bytea, from);
        var objects = new List<ObjectSummary>();
        var prefixes = new List<string>();
        string? last = null;
        bool truncated = await WalkPageAsync(walk, startAfter, wanted,
            common => prefixes.Add(last = KeyOrder.Text(common)),
            row =>
            {
                objects.Add(row.ToSummary());
                last = KeyOrder.Text(row.key);
            });
        return new ListPage(objects, prefixes, truncated, truncated ? last : null);
    }

    /// <summary>
    /// A delimiter walk's command with what both walks take: the bucket, the delimiter and the prefix's length in
    /// bytes (the common prefix is found in the key's bytes after it), @end when the prefix has one, and two steps
    /// more than the page (<see cref="WalkPageAsync"/>).
    /// </summary>
    private static NpgsqlCommand WalkCommand(NpgsqlConnection connection, string sql, string bucket, string delimiter, byte[] prefix, byte[]? end, int wanted)
    {
#pragma warning disable CA2100 // the statement is built from the catalogue's own fragments; values are parameters
        var walk = new NpgsqlCommand(sql, connection);
#pragma warning restore CA2100
        walk.Parameters.AddWithValue("bucket", NpgsqlTypes.NpgsqlDbType.Text, bucket);
        walk.Parameters.AddWithValue("delimiter", NpgsqlTypes.NpgsqlDbType.Bytea, KeyOrder.Bytes(delimiter));
        walk.Parameters.AddWithValue("prefixLength", NpgsqlTypes.NpgsqlDbType.Integer, prefix.Length);
        walk.Parameters.AddWithValue("steps", NpgsqlTypes.NpgsqlDbType.Integer, wanted + 2);
        if (end is not null)
        {
            walk.Parameters.AddWithValue("end", NpgsqlTypes.NpgsqlDbType.Bytea, end);
        }
        return walk;
    }

    /// <summary>
    /// Reads a delimiter walk's steps into a page of <paramref name="wanted"/> entries: a common prefix at or before
    /// <paramref name="marker"/> (StartAfter, KeyMarker: it holds the marker, so an earlier page listed it) is passed
    /// over; a step beyond the page means the listing is truncated (the return value).
    /// </summary>
    private static async Task<bool> WalkPageAsync(NpgsqlCommand walk, byte[]? marker, int wanted, Action<byte[]> onCommon, Action<ObjectRow> onRow)
    {
        await using var reader = await walk.ExecuteReaderAsync();
        var parse = reader.GetRowParser<ObjectRow>();
        int listed = 0;
        while (await reader.ReadAsync())
        {
            bool common = reader.GetBoolean(0);
            var key = (byte[])reader["key"];
            if (common && marker is not null && KeyOrder.Compare(key, marker) <= 0)
            {
                continue;
            }
            if (listed++ == wanted)
            {
                return true;
            }
            if (common)
            {
                onCommon(key);
            }
            else
            {
                onRow(parse(reader));
            }
        }
        return false;
    }

    /// <summary>
    /// A walk step's common prefix, from the row it found (o): d.at is where the delimiter first stands in the key's
    /// bytes after the prefix (0: nowhere, the row is listed itself), c.common the key up to and with it.
    /// </summary>
    private const string CommonPrefixOfStep = """
        LATERAL (SELECT position(@delimiter IN substring(o.key FROM @prefixLength + 1)) AS at) d,
        LATERAL (SELECT substring(o.key FROM 1 FOR @prefixLength + d.at - 1 + length(@delimiter)) AS common) c
        """;

    /// <summary>Where the walk goes after c.common: the common prefix with its last byte (the delimiter's, never 0xFF in UTF-8) one higher.</summary>
    private const string PastCommonPrefix = """overlay(c.common PLACING set_byte('\x00'::bytea, 0, get_byte(c.common, length(c.common) - 1) + 1) FROM length(c.common) FOR 1)""";

    /// <summary>The statement of <see cref="ListDelimitedAsync"/>: a recursive walk of @steps steps from @from.</summary>
    internal static string DelimiterWalk(bool bounded) => $$"""
        WITH RECURSIVE walk (n, common, key, size, etag, last_modified, checksum_algo, storage_class, owner, next_from) AS (
            SELECT 0, false, NULL::bytea, NULL::bigint, NULL::text, NULL::bigint, NULL::bigint, NULL::text, NULL::text, @from::bytea
            UNION ALL
            SELECT w.n + 1, d.at > 0,
                   CASE WHEN d.at > 0 THEN c.common ELSE o.key END,
                   o.size, o.etag, o.last_modified, o.checksum_algo, o.storage_class, o.owner,
                   CASE WHEN d.at > 0
                        THEN {{PastCommonPrefix}}
                        ELSE o.key || '\x00'::bytea END
            FROM walk w,
                 LATERAL (SELECT {{ObjectRow.SummaryColumns}} FROM objects
                          WHERE bucket = @bucket AND key >= w.next_from{{(bounded ? " AND key < @end" : "")}} AND {{Current}} ORDER BY key LIMIT 1) o,
                 {{CommonPrefixOfStep}}
            WHERE w.n < @steps
        )
        SELECT common, key, size, etag, last_modified, checksum_algo, storage_class, owner FROM walk WHERE n > 0 ORDER BY n
        """;

    /// <summary>
    /// The rows a ListObjects seek reads: from @from, below @end when the prefix has one. The WHERE names the partial
    /// index's predicate, so the planner reads objects_current (index-only: it includes ObjectRow.SummaryColumns),
    /// never every old version of every key.
    /// </summary>
    internal static string ListRange(bool bounded) => $"bucket = @bucket AND key >= @from{(bounded ? " AND key < @end" : "")} AND {Current}";

    /// <summary>One seek of ListObjects (also what <see cref="SyntheticPostgresCatalogue.ExplainListingAsync"/> explains).</summary>
    internal static string ListSeek(bool bounded) => $"SELECT {ObjectRow.SummaryColumns} FROM objects WHERE {ListRange(bounded)} ORDER BY key LIMIT @limit";

    /// <summary>
    /// A walk of objects_by_seq from a position: the versions of one key older than a sequence (after a
    /// version-id marker, or where the last query stopped), then the keys after it. As in <see cref="ListAsync"/>, a
    /// common prefix is returned once and the walk seeks past it, so a page costs O(page).
    /// </summary>
    public async Task<VersionsPage> ListVersionsAsync(ListVersionsRequest request)
    {
        await using var connection = await database.OpenReaderAsync();
        byte[] prefix = KeyOrder.Bytes(request.Prefix);
        byte[]? end = KeyOrder.PrefixEnd(request.Prefix);
        byte[]? keyMarker = string.IsNullOrEmpty(request.KeyMarker) ? null : KeyOrder.Bytes(request.KeyMarker);

        // The walk's position: versions of Key older than Below when Below is set, else keys from Key on.
        var position = new WalkPosition(prefix, null);
        if (keyMarker is not null && KeyOrder.Compare(keyMarker, prefix) >= 0)
        {
            position = new WalkPosition(KeyOrder.After(keyMarker), null);
            // The rest of the marker key's versions, when that key is one this listing lists by itself.
            bool listedKey = (end is null || KeyOrder.Compare(keyMarker, end) < 0)
                && KeyOrder.CommonPrefixOf(request.KeyMarker!, request.Prefix, request.Delimiter) is null;
            if (listedKey && !string.IsNullOrEmpty(request.VersionIdMarker))
            {
                long? seq = await connection.ExecuteScalarAsync<long?>(
                    "SELECT seq FROM objects WHERE bucket = @bucket AND key = @key AND version_id = @versionId",
                    new { bucket = request.Bucket, key = keyMarker, versionId = request.VersionIdMarker });
                position = seq is { } below
                    ? new WalkPosition(keyMarker, below)
                    : throw new ObjectStoreException(ErrorKind.InvalidArgument, "Invalid version id specified");
            }
        }

        int wanted = Math.Max(0, request.MaxKeys);
        if (!string.IsNullOrEmpty(request.Delimiter) && wanted > 0)
        {
            return await ListVersionsDelimitedAsync(connection, request, prefix, end, keyMarker, position, wanted);
        }

        var versions = new List<VersionSummary>();
        var prefixes = new List<string>();
        string? nextKey = null, nextVersion = null;
        string inRange = end is null ? "" : " AND key < @end";
        string olderOfKey = $"SELECT {ObjectRow.VersionSummaryColumns} FROM objects WHERE bucket = @bucket AND key = @key AND seq < @below ORDER BY seq DESC LIMIT @limit";
        string fromKey = $"SELECT {ObjectRow.VersionSummaryColumns} FROM objects WHERE bucket = @bucket AND key >= @from{inRange} ORDER BY key, seq DESC LIMIT @limit";

        await using var seek = Seek(connection, fromKey, request.Bucket, end, out var keyParameter, out var limitParameter);
        bool exhausted = false;
        while (!exhausted && versions.Count + prefixes.Count < wanted)
        {
            int limit = wanted - versions.Count - prefixes.Count;
            if (position.Below is { } below)
            {
                var older = (await connection.QueryAsync<ObjectRow>(olderOfKey, new { bucket = request.Bucket, key = position.Key, below, limit })).ToList();
                foreach (var row in older)
                {
                    versions.Add(row.ToVersionSummary());
                    (nextKey, nextVersion) = (KeyOrder.Text(row.key), row.version_id);
                }
                position = older.Count < limit ? new WalkPosition(KeyOrder.After(position.Key), null) : position with { Below = older[^1].seq };
                continue;
            }
            (keyParameter.Value, limitParameter.Value) = (position.Key, limit);
            var (read, common) = await SeekUntilCommonPrefixAsync(seek, request.Prefix, request.Delimiter, (row, key) =>
            {
                versions.Add(row.ToVersionSummary());
                (nextKey, nextVersion) = (key, row.version_id);
                position = new WalkPosition(row.key, row.seq);
            });
            if (common is not null)
            {
                byte[] commonBytes = KeyOrder.Bytes(common);
                if (keyMarker is null || KeyOrder.Compare(commonBytes, keyMarker) > 0)
                {
                    prefixes.Add(common);
                    (nextKey, nextVersion) = (common, null);
                }
                var successor = KeyOrder.Successor(commonBytes);
                exhausted = successor is null;
                position = new WalkPosition(successor ?? [], null);
            }
            else if (read < limit)
            {
                exhausted = true;
            }
        }

        bool truncated = !exhausted && wanted > 0 && await MoreVersionsAsync(connection, request.Bucket, position, end);
        return new VersionsPage(versions, prefixes, truncated, truncated ? nextKey : null, truncated ? nextVersion : null);
    }

    private readonly record struct WalkPosition(byte[] Key, long? Below);

    /// <summary>
    /// ListObjectVersions with a delimiter as one statement, as <see cref="ListDelimitedAsync"/>: each step is the next
    /// version (of the same key, older, or the first of a later key), or a common prefix to seek past.
    /// </summary>
    private static async Task<VersionsPage> ListVersionsDelimitedAsync(NpgsqlConnection connection, ListVersionsRequest request, byte[] prefix, byte[]? end,
        byte[]? keyMarker, WalkPosition position, int wanted)
    {
        await using var walk = WalkCommand(connection, VersionsDelimiterWalk(bounded: end is not null), request.Bucket, request.Delimiter!, prefix, end, wanted);
        walk.Parameters.AddWithValue("from", NpgsqlTypes.NpgsqlDbType.Bytea, position.Key);
        walk.Parameters.AddWithValue("below", NpgsqlTypes.NpgsqlDbType.Bigint, position.Below is { } below ? below : DBNull.Value);
        var versions = new List<VersionSummary>();
        var prefixes = new List<string>();
        string? nextKey = null, nextVersion = null;
        bool truncated = await WalkPageAsync(walk, keyMarker, wanted,
            common =>
            {
                prefixes.Add(nextKey = KeyOrder.Text(common));
                nextVersion = null;
            },
            row =>
            {
                versions.Add(row.ToVersionSummary());
                (nextKey, nextVersion) = (KeyOrder.Text(row.key), row.version_id);
            });
        return new VersionsPage(versions, prefixes, truncated, truncated ? nextKey : null, truncated ? nextVersion : null);
    }

    /// <summary>
    /// The statement of <see cref="ListVersionsDelimitedAsync"/>: from (@from, @below), the versions of @from older
    /// than @below when it is set, else keys from @from on; each step takes the first of the key's next older version
    /// and the first version of a later key, by index probes of objects_by_seq.
    /// </summary>
    internal static string VersionsDelimiterWalk(bool bounded) => $$"""
        WITH RECURSIVE walk (n, common, key, seq, version_id, is_latest, delete_marker, size, etag, last_modified, checksum_algo, storage_class, owner,
                             next_key, next_below) AS (
            SELECT 0, false, NULL::bytea, NULL::bigint, NULL::text COLLATE "C", NULL::bigint, NULL::bigint, NULL::bigint, NULL::text, NULL::bigint, NULL::bigint,
                   NULL::text, NULL::text, @from::bytea, @below::bigint
            UNION ALL
            SELECT w.n + 1, d.at > 0,
                   CASE WHEN d.at > 0 THEN c.common ELSE o.key END,
                   o.seq, o.version_id, o.is_latest, o.delete_marker, o.size, o.etag, o.last_modified, o.checksum_algo, o.storage_class, o.owner,
                   CASE WHEN d.at > 0
                        THEN {{PastCommonPrefix}}
                        ELSE o.key END,
                   CASE WHEN d.at > 0 THEN NULL ELSE o.seq END
            FROM walk w,
                 LATERAL (SELECT * FROM (
                     (SELECT {{ObjectRow.VersionSummaryColumns}}, 0 AS branch FROM objects
                      WHERE w.next_below IS NOT NULL AND bucket = @bucket AND key = w.next_key AND seq < w.next_below ORDER BY seq DESC LIMIT 1)
                     UNION ALL
                     (SELECT {{ObjectRow.VersionSummaryColumns}}, 1 FROM objects
                      WHERE bucket = @bucket AND key >= CASE WHEN w.next_below IS NULL THEN w.next_key ELSE w.next_key || '\x00'::bytea END{{(bounded ? " AND key < @end" : "")}}
                      ORDER BY key, seq DESC LIMIT 1)
                 ) candidates ORDER BY branch LIMIT 1) o,
                 {{CommonPrefixOfStep}}
            WHERE w.n < @steps
        )
        SELECT common, key, seq, version_id, is_latest, delete_marker, size, etag, last_modified, checksum_algo, storage_class, owner
        FROM walk WHERE n > 0 ORDER BY n
        """;

    /// <summary>
    /// A listing's range query as one command, executed again for every seek with new @from and @limit values (the
    /// data source prepares statements it sees often: Max Auto Prepare).
    /// </summary>
    private static NpgsqlCommand Seek(NpgsqlConnection connection, string sql, string bucket, byte[]? end,
        out NpgsqlParameter from, out NpgsqlParameter limit)
    {
#pragma warning disable CA2100 // the statement is built from the catalogue's own fragments; values are parameters
        var command = new NpgsqlCommand(sql, connection);
#pragma warning restore CA2100
        command.Parameters.AddWithValue("bucket", NpgsqlTypes.NpgsqlDbType.Text, bucket);
        if (end is not null)
        {
            command.Parameters.AddWithValue("end", NpgsqlTypes.NpgsqlDbType.Bytea, end);
        }
        from = command.Parameters.Add("from", NpgsqlTypes.NpgsqlDbType.Bytea);
        limit = command.Parameters.Add("limit", NpgsqlTypes.NpgsqlDbType.Integer);
        return command;
    }

    /// <summary>
    /// Runs one seek of a listing: hands every row that rolls up into no common prefix to <paramref name="onKey"/>
    /// (with its key as text) and stops at the first that does, returning that prefix. Read counts the rows read: fewer
    /// than the seek's limit with no common prefix met means the range is exhausted.
    /// </summary>
    private static async Task<(int Read, string? Common)> SeekUntilCommonPrefixAsync(NpgsqlCommand seek, string prefix, string? delimiter, Action<ObjectRow, string> onKey)
    {
        int read = 0;
        await using var reader = await seek.ExecuteReaderAsync();
        var parse = reader.GetRowParser<ObjectRow>();
        while (await reader.ReadAsync())
        {
            read++;
            var row = parse(reader);
            string key = KeyOrder.Text(row.key);
            if (KeyOrder.CommonPrefixOf(key, prefix, delimiter) is { } common)
            {
                return (read, common);
            }
            onKey(row, key);
        }
        return (read, null);
    }

    private static async Task<bool> MoreVersionsAsync(NpgsqlConnection connection, string bucket, WalkPosition position, byte[]? end)
    {
        string inRange = end is null ? "" : " AND key < @end";
        string sql = position.Below is null
            ? $"SELECT EXISTS(SELECT 1 FROM objects WHERE bucket = @bucket AND key >= @key{inRange})"
            : $"SELECT EXISTS(SELECT 1 FROM objects WHERE bucket = @bucket AND key = @key AND seq < @below) OR EXISTS(SELECT 1 FROM objects WHERE bucket = @bucket AND key > @key{inRange})";
        return await connection.ExecuteScalarAsync<bool>(sql, new { bucket, key = position.Key, below = position.Below, end });
    }

    public async Task<IReadOnlyList<VersionEntry>> ScanVersionsAsync(string bucket, string prefix, string? afterKey, int limit)
    {
        await using var connection = await database.OpenReaderAsync();
        byte[] start = KeyOrder.Bytes(prefix);
        if (afterKey is not null && KeyOrder.Bytes(afterKey) is var after && KeyOrder.Compare(after, start) >= 0)
        {
            start = KeyOrder.After(after);
        }
        byte[]? end = KeyOrder.PrefixEnd(prefix);
        string inRange = end is null ? "" : " AND key < @end";
        limit = Math.Max(1, limit);
        var rows = (await connection.QueryAsync<ObjectRow>(
            $"SELECT {ObjectRow.EntryColumns} FROM objects WHERE bucket = @bucket AND key >= @start{inRange} ORDER BY key, seq DESC LIMIT @limit",
            new { bucket, start, end, limit })).ToList();
        if (rows.Count == limit)
        {
            // The last key may go on past the page: drop it (the next page starts with it), unless it is all there is.
            byte[] last = rows[^1].key;
            int whole = rows.FindIndex(r => r.key.AsSpan().SequenceEqual(last));
            rows = whole > 0
                ? rows[..whole]
                : (await connection.QueryAsync<ObjectRow>(
                    $"SELECT {ObjectRow.EntryColumns} FROM objects WHERE bucket = @bucket AND key = @last ORDER BY seq DESC", new { bucket, last })).ToList();
        }
        return rows.ConvertAll(r => r.ToVersionEntry());
    }

    public async Task<long> CountVersionsAsync(string bucket, string prefix)
    {
        await using var connection = await database.OpenReaderAsync();
        byte[] start = KeyOrder.Bytes(prefix);
        byte[]? end = KeyOrder.PrefixEnd(prefix);
        return await connection.ExecuteScalarAsync<long>(
            $"SELECT COUNT(*) FROM objects WHERE bucket = @bucket AND key >= @start{(end is null ? "" : " AND key < @end")}", new { bucket, start, end });
    }

    public Task<DeleteOutcome> ExpireAsync(string bucket, VersionEntry version, ExpiryAction action) => database.TransactAsync((connection, tx) =>
    {
        var bucketRow = Statements.RequireBucketForKey(connection, tx, bucket, version.Key);
        byte[] key = KeyOrder.Bytes(version.Key);
        var row = connection.QuerySingleOrDefault<ObjectRow>(
            $"SELECT {ObjectRow.Columns} FROM objects WHERE bucket = @bucket AND key = @key AND seq = @seq", new { bucket, key, seq = version.Sequence }, tx);
        // Same sequence means same content and size; tags can change in place, and a tag filter judged them.
        bool stillAsJudged = row is not null && SameTags(Rows.Tags(row.tags), version.Tags) && action switch
        {
            ExpiryAction.ExpireCurrent => row.is_latest != 0 && !row.IsDeleteMarker,
            ExpiryAction.RemoveNoncurrent => row.is_latest == 0,
            ExpiryAction.RemoveExpiredDeleteMarker => row.is_latest != 0 && row.IsDeleteMarker
                && connection.ExecuteScalar<long>("SELECT COUNT(*) FROM objects WHERE bucket = @bucket AND key = @key", new { bucket, key }, tx) == 1,
            _ => false,
        };
        if (!stillAsJudged)
        {
            return DeleteOutcome.Nothing;
        }
        long now = database.Now();
        var state = (VersioningState)bucketRow.versioning;
        if (action != ExpiryAction.ExpireCurrent || state == VersioningState.Unversioned)
        {
            return new DeleteOutcome(true, row!.version_id, row.IsDeleteMarker, Statements.RemoveVersion(connection, tx, row, now, bypassGovernance: false));
        }
        var marker = Statements.DeleteMarker(bucket, version.Key, state, now);
        return new DeleteOutcome(true, marker.VersionId, true, Statements.AddVersion(connection, tx, marker, row, now));
    });

    private static bool SameTags(IReadOnlyDictionary<string, string> stored, IReadOnlyDictionary<string, string> judged) =>
        stored.Count == judged.Count && stored.All(t => judged.TryGetValue(t.Key, out string? value) && value == t.Value);

    public Task<string> SetRetentionAsync(string bucket, string key, string? versionId, ObjectRetention? retention, bool bypassGovernance) =>
        UpdateLockAsync(bucket, key, versionId, (row, now) =>
        {
            ObjectLockRules.CheckRetentionChange(row.Lock.Retention, retention, now, bypassGovernance);
            return row.Lock with { Retention = retention };
        });

    public Task<string> SetLegalHoldAsync(string bucket, string key, string? versionId, bool legalHold) =>
        UpdateLockAsync(bucket, key, versionId, (row, _) => row.Lock with { LegalHold = legalHold });

    public Task<string> SetAclAsync(string bucket, string key, string? versionId, string? acl) => database.TransactAsync((connection, tx) =>
    {
        Statements.RequireBucketForKey(connection, tx, bucket, key);
        var row = RequireContentVersion(connection, tx, bucket, key, versionId);
        connection.Execute("UPDATE objects SET acl = @acl WHERE bucket = @bucket AND key = @key AND seq = @seq",
            new { acl, row.bucket, row.key, row.seq }, tx);
        return row.version_id;
    });

    public Task<string> SetTagsAsync(string bucket, string key, string? versionId, IReadOnlyDictionary<string, string> tags) => database.TransactAsync((connection, tx) =>
    {
        Statements.RequireBucketForKey(connection, tx, bucket, key);
        var row = RequireContentVersion(connection, tx, bucket, key, versionId);
        connection.Execute("UPDATE objects SET tags = @tags WHERE bucket = @bucket AND key = @key AND seq = @seq",
            new { tags = Rows.Json(tags), row.bucket, row.key, row.seq }, tx);
        return row.version_id;
    });

    /// <summary>
    /// The version a change of its ACL, tags or lock names (the latest when <paramref name="versionId"/> is null):
    /// NoSuchKey or NoSuchVersion when there is none, MethodNotAllowed for a delete marker, which has none of them.
    /// </summary>
    private static ObjectRow RequireContentVersion(NpgsqlConnection connection, NpgsqlTransaction tx, string bucket, string key, string? versionId)
    {
        var row = Statements.FindVersion(connection, tx, bucket, key, versionId)
            ?? throw (versionId is null ? CatalogueErrors.NoSuchKey() : CatalogueErrors.NoSuchVersion());
        return row.IsDeleteMarker
            ? throw new ObjectStoreException(ErrorKind.MethodNotAllowed, "The specified method is not allowed against a delete marker.")
            : row;
    }

    /// <summary>Changes one version's lock columns, in a bucket with Object Lock; never a delete marker's.</summary>
    private Task<string> UpdateLockAsync(string bucket, string key, string? versionId, Func<ObjectRow, DateTimeOffset, ObjectLock> change) =>
        database.TransactAsync((connection, tx) =>
        {
            if (Statements.RequireBucketForKey(connection, tx, bucket, key).object_lock == 0)
            {
                throw CatalogueErrors.NoLockConfiguration();
            }
            var row = RequireContentVersion(connection, tx, bucket, key, versionId);
            var (mode, until, hold) = Rows.LockColumns(change(row, database.Clock.GetUtcNow()));
            connection.Execute(
                "UPDATE objects SET lock_mode = @mode, retain_until = @until, legal_hold = @hold WHERE bucket = @bucket AND key = @key AND seq = @seq",
                new { mode, until, hold, row.bucket, row.key, row.seq }, tx);
            return row.version_id;
        });

    /// <summary>
    /// A version from a footer scan goes in at a sequence made from its time (ties broken by its id), so a key's
    /// versions come back in the order they were written; the newest becomes the latest. A restore never frees data:
    /// of two null versions of one key (an overwrite whose old shards were not yet freed, or an upload that started
    /// unversioned and completed once versioning was enabled), the newer is the null version and the older is kept
    /// under an id of its own. Whatever it restores is taken off the queue of shards to delete.
    /// </summary>
    public Task<bool> RestoreAsync(ObjectInfo info) => database.TransactAsync((connection, tx) =>
    {
        connection.Execute("INSERT INTO buckets(name, created) VALUES (@name, @created) ON CONFLICT(name) DO NOTHING",
            new { name = info.Bucket, created = info.LastModified.ToUnixTimeMilliseconds() }, tx);
        var row = ObjectRow.From(info);
        Statements.RequireBucketForKey(connection, tx, info.Bucket, info.Key);
        if (connection.ExecuteScalar<bool>("SELECT EXISTS(SELECT 1 FROM objects WHERE bucket = @bucket AND key = @key AND data_id = @data_id)", row, tx))
        {
            return false; // already there
        }
        if (info.VersionId != VersionIds.Null)
        {
            // A bucket holding versions had versioning enabled; never turn it off again.
            connection.Execute("UPDATE buckets SET versioning = @enabled WHERE name = @name AND versioning = 0",
                new { name = info.Bucket, enabled = (long)VersioningState.Enabled }, tx);
        }
        if (!info.Lock.IsNone)
        {
            // And one holding locked versions had Object Lock (its default retention is not in any footer).
            connection.Execute("UPDATE buckets SET object_lock = 1, versioning = @enabled WHERE name = @name",
                new { name = info.Bucket, enabled = (long)VersioningState.Enabled }, tx);
        }
        if (Statements.FindVersion(connection, tx, info.Bucket, info.Key, info.VersionId) is { } existing)
        {
            if (existing.last_modified >= row.last_modified)
            {
                row.version_id = VersionIds.New(info.LastModified);
            }
            else
            {
                connection.Execute("UPDATE objects SET version_id = @id WHERE bucket = @bucket AND key = @key AND seq = @seq",
                    new { id = VersionIds.New(DateTimeOffset.FromUnixTimeMilliseconds(existing.last_modified)), existing.bucket, existing.key, existing.seq }, tx);
            }
        }
        if (info.IsMultipart)
        {
            foreach (var part in info.Parts)
            {
                Statements.InsertPart(connection, tx, info.UploadId!, part);
            }
        }
        foreach (var part in info.Parts)
        {
            connection.Execute("DELETE FROM pending_deletes WHERE data_id = @dataId", new { dataId = part.Layout.DataId }, tx);
        }
        long tieBreak = row.version_id.Length == VersionIds.Length && row.version_id[^5..].All(char.IsAsciiHexDigitLower)
            ? Convert.ToInt64(row.version_id[^5..], 16) // 20 random bits of the id
            : 0;
        row.seq = (row.last_modified << 20) | tieBreak;
        while (connection.ExecuteScalar<bool>("SELECT EXISTS(SELECT 1 FROM objects WHERE bucket = @bucket AND key = @key AND seq = @seq)", row, tx))
        {
            row.seq++;
        }
        Statements.InsertVersion(connection, tx, row);
        return true;
    });
}
