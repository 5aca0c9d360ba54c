using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using ObjStore.Hosting;

namespace ObjStore.Cli.Commands;

/// <summary>`objstore dev`: the whole store in one process, local folders as shard stores.</summary>
internal static class DevCommand
{
    public static async Task<int> RunAsync(Options options)
    {
        var overrides = new Dictionary<string, string?>();
        void Map(string option, string key)
        {
            if (options.Get(option) is { } value)
            {
                overrides[$"{StoreOptions.Section}:{key}"] = value;
            }
        }
        Map("data", nameof(StoreOptions.DataDir));
        Map("listen", nameof(StoreOptions.Listen));
        Map("ec", nameof(StoreOptions.Erasure));
        Map("access-key", nameof(StoreOptions.AccessKey));
        Map("secret-key", nameof(StoreOptions.SecretKey));
        // Numbers are checked here so a typo is named as the option the user typed; their ranges, which depend on
        // each other (a write quorum on the layout), are checked with the rest of the options.
        void MapInt(string option, string key)
        {
            if (options.GetInt(option) is { } value)
            {
                overrides[$"{StoreOptions.Section}:{key}"] = value.ToString(System.Globalization.CultureInfo.InvariantCulture);
            }
        }
        MapInt("stripe-size", nameof(StoreOptions.StripeSize));
        MapInt("write-quorum", nameof(StoreOptions.WriteQuorum));
        options.RejectUnknown();

        Microsoft.AspNetCore.Builder.WebApplication app;
        try
        {
            app = StoreHost.Build([], overrides);
        }
        catch (Exception e) when (e is ArgumentException or ObjStore.Storage.DataFolderInUseException)
        {
            throw new OptionException(e.Message);
        }
        var store = app.Services.GetRequiredService<StoreOptions>();
        await app.StartAsync();
        Console.WriteLine($"objstore dev: S3 endpoint {store.Listen}  erasure {store.Erasure}  data {Path.GetFullPath(store.DataDir)}");
        Console.WriteLine($"  access key: {store.AccessKey}");
        Console.WriteLine(store.SecretKey == StoreOptions.DefaultSecretKey
            ? $"  secret key: {store.SecretKey} (the development default: set --secret-key for anything else)"
            : "  secret key: (as configured)");
        Console.WriteLine($"  try: AWS_ACCESS_KEY_ID={store.AccessKey} AWS_SECRET_ACCESS_KEY=... aws --endpoint-url {store.Listen} s3 ls");
        await app.WaitForShutdownAsync();
        return 0;
    }
}
