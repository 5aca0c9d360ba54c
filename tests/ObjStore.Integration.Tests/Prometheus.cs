using System.Globalization;

namespace ObjStore.Integration.Tests;

/// <summary>
/// The Prometheus text exposition format read back (the samples; comments are checked only for their TYPE), so
/// tests assert on values as a scraper sees them rather than on substrings.
/// </summary>
internal sealed class Prometheus
{
    public sealed record Sample(string Name, IReadOnlyDictionary<string, string> Labels, double Value);

    private Prometheus(IReadOnlyList<Sample> samples, IReadOnlyDictionary<string, string> types)
    {
        Samples = samples;
        Types = types;
    }

    public IReadOnlyList<Sample> Samples { get; }

    /// <summary>Metric family name to its # TYPE (counter, gauge, histogram).</summary>
    public IReadOnlyDictionary<string, string> Types { get; }

    public static Prometheus Parse(string text)
    {
        var samples = new List<Sample>();
        var types = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string raw in text.Split('\n'))
        {
            string line = raw.TrimEnd('\r');
            if (line.Length == 0)
            {
                continue;
            }
            if (line.StartsWith("# TYPE ", StringComparison.Ordinal))
            {
                var parts = line.Split(' ');
                types[parts[2]] = parts[3];
                continue;
            }
            if (line[0] == '#')
            {
                continue;
            }
            samples.Add(ParseSample(line));
        }
        return new Prometheus(samples, types);
    }

    private static Sample ParseSample(string line)
    {
        int brace = line.IndexOf('{', StringComparison.Ordinal);
        int space = line.IndexOf(' ', StringComparison.Ordinal);
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        string name;
        string rest;
        if (brace >= 0 && brace < space)
        {
            name = line[..brace];
            int i = brace + 1;
            while (line[i] != '}')
            {
                int eq = line.IndexOf('=', i);
                string label = line[i..eq];
                var value = new System.Text.StringBuilder();
                int j = eq + 2; // past ="
                while (line[j] != '"')
                {
                    if (line[j] == '\\')
                    {
                        j++;
                        value.Append(line[j] == 'n' ? '\n' : line[j]);
                    }
                    else
                    {
                        value.Append(line[j]);
                    }
                    j++;
                }
                labels[label] = value.ToString();
                i = j + 1;
                if (line[i] == ',')
                {
                    i++;
                }
            }
            rest = line[(i + 1)..].Trim();
        }
        else
        {
            name = line[..space];
            rest = line[(space + 1)..].Trim();
        }
        string number = rest.Split(' ')[0]; // a timestamp may follow
        double parsed = number switch
        {
            "+Inf" => double.PositiveInfinity,
            "-Inf" => double.NegativeInfinity,
            "NaN" => double.NaN,
            _ => double.Parse(number, NumberStyles.Float, CultureInfo.InvariantCulture),
        };
        return new Sample(name, labels, parsed);
    }

    /// <summary>The samples of <paramref name="name"/> whose labels include every one given ("label=value").</summary>
    public IReadOnlyList<Sample> Find(string name, params string[] labels) =>
        [.. Samples.Where(s => s.Name == name && labels.All(l =>
        {
            int eq = l.IndexOf('=', StringComparison.Ordinal);
            return s.Labels.TryGetValue(l[..eq], out var v) && v == l[(eq + 1)..];
        }))];

    /// <summary>The one sample of <paramref name="name"/> with these labels; fails when there is none or several.</summary>
    public double Value(string name, params string[] labels)
    {
        var found = Find(name, labels);
        Assert.True(found.Count == 1, $"{found.Count} samples of {name} {{{string.Join(',', labels)}}}");
        return found[0].Value;
    }
}
