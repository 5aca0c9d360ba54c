using Microsoft.Extensions.Time.Testing;
using Npgsql;
using ObjStore.Core;
using ObjStore.Core.Jobs;
using ObjStore.Metadata.Postgres;
using ObjStore.Metadata.Sqlite;
using ObjStore.TestKit;

namespace ObjStore.Metadata.Tests;

/// <summary>
/// The catalogue contract over PostgreSQL, each test on a database of its own (<see cref="PostgresServer"/>), plus
/// what is PostgreSQL's own: its schema version, and several catalogues over one database (several gateways) racing.
/// </summary>
public sealed class PostgresCatalogueTests : CatalogueContract
{
    private PostgresTestDatabase? _database;

    private PostgresTestDatabase Database => _database ??= PostgresServer.Shared.CreateDatabaseAsync().GetAwaiter().GetResult();

    protected override ICatalogue Open(TimeProvider clock) => new PostgresCatalogue(Database.ConnectionString, clock);

    /// <summary>A PostgreSQL catalogue's backup is a SQLite catalogue file.</summary>
    protected override ICatalogue OpenCopy(string path) => new SqliteCatalogue(path, Clock, synchronousFull: false);

    /// <summary>Another gateway: a catalogue with a pool of its own over the same database.</summary>
    private PostgresCatalogue Second() => new(Database.ConnectionString, Clock);

    private PostgresCatalogue? _follower;

    protected override ICatalogue Follower => _follower ??= Second();

    protected override bool FollowsOverTheNetwork => true;

    public override void Dispose()
    {
        _follower?.Dispose();
        base.Dispose();
        _database?.Dispose();
    }

    [Fact]
    public async Task ACatalogueFromANewerBuildIsRefusedNotMigratedDown()
    {
        await using (var connection = new NpgsqlConnection(Database.ConnectionString))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand("UPDATE schema_version SET version = 999", connection);
            Assert.Equal(1, await command.ExecuteNonQueryAsync());
        }
        var refused = Assert.Throws<CatalogueRefusedException>(() => new PostgresCatalogue(Database.ConnectionString, Clock));
        Assert.Contains("newer", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReopeningMigratesNothingTwiceAndKeepsTheRows()
    {
        await BucketAsync();
        using var again = Second();
        Assert.NotNull(await again.Buckets.GetAsync("bucket"));
    }

    [Fact]
    public async Task ConditionalWritesFromTwoGatewaysToOneKeyEndWithOneWinner()
    {
        using var other = Second();
        string bucket = await BucketAsync();
        // If-None-Match: * (a lock file, as Terraform takes it), 20 writers a gateway, all at once.
        var attempts = Enumerable.Range(0, 40).Select(i => Task.Run(async () =>
        {
            var catalogue = i % 2 == 0 ? Catalogue : other;
            try
            {
                await catalogue.Objects.CommitAsync(ObjectAt(bucket, "lock", etag: $"{i:D32}"), null, ifNoneMatchAny: true);
                return i;
            }
            catch (ObjectStoreException e) when (e.Kind == ErrorKind.PreconditionFailed)
            {
                return -1;
            }
        })).ToList();
        int winner = Assert.Single(await Task.WhenAll(attempts), i => i >= 0);
        Assert.Equal($"{winner:D32}", (await other.Objects.GetAsync(bucket, "lock"))!.ETag);

        // If-Match on the winner's ETag: every writer read the same one, one replaces it.
        var replacements = Enumerable.Range(0, 40).Select(i => Task.Run(async () =>
        {
            var catalogue = i % 2 == 0 ? other : Catalogue;
            try
            {
                await catalogue.Objects.CommitAsync(ObjectAt(bucket, "lock", etag: $"{100 + i:D32}"), $"\"{winner:D32}\"", ifNoneMatchAny: false);
                return i;
            }
            catch (ObjectStoreException e) when (e.Kind == ErrorKind.PreconditionFailed)
            {
                return -1;
            }
        })).ToList();
        int replaced = Assert.Single(await Task.WhenAll(replacements), i => i >= 0);
        var versions = (await Catalogue.Objects.ListVersionsAsync(new ListVersionsRequest { Bucket = bucket })).Versions;
        var only = Assert.Single(versions);
        Assert.Equal(($"{100 + replaced:D32}", true), (only.Entry.ETag, only.IsLatest));
    }

    [Fact]
    public async Task VersionsWrittenByTwoGatewaysAtOnceHaveOneLatestAndTheirOwnSequence()
    {
        using var other = Second();
        string bucket = await BucketAsync();
        await Catalogue.Buckets.SetVersioningAsync(bucket, VersioningState.Enabled);
        var writes = Enumerable.Range(0, 60).Select(i => (Task)Task.Run(() => (i % 2 == 0 ? Catalogue : other).Objects.CommitAsync(
            ObjectAt(bucket, "hot") with { VersionId = VersionIds.New(Clock.GetUtcNow()) }, null, false))).ToList();
        // A plain overwrite of the null version meanwhile, and deletes making markers, from both.
        writes.AddRange(Enumerable.Range(0, 10).Select(i => Task.Run(() => (i % 2 == 0 ? other : Catalogue).Objects.DeleteAsync(bucket, "hot", null, false))));
        await Task.WhenAll(writes);
        var versions = (await other.Objects.ListVersionsAsync(new ListVersionsRequest { Bucket = bucket, MaxKeys = 1000 })).Versions;
        Assert.Equal(70, versions.Count);
        Assert.Equal(70, versions.Select(v => v.VersionId).Distinct().Count());
        Assert.True(Assert.Single(versions, v => v.IsLatest) == versions[0]);
    }

    [Fact]
    public async Task AJobIsClaimedOnceByWorkersOfTwoGateways()
    {
        using var other = Second();
        var ids = new List<long>();
        for (int i = 0; i < 30; i++)
        {
            ids.Add(await Catalogue.Jobs.EnqueueAsync("gc", $"t{i}"));
        }
        // Two workers, and each claiming from both gateways at once (as two threads of one worker would).
        var workers = new[] { new WorkerInfo("gateway:a", ["gc"]), new WorkerInfo("gateway:b", ["gc"]) };
        var claims = Enumerable.Range(0, 8).Select(n => Task.Run(async () =>
        {
            var catalogue = n % 2 == 0 ? Catalogue : other;
            var worker = workers[n / 2 % 2];
            var mine = new List<long>();
            for (int idle = 0; idle < 3;)
            {
                var job = await catalogue.Jobs.ClaimAsync(worker, TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(5));
                if (job is null)
                {
                    idle++;
                    continue;
                }
                Assert.Equal(worker.Id, job.LeaseOwner);
                mine.Add(job.Id);
            }
            return mine;
        })).ToList();
        var claimed = (await Task.WhenAll(claims)).SelectMany(c => c).ToList();
        Assert.Equal(ids.Order(), claimed.Order());
        Assert.All(await Catalogue.Jobs.ListAsync(100), j => Assert.Equal(JobStates.Running, j.State));
    }

    [Fact]
    public async Task EnsureQueuedFromTwoGatewaysAtOnceQueuesOneJob()
    {
        using var other = Second();
        await Task.WhenAll(Enumerable.Range(0, 20).Select(i => Task.Run(() => (i % 2 == 0 ? Catalogue : other).Jobs.EnsureQueuedAsync("scrub", "all", 0))));
        Assert.Single(await Catalogue.Jobs.ListAsync(100));
    }

    [Fact]
    public async Task ListingsAreInTheSameByteOrderAsSqlite()
    {
        string[] keys =
        [
            "a", "A", "b", "Z", "a/b", "a/b/c", "a-b", "a.b", "a0", "~", "é", "e", "f", "ÿ", "\u0080x", "ab", "aB", "Ab",
            "日本", "日本/語", "😀", "😀/x", "\uffef", "ｚ", "z", "ä/1", "ä/2", "a b", "a\tb", "dir/", "dir/é", "dir/e", "Ω", "ω",
        ];
        using var folder = new TempFolder();
        using var sqlite = new SqliteCatalogue(folder.Combine("catalogue.db"), Clock, synchronousFull: false);
        foreach (var catalogue in new ICatalogue[] { Catalogue, sqlite })
        {
            await catalogue.Buckets.CreateAsync("bucket", Clock.GetUtcNow());
            await catalogue.Buckets.CreateAsync("Bucket", Clock.GetUtcNow());
            await catalogue.Buckets.CreateAsync("bucket-2", Clock.GetUtcNow());
            foreach (string key in keys)
            {
                await catalogue.Objects.CommitAsync(ObjectAt("bucket", key), null, false);
                await catalogue.Uploads.CreateAsync(Upload("bucket", key, $"u-{key.Length}-{Uri.EscapeDataString(key)}"));
            }
        }
        var byteOrder = keys.OrderBy(k => KeyOrder.Bytes(k), Comparer<byte[]>.Create((x, y) => KeyOrder.Compare(x, y))).ToList();

        async Task<List<string>> Walk(ICatalogue catalogue, string prefix, string? delimiter, int pageSize)
        {
            var seen = new List<string>();
            string? after = null;
            while (true)
            {
                var page = await catalogue.Objects.ListAsync(new ListRequest { Bucket = "bucket", Prefix = prefix, Delimiter = delimiter, MaxKeys = pageSize, StartAfter = after });
                seen.AddRange(page.Objects.Select(o => o.Key).Concat(page.CommonPrefixes.Select(p => "prefix:" + p)));
                if (!page.IsTruncated)
                {
                    return seen;
                }
                after = page.NextMarker;
            }
        }

        async Task<List<string>> WalkVersions(ICatalogue catalogue, string prefix, string? delimiter, int pageSize)
        {
            var seen = new List<string>();
            string? keyMarker = null, versionMarker = null;
            while (true)
            {
                var page = await catalogue.Objects.ListVersionsAsync(new ListVersionsRequest
                {
                    Bucket = "bucket", Prefix = prefix, Delimiter = delimiter, MaxKeys = pageSize, KeyMarker = keyMarker, VersionIdMarker = versionMarker,
                });
                seen.AddRange(page.Versions.Select(v => v.Entry.Key + "@" + v.VersionId).Concat(page.CommonPrefixes.Select(p => "prefix:" + p)));
                if (!page.IsTruncated)
                {
                    return seen;
                }
                (keyMarker, versionMarker) = (page.NextKeyMarker, page.NextVersionIdMarker);
            }
        }

        Assert.Equal(byteOrder, await Walk(Catalogue, "", null, 1000));
        foreach (var (prefix, delimiter, size) in new[]
        {
            ("", (string?)null, 3), ("", "/", 2), ("a", "/", 1), ("日", null, 5), ("dir/", "/", 2),
            // PostgreSQL walks delimiter pages itself (PostgresObjects.DelimiterWalk): delimiters of several bytes and characters.
            ("", "/", 1000), ("", "-", 3), ("", "ab", 2), ("", "日", 1), ("a", "b", 2), ("😀", "/", 1), ("", "é", 4), ("", "😀", 3), ("d", "r/", 1),
        })
        {
            Assert.Equal(await Walk(sqlite, prefix, delimiter, size), await Walk(Catalogue, prefix, delimiter, size));
            Assert.Equal(await WalkVersions(sqlite, prefix, delimiter, size), await WalkVersions(Catalogue, prefix, delimiter, size));
        }
        var versionsPg = (await Catalogue.Objects.ListVersionsAsync(new ListVersionsRequest { Bucket = "bucket", MaxKeys = 1000 })).Versions.Select(v => v.Entry.Key);
        var versionsSqlite = (await sqlite.Objects.ListVersionsAsync(new ListVersionsRequest { Bucket = "bucket", MaxKeys = 1000 })).Versions.Select(v => v.Entry.Key);
        Assert.Equal(versionsSqlite, versionsPg);
        var uploadsPg = (await Catalogue.Uploads.ListAsync(new ListUploadsRequest { Bucket = "bucket", MaxUploads = 1000 })).Uploads.Select(u => u.UploadId);
        var uploadsSqlite = (await sqlite.Uploads.ListAsync(new ListUploadsRequest { Bucket = "bucket", MaxUploads = 1000 })).Uploads.Select(u => u.UploadId);
        Assert.Equal(uploadsSqlite, uploadsPg);
        Assert.Equal((await sqlite.Buckets.ListAsync()).Select(b => b.Name), (await Catalogue.Buckets.ListAsync()).Select(b => b.Name));
        Assert.Equal(["Bucket", "bucket", "bucket-2"], (await Catalogue.Buckets.ListAsync()).Select(b => b.Name));
    }

    [Fact]
    public void AnUnreachableServerFailsAsTransient()
    {
        var refused = Assert.ThrowsAny<NpgsqlException>(() => new PostgresCatalogue("Host=127.0.0.1;Port=1;Username=nobody;Timeout=2", new FakeTimeProvider()));
        Assert.True(refused.IsTransient);
    }

    [Theory]
    [InlineData("postgres://objstore@db.example:6543/catalogue", "Host=db.example;Port=6543;Username=objstore;Database=catalogue")]
    [InlineData("postgresql://u:p%40ss@127.0.0.1/cat?sslmode=require&connect_timeout=3", "Host=127.0.0.1;Username=u;Password=p@ss;Database=cat;SSL Mode=Require;Timeout=3")]
    [InlineData("Host=db;Database=objstore;Username=objstore", "Host=db;Database=objstore;Username=objstore")]
    public void ConnectionSettingsAreUrlsOrConnectionStrings(string setting, string expected)
    {
        Assert.True(PostgresConnection.Names(setting));
        Assert.Equal(new NpgsqlConnectionStringBuilder(expected).ConnectionString, PostgresConnection.Normalize(setting), ignoreCase: true);
    }

    [Theory]
    [InlineData("postgres://")]
    [InlineData("mysql://x@y/z")]
    [InlineData("Host=db;Bogus Key=1")]
    public void BadConnectionSettingsAreRefusedInOneLine(string setting) =>
        Assert.DoesNotContain('\n', Assert.Throws<ArgumentException>(() => PostgresConnection.Normalize(setting)).Message);
}
