using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace ObjStore.Storage.Format;

/// <summary>
/// The keyed digest in a shard's footer (<see cref="ShardFooter.Digest"/>). The block checksums (XxHash3) find bit rot
/// but anyone can recompute them; the digest can only be made by a holder of the shard key, so a scrub finds a shard
/// whose content is not what the gateway wrote, however consistent its checksums.
/// <para>
/// Each stripe's block is authenticated with AES-256-GMAC (AES-GCM with the block as associated data and the block's
/// 8-byte checksum as the plaintext), under a key of the shard's own, HMAC-SHA256(shard key, "gmac" + shard id), and
/// the stripe number as the nonce; the digest is HMAC-SHA256 of the stripes' tags (keyed likewise with "tags"). GHASH runs at
/// several GB/s a core with carry-less multiplication, where HMAC-SHA256 over every byte cost a PUT 15 % of its
/// throughput on two cores. Nonces never repeat under a key: a shard id names one write's data (heal and drain
/// rewrite the same bytes under it), and each stripe has its own number.
/// </para>
/// The shard key is derived from the cluster secret (gateway and nodes), or in dev mode read from
/// <see cref="KeyFileName"/> in the data folder, created at first start with 32 random bytes and mode 0600.
/// </summary>
public sealed class ShardDigest : IDisposable
{
    public const string KeyFileName = "shard-digest.key";
    public const int KeySize = 32;

    /// <summary>The shard key of a cluster, the same on the gateway and every node.</summary>
    public static byte[] KeyFromClusterSecret(string clusterSecret) =>
        SHA256.HashData(Encoding.UTF8.GetBytes("objstore-shard-digest\n" + clusterSecret));

    /// <summary>
    /// A 32-byte key kept in a file of 64 hex digits, created (mode 0600, 32 random bytes) when absent: the dev-mode
    /// shard key, the master key.
    /// </summary>
    public static byte[] LoadOrCreateKeyFile(string path, string purpose = "the shard digest key")
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
            : throw new InvalidDataException($"{path} must hold {2 * KeySize} hex digits ({purpose}).");
    }

    private readonly AesGcm _gmac;
    private readonly IncrementalHash _tags;
    private readonly byte[] _nonce = new byte[12];
    private readonly byte[] _tag = new byte[16];
    private readonly byte[] _sealed = new byte[16];
    private long _stripe;

    private ShardDigest(byte[] gmacKey, byte[] tagKey)
    {
        _gmac = new AesGcm(gmacKey, _tag.Length);
        _tags = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, tagKey);
    }

    /// <summary>The digest of shard <paramref name="shardId"/>'s data section, fed stripe by stripe.</summary>
    public static ShardDigest Create(byte[] key, string shardId)
    {
        byte[] gmacKey = HMACSHA256.HashData(key, Encoding.ASCII.GetBytes("gmac\n" + shardId));
        byte[] tagKey = HMACSHA256.HashData(key, Encoding.ASCII.GetBytes("tags\n" + shardId));
        try
        {
            return new ShardDigest(gmacKey, tagKey);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(gmacKey);
            CryptographicOperations.ZeroMemory(tagKey);
        }
    }

    /// <summary>One stripe's block and its checksum, in file order.</summary>
    public void AppendStripe(ReadOnlySpan<byte> block, ReadOnlySpan<byte> checksum)
    {
        BinaryPrimitives.WriteInt64LittleEndian(_nonce, _stripe++);
        _gmac.Encrypt(_nonce, checksum, _sealed.AsSpan(0, checksum.Length), _tag, block);
        _tags.AppendData(_tag);
    }

    /// <summary>The digest of the stripes appended, as a footer stores it (hex).</summary>
    public string Finish() => Convert.ToHexStringLower(_tags.GetHashAndReset());

    /// <summary>Null when <paramref name="footer"/> holds the digest of the stripes appended; otherwise what is wrong.</summary>
    public string? Check(ShardFooter footer)
    {
        if (footer.Digest is not { } stored)
        {
            return "footer has no digest (format 1)";
        }
        byte[] computed = _tags.GetHashAndReset();
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

    public void Dispose()
    {
        _gmac.Dispose();
        _tags.Dispose();
    }
}
