using System.Text.Json;

namespace ObjStore.Access.Policies;

/// <summary>
/// The policy grammar, checked element by element with the messages S3 gives in its MalformedPolicy errors.
/// Element names and Effect values are case-sensitive, as in AWS.
/// </summary>
internal static class PolicyParser
{
    public const string NotJson = "Policies must be valid JSON and the first byte must be '{'";

    /// <summary>The version that introduced policy variables; in 2008-10-17 (the default) <c>${...}</c> is literal.</summary>
    private const string CurrentVersion = "2012-10-17";

    private static readonly string[] TopLevelFields = ["Version", "Id", "Statement"];

    private static readonly string[] StatementFields =
        ["Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource", "NotResource", "Condition"];

    private static readonly string[] PrincipalTypes = ["AWS", "CanonicalUser", "Service", "Federated"];

    public static PolicyStatement[] ParseStatements(JsonElement root, PolicyKind kind)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new MalformedPolicyException(NotJson);
        }
        CheckFields(root, TopLevelFields);
        bool variables = false;
        if (root.TryGetProperty("Version", out var version))
        {
            if (version.ValueKind != JsonValueKind.String || version.GetString() is not ("2012-10-17" or "2008-10-17"))
            {
                throw new MalformedPolicyException("The policy must contain a valid version string");
            }
            variables = version.GetString() == CurrentVersion;
        }
        if (root.TryGetProperty("Id", out var id) && id.ValueKind != JsonValueKind.String)
        {
            throw new MalformedPolicyException("Policy Id must be a string");
        }
        if (!root.TryGetProperty("Statement", out var statement))
        {
            throw new MalformedPolicyException("Missing required field Statement");
        }
        var statements = new List<PolicyStatement>();
        if (statement.ValueKind == JsonValueKind.Object)
        {
            statements.Add(ParseStatement(statement, kind, variables));
        }
        else if (statement.ValueKind == JsonValueKind.Array && statement.GetArrayLength() > 0)
        {
            foreach (var item in statement.EnumerateArray())
            {
                if (item.ValueKind != JsonValueKind.Object)
                {
                    throw new MalformedPolicyException("Statement must be an object or an array of objects");
                }
                statements.Add(ParseStatement(item, kind, variables));
            }
        }
        else
        {
            throw new MalformedPolicyException(statement.ValueKind == JsonValueKind.Array
                ? "Missing required field Statement"
                : "Statement must be an object or an array of objects");
        }
        var sids = new HashSet<string>(StringComparer.Ordinal);
        foreach (var parsed in statements)
        {
            if (!string.IsNullOrEmpty(parsed.Sid) && !sids.Add(parsed.Sid))
            {
                throw new MalformedPolicyException("Statement IDs (SID) in a single policy must be unique");
            }
        }
        return [.. statements];
    }

    private static void CheckFields(JsonElement element, string[] known)
    {
        foreach (var property in element.EnumerateObject())
        {
            if (Array.IndexOf(known, property.Name) < 0)
            {
                throw new MalformedPolicyException("Unknown field " + property.Name);
            }
        }
    }

    private static PolicyStatement ParseStatement(JsonElement element, PolicyKind kind, bool variables)
    {
        CheckFields(element, StatementFields);

        string? sid = null;
        if (element.TryGetProperty("Sid", out var sidElement))
        {
            sid = sidElement.ValueKind == JsonValueKind.String
                ? sidElement.GetString()
                : throw new MalformedPolicyException("Statement ID (SID) must be a string");
        }

        if (!element.TryGetProperty("Effect", out var effect))
        {
            throw new MalformedPolicyException("Missing required field Effect");
        }
        string effectText = effect.ValueKind == JsonValueKind.String ? effect.GetString()! : effect.GetRawText();
        bool deny = effectText switch
        {
            "Allow" => false,
            "Deny" => true,
            _ => throw new MalformedPolicyException("Invalid effect: " + effectText),
        };

        var (principals, notPrincipal) = ParsePrincipal(element, kind);

        var (actionElement, notAction) = OneOf(element, "Action", "NotAction");
        var actions = ParsePatterns(actionElement, "Missing required field Action", "Policy has invalid action", IsValidAction,
            PatternMode.Glob, ignoreCase: true, variables: false);

        var (resourceElement, notResource) = OneOf(element, "Resource", "NotResource");
        var resources = ParsePatterns(resourceElement, "Missing required field Resource", "Policy has invalid resource",
            IsValidResource, PatternMode.Glob, ignoreCase: false, variables);

        var conditions = element.TryGetProperty("Condition", out var condition)
            ? ParseConditions(condition, variables)
            : [];

        return new PolicyStatement(sid, deny, principals, notPrincipal, actions, notAction, resources, notResource, conditions);
    }

    /// <summary>Exactly one of an element and its Not form; neither is reported as the missing positive form.</summary>
    private static (JsonElement? Element, bool Not) OneOf(JsonElement statement, string name, string notName)
    {
        bool has = statement.TryGetProperty(name, out var positive);
        bool hasNot = statement.TryGetProperty(notName, out var negative);
        if (has && hasNot)
        {
            throw new MalformedPolicyException($"Statement must not contain both {name} and {notName}");
        }
        return has ? (positive, false) : hasNot ? (negative, true) : (null, false);
    }

    private static (PrincipalSet? Principals, bool Not) ParsePrincipal(JsonElement statement, PolicyKind kind)
    {
        var (element, not) = OneOf(statement, "Principal", "NotPrincipal");
        if (kind == PolicyKind.Identity)
        {
            return element is null
                ? (null, false)
                : throw new MalformedPolicyException("Policy document should not specify a principal.");
        }
        if (element is not { } principal)
        {
            throw new MalformedPolicyException("Missing required field Principal");
        }
        var set = new PrincipalSet();
        if (principal.ValueKind == JsonValueKind.String && principal.GetString() == "*")
        {
            set.AddEveryone();
            return (set, not);
        }
        if (principal.ValueKind != JsonValueKind.Object)
        {
            throw InvalidPrincipal();
        }
        bool any = false;
        foreach (var property in principal.EnumerateObject())
        {
            if (Array.IndexOf(PrincipalTypes, property.Name) < 0)
            {
                throw InvalidPrincipal();
            }
            foreach (string value in ReadStrings(property.Value, InvalidPrincipal))
            {
                if (value.Length == 0)
                {
                    throw InvalidPrincipal();
                }
                if (property.Name == "AWS")
                {
                    set.AddAws(value);
                }
                else if (property.Name == "CanonicalUser")
                {
                    set.AddCanonicalUser(value);
                }
            }
            any = true;
        }
        return any ? (set, not) : throw InvalidPrincipal();
    }

    private static MalformedPolicyException InvalidPrincipal() => new("Invalid principal in policy");

    private static PolicyPattern[] ParsePatterns(JsonElement? element, string missing, string invalid, Func<string, bool> valid,
        PatternMode mode, bool ignoreCase, bool variables)
    {
        if (element is not { } value)
        {
            throw new MalformedPolicyException(missing);
        }
        var strings = ReadStrings(value, () => new MalformedPolicyException(invalid));
        var patterns = new PolicyPattern[strings.Count];
        for (int i = 0; i < strings.Count; i++)
        {
            patterns[i] = valid(strings[i])
                ? PolicyPattern.Compile(strings[i], mode, ignoreCase, variables)
                : throw new MalformedPolicyException(invalid);
        }
        return patterns;
    }

    /// <summary>A string, or a non-empty array of strings.</summary>
    private static List<string> ReadStrings(JsonElement element, Func<MalformedPolicyException> invalid)
    {
        var strings = new List<string>();
        if (element.ValueKind == JsonValueKind.String)
        {
            strings.Add(element.GetString()!);
        }
        else if (element.ValueKind == JsonValueKind.Array && element.GetArrayLength() > 0)
        {
            foreach (var item in element.EnumerateArray())
            {
                strings.Add(item.ValueKind == JsonValueKind.String ? item.GetString()! : throw invalid());
            }
        }
        else
        {
            throw invalid();
        }
        return strings;
    }

    /// <summary>"*", or service:action where both parts are non-empty and may carry wildcards.</summary>
    private static bool IsValidAction(string action)
    {
        if (action == "*")
        {
            return true;
        }
        int colon = action.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0 || colon == action.Length - 1 || action.IndexOf(':', colon + 1) >= 0)
        {
            return false;
        }
        foreach (char c in action)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is ':' or '*' or '?' or '-' or '_'))
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>"*", or an ARN with its six components (arn:partition:service:region:account:resource).</summary>
    private static bool IsValidResource(string resource)
    {
        if (resource == "*")
        {
            return true;
        }
        if (!resource.StartsWith("arn:", StringComparison.Ordinal))
        {
            return false;
        }
        int colons = 0;
        foreach (char c in resource)
        {
            colons += c == ':' ? 1 : 0;
        }
        return colons >= 5;
    }

    private static ConditionClause[] ParseConditions(JsonElement condition, bool variables)
    {
        if (condition.ValueKind != JsonValueKind.Object)
        {
            throw new MalformedPolicyException("Invalid Condition");
        }
        var clauses = new List<ConditionClause>();
        foreach (var block in condition.EnumerateObject())
        {
            if (block.Value.ValueKind != JsonValueKind.Object)
            {
                throw new MalformedPolicyException("Invalid Condition");
            }
            bool any = false;
            foreach (var key in block.Value.EnumerateObject())
            {
                if (key.Name.Length == 0)
                {
                    throw new MalformedPolicyException("Invalid Condition");
                }
                clauses.Add(ConditionClause.Create(block.Name, key.Name, ReadConditionValues(key.Value), variables));
                any = true;
            }
            if (!any)
            {
                // An empty block would be vacuously true, so a typo'd policy would grant (or deny) unconditionally.
                throw new MalformedPolicyException("Invalid Condition");
            }
        }
        return [.. clauses];
    }

    /// <summary>Condition values may be written as strings, numbers or booleans; all compare as their text.</summary>
    private static string[] ReadConditionValues(JsonElement element)
    {
        if (element.ValueKind != JsonValueKind.Array)
        {
            return [ConditionValue(element)];
        }
        if (element.GetArrayLength() == 0)
        {
            throw new MalformedPolicyException("Invalid Condition");
        }
        var values = new string[element.GetArrayLength()];
        int i = 0;
        foreach (var item in element.EnumerateArray())
        {
            values[i++] = ConditionValue(item);
        }
        return values;
    }

    private static string ConditionValue(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.String => element.GetString()!,
        JsonValueKind.Number => element.GetRawText(),
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        _ => throw new MalformedPolicyException("Invalid Condition"),
    };
}
