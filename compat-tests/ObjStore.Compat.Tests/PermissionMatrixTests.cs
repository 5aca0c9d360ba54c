using System.Net;
using Amazon.S3;
using Amazon.S3.Model;

namespace ObjStore.Compat.Tests;

/// <summary>
/// Each S3 operation needs the IAM action AWS's "Amazon S3 API operations and the permissions they require" names:
/// a user allowed exactly that action may call it (it is not refused with 403), and a user allowed s3:* except that
/// action is refused with AccessDenied.
/// </summary>
[Collection(SharedEndpoint.Name)]
public class PermissionMatrixTests(S3Endpoint endpoint) : AccessTestBase(endpoint)
{
    /// <summary>What an operation acts on: a bucket with object "k" and an open multipart upload of "mp".</summary>
    private sealed record Target(string Bucket, string UploadId);

    private static readonly Dictionary<string, Func<AmazonS3Client, Target, Task>> Operations = new(StringComparer.Ordinal)
    {
        ["ListObjectsV2"] = (s3, t) => s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = t.Bucket }),
        ["ListObjects"] = (s3, t) => s3.ListObjectsAsync(new ListObjectsRequest { BucketName = t.Bucket }),
        ["HeadBucket"] = (s3, t) => s3.HeadBucketAsync(new HeadBucketRequest { BucketName = t.Bucket }),
        ["ListObjectVersions"] = (s3, t) => s3.ListVersionsAsync(new ListVersionsRequest { BucketName = t.Bucket }),
        ["ListMultipartUploads"] = (s3, t) => s3.ListMultipartUploadsAsync(new ListMultipartUploadsRequest { BucketName = t.Bucket }),
        ["GetBucketLocation"] = (s3, t) => s3.GetBucketLocationAsync(new GetBucketLocationRequest { BucketName = t.Bucket }),
        ["GetBucketVersioning"] = (s3, t) => s3.GetBucketVersioningAsync(new GetBucketVersioningRequest { BucketName = t.Bucket }),
        ["PutBucketVersioning"] = (s3, t) => s3.PutBucketVersioningAsync(new PutBucketVersioningRequest
        {
            BucketName = t.Bucket, VersioningConfig = new S3BucketVersioningConfig { Status = VersionStatus.Suspended },
        }),
        ["GetBucketAcl"] = (s3, t) => s3.GetBucketAclAsync(new GetBucketAclRequest { BucketName = t.Bucket }),
        ["GetBucketPolicyStatus"] = (s3, t) => s3.GetBucketPolicyStatusAsync(new GetBucketPolicyStatusRequest { BucketName = t.Bucket }),
        ["GetBucketOwnershipControls"] = (s3, t) => s3.GetBucketOwnershipControlsAsync(new GetBucketOwnershipControlsRequest { BucketName = t.Bucket }),
        ["GetPublicAccessBlock"] = (s3, t) => s3.GetPublicAccessBlockAsync(new GetPublicAccessBlockRequest { BucketName = t.Bucket }),
        ["PutPublicAccessBlock"] = (s3, t) => s3.PutPublicAccessBlockAsync(new PutPublicAccessBlockRequest
        {
            BucketName = t.Bucket,
            PublicAccessBlockConfiguration = new PublicAccessBlockConfiguration { BlockPublicAcls = true, IgnorePublicAcls = true, BlockPublicPolicy = true, RestrictPublicBuckets = true },
        }),
        ["PutBucketOwnershipControls"] = (s3, t) => s3.PutBucketOwnershipControlsAsync(new PutBucketOwnershipControlsRequest
        {
            BucketName = t.Bucket,
            OwnershipControls = new OwnershipControls { Rules = [new OwnershipControlsRule { ObjectOwnership = ObjectOwnership.BucketOwnerEnforced }] },
        }),
        ["DeleteBucket"] = (s3, t) => s3.DeleteBucketAsync(t.Bucket), // not empty: BucketNotEmpty when allowed
        ["GetObject"] = (s3, t) => s3.GetObjectAsync(t.Bucket, "k"),
        ["HeadObject"] = (s3, t) => s3.GetObjectMetadataAsync(t.Bucket, "k"),
        ["GetObjectVersion"] = (s3, t) => s3.GetObjectAsync(new GetObjectRequest { BucketName = t.Bucket, Key = "k", VersionId = "null" }),
        ["PutObject"] = (s3, t) => s3.PutObjectAsync(new PutObjectRequest { BucketName = t.Bucket, Key = "new", ContentBody = "x" }),
        ["CreateMultipartUpload"] = (s3, t) => s3.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest { BucketName = t.Bucket, Key = "mp2" }),
        ["UploadPart"] = (s3, t) => s3.UploadPartAsync(new UploadPartRequest
        {
            BucketName = t.Bucket, Key = "mp", UploadId = t.UploadId, PartNumber = 1, InputStream = new MemoryStream("part"u8.ToArray()),
        }),
        ["DeleteObject"] = (s3, t) => s3.DeleteObjectAsync(t.Bucket, "gone"),
        ["DeleteObjectVersion"] = (s3, t) => s3.DeleteObjectAsync(new DeleteObjectRequest { BucketName = t.Bucket, Key = "gone", VersionId = "null" }),
        ["GetObjectAcl"] = (s3, t) => s3.GetObjectAclAsync(new GetObjectAclRequest { BucketName = t.Bucket, Key = "k" }),
        ["ListParts"] = (s3, t) => s3.ListPartsAsync(new ListPartsRequest { BucketName = t.Bucket, Key = "mp", UploadId = t.UploadId }),
        ["GetObjectAttributes"] = (s3, t) => s3.GetObjectAttributesAsync(new GetObjectAttributesRequest { BucketName = t.Bucket, Key = "k", ObjectAttributes = [ObjectAttributes.ETag] }),
        ["GetObjectTagging"] = (s3, t) => s3.GetObjectTaggingAsync(new GetObjectTaggingRequest { BucketName = t.Bucket, Key = "k" }),
        ["PutObjectTagging"] = (s3, t) => s3.PutObjectTaggingAsync(new PutObjectTaggingRequest { BucketName = t.Bucket, Key = "k", Tagging = new Tagging { TagSet = [new Tag { Key = "a", Value = "b" }] } }),
        ["DeleteObjectTagging"] = (s3, t) => s3.DeleteObjectTaggingAsync(new DeleteObjectTaggingRequest { BucketName = t.Bucket, Key = "k" }),
        ["GetBucketTagging"] = (s3, t) => s3.GetBucketTaggingAsync(new GetBucketTaggingRequest { BucketName = t.Bucket }), // NoSuchTagSet when allowed
        ["PutBucketTagging"] = (s3, t) => s3.PutBucketTaggingAsync(new PutBucketTaggingRequest { BucketName = t.Bucket, TagSet = [new Tag { Key = "a", Value = "b" }] }),
        ["AbortMultipartUpload"] = (s3, t) => s3.AbortMultipartUploadAsync(new AbortMultipartUploadRequest { BucketName = t.Bucket, Key = "mp", UploadId = t.UploadId }),
        ["PutBucketEncryption"] = (s3, t) => s3.PutBucketEncryptionAsync(new PutBucketEncryptionRequest
        {
            BucketName = t.Bucket,
            ServerSideEncryptionConfiguration = new ServerSideEncryptionConfiguration
            {
                ServerSideEncryptionRules = [new ServerSideEncryptionRule { ServerSideEncryptionByDefault = new ServerSideEncryptionByDefault { ServerSideEncryptionAlgorithm = ServerSideEncryptionMethod.AES256 } }],
            },
        }),
        ["DeleteBucketEncryption"] = (s3, t) => s3.DeleteBucketEncryptionAsync(new DeleteBucketEncryptionRequest { BucketName = t.Bucket }),
        // The configuration probes (answered as for a bucket without the configuration: 404 or an empty document).
        ["GetBucketEncryption"] = (s3, t) => s3.GetBucketEncryptionAsync(new GetBucketEncryptionRequest { BucketName = t.Bucket }),
        ["GetBucketWebsite"] = (s3, t) => s3.GetBucketWebsiteAsync(t.Bucket),
        ["GetBucketNotification"] = (s3, t) => s3.GetBucketNotificationAsync(t.Bucket),
        ["GetBucketLogging"] = (s3, t) => s3.GetBucketLoggingAsync(t.Bucket),
        ["GetBucketRequestPayment"] = (s3, t) => s3.GetBucketRequestPaymentAsync(t.Bucket),
        ["GetBucketReplication"] = (s3, t) => s3.GetBucketReplicationAsync(new GetBucketReplicationRequest { BucketName = t.Bucket }),
        ["GetBucketAccelerateConfiguration"] = (s3, t) => s3.GetBucketAccelerateConfigurationAsync(t.Bucket),
        ["ListBucketAnalyticsConfigurations"] = (s3, t) => s3.ListBucketAnalyticsConfigurationsAsync(new ListBucketAnalyticsConfigurationsRequest { BucketName = t.Bucket }),
        ["ListBucketInventoryConfigurations"] = (s3, t) => s3.ListBucketInventoryConfigurationsAsync(new ListBucketInventoryConfigurationsRequest { BucketName = t.Bucket }),
        ["ListBucketMetricsConfigurations"] = (s3, t) => s3.ListBucketMetricsConfigurationsAsync(new ListBucketMetricsConfigurationsRequest { BucketName = t.Bucket }),
        ["ListBucketIntelligentTieringConfigurations"] = (s3, t) => s3.ListBucketIntelligentTieringConfigurationsAsync(new ListBucketIntelligentTieringConfigurationsRequest { BucketName = t.Bucket }),
    };

    public static TheoryData<string, string> Matrix => new()
    {
        { "ListObjectsV2", "s3:ListBucket" },
        { "ListObjects", "s3:ListBucket" },
        { "HeadBucket", "s3:ListBucket" },
        { "ListObjectVersions", "s3:ListBucketVersions" },
        { "ListMultipartUploads", "s3:ListBucketMultipartUploads" },
        { "GetBucketLocation", "s3:GetBucketLocation" },
        { "GetBucketVersioning", "s3:GetBucketVersioning" },
        { "PutBucketVersioning", "s3:PutBucketVersioning" },
        { "GetBucketAcl", "s3:GetBucketAcl" },
        { "GetBucketPolicyStatus", "s3:GetBucketPolicyStatus" },
        { "GetBucketOwnershipControls", "s3:GetBucketOwnershipControls" },
        { "GetPublicAccessBlock", "s3:GetBucketPublicAccessBlock" },
        { "PutPublicAccessBlock", "s3:PutBucketPublicAccessBlock" },
        { "PutBucketOwnershipControls", "s3:PutBucketOwnershipControls" },
        { "DeleteBucket", "s3:DeleteBucket" },
        { "GetObject", "s3:GetObject" },
        { "GetObjectAttributes", "s3:GetObjectAttributes" },
        { "GetObjectTagging", "s3:GetObjectTagging" },
        { "PutObjectTagging", "s3:PutObjectTagging" },
        { "DeleteObjectTagging", "s3:DeleteObjectTagging" },
        { "GetBucketTagging", "s3:GetBucketTagging" },
        { "PutBucketTagging", "s3:PutBucketTagging" },
        { "HeadObject", "s3:GetObject" },
        { "GetObjectVersion", "s3:GetObjectVersion" },
        { "PutObject", "s3:PutObject" },
        { "CreateMultipartUpload", "s3:PutObject" },
        { "UploadPart", "s3:PutObject" },
        { "DeleteObject", "s3:DeleteObject" },
        { "DeleteObjectVersion", "s3:DeleteObjectVersion" },
        { "GetObjectAcl", "s3:GetObjectAcl" },
        { "ListParts", "s3:ListMultipartUploadParts" },
        { "AbortMultipartUpload", "s3:AbortMultipartUpload" },
        { "GetBucketEncryption", "s3:GetEncryptionConfiguration" },
        { "PutBucketEncryption", "s3:PutEncryptionConfiguration" },
        { "DeleteBucketEncryption", "s3:PutEncryptionConfiguration" },
        { "GetBucketWebsite", "s3:GetBucketWebsite" },
        { "GetBucketNotification", "s3:GetBucketNotification" },
        { "GetBucketLogging", "s3:GetBucketLogging" },
        { "GetBucketRequestPayment", "s3:GetBucketRequestPayment" },
        { "GetBucketReplication", "s3:GetReplicationConfiguration" },
        { "GetBucketAccelerateConfiguration", "s3:GetAccelerateConfiguration" },
        { "ListBucketAnalyticsConfigurations", "s3:GetAnalyticsConfiguration" },
        { "ListBucketInventoryConfigurations", "s3:GetInventoryConfiguration" },
        { "ListBucketMetricsConfigurations", "s3:GetMetricsConfiguration" },
        { "ListBucketIntelligentTieringConfigurations", "s3:GetIntelligentTieringConfiguration" },
    };

    private async Task<Target> TargetAsync()
    {
        string bucket = await NewBucketAsync();
        await PutAsync(Root, bucket, "k", "v");
        var upload = await Root.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest { BucketName = bucket, Key = "mp" });
        return new Target(bucket, upload.UploadId);
    }

    private static string Resources(string bucket) => $"""["arn:aws:s3:::{bucket}", "arn:aws:s3:::{bucket}/*"]""";

    [Theory]
    [MemberData(nameof(Matrix))]
    public async Task TheActionAloneAllowsTheOperation(string operation, string action)
    {
        var target = await TargetAsync();
        var user = await Access.CreateUserAsync(null, AccessFixture.Policy(
            $$"""{"Effect": "Allow", "Action": "{{action}}", "Resource": {{Resources(target.Bucket)}}}"""));
        try
        {
            await Operations[operation](Access.ClientFor(user), target);
        }
        catch (AmazonS3Exception e)
        {
            // Allowed: whatever the operation answers next (BucketNotEmpty, NoSuchKey, ...), it is not a denial.
            Assert.True(e.StatusCode != HttpStatusCode.Forbidden, $"{operation} with {action}: {(int)e.StatusCode} {e.ErrorCode} {e.Message}");
        }
    }

    [Theory]
    [MemberData(nameof(Matrix))]
    public async Task EverythingButTheActionDoesNot(string operation, string action)
    {
        var target = await TargetAsync();
        var user = await Access.CreateUserAsync(null, AccessFixture.Policy(
            $$"""{"Effect": "Allow", "Action": "s3:*", "Resource": {{Resources(target.Bucket)}}}""",
            $$"""{"Effect": "Deny", "Action": "{{action}}", "Resource": {{Resources(target.Bucket)}}}"""));
        var e = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => Operations[operation](Access.ClientFor(user), target));
        Assert.Equal(HttpStatusCode.Forbidden, e.StatusCode);
        if (operation is not ("HeadBucket" or "HeadObject"))
        {
            Assert.Equal("AccessDenied", e.ErrorCode);
            Assert.Contains(action, e.Message, StringComparison.Ordinal);
        }
    }

    /// <summary>Every operation of the matrix is in it exactly once.</summary>
    [Fact]
    public void TheMatrixCoversEveryOperation() =>
        Assert.Equal(Operations.Keys.Order(StringComparer.Ordinal), Matrix.Select(row => (string)row[0]).Order(StringComparer.Ordinal));
}
