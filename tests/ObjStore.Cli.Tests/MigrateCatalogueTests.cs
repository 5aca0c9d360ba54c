using System.Net;
using Amazon.S3;
using Amazon.S3.Model;
using Npgsql;
using ObjStore.Metadata;
using ObjStore.TestKit;

namespace ObjStore.Cli.Tests;

/// <summary>
/// `objstore migrate-catalogue`: a dev store written through AWSSDK.S3 on SQLite, migrated, and served from
/// PostgreSQL over the same data folder: every version, the multipart object, an upload still in progress, a bucket
/// setting. And what it refuses: a running store, a tampered copy, a half-done one at a gateway's start.
/// </summary>
[Collection(ConsoleUsers.Name)]
public sealed class MigrateCatalogueTests
{
    private const int MiB = 1 << 20;

    private sealed record Written(Dictionary<(string Key, string VersionId), byte[]> Versions, Dictionary<string, byte[]> Current, string UploadId, string PartETag, byte[] PartBytes);

    private static async Task<Written> WriteAsync(AmazonS3Client s3)
    {
        var versions = new Dictionary<(string, string), byte[]>();
        var current = new Dictionary<string, byte[]>();
        await s3.PutBucketAsync("docs");
        await s3.PutBucketVersioningAsync(new PutBucketVersioningRequest
        {
            BucketName = "docs", VersioningConfig = new S3BucketVersioningConfig { Status = VersionStatus.Enabled },
        });
        for (int v = 0; v < 2; v++)
        {
            var bytes = TestData.Bytes(300_000 + v, v);
            var put = await s3.PutObjectAsync(new PutObjectRequest { BucketName = "docs", Key = "report é.pdf", InputStream = new MemoryStream(bytes) });
            versions[("report é.pdf", put.VersionId)] = bytes;
        }
        await s3.DeleteObjectAsync("docs", "report é.pdf"); // a delete marker over both

        await s3.PutBucketAsync("many");
        await s3.PutCORSConfigurationAsync(new PutCORSConfigurationRequest
        {
            BucketName = "many",
            Configuration = new CORSConfiguration { Rules = [new CORSRule { AllowedMethods = ["GET"], AllowedOrigins = ["https://app.example"] }] },
        });
        for (int i = 0; i < 120; i++)
        {
            var bytes = TestData.Bytes(100 + i, 100 + i);
            await s3.PutObjectAsync(new PutObjectRequest { BucketName = "many", Key = $"k{i:D3}", InputStream = new MemoryStream(bytes) });
            current[$"k{i:D3}"] = bytes;
        }

        var big = TestData.Bytes(5 * MiB + 1000, 7);
        var upload = await s3.InitiateMultipartUploadAsync("many", "big");
        var parts = new List<PartETag>();
        for (int n = 1; n <= 2; n++)
        {
            int offset = (n - 1) * 5 * MiB;
            var part = await s3.UploadPartAsync(new UploadPartRequest
            {
                BucketName = "many", Key = "big", UploadId = upload.UploadId, PartNumber = n,
                InputStream = new MemoryStream(big, offset, Math.Min(5 * MiB, big.Length - offset)),
            });
            parts.Add(new PartETag(n, part.ETag));
        }
        await s3.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest { BucketName = "many", Key = "big", UploadId = upload.UploadId, PartETags = parts });
        current["big"] = big;

        var pendingBytes = TestData.Bytes(1000, 8);
        var pending = await s3.InitiateMultipartUploadAsync("many", "pending");
        var pendingPart = await s3.UploadPartAsync(new UploadPartRequest
        {
            BucketName = "many", Key = "pending", UploadId = pending.UploadId, PartNumber = 1, InputStream = new MemoryStream(pendingBytes),
        });
        return new Written(versions, current, pending.UploadId, pendingPart.ETag, pendingBytes);
    }

    private static Dictionary<string, string?> OnPostgres(string connectionString) => new() { ["Catalogue"] = connectionString };

    [Fact]
    public async Task ADevStoreMigratedToPostgresServesEverythingItHeld()
    {
        await using var database = await PostgresServer.Shared.CreateDatabaseAsync();
        await using var onSqlite = await DevServer.StartAsync("4+2");
        Written written;
        using (var s3 = onSqlite.Client())
        {
            written = await WriteAsync(s3);
        }

        // While the store runs its data folder is locked: the migration is refused, and nothing is copied.
        var (busy, _, busyError) = await CliRun.RunAsync("migrate-catalogue", "--data", onSqlite.DataDir, "--to", database.ConnectionString);
        Assert.Equal(CommandLine.UsageError, busy);
        Assert.Contains("is in use by another objstore process", busyError, StringComparison.Ordinal);
        await onSqlite.StopAsync();

        var (exit, output, error) = await CliRun.RunAsync("migrate-catalogue", "--data", onSqlite.DataDir, "--to", database.ConnectionString, "--batch-size", "50");
        Assert.True(exit == 0, error);
        Assert.Matches(@"objects\s+12[0-9] rows  sha256 [0-9a-f]{64}", output);
        Assert.Contains("migrated and verified", output, StringComparison.Ordinal);
        Assert.Matches(@"(?m)^objects: 1[0-9]{2} of 1[0-9]{2} rows copied( \([0-9,]+ rows/s\))?$", error); // the end of each table's copy (with its rate when it took a while)

        await using var onPostgres = await DevServer.StartAsync("4+2", onSqlite.DataDir, OnPostgres(database.ConnectionString));
        using var pg = onPostgres.Client();
        foreach (var ((key, versionId), bytes) in written.Versions)
        {
            using var get = await pg.GetObjectAsync(new GetObjectRequest { BucketName = "docs", Key = key, VersionId = versionId });
            using var body = new MemoryStream();
            await get.ResponseStream.CopyToAsync(body);
            Assert.Equal(bytes, body.ToArray());
        }
        var hidden = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => pg.GetObjectAsync("docs", "report é.pdf"));
        Assert.Equal(HttpStatusCode.NotFound, hidden.StatusCode);
        var listedVersions = await pg.ListVersionsAsync(new ListVersionsRequest { BucketName = "docs" });
        Assert.Equal(3, listedVersions.Versions.Count);
        Assert.True(listedVersions.Versions[0].IsDeleteMarker);

        var listed = await pg.ListObjectsV2Async(new ListObjectsV2Request { BucketName = "many" });
        Assert.Equal(written.Current.Keys.Order(StringComparer.Ordinal), listed.S3Objects.Select(o => o.Key));
        foreach (var (key, bytes) in written.Current)
        {
            Assert.Equal(bytes, await pg.GetBytesAsync("many", key));
        }
        var cors = await pg.GetCORSConfigurationAsync("many");
        Assert.Equal("https://app.example", cors.Configuration.Rules.Single().AllowedOrigins.Single());

        // The upload begun on SQLite completes on PostgreSQL.
        var uploads = await pg.ListMultipartUploadsAsync("many");
        Assert.Equal(written.UploadId, uploads.MultipartUploads.Single().UploadId);
        await pg.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
        {
            BucketName = "many", Key = "pending", UploadId = written.UploadId, PartETags = [new PartETag(1, written.PartETag)],
        });
        Assert.Equal(written.PartBytes, await pg.GetBytesAsync("many", "pending"));
    }

    [Fact]
    public async Task ATamperedCopyFailsVerificationAndAnUnverifiedOneIsRefusedAtStart()
    {
        await using var database = await PostgresServer.Shared.CreateDatabaseAsync();
        await using var onSqlite = await DevServer.StartAsync("4+2");
        using (var s3 = onSqlite.Client())
        {
            await s3.PutBucketAsync("bbb");
            await s3.PutObjectAsync(new PutObjectRequest { BucketName = "bbb", Key = "kept", ContentBody = "kept" });
        }
        await onSqlite.StopAsync();
        string catalogue = Path.Combine(onSqlite.DataDir, "catalogue.db");
        Assert.Equal(0, (await CliRun.RunAsync("migrate-catalogue", "--from", catalogue, "--to", database.ConnectionString)).Exit);

        await using (var connection = new NpgsqlConnection(database.ConnectionString))
        {
            await connection.OpenAsync();
            await using var tamper = new NpgsqlCommand("UPDATE objects SET size = 5; UPDATE catalogue_migration SET verified = NULL", connection);
            await tamper.ExecuteNonQueryAsync();
        }
        var (exit, _, error) = await CliRun.RunAsync("migrate-catalogue", "--from", catalogue, "--to", database.ConnectionString, "--verify-only");
        Assert.Equal(1, exit);
        Assert.True(System.Text.RegularExpressions.Regex.IsMatch(error, "(?m)^objstore: verification failed: objects: the row \\(bucket=bbb, key=\"kept\", seq=[0-9]+\\) differs in size\\. Gateways refuse"), error);

        var refused = await Assert.ThrowsAsync<CatalogueRefusedException>(() => DevServer.StartAsync("4+2", onSqlite.DataDir, OnPostgres(database.ConnectionString)));
        Assert.Contains("migration from " + catalogue + " is unfinished", refused.Message, StringComparison.Ordinal);
        Assert.Equal(refused.Message, CommandLine.StartupMistake(refused)); // told in one line, not with a stack trace

        // --restart copies it again, and the store starts.
        Assert.Equal(0, (await CliRun.RunAsync("migrate-catalogue", "--from", catalogue, "--to", database.ConnectionString, "--restart")).Exit);
        await using var onPostgres = await DevServer.StartAsync("4+2", onSqlite.DataDir, OnPostgres(database.ConnectionString));
        using var pg = onPostgres.Client();
        Assert.Equal("kept"u8.ToArray(), await pg.GetBytesAsync("bbb", "kept"));
    }

    [Theory]
    [InlineData("--to sqlite:/tmp/x.db --data /tmp/d", "--to must name PostgreSQL")]
    [InlineData("--to postgres://u@127.0.0.1:1/db", "Name the SQLite catalogue with one of --data DIR")]
    [InlineData("--to postgres://u@127.0.0.1:1/db --data /tmp/a --from /tmp/b", "Name the SQLite catalogue with one of --data DIR")]
    [InlineData("--to postgres://u@127.0.0.1:1/db --from /tmp/objstore-no-such-catalogue.db", "no SQLite catalogue there")]
    [InlineData("--to postgres://u@127.0.0.1:1/db --from /etc/hostname", "/etc/hostname cannot be read as a SQLite catalogue")]
    public async Task MistakesAreOneLine(string arguments, string message)
    {
        var (exit, output, error) = await CliRun.RunAsync(["migrate-catalogue", .. arguments.Split(' ')]);
        Assert.Equal(CommandLine.UsageError, exit);
        Assert.Equal("", output);
        Assert.StartsWith("objstore: ", error, StringComparison.Ordinal);
        Assert.Contains(message, error, StringComparison.Ordinal);
        Assert.Single(error.Trim().Split('\n'));
    }
}

/// <summary>`objstore bench migrate` on a small catalogue: every line of its report, and nothing left behind.</summary>
[Collection(ConsoleUsers.Name)]
public sealed class MigrateBenchTests
{
    [Fact]
    public async Task ItReportsCopyVerifyAndTheDirectCopyAndDropsItsDatabases()
    {
        static HashSet<string> Folders() => [.. Directory.EnumerateDirectories(Path.GetTempPath(), "objstore-bench-migrate-*")];
        var before = Folders();
        string json = Path.Combine(Path.GetTempPath(), $"objstore-bench-migrate-{Guid.NewGuid():N}.json");
        try
        {
            var (exit, output, error) = await CliRun.RunAsync("bench", "migrate", "--postgres", PostgresServer.Shared.AdminConnectionString, "--keys", "2000", "--json", json);
            Assert.True(exit == 0, error);
            Assert.Contains("migrate-catalogue, 2,000 objects", output, StringComparison.Ordinal);
            foreach (string line in new[] { "copy", "verify", "total", "direct COPY" })
            {
                Assert.Matches($@"(?m)^  {line} +[0-9.]+ s +[0-9,]+ rows/s", output);
            }
            Assert.Matches("copy / direct COPY time: [0-9.]+", output);
            Assert.Contains("\"keys\":2000", await File.ReadAllTextAsync(json), StringComparison.Ordinal);
            Assert.True(Folders().SetEquals(before));
            await using var connection = new NpgsqlConnection(PostgresServer.Shared.AdminConnectionString);
            await connection.OpenAsync();
            await using var left = new NpgsqlCommand($"SELECT count(*) FROM pg_database WHERE datname LIKE 'objstore_bench_%_{Environment.ProcessId}_%'", connection);
            Assert.Equal(0L, await left.ExecuteScalarAsync());
        }
        finally
        {
            File.Delete(json);
        }
    }
}

/// <summary>An unreachable PostgreSQL is one line too, naming where it was looked for (never a password).</summary>
[Collection(ConsoleUsers.Name)]
public sealed class MigrateToUnreachablePostgresTests
{
    [Fact]
    public async Task AnUnreachableTargetIsOneLine()
    {
        using var folder = new TempFolder();
        string catalogue = folder.Combine("catalogue.db");
        new Metadata.Sqlite.SqliteCatalogue(catalogue).Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        var (exit, _, error) = await CliRun.RunAsync("migrate-catalogue", "--from", catalogue, "--to", "postgres://objstore:hunter2@127.0.0.1:1/objstore");
        Assert.Equal(CommandLine.UsageError, exit);
        Assert.StartsWith("objstore: PostgreSQL at 127.0.0.1:1/objstore: ", error, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", error, StringComparison.Ordinal);
        Assert.Single(error.Trim().Split('\n'));
    }
}
