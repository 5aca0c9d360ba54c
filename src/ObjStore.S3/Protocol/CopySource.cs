using Microsoft.AspNetCore.Http;
using ObjStore.Core;

namespace ObjStore.S3.Protocol;

/// <summary>The x-amz-copy-source header of CopyObject and UploadPartCopy.</summary>
internal static class CopySource
{
    /// <summary>
    /// The source's bucket, key and version id (null: the latest). A malformed version id is InvalidArgument, except
    /// to CopyObject, which S3 answers InvalidRequest.
    /// </summary>
    public static (string Bucket, string Key, string? VersionId) Parse(string header, bool copyObject)
    {
        string value = header;
        string? versionId = null;
        int question = value.IndexOf('?');
        if (question >= 0)
        {
            if (!value[(question + 1)..].StartsWith("versionId=", StringComparison.Ordinal))
            {
                throw new S3Exception(S3Error.InvalidArgument, "Invalid copy source.");
            }
            versionId = S3Request.PercentDecode(value[(question + 1 + "versionId=".Length)..], plusIsSpace: false);
            if (copyObject && versionId.Length > 0 && !VersionIds.IsWellFormed(versionId))
            {
                throw new S3Exception(S3Error.InvalidRequest);
            }
            versionId = Versions.Parse(versionId);
            value = value[..question];
        }
        value = S3Request.PercentDecode(value, plusIsSpace: false).TrimStart('/');
        int slash = value.IndexOf('/');
        if (slash <= 0 || slash == value.Length - 1)
        {
            throw new S3Exception(S3Error.InvalidArgument, "Copy Source must mention the source bucket and key: sourcebucket/sourcekey");
        }
        return (S3Request.ClientBucket(value[..slash]), value[(slash + 1)..], versionId);
    }

    /// <summary>
    /// The version a copy reads. A source whose latest version is a delete marker does not exist (404); naming a
    /// delete marker by its id is an invalid request, as in S3.
    /// </summary>
    public static async Task<ObjectInfo> ReadAsync(IObjectLayer objects, IHeaderDictionary headers, bool copyObject, CancellationToken ct)
    {
        var (bucket, key, versionId) = Parse(headers["x-amz-copy-source"].ToString(), copyObject);
        var source = await objects.GetObjectInfoAsync(bucket, key, versionId, ct);
        if (!source.IsDeleteMarker)
        {
            return source;
        }
        throw versionId is null
            ? Versions.DeleteMarkerReached(source, named: false)
            : new S3Exception(S3Error.InvalidRequest, "The source of a copy request may not specifically refer to a delete marker by version id.");
    }
}
