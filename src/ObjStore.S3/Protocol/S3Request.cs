using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace ObjStore.S3.Protocol;

/// <summary>The parts of an HTTP request S3 cares about, parsed once: decoded path, query pairs, bucket and key.</summary>
public sealed class S3Request
{
    private S3Request(string path, List<KeyValuePair<string, string>> query, string? bucket, string? key)
    {
        Path = path;
        Query = query;
        Bucket = bucket;
        Key = key;
        QueryNames = query.Select(q => q.Key).ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>The percent-decoded path as the client sent it (the signature covers it).</summary>
    public string Path { get; }

    public IReadOnlyList<KeyValuePair<string, string>> Query { get; }
    public HashSet<string> QueryNames { get; }
    public string? Bucket { get; }
    public string? Key { get; }

    public string? QueryValue(string name) => Query.FirstOrDefault(q => q.Key == name).Value;

    /// <summary>A query parameter that, when given, must be a non-negative integer (max-keys, max-parts, ...).</summary>
    public int QueryInt(string name, int fallback) =>
        QueryValue(name) is not { } value ? fallback
        : int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int parsed) ? parsed
        : throw new S3Exception(S3Error.InvalidArgument, $"Provided {name} not an integer or within integer range");

    /// <summary>The partNumber query parameter, which must be 1 to 10,000.</summary>
    public int PartNumber() =>
        int.TryParse(QueryValue("partNumber"), NumberStyles.None, CultureInfo.InvariantCulture, out int number) && number is >= 1 and <= 10_000
            ? number
            : throw new S3Exception(S3Error.InvalidArgument, "Part number must be an integer between 1 and 10000, inclusive");

    /// <summary>
    /// The request target as sent, still percent-encoded: its path (an absolute-form target's scheme and host
    /// dropped) and its query. Routing and SigV2's signed resource both read it, so they always agree.
    /// </summary>
    public static (string Path, string Query) RawTarget(HttpContext context)
    {
        string rawTarget = context.Features.Get<IHttpRequestFeature>()?.RawTarget is { Length: > 0 } raw ? raw : context.Request.Path + context.Request.QueryString;
        int question = rawTarget.IndexOf('?');
        string rawPath = question < 0 ? rawTarget : rawTarget[..question];
        string rawQuery = question < 0 ? "" : rawTarget[(question + 1)..];
        if (rawPath.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || rawPath.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
        {
            // Absolute-form request target (proxies): keep only the path.
            int slash = rawPath.IndexOf('/', rawPath.IndexOf("//", StringComparison.Ordinal) + 2);
            rawPath = slash < 0 ? "/" : rawPath[slash..];
        }
        return (rawPath, rawQuery);
    }

    /// <summary>The bucket a virtual-hosted-style host names ("bucket.domain" for one of <paramref name="domains"/>); null for path style.</summary>
    public static string? HostBucket(string host, IReadOnlyList<string> domains)
    {
        foreach (var domain in domains)
        {
            if (host.Length > domain.Length + 1 && host.EndsWith("." + domain, StringComparison.OrdinalIgnoreCase))
            {
                return host[..^(domain.Length + 1)];
            }
        }
        return null;
    }

    public static S3Request Parse(HttpContext context, IReadOnlyList<string> domains)
    {
        var (rawPath, rawQuery) = RawTarget(context);
        string path = PercentDecode(rawPath, plusIsSpace: false);
        var query = ParseQuery(rawQuery);
        string? hostBucket = HostBucket(context.Request.Host.Host, domains);

        string? bucket;
        string? key;
        if (hostBucket is not null)
        {
            bucket = hostBucket;
            key = path.Length > 1 ? path[1..] : null;
        }
        else
        {
            string trimmed = path.StartsWith('/') ? path[1..] : path;
            int slash = trimmed.IndexOf('/');
            bucket = slash < 0 ? (trimmed.Length == 0 ? null : trimmed) : trimmed[..slash];
            key = slash < 0 || slash == trimmed.Length - 1 ? null : trimmed[(slash + 1)..];
        }
        return new S3Request(path, query, bucket is null ? null : ClientBucket(bucket), key);
    }

    /// <summary>
    /// The one check every bucket name a client sends passes through (the path, the host name, a copy source, and
    /// whatever names buckets next): the store's own buckets (catalogue backups) do not exist for clients. No client
    /// bucket can be named so (S3 names have no underscore), so the answer is the truthful NoSuchBucket.
    /// </summary>
    public static string ClientBucket(string bucket) =>
        Core.Naming.IsSystemBucket(bucket) ? throw new S3Exception(S3Error.NoSuchBucket) : bucket;

    public static List<KeyValuePair<string, string>> ParseQuery(string rawQuery)
    {
        var pairs = new List<KeyValuePair<string, string>>();
        foreach (var part in rawQuery.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            int eq = part.IndexOf('=');
            string name = PercentDecode(eq < 0 ? part : part[..eq], plusIsSpace: true);
            string value = eq < 0 ? "" : PercentDecode(part[(eq + 1)..], plusIsSpace: true);
            pairs.Add(new(name, value));
        }
        return pairs;
    }

    /// <summary>Strict percent-decoding to UTF-8; invalid escapes or invalid UTF-8 are a bad request.</summary>
    public static string PercentDecode(string value, bool plusIsSpace)
    {
        if (!value.Contains('%') && !(plusIsSpace && value.Contains('+')))
        {
            return value;
        }
        var bytes = new List<byte>(value.Length);
        Span<byte> scratch = stackalloc byte[4];
        for (int i = 0; i < value.Length; i++)
        {
            char c = value[i];
            if (c == '%')
            {
                if (i + 2 >= value.Length || !char.IsAsciiHexDigit(value[i + 1]) || !char.IsAsciiHexDigit(value[i + 2]))
                {
                    throw new S3Exception(S3Error.InvalidArgument, "The request URI has an invalid percent-encoding.");
                }
                bytes.Add(Convert.ToByte(value.Substring(i + 1, 2), 16));
                i += 2;
            }
            else if (c == '+' && plusIsSpace)
            {
                bytes.Add((byte)' ');
            }
            else
            {
                int n = Encoding.UTF8.GetBytes(value.AsSpan(i, char.IsHighSurrogate(c) && i + 1 < value.Length ? 2 : 1), scratch);
                if (char.IsHighSurrogate(c))
                {
                    i++;
                }
                for (int b = 0; b < n; b++)
                {
                    bytes.Add(scratch[b]);
                }
            }
        }
        try
        {
            return Core.Naming.StrictUtf8.GetString(bytes.ToArray());
        }
        catch (DecoderFallbackException)
        {
            throw new S3Exception(S3Error.InvalidURI, "The request URI is not valid UTF-8.");
        }
    }
}
