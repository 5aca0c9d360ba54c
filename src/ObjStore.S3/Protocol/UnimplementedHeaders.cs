using Microsoft.AspNetCore.Http;

namespace ObjStore.S3.Protocol;

/// <summary>
/// Request headers (and the POST form fields standing for them) that ask for a feature the store does not have yet.
/// Each is refused with 501 NotImplemented naming the feature rather than ignored: ignoring one would answer success
/// for something not done, an object held by nothing that its writer asked to be held, or overwritten where it asked
/// for an append. Headers that change nothing here are not listed (x-amz-request-payer:
/// no one is billed).
/// </summary>
internal static class UnimplementedHeaders
{
    /// <summary>A header name, or the start of a family of them, and the feature it asks for.</summary>
    private readonly record struct Feature(string Prefix, string Name);

    /// <summary>What a request on an object (a write, a copy, a part, a read) may ask for that the store lacks.</summary>
    private static readonly Feature[] ObjectFeatures =
    [
        new("x-amz-website-redirect-location", "Website redirection"),
        // Appends to an existing object (S3 Express One Zone).
        new("x-amz-write-offset-bytes", "Appending to an object"),
        // x-amz-object-lock-event-hold and its -duration-days and -duration-years.
        new("x-amz-object-lock-event-hold", "Object Lock event hold"),
    ];

    /// <summary>Preconditions of DeleteObject: the store would delete whatever the condition said.</summary>
    private static readonly Feature[] DeleteConditions =
    [
        new("If-Match", "Conditional delete"),
        new("x-amz-if-match-", "Conditional delete"), // -last-modified-time, -size
    ];

    /// <summary>Preconditions of CompleteMultipartUpload: the store would overwrite whatever the condition said.</summary>
    private static readonly Feature[] CompletionConditions =
    [
        new("If-Match", "Conditional completion of a multipart upload"),
        new("If-None-Match", "Conditional completion of a multipart upload"),
    ];

    /// <summary>Refuses a request on an object that asks for a feature the store lacks.</summary>
    public static void Reject(IHeaderDictionary headers) => Reject(headers, ObjectFeatures);

    /// <summary>Refuses a DeleteObject with a precondition.</summary>
    public static void RejectConditionalDelete(IHeaderDictionary headers) => Reject(headers, DeleteConditions);

    /// <summary>Refuses a CompleteMultipartUpload with a precondition.</summary>
    public static void RejectConditionalCompletion(IHeaderDictionary headers) => Reject(headers, CompletionConditions);

    private static void Reject(IHeaderDictionary headers, Feature[] features)
    {
        foreach (var name in headers.Keys)
        {
            foreach (var feature in features)
            {
                if (name.StartsWith(feature.Prefix, StringComparison.OrdinalIgnoreCase))
                {
                    throw new S3Exception(S3Error.NotImplemented, $"{feature.Name} ({name.ToLowerInvariant()}) is not implemented.");
                }
            }
        }
    }
}
