namespace ObjStore.Objects.Tests;

/// <summary>
/// Weighted rendezvous placement: k+m shards on distinct failure domains while there are enough, the same answer for
/// the same object every time, and load that follows the weights. Pure functions over fixed inputs: no randomness.
/// </summary>
public sealed class PlacementTests
{
    private static string DataId(int i) => i.ToString("x32", System.Globalization.CultureInfo.InvariantCulture);

    private static List<PlacementNode> Nodes(int domains, int perDomain, Func<int, double>? weight = null) =>
        [.. Enumerable.Range(0, domains * perDomain).Select(i => new PlacementNode($"node-{i:D2}", $"rack-{i / perDomain}", weight?.Invoke(i) ?? 1.0))];

    [Fact]
    public void ShardsGoToDistinctDomainsWhenThereAreEnough()
    {
        var nodes = Nodes(domains: 8, perDomain: 3);
        var domainOf = nodes.ToDictionary(n => n.Id, n => n.Domain);
        for (int i = 0; i < 2000; i++)
        {
            var chosen = Placement.Choose(nodes, 6, "bucket", $"key-{i}", DataId(i));
            Assert.Equal(6, chosen.Distinct().Count());
            Assert.Equal(6, chosen.Select(id => domainOf[id]).Distinct().Count());
        }
    }

    [Fact]
    public void WithFewerDomainsThanShardsTheyAreSharedEvenly()
    {
        var nodes = Nodes(domains: 3, perDomain: 4);
        var domainOf = nodes.ToDictionary(n => n.Id, n => n.Domain);
        for (int i = 0; i < 1000; i++)
        {
            var chosen = Placement.Choose(nodes, 6, "bucket", $"key-{i}", DataId(i));
            Assert.Equal(6, chosen.Distinct().Count());
            Assert.All(chosen.GroupBy(id => domainOf[id]), g => Assert.Equal(2, g.Count()));
        }
    }

    [Fact]
    public void PlacementIsDeterministicAndIndependentOfTheNodesOrder()
    {
        var nodes = Nodes(domains: 6, perDomain: 2);
        var reversed = Enumerable.Reverse(nodes).ToList();
        var first = Placement.Choose(nodes, 6, "bucket", "key", DataId(7));
        Assert.Equal(first, Placement.Choose(nodes, 6, "bucket", "key", DataId(7)));
        Assert.Equal(first, Placement.Choose(reversed, 6, "bucket", "key", DataId(7)));
        // Another version of the same key (a new data id) is placed afresh.
        var versions = Enumerable.Range(0, 20).Select(i => string.Join(',', Placement.Choose(nodes, 6, "bucket", "key", DataId(100 + i)))).ToHashSet();
        Assert.True(versions.Count > 10, $"{versions.Count} distinct placements of 20 versions");
    }

    [Fact]
    public void EqualWeightsShareTheLoadEvenly()
    {
        var nodes = Nodes(domains: 12, perDomain: 1);
        var load = nodes.ToDictionary(n => n.Id, _ => 0);
        const int Objects = 6000;
        for (int i = 0; i < Objects; i++)
        {
            foreach (string id in Placement.Choose(nodes, 6, "bucket", $"key-{i}", DataId(i)))
            {
                load[id]++;
            }
        }
        // 6 of 12 nodes per object: each node's fair share is half the objects.
        Assert.All(load, l => Assert.InRange(l.Value, Objects / 2 * 0.9, Objects / 2 * 1.1));
    }

    [Fact]
    public void LoadFollowsTheWeights()
    {
        // Nodes 0-7 weigh 1, nodes 8-11 weigh 3: the heavy ones should take three times the share of the light ones.
        var nodes = Nodes(domains: 12, perDomain: 1, weight: i => i < 8 ? 1.0 : 3.0);
        var load = nodes.ToDictionary(n => n.Id, _ => 0);
        const int Objects = 20_000;
        for (int i = 0; i < Objects; i++)
        {
            load[Placement.Choose(nodes, 1, "bucket", $"key-{i}", DataId(i))[0]]++;
        }
        double light = load.Where(l => l.Key.CompareTo("node-08") < 0).Average(l => l.Value);
        double heavy = load.Where(l => l.Key.CompareTo("node-08") >= 0).Average(l => l.Value);
        Assert.InRange(light, Objects / 20.0 * 0.9, Objects / 20.0 * 1.1);
        Assert.InRange(heavy / light, 2.7, 3.3);
    }

    [Fact]
    public void AddingANodeMovesOnlyWhatTheNewNodeTakes()
    {
        var nodes = Nodes(domains: 10, perDomain: 1);
        var grown = nodes.Append(new PlacementNode("node-new", "rack-new")).ToList();
        int moved = 0;
        for (int i = 0; i < 5000; i++)
        {
            var before = Placement.Choose(nodes, 1, "bucket", $"key-{i}", DataId(i))[0];
            var after = Placement.Choose(grown, 1, "bucket", $"key-{i}", DataId(i))[0];
            if (before != after)
            {
                Assert.Equal("node-new", after);
                moved++;
            }
        }
        Assert.InRange(moved, 5000 / 11 * 0.8, 5000 / 11 * 1.2);
    }

    [Fact]
    public void TooFewNodesForTheShardsIsRefused()
    {
        Assert.Throws<InvalidOperationException>(() => Placement.Choose(Nodes(domains: 5, perDomain: 1), 6, "b", "k", DataId(1)));
    }

    [Fact]
    public async Task TheObjectLayerPlacesEveryShardOfAnObjectOnItsOwnStore()
    {
        await using var cluster = new TestCluster<TestKit.Faults.FailingShardStore>(s => TestKit.Faults.FailingShardStore.Unavailable(s));
        await cluster.CreateBucketAsync();
        for (int i = 0; i < 5; i++)
        {
            var layout = (await cluster.PutAsync($"key-{i}", TestKit.TestData.Bytes(100, i))).Parts[0].Layout;
            Assert.Equal(6, layout.Placement.Distinct().Count());
            Assert.Equal(Placement.Choose(cluster.Cluster.Topology, 6, TestCluster.Bucket, $"key-{i}", layout.DataId), layout.Placement);
        }
    }
}
