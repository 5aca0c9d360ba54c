using Microsoft.AspNetCore.Http;
using ObjStore.Core;
using ObjStore.S3.Protocol;

namespace ObjStore.S3.Handlers;

/// <summary>
/// What the headers of a write (PutObject, CopyObject, CreateMultipartUpload) say about the object: content type,
/// the stored standard headers, user metadata and storage class.
/// </summary>
internal static class ObjectAttributes
{
    private const int MaxUserMetadataBytes = 2048;

    private static readonly string[] StoredHeaders = ["Cache-Control", "Content-Disposition", "Content-Encoding", "Content-Language", "Expires"];

    /// <summary>The request as the object layer needs it: bucket, key, content type, stored headers, metadata.</summary>
    public static PutObjectRequest FromHeaders(Call call) => FromHeaders(call.Http.Headers, call.Bucket, call.Key);

    /// <summary>The same from any headers: a browser form's fields stand for a PUT's headers.</summary>
    public static PutObjectRequest FromHeaders(IHeaderDictionary requestHeaders, string bucket, string key)
    {
        UnimplementedHeaders.Reject(requestHeaders);
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var name in StoredHeaders)
        {
            if (requestHeaders[name].ToString() is { Length: > 0 } value)
            {
                if (name == "Content-Encoding")
                {
                    value = WithoutAwsChunked(value);
                    if (value.Length == 0)
                    {
                        continue;
                    }
                }
                headers[name] = HeaderValues.RequireStorable(name, value);
            }
        }
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        int metadataBytes = 0;
        foreach (var (name, values) in requestHeaders)
        {
            if (name.StartsWith("x-amz-meta-", StringComparison.OrdinalIgnoreCase))
            {
                string suffix = name["x-amz-meta-".Length..].ToLowerInvariant();
                string value = HeaderValues.RequireStorable(name, HeaderValues.DecodeRfc2047(values.ToString()));
                metadata[suffix] = value;
                metadataBytes += System.Text.Encoding.UTF8.GetByteCount(suffix) + System.Text.Encoding.UTF8.GetByteCount(value);
            }
        }
        if (metadataBytes > MaxUserMetadataBytes)
        {
            throw new S3Exception(S3Error.MetadataTooLarge,
                $"Your metadata headers exceed the maximum allowed metadata size ({MaxUserMetadataBytes} bytes).");
        }
        string storageClass = requestHeaders["x-amz-storage-class"].ToString() is { Length: > 0 } sc ? sc : "STANDARD";
        switch (storageClass)
        {
            // Every byte is stored the same way whatever the class: the class is kept and reported, as a label.
            case "STANDARD" or "REDUCED_REDUNDANCY" or "STANDARD_IA" or "ONEZONE_IA" or "INTELLIGENT_TIERING" or "GLACIER_IR" or "OUTPOSTS" or "EXPRESS_ONEZONE":
                break;
            // Archived objects cannot be read until restored: a label would make clients treat readable objects as
            // archived (aws s3 cp and sync skip GLACIER objects) and ask for RestoreObject, which does not exist here.
            case "GLACIER" or "DEEP_ARCHIVE":
                throw new S3Exception(S3Error.NotImplemented, $"The archive storage class {storageClass} (objects restored with RestoreObject) is not implemented.");
            default:
                throw new S3Exception(S3Error.InvalidStorageClass, "The storage class you specified is not valid");
        }
        return new PutObjectRequest
        {
            Tags = Tagging.FromHeader(requestHeaders["x-amz-tagging"].ToString()),
            Bucket = bucket,
            Key = key,
            Metadata = new ObjectMetadata
            {
                ContentType = requestHeaders.ContentType.ToString() is { Length: > 0 } type ? HeaderValues.RequireStorable("Content-Type", type) : "binary/octet-stream",
                Headers = headers,
                UserMetadata = metadata,
                StorageClass = storageClass,
            },
        };
    }

    /// <summary>
    /// The stored Content-Encoding: the client's value byte for byte (a GET answers it as it was sent), less the
    /// aws-chunked coding and its separator, which are the transfer's framing, not a property of the object.
    /// </summary>
    private static string WithoutAwsChunked(string contentEncoding)
    {
        if (!contentEncoding.Contains("aws-chunked", StringComparison.OrdinalIgnoreCase))
        {
            return contentEncoding;
        }
        var codings = contentEncoding.Split(',').Where(c => !c.Trim().Equals("aws-chunked", StringComparison.OrdinalIgnoreCase));
        return string.Join(",", codings).Trim();
    }
}
