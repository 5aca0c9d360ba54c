using System.Net;
using System.Text;
using Amazon.S3;
using Amazon.S3.Model;

namespace ObjStore.Compat.Tests;

/// <summary>
/// A request asking for something the store does not do yet is 501 NotImplemented naming it, and changes nothing,
/// rather than answered with a success that did not do what was asked (an object without the dual-layer encryption
/// it asked for, an archive class on readable bytes, an object overwritten by what was meant as its annotation).
/// </summary>
[Collection(SharedEndpoint.Name)]
public class UnimplementedFeatureTests(S3Endpoint endpoint) : IAsyncLifetime
{
    private readonly AmazonS3Client _s3 = endpoint.Client();
    private readonly string _bucket = S3Endpoint.NewBucketName();

    public async Task InitializeAsync()
    {
        await _s3.PutBucketAsync(_bucket);
        await _s3.PutObjectAsync(new PutObjectRequest { BucketName = _bucket, Key = "existing", ContentBody = "kept" });
    }

    public Task DisposeAsync()
    {
        _s3.Dispose();
        return Task.CompletedTask;
    }

    private static async Task NotImplementedAsync(string feature, Func<Task> call)
    {
        var e = await Assert.ThrowsAnyAsync<AmazonS3Exception>(call);
        Assert.Equal((HttpStatusCode.NotImplemented, "NotImplemented"), (e.StatusCode, e.ErrorCode));
        Assert.Contains(feature, e.Message, StringComparison.Ordinal);
    }

    private async Task AbsentAsync(string key)
    {
        var e = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => _s3.GetObjectMetadataAsync(_bucket, key));
        Assert.Equal(HttpStatusCode.NotFound, e.StatusCode);
    }

    private async Task<string> ReadAsync(string key)
    {
        using var get = await _s3.GetObjectAsync(_bucket, key);
        using var reader = new StreamReader(get.ResponseStream);
        return await reader.ReadToEndAsync();
    }

    /// <summary>
    /// Dual-layer SSE-KMS (aws:kms:dsse) is not implemented: PutObject, CopyObject and CreateMultipartUpload asking for
    /// it, and a bucket default naming it, are 501, and nothing is written (SSE-S3, SSE-KMS and SSE-C are EncryptionTests').
    /// </summary>
    [Fact]
    public async Task DualLayerServerSideEncryption()
    {
        await NotImplementedAsync("aws:kms:dsse", () => _s3.PutObjectAsync(new PutObjectRequest
        {
            BucketName = _bucket, Key = "dsse", ContentBody = "secret", ServerSideEncryptionMethod = ServerSideEncryptionMethod.AWSKMSDSSE,
        }));
        await NotImplementedAsync("aws:kms:dsse", () => _s3.CopyObjectAsync(new CopyObjectRequest
        {
            SourceBucket = _bucket, SourceKey = "existing", DestinationBucket = _bucket, DestinationKey = "dsse-copy",
            ServerSideEncryptionMethod = ServerSideEncryptionMethod.AWSKMSDSSE,
        }));
        await NotImplementedAsync("aws:kms:dsse", () => _s3.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest
        {
            BucketName = _bucket, Key = "dsse-multipart", ServerSideEncryptionMethod = ServerSideEncryptionMethod.AWSKMSDSSE,
        }));
        await NotImplementedAsync("aws:kms:dsse", () => _s3.PutBucketEncryptionAsync(new PutBucketEncryptionRequest
        {
            BucketName = _bucket,
            ServerSideEncryptionConfiguration = new ServerSideEncryptionConfiguration
            {
                ServerSideEncryptionRules = [new ServerSideEncryptionRule { ServerSideEncryptionByDefault = new ServerSideEncryptionByDefault { ServerSideEncryptionAlgorithm = ServerSideEncryptionMethod.AWSKMSDSSE } }],
            },
        }));
        foreach (var refused in new[] { "dsse", "dsse-copy" })
        {
            await AbsentAsync(refused);
        }
        Assert.Empty((await _s3.ListMultipartUploadsAsync(new ListMultipartUploadsRequest { BucketName = _bucket })).MultipartUploads ?? []);
        Assert.Equal(HttpStatusCode.NotFound, (await _s3.GetBucketEncryptionAsync(new GetBucketEncryptionRequest { BucketName = _bucket })).HttpStatusCode);
    }

    /// <summary>A bucket default that blocks encryption types (BlockedEncryptionTypes) is 501 and sets nothing.</summary>
    [Fact]
    public async Task BlockedEncryptionTypes()
    {
        await NotImplementedAsync("BlockedEncryptionTypes", () => _s3.PutBucketEncryptionAsync(new PutBucketEncryptionRequest
        {
            BucketName = _bucket,
            ServerSideEncryptionConfiguration = new ServerSideEncryptionConfiguration
            {
                ServerSideEncryptionRules =
                [
                    new ServerSideEncryptionRule
                    {
                        ServerSideEncryptionByDefault = new ServerSideEncryptionByDefault { ServerSideEncryptionAlgorithm = ServerSideEncryptionMethod.AES256 },
                        BlockedEncryptionTypes = new BlockedEncryptionTypes { EncryptionType = [EncryptionType.SSEC] },
                    },
                ],
            },
        }));
        Assert.Equal(HttpStatusCode.NotFound, (await _s3.GetBucketEncryptionAsync(new GetBucketEncryptionRequest { BucketName = _bucket })).HttpStatusCode);
    }

    [Fact]
    public async Task WebsiteRedirectLocation()
    {
        await NotImplementedAsync("Website redirection", () => _s3.PutObjectAsync(new PutObjectRequest
        {
            BucketName = _bucket, Key = "redirect", ContentBody = "x", WebsiteRedirectLocation = "/elsewhere.html",
        }));
        await AbsentAsync("redirect");
    }

    [Fact]
    public async Task ArchiveStorageClassesAreNotImplementedAndTheOthersAreKept()
    {
        foreach (var archive in new[] { S3StorageClass.Glacier, S3StorageClass.DeepArchive })
        {
            await NotImplementedAsync(archive.Value, () => _s3.PutObjectAsync(new PutObjectRequest
            {
                BucketName = _bucket, Key = "archived", ContentBody = "x", StorageClass = archive,
            }));
            await NotImplementedAsync(archive.Value, () => _s3.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest
            {
                BucketName = _bucket, Key = "archived", StorageClass = archive,
            }));
        }
        await AbsentAsync("archived");
        // STANDARD (which rclone and s3cmd may send) and the classes whose objects stay readable are accepted.
        await _s3.PutObjectAsync(new PutObjectRequest { BucketName = _bucket, Key = "standard", ContentBody = "x", StorageClass = S3StorageClass.Standard });
        await _s3.PutObjectAsync(new PutObjectRequest { BucketName = _bucket, Key = "ia", ContentBody = "x", StorageClass = S3StorageClass.StandardInfrequentAccess });
        Assert.Equal(S3StorageClass.StandardInfrequentAccess, (await _s3.GetObjectMetadataAsync(_bucket, "ia")).StorageClass);
        var unknown = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => _s3.PutObjectAsync(new PutObjectRequest
        {
            BucketName = _bucket, Key = "unknown", ContentBody = "x", StorageClass = new S3StorageClass("FROZEN"),
        }));
        Assert.Equal((HttpStatusCode.BadRequest, "InvalidStorageClass"), (unknown.StatusCode, unknown.ErrorCode));
    }

    [Fact]
    public async Task ObjectLockEventHolds()
    {
        await NotImplementedAsync("Object Lock event hold", () => _s3.PutObjectAsync(new PutObjectRequest
        {
            BucketName = _bucket, Key = "held", ContentBody = "x", ObjectLockEventHold = ObjectLockEventHold.ON,
        }));
        await AbsentAsync("held");
    }

    [Fact]
    public async Task AppendsByWriteOffset()
    {
        await NotImplementedAsync("Appending", () => _s3.PutObjectAsync(new PutObjectRequest
        {
            BucketName = _bucket, Key = "existing", ContentBody = " and more", WriteOffsetBytes = 4, UseChunkEncoding = false,
        }));
        Assert.Equal("kept", await ReadAsync("existing"));
    }

    [Fact]
    public async Task ConditionalDeletesLeaveTheObject()
    {
        await NotImplementedAsync("Conditional delete", () => _s3.DeleteObjectAsync(new DeleteObjectRequest
        {
            BucketName = _bucket, Key = "existing", IfMatch = "\"00000000000000000000000000000000\"",
        }));
        Assert.Equal("kept", await ReadAsync("existing"));
    }

    [Fact]
    public async Task ConditionalCompletionCreatesNothing()
    {
        string id = (await _s3.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest { BucketName = _bucket, Key = "existing" })).UploadId;
        var part = await _s3.UploadPartAsync(new UploadPartRequest
        {
            BucketName = _bucket, Key = "existing", UploadId = id, PartNumber = 1, InputStream = new MemoryStream("replacement"u8.ToArray()),
        });
        await NotImplementedAsync("Conditional completion", () => _s3.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
        {
            BucketName = _bucket, Key = "existing", UploadId = id, PartETags = [new PartETag(1, part.ETag)], IfNoneMatch = "*",
        }));
        Assert.Equal("kept", await ReadAsync("existing"));
        await _s3.AbortMultipartUploadAsync(_bucket, "existing", id);
    }

    /// <summary>Annotation requests name the object's key: routed as the object's own operations they would overwrite or delete it.</summary>
    [Fact]
    public async Task AnnotationsNeitherOverwriteNorDeleteTheObject()
    {
        var e = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => _s3.PutObjectAnnotationAsync(new PutObjectAnnotationRequest
        {
            BucketName = _bucket, Key = "existing", AnnotationName = "note", AnnotationPayload = new MemoryStream(Encoding.UTF8.GetBytes("not the object")),
        }));
        Assert.Equal((HttpStatusCode.NotImplemented, "PutObjectAnnotation is not implemented."), (e.StatusCode, e.Message));
        e = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => _s3.DeleteObjectAnnotationAsync(new DeleteObjectAnnotationRequest
        {
            BucketName = _bucket, Key = "existing", AnnotationName = "note",
        }));
        Assert.Equal((HttpStatusCode.NotImplemented, "DeleteObjectAnnotation is not implemented."), (e.StatusCode, e.Message));
        Assert.Equal("kept", await ReadAsync("existing"));
    }

    [Fact]
    public async Task ChecksumAlgorithmsS3AcceptsButTheStoreDoesNotCompute()
    {
        await NotImplementedAsync("XXHASH64", () => _s3.PutObjectAsync(new PutObjectRequest
        {
            BucketName = _bucket, Key = "xxhash", ContentBody = "x", ChecksumXXHASH64 = "AAAAAAAAAAA=", UseChunkEncoding = false,
        }));
        await NotImplementedAsync("SHA512", () => _s3.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest
        {
            BucketName = _bucket, Key = "sha512", ChecksumAlgorithm = ChecksumAlgorithm.SHA512,
        }));
        await AbsentAsync("xxhash");
    }
}
