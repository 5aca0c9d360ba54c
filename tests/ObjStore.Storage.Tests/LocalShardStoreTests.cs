using ObjStore.Core;
using ObjStore.TestKit;

namespace ObjStore.Storage.Tests;

/// <summary>The shard store contract over a folder, and what only a folder has: its tmp/ and shards/ layout.</summary>
public sealed class LocalShardStoreTests : ShardStoreContract
{
    private readonly TempFolder _folder = new("objstore-local-store-");
    private LocalShardStore Local => (LocalShardStore)Store;

    protected override Task<IShardStore> OpenAsync() => Task.FromResult<IShardStore>(new LocalShardStore("local", _folder.Combine("store")));

    /// <summary>The disk went away: the folder is gone.</summary>
    protected override Task TakeDownAsync()
    {
        Directory.Delete(Local.Root, recursive: true);
        return Task.CompletedTask;
    }

    /// <summary>Its shards went with the folder: a delete finding nothing there has nothing to fail about.</summary>
    protected override bool DeleteFailsWhenDown => false;

    protected override Task CloseAsync()
    {
        _folder.Dispose();
        return Task.CompletedTask;
    }

    private string[] TempFiles() => Directory.GetFiles(Path.Combine(Local.Root, "tmp"));

    [Fact]
    public async Task AShardIsWrittenInTmpAndRenamedIntoItsFanOutFolderAtCommit()
    {
        string id = NewId(1);
        await using (var writer = await Store.CreateAsync(id, None))
        {
            await writer.WriteAsync(TestData.Bytes(1000, 1), None);
            Assert.Single(TempFiles());
            Assert.False(File.Exists(Local.PathOf(id)));
            await writer.CommitAsync(ReadOnlyMemory<byte>.Empty, None);
        }
        Assert.Empty(TempFiles());
        Assert.Equal(Path.Combine(Local.Root, "shards", id[..2], id), Local.PathOf(id));
        Assert.Equal(TestData.Bytes(1000, 1), await File.ReadAllBytesAsync(Local.PathOf(id)));
    }

    /// <summary>Stores in folders of one filesystem (dev mode's k+m) share one group sync, so a PUT syncs the disk once.</summary>
    [Fact]
    public async Task StoresOnOneFilesystemShareTheirSync()
    {
        var other = new LocalShardStore("other", _folder.Combine("other"));
        string otherId = NewId(4);
        IShardSync first, second;
        await using (var writer = await Store.CreateAsync(NewId(3), None))
        {
            first = await writer.CommitUnsyncedAsync(TestData.Bytes(10, 3), None);
        }
        await using (var writer = await other.CreateAsync(otherId, None))
        {
            second = await writer.CommitUnsyncedAsync(TestData.Bytes(10, 4), None);
        }
        Assert.Same(first, second);
        Assert.NotSame(ShardSync.Durable, first);
        await first.SyncAsync();
        Assert.True(File.Exists(other.PathOf(otherId)));
    }

    [Fact]
    public void TheMountPointOfAFolderIsTheLongestMountedRootHoldingItWithLinksResolved()
    {
        Assert.Equal("/dev/shm", FileSystemSync.MountPointOf("/dev/shm"));
        Assert.Equal("/proc", FileSystemSync.MountPointOf("/proc/self/status")); // /proc/self is a link to /proc/PID
        Assert.Equal("/", FileSystemSync.MountPointOf("/"));
        // A data folder that is a link to another disk is on that disk.
        string link = _folder.Combine("on-shm");
        Directory.CreateSymbolicLink(link, "/dev/shm");
        Assert.Equal("/dev/shm", FileSystemSync.MountPointOf(link));
        Assert.NotEqual("/dev/shm", FileSystemSync.MountPointOf(_folder.Combine("store")));
    }

    /// <summary>A store whose folder links to another filesystem gets that filesystem's sync, not its parent's.</summary>
    [Fact]
    public void AStoreLinkedToAnotherFilesystemHasItsOwnSync()
    {
        string shm = Directory.CreateDirectory(Path.Combine("/dev/shm", $"objstore-shm-{Guid.NewGuid():N}")).FullName;
        try
        {
            string link = _folder.Combine("linked");
            Directory.CreateSymbolicLink(link, shm);
            Assert.NotSame(FileSystemSync.For(Local.Root), FileSystemSync.For(link));
            Assert.Same(FileSystemSync.For(shm), FileSystemSync.For(link));
        }
        finally
        {
            Directory.Delete(shm, recursive: true);
        }
    }

    [Fact]
    public async Task AnAbandonedWriterDeletesItsTemporaryFile()
    {
        await using (var writer = await Store.CreateAsync(NewId(2), None))
        {
            await writer.WriteAsync(TestData.Bytes(1000, 2), None);
        }
        Assert.Empty(TempFiles());
    }

    [Fact]
    public async Task TemporaryFilesLeftByACrashAreDeletedAtStartAndTheInstanceIdStays()
    {
        string committed = NewId(3);
        await CommitAsync(committed, TestData.Bytes(100, 3), []);
        await File.WriteAllBytesAsync(Path.Combine(Local.Root, "tmp", NewId(4) + ".crashed"), TestData.Bytes(100, 4));

        var reopened = new LocalShardStore("local", Local.Root);

        Assert.Empty(TempFiles());
        Assert.Equal(Local.Instance, reopened.Instance);
        Assert.Equal(32, reopened.Instance.Length);
        Assert.Equal(committed, Assert.Single(await ListAsync()).ShardId);
    }

    [Fact]
    public void AWipedFolderComesBackWithANewInstanceId()
    {
        string before = Local.Instance;
        Directory.Delete(Local.Root, recursive: true);
        Assert.NotEqual(before, new LocalShardStore("local", Local.Root).Instance);
    }

    [Fact]
    public async Task FilesThatAreNotShardsAreNotListed()
    {
        string id = NewId(5);
        await CommitAsync(id, TestData.Bytes(10, 5), []);
        await File.WriteAllTextAsync(Path.Combine(Local.Root, "shards", id[..2], "notes.txt"), "not a shard");
        Assert.Equal(id, Assert.Single(await ListAsync()).ShardId);
    }
}
