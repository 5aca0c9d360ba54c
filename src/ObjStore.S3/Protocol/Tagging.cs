using System.Xml.Linq;
using static ObjStore.S3.Protocol.Xml;

namespace ObjStore.S3.Protocol;

/// <summary>
/// Tags on the wire: the x-amz-tagging header (URL query form) and the Tagging document, with S3's limits: at most
/// 10 tags on an object (50 on a bucket), keys of 1 to 128 and values of up to 256 characters of letters, digits,
/// white space and + - = . _ : / @, no key twice, no key in the reserved aws: prefix.
/// </summary>
internal static class Tagging
{
    public const int MaxObjectTags = 10;
    public const int MaxBucketTags = 50;

    /// <summary>The header's tags; empty when it is absent or empty.</summary>
    public static Dictionary<string, string> FromHeader(string? header)
    {
        var tags = new Dictionary<string, string>(StringComparer.Ordinal);
        if (string.IsNullOrEmpty(header))
        {
            return tags;
        }
        foreach (var (key, value) in S3Request.ParseQuery(header))
        {
            Add(tags, key, value);
        }
        Check(tags.Count, MaxObjectTags, "Object");
        return tags;
    }

    /// <summary>A PutObjectTagging or PutBucketTagging body (or a POST form's tagging field).</summary>
    public static Dictionary<string, string> FromXml(byte[] body, int maxTags)
    {
        var root = Parse(body);
        if (root.Name.LocalName != "Tagging" || root.Elements().Any(e => e.Name.LocalName != "TagSet") || Children(root, "TagSet").Count() != 1)
        {
            throw new S3Exception(S3Error.MalformedXML);
        }
        var tags = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var tag in Children(root, "TagSet").Single().Elements())
        {
            if (tag.Name.LocalName != "Tag" || ChildValue(tag, "Key") is not { } key || tag.Elements().Any(e => e.Name.LocalName is not ("Key" or "Value")))
            {
                throw new S3Exception(S3Error.MalformedXML);
            }
            Add(tags, key, ChildValue(tag, "Value") ?? "");
        }
        Check(tags.Count, maxTags, maxTags == MaxObjectTags ? "Object" : "Bucket");
        return tags;
    }

    public static XElement ToXml(IReadOnlyDictionary<string, string> tags) =>
        El("Tagging", El("TagSet", tags.Select(t => El("Tag", El("Key", t.Key), El("Value", t.Value)))));

    /// <summary>Adds a tag under S3's rules (also a lifecycle filter's tags): InvalidTag for a bad or repeated key or value.</summary>
    public static void Add(Dictionary<string, string> tags, string key, string value)
    {
        if (key.Length is 0 or > 128 || !IsAllowed(key))
        {
            throw new S3Exception(S3Error.InvalidTag, key.Length > 128 ? "The TagKey you have provided is too long, max 128" : "The TagKey you have provided is invalid");
        }
        if (value.Length > 256 || !IsAllowed(value))
        {
            throw new S3Exception(S3Error.InvalidTag, value.Length > 256 ? "The TagValue you have provided is too long, max 256" : "The TagValue you have provided is invalid");
        }
        if (key.StartsWith("aws:", StringComparison.OrdinalIgnoreCase))
        {
            throw new S3Exception(S3Error.InvalidTag, "Your TagKey cannot be prefixed with aws:");
        }
        if (!tags.TryAdd(key, value))
        {
            throw new S3Exception(S3Error.InvalidTag, "Cannot provide multiple Tags with the same key");
        }
    }

    private static void Check(int count, int max, string what)
    {
        if (count > max)
        {
            throw new S3Exception(S3Error.InvalidTag, $"{what} tags cannot be greater than {max}");
        }
    }

    private static bool IsAllowed(string text)
    {
        foreach (char c in text)
        {
            if (!(char.IsLetterOrDigit(c) || char.IsWhiteSpace(c) || c is '+' or '-' or '=' or '.' or '_' or ':' or '/' or '@'))
            {
                return false;
            }
        }
        return true;
    }
}
