using System.Diagnostics;
using System.Runtime.CompilerServices;
using ObjStore.Core;

namespace ObjStore.Objects;

/// <summary>
/// A shard store as the object layer uses it: the same store, each call timed and its failures and bytes counted
/// (<see cref="ObjectLayerMetrics"/>), and, inside a trace, one span per shard written (create to commit) or read
/// (open to the reader's end) on this store, current while the store works so a node request made for it is its
/// child. <see cref="ShardCluster"/> wraps every store it is given in one.
/// </summary>
internal sealed class InstrumentedShardStore(IShardStore inner, ObjectLayerMetrics? metrics) : IShardStore
{
    private readonly string _id = inner.Id;

    public IShardStore Inner => inner;

    public string Id => _id;

    public string? Instance => inner.Instance;

    public async Task<IShardWriter> CreateAsync(string shardId, CancellationToken cancellationToken)
    {
        var span = StartSpan("shard.write", shardId);
        long start = Stopwatch.GetTimestamp();
        try
        {
            var writer = await inner.CreateAsync(shardId, cancellationToken);
            metrics?.Call(_id, ObjectLayerMetrics.Operations.Create, start, failed: false);
            return new Writer(writer, this, span);
        }
        catch (Exception e)
        {
            metrics?.Call(_id, ObjectLayerMetrics.Operations.Create, start, failed: true);
            Tracing.Fail(span, e);
            span?.Dispose();
            throw;
        }
    }

    public async Task<IShardReader> OpenAsync(string shardId, CancellationToken cancellationToken)
    {
        var span = StartSpan("shard.read", shardId);
        long start = Stopwatch.GetTimestamp();
        try
        {
            var reader = await inner.OpenAsync(shardId, cancellationToken);
            metrics?.Call(_id, ObjectLayerMetrics.Operations.Open, start, failed: false);
            return new Reader(reader, this, span);
        }
        catch (Exception e)
        {
            metrics?.Call(_id, ObjectLayerMetrics.Operations.Open, start, failed: true);
            Tracing.Fail(span, e);
            span?.Dispose();
            throw;
        }
    }

    public async Task DeleteAsync(string shardId, CancellationToken cancellationToken)
    {
        using var span = StartSpan("shard.delete", shardId);
        long start = Stopwatch.GetTimestamp();
        try
        {
            await inner.DeleteAsync(shardId, cancellationToken);
            metrics?.Call(_id, ObjectLayerMetrics.Operations.Delete, start, failed: false);
        }
        catch (Exception e)
        {
            metrics?.Call(_id, ObjectLayerMetrics.Operations.Delete, start, failed: true);
            Tracing.Fail(span, e);
            throw;
        }
    }

    public IAsyncEnumerable<ShardEntry> ListAsync(CancellationToken cancellationToken) => inner.ListAsync(cancellationToken);

    public Task<StoreHealth> GetHealthAsync(CancellationToken cancellationToken) => inner.GetHealthAsync(cancellationToken);

    private Activity? StartSpan(string name, string shardId)
    {
        var span = Tracing.StartChild(name, ActivityKind.Internal);
        if (span is { IsAllDataRequested: true })
        {
            span.SetTag("objstore.store", _id);
            span.SetTag("objstore.shard", shardId);
        }
        return span;
    }

    /// <summary>Times a call and counts its failure; the span (if any) is current meanwhile.</summary>
    private void Done(string operation, long start, bool failed) => metrics?.Call(_id, operation, start, failed);

    private sealed class Writer(IShardWriter inner, InstrumentedShardStore store, Activity? span) : IShardWriter
    {
        public async Task WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
        {
            SetCurrent(span);
            long start = Stopwatch.GetTimestamp();
            bool failed = true;
            try
            {
                await inner.WriteAsync(data, cancellationToken);
                failed = false;
            }
            catch (Exception e)
            {
                Tracing.Fail(span, e);
                throw;
            }
            finally
            {
                store.Done(ObjectLayerMetrics.Operations.Write, start, failed);
            }
            store.Written(data.Length);
        }

        public async Task WriteBlockAsync(ReadOnlyMemory<byte> block, ReadOnlyMemory<byte> checksum, CancellationToken cancellationToken)
        {
            SetCurrent(span);
            long start = Stopwatch.GetTimestamp();
            bool failed = true;
            try
            {
                await inner.WriteBlockAsync(block, checksum, cancellationToken);
                failed = false;
            }
            catch (Exception e)
            {
                Tracing.Fail(span, e);
                throw;
            }
            finally
            {
                store.Done(ObjectLayerMetrics.Operations.Write, start, failed);
            }
            store.Written(block.Length + checksum.Length);
        }

        public async Task CommitAsync(ReadOnlyMemory<byte> footer, CancellationToken cancellationToken)
        {
            SetCurrent(span);
            long start = Stopwatch.GetTimestamp();
            bool failed = true;
            try
            {
                await inner.CommitAsync(footer, cancellationToken);
                failed = false;
            }
            catch (Exception e)
            {
                Tracing.Fail(span, e);
                throw;
            }
            finally
            {
                store.Done(ObjectLayerMetrics.Operations.Commit, start, failed);
            }
            store.Written(footer.Length);
        }

        public async Task<IShardSync> CommitUnsyncedAsync(ReadOnlyMemory<byte> footer, CancellationToken cancellationToken)
        {
            SetCurrent(span);
            long start = Stopwatch.GetTimestamp();
            bool failed = true;
            try
            {
                var sync = await inner.CommitUnsyncedAsync(footer, cancellationToken);
                failed = false;
                store.Written(footer.Length);
                return sync;
            }
            catch (Exception e)
            {
                Tracing.Fail(span, e);
                throw;
            }
            finally
            {
                store.Done(ObjectLayerMetrics.Operations.Commit, start, failed);
            }
        }

        public async ValueTask DisposeAsync()
        {
            try
            {
                await inner.DisposeAsync();
            }
            finally
            {
                span?.Dispose();
            }
        }
    }

    private sealed class Reader(IShardReader inner, InstrumentedShardStore store, Activity? span) : IShardReader
    {
        public async ValueTask<int> ReadAsync(long offset, Memory<byte> buffer, CancellationToken cancellationToken)
        {
            SetCurrent(span);
            long start = Stopwatch.GetTimestamp();
            bool failed = true;
            try
            {
                int read = await inner.ReadAsync(offset, buffer, cancellationToken);
                failed = false;
                store.ReadBytes(read);
                return read;
            }
            catch (Exception e)
            {
                Tracing.Fail(span, e);
                throw;
            }
            finally
            {
                store.Done(ObjectLayerMetrics.Operations.Read, start, failed);
            }
        }

        public async ValueTask<bool> ReadBlockAsync(long offset, Memory<byte> block, Memory<byte> checksum, CancellationToken cancellationToken)
        {
            SetCurrent(span);
            long start = Stopwatch.GetTimestamp();
            bool failed = true;
            try
            {
                bool whole = await inner.ReadBlockAsync(offset, block, checksum, cancellationToken);
                failed = false;
                if (whole)
                {
                    store.ReadBytes(block.Length + checksum.Length);
                }
                return whole;
            }
            catch (Exception e)
            {
                Tracing.Fail(span, e);
                throw;
            }
            finally
            {
                store.Done(ObjectLayerMetrics.Operations.Read, start, failed);
            }
        }

        public async ValueTask DisposeAsync()
        {
            try
            {
                await inner.DisposeAsync();
            }
            finally
            {
                span?.Dispose();
            }
        }
    }

    private void Written(long bytes) => metrics?.Written(_id, bytes);

    private void ReadBytes(long bytes) => metrics?.Read(_id, bytes);

    /// <summary>Inside one of the wrapper's async methods: the caller's current activity is back when it returns.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void SetCurrent(Activity? span)
    {
        if (span is not null)
        {
            Activity.Current = span;
        }
    }
}
