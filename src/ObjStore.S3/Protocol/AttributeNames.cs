using Microsoft.AspNetCore.Http;

namespace ObjStore.S3.Protocol;

/// <summary>
/// Headers that name the attributes an answer is to include, as a comma-separated list: x-amz-object-attributes
/// (GetObjectAttributes) and x-amz-optional-object-attributes (the object listings).
/// </summary>
internal static class AttributeNames
{
    /// <summary>The names the header lists, each once; a name not in <paramref name="known"/> is InvalidArgument.</summary>
    public static HashSet<string> Read(IHeaderDictionary headers, string header, IReadOnlyCollection<string> known)
    {
        var names = headers[header].SelectMany(v => (v ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            .ToHashSet(StringComparer.Ordinal);
        if (names.FirstOrDefault(n => !known.Contains(n, StringComparer.Ordinal)) is { } unknown)
        {
            throw new S3Exception(S3Error.InvalidArgument, "Invalid attribute name specified.")
            {
                Details = [new("ArgumentName", header), new("ArgumentValue", unknown)],
            };
        }
        return names;
    }
}
