using System.Data;
using Microsoft.Data.Sqlite;

namespace ObjStore.Metadata.Sqlite;

/// <summary>
/// For benchmarks only: makes a new catalogue file holding one unversioned bucket of synthetic objects, written as
/// rows straight into <c>objects</c> (no shards exist, so a GET of any of them fails; listings, HEAD-free metadata
/// reads and lifecycle scans see them as a real PUT would have left them). It refuses a path where any file exists,
/// so it can never add rows to a real store's catalogue: the only catalogue it writes is the one it creates, with
/// this build's migrations (the real <see cref="SqliteCatalogue"/> makes the schema and the bucket). Ten million
/// keys load in minutes: one prepared statement, transactions of <see cref="RowsPerTransaction"/> rows, keys in
/// listing order (every B-tree grows at its right edge), no journal while loading (a failed load leaves a file to
/// delete, nothing to recover), WAL again at the end as the store expects, and the file synced so no benchmark
/// times its write-back.
/// </summary>
public static class SyntheticCatalogue
{
    public const int RowsPerTransaction = 200_000;

    /// <summary>The erasure layout every synthetic row names (4+2 on six stores, 1 MiB stripes), as dev mode's default.</summary>
    public const string Placement = "store-00,store-01,store-02,store-03,store-04,store-05";

    /// <summary>
    /// Creates <paramref name="path"/> with bucket <paramref name="bucket"/> and one object per key of
    /// <paramref name="sortedKeys"/>, which must be strictly increasing in S3's order (UTF-8 bytes); returns how
    /// many rows it wrote. <paramref name="progress"/>, if given, hears the count after each transaction.
    /// </summary>
    public static async Task<long> CreateAsync(string path, string bucket, IEnumerable<string> sortedKeys, DateTimeOffset lastModified,
        Action<long>? progress = null)
    {
        string full = Path.GetFullPath(path);
        foreach (string existing in new[] { full, full + "-wal", full + "-shm", full + "-journal" })
        {
            if (File.Exists(existing) || Directory.Exists(existing))
            {
                throw new IOException($"{existing} exists: the synthetic catalogue is for benchmarks and only ever writes a new file.");
            }
        }
        using (var catalogue = new SqliteCatalogue(full, TimeProvider.System, synchronousFull: false))
        {
            await catalogue.Buckets.CreateAsync(bucket, lastModified);
        }
        SqliteConnection.ClearAllPools();

        await using var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = full,
            Mode = SqliteOpenMode.ReadWrite,
            Pooling = false,
        }.ToString());
        await connection.OpenAsync();
        Execute(connection, "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA cache_size=-262144;");
        long written = 0;
        try
        {
            written = Load(connection, bucket, sortedKeys, lastModified.ToUnixTimeMilliseconds(), progress);
        }
        finally
        {
            Execute(connection, "PRAGMA journal_mode=WAL;");
        }
        await connection.CloseAsync();
        // On disk before anyone measures: gigabytes of dirty pages written back during a benchmark would be timed
        // with it, and a real catalogue is never that far behind its disk.
        using (var file = new FileStream(full, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite))
        {
            file.Flush(flushToDisk: true);
        }
        return written;
    }

    private static long Load(SqliteConnection connection, string bucket, IEnumerable<string> sortedKeys, long lastModified, Action<long>? progress)
    {
        using var insert = connection.CreateCommand();
        // The columns a single PUT sets; every other one keeps its default (NULL, 0, 'STANDARD'), as for a PUT
        // without metadata. seq is what the first commit of a key gets (Statements.AddVersion).
        insert.CommandText = """
            INSERT INTO objects (bucket, key, seq, version_id, is_latest, delete_marker, size, etag, last_modified,
                                 data_id, data_shards, parity_shards, stripe_size, placement)
            VALUES ($bucket, $key, $seq, 'null', 1, 0, $size, $etag, $lastModified, $dataId, 4, 2, 1048576, $placement)
            """;
        insert.Parameters.AddWithValue("$bucket", bucket);
        var key = insert.Parameters.Add("$key", SqliteType.Blob);
        insert.Parameters.AddWithValue("$seq", lastModified << 20);
        var size = insert.Parameters.Add("$size", SqliteType.Integer);
        var etag = insert.Parameters.Add("$etag", SqliteType.Text);
        insert.Parameters.AddWithValue("$lastModified", lastModified);
        var dataId = insert.Parameters.Add("$dataId", SqliteType.Text);
        insert.Parameters.AddWithValue("$placement", Placement);

        byte[]? previous = null;
        long written = 0;
        var tx = connection.BeginTransaction();
        try
        {
            insert.Transaction = tx;
            insert.Prepare();
            foreach (string text in sortedKeys)
            {
                byte[] bytes = KeyOrder.Bytes(text);
                if (previous is not null && KeyOrder.Compare(previous, bytes) >= 0)
                {
                    throw new ArgumentException($"keys must be strictly increasing in UTF-8 byte order: '{text}' follows '{KeyOrder.Text(previous)}'", nameof(sortedKeys));
                }
                previous = bytes;
                key.Value = bytes;
                size.Value = Size(written);
                etag.Value = ETag(written);
                dataId.Value = DataId(written);
                insert.ExecuteNonQuery();
                written++;
                if (written % RowsPerTransaction == 0)
                {
                    tx.Commit();
                    tx.Dispose();
                    tx = connection.BeginTransaction();
                    insert.Transaction = tx;
                    progress?.Invoke(written);
                }
            }
            tx.Commit();
            progress?.Invoke(written);
            return written;
        }
        finally
        {
            tx.Dispose();
        }
    }

    // The n-th synthetic object's columns (the PostgreSQL loader writes the same). Sizes and ETags vary so the rows
    // are as wide as real ones; data ids increase, so their index grows at its end too.

    public static long Size(long n) => 1024 + n * 7919 % (1 << 20);

    public static string ETag(long n) => n.ToString("x32", System.Globalization.CultureInfo.InvariantCulture);

    public static string DataId(long n) => "b" + n.ToString("x31", System.Globalization.CultureInfo.InvariantCulture);

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.CommandType = CommandType.Text;
        command.ExecuteNonQuery();
    }
}
