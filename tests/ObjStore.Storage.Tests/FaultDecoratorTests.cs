using Microsoft.Extensions.Time.Testing;
using ObjStore.Core;
using ObjStore.TestKit;
using ObjStore.TestKit.Faults;

namespace ObjStore.Storage.Tests;

/// <summary>
/// The TestKit's fault-injecting stores do what the object layer's tests rely on: fail only the calls they are made
/// for, with the store errors real stores throw; hold calls until released or cancelled; delay on a fake clock; hand
/// out wrong bytes.
/// </summary>
public sealed class FaultDecoratorTests : IDisposable
{
    private static readonly CancellationToken None = CancellationToken.None;
    private readonly TempFolder _folder = new("objstore-faults-");
    private readonly LocalShardStore _store;
    private readonly string _id = ShardId.For(ShardId.NewDataId(), 0);
    private readonly byte[] _data = TestData.Bytes(10_000, 1);

    public FaultDecoratorTests()
    {
        _store = new LocalShardStore("s0", _folder.Combine("s0"));
    }

    public void Dispose() => _folder.Dispose();

    private async Task WriteAsync(IShardStore store, string id)
    {
        await using var writer = await store.CreateAsync(id, None);
        await writer.WriteAsync(_data, None);
        await writer.CommitAsync(ReadOnlyMemory<byte>.Empty, None);
    }

    private static async Task<byte[]> ReadAsync(IShardStore store, string id, int length, CancellationToken cancellationToken = default)
    {
        await using var reader = await store.OpenAsync(id, cancellationToken);
        var buffer = new byte[length];
        int n = await reader.ReadAsync(0, buffer, cancellationToken);
        return buffer[..n];
    }

    [Fact]
    public async Task AFailingStoreFailsOnlyTheCallsItIsMadeFor()
    {
        var reads = FailingShardStore.Unavailable(_store, ShardCalls.Reads);
        await WriteAsync(reads, _id); // writes pass
        await Assert.ThrowsAsync<StoreUnavailableException>(() => ReadAsync(reads, _id, 10));
        Assert.Equal(1, reads.Failures);

        reads.Enabled = false;
        Assert.Equal(_data[..10], await ReadAsync(reads, _id, 10));
        Assert.Equal(1, reads.Failures);
    }

    [Fact]
    public async Task AStoreFailingCommitsLeavesNoShard()
    {
        var commits = FailingShardStore.Full(_store, ShardCalls.Commit);
        await Assert.ThrowsAsync<StoreFullException>(() => WriteAsync(commits, _id));
        await Assert.ThrowsAsync<ShardNotFoundException>(() => ReadAsync(_store, _id, 10));
        Assert.Empty(Directory.GetFiles(Path.Combine(_store.Root, "tmp")));
    }

    [Fact]
    public async Task AStoreCanFailAfterSomeCalls()
    {
        await WriteAsync(_store, _id);
        var later = FailingShardStore.NotFound(_store, ShardCalls.Read, afterCalls: 2);
        await using var reader = await later.OpenAsync(_id, None);
        var buffer = new byte[100];
        Assert.Equal(100, await reader.ReadAsync(0, buffer, None));
        Assert.True(await reader.ReadBlockAsync(100, buffer.AsMemory(0, 92), buffer.AsMemory(92), None));
        await Assert.ThrowsAsync<ShardNotFoundException>(async () => await reader.ReadAsync(0, buffer, None));
        Assert.Equal((3, 1), (later.CallCount, later.Failures));
    }

    [Fact]
    public async Task AStalledReadWaitsForTheGateOrItsCancellation()
    {
        await WriteAsync(_store, _id);
        var stalling = new StallingShardStore(_store);

        var held = ReadAsync(stalling, _id, 10);
        await stalling.Stalled;
        Assert.False(held.IsCompleted);
        stalling.Release();
        Assert.Equal(_data[..10], await held);

        var again = new StallingShardStore(_store);
        using var cancel = new CancellationTokenSource();
        var abandoned = ReadAsync(again, _id, 10, cancel.Token);
        await again.Stalled;
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => abandoned);
        await again.Cancelled;
        Assert.Equal(1, again.Cancellations);
    }

    [Fact]
    public async Task ASlowReadWaitsOnTheClock()
    {
        await WriteAsync(_store, _id);
        var clock = new FakeTimeProvider();
        var slow = new SlowShardStore(_store, TimeSpan.FromSeconds(30), clock);

        var read = ReadAsync(slow, _id, 10);
        await slow.DelayStarted;
        clock.Advance(TimeSpan.FromSeconds(29));
        Assert.False(read.IsCompleted);
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(_data[..10], await read);
        Assert.Equal(1, slow.Delays);
    }

    [Fact]
    public async Task ACorruptingStoreFlipsAByteOfWhatIsRead()
    {
        await WriteAsync(_store, _id);
        var corrupting = new CorruptingShardStore(_store);

        byte[] read = await ReadAsync(corrupting, _id, 1000);
        Assert.Equal(1000, read.Length);
        Assert.Equal([500], Enumerable.Range(0, 1000).Where(i => read[i] != _data[i]));
        Assert.Equal((byte)~_data[500], read[500]);

        await using var reader = await corrupting.OpenAsync(_id, None);
        var block = new byte[64];
        var checksum = new byte[8];
        Assert.True(await reader.ReadBlockAsync(0, block, checksum, None));
        Assert.NotEqual(_data[..64], block);
        Assert.Equal(_data[64..72], checksum);
        Assert.Equal(2, corrupting.Corrupted);
        Assert.Equal(_data, await File.ReadAllBytesAsync(_store.PathOf(_id))); // the disk is untouched

        var other = new CorruptingShardStore(_store, shardId => shardId != _id);
        Assert.Equal(_data[..100], await ReadAsync(other, _id, 100));
    }
}
