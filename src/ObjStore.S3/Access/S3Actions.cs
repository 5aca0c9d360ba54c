using ObjStore.Access;
using ObjStore.S3.Protocol;

namespace ObjStore.S3.Access;

/// <summary>What an action is on: the service (ListAllMyBuckets), a bucket, or an object.</summary>
internal enum ActionTarget
{
    Service,
    Bucket,
    Object,
}

/// <summary>An operation's IAM action, what its resource is, and the ACL permission that can grant it (if any).</summary>
internal readonly record struct ActionSpec(string Action, ActionTarget Target, AclPermission? AclPermission = null);

/// <summary>
/// Every S3 operation to its IAM action, as AWS's "Amazon S3 API operations and the permissions they require" lists
/// them. Operations on a version (a versionId in the query) use the version actions.
/// </summary>
internal static class S3Actions
{
    public static ActionSpec For(S3Operation operation, bool versioned) => operation switch
    {
        S3Operation.ListBuckets => new("s3:ListAllMyBuckets", ActionTarget.Service),
        S3Operation.CreateBucket => new("s3:CreateBucket", ActionTarget.Bucket),
        S3Operation.DeleteBucket => new("s3:DeleteBucket", ActionTarget.Bucket),
        S3Operation.HeadBucket or S3Operation.ListObjects or S3Operation.ListObjectsV2 => new("s3:ListBucket", ActionTarget.Bucket, AclPermission.Read),
        S3Operation.ListObjectVersions => new("s3:ListBucketVersions", ActionTarget.Bucket, AclPermission.Read),
        S3Operation.ListMultipartUploads => new("s3:ListBucketMultipartUploads", ActionTarget.Bucket, AclPermission.Read),
        S3Operation.GetBucketLocation => new("s3:GetBucketLocation", ActionTarget.Bucket),
        S3Operation.GetBucketAcl => new("s3:GetBucketAcl", ActionTarget.Bucket, AclPermission.ReadAcp),
        S3Operation.PutBucketAcl => new("s3:PutBucketAcl", ActionTarget.Bucket, AclPermission.WriteAcp),
        S3Operation.GetBucketPolicy => new("s3:GetBucketPolicy", ActionTarget.Bucket),
        S3Operation.PutBucketPolicy => new("s3:PutBucketPolicy", ActionTarget.Bucket),
        S3Operation.DeleteBucketPolicy => new("s3:DeleteBucketPolicy", ActionTarget.Bucket),
        S3Operation.GetBucketPolicyStatus => new("s3:GetBucketPolicyStatus", ActionTarget.Bucket),
        S3Operation.GetBucketVersioning => new("s3:GetBucketVersioning", ActionTarget.Bucket),
        S3Operation.PutBucketVersioning => new("s3:PutBucketVersioning", ActionTarget.Bucket),
        S3Operation.GetBucketLifecycleConfiguration => new("s3:GetLifecycleConfiguration", ActionTarget.Bucket),
        S3Operation.PutBucketLifecycleConfiguration or S3Operation.DeleteBucketLifecycle => new("s3:PutLifecycleConfiguration", ActionTarget.Bucket),
        S3Operation.GetBucketCors => new("s3:GetBucketCORS", ActionTarget.Bucket),
        S3Operation.PutBucketCors or S3Operation.DeleteBucketCors => new("s3:PutBucketCORS", ActionTarget.Bucket),
        S3Operation.GetBucketTagging => new("s3:GetBucketTagging", ActionTarget.Bucket),
        S3Operation.PutBucketTagging or S3Operation.DeleteBucketTagging => new("s3:PutBucketTagging", ActionTarget.Bucket),
        S3Operation.GetBucketWebsite => new("s3:GetBucketWebsite", ActionTarget.Bucket),
        S3Operation.PutBucketWebsite => new("s3:PutBucketWebsite", ActionTarget.Bucket),
        S3Operation.DeleteBucketWebsite => new("s3:DeleteBucketWebsite", ActionTarget.Bucket),
        S3Operation.GetBucketLogging => new("s3:GetBucketLogging", ActionTarget.Bucket),
        S3Operation.PutBucketLogging => new("s3:PutBucketLogging", ActionTarget.Bucket),
        S3Operation.GetBucketNotificationConfiguration => new("s3:GetBucketNotification", ActionTarget.Bucket),
        S3Operation.PutBucketNotificationConfiguration => new("s3:PutBucketNotification", ActionTarget.Bucket),
        S3Operation.GetBucketReplication => new("s3:GetReplicationConfiguration", ActionTarget.Bucket),
        S3Operation.PutBucketReplication or S3Operation.DeleteBucketReplication => new("s3:PutReplicationConfiguration", ActionTarget.Bucket),
        S3Operation.GetBucketEncryption => new("s3:GetEncryptionConfiguration", ActionTarget.Bucket),
        S3Operation.PutBucketEncryption or S3Operation.DeleteBucketEncryption => new("s3:PutEncryptionConfiguration", ActionTarget.Bucket),
        S3Operation.GetObjectLockConfiguration => new("s3:GetBucketObjectLockConfiguration", ActionTarget.Bucket),
        S3Operation.PutObjectLockConfiguration => new("s3:PutBucketObjectLockConfiguration", ActionTarget.Bucket),
        S3Operation.GetBucketOwnershipControls => new("s3:GetBucketOwnershipControls", ActionTarget.Bucket),
        S3Operation.PutBucketOwnershipControls or S3Operation.DeleteBucketOwnershipControls => new("s3:PutBucketOwnershipControls", ActionTarget.Bucket),
        S3Operation.GetPublicAccessBlock => new("s3:GetBucketPublicAccessBlock", ActionTarget.Bucket),
        S3Operation.PutPublicAccessBlock or S3Operation.DeletePublicAccessBlock => new("s3:PutBucketPublicAccessBlock", ActionTarget.Bucket),
        S3Operation.GetBucketAccelerateConfiguration => new("s3:GetAccelerateConfiguration", ActionTarget.Bucket),
        S3Operation.PutBucketAccelerateConfiguration => new("s3:PutAccelerateConfiguration", ActionTarget.Bucket),
        S3Operation.GetBucketRequestPayment => new("s3:GetBucketRequestPayment", ActionTarget.Bucket),
        S3Operation.PutBucketRequestPayment => new("s3:PutBucketRequestPayment", ActionTarget.Bucket),
        S3Operation.GetBucketAnalyticsConfiguration or S3Operation.ListBucketAnalyticsConfigurations => new("s3:GetAnalyticsConfiguration", ActionTarget.Bucket),
        S3Operation.PutBucketAnalyticsConfiguration or S3Operation.DeleteBucketAnalyticsConfiguration => new("s3:PutAnalyticsConfiguration", ActionTarget.Bucket),
        S3Operation.GetBucketInventoryConfiguration or S3Operation.ListBucketInventoryConfigurations => new("s3:GetInventoryConfiguration", ActionTarget.Bucket),
        S3Operation.PutBucketInventoryConfiguration or S3Operation.DeleteBucketInventoryConfiguration => new("s3:PutInventoryConfiguration", ActionTarget.Bucket),
        S3Operation.GetBucketMetricsConfiguration or S3Operation.ListBucketMetricsConfigurations => new("s3:GetMetricsConfiguration", ActionTarget.Bucket),
        S3Operation.PutBucketMetricsConfiguration or S3Operation.DeleteBucketMetricsConfiguration => new("s3:PutMetricsConfiguration", ActionTarget.Bucket),
        S3Operation.GetBucketIntelligentTieringConfiguration or S3Operation.ListBucketIntelligentTieringConfigurations => new("s3:GetIntelligentTieringConfiguration", ActionTarget.Bucket),
        S3Operation.PutBucketIntelligentTieringConfiguration or S3Operation.DeleteBucketIntelligentTieringConfiguration => new("s3:PutIntelligentTieringConfiguration", ActionTarget.Bucket),

        // Writes to a bucket are WRITE on the bucket's ACL; reads of an object are READ on the object's.
        S3Operation.PutObject or S3Operation.CopyObject or S3Operation.PostObject or S3Operation.CreateMultipartUpload
            or S3Operation.UploadPart or S3Operation.UploadPartCopy or S3Operation.CompleteMultipartUpload
            => new("s3:PutObject", ActionTarget.Object, AclPermission.Write),
        S3Operation.AbortMultipartUpload => new("s3:AbortMultipartUpload", ActionTarget.Object, AclPermission.Write),
        // An upload's parts are not the object at its key: that object's ACL says nothing about them.
        S3Operation.ListParts => new("s3:ListMultipartUploadParts", ActionTarget.Object),
        S3Operation.DeleteObject or S3Operation.DeleteObjects => new(versioned ? "s3:DeleteObjectVersion" : "s3:DeleteObject", ActionTarget.Object, AclPermission.Write),
        S3Operation.GetObject or S3Operation.HeadObject => new(versioned ? "s3:GetObjectVersion" : "s3:GetObject", ActionTarget.Object, AclPermission.Read),
        S3Operation.GetObjectAttributes => new(versioned ? "s3:GetObjectVersionAttributes" : "s3:GetObjectAttributes", ActionTarget.Object, AclPermission.Read),
        S3Operation.GetObjectAcl => new(versioned ? "s3:GetObjectVersionAcl" : "s3:GetObjectAcl", ActionTarget.Object, AclPermission.ReadAcp),
        S3Operation.PutObjectAcl => new(versioned ? "s3:PutObjectVersionAcl" : "s3:PutObjectAcl", ActionTarget.Object, AclPermission.WriteAcp),
        S3Operation.GetObjectTagging => new(versioned ? "s3:GetObjectVersionTagging" : "s3:GetObjectTagging", ActionTarget.Object),
        S3Operation.PutObjectTagging => new(versioned ? "s3:PutObjectVersionTagging" : "s3:PutObjectTagging", ActionTarget.Object),
        S3Operation.DeleteObjectTagging => new(versioned ? "s3:DeleteObjectVersionTagging" : "s3:DeleteObjectTagging", ActionTarget.Object),
        S3Operation.GetObjectRetention => new("s3:GetObjectRetention", ActionTarget.Object),
        S3Operation.PutObjectRetention => new("s3:PutObjectRetention", ActionTarget.Object),
        S3Operation.GetObjectLegalHold => new("s3:GetObjectLegalHold", ActionTarget.Object),
        S3Operation.PutObjectLegalHold => new("s3:PutObjectLegalHold", ActionTarget.Object),
        S3Operation.GetObjectTorrent => new(versioned ? "s3:GetObjectVersionTorrent" : "s3:GetObjectTorrent", ActionTarget.Object),
        S3Operation.RestoreObject => new("s3:RestoreObject", ActionTarget.Object),
        S3Operation.SelectObjectContent => new("s3:GetObject", ActionTarget.Object, AclPermission.Read),
        S3Operation.GetObjectAnnotation => new("s3:GetObjectAnnotation", ActionTarget.Object),
        S3Operation.PutObjectAnnotation => new("s3:PutObjectAnnotation", ActionTarget.Object),
        S3Operation.DeleteObjectAnnotation => new("s3:DeleteObjectAnnotation", ActionTarget.Object),
        S3Operation.ListObjectAnnotations => new("s3:ListObjectAnnotations", ActionTarget.Object),
        // MethodNotAllowed, and the newest operations not implemented (ABAC, metadata tables, sessions, rename,
        // UpdateObjectEncryption): answered after authorization, only the root reaches them.
        _ => new("s3:*", ActionTarget.Service),
    };
}
