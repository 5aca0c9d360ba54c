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
    [InlineData("GET", "b", null, "versioning", S3Operation.NotImplemented)]
    [InlineData("PATCH", "b", "k", "", S3Operation.MethodNotAllowed)]
    public void RoutesRequestLines(string method, string? bucket, string? key, string query, S3Operation expected)
    {
        var names = query.Split(',', StringSplitOptions.RemoveEmptyEntries).ToHashSet();
        Assert.Equal(expected, S3Router.Route(method, bucket, key, names, hasCopySource: false));
    }

    [Fact]
    public void CopySourceMakesAPutACopy() =>
        Assert.Equal(S3Operation.CopyObject, S3Router.Route("PUT", "b", "k", new HashSet<string>(), hasCopySource: true));
}
