using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using ObjStore.Metadata.Postgres;
using ObjStore.Metadata.Sqlite;

namespace ObjStore.Cli.Commands;

/// <summary>
/// `objstore bench migrate --postgres SERVER [--keys N] [--json FILE]`: what `objstore migrate-catalogue` costs per
/// row. A synthetic SQLite catalogue of N objects (<see cref="SyntheticCatalogue"/>) is migrated into a new database
/// (copy, then verification, timed apart), and the reference in the same run is the benchmark loader writing the same
/// rows straight into another new database by binary COPY (<see cref="SyntheticPostgresCatalogue"/>: no SQLite read,
/// indexes built once at the end, no verification). Both databases and the temporary folder are removed at the end.
/// </summary>
internal static class MigrateBenchCommand
{
    private const string Bucket = "bench";

    public static async Task<int> RunAsync(Options options)
    {
        string server = options.Get("postgres") ?? throw new OptionException("bench migrate needs --postgres SERVER (an admin connection string or postgres:// URL to create its databases on)");
        long keys = options.GetInt("keys") ?? 100_000;
        if (keys < 1)
        {
            throw new OptionException("--keys must be at least 1.");
        }
        IEnumerable<string> Keys()
        {
            for (long i = 0; i < keys; i++)
            {
                yield return string.Create(CultureInfo.InvariantCulture, $"data/{i / 1000:D6}/object-{i:D9}.bin");
            }
        }
        string folder = Directory.CreateTempSubdirectory("objstore-bench-migrate-").FullName;
        string suffix = $"{Environment.ProcessId}_{DateTime.UtcNow:HHmmss}";
        try
        {
            string source = Path.Combine(folder, "catalogue.db");
            await SyntheticCatalogue.CreateAsync(source, Bucket, Keys(), DateTimeOffset.UtcNow);

            double reference;
            await using (var direct = await BenchDatabase.CreateAsync(server, $"objstore_bench_copy_{suffix}"))
            {
                var watch = Stopwatch.StartNew();
                await SyntheticPostgresCatalogue.CreateAsync(direct.ConnectionString, Bucket, Keys(), DateTimeOffset.UtcNow);
                reference = watch.Elapsed.TotalSeconds;
            }

            double copy = 0, total;
            await using (var target = await BenchDatabase.CreateAsync(server, $"objstore_bench_migrate_{suffix}"))
            {
                var watch = Stopwatch.StartNew();
                bool verifying = false;
                SqliteMigration.Run(source, target.ConnectionString, new MigrationOptions
                {
                    Progress = p =>
                    {
                        if (p.Phase == MigrationPhase.Verify && !verifying)
                        {
                            (verifying, copy) = (true, watch.Elapsed.TotalSeconds);
                        }
                    },
                });
                total = watch.Elapsed.TotalSeconds;
            }
            double verify = total - copy;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"""
                migrate-catalogue, {keys:N0} objects (SQLite -> PostgreSQL, one host)
                  copy          {copy,8:F1} s  {keys / copy,10:N0} rows/s
                  verify        {verify,8:F1} s  {keys / verify,10:N0} rows/s
                  total         {total,8:F1} s  {keys / total,10:N0} rows/s
                  direct COPY   {reference,8:F1} s  {keys / reference,10:N0} rows/s  (reference: the benchmark loader, same rows)
                  copy / direct COPY time: {copy / reference:F2}   total / direct COPY time: {total / reference:F2}
                """));
            if (options.Get("json") is { } json)
            {
                await File.WriteAllTextAsync(json, JsonSerializer.Serialize(new { keys, copySeconds = copy, verifySeconds = verify, totalSeconds = total, directCopySeconds = reference }));
            }
            return 0;
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(folder, recursive: true);
        }
    }
}
