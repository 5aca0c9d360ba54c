using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Time.Testing;
using Npgsql;
using ObjStore.Core;
using ObjStore.Metadata.Postgres;
using ObjStore.Metadata.Sqlite;
using ObjStore.TestKit;

namespace ObjStore.Metadata.Tests;

/// <summary>
/// <see cref="SqliteMigration"/>: a SQLite catalogue holding a row of every table copied into PostgreSQL, read back
/// through the PostgreSQL catalogue; an interruption resumed; a difference found and named; the targets refused.
/// </summary>
public sealed class SqliteMigrationTests : IDisposable
{
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 12, 1, 12, 0, 0, TimeSpan.Zero));
    private readonly TempFolder _folder = new();
    private readonly List<PostgresTestDatabase> _databases = [];
    private readonly string _source;

    public SqliteMigrationTests()
    {
        _source = _folder.Combine("catalogue.db");
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        foreach (var database in _databases)
        {
            database.Dispose();
        }
        _folder.Dispose();
    }

    private string NewDatabase()
    {
        var database = PostgresServer.Shared.CreateDatabaseAsync().GetAwaiter().GetResult();
        _databases.Add(database);
        return database.ConnectionString;
    }

    private MigrationOptions Options(List<MigrationProgress>? progress = null, List<string>? notes = null, int batchSize = 16) => new()
    {
        BatchSize = batchSize,
        Clock = _clock,
        Progress = progress is null ? null : progress.Add,
        Note = notes is null ? null : notes.Add,
    };

    private static ObjectInfo Version(string bucket, string key, DateTimeOffset now, int n) => new()
    {
        Bucket = bucket,
        Key = key,
        Size = n,
        ETag = $"{n:x32}",
        LastModified = now,
        Metadata = ObjectMetadata.Default with { ContentType = "text/plain" },
        Parts = [new ObjectPart(1, 0, n, $"{n:x32}", null, new ObjectLayout(4, 2, 1 << 20, $"data-{key}-{n}", ["s0", "s1", "s2", "s3", "s4", "s5"]))
            { LastModified = now }],
    };

    /// <summary>A catalogue with rows in every table but workers: versions, a delete marker, an upload, users, ...</summary>
    private async Task<int> PopulateAsync(int keys = 60)
    {
        using var catalogue = new SqliteCatalogue(_source, _clock, synchronousFull: false);
        var now = _clock.GetUtcNow();
        Assert.True(await catalogue.Buckets.CreateAsync("photos", now));
        await catalogue.Buckets.SetVersioningAsync("photos", VersioningState.Enabled);
        await catalogue.Buckets.PutConfigAsync("photos", "cors", "<CORSConfiguration/>");
        Assert.True(await catalogue.Buckets.CreateAsync("plain", now));
        int versions = 0;
        for (int i = 0; i < keys; i++)
        {
            await catalogue.Objects.CommitAsync(Version("photos", $"k/{i % 20:D3}-é", now.AddSeconds(i), i + 1) with { VersionId = VersionIds.New(now.AddSeconds(i)) }, null, false);
            await catalogue.Objects.CommitAsync(Version("plain", $"p{i:D4}", now, i + 1), null, false);
            versions += 2;
        }
        await catalogue.Objects.DeleteAsync("photos", "k/001-é", null, false);
        await catalogue.Objects.CommitAsync(Version("plain", "p0000", now, 99), null, false); // the replaced one's shards wait to be deleted
        await catalogue.Objects.SetTagsAsync("plain", "p0001", null, new Dictionary<string, string> { ["team"] = "a" });
        var upload = new MultipartUpload { UploadId = "0000018f00000000aa", Bucket = "plain", Key = "big", Initiated = now };
        await catalogue.Uploads.CreateAsync(upload);
        await catalogue.Uploads.CommitPartAsync("plain", "big", upload.UploadId, new ObjectPart(1, 0, 5, "e1", null, new ObjectLayout(4, 2, 1 << 20, "part-1", ["s0", "s1", "s2", "s3", "s4", "s5"])));
        await catalogue.Shards.RecordDegradedAsync(Version("plain", "p0002", now, 3).Parts[0].Layout, [1], "missing");
        await catalogue.Jobs.EnqueueAsync("scrub", "all");
        await catalogue.Jobs.EnqueueAsync("heal", "photos");
        await catalogue.Jobs.CancelAsync(await catalogue.Jobs.EnqueueAsync("gc", "all"), "test"); // id 3, pruned below
        _clock.Advance(TimeSpan.FromDays(30));
        Assert.Equal(1, await catalogue.Jobs.PruneFinishedAsync(TimeSpan.FromDays(7)));
        await catalogue.Stores.SetStateAsync("s1", StoreStates.Draining);
        await catalogue.Stores.SwapInstanceAsync("s1", "instance-1");
        Assert.True(await catalogue.Identities.AddUserAsync(new UserRecord("alice", "alice-id", now, false, "{\"Version\":\"2012-10-17\"}")));
        Assert.True(await catalogue.Identities.AddKeyAsync(new AccessKeyRecord("AKALICE", "alice", [1, 2, 3], now)));
        Assert.True(await catalogue.Keys.AddKmsKeyAsync(new KmsKeyRecord("backup-key", [9, 9], now)));
        return versions;
    }

    private static object? Scalar(string connectionString, string sql)
    {
        using var connection = new NpgsqlConnection(connectionString);
        connection.Open();
        using var command = new NpgsqlCommand(sql, connection);
        return command.ExecuteScalar();
    }

    private static long Count(string connectionString, string sql) => Convert.ToInt64(Scalar(connectionString, sql), System.Globalization.CultureInfo.InvariantCulture);

    private static void Execute(string connectionString, string sql) => Scalar(connectionString, sql);

    [Fact]
    public async Task EveryRowArrivesAndThePostgresCatalogueServesThem()
    {
        int versions = await PopulateAsync();
        string target = NewDatabase();
        var progress = new List<MigrationProgress>();

        var tables = SqliteMigration.Run(_source, target, Options(progress));

        Assert.Equal(["buckets", "bucket_configs", "objects", "pending_deletes", "uploads", "parts", "degraded_shards", "jobs", "store_states",
            "workers", "store_instances", "users", "access_keys", "kms_keys"], tables.Select(t => t.Table));
        Assert.Equal(versions + 1, tables.Single(t => t.Table == "objects").Rows); // and the delete marker
        Assert.All(tables.Where(t => t.Table != "workers"), t => Assert.True(t.Rows > 0, t.Table));
        Assert.All(tables, t => Assert.Matches("^[0-9a-f]{64}$", t.Sha256));
        // Copied in batches of 16, each reported after its commit, then every table verified.
        Assert.Equal([16L, 32, 48, 64, 80, 96, 112, 121], progress.Where(p => p.Table == "objects" && p.Phase == MigrationPhase.Copy).Select(p => p.Rows));
        Assert.Equal(121, progress.Last(p => p.Table == "objects" && p.Phase == MigrationPhase.Verify).Rows);
        Assert.Equal(0, Count(target, "SELECT count(*) FROM catalogue_migration WHERE verified IS NULL"));

        using var sqlite = new SqliteCatalogue(_source, _clock, synchronousFull: false);
        using var postgres = new PostgresCatalogue(target, _clock);
        foreach (string bucket in new[] { "photos", "plain" })
        {
            var expected = await sqlite.Objects.ListVersionsAsync(new ListVersionsRequest { Bucket = bucket, MaxKeys = 1000 });
            var actual = await postgres.Objects.ListVersionsAsync(new ListVersionsRequest { Bucket = bucket, MaxKeys = 1000 });
            Assert.Equal(expected.Versions.Select(v => (v.Entry.Key, v.VersionId, v.IsLatest, v.IsDeleteMarker, v.Entry.Size, v.Entry.ETag)),
                actual.Versions.Select(v => (v.Entry.Key, v.VersionId, v.IsLatest, v.IsDeleteMarker, v.Entry.Size, v.Entry.ETag)));
            Assert.Equal(bucket == "photos" ? 61 : 60, actual.Versions.Count); // photos has the delete marker
        }
        Assert.Equal(VersioningState.Enabled, (await postgres.Buckets.GetAsync("photos"))!.Versioning);
        Assert.Equal("a", (await postgres.Objects.GetAsync("plain", "p0001"))!.Tags["team"]);
        Assert.Equal("text/plain", (await postgres.Objects.GetAsync("plain", "p0001"))!.Metadata.ContentType);
        Assert.NotNull(await postgres.Uploads.GetAsync("plain", "big", "0000018f00000000aa"));
        Assert.Equal([1, 2, 3], (await postgres.Identities.ListKeysAsync("alice")).Single().SealedSecret);
        Assert.Equal(StoreStates.Draining, (await postgres.Stores.StatesAsync())["s1"]);
        Assert.Equal(1, await postgres.Shards.CountDegradedAsync());
        // The jobs' identity continues after every id SQLite gave, the pruned job's too.
        Assert.Equal(4, await postgres.Jobs.EnqueueAsync("gc", "all"));

        // Run again: nothing to do, and --verify-only compares again.
        var notes = new List<string>();
        Assert.Empty(SqliteMigration.Run(_source, target, Options(notes: notes)));
        Assert.Contains("nothing to do", Assert.Single(notes), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnInterruptedMigrationIsRefusedByGatewaysAndResumesAfterItsLastBatch()
    {
        int versions = await PopulateAsync();
        string target = NewDatabase();
        using var interrupt = new CancellationTokenSource();
        var options = Options() with
        {
            Progress = p =>
            {
                if (p is { Table: "objects", Rows: 48 })
                {
                    interrupt.Cancel();
                }
            },
        };
        Assert.ThrowsAny<OperationCanceledException>(() => SqliteMigration.Run(_source, target, options, interrupt.Token));
        Assert.Equal(48, Count(target, "SELECT count(*) FROM objects"));
        Assert.Equal(48, Count(target, "SELECT copied FROM catalogue_migration WHERE table_name = 'objects'"));
        var refused = Assert.Throws<CatalogueRefusedException>(() => new PostgresCatalogue(target, _clock));
        Assert.Contains("unfinished", refused.Message, StringComparison.Ordinal);

        var notes = new List<string>();
        var progress = new List<MigrationProgress>();
        var tables = SqliteMigration.Run(_source, target, Options(progress, notes));
        Assert.Contains(notes, n => n.Contains("resuming", StringComparison.Ordinal));
        Assert.Equal(versions + 1, tables.Single(t => t.Table == "objects").Rows);
        Assert.Equal(64, progress.First(p => p.Table == "objects").Rows); // the first batch after the 48 rows kept
        Assert.DoesNotContain(progress, p => p.Table == "buckets" && p.Phase == MigrationPhase.Copy); // finished before
        using var postgres = new PostgresCatalogue(target, _clock);
        Assert.NotNull(await postgres.Buckets.GetAsync("plain"));
    }

    [Fact]
    public async Task VerificationNamesTheTableAndTheFirstRowThatDiffers()
    {
        await PopulateAsync();
        string target = NewDatabase();
        SqliteMigration.Run(_source, target, Options());

        Execute(target, "UPDATE objects SET etag = 'tampered' WHERE key = convert_to('p0007', 'UTF8')");
        var changed = Assert.Throws<MigrationMismatchException>(() => SqliteMigration.Run(_source, target, Options() with { VerifyOnly = true }));
        Assert.Contains("objects: the row (bucket=plain, key=\"p0007\", seq=", changed.Message, StringComparison.Ordinal);
        Assert.Contains("differs in etag", changed.Message, StringComparison.Ordinal);

        Assert.Contains("It was verified before", changed.Message, StringComparison.Ordinal);
        Assert.Equal(0, Count(target, "SELECT count(*) FROM catalogue_migration WHERE verified IS NULL")); // marks kept: gateways may have written
    }

    [Fact]
    public async Task AMissingRowIsNamedWithTheSideItIsOnAndGatewaysRefuseAnUnverifiedCopy()
    {
        await PopulateAsync();
        string target = NewDatabase();
        SqliteMigration.Run(_source, target, Options());
        Execute(target, "DELETE FROM access_keys; UPDATE catalogue_migration SET verified = NULL");
        var missing = Assert.Throws<MigrationMismatchException>(() => SqliteMigration.Run(_source, target, Options() with { VerifyOnly = true }));
        Assert.Equal("access_keys: the row (access_key=AKALICE) and 0 after it are in the SQLite catalogue, not in PostgreSQL. " +
            "Gateways refuse the catalogue until a migration verifies (--restart copies it again).", missing.Message);
        Assert.Throws<CatalogueRefusedException>(() => new PostgresCatalogue(target, _clock));
    }

    [Fact]
    public async Task TargetsThatAreNotThisMigrationsAreRefusedAndLeftAlone()
    {
        await PopulateAsync();

        // A catalogue a gateway already uses.
        string foreign = NewDatabase();
        using (var used = new PostgresCatalogue(foreign, _clock))
        {
            await used.Buckets.CreateAsync("theirs", _clock.GetUtcNow());
        }
        foreach (var options in new[] { Options(), Options() with { Restart = true } })
        {
            var refused = Assert.Throws<MigrationRefusedException>(() => SqliteMigration.Run(_source, foreign, options));
            Assert.Contains("already holds a catalogue (its buckets table has rows)", refused.Message, StringComparison.Ordinal);
        }
        Assert.Equal(1, Count(foreign, "SELECT count(*) FROM buckets"));

        // A migration from another SQLite catalogue, interrupted: only --restart starts over from this one.
        string half = NewDatabase();
        string other = _folder.Combine("other.db");
        File.Copy(_source, other);
        using (var interrupt = new CancellationTokenSource())
        {
            var options = Options() with { Progress = p => interrupt.Cancel() };
            Assert.ThrowsAny<OperationCanceledException>(() => SqliteMigration.Run(other, half, options, interrupt.Token));
        }
        var another = Assert.Throws<MigrationRefusedException>(() => SqliteMigration.Run(_source, half, Options()));
        Assert.Contains($"being migrated into from {other}", another.Message, StringComparison.Ordinal);
        var notes = new List<string>();
        SqliteMigration.Run(_source, half, Options(notes: notes) with { Restart = true });
        Assert.Contains(notes, n => n.Contains("starting over", StringComparison.Ordinal));
        Assert.Equal(_source, Scalar(half, "SELECT DISTINCT source FROM catalogue_migration"));

        // Verified, the target is a catalogue in use: never emptied by --restart.
        var verified = Assert.Throws<MigrationRefusedException>(() => SqliteMigration.Run(_source, half, Options() with { Restart = true }));
        Assert.Contains("was verified", verified.Message, StringComparison.Ordinal);

        // --verify-only of a database nothing was migrated into; a second migration at once; a newer source.
        var nothing = Assert.Throws<MigrationRefusedException>(() => SqliteMigration.Run(_source, NewDatabase(), Options() with { VerifyOnly = true }));
        Assert.Contains("Nothing was migrated", nothing.Message, StringComparison.Ordinal);
        string busy = NewDatabase();
        await using (var holder = new NpgsqlConnection(busy))
        {
            await holder.OpenAsync();
            await using var take = new NpgsqlCommand($"SELECT pg_advisory_lock({0x6F62_0000}, 1)", holder);
            await take.ExecuteNonQueryAsync();
            var running = Assert.Throws<MigrationRefusedException>(() => SqliteMigration.Run(_source, busy, Options()));
            Assert.Contains("Another migration", running.Message, StringComparison.Ordinal);
        }
        using (var connection = new SqliteConnection($"Data Source={other};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA user_version = 999";
            command.ExecuteNonQuery();
        }
        var newer = Assert.Throws<MigrationRefusedException>(() => SqliteMigration.Run(other, NewDatabase(), Options()));
        Assert.Contains("newer than this build knows", newer.Message, StringComparison.Ordinal);
        Assert.Throws<MigrationRefusedException>(() => SqliteMigration.Run(_folder.Combine("absent.db"), NewDatabase(), Options()));
    }
}
