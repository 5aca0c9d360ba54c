using ObjStore.Hosting;

namespace ObjStore.Cli.Commands;

/// <summary>
/// `objstore restore-catalogue (--data DIR [--ec K+M] | --config cluster.json) [--to PATH] [--force]`: puts the newest
/// catalogue backup kept in the store back in place, with the server stopped. Without any backup,
/// `objstore admin rebuild-metadata` rebuilds the catalogue from the shard footers instead.
/// </summary>
internal static class RestoreCommand
{
    public static async Task<int> RunAsync(Options options)
    {
        var settings = new Dictionary<string, string?>();
        var mode = StoreMode.Dev;
        if (options.Get("config") is { } config)
        {
            foreach (var pair in GatewayCommand.ReadConfig(config))
            {
                settings[pair.Key] = pair.Value;
            }
            mode = StoreMode.Gateway;
        }
        if (options.Get("data") is { } data)
        {
            settings[$"{StoreOptions.Section}:{nameof(StoreOptions.DataDir)}"] = data;
        }
        if (options.Get("ec") is { } ec)
        {
            settings[$"{StoreOptions.Section}:{nameof(StoreOptions.Erasure)}"] = ec;
        }
        string? target = options.Get("to");
        bool force = options.Flag("force");
        try
        {
            string? key = await CatalogueRestore.RunAsync(settings, mode, target, force);
            if (key is null)
            {
                await Console.Error.WriteLineAsync("objstore: no catalogue backup found on the stores; `objstore admin rebuild-metadata` rebuilds it from shard footers.");
                return 1;
            }
            Console.WriteLine($"restored the catalogue from {key}");
            return 0;
        }
        catch (Exception e) when (e is IOException or ArgumentException)
        {
            await Console.Error.WriteLineAsync($"objstore: {e.Message}");
            return 1;
        }
    }
}
