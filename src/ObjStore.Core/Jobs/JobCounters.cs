namespace ObjStore.Core.Jobs;

/// <summary>Progress of a maintenance pass: items (layouts or shards) and bytes, reported as they go.</summary>
public interface IJobProgress
{
    long ItemsDone { get; }

    void SetTotal(long items, long bytes);

    void Advance(long items, long bytes);

    /// <summary>
    /// Where an earlier attempt of this job got to (what it last gave <see cref="SetCheckpoint"/>), or null. A job
    /// that records checkpoints makes each one only after the work before it is done, so resuming there neither
    /// repeats nor skips anything.
    /// </summary>
    string? ResumePoint { get; }

    /// <summary>Records where the job is; written to the catalogue with the next progress report.</summary>
    void SetCheckpoint(string checkpoint);
}

/// <summary>
/// A running job's progress: counted from whatever thread does the work, read by whoever reports it (a lease renewal,
/// in the catalogue or over the job API), the bytes also fed to the worker's <see cref="IoMeter"/>. A job resumed from
/// a checkpoint continues its counts from where that attempt left them.
/// </summary>
public class JobCounters : IJobProgress
{
    private readonly IoMeter _io;
    private long _itemsDone, _itemsTotal, _bytesDone, _bytesTotal;
    private string? _checkpoint;

    public JobCounters(IoMeter io, JobInfo? resumed = null)
    {
        _io = io;
        if (resumed?.Checkpoint is { } checkpoint)
        {
            (ResumePoint, _checkpoint) = (checkpoint, checkpoint);
            (_itemsDone, _itemsTotal, _bytesDone, _bytesTotal) = (resumed.ItemsDone, resumed.ItemsTotal, resumed.BytesDone, resumed.BytesTotal);
        }
    }

    public string? ResumePoint { get; }

    public long ItemsDone => Interlocked.Read(ref _itemsDone);
    public long ItemsTotal => Interlocked.Read(ref _itemsTotal);
    public long BytesDone => Interlocked.Read(ref _bytesDone);
    public long BytesTotal => Interlocked.Read(ref _bytesTotal);

    public JobProgress Snapshot => new(ItemsDone, ItemsTotal, BytesDone, BytesTotal, Volatile.Read(ref _checkpoint));

    public void SetCheckpoint(string checkpoint) => Volatile.Write(ref _checkpoint, checkpoint);

    public void SetTotal(long items, long bytes)
    {
        Interlocked.Exchange(ref _itemsTotal, items);
        Interlocked.Exchange(ref _bytesTotal, bytes);
    }

    public void Advance(long items, long bytes)
    {
        Interlocked.Add(ref _itemsDone, items);
        Interlocked.Add(ref _bytesDone, bytes);
        _io.Add(bytes);
    }
}
