using System.Text.Json;
using System.Text.Json.Serialization;

namespace ObjStore.Core;

/// <summary>
/// A bucket's compression settings (the <see cref="BucketConfigKinds.Compression"/> document, JSON, set through the
/// admin API): off unless set. An object is compressed when its content type or key matches <see cref="Include"/>
/// (or Include is empty) and matches nothing in <see cref="Exclude"/>. A pattern starting with "." is a key's
/// extension (".log"); one ending in "/*" a content type family ("text/*"); anything else a content type.
/// </summary>
public sealed record CompressionSettings
{
    public const int DefaultLevel = 1;

    [JsonPropertyName("level")] public int Level { get; init; } = DefaultLevel;
    [JsonPropertyName("include")] public IReadOnlyList<string> Include { get; init; } = [];
    [JsonPropertyName("exclude")] public IReadOnlyList<string> Exclude { get; init; } = [];

    /// <summary>Parses and validates a document; ArgumentException says what is wrong.</summary>
    public static CompressionSettings Parse(string json)
    {
        CompressionSettings? settings;
        try
        {
            settings = JsonSerializer.Deserialize<CompressionSettings>(json);
        }
        catch (JsonException e)
        {
            throw new ArgumentException("The compression settings are not valid JSON: " + e.Message, nameof(json), e);
        }
        if (settings is null)
        {
            throw new ArgumentException("The compression settings are empty.", nameof(json));
        }
        if (settings.Level is < 1 or > 19)
        {
            throw new ArgumentException("The compression level is 1 (fastest) to 19.", nameof(json));
        }
        if (settings.Include.Concat(settings.Exclude).Any(p => string.IsNullOrWhiteSpace(p) || p == "."))
        {
            throw new ArgumentException("A pattern is an extension (.log), a content type (application/json) or a family (text/*).", nameof(json));
        }
        return settings;
    }

    public string ToJson() => JsonSerializer.Serialize(this);

    public bool Matches(string key, string? contentType) =>
        (Include.Count == 0 || Include.Any(p => PatternMatches(p, key, contentType))) && !Exclude.Any(p => PatternMatches(p, key, contentType));

    private static bool PatternMatches(string pattern, string key, string? contentType)
    {
        if (pattern.StartsWith('.'))
        {
            return key.EndsWith(pattern, StringComparison.OrdinalIgnoreCase);
        }
        // "text/plain; charset=utf-8" is text/plain.
        string type = (contentType ?? "").Split(';', 2)[0].Trim();
        return pattern.EndsWith("/*", StringComparison.Ordinal)
            ? type.StartsWith(pattern[..^1], StringComparison.OrdinalIgnoreCase)
            : string.Equals(type, pattern, StringComparison.OrdinalIgnoreCase);
    }
}
