using Microsoft.Extensions.Logging;
using ObjStore.Core;
using ObjStore.Erasure;
using ObjStore.Storage.Format;

namespace ObjStore.Objects;

/// <summary>
/// The k+m shard writers of one PUT (the 1+m copies of a replicated one); a writer that fails drops out, and the write fails below quorum. Each shard's
/// footer digest (<see cref="ShardDigest"/>) is computed as its blocks are written, on that shard's own task.
/// </summary>
public sealed partial class ShardWriteSet(ShardCluster cluster, ObjectLayout layout) : IAsyncDisposable
{
    private readonly string _dataId = layout.DataId;
    private readonly IReadOnlyList<string> _placement = layout.Placement;
    private readonly int _quorum = Quorum.WriteQuorum(cluster.Options, layout);
    private readonly IShardWriter?[] _writers = new IShardWriter?[layout.TotalShards];
    private readonly byte[][] _checksums = Enumerable.Range(0, layout.TotalShards).Select(_ => new byte[StripeLayout.ChecksumSize]).ToArray();
    private readonly ShardDigest[] _digests = [.. Enumerable.Range(0, layout.TotalShards).Select(i => ShardDigest.Create(cluster.ShardKey, ShardId.For(layout.DataId, i)))];

    private int _full;

    public ObjectLayout Layout => layout;

    private int Alive => _writers.Count(w => w is not null);

    /// <summary>Opens a writer on every store of the placement but those without room above the reserve.</summary>
    public async Task OpenAsync(CancellationToken cancellationToken)
    {
        var full = await cluster.Space.FullStoresAsync(_placement, cancellationToken);
        _full = full.Count;
        await Task.WhenAll(_placement.Select(async (storeId, index) =>
        {
            if (full.Contains(storeId))
            {
                return;
            }
            try
            {
                _writers[index] = await cluster.Stores[storeId].CreateAsync(ShardId.For(_dataId, index), cancellationToken);
            }
            catch (Exception e) when (ShardCluster.IsShardFailure(e))
            {
                CountFull(e);
                LogShardWriteFailed(cluster.Logger, _dataId, index, storeId, e);
            }
        }));
        RequireQuorum("opening shards");
    }

    public async Task WriteStripeAsync(StripeBuffer stripe, CancellationToken cancellationToken)
    {
        await Task.WhenAll(_writers.Select(async (writer, index) =>
        {
            if (writer is null)
            {
                return;
            }
            // Off the caller's thread, so the k+m shards' digests (and whatever the writers do) run in parallel.
            await Task.Yield();
            try
            {
                stripe.WriteChecksum(index, _checksums[index]);
                _digests[index].AppendStripe(stripe.Block(index).Span, _checksums[index]);
                await writer.WriteBlockAsync(stripe.Block(index), _checksums[index], cancellationToken);
            }
            catch (Exception e) when (ShardCluster.IsShardFailure(e))
            {
                await DropAsync(index, e);
            }
        }));
        RequireQuorum("writing stripes");
    }

    /// <summary>
    /// Commits every live shard; returns the indexes that are not durable. Below quorum: frees all, throws. The shards
    /// are committed first and synced after, each distinct filesystem once: the k+m stores of dev mode share a disk,
    /// and one sync there makes the whole object durable instead of one per shard.
    /// </summary>
    public async Task<IReadOnlyList<int>> CommitAsync(ShardFooter footer, CancellationToken cancellationToken)
    {
        var syncs = new IShardSync?[_writers.Length];
        await Task.WhenAll(_writers.Select(async (writer, index) =>
        {
            if (writer is null)
            {
                return;
            }
            try
            {
                syncs[index] = await writer.CommitUnsyncedAsync((footer with { Index = index, Digest = _digests[index].Finish() }).Serialize(), cancellationToken);
            }
            catch (Exception e) when (ShardCluster.IsShardFailure(e))
            {
                await DropAsync(index, e);
            }
        }));
        await Task.WhenAll(syncs.OfType<IShardSync>().Distinct().Select(async sync =>
        {
            try
            {
                await sync.SyncAsync();
            }
            catch (Exception e) when (ShardCluster.IsShardFailure(e))
            {
                // Nothing committed on that filesystem is known to be durable: none of its shards count.
                for (int index = 0; index < syncs.Length; index++)
                {
                    if (ReferenceEquals(syncs[index], sync))
                    {
                        syncs[index] = null;
                        LogShardWriteFailed(cluster.Logger, _dataId, index, _placement[index], e);
                    }
                }
            }
        }));
        int durable = syncs.Count(s => s is not null);
        if (durable < _quorum)
        {
            await DeleteAllAsync();
            throw QuorumFailure(durable, _quorum, "committing shards");
        }
        return [.. Enumerable.Range(0, syncs.Length).Where(i => syncs[i] is null)];
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var writer in _writers)
        {
            if (writer is not null)
            {
                await writer.DisposeAsync();
            }
        }
        foreach (var digest in _digests)
        {
            digest.Dispose();
        }
    }

    private void CountFull(Exception e)
    {
        if (e is StoreFullException)
        {
            Interlocked.Increment(ref _full);
        }
    }

    /// <summary>
    /// Missing the quorum only because stores are full is not a reason to retry soon (507, not 503); missing it
    /// because stores are down as well is an outage that passes (503), whatever else is full.
    /// </summary>
    private Exception QuorumFailure(int have, int need, string stage) =>
        Volatile.Read(ref _full) > 0 && have + Volatile.Read(ref _full) >= need
            ? new InsufficientStorageException(have, need)
            : new WriteQuorumException(have, need, stage);

    private async Task DropAsync(int index, Exception e)
    {
        CountFull(e);
        LogShardWriteFailed(cluster.Logger, _dataId, index, _placement[index], e);
        var writer = _writers[index];
        _writers[index] = null;
        if (writer is not null)
        {
            await writer.DisposeAsync();
        }
    }

    private void RequireQuorum(string stage)
    {
        if (Alive < _quorum)
        {
            throw QuorumFailure(Alive, _quorum, stage);
        }
    }

    /// <summary>
    /// Below quorum the object is never committed: every shard of it is deleted, also where the commit seemed to fail
    /// (a commit that timed out may have landed). Nothing in the catalogue names them; one on a store that fails now
    /// is an orphan for GC.
    /// </summary>
    private async Task DeleteAllAsync() =>
        await Task.WhenAll(Enumerable.Range(0, _placement.Count).Select(async index =>
        {
            try
            {
                await cluster.Stores[_placement[index]].DeleteAsync(ShardId.For(_dataId, index), CancellationToken.None);
            }
            catch (Exception e) when (ShardCluster.IsShardFailure(e))
            {
                ShardGarbage.LogShardDeleteFailed(cluster.Logger, _dataId, index, _placement[index], e);
            }
        }));

    /// <summary>
    /// One line, no stack trace: a store failing a write is expected (a node down, a disk full), and the shard is
    /// recorded for healing. A store known to be down is its monitor's to report (once), so each shard it misses is
    /// only a debug line.
    /// </summary>
    private static void LogShardWriteFailed(ILogger logger, string dataId, int index, string storeId, Exception e)
    {
        var level = ShardCluster.ExpectedFailureLevel(e);
        if (logger.IsEnabled(level))
        {
            string reason = ShardCluster.Describe(e);
            LogShardWriteFailed(logger, level, dataId, index, storeId, reason);
        }
    }

    [LoggerMessage(EventId = 1002, Message = "Shard {Index} of {DataId} on {StoreId} failed during write ({Reason}); needs healing")]
    private static partial void LogShardWriteFailed(ILogger logger, LogLevel level, string dataId, int index, string storeId, string reason);
}
