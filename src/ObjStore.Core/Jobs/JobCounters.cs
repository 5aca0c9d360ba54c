namespace ObjStore.Core.Jobs;

/// <summary>Progress of a maintenance pass: items (layouts or shards) and bytes, reported as they go.</summary>
public interface IJobProgress
{
    long ItemsDone { get; }

    void SetTotal(long items, long bytes);

    void Advance(long items, long bytes);
}

/// <summary>
/// A running job's progress: counted from whatever thread does the work, read by whoever reports it (a lease renewal,
/// in the catalogue or over the job API), the bytes also fed to the worker's <see cref="IoMeter"/>.
/// </summary>
public class JobCounters(IoMeter io) : IJobProgress
{
    private long _itemsDone, _itemsTotal, _bytesDone, _bytesTotal;

    public long ItemsDone => Interlocked.Read(ref _itemsDone);
    public long ItemsTotal => Interlocked.Read(ref _itemsTotal);
    public long BytesDone => Interlocked.Read(ref _bytesDone);
    public long BytesTotal => Interlocked.Read(ref _bytesTotal);

    public JobProgress Snapshot => new(ItemsDone, ItemsTotal, BytesDone, BytesTotal);

    public void SetTotal(long items, long bytes)
    {
        Interlocked.Exchange(ref _itemsTotal, items);
        Interlocked.Exchange(ref _bytesTotal, bytes);
    }

    public void Advance(long items, long bytes)
    {
        Interlocked.Add(ref _itemsDone, items);
        Interlocked.Add(ref _bytesDone, bytes);
        io.Add(bytes);
    }
}
