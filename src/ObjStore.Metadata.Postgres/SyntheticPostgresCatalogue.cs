using System.Globalization;
using System.Reflection;
using System.Text;
using Dapper;
using Npgsql;
using NpgsqlTypes;
using ObjStore.Core;
using ObjStore.Metadata.Sqlite;

namespace ObjStore.Metadata.Postgres;

/// <summary>
/// For benchmarks only: the PostgreSQL twin of <see cref="SyntheticCatalogue"/>. Fills a new, empty database with one
/// unversioned bucket of synthetic objects, written as rows straight into <c>objects</c> (no shards exist, so a GET of
/// any of them fails; listings and other catalogue reads see them as a real PUT would have left them). It refuses a
/// database that holds any table, so it can never add rows to a real store's catalogue: the real
/// <see cref="PostgresCatalogue"/> makes the schema (this build's migrations) and the bucket, then the loader adds the
/// rows. Each row is what the write path inserts for a single PUT without metadata: <see cref="ObjectRow.From"/> of
/// the object, every column of <see cref="ObjectRow.Columns"/>, at the sequence and latest flag a first commit gets
/// (<c>Statements.AddVersion</c>), with the sizes, ETags and data ids of the SQLite loader. Ten million keys load in
/// minutes: the indexes of <c>objects</c> are dropped, the rows streamed in with one binary COPY, the indexes built
/// again from their own definitions (so they are the schema's, whatever it becomes), then <c>VACUUM (ANALYZE)</c>:
/// the planner's statistics, and the visibility map that index-only scans need, as on a table autovacuum has seen.
/// </summary>
public static class SyntheticPostgresCatalogue
{
    /// <summary>How often <c>progress</c> hears the count of rows written.</summary>
    public const int ProgressEvery = 200_000;

    /// <summary>
    /// Loads <paramref name="bucket"/> with one object per key of <paramref name="sortedKeys"/> (strictly increasing
    /// in S3's order, UTF-8 bytes) into the empty database <paramref name="connectionString"/> names (an Npgsql
    /// connection string or <c>postgres://</c> URL, of a user allowed to create tables and to VACUUM them); returns
    /// how many rows it wrote. The keys are streamed: memory does not grow with their number.
    /// </summary>
    public static async Task<long> CreateAsync(string connectionString, string bucket, IEnumerable<string> sortedKeys, DateTimeOffset lastModified,
        Action<long>? progress = null)
    {
        await using var dataSource = PostgresConnection.CreateDataSource(connectionString);
        await using (var connection = await dataSource.OpenConnectionAsync())
        {
            var tables = (await connection.QueryAsync<string>(
                "SELECT schemaname || '.' || tablename FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema') LIMIT 3")).ToList();
            if (tables.Count > 0)
            {
                throw new InvalidOperationException(
                    $"Database {connection.Database} holds tables ({string.Join(", ", tables)}): the synthetic catalogue is for benchmarks and only ever fills a new, empty database.");
            }
        }
        using (var catalogue = new PostgresCatalogue(dataSource, TimeProvider.System))
        {
            await catalogue.Buckets.CreateAsync(bucket, lastModified);
        }

        await using var load = await dataSource.OpenConnectionAsync();
        await load.ExecuteAsync("SET maintenance_work_mem = '1GB'");
        var indexes = (await load.QueryAsync<(string Name, string Definition)>(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename = 'objects' ORDER BY indexname")).ToList();
        foreach (var index in indexes)
        {
            await load.ExecuteAsync($"DROP INDEX {index.Name}");
        }
        long written = Copy(load, bucket, sortedKeys, lastModified, progress);
        foreach (var index in indexes)
        {
            await load.ExecuteAsync(index.Definition, commandTimeout: 0);
        }
        await load.ExecuteAsync("VACUUM (ANALYZE) objects", commandTimeout: 0);
        return written;
    }

    /// <summary>
    /// The plans of a ListObjects page's statement as the catalogue runs it (<c>PostgresObjects.ListSeek</c>),
    /// prepared with a generic plan (what auto-prepare settles on for a statement it repeats), under
    /// <c>EXPLAIN (ANALYZE, BUFFERS)</c>: a page of 1000 from the first key after <paramref name="startAfter"/>, and
    /// the first seek of a delimiter listing under <paramref name="prefix"/> from its key <paramref name="from"/>
    /// (bounded by the prefix's end). For the benchmark's record; it reads, never writes.
    /// </summary>
    public static async Task<string> ExplainListingAsync(string connectionString, string bucket, string startAfter, string prefix, string from)
    {
        await using var connection = new NpgsqlConnection(PostgresConnection.Normalize(connectionString));
        await connection.OpenAsync();
        await connection.ExecuteAsync("SET plan_cache_mode = force_generic_plan");
        var plans = new StringBuilder();
        foreach (bool bounded in new[] { false, true })
        {
            string sql = PostgresObjects.ListSeek(bounded).Replace("@bucket", "$1", StringComparison.Ordinal).Replace("@from", "$2", StringComparison.Ordinal)
                .Replace("@end", "$3", StringComparison.Ordinal).Replace("@limit", "$4", StringComparison.Ordinal);
            string name = bounded ? "explain_prefix_seek" : "explain_page";
            await connection.ExecuteAsync($"PREPARE {name}(text, bytea, bytea, integer) AS {sql}");
            byte[] start = bounded ? KeyOrder.Bytes(from) : KeyOrder.After(KeyOrder.Bytes(startAfter));
            byte[] end = bounded ? KeyOrder.PrefixEnd(prefix)! : [];
            var lines = await connection.QueryAsync<string>(
                $"EXPLAIN (ANALYZE, BUFFERS) EXECUTE {name}('{bucket.Replace("'", "''", StringComparison.Ordinal)}', {Bytea(start)}, {Bytea(end)}, 1000)");
            plans.AppendLine(CultureInfo.InvariantCulture, $"-- {sql}");
            plans.AppendLine(CultureInfo.InvariantCulture, $"-- {(bounded ? $"prefix '{prefix}' from '{from}'" : $"after '{startAfter}'")}");
            foreach (string line in lines)
            {
                plans.AppendLine(line);
            }
        }
        return plans.ToString();
    }

    private static string Bytea(byte[] value) => $"'\\x{Convert.ToHexStringLower(value)}'::bytea";

    private static long Copy(NpgsqlConnection connection, string bucket, IEnumerable<string> sortedKeys, DateTimeOffset lastModified, Action<long>? progress)
    {
        var columns = ObjectRow.Columns.Split(", ").Select(ColumnWriter.For).ToArray();
        string[] placement = SyntheticCatalogue.Placement.Split(',');
        using var importer = connection.BeginBinaryImport($"COPY objects ({ObjectRow.Columns}) FROM STDIN (FORMAT BINARY)");
        importer.Timeout = TimeSpan.Zero;
        byte[]? previous = null;
        long written = 0;
        foreach (string key in sortedKeys)
        {
            byte[] bytes = KeyOrder.Bytes(key);
            if (previous is not null && KeyOrder.Compare(previous, bytes) >= 0)
            {
                throw new ArgumentException($"keys must be strictly increasing in UTF-8 byte order: '{key}' follows '{KeyOrder.Text(previous)}'", nameof(sortedKeys));
            }
            previous = bytes;
            var layout = new ObjectLayout(4, 2, 1 << 20, SyntheticCatalogue.DataId(written), placement);
            long size = SyntheticCatalogue.Size(written);
            var info = new ObjectInfo
            {
                Bucket = bucket,
                Key = key,
                Size = size,
                ETag = SyntheticCatalogue.ETag(written),
                LastModified = lastModified,
                Parts = [new ObjectPart(1, 0, size, SyntheticCatalogue.ETag(written), null, layout) { LastModified = lastModified }],
            };
            var row = ObjectRow.From(info);
            // As Statements.AddVersion commits a key's first version.
            row.seq = lastModified.ToUnixTimeMilliseconds() << 20;
            row.is_latest = 1;
            importer.StartRow();
            foreach (var column in columns)
            {
                column(importer, row);
            }
            written++;
            if (written % ProgressEvery == 0)
            {
                progress?.Invoke(written);
            }
        }
        importer.Complete();
        progress?.Invoke(written);
        return written;
    }

    /// <summary>Writes one column of a row into the COPY, typed by its property (text, bigint or bytea, NULL as NULL), without boxing.</summary>
    private static class ColumnWriter
    {
        public static Action<NpgsqlBinaryImporter, ObjectRow> For(string column)
        {
            var getter = typeof(ObjectRow).GetProperty(column, BindingFlags.Public | BindingFlags.Instance)?.GetMethod
                ?? throw new InvalidOperationException($"ObjectRow has no property for column {column}");
            if (getter.ReturnType == typeof(long))
            {
                var read = getter.CreateDelegate<Func<ObjectRow, long>>();
                return (importer, row) => importer.Write(read(row), NpgsqlDbType.Bigint);
            }
            if (getter.ReturnType == typeof(long?))
            {
                var read = getter.CreateDelegate<Func<ObjectRow, long?>>();
                return (importer, row) =>
                {
                    if (read(row) is { } value)
                    {
                        importer.Write(value, NpgsqlDbType.Bigint);
                    }
                    else
                    {
                        importer.WriteNull();
                    }
                };
            }
            if (getter.ReturnType == typeof(string))
            {
                var read = getter.CreateDelegate<Func<ObjectRow, string?>>();
                return (importer, row) => Write(importer, read(row), NpgsqlDbType.Text);
            }
            if (getter.ReturnType == typeof(byte[]))
            {
                var read = getter.CreateDelegate<Func<ObjectRow, byte[]?>>();
                return (importer, row) => Write(importer, read(row), NpgsqlDbType.Bytea);
            }
            throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture, $"column {column} is of a type the loader does not write ({getter.ReturnType})"));
        }

        private static void Write<T>(NpgsqlBinaryImporter importer, T? value, NpgsqlDbType type)
            where T : class
        {
            if (value is null)
            {
                importer.WriteNull();
            }
            else
            {
                importer.Write(value, type);
            }
        }
    }
}
