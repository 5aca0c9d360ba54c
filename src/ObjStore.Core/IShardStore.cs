namespace ObjStore.Core;

/// <summary>
/// One storage location for shards: a local folder or a remote node, the same to the object layer. Shards are named
/// by server-generated ids (<see cref="ShardId"/>), never by keys.
/// </summary>
public interface IShardStore
{
    string Id { get; }

    /// <summary>Starts a shard; its bytes become the shard only when the writer commits.</summary>
    Task<IShardWriter> CreateAsync(string shardId, CancellationToken cancellationToken);

    /// <exception cref="ShardNotFoundException">No such shard.</exception>
    Task<IShardReader> OpenAsync(string shardId, CancellationToken cancellationToken);

    /// <summary>Removes a shard; no error when it is already gone.</summary>
    Task DeleteAsync(string shardId, CancellationToken cancellationToken);

    /// <summary>Every committed shard with its length, for scrubbing and garbage collection.</summary>
    IAsyncEnumerable<ShardEntry> ListAsync(CancellationToken cancellationToken);

    Task<StoreHealth> GetHealthAsync(CancellationToken cancellationToken);

    /// <summary>
    /// The id of the store's data folder, made when the folder was first used: a wiped or replaced folder comes back
    /// with a new one. A remote store knows it from its last successful health probe (null before the first).
    /// </summary>
    string? Instance { get; }
}

public interface IShardWriter : IAsyncDisposable
{
    Task WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken);

    /// <summary>
    /// Appends a block and the checksum stored right after it. Stores that can write both with one call (a vectored
    /// write to a local file) override it.
    /// </summary>
    async Task WriteBlockAsync(ReadOnlyMemory<byte> block, ReadOnlyMemory<byte> checksum, CancellationToken cancellationToken)
    {
        await WriteAsync(block, cancellationToken);
        await WriteAsync(checksum, cancellationToken);
    }

    /// <summary>Appends the footer, makes the shard durable (fsync) and visible under its id.</summary>
    Task CommitAsync(ReadOnlyMemory<byte> footer, CancellationToken cancellationToken);

    /// <summary>
    /// Appends the footer and makes the shard visible under its id, leaving it durable only once the returned sync has
    /// completed. Shards on one filesystem return the same sync, so a caller committing several shards (the k+m local
    /// stores of dev mode share a disk) waits for each distinct sync once instead of once per shard. Stores that make
    /// each shard durable by itself (a remote node) commit fully and return <see cref="ShardSync.Durable"/>.
    /// </summary>
    async Task<IShardSync> CommitUnsyncedAsync(ReadOnlyMemory<byte> footer, CancellationToken cancellationToken)
    {
        await CommitAsync(footer, cancellationToken);
        return ShardSync.Durable;
    }
}

/// <summary>What makes committed shards durable: a filesystem's (group) sync.</summary>
public interface IShardSync
{
    /// <summary>Completes once everything committed on this filesystem before the call is durable.</summary>
    Task SyncAsync();
}

public static class ShardSync
{
    /// <summary>For shards already durable: nothing to wait for.</summary>
    public static IShardSync Durable { get; } = new AlreadyDurable();

    private sealed class AlreadyDurable : IShardSync
    {
        public Task SyncAsync() => Task.CompletedTask;
    }
}

public interface IShardReader : IAsyncDisposable
{
    /// <summary>
    /// Reads up to buffer.Length bytes at offset; fewer only at the end of the shard. A missing shard may only show
    /// here (a remote store opens lazily, saving a round trip): <see cref="ShardNotFoundException"/>.
    /// </summary>
    ValueTask<int> ReadAsync(long offset, Memory<byte> buffer, CancellationToken cancellationToken);

    /// <summary>
    /// Reads a block and the checksum stored right after it; true when both were read whole. Stores that can read
    /// both with one call (a vectored read of a local file) override it.
    /// </summary>
    async ValueTask<bool> ReadBlockAsync(long offset, Memory<byte> block, Memory<byte> checksum, CancellationToken cancellationToken) =>
        await ReadAsync(offset, block, cancellationToken) == block.Length
        && await ReadAsync(offset + block.Length, checksum, cancellationToken) == checksum.Length;
}

public sealed record ShardEntry(string ShardId, long Length, DateTimeOffset Modified);

public sealed record StoreHealth(bool Ready, long FreeBytes, long TotalBytes);

/// <summary>Shard ids: 32 lower-case hex characters of the data id, '.', two hex characters of the shard index.</summary>
public static class ShardId
{
    public const int Length = 35;

    public static string NewDataId() => Guid.NewGuid().ToString("N");

    public static string For(string dataId, int index) => $"{dataId}.{index:x2}";

    /// <summary>The data id and shard index a valid shard id is made of (the inverse of <see cref="For"/>).</summary>
    public static (string DataId, int Index) Parse(string shardId) =>
        IsValid(shardId)
            ? (shardId[..32], Convert.ToInt32(shardId[33..], 16))
            : throw new ArgumentException($"Invalid shard id '{shardId}'.", nameof(shardId));

    /// <summary>Fixed length, fixed alphabet: nothing that could be a path.</summary>
    public static bool IsValid(string shardId)
    {
        if (shardId.Length != Length || shardId[32] != '.')
        {
            return false;
        }
        for (int i = 0; i < Length; i++)
        {
            if (i != 32 && !char.IsAsciiHexDigitLower(shardId[i]))
            {
                return false;
            }
        }
        return true;
    }
}
