using System.Security.Cryptography;
using System.Text;

namespace ObjStore.Objects;

/// <summary>
/// The keyed digest in a shard's footer (<see cref="ShardFooter.Digest"/>): HMAC-SHA256 over the shard's data section
/// (every block and its 8-byte checksum, in file order), keyed by the shard key. The block checksums (XxHash3) find
/// bit rot but anyone can recompute them; the digest can only be made by a holder of the key, so a scrub finds a shard
/// whose content is not what the gateway wrote, however consistent its checksums. The key is derived from the cluster
/// secret (gateway and nodes), or in dev mode read from <see cref="KeyFileName"/> in the data folder, created at first
/// start with 32 random bytes and mode 0600.
/// </summary>
public static class ShardDigest
{
    public const string KeyFileName = "shard-digest.key";
    public const int KeySize = 32;

    /// <summary>The shard key of a cluster, the same on the gateway and every node.</summary>
    public static byte[] KeyFromClusterSecret(string clusterSecret) =>
        SHA256.HashData(Encoding.UTF8.GetBytes("objstore-shard-digest\n" + clusterSecret));

    /// <summary>The dev-mode shard key: <paramref name="path"/>'s 64 hex digits, the file created (0600) when absent.</summary>
    public static byte[] LoadOrCreateKeyFile(string path)
    {
        if (!File.Exists(path))
        {
            byte[] fresh = RandomNumberGenerator.GetBytes(KeySize);
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }
            try
            {
                using var file = new FileStream(path, options);
                file.Write(Encoding.ASCII.GetBytes(Convert.ToHexStringLower(fresh) + "\n"));
                file.Flush(flushToDisk: true);
                return fresh;
            }
            catch (IOException) when (File.Exists(path))
            {
                // Another process created it first: use theirs.
            }
        }
        string text = File.ReadAllText(path).Trim();
        return text.Length == 2 * KeySize && text.All(char.IsAsciiHexDigit)
            ? Convert.FromHexString(text)
            : throw new InvalidDataException($"{path} must hold {2 * KeySize} hex digits (the shard digest key).");
    }

    public static IncrementalHash Create(byte[] key) => IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, key);

    /// <summary>The digest so far, as a footer stores it (hex), and the hash reset.</summary>
    public static string Finish(IncrementalHash digest) => Convert.ToHexStringLower(digest.GetHashAndReset());

    /// <summary>Null when <paramref name="footer"/> holds the digest <paramref name="digest"/> has computed; otherwise what is wrong.</summary>
    public static string? Check(IncrementalHash digest, ShardFooter footer)
    {
        if (footer.Digest is not { } stored)
        {
            return "footer has no digest (format 1)";
        }
        byte[] computed = digest.GetHashAndReset();
        byte[] expected;
        try
        {
            expected = Convert.FromHexString(stored);
        }
        catch (FormatException)
        {
            return "footer digest malformed";
        }
        return CryptographicOperations.FixedTimeEquals(computed, expected)
            ? null
            : "digest mismatch (the content is not what the gateway wrote)";
    }
}
