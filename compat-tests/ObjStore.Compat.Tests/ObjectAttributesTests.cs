using System.Net;
using Amazon.S3;
using Amazon.S3.Model;

namespace ObjStore.Compat.Tests;

/// <summary>GetObjectAttributes through AWSSDK.S3: the attributes asked for, of a version, with its parts paged.</summary>
[Collection(SharedEndpoint.Name)]
public class ObjectAttributesTests(S3Endpoint endpoint) : VersionedBucketTests(endpoint)
{
    private static readonly List<ObjectAttributes> All =
        [ObjectAttributes.ETag, ObjectAttributes.Checksum, ObjectAttributes.ObjectParts, ObjectAttributes.StorageClass, ObjectAttributes.ObjectSize];

    [Fact]
    public async Task ASinglePutsAttributes()
    {
        string bucket = await Buckets.NewAsync();
        var put = await S3.PutObjectAsync(new PutObjectRequest
        {
            BucketName = bucket, Key = "k", ContentBody = "hello attributes", ChecksumAlgorithm = ChecksumAlgorithm.CRC32, StorageClass = S3StorageClass.StandardInfrequentAccess,
        });
        var attributes = await S3.GetObjectAttributesAsync(new GetObjectAttributesRequest { BucketName = bucket, Key = "k", ObjectAttributes = All });
        Assert.Equal(put.ETag.Trim('"'), attributes.ETag.Trim('"'));
        Assert.Equal(put.ChecksumCRC32, attributes.Checksum.ChecksumCRC32);
        Assert.Equal(16, attributes.ObjectSize);
        Assert.Equal(S3StorageClass.StandardInfrequentAccess, attributes.StorageClass);
        Assert.Null(attributes.ObjectParts); // only multipart objects have parts

        var some = await S3.GetObjectAttributesAsync(new GetObjectAttributesRequest { BucketName = bucket, Key = "k", ObjectAttributes = [ObjectAttributes.ObjectSize] });
        Assert.Equal(16, some.ObjectSize);
        Assert.Null(some.ETag);
    }

    [Fact]
    public async Task AMultipartObjectsPartsArePaged()
    {
        string bucket = await Buckets.NewAsync();
        var upload = await S3.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest { BucketName = bucket, Key = "mp", ChecksumAlgorithm = ChecksumAlgorithm.SHA256 });
        var etags = new List<PartETag>();
        for (int number = 1; number <= 3; number++)
        {
            var data = new byte[number < 3 ? 5 << 20 : 1000];
            new Random(number).NextBytes(data);
            var part = await S3.UploadPartAsync(new UploadPartRequest
            {
                BucketName = bucket, Key = "mp", UploadId = upload.UploadId, PartNumber = number, InputStream = new MemoryStream(data), ChecksumAlgorithm = ChecksumAlgorithm.SHA256,
            });
            etags.Add(new PartETag { PartNumber = number, ETag = part.ETag, ChecksumSHA256 = part.ChecksumSHA256 });
        }
        await S3.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest { BucketName = bucket, Key = "mp", UploadId = upload.UploadId, PartETags = etags });

        var first = await S3.GetObjectAttributesAsync(new GetObjectAttributesRequest { BucketName = bucket, Key = "mp", ObjectAttributes = All, MaxParts = 2 });
        Assert.EndsWith("-3", first.ETag.Trim('"'), StringComparison.Ordinal);
        Assert.Equal((5L << 20) * 2 + 1000, first.ObjectSize);
        Assert.Equal(3, first.ObjectParts.TotalPartsCount);
        Assert.True(first.ObjectParts.IsTruncated);
        Assert.Equal([1, 2], first.ObjectParts.Parts.Select(p => p.PartNumber ?? 0));
        Assert.Equal(etags[0].ChecksumSHA256, first.ObjectParts.Parts[0].ChecksumSHA256);
        Assert.Equal(5L << 20, first.ObjectParts.Parts[0].Size);
        var rest = await S3.GetObjectAttributesAsync(new GetObjectAttributesRequest
        {
            BucketName = bucket, Key = "mp", ObjectAttributes = [ObjectAttributes.ObjectParts], PartNumberMarker = first.ObjectParts.NextPartNumberMarker,
        });
        Assert.False(rest.ObjectParts.IsTruncated);
        Assert.Equal([3], rest.ObjectParts.Parts.Select(p => p.PartNumber ?? 0));
    }

    [Fact]
    public async Task AVersionsAttributesAndTheErrors()
    {
        string bucket = await Buckets.NewAsync(VersionStatus.Enabled);
        string old = await Buckets.PutVersionAsync(bucket, "k", "old");
        await Buckets.PutVersionAsync(bucket, "k", "newer!");
        var ofOld = await S3.GetObjectAttributesAsync(new GetObjectAttributesRequest { BucketName = bucket, Key = "k", VersionId = old, ObjectAttributes = [ObjectAttributes.ObjectSize] });
        Assert.Equal(3, ofOld.ObjectSize);
        Assert.Equal(old, ofOld.VersionId);

        var missing = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() =>
            S3.GetObjectAttributesAsync(new GetObjectAttributesRequest { BucketName = bucket, Key = "nope", ObjectAttributes = [ObjectAttributes.ETag] }));
        Assert.Equal("NoSuchKey", missing.ErrorCode);
        // An attribute S3 does not have: InvalidArgument, not a 500.
        var none = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() =>
            S3.GetObjectAttributesAsync(new GetObjectAttributesRequest { BucketName = bucket, Key = "k", ObjectAttributes = [new ObjectAttributes("Colour")] }));
        Assert.Equal(HttpStatusCode.BadRequest, none.StatusCode);
        Assert.Equal("InvalidArgument", none.ErrorCode);
    }
}
