using System.Text.Json;

namespace ObjStore.Hosting;

/// <summary>
/// dev mode's record of the layout a data folder was created with (<c>DATA/layout.json</c>). Each object keeps the
/// layout it was written with in the catalogue, and its shards live on store folders <c>store-00</c> ...; a start
/// with another <c>--ec</c> would place new objects differently and, with fewer stores, leave older objects without
/// the folders their shards are on. So a data folder keeps its layout: a conflicting start is refused with what to do.
/// </summary>
internal static class DataFolderLayout
{
    public const string FileName = "layout.json";

    private sealed record Layout(string Erasure, int Stores);

    /// <summary>Checks (or, the first time, records) the layout; returns how many store folders to open.</summary>
    public static int Check(string dataDir, string erasure, int stores)
    {
        string path = Path.Combine(dataDir, FileName);
        Layout? recorded = null;
        if (File.Exists(path))
        {
            try
            {
                recorded = JsonSerializer.Deserialize<Layout>(File.ReadAllText(path));
            }
            catch (JsonException e)
            {
                throw new ArgumentException($"{path} is not a valid layout record ({e.Message}).", e);
            }
        }
        else if (LayoutOfAShard(dataDir) is { } found)
        {
            recorded = found; // a folder from before layout records: its shards say how they were written
        }
        if (recorded is not null)
        {
            if (recorded.Erasure != erasure)
            {
                throw new ArgumentException(
                    $"The data folder {dataDir} was created with erasure layout {recorded.Erasure}, not {erasure}. "
                    + $"Its objects are stored in {recorded.Erasure}: start with --ec {recorded.Erasure}, or use a new --data folder for {erasure}.");
            }
            // Every store folder that ever held shards stays open, so every object finds the stores it was written to.
            stores = Math.Max(stores, recorded.Stores);
        }
        int existing = Directory.Exists(dataDir) ? Directory.EnumerateDirectories(dataDir, "store-*").Count() : 0;
        stores = Math.Max(stores, existing);
        var layout = new Layout(erasure, stores);
        if (layout != recorded || !File.Exists(path))
        {
            // Replaced whole: a crash mid-write leaves the old record, never half of one.
            string temp = path + ".tmp";
            File.WriteAllText(temp, JsonSerializer.Serialize(layout));
            File.Move(temp, path, overwrite: true);
        }
        return stores;
    }

    /// <summary>The layout in the footer of the first striped shard file found, if any.</summary>
    private static Layout? LayoutOfAShard(string dataDir)
    {
        if (!Directory.Exists(dataDir))
        {
            return null;
        }
        var shards = Directory.EnumerateDirectories(dataDir, "store-*")
            .Select(store => Path.Combine(store, "shards"))
            .Where(Directory.Exists)
            .SelectMany(folder => Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories))
            .Take(16);
        foreach (var file in shards)
        {
            // Start-up, before anything else runs: reading a footer synchronously holds nothing up.
            var reader = new Storage.LocalShardStore.LocalShardReader(File.OpenHandle(file));
            try
            {
                // A copy of a small object (1+m) says nothing of the K+M the folder stripes with: look further.
                if (Storage.Format.ShardVerifier.ReadFooterAtEndAsync(reader, reader.Length, CancellationToken.None).GetAwaiter().GetResult() is var (footer, _)
                    && footer.Layout == Core.LayoutKind.Striped)
                {
                    return new Layout($"{footer.DataShards}+{footer.ParityShards}", 0);
                }
            }
            finally
            {
                reader.DisposeAsync().AsTask().GetAwaiter().GetResult();
            }
        }
        return null;
    }
}
