namespace ObjStore.S3.Protocol;

/// <summary>
/// Every S3 operation the router can name, by its AWS API name, implemented or not: a request for one that is not
/// answers 501 NotImplemented naming it ("PutBucketVersioning is not implemented"), in the response and the log.
/// </summary>
public enum S3Operation
{
    ListBuckets,
    CreateBucket,
    DeleteBucket,
    HeadBucket,
    GetBucketLocation,
    ListObjects,
    ListObjectsV2,
    ListObjectVersions,
    DeleteObjects,
    PostObject,
    PutObject,
    CopyObject,
    GetObject,
    HeadObject,
    DeleteObject,
    GetObjectAttributes,
    CreateMultipartUpload,
    UploadPart,
    UploadPartCopy,
    CompleteMultipartUpload,
    AbortMultipartUpload,
    ListParts,
    ListMultipartUploads,

    GetBucketAcl, PutBucketAcl,
    GetBucketPolicy, PutBucketPolicy, DeleteBucketPolicy, GetBucketPolicyStatus,
    GetBucketVersioning, PutBucketVersioning,
    GetBucketLifecycleConfiguration, PutBucketLifecycleConfiguration, DeleteBucketLifecycle,
    GetBucketCors, PutBucketCors, DeleteBucketCors,
    GetBucketTagging, PutBucketTagging, DeleteBucketTagging,
    GetBucketWebsite, PutBucketWebsite, DeleteBucketWebsite,
    GetBucketLogging, PutBucketLogging,
    GetBucketNotificationConfiguration, PutBucketNotificationConfiguration,
    GetBucketReplication, PutBucketReplication, DeleteBucketReplication,
    GetBucketEncryption, PutBucketEncryption, DeleteBucketEncryption,
    GetObjectLockConfiguration, PutObjectLockConfiguration,
    GetBucketOwnershipControls, PutBucketOwnershipControls, DeleteBucketOwnershipControls,
    GetPublicAccessBlock, PutPublicAccessBlock, DeletePublicAccessBlock,
    GetBucketAccelerateConfiguration, PutBucketAccelerateConfiguration,
    GetBucketRequestPayment, PutBucketRequestPayment,
    GetBucketAnalyticsConfiguration, PutBucketAnalyticsConfiguration, DeleteBucketAnalyticsConfiguration, ListBucketAnalyticsConfigurations,
    GetBucketInventoryConfiguration, PutBucketInventoryConfiguration, DeleteBucketInventoryConfiguration, ListBucketInventoryConfigurations,
    GetBucketMetricsConfiguration, PutBucketMetricsConfiguration, DeleteBucketMetricsConfiguration, ListBucketMetricsConfigurations,
    GetBucketIntelligentTieringConfiguration, PutBucketIntelligentTieringConfiguration, DeleteBucketIntelligentTieringConfiguration, ListBucketIntelligentTieringConfigurations,
    GetBucketAbac, PutBucketAbac,
    GetBucketMetadataConfiguration, CreateBucketMetadataConfiguration, DeleteBucketMetadataConfiguration,
    GetBucketMetadataTableConfiguration, CreateBucketMetadataTableConfiguration, DeleteBucketMetadataTableConfiguration,
    UpdateBucketMetadataInventoryTableConfiguration, UpdateBucketMetadataJournalTableConfiguration, UpdateBucketMetadataAnnotationTableConfiguration,
    CreateSession,

    GetObjectAcl, PutObjectAcl,
    GetObjectTagging, PutObjectTagging, DeleteObjectTagging,
    GetObjectRetention, PutObjectRetention,
    GetObjectLegalHold, PutObjectLegalHold,
    GetObjectTorrent,
    RestoreObject,
    SelectObjectContent,
    GetObjectAnnotation, PutObjectAnnotation, DeleteObjectAnnotation, ListObjectAnnotations,
    RenameObject,
    UpdateObjectEncryption,

    MethodNotAllowed,
}

/// <summary>Method + bucket + key + sub-resource query names to one <see cref="S3Operation"/>, decided once.</summary>
public static class S3Router
{
    /// <summary>Bucket sub-resources, in the order they are looked for, and the operation of each method.</summary>
    private static readonly (string Name, (string Method, S3Operation Operation)[] Methods)[] BucketSubresources =
    [
        ("location", [("GET", S3Operation.GetBucketLocation)]),
        ("uploads", [("GET", S3Operation.ListMultipartUploads)]),
        ("versions", [("GET", S3Operation.ListObjectVersions)]),
        ("delete", [("POST", S3Operation.DeleteObjects)]),
        ("acl", [("GET", S3Operation.GetBucketAcl), ("PUT", S3Operation.PutBucketAcl)]),
        ("policyStatus", [("GET", S3Operation.GetBucketPolicyStatus)]),
        ("policy", [("GET", S3Operation.GetBucketPolicy), ("PUT", S3Operation.PutBucketPolicy), ("DELETE", S3Operation.DeleteBucketPolicy)]),
        ("versioning", [("GET", S3Operation.GetBucketVersioning), ("PUT", S3Operation.PutBucketVersioning)]),
        ("lifecycle", [("GET", S3Operation.GetBucketLifecycleConfiguration), ("PUT", S3Operation.PutBucketLifecycleConfiguration), ("DELETE", S3Operation.DeleteBucketLifecycle)]),
        ("cors", [("GET", S3Operation.GetBucketCors), ("PUT", S3Operation.PutBucketCors), ("DELETE", S3Operation.DeleteBucketCors)]),
        ("tagging", [("GET", S3Operation.GetBucketTagging), ("PUT", S3Operation.PutBucketTagging), ("DELETE", S3Operation.DeleteBucketTagging)]),
        ("website", [("GET", S3Operation.GetBucketWebsite), ("PUT", S3Operation.PutBucketWebsite), ("DELETE", S3Operation.DeleteBucketWebsite)]),
        ("logging", [("GET", S3Operation.GetBucketLogging), ("PUT", S3Operation.PutBucketLogging)]),
        ("notification", [("GET", S3Operation.GetBucketNotificationConfiguration), ("PUT", S3Operation.PutBucketNotificationConfiguration)]),
        ("replication", [("GET", S3Operation.GetBucketReplication), ("PUT", S3Operation.PutBucketReplication), ("DELETE", S3Operation.DeleteBucketReplication)]),
        ("encryption", [("GET", S3Operation.GetBucketEncryption), ("PUT", S3Operation.PutBucketEncryption), ("DELETE", S3Operation.DeleteBucketEncryption)]),
        ("object-lock", [("GET", S3Operation.GetObjectLockConfiguration), ("PUT", S3Operation.PutObjectLockConfiguration)]),
        ("ownershipControls", [("GET", S3Operation.GetBucketOwnershipControls), ("PUT", S3Operation.PutBucketOwnershipControls), ("DELETE", S3Operation.DeleteBucketOwnershipControls)]),
        ("publicAccessBlock", [("GET", S3Operation.GetPublicAccessBlock), ("PUT", S3Operation.PutPublicAccessBlock), ("DELETE", S3Operation.DeletePublicAccessBlock)]),
        ("accelerate", [("GET", S3Operation.GetBucketAccelerateConfiguration), ("PUT", S3Operation.PutBucketAccelerateConfiguration)]),
        ("requestPayment", [("GET", S3Operation.GetBucketRequestPayment), ("PUT", S3Operation.PutBucketRequestPayment)]),
        // Newer sub-resources, named so they answer 501 instead of falling through to ListObjects or, for a PUT,
        // to CreateBucket.
        ("abac", [("GET", S3Operation.GetBucketAbac), ("PUT", S3Operation.PutBucketAbac)]),
        ("metadataConfiguration", [("GET", S3Operation.GetBucketMetadataConfiguration), ("POST", S3Operation.CreateBucketMetadataConfiguration), ("DELETE", S3Operation.DeleteBucketMetadataConfiguration)]),
        ("metadataTable", [("GET", S3Operation.GetBucketMetadataTableConfiguration), ("POST", S3Operation.CreateBucketMetadataTableConfiguration), ("DELETE", S3Operation.DeleteBucketMetadataTableConfiguration)]),
        ("metadataInventoryTable", [("PUT", S3Operation.UpdateBucketMetadataInventoryTableConfiguration)]),
        ("metadataJournalTable", [("PUT", S3Operation.UpdateBucketMetadataJournalTableConfiguration)]),
        ("metadataAnnotationTable", [("PUT", S3Operation.UpdateBucketMetadataAnnotationTableConfiguration)]),
        ("session", [("GET", S3Operation.CreateSession)]),
    ];

    /// <summary>
    /// Sub-resources kept by name: GET with the naming parameter reads one, without it lists them. Bucket
    /// configurations are named by "id", an object's annotations by "annotationName".
    /// </summary>
    private static readonly (string Name, string Id, S3Operation Get, S3Operation Put, S3Operation Delete, S3Operation List)[] IdentifiedConfigurations =
    [
        ("analytics", "id", S3Operation.GetBucketAnalyticsConfiguration, S3Operation.PutBucketAnalyticsConfiguration, S3Operation.DeleteBucketAnalyticsConfiguration, S3Operation.ListBucketAnalyticsConfigurations),
        ("inventory", "id", S3Operation.GetBucketInventoryConfiguration, S3Operation.PutBucketInventoryConfiguration, S3Operation.DeleteBucketInventoryConfiguration, S3Operation.ListBucketInventoryConfigurations),
        ("metrics", "id", S3Operation.GetBucketMetricsConfiguration, S3Operation.PutBucketMetricsConfiguration, S3Operation.DeleteBucketMetricsConfiguration, S3Operation.ListBucketMetricsConfigurations),
        ("intelligent-tiering", "id", S3Operation.GetBucketIntelligentTieringConfiguration, S3Operation.PutBucketIntelligentTieringConfiguration, S3Operation.DeleteBucketIntelligentTieringConfiguration, S3Operation.ListBucketIntelligentTieringConfigurations),
    ];

    private static readonly (string Name, string Id, S3Operation Get, S3Operation Put, S3Operation Delete, S3Operation List)[] ObjectAnnotations =
    [
        ("annotation", "annotationName", S3Operation.GetObjectAnnotation, S3Operation.PutObjectAnnotation, S3Operation.DeleteObjectAnnotation, S3Operation.ListObjectAnnotations),
    ];

    private static readonly (string Name, (string Method, S3Operation Operation)[] Methods)[] ObjectSubresources =
    [
        ("acl", [("GET", S3Operation.GetObjectAcl), ("PUT", S3Operation.PutObjectAcl)]),
        ("tagging", [("GET", S3Operation.GetObjectTagging), ("PUT", S3Operation.PutObjectTagging), ("DELETE", S3Operation.DeleteObjectTagging)]),
        ("retention", [("GET", S3Operation.GetObjectRetention), ("PUT", S3Operation.PutObjectRetention)]),
        ("legal-hold", [("GET", S3Operation.GetObjectLegalHold), ("PUT", S3Operation.PutObjectLegalHold)]),
        ("torrent", [("GET", S3Operation.GetObjectTorrent)]),
        ("restore", [("POST", S3Operation.RestoreObject)]),
        ("select", [("POST", S3Operation.SelectObjectContent)]),
        ("attributes", [("GET", S3Operation.GetObjectAttributes)]),
        // A PUT of these is no PutObject: routed as one, it would overwrite the object.
        ("renameObject", [("PUT", S3Operation.RenameObject)]),
        ("encryption", [("PUT", S3Operation.UpdateObjectEncryption)]),
    ];

    public static S3Operation Route(string method, string? bucket, string? key, ISet<string> query, bool hasCopySource)
    {
        if (bucket is null)
        {
            return method is "GET" or "HEAD" ? S3Operation.ListBuckets : S3Operation.MethodNotAllowed;
        }
        if (key is null)
        {
            if ((Subresource(BucketSubresources, method, query) ?? Identified(IdentifiedConfigurations, method, query)) is { } named)
            {
                return named;
            }
            return method switch
            {
                "GET" when query.Contains("list-type") => S3Operation.ListObjectsV2,
                "GET" => S3Operation.ListObjects,
                "HEAD" => S3Operation.HeadBucket,
                "PUT" => S3Operation.CreateBucket,
                "DELETE" => S3Operation.DeleteBucket,
                "POST" => S3Operation.PostObject, // a browser's form upload
                _ => S3Operation.MethodNotAllowed,
            };
        }
        if ((Subresource(ObjectSubresources, method, query) ?? Identified(ObjectAnnotations, method, query)) is { } objectNamed)
        {
            return objectNamed;
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

    /// <summary>The operation on a sub-resource kept by name, if the query names one.</summary>
    private static S3Operation? Identified(
        (string Name, string Id, S3Operation Get, S3Operation Put, S3Operation Delete, S3Operation List)[] table, string method, ISet<string> query)
    {
        foreach (var (name, id, get, put, delete, list) in table)
        {
            if (query.Contains(name))
            {
                return method switch
                {
                    "GET" => query.Contains(id) ? get : list,
                    "PUT" => put,
                    "DELETE" => delete,
                    _ => S3Operation.MethodNotAllowed,
                };
            }
        }
        return null;
    }

    /// <summary>The operation of the first sub-resource the query names; MethodNotAllowed for a method it lacks.</summary>
    private static S3Operation? Subresource((string Name, (string Method, S3Operation Operation)[] Methods)[] table, string method, ISet<string> query)
    {
        foreach (var (name, methods) in table)
        {
            if (query.Contains(name))
            {
                foreach (var (m, operation) in methods)
                {
                    if (m == method)
                    {
                        return operation;
                    }
                }
                return S3Operation.MethodNotAllowed;
            }
        }
        return null;
    }
}
