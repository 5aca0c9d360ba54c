using System.Diagnostics;
using Npgsql;

namespace ObjStore.TestKit;

/// <summary>
/// A PostgreSQL server for tests, and a fresh database on it per test. The server is the one named by
/// <c>OBJSTORE_TEST_POSTGRES</c> (an admin connection string; <c>.ci/run</c> starts one and exports it), or else a
/// throwaway one this process starts with <c>deploy/postgres-throwaway.sh</c> (Debian's postgresql package) and stops
/// when it exits. Without either, tests that need one fail with the reason: they never pass by skipping.
/// </summary>
public sealed class PostgresServer : IAsyncDisposable
{
    public const string EnvironmentVariable = "OBJSTORE_TEST_POSTGRES";

    private static readonly Lazy<PostgresServer> SharedServer = new(StartShared, LazyThreadSafetyMode.ExecutionAndPublication);

    private readonly string? _folder;

    private PostgresServer(string adminConnectionString, string? folder)
    {
        AdminConnectionString = adminConnectionString;
        _folder = folder;
    }

    /// <summary>The server every test of this process shares (started on first use).</summary>
    public static PostgresServer Shared => SharedServer.Value;

    /// <summary>A superuser's connection string to the server's <c>postgres</c> database.</summary>
    public string AdminConnectionString { get; }

    /// <summary>Starts a throwaway server of its own (for a test that stops and restarts it); dispose to remove it.</summary>
    public static PostgresServer StartThrowaway()
    {
        string folder = Path.Combine(Path.GetTempPath(), $"objstore-pg-{Guid.NewGuid():N}");
        string connectionString = RunScript("start", folder).Trim().Split('\n')[^1].Trim();
        return new PostgresServer(connectionString, folder);
    }

    private static PostgresServer StartShared()
    {
        if (Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } given)
        {
            return new PostgresServer(given, folder: null);
        }
        var server = StartThrowaway();
        AppDomain.CurrentDomain.ProcessExit += (_, _) => server.Stop();
        return server;
    }

    /// <summary>A new, empty database on the server; dispose the handle to drop it.</summary>
    public async Task<PostgresTestDatabase> CreateDatabaseAsync()
    {
        string name = $"objstore_test_{Guid.NewGuid():N}";
        await using (var connection = new NpgsqlConnection(AdminConnectionString))
        {
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE {name} TEMPLATE template0", connection);
            await create.ExecuteNonQueryAsync();
        }
        return new PostgresTestDatabase(this, name, new NpgsqlConnectionStringBuilder(AdminConnectionString) { Database = name, Pooling = true }.ConnectionString);
    }

    /// <summary>Stops the server (a throwaway one: the server named by the environment is not ours to stop).</summary>
    public void Stop()
    {
        if (_folder is not null)
        {
            NpgsqlConnection.ClearAllPools();
            RunScript("stop", _folder);
        }
    }

    /// <summary>Stops a throwaway server keeping its data, then starts it again on the same port (a restart).</summary>
    public void Restart(TimeSpan downFor)
    {
        if (_folder is null)
        {
            throw new InvalidOperationException("Only a throwaway server can be restarted.");
        }
        Pause();
        Thread.Sleep(downFor);
        Resume();
    }

    /// <summary>Stops a throwaway server, keeping its data (see <see cref="Resume"/>).</summary>
    public void Pause() => RunScript("pause", ThrowawayFolder);

    /// <summary>Starts a paused throwaway server again, on its port.</summary>
    public void Resume() => RunScript("resume", ThrowawayFolder);

    private string ThrowawayFolder => _folder ?? throw new InvalidOperationException("Only a throwaway server can be stopped and started.");

    public ValueTask DisposeAsync()
    {
        Stop();
        return ValueTask.CompletedTask;
    }

    private static string RunScript(string action, string folder) =>
        Run("bash", [Path.Combine(RepoPaths.Root, "deploy", "postgres-throwaway.sh"), action, folder]);

    private static string Run(string file, IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        string stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return process.ExitCode == 0
            ? stdout
            : throw new InvalidOperationException(
                $"A PostgreSQL server for the tests could not be had ({file} {string.Join(' ', start.ArgumentList)}: exit {process.ExitCode}). " +
                $"Set {EnvironmentVariable} to an admin connection string, or install Debian's postgresql package. {stderr.Result.Trim()}");
    }
}

/// <summary>One test's database on a <see cref="PostgresServer"/>, dropped on dispose.</summary>
public sealed class PostgresTestDatabase(PostgresServer server, string name, string connectionString) : IAsyncDisposable, IDisposable
{
    public string Name { get; } = name;

    /// <summary>A superuser's connection string to this database.</summary>
    public string ConnectionString { get; } = connectionString;

    /// <summary>Drops the database, closing whatever connections are still open on it.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            await using var connection = new NpgsqlConnection(server.AdminConnectionString);
            await connection.OpenAsync();
            await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {Name} WITH (FORCE)", connection);
            await drop.ExecuteNonQueryAsync();
        }
        catch (NpgsqlException)
        {
            // The server is gone (a test stopped it, or the process is ending): so is the database.
        }
    }

    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();
}
