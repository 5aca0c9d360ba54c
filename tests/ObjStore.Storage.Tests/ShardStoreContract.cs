using ObjStore.Core;
using ObjStore.TestKit;

namespace ObjStore.Storage.Tests;

/// <summary>
/// What every <see cref="IShardStore"/> must do, local folder or remote node: the object layer treats them alike, so
/// they must behave alike. Each implementation's test class derives from this one and says how to open a fresh,
/// empty store and how to take it away (a vanished disk, a stopped node). xunit makes a new instance, and so a new
/// store, for every test.
/// </summary>
public abstract class ShardStoreContract : IAsyncLifetime
{
    protected static readonly CancellationToken None = CancellationToken.None;

    private IShardStore? _store;

    protected IShardStore Store => _store ?? throw new InvalidOperationException("The store is not open yet.");

    /// <summary>A fresh, empty store of the implementation under test.</summary>
    protected abstract Task<IShardStore> OpenAsync();

    /// <summary>Makes the store unreachable: its folder gone, its node stopped.</summary>
    protected abstract Task TakeDownAsync();

    /// <summary>Releases the store and everything it used (folders, nodes).</summary>
    protected abstract Task CloseAsync();

    /// <summary>
    /// Whether a delete on a store that is down fails. A remote store's must (garbage stays queued for the next
    /// collection instead of being forgotten while the shard lives on); a local folder that vanished took its shards.
    /// </summary>
    protected virtual bool DeleteFailsWhenDown => true;

    /// <summary>What a call to a store that is down throws: a store failure (an IOException), never a transport's own type.</summary>
    protected virtual void AssertDownError(Exception failure)
    {
        Assert.IsAssignableFrom<IOException>(failure);
        Assert.IsNotType<HttpRequestException>(failure);
    }

    public async Task InitializeAsync() => _store = await OpenAsync();

    public Task DisposeAsync() => CloseAsync();

    protected static string NewId(int index = 0) => ShardId.For(ShardId.NewDataId(), index);

    protected async Task CommitAsync(string id, byte[] data, byte[] footer, int chunk = 100_000)
    {
        await using var writer = await Store.CreateAsync(id, None);
        for (int at = 0; at < data.Length; at += chunk)
        {
            await writer.WriteAsync(data.AsMemory(at, Math.Min(chunk, data.Length - at)), None);
        }
        await writer.CommitAsync(footer, None);
    }

    /// <summary>The whole shard, read forward in pieces as a scrub does.</summary>
    protected async Task<byte[]> ReadAllAsync(string id)
    {
        await using var reader = await Store.OpenAsync(id, None);
        using var all = new MemoryStream();
        var buffer = new byte[50_000];
        int n;
        while ((n = await reader.ReadAsync(all.Length, buffer, None)) > 0)
        {
            all.Write(buffer, 0, n);
        }
        return all.ToArray();
    }

    /// <summary>Opens the shard and reads its first byte: a missing shard shows at the open or, for a lazy store, there.</summary>
    protected async Task OpenAndReadAsync(string id)
    {
        await using var reader = await Store.OpenAsync(id, None);
        await reader.ReadAsync(0, new byte[1], None);
    }

    protected async Task<List<ShardEntry>> ListAsync()
    {
        var entries = new List<ShardEntry>();
        await foreach (var entry in Store.ListAsync(None))
        {
            entries.Add(entry);
        }
        return entries;
    }

    // ---- write, commit, read -------------------------------------------------------------------------------------

    [Fact]
    public async Task ACommittedShardReadsBackAtAnyOffsetWithShortReadsOnlyAtTheEnd()
    {
        string id = NewId(3);
        byte[] data = TestData.Bytes(300_001, 1), footer = TestData.Bytes(321, 2);
        await CommitAsync(id, data, footer, chunk: 65_536);
        byte[] shard = [.. data, .. footer];

        Assert.Equal(shard, await ReadAllAsync(id));
        await using var reader = await Store.OpenAsync(id, None);
        var buffer = new byte[10_000];
        foreach (long offset in new long[] { 123_456, 0, 290_001, 5 })
        {
            Assert.Equal(buffer.Length, await reader.ReadAsync(offset, buffer, None));
            Assert.Equal(shard.AsSpan((int)offset, buffer.Length).ToArray(), buffer);
        }
        // A block and the checksum after it, in one call.
        var block = new byte[4096];
        var checksum = new byte[8];
        Assert.True(await reader.ReadBlockAsync(200_000, block, checksum, None));
        Assert.Equal(shard.AsSpan(200_000, 4096).ToArray(), block);
        Assert.Equal(shard.AsSpan(204_096, 8).ToArray(), checksum);
        // Short only at the end, and nothing past it.
        Assert.Equal(25, await reader.ReadAsync(shard.Length - 25, buffer, None));
        Assert.Equal(shard[^25..], buffer[..25]);
        Assert.False(await reader.ReadBlockAsync(shard.Length - 100, block, checksum, None));
        Assert.Equal(0, await reader.ReadAsync(shard.Length, buffer, None));
        Assert.Equal(0, await reader.ReadAsync(shard.Length + 1_000, buffer, None));
    }

    [Fact]
    public async Task AShardOfOnlyAFooterAndAnEmptyShardCommit()
    {
        string footerOnly = NewId(0), empty = NewId(1);
        await CommitAsync(footerOnly, [], "footer"u8.ToArray());
        await CommitAsync(empty, [], []);

        Assert.Equal("footer"u8.ToArray(), await ReadAllAsync(footerOnly));
        Assert.Empty(await ReadAllAsync(empty));
        var listed = (await ListAsync()).ToDictionary(e => e.ShardId, e => e.Length);
        Assert.Equal(6, listed[footerOnly]);
        Assert.Equal(0, listed[empty]);
    }

    [Fact]
    public async Task BlocksWithTheirChecksumsAndADeferredCommitReadBackAfterTheSync()
    {
        string id = NewId(40);
        byte[] block = TestData.Bytes(3000, 40), checksum = TestData.Bytes(8, 41), footer = TestData.Bytes(100, 42);
        await using (var writer = await Store.CreateAsync(id, None))
        {
            await writer.WriteBlockAsync(block, checksum, None);
            await writer.WriteBlockAsync(block, checksum, None);
            var sync = await writer.CommitUnsyncedAsync(footer, None);
            await sync.SyncAsync();
        }
        await using var reader = await Store.OpenAsync(id, None);
        var back = new byte[2 * (block.Length + checksum.Length) + footer.Length];
        Assert.Equal(back.Length, await reader.ReadAsync(0, back, None));
        Assert.Equal([.. block, .. checksum, .. block, .. checksum, .. footer], back);
    }

    [Fact]
    public async Task AShardNeverWrittenIsNotFound()
    {
        await Assert.ThrowsAsync<ShardNotFoundException>(() => OpenAndReadAsync(NewId()));
    }

    [Fact]
    public async Task AShardBeingWrittenIsNotFoundUntilItCommits()
    {
        string id = NewId(2);
        await using var writer = await Store.CreateAsync(id, None);
        await writer.WriteAsync(TestData.Bytes(200_000, 3), None);

        await Assert.ThrowsAsync<ShardNotFoundException>(() => OpenAndReadAsync(id));
        Assert.DoesNotContain(await ListAsync(), e => e.ShardId == id);

        await writer.CommitAsync("f"u8.ToArray(), None);
        Assert.Equal(200_001, (await ReadAllAsync(id)).Length);
    }

    [Fact]
    public async Task ADeletedShardIsNotFound()
    {
        string id = NewId(4);
        await CommitAsync(id, TestData.Bytes(1000, 4), []);
        await Store.DeleteAsync(id, None);

        await Assert.ThrowsAsync<ShardNotFoundException>(() => OpenAndReadAsync(id));
        Assert.Empty(await ListAsync());
    }

    [Fact]
    public async Task AnAbandonedWriterLeavesNothing()
    {
        string id = NewId(5);
        await using (var writer = await Store.CreateAsync(id, None))
        {
            await writer.WriteAsync(TestData.Bytes(150_000, 5), None);
        }

        await Assert.ThrowsAsync<ShardNotFoundException>(() => OpenAndReadAsync(id));
        Assert.Empty(await ListAsync());
        // The id is free for a new write.
        await CommitAsync(id, TestData.Bytes(10, 6), []);
        Assert.Equal(TestData.Bytes(10, 6), await ReadAllAsync(id));
    }

    [Fact]
    public async Task ACommitReplacesTheShardWhole()
    {
        string id = NewId(6);
        byte[] first = TestData.Bytes(250_000, 7), second = TestData.Bytes(90_000, 8);
        byte[] firstShard = [.. first, .. "one"u8], secondShard = [.. second, .. "two"u8];
        await CommitAsync(id, first, "one"u8.ToArray());

        await using (var writer = await Store.CreateAsync(id, None))
        {
            await writer.WriteAsync(second, None);
            // Until the new version commits, readers see the old one, all of it.
            Assert.Equal(firstShard, await ReadAllAsync(id));
            await writer.CommitAsync("two"u8.ToArray(), None);
        }

        Assert.Equal(secondShard, await ReadAllAsync(id));
        Assert.Equal(second.Length + 3, Assert.Single(await ListAsync()).Length);
    }

    [Fact]
    public async Task DeleteIsIdempotent()
    {
        string id = NewId(7);
        await CommitAsync(id, TestData.Bytes(100, 9), []);
        await Store.DeleteAsync(id, None);
        await Store.DeleteAsync(id, None);
        // Never written, in fan-out folders that may not exist yet.
        foreach (string prefix in new[] { "00", "7f", "ff" })
        {
            await Store.DeleteAsync(ShardId.For(prefix + ShardId.NewDataId()[2..], 0), None);
        }
        Assert.Empty(await ListAsync());
    }

    [Fact]
    public async Task ListReturnsTheCommittedShardsWithTheirLengths()
    {
        var before = DateTimeOffset.UtcNow.AddMinutes(-5);
        var expected = new Dictionary<string, long>();
        for (int i = 0; i < 5; i++)
        {
            string id = NewId(i);
            await CommitAsync(id, TestData.Bytes(1000 * i + 1, 10 + i), "xy"u8.ToArray());
            expected[id] = 1000 * i + 3;
        }
        await using var inFlight = await Store.CreateAsync(NewId(9), None);
        await inFlight.WriteAsync(TestData.Bytes(5000, 20), None);

        var listed = await ListAsync();
        Assert.Equal(expected.OrderBy(e => e.Key, StringComparer.Ordinal), listed.Select(e => KeyValuePair.Create(e.ShardId, e.Length)).OrderBy(e => e.Key, StringComparer.Ordinal));
        Assert.All(listed, e => Assert.InRange(e.Modified, before, DateTimeOffset.UtcNow.AddMinutes(5)));
    }

    [Fact]
    public async Task HealthReportsReadinessAndSpace()
    {
        var health = await Store.GetHealthAsync(None);
        Assert.True(health.Ready);
        Assert.True(health.TotalBytes > 0, $"total {health.TotalBytes}");
        Assert.InRange(health.FreeBytes, 1, health.TotalBytes);
    }

    public static TheoryData<string> InvalidIds() => new()
    {
        "",
        "../../etc/passwd",
        "0123456789ABCDEF0123456789ABCDEF.00", // upper case
        "0123456789abcdef0123456789abcdef.0g",
        "0123456789abcdef0123456789abcdef00",
        "0123456789abcdef0123456789abcdef.000",
        "0123456789abcdef0123456789abcde/.00",
        "0123456789abcdef0123456789abcdef/00",
    };

    [Theory]
    [MemberData(nameof(InvalidIds))]
    public async Task InvalidShardIdsAreRefused(string id)
    {
        // At the create itself: no writer, nothing started in the background.
        await Assert.ThrowsAnyAsync<ArgumentException>(() => Store.CreateAsync(id, None));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => OpenAndReadAsync(id));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => Store.DeleteAsync(id, None));
        Assert.Empty(await ListAsync());
    }

    // ---- a store that is down ------------------------------------------------------------------------------------

    [Fact]
    public async Task AStoreThatIsDownFailsWithStoreErrors()
    {
        string id = NewId(8);
        await CommitAsync(id, TestData.Bytes(70_000, 11), []);
        await TakeDownAsync();

        // Several rounds: a remote store fails differently once it has marked its node down.
        for (int round = 0; round < 3; round++)
        {
            AssertDownError(await Assert.ThrowsAnyAsync<Exception>(() => OpenAndReadAsync(id)));
            AssertDownError(await Assert.ThrowsAnyAsync<Exception>(() => CommitAsync(NewId(9), TestData.Bytes(10_000, 12), [])));
            AssertDownError(await Assert.ThrowsAnyAsync<Exception>(() => ListAsync()));
            if (DeleteFailsWhenDown)
            {
                AssertDownError(await Assert.ThrowsAnyAsync<Exception>(() => Store.DeleteAsync(id, None)));
            }
            Assert.False((await Store.GetHealthAsync(None)).Ready);
        }
    }
}
