using System.Security.Cryptography;
using System.Text;
using ObjStore.Access.Secrets;
using ObjStore.Kms;
using ObjStore.Storage;
using ObjStore.Storage.Format;

namespace ObjStore.Hosting;

/// <summary>
/// Where the master key comes from: ObjStore:MasterKey, else the OBJSTORE_MASTER_KEY environment variable (both
/// base64 of 32 bytes), else a key file (ObjStore:MasterKeyFile, default DATA/master.key: 64 hex digits, created with
/// mode 0600 on first start). Previous keys (still needed to open what they sealed): ObjStore:PreviousMasterKeys, and
/// beside a key file the files a rotation left (master.key.previous-ID).
/// </summary>
internal static class MasterKeys
{
    public const string EnvironmentVariable = MasterKeyRingNames.EnvironmentVariable;
    private const string PreviousSuffix = ".previous-";

    public static MasterKeyRing Load(StoreOptions options, string dataDir)
    {
        string? file = KeyFile(options, dataDir);
        var current = file is null
            ? FromText(Configured(options)!, "ObjStore:MasterKey / " + EnvironmentVariable)
            : new MasterKey(ShardDigest.LoadOrCreateKeyFile(file, "the master key"));
        var previous = options.PreviousMasterKeys.Select(p => File.Exists(p)
            ? new MasterKey(ShardDigest.LoadOrCreateKeyFile(p, "a previous master key"))
            : FromText(p, "ObjStore:PreviousMasterKeys")).ToList();
        if (file is not null && Path.GetDirectoryName(Path.GetFullPath(file)) is { } folder)
        {
            // Newest first: a rotation's archive names the key it replaced.
            previous.AddRange(Directory.GetFiles(folder, Path.GetFileName(file) + PreviousSuffix + "*")
                .OrderByDescending(File.GetLastWriteTimeUtc)
                .Select(p => new MasterKey(ShardDigest.LoadOrCreateKeyFile(p, "a previous master key"))));
        }
        return new MasterKeyRing(current, [.. previous.Where(k => k.Id != current.Id).DistinctBy(k => k.Id)]);
    }

    /// <summary>The key file the master key is read from; null when it is configured (then a rotation is the operator's).</summary>
    public static string? KeyFile(StoreOptions options, string dataDir) =>
        Configured(options) is { Length: > 0 } ? null : options.MasterKeyFile ?? Path.Combine(dataDir, "master.key");

    /// <summary>
    /// Replaces the key in <paramref name="keyFile"/> by a fresh one, keeping the old one beside it
    /// (KEYFILE.previous-ID, mode 0600): data keys sealed in shard footers stay sealed under it. Both files are
    /// durable before the new key is used.
    /// </summary>
    /// <exception cref="InvalidOperationException">The file no longer holds <paramref name="current"/> (changed by hand?).</exception>
    public static MasterKey Rotate(string keyFile, MasterKey current)
    {
        byte[] old = ShardDigest.LoadOrCreateKeyFile(keyFile, "the master key");
        var oldKey = new MasterKey(old);
        if (oldKey.Id != current.Id)
        {
            throw new InvalidOperationException(
                $"{keyFile} holds master key {oldKey.Id:x8}, not the current {current.Id:x8}: it was changed since the start; restart first.");
        }
        string archive = $"{keyFile}{PreviousSuffix}{oldKey.Id:x8}";
        if (!File.Exists(archive))
        {
            WriteKeyFile(archive, old);
        }
        byte[] fresh = RandomNumberGenerator.GetBytes(MasterKey.KeyBytes);
        string temporary = keyFile + ".new";
        File.Delete(temporary);
        WriteKeyFile(temporary, fresh);
        File.Move(temporary, keyFile, overwrite: true);
        DirectorySync.Fsync(Path.GetDirectoryName(Path.GetFullPath(keyFile))!);
        return new MasterKey(fresh);
    }

    private static void WriteKeyFile(string path, byte[] key)
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }
        using var file = new FileStream(path, options);
        file.Write(Encoding.ASCII.GetBytes(Convert.ToHexStringLower(key) + "\n"));
        file.Flush(flushToDisk: true);
    }

    private static string? Configured(StoreOptions options) => options.MasterKey ?? Environment.GetEnvironmentVariable(EnvironmentVariable);

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
