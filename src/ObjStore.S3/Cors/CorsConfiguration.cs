using System.Globalization;
using System.Text;
using System.Xml.Linq;
using ObjStore.S3.Protocol;
using static ObjStore.S3.Protocol.Xml;

namespace ObjStore.S3.Cors;

/// <summary>One CORSRule, its lists in the order the client gave them.</summary>
public sealed record CorsRule(
    string? Id,
    IReadOnlyList<string> AllowedOrigins,
    IReadOnlyList<string> AllowedMethods,
    IReadOnlyList<string> AllowedHeaders,
    IReadOnlyList<string> ExposeHeaders,
    int? MaxAgeSeconds);

/// <summary>
/// A bucket's CORSConfiguration: parsed and validated as S3 does on PutBucketCors, kept as its canonical XML, and
/// evaluated as S3 evaluates it (the first rule that matches wins, the others are not looked at).
/// </summary>
public sealed class CorsConfiguration
{
    public const int MaxRules = 100;
    public const int MaxIdLength = 255;

    /// <summary>The methods a rule may allow: S3 serves no other through CORS.</summary>
    private static readonly string[] SupportedMethods = ["GET", "PUT", "HEAD", "POST", "DELETE"];

    private CorsConfiguration(IReadOnlyList<CorsRule> rules) => Rules = rules;

    public IReadOnlyList<CorsRule> Rules { get; }

    public static bool IsSupportedMethod(string method) => SupportedMethods.Contains(method, StringComparer.Ordinal);

    /// <summary>A PutBucketCors body; MalformedXML for anything the schema refuses, InvalidRequest for what S3's rules do.</summary>
    public static CorsConfiguration Parse(byte[] body)
    {
        var root = Xml.Parse(body);
        if (root.Name.LocalName != "CORSConfiguration" || root.Elements().Any(e => e.Name.LocalName != "CORSRule"))
        {
            throw new S3Exception(S3Error.MalformedXML);
        }
        var rules = root.Elements().Select(ParseRule).ToList();
        if (rules.Count is 0 or > MaxRules)
        {
            throw new S3Exception(S3Error.MalformedXML);
        }
        return new CorsConfiguration(rules);
    }

    /// <summary>
    /// A stored document: what <see cref="ToXml"/> wrote, so it parses as it did when it was put. One that no longer
    /// does (damaged) allows nothing, rather than failing every request that carries an Origin.
    /// </summary>
    public static CorsConfiguration FromStored(string document)
    {
        try
        {
            return Parse(Encoding.UTF8.GetBytes(document));
        }
        catch (S3Exception)
        {
            return new CorsConfiguration([]);
        }
    }

    private static CorsRule ParseRule(XElement rule)
    {
        var origins = new List<string>();
        var methods = new List<string>();
        var headers = new List<string>();
        var expose = new List<string>();
        string? id = null;
        int? maxAge = null;
        foreach (var element in rule.Elements())
        {
            if (element.HasElements)
            {
                throw new S3Exception(S3Error.MalformedXML);
            }
            string value = element.Value.Trim();
            switch (element.Name.LocalName)
            {
                case "AllowedOrigin" when value.Length > 0:
                    if (value.Count(c => c == '*') > 1)
                    {
                        throw new S3Exception(S3Error.InvalidRequest, $"AllowedOrigin \"{value}\" can not have more than one wildcard.");
                    }
                    origins.Add(value);
                    break;
                case "AllowedMethod" when value.Length > 0:
                    if (!IsSupportedMethod(value))
                    {
                        throw new S3Exception(S3Error.InvalidRequest, $"Found unsupported HTTP method in CORS config. Unsupported method is {value}");
                    }
                    methods.Add(value);
                    break;
                case "AllowedHeader" when value.Length > 0:
                    if (value.Count(c => c == '*') > 1)
                    {
                        throw new S3Exception(S3Error.InvalidRequest, $"AllowedHeader \"{value}\" can not have more than one wildcard.");
                    }
                    headers.Add(value);
                    break;
                case "ExposeHeader" when value.Length > 0:
                    expose.Add(value);
                    break;
                case "ID" when id is null:
                    if (value.Length > MaxIdLength)
                    {
                        throw new S3Exception(S3Error.InvalidArgument, $"The ID of a CORSRule must be no longer than {MaxIdLength} characters.");
                    }
                    id = value;
                    break;
                case "MaxAgeSeconds" when maxAge is null:
                    maxAge = int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int seconds)
                        ? seconds
                        : throw new S3Exception(S3Error.MalformedXML);
                    break;
                default:
                    throw new S3Exception(S3Error.MalformedXML);
            }
        }
        if (origins.Count == 0 || methods.Count == 0)
        {
            throw new S3Exception(S3Error.MalformedXML);
        }
        return new CorsRule(id, origins, methods, headers, expose, maxAge);
    }

    /// <summary>The document as GetBucketCors answers it, and as it is stored.</summary>
    public XElement ToXml() => El("CORSConfiguration", Rules.Select(r => El("CORSRule",
        r.Id is null ? null : El("ID", r.Id),
        r.AllowedHeaders.Select(h => El("AllowedHeader", h)),
        r.AllowedMethods.Select(m => El("AllowedMethod", m)),
        r.AllowedOrigins.Select(o => El("AllowedOrigin", o)),
        r.ExposeHeaders.Select(h => El("ExposeHeader", h)),
        r.MaxAgeSeconds is { } age ? El("MaxAgeSeconds", age.ToString(CultureInfo.InvariantCulture)) : null)));

    public string ToDocument() => Encoding.UTF8.GetString(Serialize(ToXml()));

    /// <summary>
    /// The first rule allowing <paramref name="origin"/> to send <paramref name="method"/> with every header of
    /// <paramref name="requestHeaders"/> (a preflight's; an actual request passes none, its headers are not checked).
    /// Also the pattern that matched the origin, which decides whether the answer may say "*".
    /// </summary>
    public (CorsRule Rule, string OriginPattern)? Match(string origin, string method, IReadOnlyList<string> requestHeaders)
    {
        foreach (var rule in Rules)
        {
            string? pattern = rule.AllowedOrigins.FirstOrDefault(o => Wildcard.Matches(o, origin, StringComparison.Ordinal));
            if (pattern is null || !rule.AllowedMethods.Contains(method, StringComparer.Ordinal))
            {
                continue;
            }
            if (requestHeaders.All(h => rule.AllowedHeaders.Any(a => Wildcard.Matches(a, h, StringComparison.OrdinalIgnoreCase))))
            {
                return (rule, pattern);
            }
        }
        return null;
    }
}

/// <summary>CORS patterns: at most one '*', matching any run of characters (none included).</summary>
internal static class Wildcard
{
    public static bool Matches(string pattern, string value, StringComparison comparison)
    {
        int star = pattern.IndexOf('*', StringComparison.Ordinal);
        if (star < 0)
        {
            return string.Equals(pattern, value, comparison);
        }
        var prefix = pattern.AsSpan(0, star);
        var suffix = pattern.AsSpan(star + 1);
        return value.Length >= prefix.Length + suffix.Length
            && value.AsSpan().StartsWith(prefix, comparison)
            && value.AsSpan().EndsWith(suffix, comparison);
    }
}
