namespace ObjStore.Cli;

/// <summary>A bad command line; the message is printed with the usage.</summary>
internal sealed class OptionException(string message) : Exception(message);

/// <summary>"--name value" and "--flag" pairs of a sub-command.</summary>
internal sealed class Options
{
    private readonly Dictionary<string, string?> _values = new(StringComparer.Ordinal);
    private readonly HashSet<string> _read = new(StringComparer.Ordinal);

    public List<string> Positional { get; } = [];

    public static Options Parse(IReadOnlyList<string> args)
    {
        var options = new Options();
        for (int i = 0; i < args.Count; i++)
        {
            string arg = args[i];
            if (!arg.StartsWith("--", StringComparison.Ordinal))
            {
                options.Positional.Add(arg);
                continue;
            }
            string name = arg[2..];
            int eq = name.IndexOf('=');
            if (eq >= 0)
            {
                options._values[name[..eq]] = name[(eq + 1)..];
            }
            else if (i + 1 < args.Count && !args[i + 1].StartsWith("--", StringComparison.Ordinal))
            {
                options._values[name] = args[++i];
            }
            else
            {
                options._values[name] = null;
            }
        }
        return options;
    }

    /// <summary>The value of "--name VALUE"; null when the option is absent, an error when it is given without one.</summary>
    public string? Get(string name)
    {
        _read.Add(name);
        if (!_values.TryGetValue(name, out var value))
        {
            return null;
        }
        return value ?? throw new OptionException($"--{name} needs a value");
    }

    public string Get(string name, string fallback) => Get(name) ?? fallback;

    /// <summary>A whole number option, absent as null; anything else than digits (and a sign) is an error.</summary>
    public int? GetInt(string name) =>
        Get(name) is not { } text ? null
        : int.TryParse(text, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out int value) ? value
        : throw new OptionException($"--{name} expects a whole number, got '{text}'");

    /// <summary>
    /// Whether "--name" is given. A flag takes no value, so a word after it is an error rather than silently taken
    /// for the flag's value (in "admin scrub --wait node-3" the node would be lost and every store scrubbed).
    /// </summary>
    public bool Flag(string name)
    {
        _read.Add(name);
        if (!_values.TryGetValue(name, out var value))
        {
            return false;
        }
        return value is null ? true : throw new OptionException($"--{name} takes no value, but '{value}' follows it (put arguments before options)");
    }

    public double GetDouble(string name, double fallback)
    {
        var text = Get(name);
        if (text is null)
        {
            return fallback;
        }
        return double.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new OptionException($"--{name} expects a number, got '{text}'");
    }

    /// <summary>Rejects options nobody asked for, so a typo is an error rather than a silent default.</summary>
    public void RejectUnknown()
    {
        var unknown = _values.Keys.Where(k => !_read.Contains(k)).ToList();
        if (unknown.Count > 0)
        {
            throw new OptionException($"unknown option(s): {string.Join(", ", unknown.Select(u => "--" + u))}");
        }
    }
}
