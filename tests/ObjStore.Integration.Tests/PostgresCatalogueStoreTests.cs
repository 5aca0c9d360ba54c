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
