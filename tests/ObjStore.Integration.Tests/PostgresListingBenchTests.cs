using ObjStore.Bench;
using ObjStore.Core;
using ObjStore.Metadata;
using ObjStore.Metadata.Postgres;

namespace ObjStore.Integration.Tests;

/// <summary>
/// The PostgreSQL bulk loader of the listing benchmark: what it loads is exactly the keys it was given, listed by the
/// real PostgreSQL catalogue as S3 would (with and without a delimiter, and as versions), with the indexes back in
/// place (a real commit over a loaded key goes through), so the loader cannot drift from the schema unnoticed; and it
/// never writes into a database that holds tables.
/// </summary>
public sealed class PostgresListingBenchTests
{
    private const string Bucket = "listing";
    private static readonly DateTimeOffset Written = new(2026, 11, 30, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task ThePostgresCatalogueListsTheLoadedKeysWithAndWithoutADelimiter()
    {
        await using var database = await PostgresServer.Shared.CreateDatabaseAsync();
        var space = new ListingKeySpace(10_000);
        var reported = new List<long>();
        long written = await SyntheticPostgresCatalogue.CreateAsync(database.ConnectionString, Bucket, space.Keys(), Written, reported.Add);
        Assert.Equal(10_000, written);
        Assert.Equal(10_000, reported[^1]);

        using var catalogue = new PostgresCatalogue(database.ConnectionString);
        var expected = space.Keys().ToList();
        Assert.Equal(expected, await ListAllAsync(catalogue, "", null));
        foreach (string prefix in new[] { "", "logs/", ListingKeySpace.DayPrefix(0), ListingKeySpace.DayPrefix(space.Days - 1), "flat/" })
        {
            var rolledUp = expected.Where(k => k.StartsWith(prefix, StringComparison.Ordinal))
                .Select(k => KeyOrder.CommonPrefixOf(k, prefix, "/") ?? k).Distinct().ToList();
            Assert.Equal(rolledUp, await ListAllAsync(catalogue, prefix, "/"));
        }

        var versions = await catalogue.Objects.ListVersionsAsync(new ListVersionsRequest { Bucket = Bucket, MaxKeys = 1000 });
        Assert.Equal(expected.Take(1000), versions.Versions.Select(v => v.Entry.Key));
        Assert.All(versions.Versions, v => Assert.True(v.IsLatest && !v.IsDeleteMarker && v.VersionId == VersionIds.Null));

        var info = await catalogue.Objects.GetAsync(Bucket, expected[4321]);
        Assert.NotNull(info);
        Assert.Equal(Written, info.LastModified);
        Assert.True(info.IsLatest);
        Assert.Equal([("store-00", 4, 2)], info.Parts.Select(p => (p.Layout.Placement[0], p.Layout.DataShards, p.Layout.ParityShards)));

        // The write path over a loaded key: the unique indexes are back, the new null version replaces the loaded one.
        var garbage = await catalogue.Objects.CommitAsync(info with { ETag = "0123456789abcdef0123456789abcdef", Parts = [info.Parts[0] with { Layout = info.Parts[0].Layout with { DataId = "replacement" } }] }, null, false);
        Assert.Equal([info.Parts[0].Layout.DataId], garbage.Select(l => l.DataId));
        var page = await catalogue.Objects.ListAsync(new ListRequest { Bucket = Bucket, StartAfter = expected[4320], MaxKeys = 2 });
        Assert.Equal([expected[4321], expected[4322]], page.Objects.Select(o => o.Key));
        Assert.Equal("0123456789abcdef0123456789abcdef", page.Objects[0].ETag);
    }

    [Fact]
    public async Task ADatabaseWithTablesIsNeverWritten()
    {
        await using var database = await PostgresServer.Shared.CreateDatabaseAsync();
        using (var real = new PostgresCatalogue(database.ConnectionString))
        {
            await real.Buckets.CreateAsync("photos", Written);
        }
        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => SyntheticPostgresCatalogue.CreateAsync(database.ConnectionString, "photos", ["a"], Written));
        Assert.Contains("only ever fills a new, empty database", refused.Message, StringComparison.Ordinal);
        using var reopened = new PostgresCatalogue(database.ConnectionString);
        Assert.Empty((await reopened.Objects.ListAsync(new ListRequest { Bucket = "photos", MaxKeys = 10 })).Objects);
    }

    [Fact]
    public async Task KeysOutOfOrderAreRefused()
    {
        await using var database = await PostgresServer.Shared.CreateDatabaseAsync();
        var refused = await Assert.ThrowsAsync<ArgumentException>(() => SyntheticPostgresCatalogue.CreateAsync(database.ConnectionString, Bucket, ["b", "a"], Written));
        Assert.Contains("strictly increasing", refused.Message, StringComparison.Ordinal);
    }

    /// <summary>Every page of a listing through the catalogue: keys and common prefixes, in the order they came.</summary>
    private static async Task<List<string>> ListAllAsync(PostgresCatalogue catalogue, string prefix, string? delimiter)
    {
        var entries = new List<string>();
        string? after = null;
        while (true)
        {
            var page = await catalogue.Objects.ListAsync(new ListRequest { Bucket = Bucket, Prefix = prefix, Delimiter = delimiter, StartAfter = after, MaxKeys = 1000 });
            entries.AddRange(page.Objects.Select(o => o.Key).Concat(page.CommonPrefixes).OrderBy(KeyOrder.Bytes, Comparer<byte[]>.Create(KeyOrder.Compare)));
            if (!page.IsTruncated)
            {
                return entries;
            }
            after = page.NextMarker;
        }
    }
}
