using System.Globalization;

namespace ObjStore.S3.Protocol;

/// <summary>Byte ranges: a GET's Range header and an UploadPartCopy's x-amz-copy-source-range.</summary>
internal static class Ranges
{
    /// <summary>(offset, length) of a single satisfiable byte range; null for none or an ignorable header.</summary>
    public static (long Offset, long Length)? Parse(string header, long size)
    {
        if (header.Length == 0 || !header.StartsWith("bytes=", StringComparison.OrdinalIgnoreCase) || header.Contains(','))
        {
            return null;
        }
        string spec = header[6..].Trim();
        int dash = spec.IndexOf('-');
        if (dash < 0)
        {
            return null;
        }
        string first = spec[..dash].Trim(), last = spec[(dash + 1)..].Trim();
        // A position too large for a long is still a position: past the end of any object (416 as the first byte,
        // the end of the object as the last), not a reason to ignore the header and send the whole object.
        static bool Num(string s, out long v)
        {
            v = 0;
            if (s.Length == 0 || !s.All(char.IsAsciiDigit))
            {
                return false;
            }
            if (!long.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out v))
            {
                v = long.MaxValue;
            }
            return true;
        }
        if (first.Length == 0)
        {
            if (!Num(last, out long suffix))
            {
                return null;
            }
            if (suffix == 0 || size == 0)
            {
                throw new S3Exception(S3Error.InvalidRange);
            }
            suffix = Math.Min(suffix, size);
            return (size - suffix, suffix);
        }
        if (!Num(first, out long start))
        {
            return null;
        }
        long end = size - 1;
        if (last.Length > 0)
        {
            if (!Num(last, out end) || end < start)
            {
                return null;
            }
        }
        if (start >= size)
        {
            throw new S3Exception(S3Error.InvalidRange);
        }
        end = Math.Min(end, size - 1);
        return (start, end - start + 1);
    }

    /// <summary>x-amz-copy-source-range is always bytes=first-last, both given, inside the source.</summary>
    public static (long Offset, long Length) ParseCopySource(string header, long size)
    {
        static bool Num(string s, out long v) => long.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out v);
        string[] bounds = header.StartsWith("bytes=", StringComparison.Ordinal) ? header[6..].Split('-') : [];
        if (bounds.Length != 2 || !Num(bounds[0], out long first) || !Num(bounds[1], out long last) || last < first)
        {
            throw new S3Exception(S3Error.InvalidArgument, "The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy");
        }
        if (last >= size)
        {
            throw new S3Exception(S3Error.InvalidRange, $"Range specified is not valid for source object of size: {size}");
        }
        return (first, last - first + 1);
    }
}
