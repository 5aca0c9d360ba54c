using ObjStore.Core;

namespace ObjStore.Metadata;

/// <summary>
/// S3's key order and listing rules, the same for every catalogue implementation: keys compare as UTF-8 bytes, and a
/// listing with a delimiter rolls keys up into common prefixes.
/// </summary>
public static class KeyOrder
{
    public static byte[] Bytes(string key) => Naming.StrictUtf8.GetBytes(key);

    public static string Text(byte[] key) => Naming.StrictUtf8.GetString(key);

    public static int Compare(byte[] a, byte[] b) => a.AsSpan().SequenceCompareTo(b);

    /// <summary>The smallest byte string greater than every string starting with <paramref name="value"/>; null if none.</summary>
    public static byte[]? Successor(byte[] value)
    {
        var next = (byte[])value.Clone();
        for (int i = next.Length - 1; i >= 0; i--)
        {
            if (next[i] != 0xFF)
            {
                next[i]++;
                return next[..(i + 1)];
            }
        }
        return null;
    }

    /// <summary>
    /// Where the keys under <paramref name="prefix"/> end: the smallest byte string after every key that starts with
    /// it; null when nothing bounds them (the empty prefix, or one of only 0xFF bytes).
    /// </summary>
    public static byte[]? PrefixEnd(string prefix) => prefix.Length == 0 ? null : Successor(Bytes(prefix));

    /// <summary>The smallest byte string greater than <paramref name="value"/>.</summary>
    public static byte[] After(byte[] value) => [.. value, 0];

    /// <summary>
    /// S3's rollup rule: the key's common prefix (up to and including the first delimiter after the listing prefix), or
    /// null when the key is listed itself.
    /// </summary>
    public static string? CommonPrefixOf(string key, string prefix, string? delimiter)
    {
        int at = string.IsNullOrEmpty(delimiter) ? -1 : key.IndexOf(delimiter, prefix.Length, StringComparison.Ordinal);
        return at < 0 ? null : key[..(at + delimiter!.Length)];
    }

    /// <summary>If-Match's rule: any ETag of the comma-separated list (quoted or not), or *, matches.</summary>
    public static bool ETagMatches(string condition, string etag) =>
        condition.Split(',').Select(c => c.Trim().Trim('"')).Any(c => c == "*" || c == etag);
}

/// <summary>The catalogue's refusals, worded once for every implementation.</summary>
public static class CatalogueErrors
{
    public static ObjectStoreException NoSuchBucket(string bucket) => new(ErrorKind.NoSuchBucket, $"The bucket {bucket} does not exist.");

    public static ObjectStoreException BucketNotEmpty(string bucket) => new(ErrorKind.BucketNotEmpty, $"The bucket {bucket} is not empty.");

    public static ObjectStoreException NoSuchUpload() => new(
        ErrorKind.NoSuchUpload, "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.");

    public static ObjectStoreException ExistsAlready() =>
        new(ErrorKind.PreconditionFailed, "An object already exists at this key (If-None-Match: *).");

    public static ObjectStoreException NothingToMatch() => new(ErrorKind.NoSuchKey, "No object to match If-Match against.");

    public static ObjectStoreException ETagDiffers() => new(ErrorKind.PreconditionFailed, "The object's ETag does not match If-Match.");

    public static ObjectStoreException NoSuchKey() => new(ErrorKind.NoSuchKey, "The specified key does not exist.");

    public static ObjectStoreException NoSuchVersion() => new(ErrorKind.NoSuchVersion, "The specified version does not exist.");

    public static ObjectStoreException LockedBucketCannotSuspend() =>
        new(ErrorKind.InvalidBucketState, "An Object Lock configuration is present on this bucket, so the versioning state cannot be changed.");

    public static ObjectStoreException LockNeedsVersioning() =>
        new(ErrorKind.InvalidBucketState, "Versioning must be 'Enabled' on the bucket to apply a Object Lock configuration");

    public static ObjectStoreException VersioningChanged() =>
        new(ErrorKind.ConcurrentChange, "The bucket's versioning was enabled while this write was in progress; retry it.");

    public static ObjectStoreException NoLockConfiguration() =>
        new(ErrorKind.InvalidRequest, "Bucket is missing Object Lock Configuration");
}
