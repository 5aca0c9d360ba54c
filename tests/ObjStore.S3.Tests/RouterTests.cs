using ObjStore.S3.Protocol;

namespace ObjStore.S3.Tests;

public class RouterTests
{
    [Theory]
    [InlineData("GET", null, null, "", S3Operation.ListBuckets)]
    [InlineData("PUT", "b", null, "", S3Operation.CreateBucket)]
    [InlineData("GET", "b", null, "list-type", S3Operation.ListObjectsV2)]
    [InlineData("GET", "b", null, "", S3Operation.ListObjects)]
    [InlineData("GET", "b", null, "location", S3Operation.GetBucketLocation)]
    [InlineData("POST", "b", null, "delete", S3Operation.DeleteObjects)]
    [InlineData("GET", "b", "k", "", S3Operation.GetObject)]
    [InlineData("PUT", "b", "k", "", S3Operation.PutObject)]
    [InlineData("POST", "b", "k", "uploads", S3Operation.CreateMultipartUpload)]
    [InlineData("PUT", "b", "k", "uploadId,partNumber", S3Operation.UploadPart)]
    [InlineData("DELETE", "b", "k", "uploadId", S3Operation.AbortMultipartUpload)]
    [InlineData("GET", "b", null, "versioning", S3Operation.GetBucketVersioning)]
    [InlineData("PUT", "b", null, "versioning", S3Operation.PutBucketVersioning)]
    [InlineData("GET", "b", null, "versions", S3Operation.ListObjectVersions)]
    [InlineData("GET", "b", null, "uploads", S3Operation.ListMultipartUploads)]
    [InlineData("GET", "b", null, "policyStatus", S3Operation.GetBucketPolicyStatus)]
    [InlineData("DELETE", "b", null, "policy", S3Operation.DeleteBucketPolicy)]
    [InlineData("DELETE", "b", null, "lifecycle", S3Operation.DeleteBucketLifecycle)]
    [InlineData("PUT", "b", null, "object-lock", S3Operation.PutObjectLockConfiguration)]
    [InlineData("GET", "b", null, "analytics", S3Operation.ListBucketAnalyticsConfigurations)]
    [InlineData("GET", "b", null, "analytics,id", S3Operation.GetBucketAnalyticsConfiguration)]
    [InlineData("DELETE", "b", null, "inventory,id", S3Operation.DeleteBucketInventoryConfiguration)]
    [InlineData("POST", "b", null, "", S3Operation.PostObject)]
    [InlineData("POST", "b", null, "versioning", S3Operation.MethodNotAllowed)]
    [InlineData("PUT", "b", "k", "tagging", S3Operation.PutObjectTagging)]
    [InlineData("DELETE", "b", "k", "tagging", S3Operation.DeleteObjectTagging)]
    [InlineData("GET", "b", "k", "legal-hold", S3Operation.GetObjectLegalHold)]
    [InlineData("PUT", "b", "k", "retention", S3Operation.PutObjectRetention)]
    [InlineData("GET", "b", "k", "attributes", S3Operation.GetObjectAttributes)]
    [InlineData("POST", "b", "k", "restore", S3Operation.RestoreObject)]
    [InlineData("POST", "b", "k", "select,select-type", S3Operation.SelectObjectContent)]
    [InlineData("PATCH", "b", "k", "", S3Operation.MethodNotAllowed)]
    // Newer operations whose requests would otherwise fall through to PutObject, DeleteObject or CreateBucket.
    [InlineData("PUT", "b", "k", "annotation,annotationName", S3Operation.PutObjectAnnotation)]
    [InlineData("GET", "b", "k", "annotation,annotationName", S3Operation.GetObjectAnnotation)]
    [InlineData("DELETE", "b", "k", "annotation,annotationName", S3Operation.DeleteObjectAnnotation)]
    [InlineData("GET", "b", "k", "annotation", S3Operation.ListObjectAnnotations)]
    [InlineData("PUT", "b", "k", "renameObject", S3Operation.RenameObject)]
    [InlineData("PUT", "b", "k", "encryption", S3Operation.UpdateObjectEncryption)]
    [InlineData("GET", "b", null, "encryption", S3Operation.GetBucketEncryption)]
    [InlineData("PUT", "b", null, "abac", S3Operation.PutBucketAbac)]
    [InlineData("GET", "b", null, "abac", S3Operation.GetBucketAbac)]
    [InlineData("POST", "b", null, "metadataConfiguration", S3Operation.CreateBucketMetadataConfiguration)]
    [InlineData("DELETE", "b", null, "metadataTable", S3Operation.DeleteBucketMetadataTableConfiguration)]
    [InlineData("PUT", "b", null, "metadataJournalTable", S3Operation.UpdateBucketMetadataJournalTableConfiguration)]
    [InlineData("GET", "b", null, "session", S3Operation.CreateSession)]
    public void RoutesRequestLines(string method, string? bucket, string? key, string query, S3Operation expected)
    {
        var names = query.Split(',', StringSplitOptions.RemoveEmptyEntries).ToHashSet();
        Assert.Equal(expected, S3Router.Route(method, bucket, key, names, hasCopySource: false));
    }

    [Fact]
    public void CopySourceMakesAPutACopy() =>
        Assert.Equal(S3Operation.CopyObject, S3Router.Route("PUT", "b", "k", new HashSet<string>(), hasCopySource: true));
}
