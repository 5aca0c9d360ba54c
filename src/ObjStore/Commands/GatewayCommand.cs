using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using ObjStore.Hosting;
using ObjStore.WebConsole;

namespace ObjStore.Cli.Commands;

/// <summary>
/// `objstore gateway --config cluster.json`: the S3 endpoint over storage nodes. The file holds the keys of the
/// ObjStore configuration section (Listen, Erasure, MetadataPath, ClusterSecret, AccessKey, SecretKey, Nodes, ...);
/// the same keys also come from appsettings.json and ObjStore__* environment variables.
/// </summary>
internal static class GatewayCommand
{
    public static async Task<int> RunAsync(Options options)
    {
        var overrides = options.Get("config") is { } path ? ReadConfig(path) : [];
        overrides[CommandLine.HostFailureLogLevel] = "None";
        foreach (var (option, key) in new[] { ("listen", nameof(StoreOptions.Listen)), ("tls-cert", nameof(StoreOptions.TlsCertFile)), ("tls-key", nameof(StoreOptions.TlsKeyFile)) })
        {
            if (options.Get(option) is { } value)
            {
                overrides[$"{StoreOptions.Section}:{key}"] = value;
            }
        }

        Microsoft.AspNetCore.Builder.WebApplication app;
        try
        {
            app = StoreHost.Build([], overrides, StoreMode.Gateway);
        }
        catch (ArgumentException e)
        {
            throw new OptionException(e.Message);
        }
        var store = app.Services.GetRequiredService<StoreOptions>();
        await app.StartAsync();
        Console.WriteLine($"objstore gateway: S3 endpoint {store.Listen}  erasure {store.Erasure}  {store.Nodes.Count} nodes");
        Console.WriteLine($"  console: {store.Listen.TrimEnd('/')}{ConsoleEndpoint.Prefix}/ (sign in with the root access key)");
        if (ConsoleEndpoint.InsecureContextNote(store.Listen) is { } note)
        {
            Console.WriteLine(note);
        }
        await app.WaitForShutdownAsync();
        return 0;
    }

    /// <summary>A cluster file as ObjStore configuration keys.</summary>
    public static Dictionary<string, string?> ReadConfig(string path)
    {
        var settings = new Dictionary<string, string?>();
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllText(path), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            Flatten(document.RootElement, StoreOptions.Section, settings);
        }
        catch (Exception e) when (e is IOException or JsonException)
        {
            throw new OptionException($"cannot read --config {path}: {e.Message}");
        }
        return settings;
    }

    /// <summary>JSON to configuration keys: objects nest with ':', arrays by index.</summary>
    private static void Flatten(JsonElement element, string prefix, Dictionary<string, string?> into)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    Flatten(property.Value, $"{prefix}:{property.Name}", into);
                }
                break;
            case JsonValueKind.Array:
                int i = 0;
                foreach (var item in element.EnumerateArray())
                {
                    Flatten(item, $"{prefix}:{(i++).ToString(CultureInfo.InvariantCulture)}", into);
                }
                break;
            case JsonValueKind.Null:
                into[prefix] = null;
                break;
            default:
                into[prefix] = element.ValueKind == JsonValueKind.String ? element.GetString() : element.GetRawText();
                break;
        }
    }
}
