using System.Text;

namespace ObjStore.Core;

/// <summary>S3's rules for bucket names and object keys.</summary>
public static class Naming
{
    /// <summary>Buckets the store keeps for itself (catalogue backups): an underscore, which S3 bucket names cannot have.</summary>
    public const string SystemBucketPrefix = "_";

    public static bool IsSystemBucket(string bucket) => bucket.StartsWith(SystemBucketPrefix, StringComparison.Ordinal);

    /// <summary>Where catalogue backups are stored, erasure-coded like any object.</summary>
    public const string BackupBucket = "_objstore";

    public const int MaxKeyBytes = 1024;

    /// <summary>The general-purpose bucket naming rules: 3-63 of [a-z0-9.-], starting and ending alphanumeric, no "..",
    /// not an IP address, none of the reserved prefixes and suffixes.</summary>
    public static bool IsValidBucketName(string name)
    {
        if (name.Length is < 3 or > 63)
        {
            return false;
        }
        foreach (char c in name)
        {
            if (c is not ((>= 'a' and <= 'z') or (>= '0' and <= '9') or '.' or '-'))
            {
                return false;
            }
        }
        if (!char.IsAsciiLetterOrDigit(name[0]) || !char.IsAsciiLetterOrDigit(name[^1]))
        {
            return false;
        }
        if (name.Contains("..", StringComparison.Ordinal) || name.Contains(".-", StringComparison.Ordinal)
            || name.Contains("-.", StringComparison.Ordinal))
        {
            return false;
        }
        if (System.Net.IPAddress.TryParse(name, out _) && name.Count(c => c == '.') == 3)
        {
            return false;
        }
        return !name.StartsWith("xn--", StringComparison.Ordinal) && !name.StartsWith("sthree-", StringComparison.Ordinal)
            && !name.EndsWith("-s3alias", StringComparison.Ordinal) && !name.EndsWith("--ol-s3", StringComparison.Ordinal);
    }

    /// <summary>Throws unless the key is 1-1024 bytes of valid UTF-8 (surrogates paired).</summary>
    public static void ValidateKey(string key)
    {
        if (key.Length == 0)
        {
            throw new ObjectStoreException(ErrorKind.InvalidArgument, "The object key must not be empty.");
        }
        int bytes;
        try
        {
            bytes = StrictUtf8.GetByteCount(key);
        }
        catch (EncoderFallbackException)
        {
            throw new ObjectStoreException(ErrorKind.InvalidArgument, "The object key is not valid UTF-8.");
        }
        if (bytes > MaxKeyBytes)
        {
            throw new ObjectStoreException(ErrorKind.KeyTooLong, $"The key is {bytes} bytes; the limit is {MaxKeyBytes}.");
        }
    }

    public static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
}
