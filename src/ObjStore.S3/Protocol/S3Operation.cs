namespace ObjStore.S3.Protocol;

/// <summary>Every S3 operation the router can name, after AWS's API names. Unknown ones answer NotImplemented.</summary>
public enum S3Operation
{
    ListBuckets,
    CreateBucket,
    DeleteBucket,
    HeadBucket,
    GetBucketLocation,
    ListObjects,
    ListObjectsV2,
    DeleteObjects,
    PutObject,
    CopyObject,
    GetObject,
    HeadObject,
    DeleteObject,
    CreateMultipartUpload,
    UploadPart,
    UploadPartCopy,
    CompleteMultipartUpload,
    AbortMultipartUpload,
    ListParts,
    ListMultipartUploads,
    NotImplemented,
    MethodNotAllowed,
}

/// <summary>Method + bucket + key + sub-resource query names to one <see cref="S3Operation"/>, decided once.</summary>
public static class S3Router
{
    private static readonly HashSet<string> UnsupportedBucketSubresources = new(StringComparer.Ordinal)
    {
        "acl", "policy", "versioning", "versions", "lifecycle", "cors", "tagging", "website", "logging", "notification",
        "replication", "encryption", "object-lock", "ownershipControls", "publicAccessBlock", "accelerate", "requestPayment",
        "analytics", "inventory", "metrics", "intelligent-tiering", "policyStatus",
    };

    private static readonly HashSet<string> UnsupportedObjectSubresources = new(StringComparer.Ordinal)
    {
        "acl", "tagging", "retention", "legal-hold", "torrent", "restore", "select", "attributes",
    };

    public static S3Operation Route(string method, string? bucket, string? key, ISet<string> query, bool hasCopySource)
    {
        if (bucket is null)
        {
            return method is "GET" or "HEAD" ? S3Operation.ListBuckets : S3Operation.MethodNotAllowed;
        }
        if (key is null)
        {
            if (query.Overlaps(UnsupportedBucketSubresources))
            {
                return S3Operation.NotImplemented;
            }
            return method switch
            {
                "GET" when query.Contains("location") => S3Operation.GetBucketLocation,
                "GET" when query.Contains("uploads") => S3Operation.ListMultipartUploads,
                "GET" when query.Contains("list-type") => S3Operation.ListObjectsV2,
                "GET" => S3Operation.ListObjects,
                "HEAD" => S3Operation.HeadBucket,
                "PUT" => S3Operation.CreateBucket,
                "DELETE" => S3Operation.DeleteBucket,
                "POST" when query.Contains("delete") => S3Operation.DeleteObjects,
                _ => S3Operation.MethodNotAllowed,
            };
        }
        if (query.Overlaps(UnsupportedObjectSubresources))
        {
            return S3Operation.NotImplemented;
        }
        bool upload = query.Contains("uploadId");
        return method switch
        {
            "GET" when upload => S3Operation.ListParts,
            "GET" => S3Operation.GetObject,
            "HEAD" => S3Operation.HeadObject,
            "PUT" when upload && hasCopySource => S3Operation.UploadPartCopy,
            "PUT" when upload => S3Operation.UploadPart,
            "PUT" when hasCopySource => S3Operation.CopyObject,
            "PUT" => S3Operation.PutObject,
            "POST" when query.Contains("uploads") => S3Operation.CreateMultipartUpload,
            "POST" when upload => S3Operation.CompleteMultipartUpload,
            "DELETE" when upload => S3Operation.AbortMultipartUpload,
            "DELETE" => S3Operation.DeleteObject,
            _ => S3Operation.MethodNotAllowed,
        };
    }
}
