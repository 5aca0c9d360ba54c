using ObjStore.Bench;
using ObjStore.Core;
using ObjStore.Metadata;
using ObjStore.Metadata.Sqlite;

namespace ObjStore.Integration.Tests;

/// <summary>
/// The listing benchmark's pieces: the synthetic catalogue holds exactly the keys it was given, listed by the real
/// catalogue and the real S3 endpoint as S3 would (with and without a delimiter), and it never writes into a file
/// that exists.
/// </summary>
public sealed class ListingBenchTests
{
    private const string Bucket = "listing";
    private static readonly DateTimeOffset Written = new(2026, 11, 30, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void TheKeySpaceIsInListingOrderWithoutDuplicates()
    {
        foreach (long count in new long[] { 1, 7, 1000, 10_000, 123_457 })
        {
            var space = new ListingKeySpace(count);
            var keys = space.Keys().ToList();
            Assert.Equal(count, keys.Count);
            var sorted = keys.OrderBy(KeyOrder.Bytes, Comparer<byte[]>.Create(KeyOrder.Compare)).Distinct().ToList();
            Assert.Equal(sorted, keys);
            for (int day = 0; day < space.Days; day++)
            {
                string prefix = ListingKeySpace.DayPrefix(day);
                var hosts = keys.Where(k => k.StartsWith(prefix, StringComparison.Ordinal)).Select(k => k[..(k.IndexOf('/', prefix.Length) + 1)]).Distinct().ToList();
                Assert.Equal(hosts.Count, space.HostsOn(day));
                Assert.Equal(hosts[^1], keys[(int)space.FirstKeyOf(day, space.HostsOn(day) - 1)][..hosts[^1].Length]);
            }
        }
    }

    [Fact]
    public async Task TheCatalogueListsTheLoadedKeysWithAndWithoutADelimiter()
    {
        using var folder = new TempFolder();
        var space = new ListingKeySpace(10_000);
        long written = await SyntheticCatalogue.CreateAsync(folder.Combine("catalogue.db"), Bucket, space.Keys(), Written);
        Assert.Equal(10_000, written);

        using var catalogue = new SqliteCatalogue(folder.Combine("catalogue.db"));
        var expected = space.Keys().ToList();
        Assert.Equal(expected, await ListAllAsync(catalogue, "", null));
        var info = await catalogue.Objects.GetAsync(Bucket, expected[4321]);
        Assert.NotNull(info);
        Assert.Equal(Written, info.LastModified);
        Assert.True(info.IsLatest);

        foreach (string prefix in new[] { "", "logs/", ListingKeySpace.DayPrefix(0), ListingKeySpace.DayPrefix(space.Days - 1), "flat/" })
        {
            var rolledUp = expected.Where(k => k.StartsWith(prefix, StringComparison.Ordinal))
                .Select(k => KeyOrder.CommonPrefixOf(k, prefix, "/") ?? k).Distinct().ToList();
            Assert.Equal(rolledUp, await ListAllAsync(catalogue, prefix, "/"));
        }
    }

    [Fact]
    public async Task TheS3EndpointListsTheLoadedKeysAndTheBenchFindsEveryPageAsExpected()
    {
        var dataDir = Directory.CreateTempSubdirectory("objstore-it-").FullName;
        var space = new ListingKeySpace(10_000);
        await SyntheticCatalogue.CreateAsync(Path.Combine(dataDir, "catalogue.db"), Bucket, space.Keys(), Written);
        await using var server = await DevServer.StartAsync("2+1", dataDir);
        using var client = new BenchClient(new BenchOptions
        {
            Endpoint = new Uri(server.Url), AccessKey = "it", SecretKey = "integration-secret", Bucket = Bucket, Concurrency = 1,
        });

        var expected = space.Keys().ToList();
        var listed = new List<string>();
        string? token = null;
        do
        {
            var page = await client.ListAsync(new ListQuery { ContinuationToken = token }, default);
            Assert.Null(page.Result.Error);
            listed.AddRange(page.Keys);
            token = page.NextContinuationToken;
        }
        while (token is not null);
        Assert.Equal(expected, listed);

        string day = ListingKeySpace.DayPrefix(1);
        var hosts = new List<string>();
        string? marker = null;
        do
        {
            var page = await client.ListAsync(new ListQuery { Versions = true, Prefix = day, Delimiter = "/", KeyMarker = marker, MaxKeys = 700 }, default);
            Assert.Null(page.Result.Error);
            Assert.Empty(page.Keys);
            hosts.AddRange(page.CommonPrefixes);
            marker = page.IsTruncated ? page.NextKeyMarker : null;
        }
        while (marker is not null);
        Assert.Equal(expected.Where(k => k.StartsWith(day, StringComparison.Ordinal)).Select(k => KeyOrder.CommonPrefixOf(k, day, "/")!).Distinct(), hosts);

        var timings = await new ListingBench([new ListingTarget(space, client)], pages: 20).RunAsync();
        Assert.Equal(ListingMode.All.Select(m => m.Name), timings.Select(t => t.Mode));
        Assert.All(timings, t => Assert.Equal(10_000, t.Keys));
        Assert.All(timings, t => Assert.True(t.Pages == 20 && t.P50Milliseconds > 0 && t.P99Milliseconds >= t.P50Milliseconds));
    }

    [Fact]
    public async Task AFileThatExistsIsNeverWritten()
    {
        using var folder = new TempFolder();
        string path = folder.Combine("catalogue.db");
        using (var real = new SqliteCatalogue(path))
        {
            await real.Buckets.CreateAsync("photos", Written);
        }
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        long before = new FileInfo(path).Length;

        var refused = await Assert.ThrowsAsync<IOException>(() => SyntheticCatalogue.CreateAsync(path, "photos", ["a"], Written));
        Assert.Contains("only ever writes a new file", refused.Message, StringComparison.Ordinal);
        using var reopened = new SqliteCatalogue(path);
        Assert.Empty((await reopened.Objects.ListAsync(new ListRequest { Bucket = "photos", MaxKeys = 10 })).Objects);
        Assert.Equal(before, new FileInfo(path).Length);
    }

    [Fact]
    public async Task KeysOutOfOrderAreRefused()
    {
        using var folder = new TempFolder();
        var refused = await Assert.ThrowsAsync<ArgumentException>(() => SyntheticCatalogue.CreateAsync(folder.Combine("catalogue.db"), Bucket, ["b", "a"], Written));
        Assert.Contains("strictly increasing", refused.Message, StringComparison.Ordinal);
    }

    /// <summary>Every page of a listing through the catalogue: keys and common prefixes, in the order they came.</summary>
    private static async Task<List<string>> ListAllAsync(SqliteCatalogue catalogue, string prefix, string? delimiter)
    {
        var entries = new List<string>();
        string? after = null;
        while (true)
        {
            var page = await catalogue.Objects.ListAsync(new ListRequest { Bucket = Bucket, Prefix = prefix, Delimiter = delimiter, StartAfter = after, MaxKeys = 1000 });
            // A page holds its keys and prefixes each in order; merged, they are the listing's order.
            entries.AddRange(page.Objects.Select(o => o.Key).Concat(page.CommonPrefixes).OrderBy(KeyOrder.Bytes, Comparer<byte[]>.Create(KeyOrder.Compare)));
            if (!page.IsTruncated)
            {
                return entries;
            }
            after = page.NextMarker;
        }
    }
}
