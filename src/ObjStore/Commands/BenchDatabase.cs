using Npgsql;
using ObjStore.Metadata.Postgres;

namespace ObjStore.Cli.Commands;

/// <summary>
/// A PostgreSQL database a bench creates for itself on a server it is given (an admin's connection string or URL), and
/// drops (<c>WITH (FORCE)</c>) when disposed: the bench's catalogue is never one that existed before it.
/// </summary>
internal sealed class BenchDatabase : IAsyncDisposable
{
    private readonly string _server;

    private BenchDatabase(string server, string name, string connectionString)
    {
        _server = server;
        Name = name;
        ConnectionString = connectionString;
    }

    public string Name { get; }

    /// <summary>The new database, as the store's <c>ObjStore:Catalogue</c> setting.</summary>
    public string ConnectionString { get; }

    /// <summary>Creates <paramref name="name"/> (lower-case letters, digits and underscores) on <paramref name="server"/>; it must not exist.</summary>
    public static async Task<BenchDatabase> CreateAsync(string server, string name)
    {
        if (!name.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '_'))
        {
            throw new ArgumentException($"'{name}' is not a plain database name", nameof(name));
        }
        string admin = PostgresConnection.Normalize(server);
        await using (var connection = new NpgsqlConnection(admin))
        {
            await connection.OpenAsync();
#pragma warning disable CA2100 // the name is checked above
            await using var create = new NpgsqlCommand($"CREATE DATABASE {name} TEMPLATE template0", connection);
#pragma warning restore CA2100
            await create.ExecuteNonQueryAsync();
        }
        return new BenchDatabase(admin, name, new NpgsqlConnectionStringBuilder(admin) { Database = name }.ConnectionString);
    }

    /// <summary>What the database takes on disk (tables, indexes, their free space maps).</summary>
    public async Task<long> SizeAsync()
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var size = new NpgsqlCommand("SELECT pg_database_size(current_database())", connection);
        return (long)(await size.ExecuteScalarAsync())!;
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await using var connection = new NpgsqlConnection(_server);
        await connection.OpenAsync();
#pragma warning disable CA2100 // the name was checked when it was created
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {Name} WITH (FORCE)", connection);
#pragma warning restore CA2100
        await drop.ExecuteNonQueryAsync();
    }
}
