using System.IO.Hashing;
using System.Text;

namespace ObjStore.Objects;

/// <summary>A place shards can go: a store, its failure domain (host, rack, zone) and its relative capacity.</summary>
public sealed record PlacementNode(string Id, string Domain, double Weight = 1.0);

/// <summary>
/// Weighted rendezvous (highest-random-weight) hashing: each object version scores every node by
/// -weight / ln(hash(node, object) as a fraction in (0,1)), so a node's share follows its weight, and adding a node
/// moves no existing object (its placement is in its row). The k+m highest-scoring nodes are taken, at most one per
/// failure domain while distinct domains remain, then at most two per domain, and so on.
/// </summary>
public static class Placement
{
    public static IReadOnlyList<string> Choose(IReadOnlyList<PlacementNode> nodes, int count, string bucket, string key, string dataId)
    {
        if (nodes.Count < count)
        {
            throw new InvalidOperationException($"{count} shards need {count} distinct stores; only {nodes.Count} are configured.");
        }
        long objectHash = unchecked((long)XxHash64.HashToUInt64(Encoding.UTF8.GetBytes($"{bucket}\n{key}\n{dataId}")));
        var ranked = nodes
            .Select(n => (Node: n, Score: Score(n, objectHash)))
            .OrderByDescending(r => r.Score)
            .ThenBy(r => r.Node.Id, StringComparer.Ordinal)
            .Select(r => r.Node)
            .ToList();
        var chosen = new List<string>(count);
        var perDomain = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int limit = 1; chosen.Count < count; limit++)
        {
            foreach (var node in ranked)
            {
                if (chosen.Count == count)
                {
                    break;
                }
                if (!chosen.Contains(node.Id) && perDomain.GetValueOrDefault(node.Domain) < limit)
                {
                    chosen.Add(node.Id);
                    perDomain[node.Domain] = perDomain.GetValueOrDefault(node.Domain) + 1;
                }
            }
        }
        return chosen;
    }

    private static double Score(PlacementNode node, long objectHash)
    {
        ulong hash = XxHash64.HashToUInt64(Encoding.UTF8.GetBytes(node.Id), objectHash);
        double fraction = ((hash >> 11) + 0.5) / (1UL << 53); // in (0, 1)
        return -node.Weight / Math.Log(fraction);
    }
}
