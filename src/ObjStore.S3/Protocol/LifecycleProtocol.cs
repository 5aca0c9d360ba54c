using System.Globalization;
using System.Security.Cryptography;
using System.Xml.Linq;
using ObjStore.Lifecycle;
using static ObjStore.S3.Protocol.Xml;

namespace ObjStore.S3.Protocol;

/// <summary>
/// The LifecycleConfiguration document of Put/GetBucketLifecycleConfiguration, validated with AWS's errors: the shape
/// (unknown or repeated elements, a Filter with two predicates outside And, a rule with both Filter and Prefix, a bad
/// Status) is MalformedXML; bad values (days not positive, a Date not at midnight, too long or repeated ids) are
/// InvalidArgument; forbidden combinations (no action, tags with ExpiredObjectDeleteMarker or with
/// AbortIncompleteMultipartUpload) are InvalidRequest. Transitions need a second storage class, which this store
/// does not have: InvalidStorageClass.
/// </summary>
internal static class LifecycleProtocol
{
    private const int MaxIdLength = 255;
    private const int MaxNewerNoncurrentVersions = 100;
    private static readonly string[] StorageClasses =
        ["STANDARD", "REDUCED_REDUNDANCY", "STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING", "GLACIER", "DEEP_ARCHIVE", "GLACIER_IR"];

    public static readonly string[] TransitionMinimumSizes = ["all_storage_classes_128K", "varies_by_storage_class"];

    public static LifecycleConfiguration FromXml(byte[] body)
    {
        var root = Parse(body);
        if (root.Name.LocalName != "LifecycleConfiguration" || root.Elements().Any(e => e.Name.LocalName != "Rule"))
        {
            throw Malformed();
        }
        var rules = root.Elements().Select(ParseRule).ToList();
        if (rules.Count is 0 or > LifecycleConfiguration.MaxRules)
        {
            throw Malformed(rules.Count == 0 ? null : $"The number of lifecycle rules must not exceed {LifecycleConfiguration.MaxRules}.");
        }
        var ids = new HashSet<string>(StringComparer.Ordinal);
        if (rules.Any(r => !ids.Add(r.Id)))
        {
            throw new S3Exception(S3Error.InvalidArgument, "Rule ID must be unique. Found same ID for more than one rule");
        }
        return new LifecycleConfiguration(rules);
    }

    private static LifecycleRule ParseRule(XElement rule)
    {
        string[] known = ["ID", "Filter", "Prefix", "Status", "Expiration", "Transition", "NoncurrentVersionTransition", "NoncurrentVersionExpiration", "AbortIncompleteMultipartUpload"];
        var names = rule.Elements().Select(e => e.Name.LocalName).ToList();
        if (names.Any(n => !known.Contains(n)) || names.Where(n => n is not ("Transition" or "NoncurrentVersionTransition")).GroupBy(n => n).Any(g => g.Count() > 1))
        {
            throw Malformed();
        }
        string id = Single(rule, "ID")?.Value is { Length: > 0 } given ? given : NewRuleId();
        if (id.Length > MaxIdLength)
        {
            throw new S3Exception(S3Error.InvalidArgument, "ID length should not exceed allowed limit of 255");
        }
        bool enabled = Single(rule, "Status")?.Value switch
        {
            "Enabled" => true,
            "Disabled" => false,
            _ => throw Malformed(),
        };
        var filter = (Single(rule, "Filter"), Single(rule, "Prefix")) switch
        {
            ({ } f, null) => ParseFilter(f),
            (null, { } p) => new LifecycleFilter { Shape = FilterShape.RulePrefix, Prefix = CheckPrefix(p.Value) },
            _ => throw Malformed(),
        };
        if (Single(rule, "Transition") is not null || Single(rule, "NoncurrentVersionTransition") is not null)
        {
            foreach (var transition in rule.Elements().Where(e => e.Name.LocalName is "Transition" or "NoncurrentVersionTransition"))
            {
                if (!StorageClasses.Contains(ChildValue(transition, "StorageClass")))
                {
                    throw Malformed();
                }
            }
            throw new S3Exception(S3Error.InvalidStorageClass,
                "The storage class you specified is not valid: this store has one storage class (STANDARD), so lifecycle transitions have nowhere to go.");
        }
        var parsed = new LifecycleRule
        {
            Id = id,
            Enabled = enabled,
            Filter = filter,
            Expiration = Single(rule, "Expiration") is { } e ? ParseExpiration(e) : null,
            NoncurrentExpiration = Single(rule, "NoncurrentVersionExpiration") is { } n ? ParseNoncurrent(n) : null,
            AbortIncompleteUploadDays = Single(rule, "AbortIncompleteMultipartUpload") is { } a
                ? PositiveDays(a, "DaysAfterInitiation", "AbortIncompleteMultipartUpload", required: true)
                : null,
        };
        if (parsed.Expiration is null && parsed.NoncurrentExpiration is null && parsed.AbortIncompleteUploadDays is null)
        {
            throw new S3Exception(S3Error.InvalidRequest, "At least one action needs to be specified in a rule");
        }
        if (parsed.Expiration?.ExpiredObjectDeleteMarker == true && filter.Tags.Count > 0)
        {
            throw new S3Exception(S3Error.InvalidRequest, "ExpiredObjectDeleteMarker cannot be specified with Tags.");
        }
        if (parsed.AbortIncompleteUploadDays is not null && filter.Tags.Count > 0)
        {
            throw new S3Exception(S3Error.InvalidRequest, "AbortIncompleteMultipartUpload cannot be specified with Tags.");
        }
        if (parsed.AbortIncompleteUploadDays is not null && (filter.ObjectSizeGreaterThan is not null || filter.ObjectSizeLessThan is not null))
        {
            throw new S3Exception(S3Error.InvalidRequest, "AbortIncompleteMultipartUpload cannot be specified with an object size filter.");
        }
        return parsed;
    }

    private static LifecycleFilter ParseFilter(XElement filter)
    {
        var predicates = filter.Elements().ToList();
        if (predicates.Count == 0)
        {
            return new LifecycleFilter { Shape = FilterShape.Empty };
        }
        if (predicates.Count > 1)
        {
            throw Malformed(); // two predicates need And
        }
        var predicate = predicates[0];
        return predicate.Name.LocalName switch
        {
            "And" => ParseAnd(predicate),
            "Prefix" => new LifecycleFilter { Shape = FilterShape.Prefix, Prefix = CheckPrefix(predicate.Value) },
            "Tag" => new LifecycleFilter { Shape = FilterShape.Tag, Tags = ParseTags([predicate]) },
            "ObjectSizeGreaterThan" => Sized(new LifecycleFilter { Shape = FilterShape.ObjectSizeGreaterThan, ObjectSizeGreaterThan = Size(predicate) }),
            "ObjectSizeLessThan" => Sized(new LifecycleFilter { Shape = FilterShape.ObjectSizeLessThan, ObjectSizeLessThan = Size(predicate) }),
            _ => throw Malformed(),
        };
    }

    private static LifecycleFilter ParseAnd(XElement and)
    {
        var names = and.Elements().Select(e => e.Name.LocalName).ToList();
        if (names.Any(n => n is not ("Prefix" or "Tag" or "ObjectSizeGreaterThan" or "ObjectSizeLessThan"))
            || names.Where(n => n != "Tag").GroupBy(n => n).Any(g => g.Count() > 1)
            || names.Count < 2)
        {
            throw Malformed(); // And joins two or more predicates, each at most once but tags
        }
        return Sized(new LifecycleFilter
        {
            Shape = FilterShape.And,
            Prefix = CheckPrefix(ChildValue(and, "Prefix") ?? ""),
            Tags = ParseTags(Children(and, "Tag")),
            ObjectSizeGreaterThan = Single(and, "ObjectSizeGreaterThan") is { } above ? Size(above) : null,
            ObjectSizeLessThan = Single(and, "ObjectSizeLessThan") is { } below ? Size(below) : null,
        });
    }

    private static LifecycleFilter Sized(LifecycleFilter filter) =>
        filter.ObjectSizeGreaterThan is { } above && filter.ObjectSizeLessThan is { } below && above >= below
            ? throw new S3Exception(S3Error.InvalidArgument, "ObjectSizeGreaterThan must be less than ObjectSizeLessThan")
            : filter;

    private static List<LifecycleTag> ParseTags(IEnumerable<XElement> tags)
    {
        var checkedTags = new Dictionary<string, string>(StringComparer.Ordinal);
        var list = new List<LifecycleTag>();
        foreach (var tag in tags)
        {
            if (ChildValue(tag, "Key") is not { } key || tag.Elements().Any(e => e.Name.LocalName is not ("Key" or "Value")))
            {
                throw Malformed();
            }
            string value = ChildValue(tag, "Value") ?? "";
            Tagging.Add(checkedTags, key, value);
            list.Add(new LifecycleTag(key, value));
        }
        return list;
    }

    private static long Size(XElement element) =>
        long.TryParse(element.Value, NumberStyles.None, CultureInfo.InvariantCulture, out long size)
            ? size
            : throw new S3Exception(S3Error.InvalidArgument, $"'{element.Name.LocalName}' must be a non-negative integer");

    private static string CheckPrefix(string prefix) =>
        prefix.Length > 1024 ? throw new S3Exception(S3Error.InvalidRequest, "The maximum size of a prefix is 1024") : prefix;

    private static CurrentVersionExpiration ParseExpiration(XElement expiration)
    {
        var names = expiration.Elements().Select(e => e.Name.LocalName).ToList();
        if (names.Count == 0 || names.Any(n => n is not ("Days" or "Date" or "ExpiredObjectDeleteMarker")) || names.Distinct().Count() != names.Count
            || (names.Contains("Days") && names.Contains("Date")))
        {
            throw Malformed();
        }
        if (names.Contains("ExpiredObjectDeleteMarker") && names.Count > 1)
        {
            throw new S3Exception(S3Error.InvalidArgument, "ExpiredObjectDeleteMarker cannot be specified with Days or Date in a Lifecycle Expiration Policy.");
        }
        return new CurrentVersionExpiration
        {
            Days = PositiveDays(expiration, "Days", "Expiration", required: false),
            Date = Single(expiration, "Date") is { } date ? Midnight(date.Value) : null,
            ExpiredObjectDeleteMarker = Single(expiration, "ExpiredObjectDeleteMarker")?.Value switch
            {
                null or "false" => false,
                "true" => true,
                _ => throw Malformed(),
            },
        };
    }

    private static NoncurrentVersionExpiration ParseNoncurrent(XElement expiration)
    {
        if (expiration.Elements().Any(e => e.Name.LocalName is not ("NoncurrentDays" or "NewerNoncurrentVersions")))
        {
            throw Malformed();
        }
        int days = PositiveDays(expiration, "NoncurrentDays", "NoncurrentVersionExpiration", required: true)!.Value;
        int? newer = null;
        if (Single(expiration, "NewerNoncurrentVersions") is { } element)
        {
            newer = int.TryParse(element.Value, NumberStyles.None, CultureInfo.InvariantCulture, out int count) && count is > 0 and <= MaxNewerNoncurrentVersions
                ? count
                : throw new S3Exception(S3Error.InvalidArgument,
                    $"'NewerNoncurrentVersions' for NoncurrentVersionExpiration action must be a positive integer up to {MaxNewerNoncurrentVersions}");
        }
        return new NoncurrentVersionExpiration(days, newer);
    }

    /// <summary>A whole number of days above 0; not a number at all is MalformedXML, as S3's XML schema says.</summary>
    private static int? PositiveDays(XElement parent, string name, string action, bool required)
    {
        if (Single(parent, name) is not { } element)
        {
            return required ? throw Malformed() : null;
        }
        if (!int.TryParse(element.Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int days))
        {
            throw Malformed();
        }
        return days > 0 ? days : throw new S3Exception(S3Error.InvalidArgument, $"'{name}' for {action} action must be a positive integer");
    }

    private static DateTimeOffset Midnight(string text)
    {
        if (!DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var date))
        {
            throw new S3Exception(S3Error.InvalidArgument, "Invalid date value: the Date must be in ISO 8601 format");
        }
        return date.TimeOfDay == TimeSpan.Zero ? date : throw new S3Exception(S3Error.InvalidArgument, "'Date' must be at midnight GMT");
    }

    private static XElement? Single(XElement parent, string name) => Children(parent, name).FirstOrDefault();

    private static S3Exception Malformed(string? message = null) => message is null ? new(S3Error.MalformedXML) : new(S3Error.MalformedXML, message);

    /// <summary>Like S3, a rule put without an id gets a random one.</summary>
    private static string NewRuleId() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(36));

    public static XElement ToXml(LifecycleConfiguration config) =>
        El("LifecycleConfiguration", config.Rules.Select(RuleXml));

    private static XElement RuleXml(LifecycleRule rule) => El("Rule",
        El("ID", rule.Id),
        rule.Filter.Shape == FilterShape.RulePrefix ? El("Prefix", rule.Filter.Prefix) : FilterXml(rule.Filter),
        El("Status", rule.Enabled ? "Enabled" : "Disabled"),
        rule.Expiration is { } e
            ? El("Expiration",
                e.Days is { } days ? El("Days", days) : null,
                e.Date is { } date ? El("Date", date.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'.000Z'", CultureInfo.InvariantCulture)) : null,
                e.Days is null && e.Date is null ? El("ExpiredObjectDeleteMarker", e.ExpiredObjectDeleteMarker ? "true" : "false") : null)
            : null,
        rule.NoncurrentExpiration is { } n
            ? El("NoncurrentVersionExpiration", El("NoncurrentDays", n.Days), n.NewerNoncurrentVersions is { } newer ? El("NewerNoncurrentVersions", newer) : null)
            : null,
        rule.AbortIncompleteUploadDays is { } abort ? El("AbortIncompleteMultipartUpload", El("DaysAfterInitiation", abort)) : null);

    private static XElement FilterXml(LifecycleFilter filter)
    {
        var tags = filter.Tags.Select(t => El("Tag", El("Key", t.Key), El("Value", t.Value)));
        return El("Filter", filter.Shape switch
        {
            FilterShape.Prefix => El("Prefix", filter.Prefix),
            FilterShape.Tag => tags.Single(),
            FilterShape.ObjectSizeGreaterThan => El("ObjectSizeGreaterThan", filter.ObjectSizeGreaterThan),
            FilterShape.ObjectSizeLessThan => El("ObjectSizeLessThan", filter.ObjectSizeLessThan),
            FilterShape.And => El("And",
                filter.Prefix.Length > 0 ? El("Prefix", filter.Prefix) : null,
                tags,
                filter.ObjectSizeGreaterThan is { } above ? El("ObjectSizeGreaterThan", above) : null,
                filter.ObjectSizeLessThan is { } below ? El("ObjectSizeLessThan", below) : null),
            _ => null,
        });
    }

    /// <summary>
    /// x-amz-expiration: <c>expiry-date="Fri, 21 Dec 2012 00:00:00 GMT", rule-id="ID"</c>, the rule id URL-encoded as
    /// S3 documents (so quotes, commas and non-ASCII in an id never break the header).
    /// </summary>
    public static string ExpirationHeader(DateTimeOffset due, string ruleId) =>
        $"expiry-date=\"{HttpDates.Format(due)}\", rule-id=\"{Uri.EscapeDataString(ruleId)}\"";
}
