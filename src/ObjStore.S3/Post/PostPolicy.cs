using System.Globalization;
using System.Text.Json;

namespace ObjStore.S3.Post;

/// <summary>One condition of a POST policy: an exact match or a prefix on a form field, as the policy spelled it.</summary>
/// <param name="Field">The field's name without its <c>$</c>; null when the policy left the <c>$</c> out, which S3 fails.</param>
/// <param name="Text">The condition as S3 quotes it in "Policy Condition failed", simple conditions written as <c>eq</c>.</param>
internal sealed record PostCondition(bool StartsWith, string? Field, string Value, string Text);

/// <summary>
/// A browser form's POST policy (AWS's "POST Policy" page): an expiration and conditions every form field must meet.
/// Parsing refuses what S3 refuses with InvalidPolicyDocument (400); checking a form answers as S3 does, AccessDenied
/// (403) "Invalid according to Policy: ...", which is what S3 sends although its error table names
/// InvalidPolicyDocument for a failed condition.
/// </summary>
internal sealed class PostPolicy
{
    /// <summary>Fields no condition needs to cover (AWS: "except x-amz-signature, file, policy, and ... x-ignore-").</summary>
    private static readonly string[] Uncovered = ["x-amz-signature", "file", "policy"];

    /// <summary>The same for a form signed with SigV2 (AWS: "except AWSAccessKeyId, signature, file, policy, and ... x-ignore-").</summary>
    private static readonly string[] UncoveredSigV2 = ["AWSAccessKeyId", "signature", "file", "policy"];

    /// <summary>
    /// ISO 8601 in UTC only: S3 refuses an offset ("+02:00") and a space for the T, and the documented examples carry
    /// milliseconds or none.
    /// </summary>
    private static readonly string[] ExpirationFormats =
    [
        "yyyy-MM-dd'T'HH:mm:ss'Z'", "yyyy-MM-dd'T'HH:mm:ss.f'Z'", "yyyy-MM-dd'T'HH:mm:ss.ff'Z'", "yyyy-MM-dd'T'HH:mm:ss.fff'Z'",
        "yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", "yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'",
    ];

    private static readonly JsonDocumentOptions JsonOptions = new() { AllowTrailingCommas = true, MaxDepth = 8 };

    private PostPolicy(DateTimeOffset expiration, IReadOnlyList<PostCondition> conditions, (long Min, long Max)? lengthRange, string? lengthRangeFailure)
    {
        Expiration = expiration;
        Conditions = conditions;
        LengthRange = lengthRange;
        _lengthRangeFailure = lengthRangeFailure;
    }

    public DateTimeOffset Expiration { get; }
    public IReadOnlyList<PostCondition> Conditions { get; }

    /// <summary>The file's allowed size, bounds inclusive (S3 accepts 5 and 10 bytes for [5, 10]).</summary>
    public (long Min, long Max)? LengthRange { get; }

    /// <summary>A content-length-range whose bounds are strings but not numbers: S3 fails it as a condition, not a parse.</summary>
    private readonly string? _lengthRangeFailure;

    /// <summary>The policy as the form carried it: base64 of UTF-8 JSON.</summary>
    public static PostPolicy Parse(string base64)
    {
        byte[] json;
        try
        {
            json = Convert.FromBase64String(base64.Trim());
        }
        catch (FormatException)
        {
            throw Invalid("invalid Base64 encoding.");
        }
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, JsonOptions);
        }
        catch (JsonException)
        {
            throw Invalid("Invalid JSON.");
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw Invalid("Invalid JSON.");
            }
            JsonElement? expiration = null, conditions = null;
            foreach (var member in root.EnumerateObject())
            {
                // Member names are case-sensitive: s3-tests expects "EXPIRATION" and "CONDITIONS" to fail.
                switch (member.Name)
                {
                    case "expiration": expiration = member.Value; break;
                    case "conditions": conditions = member.Value; break;
                    default: throw Invalid($"Unexpected: '{member.Name.ToLowerInvariant()}'");
                }
            }
            if (expiration is null)
            {
                throw Invalid("Policy missing expiration.");
            }
            if (conditions is null)
            {
                throw Invalid("Policy missing conditions.");
            }
            if (conditions.Value.ValueKind != JsonValueKind.Array)
            {
                throw Invalid("Invalid 'conditions' value: must be a List.");
            }
            var expires = ParseExpiration(expiration.Value);
            var list = new List<PostCondition>();
            (long, long)? range = null;
            string? rangeFailure = null;
            foreach (var condition in conditions.Value.EnumerateArray())
            {
                switch (condition.ValueKind)
                {
                    case JsonValueKind.Object:
                        list.Add(SimpleCondition(condition));
                        break;
                    case JsonValueKind.Array:
                        if (ArrayCondition(condition, out var lengths, out var failure) is { } parsed)
                        {
                            list.Add(parsed);
                        }
                        else
                        {
                            range = lengths ?? range;
                            rangeFailure ??= failure;
                        }
                        break;
                    default:
                        throw Invalid("Invalid condition test: must be a List or Object.");
                }
            }
            return new PostPolicy(expires, list, range, rangeFailure);
        }
    }

    /// <summary>
    /// Throws unless the form (its fields as sent, <c>${filename}</c> expanded; the bucket is the URL's) meets the
    /// policy at <paramref name="now"/>. The file's length is checked as it streams (<see cref="LengthRange"/>).
    /// <paramref name="signatureV2"/>: the form is signed with SigV2, whose own fields need no condition.
    /// </summary>
    public void Check(PostFields fields, string bucket, DateTimeOffset now, bool signatureV2 = false)
    {
        if (now > Expiration)
        {
            throw Denied("Policy expired.");
        }
        var covered = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var condition in Conditions)
        {
            string? value = condition.Field is null ? null
                : condition.Field.Equals("bucket", StringComparison.OrdinalIgnoreCase) ? bucket
                : fields.Get(condition.Field);
            // A condition on a field the form lacks fails, "" prefix or not (S3 answered so for Content-Type).
            if (value is null || !Matches(condition, value))
            {
                throw Denied("Policy Condition failed: " + condition.Text);
            }
            covered.Add(condition.Field!);
        }
        if (_lengthRangeFailure is not null)
        {
            throw Denied("Policy Condition failed: " + _lengthRangeFailure);
        }
        var uncovered = signatureV2 ? UncoveredSigV2 : Uncovered;
        var extra = fields.Names.Where(name => !covered.Contains(name) && !IsExempt(name, uncovered)).ToList();
        if (extra.Count > 0)
        {
            throw Denied("Extra input fields: " + string.Join(", ", extra));
        }
    }

    private static bool IsExempt(string name, string[] uncovered) =>
        uncovered.Contains(name, StringComparer.OrdinalIgnoreCase) || name.StartsWith("x-ignore-", StringComparison.OrdinalIgnoreCase);

    private static bool Matches(PostCondition condition, string value)
    {
        if (!condition.StartsWith)
        {
            return value == condition.Value; // values are case-sensitive
        }
        if (condition.Field!.Equals("Content-Type", StringComparison.OrdinalIgnoreCase) && value.Contains(','))
        {
            // AWS: a comma-separated list of content types matches when each of them starts with the prefix.
            return value.Split(',').All(v => v.Trim().StartsWith(condition.Value, StringComparison.Ordinal));
        }
        return value.StartsWith(condition.Value, StringComparison.Ordinal);
    }

    private static DateTimeOffset ParseExpiration(JsonElement value)
    {
        string text = value.ValueKind == JsonValueKind.String ? value.GetString()! : value.GetRawText();
        return value.ValueKind == JsonValueKind.String
            && DateTimeOffset.TryParseExact(text, ExpirationFormats, CultureInfo.InvariantCulture,
                DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var parsed)
            ? parsed
            : throw Invalid($"Invalid 'expiration' value: '{text}'");
    }

    /// <summary><c>{"acl": "public-read"}</c>: exactly one member, whose value is a string.</summary>
    private static PostCondition SimpleCondition(JsonElement condition)
    {
        var members = condition.EnumerateObject().ToList();
        if (members.Count != 1)
        {
            throw Invalid("Invalid Simple-Condition: Simple-Conditions must have exactly one property specified.");
        }
        var member = members[0];
        if (member.Value.ValueKind == JsonValueKind.Null)
        {
            throw Invalid("Invalid JSON."); // what S3 answered for {"success_action_redirect": null}
        }
        if (member.Value.ValueKind != JsonValueKind.String)
        {
            throw Invalid("Invalid Simple-Condition: value must be a string.");
        }
        string value = member.Value.GetString()!;
        return new PostCondition(false, member.Name, value, Quote("eq", "$" + member.Name, value));
    }

    /// <summary>
    /// <c>["eq", "$f", "v"]</c>, <c>["starts-with", "$f", "p"]</c> or <c>["content-length-range", min, max]</c>; the last
    /// yields no condition but its bounds, or the text of a condition that fails every form.
    /// </summary>
    private static PostCondition? ArrayCondition(JsonElement condition, out (long, long)? lengths, out string? failure)
    {
        lengths = null;
        failure = null;
        var items = condition.EnumerateArray().ToList();
        if (items.Count == 0 || items[0].ValueKind != JsonValueKind.String)
        {
            throw Invalid("Invalid Condition: missing operation identifier.");
        }
        string operation = items[0].GetString()!;
        string op = operation.ToLowerInvariant(); // s3-tests sends "StArTs-WiTh"
        if (op is not ("eq" or "starts-with" or "content-length-range"))
        {
            throw Invalid($"Invalid Condition: unknown operation '{operation}'.");
        }
        if (items.Count != 3)
        {
            throw Invalid($"Invalid {op}: wrong number of arguments.");
        }
        if (op == "content-length-range")
        {
            if (Bound(items[1]) is { } min && Bound(items[2]) is { } max)
            {
                if (min < 0 || max < 0)
                {
                    throw Invalid("Invalid content-length-range: the bounds must not be negative.");
                }
                lengths = (min, max);
            }
            else
            {
                failure = Quote(operation, Text(items[1]), Text(items[2]));
            }
            return null;
        }
        if (items[1].ValueKind != JsonValueKind.String || items[2].ValueKind != JsonValueKind.String)
        {
            throw Invalid("Invalid JSON.");
        }
        string name = items[1].GetString()!, value = items[2].GetString()!;
        return new PostCondition(op == "starts-with", name.StartsWith('$') ? name[1..] : null, value, Quote(operation, name, value));
    }

    /// <summary>An integer, or a string of one (S3 accepts <c>"5"</c>); a fraction is not JSON S3 takes.</summary>
    private static long? Bound(JsonElement item)
    {
        if (item.ValueKind == JsonValueKind.Number)
        {
            return item.TryGetInt64(out long n) ? n : throw Invalid("Invalid JSON.");
        }
        if (item.ValueKind == JsonValueKind.String)
        {
            return long.TryParse(item.GetString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long n) ? n : null;
        }
        throw Invalid("Invalid JSON.");
    }

    private static string Text(JsonElement item) => item.ValueKind == JsonValueKind.String ? item.GetString()! : item.GetRawText();

    /// <summary>A condition as S3 prints it: a JSON array with ", " between its strings.</summary>
    private static string Quote(params string[] items) =>
        "[" + string.Join(", ", items.Select(i => JsonSerializer.Serialize(i, QuoteOptions))) + "]";

    private static readonly JsonSerializerOptions QuoteOptions = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static S3Exception Invalid(string reason) => new(S3Error.InvalidPolicyDocument, "Invalid Policy: " + reason);

    private static S3Exception Denied(string reason) => new(S3Error.AccessDenied, "Invalid according to Policy: " + reason);
}
