using System.Buffers;

namespace ObjStore.Access.Policies;

/// <summary>How a pattern compares with a request value.</summary>
internal enum PatternMode
{
    /// <summary>Whole-string equality (StringEquals): '*' and '?' are ordinary characters.</summary>
    Exact,

    /// <summary>'*' and '?' are wildcards (StringLike, Resource).</summary>
    Glob,

    /// <summary>Wildcards per colon-separated ARN component, so that '*' never spans a ':' (ArnLike).</summary>
    Arn,
}

/// <summary>The outcome of matching a pattern that may name request keys.</summary>
internal enum PatternMatch
{
    NoMatch,
    Match,

    /// <summary>A policy variable names a key the request does not have: AWS treats the statement as not applying.</summary>
    Unresolved,
}

/// <summary>
/// A policy string (action, resource, condition value) compiled once: its characters, wildcards, and policy variables
/// (<c>${aws:username}</c>, <c>${key, 'default'}</c>, the escapes <c>${*}</c>, <c>${?}</c>, <c>${$}</c>). Matching
/// resolves variables into a stack buffer, so a request allocates nothing.
/// </summary>
internal sealed class PolicyPattern
{
    // A compiled pattern is a sequence of ints: a char (>= 0), or one of these wildcards. An escaped ${*} is the char
    // '*', so it never reaches the matcher as a wildcard.
    private const int Star = -1;
    private const int Question = -2;
    private const int StackLimit = 256;

    // Without variables the pattern is fully compiled here; with them, _segments says what to splice in at match time.
    private readonly int[]? _compiled;
    private readonly Segment[]? _segments;
    private readonly string? _literal;
    private readonly PatternMode _mode;
    private readonly bool _ignoreCase;

    private PolicyPattern(string text, PatternMode mode, bool ignoreCase, int[]? compiled, Segment[]? segments)
    {
        Text = text;
        _mode = mode;
        _ignoreCase = ignoreCase;
        _compiled = compiled;
        _segments = segments;
        if (compiled is not null && mode == PatternMode.Exact)
        {
            _literal = new string(Array.ConvertAll(compiled, c => (char)c));
        }
    }

    /// <summary>The pattern as written in the policy.</summary>
    public string Text { get; }

    /// <param name="variables">False for Version 2008-10-17 policies, where AWS reads <c>${...}</c> literally.</param>
    public static PolicyPattern Compile(string text, PatternMode mode, bool ignoreCase, bool variables)
    {
        var segments = new List<Segment>();
        var current = new List<int>();
        int i = 0;
        while (i < text.Length)
        {
            char c = text[i];
            if (variables && c == '$' && i + 1 < text.Length && text[i + 1] == '{')
            {
                int close = text.IndexOf('}', i + 2);
                if (close > 0)
                {
                    string inner = text[(i + 2)..close];
                    if (inner is "*" or "?" or "$")
                    {
                        current.Add(inner[0]);
                        i = close + 1;
                        continue;
                    }
                    if (TryParseVariable(inner, out string key, out string? fallback))
                    {
                        segments.Add(Segment.Chars([.. current]));
                        current.Clear();
                        segments.Add(Segment.Variable(key, fallback));
                        i = close + 1;
                        continue;
                    }
                }
            }
            current.Add(mode != PatternMode.Exact && c == '*' ? Star
                : mode != PatternMode.Exact && c == '?' ? Question
                : ignoreCase ? char.ToUpperInvariant(c) : c);
            i++;
        }
        if (segments.Count == 0)
        {
            return new PolicyPattern(text, mode, ignoreCase, [.. current], null);
        }
        segments.Add(Segment.Chars([.. current]));
        return new PolicyPattern(text, mode, ignoreCase, null, [.. segments]);
    }

    /// <summary>A variable is <c>key</c> or <c>key, 'default'</c>; anything else stays literal text.</summary>
    private static bool TryParseVariable(string inner, out string key, out string? fallback)
    {
        fallback = null;
        int comma = inner.IndexOf(',', StringComparison.Ordinal);
        string name = comma < 0 ? inner : inner[..comma];
        key = name.Trim();
        if (key.Length == 0 || key.Contains(' ', StringComparison.Ordinal))
        {
            return false;
        }
        if (comma >= 0)
        {
            string rest = inner[(comma + 1)..].Trim();
            if (rest.Length < 2 || rest[0] != '\'' || rest[^1] != '\'')
            {
                return false;
            }
            fallback = rest[1..^1];
        }
        return true;
    }

    public PatternMatch Match(string value, ConditionContext context)
    {
        if (_compiled is not null)
        {
            if (_literal is not null)
            {
                return string.Equals(value, _literal, _ignoreCase ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal)
                    ? PatternMatch.Match
                    : PatternMatch.NoMatch;
            }
            return Matches(_compiled, value, _mode, _ignoreCase) ? PatternMatch.Match : PatternMatch.NoMatch;
        }
        return MatchWithVariables(value, context);
    }

    private PatternMatch MatchWithVariables(string value, ConditionContext context)
    {
        var segments = _segments!;
        int length = 0;
        for (int i = 0; i < segments.Length; i++)
        {
            if (segments[i].Key is null)
            {
                length += segments[i].Compiled!.Length;
            }
            else if (Resolve(segments[i], context) is { } resolved)
            {
                length += resolved.Length;
            }
            else
            {
                return PatternMatch.Unresolved;
            }
        }

        int[]? rented = length > StackLimit ? ArrayPool<int>.Shared.Rent(length) : null;
        Span<int> buffer = rented is null ? stackalloc int[StackLimit] : rented;
        buffer = buffer[..length];
        int at = 0;
        for (int i = 0; i < segments.Length; i++)
        {
            if (segments[i].Key is null)
            {
                segments[i].Compiled!.CopyTo(buffer[at..]);
                at += segments[i].Compiled!.Length;
            }
            else
            {
                // A value substituted for a variable is literal text: a user name cannot smuggle in a wildcard.
                string resolved = Resolve(segments[i], context)!;
                for (int j = 0; j < resolved.Length; j++)
                {
                    buffer[at++] = _ignoreCase ? char.ToUpperInvariant(resolved[j]) : resolved[j];
                }
            }
        }
        bool matched = Matches(buffer, value, _mode, _ignoreCase);
        if (rented is not null)
        {
            ArrayPool<int>.Shared.Return(rented);
        }
        return matched ? PatternMatch.Match : PatternMatch.NoMatch;
    }

    /// <summary>A variable resolves only to a key with exactly one value (AWS cannot substitute a set).</summary>
    private static string? Resolve(Segment segment, ConditionContext context) =>
        context.TryGet(segment.Key!, out var values) && values.Count == 1 ? values[0] : segment.Fallback;

    private static bool Matches(ReadOnlySpan<int> pattern, ReadOnlySpan<char> text, PatternMode mode, bool ignoreCase)
    {
        switch (mode)
        {
            case PatternMode.Exact:
                if (pattern.Length != text.Length)
                {
                    return false;
                }
                for (int i = 0; i < text.Length; i++)
                {
                    if (pattern[i] != Fold(text[i], ignoreCase))
                    {
                        return false;
                    }
                }
                return true;
            case PatternMode.Glob:
                return Glob(pattern, text, ignoreCase);
            default:
                return ArnGlob(pattern, text, ignoreCase);
        }
    }

    /// <summary>
    /// ARNs compare component by component (arn:partition:service:region:account:resource); the resource, the sixth,
    /// keeps its own colons. A lone '*' matches any value.
    /// </summary>
    private static bool ArnGlob(ReadOnlySpan<int> pattern, ReadOnlySpan<char> text, bool ignoreCase)
    {
        if (pattern is [Star])
        {
            return true;
        }
        for (int component = 0; component < 5; component++)
        {
            int p = pattern.IndexOf(':');
            int t = text.IndexOf(':');
            if (p < 0 || t < 0)
            {
                return false;
            }
            if (!Glob(pattern[..p], text[..t], ignoreCase))
            {
                return false;
            }
            pattern = pattern[(p + 1)..];
            text = text[(t + 1)..];
        }
        return Glob(pattern, text, ignoreCase);
    }

    /// <summary>The classic linear-backtracking wildcard match: only the most recent '*' is ever revisited.</summary>
    private static bool Glob(ReadOnlySpan<int> pattern, ReadOnlySpan<char> text, bool ignoreCase)
    {
        int p = 0, t = 0, starP = -1, starT = 0;
        while (t < text.Length)
        {
            if (p < pattern.Length && (pattern[p] == Question || pattern[p] == Fold(text[t], ignoreCase)))
            {
                p++;
                t++;
            }
            else if (p < pattern.Length && pattern[p] == Star)
            {
                starP = p++;
                starT = t;
            }
            else if (starP >= 0)
            {
                p = starP + 1;
                t = ++starT;
            }
            else
            {
                return false;
            }
        }
        while (p < pattern.Length && pattern[p] == Star)
        {
            p++;
        }
        return p == pattern.Length;
    }

    private static int Fold(char c, bool ignoreCase) => ignoreCase ? char.ToUpperInvariant(c) : c;

    private readonly record struct Segment(int[]? Compiled, string? Key, string? Fallback)
    {
        public static Segment Chars(int[] compiled) => new(compiled, null, null);

        public static Segment Variable(string key, string? fallback) => new(null, key, fallback);
    }
}
