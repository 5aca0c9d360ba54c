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
        if (File.Exists(path))
        {
            Layout? recorded;
            try
            {
                recorded = JsonSerializer.Deserialize<Layout>(File.ReadAllText(path));
            }
            catch (JsonException e)
            {
                throw new ArgumentException($"{path} is not a valid layout record ({e.Message}).", e);
            }
            if (recorded is null || recorded.Erasure != erasure)
            {
                throw new ArgumentException(
                    $"The data folder {dataDir} was created with erasure layout {recorded?.Erasure}, not {erasure}. "
                    + $"Its objects are stored in {recorded?.Erasure}: start with --ec {recorded?.Erasure}, or use a new --data folder for {erasure}.");
            }
            // Every store folder that ever held shards stays open, so every object finds the stores it was written to.
            stores = Math.Max(stores, recorded.Stores);
        }
        int existing = Directory.Exists(dataDir) ? Directory.EnumerateDirectories(dataDir, "store-*").Count() : 0;
        stores = Math.Max(stores, existing);
        File.WriteAllText(path, JsonSerializer.Serialize(new Layout(erasure, stores)));
        return stores;
    }
}
