using Amazon.S3.Model;
using ObjStore.Bench;

namespace ObjStore.Integration.Tests;

/// <summary>Short benches against a dev server: the report's numbers must agree with what the store holds.</summary>
public class BenchTests
{
    private static BenchOptions Options(DevServer server, BenchOperation op, string bucket) => new()
    {
        Endpoint = new Uri(server.Url),
        AccessKey = "it",
        SecretKey = "integration-secret",
        Bucket = bucket,
        Operation = op,
        Concurrency = 4,
    };

    [Fact]
    public async Task PutCountsEveryObjectItWroteAndBytesAreOpsTimesSize()
    {
        await using var server = await DevServer.StartAsync("2+1");
        var report = await new BenchRunner(Options(server, BenchOperation.Put, "bench-put") with
        {
            Size = SizeRange.Parse("3000"), Objects = 40, Keep = true,
        }).RunAsync();

        var put = Assert.Single(report.Operations);
        Assert.Equal(40, put.Ops);
        Assert.Equal(40 * 3000, put.Bytes);
        Assert.Equal(0, put.Errors);
        Assert.Equal(40, report.Series.Sum(p => p.Ops));
        using var s3 = server.Client();
        var listed = await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = "bench-put" });
        Assert.Equal(40, listed.KeyCount);
        Assert.All(listed.S3Objects, o => Assert.Equal(3000, o.Size));
    }

    [Fact]
    public async Task GetReadsAndVerifiesEveryPreparedObjectOnceThenCleansUp()
    {
        await using var server = await DevServer.StartAsync("2+1");
        var report = await new BenchRunner(Options(server, BenchOperation.Get, "bench-get") with
        {
            Size = SizeRange.Parse("100KiB"), Objects = 30, Verify = true,
        }).RunAsync();

        var get = Assert.Single(report.Operations);
        Assert.Equal(30, get.Ops);
        Assert.Equal(30L * 100 * 1024, get.Bytes);
        Assert.Equal(0, get.Errors);
        Assert.True(get.P50Ms > 0 && get.P50Ms <= get.P99Ms && get.P99Ms <= get.MaxMs);
        using var s3 = server.Client();
        Assert.DoesNotContain((await s3.ListBucketsAsync()).Buckets ?? [], b => b.BucketName == "bench-get");
        Assert.Empty(server.ShardFiles());
    }

    [Fact]
    public async Task ListWalksEveryKeyInPagesOfAThousand()
    {
        await using var server = await DevServer.StartAsync("2+1");
        var report = await new BenchRunner(Options(server, BenchOperation.List, "bench-list") with
        {
            Size = SizeRange.Parse("0"), Objects = 2500, Concurrency = 1,
        }).RunAsync();

        var list = Assert.Single(report.Operations);
        Assert.Equal(3, list.Ops);
        Assert.Equal(2500, list.Keys);
        Assert.Equal(0, list.Errors);
    }

    [Fact]
    public async Task DeleteRemovesEachPreparedObjectOnce()
    {
        await using var server = await DevServer.StartAsync("2+1");
        var report = await new BenchRunner(Options(server, BenchOperation.Delete, "bench-delete") with
        {
            Size = SizeRange.Parse("1KiB"), Objects = 25, Keep = true,
        }).RunAsync();

        Assert.Equal(25, Assert.Single(report.Operations).Ops);
        using var s3 = server.Client();
        Assert.Equal(0, (await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = "bench-delete" })).KeyCount);
    }

    [Fact]
    public async Task MixedRunsEveryOperationOfTheMixWithoutErrors()
    {
        await using var server = await DevServer.StartAsync("2+1");
        var report = await new BenchRunner(Options(server, BenchOperation.Mixed, "bench-mixed") with
        {
            Size = SizeRange.Parse("1KiB-64KiB"), Objects = 20, Duration = TimeSpan.FromSeconds(2), Verify = true,
        }).RunAsync();

        Assert.Equal(["delete", "get", "put", "stat"], report.Operations.Select(o => o.Operation).Order());
        Assert.Equal(0, report.TotalErrors);
        Assert.Equal(report.Operations.Sum(o => o.Ops), report.Series.Sum(p => p.Ops));
        Assert.Empty(server.ShardFiles());
    }

    [Fact]
    public async Task FailuresAreCountedByS3ErrorCode()
    {
        await using var server = await DevServer.StartAsync("2+1");
        // Unsigned requests to an S3 endpoint are all refused: each counts under its code.
        var report = await new BenchRunner(Options(server, BenchOperation.Put, "bench-denied") with
        {
            NoSign = true, Objects = 12, Keep = true,
        }).RunAsync();

        var put = Assert.Single(report.Operations);
        Assert.Equal(12, put.Errors);
        Assert.Equal(12, put.ErrorCodes["AccessDenied (403)"]);
        Assert.Equal(0, put.Bytes);
    }

    [Fact]
    public async Task AWrongSecretStopsTheBenchBeforeItStarts()
    {
        await using var server = await DevServer.StartAsync("2+1");
        var e = await Assert.ThrowsAsync<BenchSetupException>(() => new BenchRunner(Options(server, BenchOperation.Put, "bench-secret") with
        {
            SecretKey = "not-the-secret",
        }).RunAsync());
        Assert.Contains("SignatureDoesNotMatch", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("4KiB", 4096, 4096)]
    [InlineData("1MiB", 1 << 20, 1 << 20)]
    [InlineData("1KB-2KB", 1000, 2000)]
    [InlineData("256MiB", 256L << 20, 256L << 20)]
    public void SizesParse(string text, long min, long max) => Assert.Equal(new SizeRange(min, max), SizeRange.Parse(text));

    [Fact]
    public async Task PayloadsVerifyOnlyTheirOwnBytes()
    {
        var payload = new Bench.Payload(20 << 20, seed: 5);
        foreach (long size in new long[] { 0, 1, 70_000, 20 << 20 })
        {
            using var content = payload.ContentFor(7, size);
            byte[] bytes = await content.ReadAsByteArrayAsync();
            Assert.Equal(size, bytes.Length);
            Assert.True(payload.Matches(7, 0, bytes));
            if (size > 1)
            {
                Assert.True(payload.Matches(7, 1, bytes.AsSpan(1)));
                Assert.False(payload.Matches(8, 0, bytes));
            }
        }
    }
}
