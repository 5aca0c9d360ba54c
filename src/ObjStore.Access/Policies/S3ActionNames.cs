namespace ObjStore.Access.Policies;

/// <summary>
/// The actions of the Amazon S3 service (AWS's "Actions defined by Amazon S3"), so a bucket policy naming one S3 does
/// not have is refused ("Policy has invalid action") rather than stored to protect nothing.
/// </summary>
internal static class S3ActionNames
{
    private static readonly string[] Names =
    [
        "AbortMultipartUpload", "BypassGovernanceRetention", "CreateAccessPoint", "CreateAccessPointForObjectLambda",
        "CreateBucket", "CreateJob", "CreateMultiRegionAccessPoint", "CreateSession", "CreateStorageLensGroup", "DeleteAccessPoint",
        "DeleteAccessPointForObjectLambda", "DeleteAccessPointPolicy", "DeleteAccessPointPolicyForObjectLambda", "DeleteBucket",
        "DeleteBucketOwnershipControls", "DeleteBucketPolicy", "DeleteBucketWebsite", "DeleteJobTagging", "DeleteMultiRegionAccessPoint",
        "DeleteObject", "DeleteObjectTagging", "DeleteObjectVersion", "DeleteObjectVersionTagging", "DeleteStorageLensConfiguration",
        "DeleteStorageLensConfigurationTagging", "DeleteStorageLensGroup", "DescribeJob", "DescribeMultiRegionAccessPointOperation",
        "GetAccelerateConfiguration", "GetAccessPoint", "GetAccessPointConfigurationForObjectLambda", "GetAccessPointForObjectLambda",
        "GetAccessPointPolicy", "GetAccessPointPolicyForObjectLambda", "GetAccessPointPolicyStatus", "GetAccessPointPolicyStatusForObjectLambda",
        "GetAccountPublicAccessBlock", "GetAnalyticsConfiguration", "GetBucketAcl", "GetBucketCORS", "GetBucketLocation", "GetBucketLogging",
        "GetBucketNotification", "GetBucketObjectLockConfiguration", "GetBucketOwnershipControls", "GetBucketPolicy", "GetBucketPolicyStatus",
        "GetBucketPublicAccessBlock", "GetBucketRequestPayment", "GetBucketTagging", "GetBucketVersioning", "GetBucketWebsite",
        "GetEncryptionConfiguration", "GetIntelligentTieringConfiguration", "GetInventoryConfiguration", "GetJobTagging",
        "GetLifecycleConfiguration", "GetMetricsConfiguration", "GetMultiRegionAccessPoint", "GetMultiRegionAccessPointPolicy",
        "GetMultiRegionAccessPointPolicyStatus", "GetObject", "GetObjectAcl", "GetObjectAttributes", "GetObjectLegalHold",
        "GetObjectRetention", "GetObjectTagging", "GetObjectTorrent", "GetObjectVersion", "GetObjectVersionAcl", "GetObjectVersionAttributes",
        "GetObjectVersionForReplication", "GetObjectVersionTagging", "GetObjectVersionTorrent", "GetReplicationConfiguration",
        "GetStorageLensConfiguration", "GetStorageLensConfigurationTagging", "GetStorageLensDashboard", "GetStorageLensGroup",
        "InitiateReplication", "ListAccessPoints", "ListAccessPointsForObjectLambda", "ListAllMyBuckets", "ListBucket",
        "ListBucketMultipartUploads", "ListBucketVersions", "ListJobs", "ListMultiRegionAccessPoints", "ListMultipartUploadParts",
        "ListStorageLensConfigurations", "ListStorageLensGroups", "ListTagsForResource", "ObjectOwnerOverrideToBucketOwner",
        "PutAccelerateConfiguration", "PutAccessPointConfigurationForObjectLambda", "PutAccessPointPolicy",
        "PutAccessPointPolicyForObjectLambda", "PutAccessPointPublicAccessBlock", "PutAccountPublicAccessBlock", "PutAnalyticsConfiguration",
        "PutBucketAcl", "PutBucketCORS", "PutBucketLogging", "PutBucketNotification", "PutBucketObjectLockConfiguration",
        "PutBucketOwnershipControls", "PutBucketPolicy", "PutBucketPublicAccessBlock", "PutBucketRequestPayment", "PutBucketTagging",
        "PutBucketVersioning", "PutBucketWebsite", "PutEncryptionConfiguration", "PutIntelligentTieringConfiguration",
        "PutInventoryConfiguration", "PutJobTagging", "PutLifecycleConfiguration", "PutMetricsConfiguration",
        "PutMultiRegionAccessPointPolicy", "PutObject", "PutObjectAcl", "PutObjectLegalHold", "PutObjectRetention", "PutObjectTagging",
        "PutObjectVersionAcl", "PutObjectVersionTagging", "PutReplicationConfiguration", "PutStorageLensConfiguration",
        "PutStorageLensConfigurationTagging", "ReplicateDelete", "ReplicateObject", "ReplicateTags", "RestoreObject",
        "SubmitMultiRegionAccessPointRoutes", "TagResource", "UntagResource", "UpdateJobPriority", "UpdateJobStatus",
        "UpdateStorageLensGroup", "PauseReplication", "GetMultiRegionAccessPointRoutes",
        "CreateAccessGrant", "CreateAccessGrantsInstance", "CreateAccessGrantsLocation", "DeleteAccessGrant", "DeleteAccessGrantsInstance",
        "DeleteAccessGrantsInstanceResourcePolicy", "DeleteAccessGrantsLocation", "GetAccessGrant", "GetAccessGrantsInstance",
        "GetAccessGrantsInstanceForPrefix", "GetAccessGrantsInstanceResourcePolicy", "GetAccessGrantsLocation", "GetDataAccess",
        "ListAccessGrants", "ListAccessGrantsInstances", "ListAccessGrantsLocations", "ListCallerAccessGrants",
        "PutAccessGrantsInstanceResourcePolicy", "UpdateAccessGrantsLocation", "AssociateAccessGrantsIdentityCenter",
        "DissociateAccessGrantsIdentityCenter", "CreateBucketMetadataTableConfiguration", "GetBucketMetadataTableConfiguration",
        "DeleteBucketMetadataTableConfiguration", "PutBucketMetadataTableConfiguration",
    ];

    /// <summary>
    /// True for "*", "s3:*" and any s3: action or pattern that names at least one S3 action (case-insensitive, as
    /// actions match); false for other services' actions, which a bucket policy cannot grant. Runs when a policy is
    /// stored, never per request.
    /// </summary>
    public static bool IsKnown(string action)
    {
        if (action == "*")
        {
            return true;
        }
        if (!action.StartsWith("s3:", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }
        var pattern = PolicyPattern.Compile(action, PatternMode.Glob, ignoreCase: true, variables: false);
        foreach (var known in Names)
        {
            if (pattern.Match("s3:" + known, ConditionContext.Empty) == PatternMatch.Match)
            {
                return true;
            }
        }
        return false;
    }
}
