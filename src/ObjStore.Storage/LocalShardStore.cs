using System.Buffers;
using System.Runtime.CompilerServices;
using Microsoft.Win32.SafeHandles;
using ObjStore.Core;

namespace ObjStore.Storage;

/// <summary>
/// Shards as files in one folder: <c>shards/ab/&lt;shard id&gt;</c>, fanned out by the id's first two characters.
/// A shard is written to <c>tmp/</c>, renamed into place, and made durable (a shared syncfs per filesystem on Linux,
/// see <see cref="FileSystemSync"/>; file and directory fsync elsewhere) before commit returns, so a committed shard
/// survives a crash and a half-written one is never visible under its id.
/// </summary>
public sealed class LocalShardStore : IShardStore
{
    private readonly string _shardRoot;
    private readonly string _tempRoot;
    private readonly FileSystemSync? _sync;

    public LocalShardStore(string id, string root)
    {
        Id = id;
        Root = Path.GetFullPath(root);
        _shardRoot = Path.Combine(Root, "shards");
        _tempRoot = Path.Combine(Root, "tmp");
        Directory.CreateDirectory(_shardRoot);
        Directory.CreateDirectory(_tempRoot);
        _sync = FileSystemSync.For(Root);
        Instance = ReadOrCreateInstance(Path.Combine(Root, "instance"));
        // Anything still in tmp/ is a write that never committed (a crash or a hang-up): it is garbage.
        foreach (var stale in Directory.EnumerateFiles(_tempRoot))
        {
            File.Delete(stale);
        }
    }

    public string Id { get; }
    public string Root { get; }

    /// <summary>A random id written to the folder at first use (see <see cref="IShardStore.Instance"/>).</summary>
    public string Instance { get; }

    private static string ReadOrCreateInstance(string path)
    {
        if (File.Exists(path) && File.ReadAllText(path).Trim() is { Length: 32 } existing)
        {
            return existing;
        }
        string created = Guid.NewGuid().ToString("N");
        File.WriteAllText(path, created);
        return created;
    }

    /// <summary>The file holding a committed shard (tests corrupt and delete these).</summary>
    public string PathOf(string shardId)
    {
        if (!ShardId.IsValid(shardId))
        {
            throw new ArgumentException($"Invalid shard id '{shardId}'.", nameof(shardId));
        }
        return Path.Combine(_shardRoot, shardId[..2], shardId);
    }

    public Task<IShardWriter> CreateAsync(string shardId, CancellationToken cancellationToken) =>
        Task.FromResult<IShardWriter>(Create(shardId));

    /// <summary>Starts a shard in <c>tmp/</c>; the node writes request bodies into it segment by segment.</summary>
    public LocalShardWriter Create(string shardId)
    {
        string final = PathOf(shardId);
        string temp = Path.Combine(_tempRoot, $"{shardId}.{Guid.NewGuid():N}");
        var handle = File.OpenHandle(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None);
        return new LocalShardWriter(handle, temp, final, _sync);
    }

    public Task<IShardReader> OpenAsync(string shardId, CancellationToken cancellationToken) => Task.FromResult<IShardReader>(Open(shardId));

    /// <summary>Opens a committed shard, with its length (the node serves ranges of it).</summary>
    /// <exception cref="ShardNotFoundException">No such shard.</exception>
    public LocalShardReader Open(string shardId)
    {
        try
        {
            var handle = File.OpenHandle(PathOf(shardId), FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, FileOptions.Asynchronous);
            return new LocalShardReader(handle);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new ShardNotFoundException(shardId);
        }
    }

    public Task DeleteAsync(string shardId, CancellationToken cancellationToken)
    {
        string path = PathOf(shardId);
        try
        {
            File.Delete(path);
        }
        catch (DirectoryNotFoundException)
        {
            // Its fan-out folder was never made (no shard with that prefix was ever written here): already gone.
        }
        return Task.CompletedTask;
    }

    public async IAsyncEnumerable<ShardEntry> ListAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        foreach (var directory in Directory.EnumerateDirectories(_shardRoot))
        {
            foreach (var file in new DirectoryInfo(directory).EnumerateFiles())
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (ShardId.IsValid(file.Name))
                {
                    yield return new ShardEntry(file.Name, file.Length, file.LastWriteTimeUtc);
                }
            }
            await Task.Yield();
        }
    }

    public Task<StoreHealth> GetHealthAsync(CancellationToken cancellationToken)
    {
        try
        {
            var drive = new DriveInfo(Root);
            bool writable = Directory.Exists(_tempRoot);
            return Task.FromResult(new StoreHealth(writable, drive.AvailableFreeSpace, drive.TotalSize));
        }
        catch (IOException)
        {
            return Task.FromResult(new StoreHealth(false, 0, 0));
        }
    }

    /// <summary>A shard being written in <c>tmp/</c>: renamed into place and made durable by commit, deleted otherwise.</summary>
    public sealed class LocalShardWriter : IShardWriter
    {
        private readonly SafeFileHandle _handle;
        private readonly string _tempPath, _finalPath;
        private readonly FileSystemSync? _sync;
        private long _position;
        private bool _committed;
        private readonly List<ReadOnlyMemory<byte>> _segments = [];

        internal LocalShardWriter(SafeFileHandle handle, string tempPath, string finalPath, FileSystemSync? sync)
        {
            (_handle, _tempPath, _finalPath, _sync) = (handle, tempPath, finalPath, sync);
        }

        /// <summary>
        /// Writes on the calling thread: a write to the page cache is shorter than a hop to a thread-pool thread and
        /// back (which is all an asynchronous write of a file opened without FileOptions.Asynchronous would do).
        /// </summary>
        public Task WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
        {
            cancellationToken.ThrowIfCancellationRequested();
            Write(data.Span);
            return Task.CompletedTask;
        }

        /// <summary>The block and its checksum with one pwritev.</summary>
        public Task WriteBlockAsync(ReadOnlyMemory<byte> block, ReadOnlyMemory<byte> checksum, CancellationToken cancellationToken)
        {
            cancellationToken.ThrowIfCancellationRequested();
            _segments.Clear();
            _segments.Add(block);
            _segments.Add(checksum);
            WriteSegments(block.Length + checksum.Length);
            return Task.CompletedTask;
        }

        /// <summary>
        /// Writes a received body's segments with one pwritev, on the calling thread, with no copying into one buffer
        /// first.
        /// </summary>
        public void Write(in ReadOnlySequence<byte> data)
        {
            _segments.Clear();
            foreach (var segment in data)
            {
                _segments.Add(segment);
            }
            WriteSegments(data.Length);
        }

        private void Write(ReadOnlySpan<byte> data)
        {
            try
            {
                RandomAccess.Write(_handle, data, _position);
            }
            catch (IOException e) when (StoreFullException.IsDiskFull(e))
            {
                throw Full(e);
            }
            _position += data.Length;
        }

        private void WriteSegments(long length)
        {
            try
            {
                RandomAccess.Write(_handle, _segments, _position);
            }
            catch (IOException e) when (StoreFullException.IsDiskFull(e))
            {
                throw Full(e);
            }
            _position += length;
        }

        private StoreFullException Full(IOException e) => new($"No space left for shard {Path.GetFileName(_finalPath)}.", e);

        public async Task CommitAsync(ReadOnlyMemory<byte> footer, CancellationToken cancellationToken) =>
            await (await CommitUnsyncedAsync(footer, cancellationToken)).SyncAsync();

        /// <summary>
        /// Writes the footer and renames the shard into place; where syncfs exists the caller's sync (shared by every
        /// store on this filesystem) makes it durable, elsewhere the file and its directory are fsynced here.
        /// </summary>
        public Task<IShardSync> CommitUnsyncedAsync(ReadOnlyMemory<byte> footer, CancellationToken cancellationToken)
        {
            cancellationToken.ThrowIfCancellationRequested();
            Write(footer.Span);
            if (_sync is null)
            {
                RandomAccess.FlushToDisk(_handle);
            }
            _handle.Dispose();
            string directory = Path.GetDirectoryName(_finalPath)!;
            try
            {
                File.Move(_tempPath, _finalPath, overwrite: true);
            }
            catch (DirectoryNotFoundException)
            {
                // The first shard of its fan-out folder: made once, not asked for (a mkdir) on every commit.
                Directory.CreateDirectory(directory);
                File.Move(_tempPath, _finalPath, overwrite: true);
            }
            _committed = true;
            // Until the sync completes the shard may not survive a crash; the caller commits nothing before it does,
            // and a shard at its final name that no catalogue row references is garbage to collect.
            if (_sync is null)
            {
                DirectorySync.Fsync(directory);
                return Task.FromResult(ShardSync.Durable);
            }
            return Task.FromResult<IShardSync>(_sync);
        }

        public ValueTask DisposeAsync()
        {
            _handle.Dispose();
            if (!_committed)
            {
                File.Delete(_tempPath);
            }
            return ValueTask.CompletedTask;
        }
    }

    public sealed class LocalShardReader(SafeFileHandle handle) : IShardReader
    {
        private long _length = -1;

        /// <summary>Asked for only when a node serves a range or a scrub verifies: not an fstat for every GET.</summary>
        public long Length => _length >= 0 ? _length : _length = RandomAccess.GetLength(handle);

        public ValueTask<int> ReadAsync(long offset, Memory<byte> buffer, CancellationToken cancellationToken) =>
            ReadFullyAsync(offset, buffer, cancellationToken);

        /// <summary>
        /// Blocks up to this size are read on the caller's thread. .NET has no asynchronous file I/O on Linux: an
        /// asynchronous read is a synchronous pread on another thread-pool thread, and for a small block (usually in
        /// the page cache, a few microseconds) waking that thread and coming back costs more than the read. Measured
        /// with tests/perf/request-cost.sh; larger blocks keep the hand-off, so a slow disk stalls no request thread long.
        /// </summary>
        public const int InlineReadLimit = 64 * 1024;

        /// <summary>One preadv for the block and its checksum: half the system calls of a GET.</summary>
        public async ValueTask<bool> ReadBlockAsync(long offset, Memory<byte> block, Memory<byte> checksum, CancellationToken cancellationToken)
        {
            long wanted = block.Length + checksum.Length;
            long read;
            if (wanted <= InlineReadLimit)
            {
                cancellationToken.ThrowIfCancellationRequested();
                read = RandomAccess.Read(handle, [block, checksum], offset);
            }
            else
            {
                read = await RandomAccess.ReadAsync(handle, [block, checksum], offset, cancellationToken);
            }
            if (read == wanted)
            {
                return true;
            }
            // A short vectored read is legal: finish with plain reads.
            return await ReadFullyAsync(offset, block, cancellationToken) == block.Length
                && await ReadFullyAsync(offset + block.Length, checksum, cancellationToken) == checksum.Length;
        }

        public ValueTask DisposeAsync()
        {
            handle.Dispose();
            return ValueTask.CompletedTask;
        }

        private async ValueTask<int> ReadFullyAsync(long offset, Memory<byte> buffer, CancellationToken cancellationToken)
        {
            int total = 0;
            while (total < buffer.Length)
            {
                int n = await RandomAccess.ReadAsync(handle, buffer[total..], offset + total, cancellationToken);
                if (n == 0)
                {
                    break;
                }
                total += n;
            }
            return total;
        }
    }
}
