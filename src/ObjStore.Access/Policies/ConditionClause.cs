using System.Globalization;

namespace ObjStore.Access.Policies;

internal enum SetQualifier
{
    None,
    ForAnyValue,
    ForAllValues,
}

internal enum OperatorFamily
{
    String,
    Numeric,
    Date,
    Bool,
    Binary,
    IpAddress,
    Arn,
    Null,
}

internal enum Comparison
{
    Equals,
    IgnoreCase,
    Like,
    LessThan,
    LessThanEquals,
    GreaterThan,
    GreaterThanEquals,
}

/// <summary>
/// One key of one operator block (<c>"StringLike": {"s3:prefix": ["home/", "home/*"]}</c>), with its values parsed
/// for its family when the policy is stored. A negated operator (StringNotEquals, NotIpAddress, ...) is the negation of
/// its positive form: a request value matches when it matches none of the listed values.
/// </summary>
internal sealed class ConditionClause
{
    private readonly PolicyPattern[] _patterns = [];
    private readonly double[] _numbers = [];
    private readonly long[] _dates = [];
    private readonly byte[][] _binaries = [];
    private readonly IpRange[] _ranges = [];
    private readonly string[] _texts;

    private ConditionClause(string key, OperatorFamily family, Comparison comparison, bool negated,
        bool ifExists, SetQualifier qualifier, string[] texts, bool variables)
    {
        Key = key;
        Family = family;
        Comparison = comparison;
        Negated = negated;
        IfExists = ifExists;
        Qualifier = qualifier;
        _texts = texts;
        switch (family)
        {
            case OperatorFamily.String:
                var mode = comparison == Comparison.Like ? PatternMode.Glob : PatternMode.Exact;
                _patterns = Array.ConvertAll(texts, t => PolicyPattern.Compile(t, mode, comparison == Comparison.IgnoreCase, variables));
                break;
            case OperatorFamily.Arn:
                _patterns = Array.ConvertAll(texts, t => PolicyPattern.Compile(t, PatternMode.Arn, ignoreCase: false, variables));
                break;
            case OperatorFamily.Numeric:
                _numbers = Array.ConvertAll(texts, t => TryParseNumber(t, out double n) ? n : throw Invalid());
                break;
            case OperatorFamily.Date:
                _dates = Array.ConvertAll(texts, t => TryParseDate(t, out long ticks) ? ticks : throw Invalid());
                break;
            case OperatorFamily.Binary:
                _binaries = Array.ConvertAll(texts, t => TryDecodeBase64(t, out byte[] bytes) ? bytes : throw Invalid());
                break;
            case OperatorFamily.IpAddress:
                _ranges = Array.ConvertAll(texts, t => IpRange.TryParse(t, out var range) ? range : throw Invalid());
                break;
            case OperatorFamily.Null:
                if (Array.Exists(texts, t => !t.Equals("true", StringComparison.OrdinalIgnoreCase) && !t.Equals("false", StringComparison.OrdinalIgnoreCase)))
                {
                    throw Invalid();
                }
                break;
            default:
                break;
        }
    }

    public string Key { get; }

    public OperatorFamily Family { get; }

    public Comparison Comparison { get; }

    public bool Negated { get; }

    public bool IfExists { get; }

    public SetQualifier Qualifier { get; }

    public IReadOnlyList<string> Values => _texts;

    public IReadOnlyList<IpRange> Ranges => _ranges;

    private static MalformedPolicyException Invalid() => new("Invalid Condition");

    /// <exception cref="MalformedPolicyException">An unknown operator, or a value its family cannot read.</exception>
    public static ConditionClause Create(string op, string key, string[] values, bool variables)
    {
        string name = op;
        var qualifier = SetQualifier.None;
        if (name.StartsWith("ForAnyValue:", StringComparison.Ordinal))
        {
            qualifier = SetQualifier.ForAnyValue;
            name = name["ForAnyValue:".Length..];
        }
        else if (name.StartsWith("ForAllValues:", StringComparison.Ordinal))
        {
            qualifier = SetQualifier.ForAllValues;
            name = name["ForAllValues:".Length..];
        }
        bool ifExists = name.EndsWith("IfExists", StringComparison.Ordinal) && name != "Null";
        if (ifExists)
        {
            name = name[..^"IfExists".Length];
        }
        if (!TryParseOperator(name, out var family, out var comparison, out bool negated)
            || (family == OperatorFamily.Null && (qualifier != SetQualifier.None || ifExists)))
        {
            throw new MalformedPolicyException("Invalid Condition type : " + op);
        }
        return new ConditionClause(key, family, comparison, negated, ifExists, qualifier, values, variables);
    }

    private static bool TryParseOperator(string name, out OperatorFamily family, out Comparison comparison, out bool negated)
    {
        negated = false;
        comparison = Comparison.Equals;
        family = OperatorFamily.String;
        switch (name)
        {
            case "StringEquals": return true;
            case "StringNotEquals": negated = true; return true;
            case "StringEqualsIgnoreCase": comparison = Comparison.IgnoreCase; return true;
            case "StringNotEqualsIgnoreCase": comparison = Comparison.IgnoreCase; negated = true; return true;
            case "StringLike": comparison = Comparison.Like; return true;
            case "StringNotLike": comparison = Comparison.Like; negated = true; return true;
            case "Bool": family = OperatorFamily.Bool; return true;
            case "BinaryEquals": family = OperatorFamily.Binary; return true;
            case "IpAddress": family = OperatorFamily.IpAddress; return true;
            case "NotIpAddress": family = OperatorFamily.IpAddress; negated = true; return true;
            case "ArnEquals" or "ArnLike": family = OperatorFamily.Arn; return true;
            case "ArnNotEquals" or "ArnNotLike": family = OperatorFamily.Arn; negated = true; return true;
            case "Null": family = OperatorFamily.Null; return true;
            default:
                break;
        }
        if (name.StartsWith("Numeric", StringComparison.Ordinal))
        {
            family = OperatorFamily.Numeric;
            return TryParseOrdering(name["Numeric".Length..], out comparison, out negated);
        }
        if (name.StartsWith("Date", StringComparison.Ordinal))
        {
            family = OperatorFamily.Date;
            return TryParseOrdering(name["Date".Length..], out comparison, out negated);
        }
        return false;
    }

    private static bool TryParseOrdering(string suffix, out Comparison comparison, out bool negated)
    {
        negated = suffix == "NotEquals";
        comparison = suffix switch
        {
            "LessThan" => Comparison.LessThan,
            "LessThanEquals" => Comparison.LessThanEquals,
            "GreaterThan" => Comparison.GreaterThan,
            "GreaterThanEquals" => Comparison.GreaterThanEquals,
            _ => Comparison.Equals,
        };
        return suffix is "Equals" or "NotEquals" or "LessThan" or "LessThanEquals" or "GreaterThan" or "GreaterThanEquals";
    }

    /// <summary>
    /// Whether the request satisfies this clause. <paramref name="unresolved"/> is set when a policy variable names a
    /// key the request lacks: the caller then treats the whole statement as not applying, as AWS does.
    /// </summary>
    public bool Evaluate(ConditionContext context, ref bool unresolved)
    {
        bool present = context.TryGet(Key, out var values) && values.Count > 0;
        if (Family == OperatorFamily.Null)
        {
            for (int i = 0; i < _texts.Length; i++)
            {
                // "true" asks for the key to be absent, "false" for it to be present.
                if (_texts[i].Equals("true", StringComparison.OrdinalIgnoreCase) != present)
                {
                    return true;
                }
            }
            return false;
        }
        if (!present)
        {
            // IAM: an absent key fails a positive operator and satisfies a negated one; IfExists and ForAllValues
            // (every value of the empty set matches) are satisfied, ForAnyValue (no value matches) is not.
            return IfExists || Qualifier switch
            {
                SetQualifier.ForAllValues => true,
                SetQualifier.ForAnyValue => false,
                _ => Negated,
            };
        }
        switch (Qualifier)
        {
            case SetQualifier.ForAllValues:
                for (int i = 0; i < values.Count; i++)
                {
                    if (MatchesAny(values[i], context, ref unresolved) == Negated)
                    {
                        return false;
                    }
                }
                return true;
            case SetQualifier.ForAnyValue:
                for (int i = 0; i < values.Count; i++)
                {
                    if (MatchesAny(values[i], context, ref unresolved) != Negated)
                    {
                        return true;
                    }
                }
                return false;
            default:
                bool any = false;
                for (int i = 0; i < values.Count && !any; i++)
                {
                    any = MatchesAny(values[i], context, ref unresolved);
                }
                return any != Negated;
        }
    }

    /// <summary>The positive form: does the request value match one of the policy's values?</summary>
    private bool MatchesAny(string value, ConditionContext context, ref bool unresolved)
    {
        switch (Family)
        {
            case OperatorFamily.String:
            case OperatorFamily.Arn:
                // No early exit: an unresolved variable voids the statement whichever value is listed first.
                bool matched = false;
                for (int i = 0; i < _patterns.Length; i++)
                {
                    var result = _patterns[i].Match(value, context);
                    matched |= result == PatternMatch.Match;
                    unresolved |= result == PatternMatch.Unresolved;
                }
                return matched;
            case OperatorFamily.Bool:
                for (int i = 0; i < _texts.Length; i++)
                {
                    if (string.Equals(_texts[i], value, StringComparison.OrdinalIgnoreCase))
                    {
                        return true;
                    }
                }
                return false;
            case OperatorFamily.Numeric:
                if (!TryParseNumber(value, out double number))
                {
                    return false;
                }
                for (int i = 0; i < _numbers.Length; i++)
                {
                    if (Compare(number.CompareTo(_numbers[i])))
                    {
                        return true;
                    }
                }
                return false;
            case OperatorFamily.Date:
                if (!TryParseDate(value, out long ticks))
                {
                    return false;
                }
                for (int i = 0; i < _dates.Length; i++)
                {
                    if (Compare(ticks.CompareTo(_dates[i])))
                    {
                        return true;
                    }
                }
                return false;
            case OperatorFamily.IpAddress:
                if (!IpRange.TryParseAddress(value.AsSpan().Trim(), normalizeMapped: true, out bool v6, out UInt128 address))
                {
                    return false;
                }
                for (int i = 0; i < _ranges.Length; i++)
                {
                    if (_ranges[i].Contains(v6, address))
                    {
                        return true;
                    }
                }
                return false;
            case OperatorFamily.Binary:
                return MatchesBinary(value);
            default:
                return false;
        }
    }

    private bool MatchesBinary(string value)
    {
        Span<byte> buffer = stackalloc byte[256];
        if (value.Length / 4 * 3 > buffer.Length)
        {
            // Only a request value over ~340 characters: no binary condition key of S3 comes near that.
            buffer = new byte[value.Length / 4 * 3 + 3];
        }
        if (!Convert.TryFromBase64String(value, buffer, out int written))
        {
            return false;
        }
        for (int i = 0; i < _binaries.Length; i++)
        {
            if (buffer[..written].SequenceEqual(_binaries[i]))
            {
                return true;
            }
        }
        return false;
    }

    private bool Compare(int order) => Comparison switch
    {
        Comparison.LessThan => order < 0,
        Comparison.LessThanEquals => order <= 0,
        Comparison.GreaterThan => order > 0,
        Comparison.GreaterThanEquals => order >= 0,
        _ => order == 0,
    };

    private static bool TryParseNumber(string text, out double number) =>
        double.TryParse(text, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent,
            CultureInfo.InvariantCulture, out number) && double.IsFinite(number);

    /// <summary>ISO 8601 (a date, or a date and time with Z or an offset) or epoch seconds, as UTC ticks.</summary>
    internal static bool TryParseDate(string text, out long ticks)
    {
        ticks = 0;
        if (text.Length > 0 && IsEpoch(text))
        {
            if (!long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long seconds)
                || seconds < -62135596800L || seconds > 253402300799L)
            {
                return false;
            }
            ticks = DateTimeOffset.FromUnixTimeSeconds(seconds).UtcTicks;
            return true;
        }
        if (!DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture,
                DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var parsed)
            || !text.Contains('-', StringComparison.Ordinal))
        {
            return false;
        }
        ticks = parsed.UtcTicks;
        return true;
    }

    private static bool IsEpoch(string text)
    {
        int start = text[0] == '-' ? 1 : 0;
        if (start == text.Length)
        {
            return false;
        }
        for (int i = start; i < text.Length; i++)
        {
            if (!char.IsAsciiDigit(text[i]))
            {
                return false;
            }
        }
        return true;
    }

    private static bool TryDecodeBase64(string text, out byte[] bytes)
    {
        bytes = new byte[text.Length / 4 * 3 + 3];
        if (!Convert.TryFromBase64String(text, bytes, out int written))
        {
            return false;
        }
        bytes = bytes[..written];
        return true;
    }
}
