using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using ObjStore.Core;
using ObjStore.TestKit;
using ObjStore.TestKit.Faults;

namespace ObjStore.Objects.Tests;

/// <summary>
/// A store failing a write is expected (a node down, a disk error): it is one line of warning naming the failure,
/// never a stack trace, and a store already known to be down (its monitor said so once) only a debug line per shard.
/// </summary>
public sealed class FailureLoggingTests
{
    private static readonly byte[] Data = TestData.Bytes(20_000, 3);

    [Fact]
    public async Task AShardWriteThatFailsIsOneWarningLineWithoutAStackTrace()
    {
        var entries = await PutWithOneFailingStoreAsync((store, _) => new IOException("injected disk error"));
        var entry = Assert.Single(entries, e => e.Id == 1002);
        Assert.Equal(LogLevel.Warning, entry.Level);
        Assert.Null(entry.Exception);
        Assert.Contains("on s1 failed during write (IOException: injected disk error)", entry.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', entry.Message);
    }

    [Fact]
    public async Task AShardMissedByAStoreKnownDownIsADebugLine()
    {
        var entries = await PutWithOneFailingStoreAsync((store, _) => new StoreUnavailableException($"Store {store} is down."));
        var entry = Assert.Single(entries, e => e.Id == 1002);
        Assert.Equal(LogLevel.Debug, entry.Level);
        Assert.Null(entry.Exception);
        Assert.DoesNotContain(entries, e => e.Level >= LogLevel.Warning);
    }

    private static async Task<IReadOnlyList<Entry>> PutWithOneFailingStoreAsync(Func<string, string?, Exception> error)
    {
        await using var cluster = new TestCluster<FailingShardStore>(s => new FailingShardStore(s, ShardCalls.Create, error));
        cluster.Faults[1].Enabled = true;
        var logger = new CapturingLogger();
        var layer = new ErasureObjectLayer(cluster.Catalogue, new ShardCluster(cluster.Faults, cluster.Options, logger, cluster.Clock));
        await layer.CreateBucketAsync(TestCluster.Bucket, false, "", new Dictionary<string, string>(), CancellationToken.None);
        var info = await layer.PutObjectAsync(new PutObjectRequest { Bucket = TestCluster.Bucket, Key = "k", DeclaredLength = Data.Length },
            new MemoryStream(Data), CancellationToken.None);
        Assert.Equal(Data.Length, info.Size); // 5 of 6: the quorum holds, the missing shard is for heal
        return [.. logger.Entries];
    }

    private sealed record Entry(LogLevel Level, int Id, string Message, Exception? Exception);

    private sealed class CapturingLogger : ILogger
    {
        public ConcurrentQueue<Entry> Entries { get; } = new();

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Entries.Enqueue(new Entry(logLevel, eventId.Id, formatter(state, exception), exception));
    }
}
