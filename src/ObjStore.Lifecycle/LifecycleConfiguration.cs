using System.Text.Json;
using System.Text.Json.Serialization;

namespace ObjStore.Lifecycle;

/// <summary>
/// A bucket's lifecycle configuration, as validated from PutBucketLifecycleConfiguration and stored (JSON) as the
/// bucket's <c>lifecycle</c> document. The S3 layer owns the XML; this is what the rules mean.
/// </summary>
public sealed record LifecycleConfiguration(IReadOnlyList<LifecycleRule> Rules)
{
    /// <summary>AWS allows this many rules in a configuration.</summary>
    public const int MaxRules = 1000;

    private static readonly JsonSerializerOptions Json = new()
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter() },
    };

    /// <summary>The x-amz-transition-default-minimum-object-size the configuration was put with (echoed on GET).</summary>
    public string? TransitionDefaultMinimumObjectSize { get; init; }

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static LifecycleConfiguration FromJson(string json) =>
        JsonSerializer.Deserialize<LifecycleConfiguration>(json, Json) ?? throw new JsonException("empty lifecycle document");

    /// <summary>The rules that run.</summary>
    public IEnumerable<LifecycleRule> EnabledRules => Rules.Where(r => r.Enabled);

    /// <summary>
    /// The key prefixes a pass over versions must scan: the smallest set covering every enabled rule with a version
    /// action (one "" when any of them applies to the whole bucket), in byte order, none inside another.
    /// </summary>
    public IReadOnlyList<string> VersionScanPrefixes()
    {
        var prefixes = EnabledRules.Where(r => r.Expiration is not null || r.NoncurrentExpiration is not null)
            .Select(r => r.Filter.Prefix).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        var minimal = new List<string>();
        foreach (string prefix in prefixes)
        {
            if (minimal.Count == 0 || !prefix.StartsWith(minimal[^1], StringComparison.Ordinal))
            {
                minimal.Add(prefix);
            }
        }
        return minimal;
    }
}

/// <summary>One rule. <see cref="Id"/> is unique in its configuration (the S3 layer makes one up when none is given).</summary>
public sealed record LifecycleRule
{
    public required string Id { get; init; }

    public bool Enabled { get; init; }

    public LifecycleFilter Filter { get; init; } = new();

    public CurrentVersionExpiration? Expiration { get; init; }

    public NoncurrentVersionExpiration? NoncurrentExpiration { get; init; }

    /// <summary>AbortIncompleteMultipartUpload's DaysAfterInitiation.</summary>
    public int? AbortIncompleteUploadDays { get; init; }
}

/// <summary>How the filter was written, so GetBucketLifecycleConfiguration answers in the shape it was put in.</summary>
public enum FilterShape
{
    /// <summary>The deprecated rule-level Prefix element, without a Filter.</summary>
    RulePrefix,

    /// <summary>An empty Filter: every object.</summary>
    Empty,
    Prefix,
    Tag,
    ObjectSizeGreaterThan,
    ObjectSizeLessThan,
    And,
}

/// <summary>Which versions a rule applies to: all of its predicates hold (a key prefix, tags, object size bounds).</summary>
public sealed record LifecycleFilter
{
    public FilterShape Shape { get; init; } = FilterShape.Empty;

    public string Prefix { get; init; } = "";

    public IReadOnlyList<LifecycleTag> Tags { get; init; } = [];

    /// <summary>The object must be strictly larger than this many bytes.</summary>
    public long? ObjectSizeGreaterThan { get; init; }

    /// <summary>The object must be strictly smaller than this many bytes.</summary>
    public long? ObjectSizeLessThan { get; init; }

    /// <summary>Tags and size bounds see a delete marker as an untagged object of size 0.</summary>
    public bool Matches(string key, long size, IReadOnlyDictionary<string, string> tags)
    {
        if (!key.StartsWith(Prefix, StringComparison.Ordinal)
            || (ObjectSizeGreaterThan is { } above && size <= above)
            || (ObjectSizeLessThan is { } below && size >= below))
        {
            return false;
        }
        foreach (var tag in Tags)
        {
            if (!tags.TryGetValue(tag.Key, out string? value) || value != tag.Value)
            {
                return false;
            }
        }
        return true;
    }
}

public sealed record LifecycleTag(string Key, string Value);

/// <summary>Expiration: the current version expires <see cref="Days"/> after it was written, or on <see cref="Date"/>; or expired delete markers are removed.</summary>
public sealed record CurrentVersionExpiration
{
    public int? Days { get; init; }

    /// <summary>Midnight UTC.</summary>
    public DateTimeOffset? Date { get; init; }

    public bool ExpiredObjectDeleteMarker { get; init; }
}

/// <summary>NoncurrentVersionExpiration: a version expires <see cref="Days"/> after it became noncurrent, keeping the newest <see cref="NewerNoncurrentVersions"/>.</summary>
public sealed record NoncurrentVersionExpiration(int Days, int? NewerNoncurrentVersions = null);
