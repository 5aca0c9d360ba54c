using System.IO.Hashing;
using System.Text;

namespace ObjStore.Objects;

/// <summary>
/// Rendezvous (highest-random-weight) hashing: each object version ranks every store by hash(store, object) and takes
/// the top k+m, so shards spread evenly and adding a store moves no existing object (its placement is in its row).
/// </summary>
public static class Placement
{
    public static IReadOnlyList<string> Choose(IReadOnlyList<string> storeIds, int count, string bucket, string key, string dataId)
    {
        if (storeIds.Count < count)
        {
            throw new InvalidOperationException($"{count} shards need {count} distinct stores; only {storeIds.Count} are configured.");
        }
        ulong objectHash = XxHash64.HashToUInt64(Encoding.UTF8.GetBytes($"{bucket}\n{key}\n{dataId}"));
        return storeIds
            .OrderByDescending(id => XxHash64.HashToUInt64(Encoding.UTF8.GetBytes(id), unchecked((long)objectHash)))
            .ThenBy(id => id, StringComparer.Ordinal)
            .Take(count)
            .ToList();
    }
}
