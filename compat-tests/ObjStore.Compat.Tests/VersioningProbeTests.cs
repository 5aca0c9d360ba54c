using System.Net;
using Amazon.S3;
using Amazon.S3.Model;

namespace ObjStore.Compat.Tests;

/// <summary>
/// What clients that probe versioning and Object Lock see before either can be enabled: S3's answers for a bucket
/// that never had versioning (an empty configuration, every object the <c>null</c> version) or a lock configuration.
/// </summary>
[Collection(SharedEndpoint.Name)]
public class VersioningProbeTests(S3Endpoint endpoint)
{
    [Fact]
    public async Task ABucketThatNeverHadVersioningSaysSo()
    {
        using var s3 = endpoint.Client();
        string bucket = S3Endpoint.NewBucketName();
        await s3.PutBucketAsync(bucket);
        var versioning = await s3.GetBucketVersioningAsync(new GetBucketVersioningRequest { BucketName = bucket });
        Assert.Equal(VersionStatus.Off, versioning.VersioningConfig.Status);

        var missing = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() =>
            s3.GetBucketVersioningAsync(new GetBucketVersioningRequest { BucketName = S3Endpoint.NewBucketName() }));
        Assert.Equal("NoSuchBucket", missing.ErrorCode);
    }

    [Fact]
    public async Task ABucketWithoutObjectLockHasNoLockConfiguration()
    {
        using var s3 = endpoint.Client();
        string bucket = S3Endpoint.NewBucketName();
        await s3.PutBucketAsync(bucket);
        var e = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() =>
            s3.GetObjectLockConfigurationAsync(new GetObjectLockConfigurationRequest { BucketName = bucket }));
        Assert.Equal((HttpStatusCode.NotFound, "ObjectLockConfigurationNotFoundError"), (e.StatusCode, e.ErrorCode));
    }

    [Fact]
    public async Task EveryObjectIsItsKeysOneNullVersionPageByPage()
    {
        using var s3 = endpoint.Client();
        string bucket = S3Endpoint.NewBucketName();
        await s3.PutBucketAsync(bucket);
        foreach (var key in new[] { "a", "b", "dir/c", "dir/d", "e" })
        {
            await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = key, ContentBody = key });
        }

        var first = await s3.ListVersionsAsync(new ListVersionsRequest { BucketName = bucket, MaxKeys = 2, Delimiter = "/" });
        Assert.Equal(["a", "b"], first.Versions.Select(v => v.Key));
        Assert.All(first.Versions, v => Assert.Equal(("null", true, false), (v.VersionId, v.IsLatest == true, v.IsDeleteMarker == true)));
        Assert.Equal("\"" + Convert.ToHexStringLower(System.Security.Cryptography.MD5.HashData("a"u8)) + "\"", first.Versions[0].ETag);
        Assert.True(first.IsTruncated);
        Assert.Equal(("b", "null"), (first.NextKeyMarker, first.NextVersionIdMarker));

        var rest = await s3.ListVersionsAsync(new ListVersionsRequest
        {
            BucketName = bucket, Delimiter = "/", KeyMarker = first.NextKeyMarker, VersionIdMarker = first.NextVersionIdMarker,
        });
        Assert.Equal(["e"], rest.Versions.Select(v => v.Key));
        Assert.Equal(["dir/"], rest.CommonPrefixes);
        Assert.False(rest.IsTruncated);

        var all = await s3.ListVersionsAsync(new ListVersionsRequest { BucketName = bucket, Prefix = "dir/" });
        Assert.Equal(["dir/c", "dir/d"], all.Versions.Select(v => v.Key));

        var noKeyMarker = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() =>
            s3.ListVersionsAsync(new ListVersionsRequest { BucketName = bucket, VersionIdMarker = "null" }));
        Assert.Equal((HttpStatusCode.BadRequest, "InvalidArgument"), (noKeyMarker.StatusCode, noKeyMarker.ErrorCode));
        var unknown = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() =>
            s3.ListVersionsAsync(new ListVersionsRequest { BucketName = bucket, KeyMarker = "a", VersionIdMarker = "3HL4kqtJlcpXroDTDmJ" }));
        Assert.Equal("InvalidArgument", unknown.ErrorCode);
    }

    [Fact]
    public async Task ARequestForAnotherVersionThanNullNeverActsOnTheObject()
    {
        using var s3 = endpoint.Client();
        string bucket = S3Endpoint.NewBucketName();
        await s3.PutBucketAsync(bucket);
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "k", ContentBody = "current" });
        const string other = "3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY";

        using (var got = await s3.GetObjectAsync(new GetObjectRequest { BucketName = bucket, Key = "k", VersionId = "null" }))
        {
            Assert.Equal("current", await new StreamReader(got.ResponseStream).ReadToEndAsync());
        }
        foreach (var refused in new Func<Task>[]
        {
            () => s3.GetObjectAsync(new GetObjectRequest { BucketName = bucket, Key = "k", VersionId = other }),
            () => s3.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = bucket, Key = "k", VersionId = other }),
            () => s3.DeleteObjectAsync(new DeleteObjectRequest { BucketName = bucket, Key = "k", VersionId = other }),
            () => s3.CopyObjectAsync(new CopyObjectRequest
            {
                SourceBucket = bucket, SourceKey = "k", SourceVersionId = other, DestinationBucket = bucket, DestinationKey = "copy",
            }),
        })
        {
            var e = await Assert.ThrowsAnyAsync<AmazonS3Exception>(refused);
            Assert.Equal(HttpStatusCode.BadRequest, e.StatusCode);
        }

        var batch = await Assert.ThrowsAsync<DeleteObjectsException>(() => s3.DeleteObjectsAsync(new DeleteObjectsRequest
        {
            BucketName = bucket,
            Objects = [new KeyVersion { Key = "k", VersionId = other }],
        }));
        var error = Assert.Single(batch.Response.DeleteErrors);
        Assert.Equal(("k", other, "InvalidArgument"), (error.Key, error.VersionId, error.Code));
        Assert.Equal(7, (await s3.GetObjectMetadataAsync(bucket, "k")).ContentLength); // still there, untouched

        var deleted = await s3.DeleteObjectsAsync(new DeleteObjectsRequest
        {
            BucketName = bucket,
            Objects = [new KeyVersion { Key = "k", VersionId = "null" }],
        });
        Assert.Equal(("k", "null"), (Assert.Single(deleted.DeletedObjects).Key, deleted.DeletedObjects[0].VersionId));
        await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.GetObjectMetadataAsync(bucket, "k"));
    }
}
