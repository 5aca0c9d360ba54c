using Npgsql;
using ObjStore.Metadata;
using ObjStore.Metadata.Postgres;
using ObjStore.Metadata.Sqlite;
using ObjStore.Storage;

namespace ObjStore.Hosting;

/// <summary>
/// Which catalogue a host opens, from <c>ObjStore:Catalogue</c>: <c>sqlite:PATH</c> (the default, at
/// <c>ObjStore:MetadataPath</c> or DATA/catalogue.db), or PostgreSQL, named by a <c>postgres://user@host:port/db</c>
/// URL or an Npgsql connection string (<c>Host=...;Database=...;Username=...</c>), which several gateways share.
/// </summary>
public sealed record CatalogueSetting
{
    public const string SqlitePrefix = "sqlite:";

    /// <summary>The SQLite file, or null for PostgreSQL.</summary>
    public string? SqlitePath { get; private init; }

    /// <summary>The PostgreSQL connection string (normalised), or null for SQLite.</summary>
    public string? PostgresConnectionString { get; private init; }

    public bool IsPostgres => PostgresConnectionString is not null;

    /// <summary>For messages: the file, or host:port/database (never a password).</summary>
    public string Describe() => SqlitePath ?? $"PostgreSQL at {PostgresConnection.Describe(PostgresConnectionString!)}";

    /// <exception cref="ArgumentException">A setting that names neither, or both settings at once.</exception>
    public static CatalogueSetting Parse(string? catalogue, string? metadataPath, string dataDir)
    {
        if (string.IsNullOrWhiteSpace(catalogue))
        {
            return new() { SqlitePath = Path.GetFullPath(metadataPath ?? Path.Combine(dataDir, "catalogue.db")) };
        }
        catalogue = catalogue.Trim();
        if (metadataPath is not null && !catalogue.StartsWith(SqlitePrefix, StringComparison.OrdinalIgnoreCase))
        {
            throw new ArgumentException("ObjStore:MetadataPath names a SQLite catalogue and ObjStore:Catalogue another one: set only ObjStore:Catalogue.");
        }
        if (catalogue.StartsWith(SqlitePrefix, StringComparison.OrdinalIgnoreCase))
        {
            string path = catalogue[SqlitePrefix.Length..];
            return path.Length == 0
                ? throw new ArgumentException("ObjStore:Catalogue sqlite: needs a path (sqlite:/var/lib/objstore/catalogue.db).")
                : new() { SqlitePath = Path.GetFullPath(path) };
        }
        if (!PostgresConnection.Names(catalogue))
        {
            throw new ArgumentException(
                "ObjStore:Catalogue is neither sqlite:PATH nor PostgreSQL (postgres://user@host:port/database, or Host=...;Database=...;Username=...).");
        }
        try
        {
            return new() { PostgresConnectionString = PostgresConnection.Normalize(catalogue) };
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"ObjStore:Catalogue: {e.Message}", e);
        }
    }

    /// <summary>
    /// Start-up check, before anything is written: the SQLite file's folder is usable, or PostgreSQL answers (a wrong
    /// host, port, password or database is one line, not a stack trace at the first request).
    /// </summary>
    public void CheckReachable()
    {
        if (SqlitePath is not null)
        {
            if (Path.GetDirectoryName(SqlitePath) is { } folder)
            {
                StartupChecks.DataFolderIsUsable(folder, "the folder of the catalogue (ObjStore:Catalogue or ObjStore:MetadataPath)");
            }
            return;
        }
        using var dataSource = PostgresConnection.CreateDataSource(PostgresConnectionString!);
        try
        {
            using var connection = dataSource.OpenConnection();
        }
        catch (NpgsqlException e)
        {
            throw new StartupException($"ObjStore:Catalogue: {Describe()} cannot be used: {FirstLine(e.Message)}", e);
        }
    }

    private static string FirstLine(string message) => message.Split('\n')[0].Trim();

    public ICatalogue Open(TimeProvider clock) => IsPostgres
        ? new PostgresCatalogue(PostgresConnectionString!, clock)
        : new SqliteCatalogue(SqlitePath!, clock);
}
