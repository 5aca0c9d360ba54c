using System.Security.Cryptography;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using ObjStore.Core;
using ObjStore.Metadata;
using ObjStore.Metadata.Sqlite;
using ObjStore.TestKit;
using ObjStore.TestKit.Faults;

namespace ObjStore.Objects.Tests;

/// <summary>What every <see cref="TestCluster{TFault}"/> has in common: its bucket and its six stores, s0 to s5.</summary>
public static class TestCluster
{
    public const string Bucket = "bucket";
    public const int StoreCount = 6;

    /// <summary>The index of a store from its id ("s3" is 3).</summary>
    public static int StoreIndex(string storeId) => int.Parse(storeId[1..], System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>
/// An object layer composed as StoreHost composes it (a <see cref="ShardCluster"/> and an
/// <see cref="ErasureObjectLayer"/> over the SQLite catalogue), over six local stores in a temporary folder, each
/// behind a fault of the test's choosing, 4+2 with 4 KiB stripes (or 1+2 copies), on a fake clock. Faults start disabled unless the
/// test says otherwise, so objects can be written whole and broken afterwards.
/// </summary>
public sealed class TestCluster<TFault> : IAsyncDisposable where TFault : ShardStoreDecorator
{
    private const string Bucket = TestCluster.Bucket;
    private static readonly CancellationToken None = CancellationToken.None;
    private readonly TempFolder _folder = new("objstore-objects-");

    /// <param name="layout">
    /// The layout every object the test writes gets: striped (replication off, what the tests were written for) or
    /// replicated (every object, whatever its size, is stored as 1+m copies).
    /// </param>
    public TestCluster(Func<IShardStore, TFault> fault, bool faultsEnabled = false, Action<ObjectLayerOptions>? configure = null,
        LayoutKind layout = LayoutKind.Striped)
    {
        Locals = [.. Enumerable.Range(0, TestCluster.StoreCount).Select(i => new Storage.LocalShardStore($"s{i}", _folder.Combine($"s{i}")))];
        Faults = [.. Locals.Select(store => fault(store))];
        foreach (var f in Faults)
        {
            f.Enabled = faultsEnabled;
        }
        Options = new ObjectLayerOptions
        {
            DataShards = 4,
            ParityShards = 2,
            StripeSize = 4096,
            ReserveBytes = 0, // the temporary folder's free space is not the test's business
            ReplicateUpTo = layout == LayoutKind.Replicated ? long.MaxValue : 0,
            ShardDigestKey = RandomNumberGenerator.GetBytes(32),
        };
        configure?.Invoke(Options);
        Catalogue = new SqliteCatalogue(_folder.Combine("catalogue.db"), Clock, synchronousFull: false);
        Cluster = new ShardCluster(Faults, Options, NullLogger.Instance, Clock);
        Layer = new ErasureObjectLayer(Catalogue, Cluster);
    }

    public FakeTimeProvider Clock { get; } = new(new DateTimeOffset(2026, 12, 1, 12, 0, 0, TimeSpan.Zero));
    public ObjectLayerOptions Options { get; }
    public IReadOnlyList<Storage.LocalShardStore> Locals { get; }
    public IReadOnlyList<TFault> Faults { get; }
    public ICatalogue Catalogue { get; }
    public ShardCluster Cluster { get; }
    public ErasureObjectLayer Layer { get; }

    public Task CreateBucketAsync() => Layer.CreateBucketAsync(Bucket, false, "", new Dictionary<string, string>(), None);

    public Task<ObjectInfo> PutAsync(string key, byte[] data) =>
        Layer.PutObjectAsync(new PutObjectRequest { Bucket = Bucket, Key = key, DeclaredLength = data.Length }, new MemoryStream(data), None);

    /// <summary>Bytes [offset, offset+length) of the object (all of it by default).</summary>
    public async Task<byte[]> GetAsync(ObjectInfo info, long offset = 0, long? length = null)
    {
        using var destination = new MemoryStream();
        await Layer.ReadObjectAsync(info, offset, length ?? info.Size - offset, destination, null, None);
        return destination.ToArray();
    }

    /// <summary>The fault in front of the store holding shard <paramref name="shard"/> of a single-PUT object.</summary>
    public TFault FaultOf(ObjectInfo info, int shard) => Faults[TestCluster.StoreIndex(info.Parts[0].Layout.Placement[shard])];

    /// <summary>Every committed shard of every store, read from the stores themselves (not through the faults).</summary>
    public async Task<List<ShardEntry>> AllShardsAsync()
    {
        var all = new List<ShardEntry>();
        foreach (var store in Locals)
        {
            await foreach (var entry in store.ListAsync(None))
            {
                all.Add(entry);
            }
        }
        return all;
    }

    /// <summary>Files left in the stores' tmp/ folders: writes that neither committed nor cleaned up.</summary>
    public IEnumerable<string> TempFiles() => Locals.SelectMany(s => Directory.EnumerateFiles(Path.Combine(s.Root, "tmp")));

    public ValueTask DisposeAsync()
    {
        foreach (var f in Faults)
        {
            (f as StallingShardStore)?.Release(); // nothing stays held once the test is over
        }
        Catalogue.Dispose();
        SqliteConnection.ClearAllPools();
        _folder.Dispose();
        return ValueTask.CompletedTask;
    }
}
