using Microsoft.AspNetCore.Http;
using ObjStore.Core;

namespace ObjStore.S3.Protocol;

/// <summary>Conditional requests: If-* on reads and writes, x-amz-copy-source-if-* on copies.</summary>
internal static class Conditions
{
    /// <summary>A GET or HEAD's conditions: a failed If-Match or If-Unmodified-Since is 412, the others 304.</summary>
    public static void CheckRead(IHeaderDictionary headers, ObjectInfo info) =>
        Check(headers, info, "If-Match", "If-None-Match", "If-Modified-Since", "If-Unmodified-Since", isRead: true);

    /// <summary>A copy's conditions on its source: every failure is 412.</summary>
    public static void CheckCopySource(IHeaderDictionary headers, ObjectInfo source) =>
        Check(headers, source, "x-amz-copy-source-if-match", "x-amz-copy-source-if-none-match",
            "x-amz-copy-source-if-modified-since", "x-amz-copy-source-if-unmodified-since", isRead: false);

    /// <summary>A write's If-Match, which the object layer checks as it commits; null when absent.</summary>
    public static string? WriteIfMatch(IHeaderDictionary headers) =>
        headers.IfMatch.ToString() is { Length: > 0 } ifMatch ? ifMatch : null;

    /// <summary>A write's If-None-Match: *, commit only where no object is.</summary>
    public static bool WriteIfNoneMatchAny(IHeaderDictionary headers) => headers.IfNoneMatch.ToString().Trim() == "*";

    /// <summary>
    /// S3's conditional rules: If-Match failing is 412 and wins over If-Unmodified-Since; If-None-Match matching is
    /// 304 on reads (412 on copies) and wins over If-Modified-Since.
    /// </summary>
    private static void Check(IHeaderDictionary headers, ObjectInfo info, string ifMatch, string ifNoneMatch, string ifModifiedSince, string ifUnmodifiedSince, bool isRead)
    {
        string match = headers[ifMatch].ToString();
        string noneMatch = headers[ifNoneMatch].ToString();
        var lastModified = TruncateToSeconds(info.LastModified);
        if (match.Length > 0)
        {
            if (!ETagListMatches(match, info.ETag))
            {
                throw new S3Exception(S3Error.PreconditionFailed);
            }
        }
        else if (HttpDates.Parse(headers[ifUnmodifiedSince].ToString()) is { } unmodifiedSince && lastModified > unmodifiedSince)
        {
            throw new S3Exception(S3Error.PreconditionFailed);
        }
        if (noneMatch.Length > 0)
        {
            if (ETagListMatches(noneMatch, info.ETag))
            {
                throw new S3Exception(isRead ? S3Error.NotModified : S3Error.PreconditionFailed);
            }
        }
        else if (HttpDates.Parse(headers[ifModifiedSince].ToString()) is { } modifiedSince && lastModified <= modifiedSince)
        {
            throw new S3Exception(isRead ? S3Error.NotModified : S3Error.PreconditionFailed);
        }
    }

    private static bool ETagListMatches(string list, string etag) =>
        list.Split(',').Select(v => v.Trim()).Select(v => v.StartsWith("W/", StringComparison.Ordinal) ? v[2..] : v)
            .Any(v => v == "*" || v.Trim('"') == etag);

    /// <summary>HTTP-dates have whole seconds; a stored time has more, and must not fail a condition on its date.</summary>
    private static DateTimeOffset TruncateToSeconds(DateTimeOffset value) =>
        new(value.Ticks - (value.Ticks % TimeSpan.TicksPerSecond), TimeSpan.Zero);
}
