using ObjStore.Access.Secrets;
using ObjStore.Storage.Format;

namespace ObjStore.Hosting;

/// <summary>
/// Where the master key comes from: ObjStore:MasterKey, else the OBJSTORE_MASTER_KEY environment variable (both
/// base64 of 32 bytes), else a key file (ObjStore:MasterKeyFile, default DATA/master.key: 64 hex digits, created with
/// mode 0600 on first start). ObjStore:PreviousMasterKeys lists keys of before a rotation.
/// </summary>
internal static class MasterKeys
{
    public const string EnvironmentVariable = "OBJSTORE_MASTER_KEY";

    public static (MasterKey Current, IReadOnlyList<MasterKey> Previous) Load(StoreOptions options, string dataDir)
    {
        string? configured = options.MasterKey ?? Environment.GetEnvironmentVariable(EnvironmentVariable);
        var current = configured is { Length: > 0 }
            ? FromText(configured, "ObjStore:MasterKey / " + EnvironmentVariable)
            : new MasterKey(ShardDigest.LoadOrCreateKeyFile(options.MasterKeyFile ?? Path.Combine(dataDir, "master.key"), "the master key"));
        return (current, [.. options.PreviousMasterKeys.Select(p => File.Exists(p)
            ? new MasterKey(ShardDigest.LoadOrCreateKeyFile(p, "a previous master key"))
            : FromText(p, "ObjStore:PreviousMasterKeys"))]);
    }

    private static MasterKey FromText(string base64, string source)
    {
        try
        {
            return new MasterKey(Convert.FromBase64String(base64.Trim()));
        }
        catch (Exception e) when (e is FormatException or ArgumentException)
        {
            throw new ArgumentException($"{source} must be base64 of 32 random bytes (openssl rand -base64 32).", e);
        }
    }
}
