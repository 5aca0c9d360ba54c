namespace ObjStore.Bench;

/// <summary>
/// The objects a run knows to exist (index and size): what gets, stats and deletes target, and cleanup removes. An
/// object being read is leased: a delete picks only objects no one is reading, so a mixed run never counts as an
/// error the NoSuchKey of a read racing its own run's delete.
/// </summary>
internal sealed class KeyPool
{
    private readonly List<(long Index, long Size)> _items = [];
    private readonly Dictionary<long, int> _positions = [];
    private readonly Dictionary<long, int> _leases = [];
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

    /// <summary>A random object, leased until <see cref="Release"/>: no delete takes it meanwhile.</summary>
    public bool TryLeaseRandom(Random random, out (long Index, long Size) item)
    {
        lock (_lock)
        {
            if (_items.Count == 0)
            {
                item = default;
                return false;
            }
            item = _items[random.Next(_items.Count)];
            _leases[item.Index] = _leases.GetValueOrDefault(item.Index) + 1;
            return true;
        }
    }

    public void Release(long index)
    {
        lock (_lock)
        {
            if (_leases.TryGetValue(index, out int count) && count > 1)
            {
                _leases[index] = count - 1;
            }
            else
            {
                _leases.Remove(index);
            }
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
            // A random start, then the first object not being read: as random as the leases allow.
            int start = random.Next(_items.Count);
            for (int step = 0; step < _items.Count; step++)
            {
                int at = (start + step) % _items.Count;
                if (!_leases.ContainsKey(_items[at].Index))
                {
                    item = _items[at];
                    _positions.Remove(item.Index);
                    RemoveAt(at);
                    return true;
                }
            }
            item = default;
            return false;
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
