namespace ObjStore.Bench;

/// <summary>The objects a run knows to exist (index and size): what gets, stats and deletes target, and cleanup removes.</summary>
internal sealed class KeyPool
{
    private readonly List<(long Index, long Size)> _items = [];
    private readonly Dictionary<long, int> _positions = [];
    private readonly Lock _lock = new();

    public void Add(long index, long size)
    {
        lock (_lock)
        {
            _positions[index] = _items.Count;
            _items.Add((index, size));
        }
    }

    public void Remove(long index)
    {
        lock (_lock)
        {
            if (_positions.Remove(index, out int at))
            {
                RemoveAt(at);
            }
        }
    }

    public bool TryPeekRandom(Random random, out (long Index, long Size) item)
    {
        lock (_lock)
        {
            item = _items.Count == 0 ? default : _items[random.Next(_items.Count)];
            return _items.Count > 0;
        }
    }

    public bool TryTakeRandom(Random random, out (long Index, long Size) item)
    {
        lock (_lock)
        {
            if (_items.Count == 0)
            {
                item = default;
                return false;
            }
            int at = random.Next(_items.Count);
            item = _items[at];
            _positions.Remove(item.Index);
            RemoveAt(at);
            return true;
        }
    }

    public List<(long Index, long Size)> Snapshot()
    {
        lock (_lock)
        {
            return [.. _items];
        }
    }

    /// <summary>Swap-remove: O(1), order does not matter.</summary>
    private void RemoveAt(int at)
    {
        int lastAt = _items.Count - 1;
        if (at != lastAt)
        {
            var last = _items[lastAt];
            _items[at] = last;
            _positions[last.Index] = at;
        }
        _items.RemoveAt(lastAt);
    }
}
