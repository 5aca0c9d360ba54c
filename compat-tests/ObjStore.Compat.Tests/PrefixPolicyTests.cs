using System.Net;
using Amazon.S3;
using Amazon.S3.Model;

namespace ObjStore.Compat.Tests;

/// <summary>
/// The everyday identity policy, `--readwrite bucket/prefix` (IdentityCommands.PrefixPolicy): a user may read, write,
/// delete and list under its prefix and nothing outside it, including through what a request names in its headers
/// (a copy's source) or body (DeleteObjects' keys).
/// </summary>
[Collection(SharedEndpoint.Name)]
public class PrefixPolicyTests(S3Endpoint endpoint) : AccessTestBase(endpoint)
{
    private async Task<(string Bucket, AmazonS3Client S3, TestUser User)> SetUpAsync()
    {
        string bucket = await NewBucketAsync();
        await PutAsync(Root, bucket, "home/a.txt", "a");
        await PutAsync(Root, bucket, "other/b.txt", "b");
        await PutAsync(Root, bucket, "homer.txt", "not under home/");
        var user = await Access.CreateUserAsync(null, AccessFixture.PrefixPolicy(bucket + "/home/"));
        return (bucket, Access.ClientFor(user), user);
    }

    [Fact]
    public async Task TheUserReadsWritesDeletesAndListsUnderItsPrefix()
    {
        var (bucket, s3, _) = await SetUpAsync();
        Assert.Equal("a", await ReadAsync(s3, bucket, "home/a.txt"));
        await PutAsync(s3, bucket, "home/new.txt", "new");
        Assert.Equal("new", await ReadAsync(Root, bucket, "home/new.txt"));
        var head = await s3.GetObjectMetadataAsync(bucket, "home/new.txt");
        Assert.Equal(3, head.ContentLength);

        var listed = await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket, Prefix = "home/" });
        Assert.Equal(["home/a.txt", "home/new.txt"], (listed.S3Objects ?? []).Select(o => o.Key));
        var v1 = await s3.ListObjectsAsync(new ListObjectsRequest { BucketName = bucket, Prefix = "home/sub" });
        Assert.Empty(v1.S3Objects ?? []);

        await s3.DeleteObjectAsync(bucket, "home/new.txt");
        await FailsAsync(HttpStatusCode.NotFound, "NoSuchKey", () => Root.GetObjectAsync(bucket, "home/new.txt"));

        // Copies inside the prefix, and multipart uploads, are writes under it.
        await s3.CopyObjectAsync(new CopyObjectRequest { SourceBucket = bucket, SourceKey = "home/a.txt", DestinationBucket = bucket, DestinationKey = "home/copy.txt" });
        Assert.Equal("a", await ReadAsync(Root, bucket, "home/copy.txt"));
        var upload = await s3.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest { BucketName = bucket, Key = "home/mp.bin" });
        var part = await s3.UploadPartAsync(new UploadPartRequest
        {
            BucketName = bucket, Key = "home/mp.bin", UploadId = upload.UploadId, PartNumber = 1, InputStream = new MemoryStream("part"u8.ToArray()),
        });
        await s3.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
        {
            BucketName = bucket, Key = "home/mp.bin", UploadId = upload.UploadId, PartETags = [new PartETag(1, part.ETag)],
        });
        Assert.Equal("part", await ReadAsync(Root, bucket, "home/mp.bin"));
    }

    [Fact]
    public async Task TheUserMayNotTouchAnythingOutsideItsPrefix()
    {
        var (bucket, s3, user) = await SetUpAsync();
        var get = await DeniedAsync(() => s3.GetObjectAsync(bucket, "other/b.txt"));
        Assert.Contains(user.Arn, get.Message, StringComparison.Ordinal);
        Assert.Contains($"arn:aws:s3:::{bucket}/other/b.txt", get.Message, StringComparison.Ordinal);
        await DeniedAsync(() => s3.GetObjectAsync(bucket, "homer.txt"));
        await DeniedAsync(() => PutAsync(s3, bucket, "other/new.txt"));
        await DeniedAsync(() => PutAsync(s3, bucket, "new.txt"));
        await DeniedAsync(() => s3.DeleteObjectAsync(bucket, "other/b.txt"));
        await DeniedAsync(() => s3.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest { BucketName = bucket, Key = "other/mp" }));
        await DeniedAsync(() => s3.CopyObjectAsync(new CopyObjectRequest { SourceBucket = bucket, SourceKey = "home/a.txt", DestinationBucket = bucket, DestinationKey = "other/copy" }));

        // Listing is allowed only for prefixes the condition covers: none at all, another, or a shorter one are not.
        await DeniedAsync(() => s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket }));
        await DeniedAsync(() => s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket, Prefix = "other/" }));
        await DeniedAsync(() => s3.ListObjectsAsync(new ListObjectsRequest { BucketName = bucket, Prefix = "hom" }));

        // Nor anything of the bucket itself, nor another bucket.
        await DeniedAsync(() => s3.PutBucketPolicyAsync(new PutBucketPolicyRequest { BucketName = bucket, Policy = AccessFixture.Policy() }));
        await DeniedAsync(() => s3.DeleteBucketAsync(bucket));
        string another = await NewBucketAsync();
        await DeniedAsync(() => PutAsync(s3, another, "home/x"));
        // ListBuckets is allowed, but shows neither bucket: it owns neither and may list this one only under its prefix.
        var buckets = (await s3.ListBucketsAsync()).Buckets ?? [];
        Assert.DoesNotContain(buckets, b => b.BucketName == bucket || b.BucketName == another);

        // The refused writes and deletes did nothing.
        Assert.Equal("b", await ReadAsync(Root, bucket, "other/b.txt"));
        var all = await Root.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket });
        Assert.Equal(["home/a.txt", "homer.txt", "other/b.txt"], (all.S3Objects ?? []).Select(o => o.Key));
    }

    [Fact]
    public async Task ACopyIntoThePrefixNeedsReadAccessToItsSource()
    {
        var (bucket, s3, _) = await SetUpAsync();
        await DeniedAsync(() => s3.CopyObjectAsync(new CopyObjectRequest
        {
            SourceBucket = bucket, SourceKey = "other/b.txt", DestinationBucket = bucket, DestinationKey = "home/stolen.txt",
        }));
        await FailsAsync(HttpStatusCode.NotFound, "NoSuchKey", () => Root.GetObjectAsync(bucket, "home/stolen.txt"));

        string foreign = await NewBucketAsync();
        await PutAsync(Root, foreign, "home/secret", "secret");
        await DeniedAsync(() => s3.CopyObjectAsync(new CopyObjectRequest
        {
            SourceBucket = foreign, SourceKey = "home/secret", DestinationBucket = bucket, DestinationKey = "home/stolen.txt",
        }));
    }

    [Fact]
    public async Task AnUploadPartCopyFromOutsideThePrefixIsDenied()
    {
        var (bucket, s3, _) = await SetUpAsync();
        var upload = await s3.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest { BucketName = bucket, Key = "home/mp" });
        await DeniedAsync(() => s3.CopyPartAsync(new CopyPartRequest
        {
            SourceBucket = bucket, SourceKey = "other/b.txt", DestinationBucket = bucket, DestinationKey = "home/mp", UploadId = upload.UploadId, PartNumber = 1,
        }));
        var inside = await s3.CopyPartAsync(new CopyPartRequest
        {
            SourceBucket = bucket, SourceKey = "home/a.txt", DestinationBucket = bucket, DestinationKey = "home/mp", UploadId = upload.UploadId, PartNumber = 2,
        });
        var parts = await s3.ListPartsAsync(new ListPartsRequest { BucketName = bucket, Key = "home/mp", UploadId = upload.UploadId });
        Assert.Equal([2], (parts.Parts ?? []).Select(p => p.PartNumber ?? 0));
        Assert.Equal(inside.ETag, parts.Parts![0].ETag);
        await s3.AbortMultipartUploadAsync(new AbortMultipartUploadRequest { BucketName = bucket, Key = "home/mp", UploadId = upload.UploadId });
    }

    [Fact]
    public async Task DeleteObjectsAnswersEachKeyOnItsOwn()
    {
        var (bucket, s3, _) = await SetUpAsync();
        await PutAsync(Root, bucket, "home/b.txt", "b");
        var request = new DeleteObjectsRequest
        {
            BucketName = bucket,
            Objects = [new KeyVersion { Key = "home/a.txt" }, new KeyVersion { Key = "other/b.txt" }, new KeyVersion { Key = "home/b.txt" }, new KeyVersion { Key = "homer.txt" }],
        };
        DeleteObjectsResponse result;
        try
        {
            result = await s3.DeleteObjectsAsync(request);
        }
        catch (DeleteObjectsException e)
        {
            result = e.Response;
        }
        Assert.Equal(["home/a.txt", "home/b.txt"], (result.DeletedObjects ?? []).Select(d => d.Key).Order(StringComparer.Ordinal));
        var errors = (result.DeleteErrors ?? []).OrderBy(e => e.Key, StringComparer.Ordinal).ToList();
        Assert.Equal(["homer.txt", "other/b.txt"], errors.Select(e => e.Key));
        Assert.All(errors, e => Assert.Equal("AccessDenied", e.Code));

        var left = await Root.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket });
        Assert.Equal(["homer.txt", "other/b.txt"], (left.S3Objects ?? []).Select(o => o.Key));
    }

    [Fact]
    public async Task AReadOnlyPolicyReadsButNeverWrites()
    {
        string bucket = await NewBucketAsync();
        await PutAsync(Root, bucket, "pub/a", "a");
        var user = await Access.CreateUserAsync(null, AccessFixture.PrefixPolicy(bucket + "/pub/", write: false));
        var s3 = Access.ClientFor(user);
        Assert.Equal("a", await ReadAsync(s3, bucket, "pub/a"));
        await DeniedAsync(() => PutAsync(s3, bucket, "pub/b"));
        await DeniedAsync(() => s3.DeleteObjectAsync(bucket, "pub/a"));
        Assert.Equal("a", await ReadAsync(Root, bucket, "pub/a"));
    }

    [Fact]
    public async Task AWholeBucketPolicyListsWithoutAPrefix()
    {
        string bucket = await NewBucketAsync();
        await PutAsync(Root, bucket, "x/y", "y");
        var user = await Access.CreateUserAsync(null, AccessFixture.PrefixPolicy(bucket));
        var s3 = Access.ClientFor(user);
        var listed = await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket });
        Assert.Equal(["x/y"], (listed.S3Objects ?? []).Select(o => o.Key));
        await PutAsync(s3, bucket, "z", "z");
        Assert.Equal("z", await ReadAsync(s3, bucket, "z"));
        await DeniedAsync(() => s3.DeleteBucketAsync(bucket));
    }
}
