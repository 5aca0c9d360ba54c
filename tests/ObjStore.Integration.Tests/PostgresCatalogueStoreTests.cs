using System.Net;
using Amazon.S3;
using Amazon.S3.Model;
using ObjStore.Hosting;
using ObjStore.Metadata.Postgres;
using ObjStore.Storage;

namespace ObjStore.Integration.Tests;

/// <summary>
/// The store on a PostgreSQL catalogue (<c>ObjStore:Catalogue</c>), through AWSSDK: what a client does works as on
/// SQLite; a catalogue that cannot be reached at start is one line; PostgreSQL going away answers 503, and its return
/// heals the store without a restart.
/// </summary>
public sealed class PostgresCatalogueStoreTests
{
    private static Dictionary<string, string?> On(string connectionString) => new() { ["Catalogue"] = connectionString };

    [Fact]
    public async Task PutGetListMultipartAndDeleteWorkOnPostgres()
    {
        await using var database = await PostgresServer.Shared.CreateDatabaseAsync();
        await using var server = await DevServer.StartAsync(settings: On(database.ConnectionString));
        Assert.IsType<PostgresCatalogue>(server.Catalogue);
        using var s3 = server.Client();
        await s3.PutBucketAsync("pg-bucket");

        var small = TestData.Bytes(1000, seed: 1);
        var striped = TestData.Bytes(300_000, seed: 2);
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = "pg-bucket", Key = "dir/é.txt", InputStream = new MemoryStream(small) });
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = "pg-bucket", Key = "dir/sub/striped", InputStream = new MemoryStream(striped) });
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = "pg-bucket", Key = "top", InputStream = new MemoryStream(small) });
        Assert.Equal(small, await s3.GetBytesAsync("pg-bucket", "dir/é.txt"));
        Assert.Equal(striped, await s3.GetBytesAsync("pg-bucket", "dir/sub/striped"));
        Assert.Equal(300_000, (await s3.GetObjectMetadataAsync("pg-bucket", "dir/sub/striped")).ContentLength);

        var listed = await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = "pg-bucket", Prefix = "dir/", Delimiter = "/" });
        Assert.Equal(["dir/é.txt"], listed.S3Objects.Select(o => o.Key));
        Assert.Equal(["dir/sub/"], listed.CommonPrefixes);

        // Conditional create: the second one finds the key taken.
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = "pg-bucket", Key = "state.lock", ContentBody = "a", IfNoneMatch = "*" });
        var taken = await Assert.ThrowsAsync<AmazonS3Exception>(() =>
            s3.PutObjectAsync(new PutObjectRequest { BucketName = "pg-bucket", Key = "state.lock", ContentBody = "b", IfNoneMatch = "*" }));
        Assert.Equal(HttpStatusCode.PreconditionFailed, taken.StatusCode);

        var upload = await s3.InitiateMultipartUploadAsync("pg-bucket", "multi");
        var part1 = TestData.Bytes(5 << 20, seed: 3);
        var part2 = TestData.Bytes(1234, seed: 4);
        var etags = new List<PartETag>();
        foreach (var (number, bytes) in new[] { (1, part1), (2, part2) })
        {
            var part = await s3.UploadPartAsync(new UploadPartRequest
            {
                BucketName = "pg-bucket", Key = "multi", UploadId = upload.UploadId, PartNumber = number, InputStream = new MemoryStream(bytes),
            });
            etags.Add(new PartETag(number, part.ETag));
        }
        Assert.Single((await s3.ListMultipartUploadsAsync("pg-bucket")).MultipartUploads);
        await s3.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest { BucketName = "pg-bucket", Key = "multi", UploadId = upload.UploadId, PartETags = etags });
        byte[] whole = [.. part1, .. part2];
        Assert.Equal(whole, await s3.GetBytesAsync("pg-bucket", "multi"));

        await s3.DeleteObjectAsync("pg-bucket", "top");
        await s3.DeleteObjectAsync("pg-bucket", "dir/é.txt");
        var remaining = await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = "pg-bucket" });
        Assert.Equal(["dir/sub/striped", "multi", "state.lock"], remaining.S3Objects.Select(o => o.Key));
        var missing = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.GetObjectAsync("pg-bucket", "top"));
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task PostgresGoingAwayIsA503AndItsReturnHealsTheStore()
    {
        await using var postgres = PostgresServer.StartThrowaway();
        await using var database = await postgres.CreateDatabaseAsync();
        await using var server = await DevServer.StartAsync(settings: On(database.ConnectionString));
        using var s3 = server.Client();
        await s3.PutBucketAsync("pg-bucket");
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = "pg-bucket", Key = "before", ContentBody = "kept" });

        postgres.Pause();
        foreach (var attempt in new Func<Task>[]
        {
            () => s3.PutObjectAsync(new PutObjectRequest { BucketName = "pg-bucket", Key = "during", ContentBody = "x" }),
            () => s3.GetObjectAsync("pg-bucket", "before"),
            () => s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = "pg-bucket" }),
        })
        {
            var down = await Assert.ThrowsAsync<AmazonS3Exception>(attempt);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, down.StatusCode);
            Assert.Equal("ServiceUnavailable", down.ErrorCode);
        }

        postgres.Resume();
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = "pg-bucket", Key = "after", ContentBody = "new" });
        Assert.Equal("kept", System.Text.Encoding.UTF8.GetString(await s3.GetBytesAsync("pg-bucket", "before")));
        Assert.Equal(["after", "before"], (await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = "pg-bucket" })).S3Objects.Select(o => o.Key));
    }

    /// <summary>
    /// The catalogue's two ways back on PostgreSQL: a backup kept in the store (a SQLite catalogue file, restored with
    /// a --target) and rebuild-metadata from the shards' footers into an empty PostgreSQL database.
    /// </summary>
    [Fact]
    public async Task BackupsAndRebuildMetadataWorkOnPostgres()
    {
        await using var first = await PostgresServer.Shared.CreateDatabaseAsync();
        string dataDir = Directory.CreateTempSubdirectory("objstore-pg-rebuild-").FullName;
        var settings = new Dictionary<string, string?>(Maintenance.Fast) { ["Catalogue"] = first.ConnectionString };
        var objects = new Dictionary<string, byte[]> { ["a"] = TestData.Bytes(10, 1), ["dir/é"] = TestData.Bytes(200_000, 2), ["empty"] = [] };
        var writer = await DevServer.StartAsync("4+2", dataDir, settings);
        using (var s3 = writer.Client())
        {
            await s3.PutBucketAsync("kept");
            foreach (var (key, bytes) in objects)
            {
                await s3.PutObjectAsync(new PutObjectRequest { BucketName = "kept", Key = key, InputStream = new MemoryStream(bytes) });
            }
            var backup = await Maintenance.RunJobAsync(writer, "backup");
            Assert.Contains("catalogue-backups/", backup.Result, StringComparison.Ordinal);
        }
        await writer.StopAsync();

        // restore-catalogue on PostgreSQL writes the backup as a SQLite catalogue, only where it is told to.
        var restoreSettings = new Dictionary<string, string?>
        {
            ["ObjStore:DataDir"] = dataDir, ["ObjStore:Erasure"] = "4+2", ["ObjStore:StripeSize"] = "65536", ["ObjStore:Catalogue"] = first.ConnectionString,
        };
        await Assert.ThrowsAsync<StartupException>(() => CatalogueRestore.RunAsync(restoreSettings, StoreMode.Dev, target: null, force: false));
        using var restored = new TempFolder();
        string target = restored.Combine("restored.db");
        Assert.NotNull(await CatalogueRestore.RunAsync(restoreSettings, StoreMode.Dev, target, force: false));
        using (var copy = new Metadata.Sqlite.SqliteCatalogue(target, synchronousFull: false))
        {
            var listed = await copy.Objects.ListAsync(new Core.ListRequest { Bucket = "kept" });
            Assert.Equal(objects.Keys.Order(StringComparer.Ordinal), listed.Objects.Select(o => o.Key));
        }
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();

        // The database is lost: a new, empty one, and the shards' footers (the stopped server's data folder stays).
        await using var second = await PostgresServer.Shared.CreateDatabaseAsync();
        await using var rebuilt = await DevServer.StartAsync("4+2", dataDir, new Dictionary<string, string?>(settings) { ["Catalogue"] = second.ConnectionString });
        using var again = rebuilt.Client();
        var rebuild = await Maintenance.RunJobAsync(rebuilt, "rebuild-metadata");
        // The catalogue backup is an object too (in the system bucket), found by its footers like the others.
        Assert.True(rebuild.Result!.Contains($"\"objectsRestored\":{objects.Count + 1}", StringComparison.Ordinal), rebuild.Result);
        foreach (var (key, bytes) in objects)
        {
            Assert.Equal(bytes, await again.GetBytesAsync("kept", key));
        }
    }

    [Fact]
    public async Task AnUnreachableOrMisspelledCatalogueIsOneLineAtStart()
    {
        using var data = new TempFolder();
        var unreachable = Assert.Throws<StartupException>(() => StoreHost.Build([], Settings(data.Path, "postgres://objstore@127.0.0.1:1/objstore")));
        Assert.StartsWith("ObjStore:Catalogue: PostgreSQL at 127.0.0.1:1/objstore cannot be used", unreachable.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', unreachable.Message);
        var misspelled = Assert.Throws<ArgumentException>(() => StoreHost.Build([], Settings(data.Path, "postgress://objstore@db/objstore")));
        Assert.Contains("ObjStore:Catalogue", misspelled.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(data.Path, "catalogue.db")));
    }

    private static Dictionary<string, string?> Settings(string dataDir, string catalogue) => new()
    {
        ["ObjStore:Listen"] = "http://127.0.0.1:0",
        ["ObjStore:DataDir"] = dataDir,
        ["ObjStore:Catalogue"] = catalogue,
    };
}
