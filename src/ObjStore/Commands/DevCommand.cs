using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using ObjStore.Hosting;
using ObjStore.WebConsole;

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
        Map("tls-cert", nameof(StoreOptions.TlsCertFile));
        Map("tls-key", nameof(StoreOptions.TlsKeyFile));
        // Numbers are checked here so a typo is named as the option the user typed; their ranges, which depend on
        // each other (a write quorum on the layout), are checked with the rest of the options.
        void MapInt(string option, string key)
        {
            if (options.GetInt(option) is { } value)
            {
                overrides[$"{StoreOptions.Section}:{key}"] = value.ToString(System.Globalization.CultureInfo.InvariantCulture);
            }
        }
        if (options.GetBytes("stripe-size") is { } stripe)
        {
            overrides[$"{StoreOptions.Section}:{nameof(StoreOptions.StripeSize)}"] = stripe is > 0 and <= int.MaxValue
                ? stripe.ToString(System.Globalization.CultureInfo.InvariantCulture)
                : throw new OptionException($"--stripe-size must be from 1 byte to 2 GiB, not {options.Get("stripe-size")}");
        }
        MapInt("write-quorum", nameof(StoreOptions.WriteQuorum));
        overrides[CommandLine.HostFailureLogLevel] = "None";

        Microsoft.AspNetCore.Builder.WebApplication app;
        try
        {
            app = StoreHost.Build([], overrides);
        }
        catch (ArgumentException e)
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
        Console.WriteLine($"  try: {TryLine(store, options.Get("secret-key") is not null)}");
        Console.WriteLine($"  console: {store.Listen.TrimEnd('/')}{ConsoleEndpoint.Prefix}/ (sign in with the access and secret key above)");
        if (ConsoleEndpoint.InsecureContextNote(store.Listen) is { } note)
        {
            Console.WriteLine(note);
        }
        await app.WaitForShutdownAsync();
        return 0;
    }

    /// <summary>
    /// A line to paste into a shell: the development secret itself, the environment variable it came from (which the
    /// same shell still has), or, for a secret given some other way, where to find it.
    /// </summary>
    internal static string TryLine(StoreOptions store, bool secretOnCommandLine)
    {
        string? fromEnvironment = Environment.GetEnvironmentVariable("ObjStore__SecretKey") == store.SecretKey ? "\"$ObjStore__SecretKey\"" : null;
        string secret = store.SecretKey == StoreOptions.DefaultSecretKey ? store.SecretKey
            : fromEnvironment ?? (secretOnCommandLine ? "<the --secret-key given>" : "<ObjStore:SecretKey of appsettings.json>");
        return $"AWS_ACCESS_KEY_ID={store.AccessKey} AWS_SECRET_ACCESS_KEY={secret} AWS_DEFAULT_REGION={store.S3.Region} aws --endpoint-url {store.Listen} s3 ls";
    }
}
