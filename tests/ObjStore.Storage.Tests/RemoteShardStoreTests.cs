using ObjStore.Core;
using ObjStore.Storage.Remote;
using ObjStore.TestKit;

namespace ObjStore.Storage.Tests;

/// <summary>
/// The shard store contract over a storage node on 127.0.0.1 (<see cref="TestNode"/>), reads through HTTP: the
/// store has not probed the node, so it knows no read port.
/// </summary>
public class RemoteShardStoreTests : ShardStoreContract
{
    private TestNode? _node;

    protected TestNode Node => _node!;

    protected RemoteShardStore Remote => (RemoteShardStore)Store;

    protected override async Task<IShardStore> OpenAsync()
    {
        _node = await TestNode.StartAsync();
        return _node.Client();
    }

    protected override Task TakeDownAsync() => Node.StopAsync();

    protected override async Task CloseAsync()
    {
        if (_node is not null)
        {
            await _node.DisposeAsync();
        }
    }

    /// <summary>A node that is down is a store that is unavailable: the object layer never sees HTTP's own exceptions.</summary>
    protected override void AssertDownError(Exception failure)
    {
        base.AssertDownError(failure);
        Assert.IsAssignableFrom<StoreUnavailableException>(failure);
    }

    [Fact]
    public async Task AWrongClusterSecretIsRefusedAsAStoreFailure()
    {
        var stranger = Node.Client(secret: "some-other-cluster-secret");
        string id = NewId(1);
        await CommitAsync(id, TestData.Bytes(100, 1), []);

        var error = await Assert.ThrowsAnyAsync<IOException>(async () =>
        {
            await using var reader = await stranger.OpenAsync(id, None);
            await reader.ReadAsync(0, new byte[1], None);
        });
        Assert.IsNotType<ShardNotFoundException>(error);
        Assert.False((await stranger.GetHealthAsync(None)).Ready);
    }
}

/// <summary>The same contract with reads through the node's sendfile read port, which a health probe names.</summary>
public sealed class RemoteShardStoreReadPortTests : RemoteShardStoreTests
{
    protected override async Task<IShardStore> OpenAsync()
    {
        var store = await base.OpenAsync();
        Assert.True((await store.GetHealthAsync(None)).Ready); // the probe names the read port
        return store;
    }
}
