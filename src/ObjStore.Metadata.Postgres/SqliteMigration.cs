using System.Data;
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Dapper;
using Microsoft.Data.Sqlite;
using Npgsql;
using NpgsqlTypes;
using ObjStore.Metadata.Sqlite;

namespace ObjStore.Metadata.Postgres;

/// <summary>How a migration goes: batch size, what to do, where to report.</summary>
public sealed record MigrationOptions
{
    /// <summary>Rows a COPY commits at once, with the table's progress: what an interruption can lose.</summary>
    public int BatchSize { get; init; } = 10_000;

    /// <summary>Only compare the two catalogues (and record the verification), copying nothing.</summary>
    public bool VerifyOnly { get; init; }

    /// <summary>Empty a half-migrated target and start over (never one whose migration was verified).</summary>
    public bool Restart { get; init; }

    /// <summary>Called after every committed batch and every verified table.</summary>
    public Action<MigrationProgress>? Progress { get; init; }

    /// <summary>Lines for the operator (a resume, an upgrade of the source, nothing to do).</summary>
    public Action<string>? Note { get; init; }

    public TimeProvider Clock { get; init; } = TimeProvider.System;
}

/// <summary>Where a migration stands: <paramref name="Rows"/> of a table's <paramref name="TotalRows"/> copied or verified.</summary>
public readonly record struct MigrationProgress(string Table, MigrationPhase Phase, long Rows, long TotalRows);

public enum MigrationPhase
{
    Copy,
    Verify,
}

/// <summary>A table found equal on both sides: its rows and the SHA-256 of their canonical form, in key order.</summary>
public sealed record VerifiedTable(string Table, long Rows, string Sha256);

/// <summary>The migration cannot run as asked (a foreign target, another source, a schema it does not know); nothing was changed.</summary>
public sealed class MigrationRefusedException(string message) : Exception(message);

/// <summary>Verification found the two catalogues different; the message names the table and the first differing row.</summary>
public sealed class MigrationMismatchException(string message) : Exception(message);

/// <summary>
/// `objstore migrate-catalogue`: copies a SQLite catalogue into a PostgreSQL one, with the store stopped, so a store
/// that began on one gateway can be served by several. The target gets its schema the normal way (the same
/// migrations a gateway runs) and the rows by binary COPY, table by table in key order, in batches that commit with
/// the table's progress (<c>catalogue_migration</c>): an interrupted migration resumes where its last batch ended. Then
/// every table is read from both sides in key order, in lockstep, and compared value by value; only a migration
/// whose tables all compared equal is marked verified, and gateways refuse a catalogue with an unverified migration
/// (<see cref="PostgresDatabase.RefuseAnUnfinishedMigration"/>). The source is read in one snapshot and never written
/// (except an upgrade of an older schema, as the server's own start would do).
/// </summary>
public static class SqliteMigration
{
    /// <returns>Every table, verified equal.</returns>
    /// <exception cref="MigrationRefusedException">Nothing was done, for the reason given.</exception>
    /// <exception cref="MigrationMismatchException">Copied (or not) but different: not marked verified.</exception>
    public static IReadOnlyList<VerifiedTable> Run(string sqlitePath, string postgres, MigrationOptions options, CancellationToken cancellation = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(options.BatchSize, 1);
        string source = Path.GetFullPath(sqlitePath);
        if (!File.Exists(source))
        {
            throw new MigrationRefusedException($"{source}: no SQLite catalogue there.");
        }
        BringSourceToThisBuildsSchema(source, options);

        using var dataSource = PostgresConnection.CreateDataSource(postgres);
        string target = PostgresConnection.Describe(postgres);
        using var guard = dataSource.OpenConnection();
        if (!guard.ExecuteScalar<bool>("SELECT pg_try_advisory_lock(@space, 1)", new { space = PostgresDatabase.MigrationLockSpace }))
        {
            throw new MigrationRefusedException($"Another migration into {target} is running.");
        }
        new PostgresDatabase(dataSource, options.Clock, ownsDataSource: false).Dispose(); // the schema, as a gateway's start makes it
        using var reader = OpenSnapshot(source);
        var tables = Describe(reader, dataSource);

        var states = Prepare(dataSource, source, target, tables, options);
        if (states is null)
        {
            return [];
        }
        if (!options.VerifyOnly)
        {
            foreach (var table in tables.Where(t => states[t.Name].Complete == 0))
            {
                Copy(reader, dataSource, table, states[table.Name].Copied, options, cancellation);
            }
            Finish(reader, dataSource, tables);
        }
        List<VerifiedTable> verified;
        try
        {
            verified = [.. tables.Select(t => Verify(reader, dataSource, t, options, cancellation))];
        }
        catch (MigrationMismatchException e)
        {
            throw new MigrationMismatchException(e.Message + (states.Values.All(s => s.Verified is not null)
                ? " It was verified before: gateways may have written to it since."
                : " Gateways refuse the catalogue until a migration verifies (--restart copies it again)."));
        }
        using (var connection = dataSource.OpenConnection())
        {
            connection.Execute("UPDATE catalogue_migration SET verified = @now", new { now = options.Clock.GetUtcNow().ToUnixTimeMilliseconds() });
        }
        return verified;
    }

    private sealed record MigrationState(string Table, string Source, long Copied, long Complete, long? Verified);

    /// <summary>A table as both sides have it: its columns (the target's order and types) and its key.</summary>
    private sealed record TableCopy(string Name, string[] Columns, ColumnType[] Types, int[] KeyColumns, bool[] Descending)
    {
        public string ColumnList => string.Join(", ", Columns);

        /// <summary>The key's order, the direction of each column as its index has it (objects' seq DESC): a scan, not a sort.</summary>
        public string SourceOrder => string.Join(", ", KeyColumns.Select((c, i) => Columns[c] + Direction(i)));

        /// <summary>Byte order on the PostgreSQL side too, whatever a text column's collation.</summary>
        public string TargetOrder => string.Join(", ", KeyColumns.Select((c, i) => (Types[c] == ColumnType.Text ? $"{Columns[c]} COLLATE \"C\"" : Columns[c]) + Direction(i)));

        private string Direction(int keyColumn) => Descending[keyColumn] ? " DESC" : "";
    }

    private enum ColumnType : byte
    {
        Bigint = 1,
        Text = 2,
        Bytea = 3,
        Double = 4,
    }

    /// <summary>
    /// The PostgreSQL schema mirrors this build's SQLite schema: an older source is brought up to it first, by the
    /// same migrations the server's start would run on it; a newer one is refused.
    /// </summary>
    private static void BringSourceToThisBuildsSchema(string source, MigrationOptions options)
    {
        long version;
        using (var probe = new SqliteConnection(ReadOnly(source)))
        {
            probe.Open();
            version = probe.ExecuteScalar<long>("PRAGMA user_version");
        }
        SqliteConnection.ClearAllPools();
        if (version > SqliteCatalogue.SchemaVersion)
        {
            throw new MigrationRefusedException(
                $"{source} is at schema version {version}, newer than this build knows ({SqliteCatalogue.SchemaVersion}): migrate with the objstore that wrote it.");
        }
        if (version < SqliteCatalogue.SchemaVersion)
        {
            options.Note?.Invoke($"upgrading {source} from schema version {version} to {SqliteCatalogue.SchemaVersion} first, as the server's start would");
            new SqliteCatalogue(source, options.Clock).Dispose();
            SqliteConnection.ClearAllPools();
        }
    }

    private static string ReadOnly(string path) =>
        new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString();

    /// <summary>One read transaction over the source: everything copied and compared is one moment of it.</summary>
    private static SqliteSnapshot OpenSnapshot(string source)
    {
        var connection = new SqliteConnection(ReadOnly(source));
        connection.Open();
        return new SqliteSnapshot(connection, connection.BeginTransaction(deferred: true));
    }

    private sealed class SqliteSnapshot(SqliteConnection connection, SqliteTransaction transaction) : IDisposable
    {
        public SqliteCommand Command(string sql)
        {
            var command = connection.CreateCommand();
            command.Transaction = transaction;
#pragma warning disable CA2100 // table and column names are the schema's own, never input
            command.CommandText = sql;
#pragma warning restore CA2100
            return command;
        }

        public void Dispose()
        {
            transaction.Dispose();
            connection.Dispose();
            SqliteConnection.ClearAllPools();
        }
    }

    /// <summary>The tables of <see cref="PostgresSchema.Tables"/>, checked to have the same columns on both sides.</summary>
    private static List<TableCopy> Describe(SqliteSnapshot source, NpgsqlDataSource target)
    {
        var sourceTables = new HashSet<string>(StringComparer.Ordinal);
        using (var list = source.Command("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"))
        using (var rows = list.ExecuteReader())
        {
            while (rows.Read())
            {
                sourceTables.Add(rows.GetString(0));
            }
        }
        if (sourceTables.Except(PostgresSchema.Tables.Select(t => t.Name)).FirstOrDefault() is { } unknown)
        {
            throw new MigrationRefusedException($"The SQLite catalogue has a table this build does not copy ({unknown}).");
        }
        using var connection = target.OpenConnection();
        var tables = new List<TableCopy>();
        foreach (var table in PostgresSchema.Tables)
        {
            var columns = connection.Query<(string Name, string Type)>(
                "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = @name ORDER BY ordinal_position",
                new { name = table.Name }).ToList();
            var sourceColumns = new HashSet<string>(StringComparer.Ordinal);
            if (sourceTables.Contains(table.Name))
            {
                using var info = source.Command($"SELECT name FROM pragma_table_info('{table.Name}')");
                using var rows = info.ExecuteReader();
                while (rows.Read())
                {
                    sourceColumns.Add(rows.GetString(0));
                }
            }
            if (!sourceColumns.SetEquals(columns.Select(c => c.Name)))
            {
                throw new MigrationRefusedException(
                    $"The table {table.Name} differs between the SQLite catalogue ({string.Join(", ", sourceColumns.Order(StringComparer.Ordinal))}) " +
                    $"and PostgreSQL ({string.Join(", ", columns.Select(c => c.Name).Order(StringComparer.Ordinal))}).");
            }
            var names = columns.Select(c => c.Name).ToArray();
            tables.Add(new TableCopy(table.Name, names, [.. columns.Select(c => TypeOf(table.Name, c.Name, c.Type))],
                [.. table.Key.Select(k => Array.IndexOf(names, k.Split(' ')[0]))], [.. table.Key.Select(k => k.EndsWith(" DESC", StringComparison.Ordinal))]));
        }
        return tables;
    }

    private static ColumnType TypeOf(string table, string column, string type) => type switch
    {
        "bigint" => ColumnType.Bigint,
        "text" => ColumnType.Text,
        "bytea" => ColumnType.Bytea,
        "double precision" => ColumnType.Double,
        _ => throw new MigrationRefusedException($"{table}.{column} is {type} in PostgreSQL, a type the migration does not copy."),
    };

    /// <summary>
    /// Checks the target and records (or finds) the migration's rows; null when it is already done. A target that
    /// holds rows no migration from this source put there is refused, whatever the options: it is another catalogue.
    /// </summary>
    private static Dictionary<string, MigrationState>? Prepare(NpgsqlDataSource dataSource, string source, string target, List<TableCopy> tables, MigrationOptions options)
    {
        using var connection = dataSource.OpenConnection();
        using var tx = connection.BeginTransaction();
        var states = connection.Query<MigrationState>(
            "SELECT table_name AS Table, source AS Source, copied AS Copied, complete AS Complete, verified AS Verified FROM catalogue_migration",
            transaction: tx).ToDictionary(s => s.Table, StringComparer.Ordinal);
        if (states.Count > 0 && states.Values.First().Source is var previous && previous != source && !options.Restart)
        {
            throw new MigrationRefusedException(
                $"{target} is being migrated into from {previous}, not {source}: --restart empties it and starts over from this one.");
        }
        if (options.Restart && states.Count > 0)
        {
            if (states.Values.Any(s => s.Verified is not null))
            {
                throw new MigrationRefusedException(
                    $"The migration into {target} was verified; gateways may have written to it since. Migrate into a new database instead.");
            }
            connection.Execute($"TRUNCATE {string.Join(", ", tables.Select(t => t.Name))}, catalogue_migration RESTART IDENTITY", transaction: tx);
            options.Note?.Invoke($"emptied {target}: starting over");
            states.Clear();
        }
        if (states.Count == 0)
        {
            if (tables.FirstOrDefault(t => connection.ExecuteScalar<bool>($"SELECT EXISTS (SELECT 1 FROM {t.Name})", transaction: tx)) is { } held)
            {
                throw new MigrationRefusedException(
                    $"{target} already holds a catalogue (its {held.Name} table has rows) that no migration put there: migrate into an empty database, before any gateway starts on it.");
            }
            if (options.VerifyOnly)
            {
                throw new MigrationRefusedException($"Nothing was migrated into {target} yet: run without --verify-only.");
            }
            foreach (var table in tables)
            {
                connection.Execute("INSERT INTO catalogue_migration (table_name, source) VALUES (@name, @source)", new { name = table.Name, source }, tx);
                states[table.Name] = new MigrationState(table.Name, source, 0, 0, null);
            }
        }
        else if (states.Values.All(s => s.Verified is not null) && !options.VerifyOnly)
        {
            options.Note?.Invoke($"{target} was migrated from {source} and verified at " +
                $"{DateTimeOffset.FromUnixTimeMilliseconds(states.Values.Min(s => s.Verified!.Value)):u}: nothing to do (--verify-only compares them again)");
            return null;
        }
        else if (!options.VerifyOnly && states.Values.Any(s => s.Copied > 0) && states.Values.Any(s => s.Complete == 0))
        {
            options.Note?.Invoke($"resuming the migration from {source}: {states.Values.Sum(s => s.Copied):N0} rows were copied before");
        }
        tx.Commit();
        return states;
    }

    private static void Copy(SqliteSnapshot source, NpgsqlDataSource dataSource, TableCopy table, long alreadyCopied, MigrationOptions options, CancellationToken cancellation)
    {
        long total;
        using (var count = source.Command($"SELECT count(*) FROM {table.Name}"))
        {
            total = (long)count.ExecuteScalar()!;
        }
        using var select = source.Command($"SELECT {table.ColumnList} FROM {table.Name} ORDER BY {table.SourceOrder} LIMIT -1 OFFSET {alreadyCopied}");
        using var rows = select.ExecuteReader();
        using var connection = dataSource.OpenConnection();
        long copied = alreadyCopied;
        var values = new object[table.Columns.Length];
        bool more = rows.Read();
        while (more)
        {
            cancellation.ThrowIfCancellationRequested();
            using var tx = connection.BeginTransaction();
            int batch = 0;
            using (var importer = connection.BeginBinaryImport($"COPY {table.Name} ({table.ColumnList}) FROM STDIN (FORMAT BINARY)"))
            {
                for (; more && batch < options.BatchSize; batch++, more = rows.Read())
                {
                    Canonical(rows, table, values, copied + batch);
                    importer.StartRow();
                    for (int i = 0; i < values.Length; i++)
                    {
                        Write(importer, values[i], table.Types[i]);
                    }
                }
                importer.Complete();
            }
            connection.Execute("UPDATE catalogue_migration SET copied = copied + @batch WHERE table_name = @name", new { batch, name = table.Name }, tx);
            tx.Commit();
            copied += batch;
            options.Progress?.Invoke(new MigrationProgress(table.Name, MigrationPhase.Copy, copied, total));
        }
        connection.Execute("UPDATE catalogue_migration SET complete = 1 WHERE table_name = @name", new { name = table.Name });
        if (copied == 0)
        {
            options.Progress?.Invoke(new MigrationProgress(table.Name, MigrationPhase.Copy, 0, 0));
        }
    }

    private static void Write(NpgsqlBinaryImporter importer, object value, ColumnType type)
    {
        switch (value)
        {
            case DBNull:
                importer.WriteNull();
                break;
            case long number:
                importer.Write(number, NpgsqlDbType.Bigint);
                break;
            case string text:
                importer.Write(text, NpgsqlDbType.Text);
                break;
            case byte[] bytes:
                importer.Write(bytes, NpgsqlDbType.Bytea);
                break;
            case double real:
                importer.Write(real, NpgsqlDbType.Double);
                break;
            default:
                throw new UnreachableException($"{value.GetType()} for {type}");
        }
    }

    /// <summary>
    /// The row's values as PostgreSQL holds them (long, string, byte[], double or DBNull by the target column's type),
    /// for COPY and for comparison. SQLite's dynamic types are converted only where the value is the same (an integer
    /// in a REAL column, text in a BLOB key); anything else is refused, naming the row.
    /// </summary>
    private static void Canonical(SqliteDataReader rows, TableCopy table, object[] values, long rowNumber)
    {
        for (int i = 0; i < values.Length; i++)
        {
            object value = rows.GetValue(i);
            values[i] = (value, table.Types[i]) switch
            {
                (DBNull, _) => DBNull.Value,
                (long, ColumnType.Bigint) or (string, ColumnType.Text) or (byte[], ColumnType.Bytea) or (double, ColumnType.Double) => value,
                (long number, ColumnType.Double) => (double)number,
                (double real, ColumnType.Bigint) when real == Math.Floor(real) && Math.Abs(real) < 9e15 => (long)real,
                (string text, ColumnType.Bytea) => Encoding.UTF8.GetBytes(text),
                _ => throw new MigrationRefusedException(
                    $"{table.Name} row {rowNumber + 1:N0}: {table.Columns[i]} holds {value.GetType().Name} '{value}', which PostgreSQL's {table.Types[i]} column cannot take as it is."),
            };
        }
    }

    /// <summary>
    /// The jobs' identity past every id SQLite ever gave (its AUTOINCREMENT counter: pruned jobs' ids are not handed
    /// out again), and statistics and visibility for the planner (index-only listing scans).
    /// </summary>
    private static void Finish(SqliteSnapshot source, NpgsqlDataSource dataSource, List<TableCopy> tables)
    {
        long lastJobId;
        using (var sequence = source.Command("SELECT coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'jobs'), 0)"))
        {
            lastJobId = (long)sequence.ExecuteScalar()!;
        }
        using var connection = dataSource.OpenConnection();
        connection.Execute("SELECT setval(pg_get_serial_sequence('jobs', 'id'), greatest(@lastJobId, max(id))) FROM jobs HAVING greatest(@lastJobId, max(id)) > 0",
            new { lastJobId });
        foreach (var table in tables)
        {
            connection.Execute($"VACUUM (ANALYZE) {table.Name}", commandTimeout: 0);
        }
    }

    private static VerifiedTable Verify(SqliteSnapshot source, NpgsqlDataSource dataSource, TableCopy table, MigrationOptions options, CancellationToken cancellation)
    {
        using var select = source.Command($"SELECT {table.ColumnList} FROM {table.Name} ORDER BY {table.SourceOrder}");
        using var sourceRows = select.ExecuteReader();
        using var connection = dataSource.OpenConnection();
#pragma warning disable CA2100 // the schema's own names
        using var targetSelect = new NpgsqlCommand($"SELECT {table.ColumnList} FROM {table.Name} ORDER BY {table.TargetOrder}", connection) { CommandTimeout = 0 };
#pragma warning restore CA2100
        using var targetRows = targetSelect.ExecuteReader();
        using var hash = new RowHash();
        var expected = new object[table.Columns.Length];
        var actual = new object[table.Columns.Length];
        long rows = 0;
        while (true)
        {
            bool inSource = sourceRows.Read(), inTarget = targetRows.Read();
            if (!inSource && !inTarget)
            {
                break;
            }
            if (inSource)
            {
                Canonical(sourceRows, table, expected, rows);
            }
            if (inTarget)
            {
                targetRows.GetValues(actual);
            }
            if (!inTarget)
            {
                throw new MigrationMismatchException($"{table.Name}: the row {KeyOf(table, expected)} and {Remaining(sourceRows):N0} after it are in the SQLite catalogue, not in PostgreSQL.");
            }
            if (!inSource)
            {
                throw new MigrationMismatchException($"{table.Name}: the row {KeyOf(table, actual)} and {Remaining(targetRows):N0} after it are in PostgreSQL, not in the SQLite catalogue.");
            }
            if (table.KeyColumns.Any(i => !Same(expected[i], actual[i])))
            {
                throw new MigrationMismatchException($"{table.Name}: at row {rows + 1:N0} the SQLite catalogue has {KeyOf(table, expected)}, PostgreSQL {KeyOf(table, actual)}.");
            }
            if (Enumerable.Range(0, expected.Length).FirstOrDefault(i => !Same(expected[i], actual[i]), -1) is var column and >= 0)
            {
                throw new MigrationMismatchException($"{table.Name}: the row {KeyOf(table, expected)} differs in {table.Columns[column]}.");
            }
            hash.Append(actual);
            rows++;
            if (rows % options.BatchSize == 0)
            {
                cancellation.ThrowIfCancellationRequested();
                options.Progress?.Invoke(new MigrationProgress(table.Name, MigrationPhase.Verify, rows, -1));
            }
        }
        options.Progress?.Invoke(new MigrationProgress(table.Name, MigrationPhase.Verify, rows, rows));
        return new VerifiedTable(table.Name, rows, hash.Hex());
    }

    private static long Remaining(IDataReader reader)
    {
        long more = 0;
        while (reader.Read())
        {
            more++;
        }
        return more;
    }

    private static bool Same(object expected, object actual) => (expected, actual) switch
    {
        (byte[] a, byte[] b) => a.AsSpan().SequenceEqual(b),
        (double a, double b) => BitConverter.DoubleToInt64Bits(a) == BitConverter.DoubleToInt64Bits(b),
        _ => expected.Equals(actual),
    };

    /// <summary>A row's key for a message: <c>(bucket=photos, key="a/b.jpg", seq=3)</c>; a key that is not UTF-8 in hex.</summary>
    private static string KeyOf(TableCopy table, object[] values) =>
        "(" + string.Join(", ", table.KeyColumns.Select(i => $"{table.Columns[i]}={Show(values[i])}")) + ")";

    private static string Show(object value) => value switch
    {
        byte[] bytes => Utf8OrNull(bytes) is { } text ? $"\"{text}\"" : "0x" + Convert.ToHexStringLower(bytes),
        IFormattable number => number.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    private static string? Utf8OrNull(byte[] bytes)
    {
        try
        {
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            return null;
        }
    }

    /// <summary>
    /// SHA-256 over rows in a canonical form, type tag, length and bytes of every value: two rows hash alike only when
    /// their values are alike. One buffer for every row.
    /// </summary>
    private sealed class RowHash : IDisposable
    {
        private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        private byte[] _row = new byte[1024];

        public void Append(object[] values)
        {
            int length = 0;
            foreach (object value in values)
            {
                int most = 9 + value switch { string text => Encoding.UTF8.GetMaxByteCount(text.Length), byte[] bytes => bytes.Length, _ => 8 };
                if (_row.Length - length < most)
                {
                    Array.Resize(ref _row, Math.Max(_row.Length * 2, length + most));
                }
                var into = _row.AsSpan(length);
                into[0] = value switch { DBNull => 0, long => 1, string => 2, byte[] => 3, _ => 4 };
                var body = into[9..];
                int size = value switch
                {
                    long number => BitConverter.TryWriteBytes(body, number) ? 8 : 0,
                    double real => BitConverter.TryWriteBytes(body, real) ? 8 : 0,
                    string text => Encoding.UTF8.GetBytes(text, body),
                    byte[] bytes => Copied(bytes, body),
                    _ => 0,
                };
                System.Buffers.Binary.BinaryPrimitives.WriteInt64LittleEndian(into[1..], size);
                length += 9 + size;
            }
            _hash.AppendData(_row, 0, length);
        }

        public string Hex() => Convert.ToHexStringLower(_hash.GetHashAndReset());

        private static int Copied(byte[] bytes, Span<byte> into)
        {
            bytes.CopyTo(into);
            return bytes.Length;
        }

        public void Dispose() => _hash.Dispose();
    }
}
