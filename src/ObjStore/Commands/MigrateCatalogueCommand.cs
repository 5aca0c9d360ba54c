using System.Diagnostics;
using System.Globalization;
using Microsoft.Data.Sqlite;
using Npgsql;
using ObjStore.Hosting;
using ObjStore.Metadata.Postgres;
using ObjStore.Storage;

namespace ObjStore.Cli.Commands;

/// <summary>
/// `objstore migrate-catalogue --to postgres://... (--data DIR | --config FILE | --from PATH)`: copies a store's
/// SQLite catalogue into PostgreSQL (<see cref="SqliteMigration"/>), with the store stopped (the data folder's lock is
/// taken, so a running store is refused). Exit 0 when every table was verified equal, 1 when verification found a
/// difference (named on stderr), 2 when the migration was refused or the command line is wrong.
/// </summary>
internal static class MigrateCatalogueCommand
{
    public const int Different = 1;

    /// <summary>How often a table's progress is printed while it copies.</summary>
    private static readonly TimeSpan ProgressEvery = TimeSpan.FromSeconds(2);

    public static Task<int> RunAsync(Options options, CancellationToken cancellation)
    {
        string to = options.Get("to") ?? throw new OptionException("--to names the PostgreSQL catalogue (postgres://user@host:port/database).");
        if (!PostgresConnection.Names(to))
        {
            throw new OptionException($"--to must name PostgreSQL (postgres://user@host:port/database, or Host=...;Database=...), not '{to}'.");
        }
        var (source, dataDir) = Source(options);
        int batch = options.GetInt("batch-size") ?? new MigrationOptions().BatchSize;
        if (batch < 1)
        {
            throw new OptionException("--batch-size must be at least 1.");
        }
        using var folderLock = dataDir is null ? null : DataFolderLock.Acquire(dataDir);
        var started = Stopwatch.StartNew();
        var progress = new ProgressPrinter();
        var migration = new MigrationOptions
        {
            BatchSize = batch,
            VerifyOnly = options.Flag("verify-only"),
            Restart = options.Flag("restart"),
            Progress = progress.Report,
            Note = note => Console.Error.WriteLine($"objstore: {note}"),
        };
        try
        {
            var tables = SqliteMigration.Run(source, to, migration, cancellation);
            if (tables.Count == 0)
            {
                return Task.FromResult(0);
            }
            foreach (var table in tables)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{table.Table,-16} {table.Rows,12:N0} rows  sha256 {table.Sha256}"));
            }
            long rows = tables.Sum(t => t.Rows);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{(migration.VerifyOnly ? "verified" : "migrated and verified")} {rows:N0} rows of {source} in {PostgresConnection.Describe(to)} ({started.Elapsed.TotalSeconds:F1} s)"));
            return Task.FromResult(0);
        }
        catch (MigrationRefusedException e)
        {
            throw new OptionException(e.Message);
        }
        catch (NpgsqlException e)
        {
            throw new OptionException($"PostgreSQL at {PostgresConnection.Describe(to)}: {e.Message.Split('\n')[0].Trim()}");
        }
        catch (SqliteException e)
        {
            throw new OptionException($"{source} cannot be read as a SQLite catalogue: {e.Message}");
        }
        catch (MigrationMismatchException e)
        {
            Console.Error.WriteLine($"objstore: verification failed: {e.Message}");
            return Task.FromResult(Different);
        }
    }

    /// <summary>The SQLite file, and the data folder to lock when the store's own settings named it.</summary>
    private static (string Path, string? DataDir) Source(Options options)
    {
        string? from = options.Get("from"), data = options.Get("data"), config = options.Get("config");
        if (new[] { from, data, config }.Count(o => o is not null) != 1)
        {
            throw new OptionException("Name the SQLite catalogue with one of --data DIR (a dev store), --config FILE (a gateway's) or --from PATH.");
        }
        if (from is not null)
        {
            return (from.StartsWith(CatalogueSetting.SqlitePrefix, StringComparison.OrdinalIgnoreCase) ? from[CatalogueSetting.SqlitePrefix.Length..] : from, null);
        }
        var settings = config is null ? [] : GatewayCommand.ReadConfig(config);
        string Setting(string name) => $"{StoreOptions.Section}:{name}";
        string dataDir = Path.GetFullPath(data ?? settings.GetValueOrDefault(Setting(nameof(StoreOptions.DataDir))) ?? new StoreOptions().DataDir);
        CatalogueSetting catalogue;
        try
        {
            catalogue = CatalogueSetting.Parse(settings.GetValueOrDefault(Setting(nameof(StoreOptions.Catalogue))),
                settings.GetValueOrDefault(Setting(nameof(StoreOptions.MetadataPath))), dataDir);
        }
        catch (ArgumentException e)
        {
            throw new OptionException(e.Message);
        }
        return catalogue.SqlitePath is { } path
            ? (path, dataDir)
            : throw new OptionException($"{config} already names PostgreSQL ({catalogue.Describe()}): there is no SQLite catalogue to migrate.");
    }

    /// <summary>Progress on stderr: each table every couple of seconds while it copies, with its rate, and when it ends.</summary>
    private sealed class ProgressPrinter
    {
        private readonly Stopwatch _sinceLast = Stopwatch.StartNew();
        private Stopwatch _table = new();
        private (string Table, MigrationPhase Phase)? _current;
        private long _rowsBefore;

        public void Report(MigrationProgress progress)
        {
            if (_current != (progress.Table, progress.Phase))
            {
                // A resumed table's first batch counts the rows copied before: the rate is of this run's rows.
                (_current, _table, _rowsBefore) = ((progress.Table, progress.Phase), Stopwatch.StartNew(), 0);
            }
            bool done = progress.Rows == progress.TotalRows;
            if (!done && _sinceLast.Elapsed < ProgressEvery)
            {
                return;
            }
            _sinceLast.Restart();
            double seconds = _table.Elapsed.TotalSeconds;
            string of = progress.TotalRows >= 0 ? string.Create(CultureInfo.InvariantCulture, $" of {progress.TotalRows:N0}") : "";
            string verb = progress.Phase == MigrationPhase.Copy ? "copied" : "verified";
            string rate = seconds < 0.5 ? "" : string.Create(CultureInfo.InvariantCulture, $" ({(progress.Rows - _rowsBefore) / seconds:N0} rows/s)");
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{progress.Table}: {progress.Rows:N0}{of} rows {verb}{rate}"));
        }
    }
}
