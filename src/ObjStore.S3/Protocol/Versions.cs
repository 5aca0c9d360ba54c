using Microsoft.AspNetCore.Http;
using ObjStore.Core;

namespace ObjStore.S3.Protocol;

/// <summary>Version ids in requests and responses, and the answers S3 gives for delete markers.</summary>
internal static class Versions
{
    /// <summary>A versionId from a request: null when absent; InvalidArgument when empty or not an id this store makes.</summary>
    public static string? Parse(string? versionId)
    {
        if (versionId is null)
        {
            return null;
        }
        if (versionId.Length == 0)
        {
            throw new S3Exception(S3Error.InvalidArgument, "Version id cannot be the empty string");
        }
        return VersionIds.IsWellFormed(versionId) ? versionId : throw new S3Exception(S3Error.InvalidArgument, "Invalid version id specified");
    }

    /// <summary>
    /// The version a read answered with (GET, HEAD, a copy's source): named whenever the bucket's versioning was ever
    /// enabled, <c>null</c> included; never in a bucket that never had it.
    /// </summary>
    public static void WriteReadHeader(HttpResponse response, ObjectInfo info, string header = "x-amz-version-id")
    {
        if (info.BucketVersioning != VersioningState.Unversioned)
        {
            response.Headers[header] = info.VersionId;
        }
    }

    /// <summary>The version a write made (PUT, copy, completion): named only when it has an id of its own, as S3 does.</summary>
    public static void WriteWriteHeader(HttpResponse response, ObjectInfo info)
    {
        if (info.VersionId != VersionIds.Null)
        {
            response.Headers["x-amz-version-id"] = info.VersionId;
        }
    }

    /// <summary>
    /// A read that reached a delete marker: 404 NoSuchKey when it is the key's latest version, 405 MethodNotAllowed
    /// when the request named it; both say so in x-amz-delete-marker.
    /// </summary>
    public static S3Exception DeleteMarkerReached(ObjectInfo marker, bool named)
    {
        var headers = new List<KeyValuePair<string, string>>
        {
            new("x-amz-delete-marker", "true"),
            new("x-amz-version-id", marker.VersionId),
        };
        if (!named)
        {
            return new S3Exception(S3Error.NoSuchKey) { Headers = headers };
        }
        headers.Add(new("Last-Modified", HttpDates.Format(marker.LastModified)));
        headers.Add(new("Allow", "DELETE"));
        return new S3Exception(S3Error.MethodNotAllowed, "The specified method is not allowed against this resource.")
        {
            Headers = headers,
            Details = [new("Method", "GET"), new("ResourceType", "DeleteMarker")], // a HEAD's answer has no body
        };
    }
}
