using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace ObjStore.Cli;

/// <summary>A value the command cannot use; printed as one line, exit status 2.</summary>
internal sealed class OptionException(string message) : Exception(message);

/// <summary>
/// The options and arguments System.CommandLine parsed for one command, as the commands read them: by the option's
/// name without its dashes, as text. The parser has already refused unknown options, missing values and values its
/// validators reject, so what is read here is what the user typed.
/// </summary>
internal sealed class Options
{
    private readonly Dictionary<string, string?> _values = new(StringComparer.Ordinal);

    public List<string> Positional { get; } = [];

    /// <summary>
    /// The options given on the command line for the invoked command and its parents (admin's --endpoint is one of
    /// admin's, given after `admin status`), and the arguments of the invoked command after <paramref name="words"/>.
    /// </summary>
    public static Options From(ParseResult parsed, IEnumerable<string>? words = null)
    {
        var options = new Options();
        options.Positional.AddRange(words ?? []);
        for (SymbolResult? result = parsed.CommandResult; result is not null; result = result.Parent)
        {
            if (result is not CommandResult command)
            {
                continue;
            }
            foreach (var option in command.Command.Options)
            {
                if (parsed.GetResult(option) is { Implicit: false } given && !options._values.ContainsKey(option.Name.TrimStart('-')))
                {
                    options._values[option.Name.TrimStart('-')] = option.Arity.MaximumNumberOfValues == 0 ? null : given.Tokens is [.., var last] ? last.Value : null;
                }
            }
        }
        foreach (var argument in parsed.CommandResult.Command.Arguments)
        {
            if (parsed.GetResult(argument) is { } given)
            {
                options.Positional.AddRange(given.Tokens.Select(t => t.Value));
            }
        }
        return options;
    }

    /// <summary>The value of "--name VALUE"; null when the option is absent.</summary>
    public string? Get(string name) => _values.TryGetValue(name, out var value) ? value : null;

    public string Get(string name, string fallback) => Get(name) ?? fallback;

    /// <summary>A whole number option, absent as null (the parser checked it is one: <see cref="CommandLine"/>).</summary>
    public int? GetInt(string name) =>
        Get(name) is not { } text ? null
        : int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int value) ? value
        : throw new OptionException($"--{name} expects a whole number, got '{text}'");

    /// <summary>A size option ("1MiB", "64KiB", "1048576"), in bytes; absent as null.</summary>
    public long? GetBytes(string name)
    {
        if (Get(name) is not { } text)
        {
            return null;
        }
        try
        {
            return Bench.SizeRange.ParseBytes(text);
        }
        catch (FormatException e)
        {
            throw new OptionException($"--{name}: {e.Message}");
        }
    }

    /// <summary>Whether "--name" is given (flags take no value: a word after one is an argument).</summary>
    public bool Flag(string name) => _values.ContainsKey(name);

    public double GetDouble(string name, double fallback)
    {
        var text = Get(name);
        if (text is null)
        {
            return fallback;
        }
        return double.TryParse(text, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new OptionException($"--{name} expects a number, got '{text}'");
    }
}
