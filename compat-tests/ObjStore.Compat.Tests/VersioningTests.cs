using System.Net;
using System.Security.Cryptography;
using System.Text;
using Amazon.S3;
using Amazon.S3.Model;

namespace ObjStore.Compat.Tests;

/// <summary>
/// Bucket versioning as AWSSDK.S3 sees it with default settings: the bucket's state, version ids, delete markers,
/// suspended buckets, ListObjectVersions, DeleteObjects, copies and multipart uploads of versions; and what clients that
/// probe a bucket which never had versioning see (an empty configuration, every object the <c>null</c> version).
/// </summary>
[Collection(SharedEndpoint.Name)]
public class VersioningTests(S3Endpoint endpoint) : VersionedBucketTests(endpoint)
{
    private static string ETagOf(string body) => $"\"{Convert.ToHexStringLower(MD5.HashData(Encoding.UTF8.GetBytes(body)))}\"";

    private Task<string> EnabledBucketAsync() => Buckets.NewAsync(VersionStatus.Enabled);

    // ---- a bucket that never had versioning ---------------------------------------------------------------------

    [Fact]
    public async Task ABucketThatNeverHadVersioningSaysSo()
    {
        string bucket = await Buckets.NewAsync();
        var versioning = await S3.GetBucketVersioningAsync(new GetBucketVersioningRequest { BucketName = bucket });
        Assert.Equal(VersionStatus.Off, versioning.VersioningConfig.Status);

        var missing = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() =>
            S3.GetBucketVersioningAsync(new GetBucketVersioningRequest { BucketName = S3Endpoint.NewBucketName() }));
        Assert.Equal((HttpStatusCode.NotFound, "NoSuchBucket"), (missing.StatusCode, missing.ErrorCode));
    }

    [Fact]
    public async Task ABucketWithoutObjectLockHasNoLockConfiguration()
    {
        string bucket = await Buckets.NewAsync();
        var e = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() =>
            S3.GetObjectLockConfigurationAsync(new GetObjectLockConfigurationRequest { BucketName = bucket }));
        Assert.Equal((HttpStatusCode.NotFound, "ObjectLockConfigurationNotFoundError"), (e.StatusCode, e.ErrorCode));
    }

    [Fact]
    public async Task EveryObjectIsItsKeysOneNullVersionPageByPage()
    {
        string bucket = await Buckets.NewAsync();
        foreach (var key in new[] { "a", "b", "dir/c", "dir/d", "e" })
        {
            await S3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = key, ContentBody = key });
        }

        var first = await S3.ListVersionsAsync(new ListVersionsRequest { BucketName = bucket, MaxKeys = 2, Delimiter = "/" });
        Assert.Equal(["a", "b"], first.Versions.Select(v => v.Key));
        Assert.All(first.Versions, v => Assert.Equal(("null", true, false), (v.VersionId, v.IsLatest == true, v.IsDeleteMarker == true)));
        Assert.Equal(ETagOf("a"), first.Versions[0].ETag);
        Assert.True(first.IsTruncated);
        Assert.Equal(("b", "null"), (first.NextKeyMarker, first.NextVersionIdMarker));

        var rest = await S3.ListVersionsAsync(new ListVersionsRequest
        {
            BucketName = bucket, Delimiter = "/", KeyMarker = first.NextKeyMarker, VersionIdMarker = first.NextVersionIdMarker,
        });
        Assert.Equal(["e"], rest.Versions.Select(v => v.Key));
        Assert.Equal(["dir/"], rest.CommonPrefixes);
        Assert.False(rest.IsTruncated);

        var all = await S3.ListVersionsAsync(new ListVersionsRequest { BucketName = bucket, Prefix = "dir/" });
        Assert.Equal(["dir/c", "dir/d"], all.Versions.Select(v => v.Key));

        var noKeyMarker = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() =>
            S3.ListVersionsAsync(new ListVersionsRequest { BucketName = bucket, VersionIdMarker = "null" }));
        Assert.Equal((HttpStatusCode.BadRequest, "InvalidArgument"), (noKeyMarker.StatusCode, noKeyMarker.ErrorCode));
        var unknown = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() =>
            S3.ListVersionsAsync(new ListVersionsRequest { BucketName = bucket, KeyMarker = "a", VersionIdMarker = "3HL4kqtJlcpXroDTDmJ" }));
        Assert.Equal((HttpStatusCode.BadRequest, "InvalidArgument"), (unknown.StatusCode, unknown.ErrorCode));
    }

    [Fact]
    public async Task ARequestForAnotherVersionThanNullNeverActsOnTheObject()
    {
        string bucket = await Buckets.NewAsync();
        await S3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "k", ContentBody = "current" });
        const string other = "3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY";

        Assert.Equal("current", await Buckets.ReadAsync(bucket, "k", "null"));
        foreach (var refused in new Func<Task>[]
        {
            () => S3.GetObjectAsync(new GetObjectRequest { BucketName = bucket, Key = "k", VersionId = other }),
            () => S3.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = bucket, Key = "k", VersionId = other }),
            () => S3.DeleteObjectAsync(new DeleteObjectRequest { BucketName = bucket, Key = "k", VersionId = other }),
            () => S3.CopyObjectAsync(new CopyObjectRequest
            {
                SourceBucket = bucket, SourceKey = "k", SourceVersionId = other, DestinationBucket = bucket, DestinationKey = "copy",
            }),
        })
        {
            var e = await Assert.ThrowsAnyAsync<AmazonS3Exception>(refused);
            Assert.Equal(HttpStatusCode.BadRequest, e.StatusCode);
        }

        var batch = await Assert.ThrowsAsync<DeleteObjectsException>(() => S3.DeleteObjectsAsync(new DeleteObjectsRequest
        {
            BucketName = bucket,
            Objects = [new KeyVersion { Key = "k", VersionId = other }],
        }));
        var error = Assert.Single(batch.Response.DeleteErrors);
        Assert.Equal(("k", other, "InvalidArgument"), (error.Key, error.VersionId, error.Code));
        Assert.Equal(7, (await S3.GetObjectMetadataAsync(bucket, "k")).ContentLength); // still there, untouched

        var deleted = await S3.DeleteObjectsAsync(new DeleteObjectsRequest
        {
            BucketName = bucket,
            Objects = [new KeyVersion { Key = "k", VersionId = "null" }],
        });
        Assert.Equal(("k", "null"), (Assert.Single(deleted.DeletedObjects).Key, deleted.DeletedObjects[0].VersionId));
        var gone = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => S3.GetObjectMetadataAsync(bucket, "k"));
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
    }

    [Fact]
    public async Task APutToABucketThatNeverHadVersioningNamesNoVersion()
    {
        string bucket = await Buckets.NewAsync();
        Assert.Null(await Buckets.PutAsync(bucket, "k", "plain"));
        using (var got = await S3.GetObjectAsync(bucket, "k"))
        {
            Assert.Null(got.VersionId);
        }
        Assert.Null((await S3.GetObjectMetadataAsync(bucket, "k")).VersionId);
        var deleted = await S3.DeleteObjectAsync(bucket, "k");
        Assert.Equal((HttpStatusCode.NoContent, null, null), (deleted.HttpStatusCode, deleted.VersionId, deleted.DeleteMarker));
        Assert.Empty((await S3.ListVersionsAsync(bucket)).Versions ?? []);
    }

    // ---- the bucket's versioning --------------------------------------------------------------------------------

    [Fact]
    public async Task VersioningCanBeEnabledSuspendedAndEnabledAgainAndSaysWhichItIs()
    {
        string bucket = await Buckets.NewAsync();
        foreach (var status in new[] { VersionStatus.Enabled, VersionStatus.Suspended, VersionStatus.Suspended, VersionStatus.Enabled })
        {
            await Buckets.SetVersioningAsync(bucket, status);
            var versioning = await S3.GetBucketVersioningAsync(new GetBucketVersioningRequest { BucketName = bucket });
            Assert.Equal(status, versioning.VersioningConfig.Status);
            Assert.NotEqual(true, versioning.VersioningConfig.EnableMfaDelete);
        }
    }

    // Case variants ("enabled") cannot be sent through the SDK: it writes the known values in their own case.
    [Theory]
    [InlineData("Disabled")]
    [InlineData("NeverEnabled")]
    [InlineData("Foo")]
    public async Task AVersioningStatusOtherThanEnabledOrSuspendedIsMalformedXml(string status)
    {
        string bucket = await Buckets.NewAsync();
        var e = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => Buckets.SetVersioningAsync(bucket, new VersionStatus(status)));
        Assert.Equal((HttpStatusCode.BadRequest, "MalformedXML"), (e.StatusCode, e.ErrorCode));
        var versioning = await S3.GetBucketVersioningAsync(new GetBucketVersioningRequest { BucketName = bucket });
        Assert.Equal(VersionStatus.Off, versioning.VersioningConfig.Status);
    }

    [Fact]
    public async Task AVersioningConfigurationWithoutAStatusIsIllegal()
    {
        string bucket = await Buckets.NewAsync();
        foreach (var configuration in new[]
        {
            new S3BucketVersioningConfig { EnableMfaDelete = false },
            new S3BucketVersioningConfig { Status = VersionStatus.Off }, // the SDK writes no Status for Off
        })
        {
            var e = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() =>
                S3.PutBucketVersioningAsync(new PutBucketVersioningRequest { BucketName = bucket, VersioningConfig = configuration }));
            Assert.Equal((HttpStatusCode.BadRequest, "IllegalVersioningConfigurationException"), (e.StatusCode, e.ErrorCode));
        }
        var versioning = await S3.GetBucketVersioningAsync(new GetBucketVersioningRequest { BucketName = bucket });
        Assert.Equal(VersionStatus.Off, versioning.VersioningConfig.Status);
    }

    [Fact]
    public async Task MfaDeleteIsNotImplementedAndChangesNothing()
    {
        string bucket = await Buckets.NewAsync();
        var withMfaDelete = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => S3.PutBucketVersioningAsync(new PutBucketVersioningRequest
        {
            BucketName = bucket,
            VersioningConfig = new S3BucketVersioningConfig { Status = VersionStatus.Enabled, EnableMfaDelete = true },
        }));
        Assert.Equal((HttpStatusCode.NotImplemented, "NotImplemented"), (withMfaDelete.StatusCode, withMfaDelete.ErrorCode));

        var withMfaHeader = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => S3.PutBucketVersioningAsync(new PutBucketVersioningRequest
        {
            BucketName = bucket,
            VersioningConfig = new S3BucketVersioningConfig { Status = VersionStatus.Enabled, EnableMfaDelete = false },
            MfaCodes = new MfaCodes { SerialNumber = "arn:aws:iam::123456789012:mfa/compat", AuthenticationValue = "123456" },
        }));
        Assert.Equal((HttpStatusCode.NotImplemented, "NotImplemented"), (withMfaHeader.StatusCode, withMfaHeader.ErrorCode));

        var versioning = await S3.GetBucketVersioningAsync(new GetBucketVersioningRequest { BucketName = bucket });
        Assert.Equal(VersionStatus.Off, versioning.VersioningConfig.Status);

        // MfaDelete Disabled without an MFA is what every client sends by default, and is accepted.
        await S3.PutBucketVersioningAsync(new PutBucketVersioningRequest
        {
            BucketName = bucket,
            VersioningConfig = new S3BucketVersioningConfig { Status = VersionStatus.Enabled, EnableMfaDelete = false },
        });
        Assert.Equal(VersionStatus.Enabled, (await S3.GetBucketVersioningAsync(new GetBucketVersioningRequest { BucketName = bucket })).VersioningConfig.Status);
    }

    // ---- versions -----------------------------------------------------------------------------------------------

    [Fact]
    public async Task EveryPutToAnEnabledBucketMakesANewVersionReadableByItsId()
    {
        string bucket = await EnabledBucketAsync();
        string v1 = await Buckets.PutVersionAsync(bucket, "k", "one");
        string v2 = await Buckets.PutVersionAsync(bucket, "k", "second");
        Assert.NotEqual(v1, v2);

        using (var latest = await S3.GetObjectAsync(bucket, "k"))
        {
            Assert.Equal((v2, ETagOf("second")), (latest.VersionId, latest.ETag));
        }
        using (var old = await S3.GetObjectAsync(new GetObjectRequest { BucketName = bucket, Key = "k", VersionId = v1 }))
        {
            Assert.Equal((v1, ETagOf("one")), (old.VersionId, old.ETag));
            Assert.Equal("one", await new StreamReader(old.ResponseStream).ReadToEndAsync());
        }

        var headOld = await S3.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = bucket, Key = "k", VersionId = v1 });
        Assert.Equal((v1, ETagOf("one"), 3L), (headOld.VersionId, headOld.ETag, headOld.ContentLength));
        var headLatest = await S3.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = bucket, Key = "k" });
        Assert.Equal((v2, ETagOf("second"), 6L), (headLatest.VersionId, headLatest.ETag, headLatest.ContentLength));

        Assert.Equal([("k", v2, false, true), ("k", v1, false, false)], VersionedBuckets.Describe(await Buckets.ListAllAsync(bucket)));
    }

    [Fact]
    public async Task AnObjectFromBeforeVersioningIsTheNullVersionAndStaysReadable()
    {
        string bucket = await Buckets.NewAsync();
        Assert.Null(await Buckets.PutAsync(bucket, "k", "before"));
        await Buckets.SetVersioningAsync(bucket, VersionStatus.Enabled);

        // The bucket has been versioned: reads now name the version they return, the null one included.
        using (var got = await S3.GetObjectAsync(bucket, "k"))
        {
            Assert.Equal("null", got.VersionId);
        }
        string v1 = await Buckets.PutVersionAsync(bucket, "k", "after");
        Assert.Equal([("k", v1, false, true), ("k", "null", false, false)], VersionedBuckets.Describe(await Buckets.ListAllAsync(bucket)));

        Assert.Equal("before", await Buckets.ReadAsync(bucket, "k", "null"));
        Assert.Equal("after", await Buckets.ReadAsync(bucket, "k"));
        var head = await S3.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = bucket, Key = "k", VersionId = "null" });
        Assert.Equal(("null", 6L), (head.VersionId, head.ContentLength));
    }

    [Fact]
    public async Task TheNullVersionIdInAnEnabledBucketWithoutANullVersionIsNoSuchVersion()
    {
        string bucket = await EnabledBucketAsync();
        await Buckets.PutVersionAsync(bucket, "k", "versioned");
        var e = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() =>
            S3.GetObjectAsync(new GetObjectRequest { BucketName = bucket, Key = "k", VersionId = "null" }));
        Assert.Equal((HttpStatusCode.NotFound, "NoSuchVersion"), (e.StatusCode, e.ErrorCode));
    }

    [Fact]
    public async Task AWellFormedVersionIdThatDoesNotExistIsNoSuchVersionToReadsAndNothingToDelete()
    {
        string bucket = await EnabledBucketAsync();
        string v1 = await Buckets.PutVersionAsync(bucket, "k", "kept");
        const string absent = VersionedBuckets.AbsentVersionId;

        var get = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() =>
            S3.GetObjectAsync(new GetObjectRequest { BucketName = bucket, Key = "k", VersionId = absent }));
        Assert.Equal((HttpStatusCode.NotFound, "NoSuchVersion"), (get.StatusCode, get.ErrorCode));
        var head = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() =>
            S3.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = bucket, Key = "k", VersionId = absent }));
        Assert.Equal(HttpStatusCode.NotFound, head.StatusCode);

        var deleted = await S3.DeleteObjectAsync(new DeleteObjectRequest { BucketName = bucket, Key = "k", VersionId = absent });
        Assert.Equal((HttpStatusCode.NoContent, absent), (deleted.HttpStatusCode, deleted.VersionId));
        Assert.NotEqual("true", deleted.DeleteMarker);
        Assert.Equal([("k", v1, false, true)], VersionedBuckets.Describe(await Buckets.ListAllAsync(bucket)));
    }

    [Fact]
    public async Task AMalformedVersionIdIsInvalidArgumentToReadsDeletesAndListings()
    {
        string bucket = await EnabledBucketAsync();
        string v1 = await Buckets.PutVersionAsync(bucket, "k", "kept");
        foreach (string malformed in new[] { "invalid", "dsf", "nonexistent-version-id-12345" })
        {
            var get = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() =>
                S3.GetObjectAsync(new GetObjectRequest { BucketName = bucket, Key = "k", VersionId = malformed }));
            Assert.Equal((HttpStatusCode.BadRequest, "InvalidArgument"), (get.StatusCode, get.ErrorCode));
            var head = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() =>
                S3.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = bucket, Key = "k", VersionId = malformed }));
            Assert.Equal(HttpStatusCode.BadRequest, head.StatusCode);
            var delete = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() =>
                S3.DeleteObjectAsync(new DeleteObjectRequest { BucketName = bucket, Key = "k", VersionId = malformed }));
            Assert.Equal((HttpStatusCode.BadRequest, "InvalidArgument"), (delete.StatusCode, delete.ErrorCode));
            var list = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() =>
                S3.ListVersionsAsync(new ListVersionsRequest { BucketName = bucket, KeyMarker = "k", VersionIdMarker = malformed }));
            Assert.Equal((HttpStatusCode.BadRequest, "InvalidArgument"), (list.StatusCode, list.ErrorCode));
        }
        Assert.Equal([("k", v1, false, true)], VersionedBuckets.Describe(await Buckets.ListAllAsync(bucket)));
    }

    [Fact]
    public async Task AMalformedCopySourceVersionIdIsInvalidRequestToCopyObjectAndInvalidArgumentToUploadPartCopy()
    {
        string bucket = await EnabledBucketAsync();
        await Buckets.PutVersionAsync(bucket, "src", "source");
        var copy = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => S3.CopyObjectAsync(new CopyObjectRequest
        {
            SourceBucket = bucket, SourceKey = "src", SourceVersionId = "invalid", DestinationBucket = bucket, DestinationKey = "dst",
        }));
        Assert.Equal((HttpStatusCode.BadRequest, "InvalidRequest"), (copy.StatusCode, copy.ErrorCode));

        string uploadId = (await S3.InitiateMultipartUploadAsync(bucket, "mp")).UploadId;
        var part = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => S3.CopyPartAsync(new CopyPartRequest
        {
            SourceBucket = bucket, SourceKey = "src", SourceVersionId = "invalid",
            DestinationBucket = bucket, DestinationKey = "mp", UploadId = uploadId, PartNumber = 1,
        }));
        Assert.Equal((HttpStatusCode.BadRequest, "InvalidArgument"), (part.StatusCode, part.ErrorCode));
        await S3.AbortMultipartUploadAsync(bucket, "mp", uploadId);
        Assert.Equal(HttpStatusCode.NotFound,
            (await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => S3.GetObjectMetadataAsync(bucket, "dst"))).StatusCode);
    }

    // ---- delete markers -----------------------------------------------------------------------------------------

    [Fact]
    public async Task ADeleteWithoutVersionIdAddsADeleteMarkerThatHidesTheObject()
    {
        string bucket = await EnabledBucketAsync();
        string v1 = await Buckets.PutVersionAsync(bucket, "k", "one");
        var deleted = await S3.DeleteObjectAsync(bucket, "k");
        Assert.Equal((HttpStatusCode.NoContent, "true"), (deleted.HttpStatusCode, deleted.DeleteMarker));
        string marker = deleted.VersionId;
        VersionedBuckets.AssertVersionId(marker);
        Assert.NotEqual(v1, marker);

        var get = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => S3.GetObjectAsync(bucket, "k"));
        Assert.Equal((HttpStatusCode.NotFound, "NoSuchKey"), (get.StatusCode, get.ErrorCode));
        Assert.Equal(("true", marker), (VersionedBuckets.ErrorHeader(get, "x-amz-delete-marker"), VersionedBuckets.ErrorHeader(get, "x-amz-version-id")));
        var head = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => S3.GetObjectMetadataAsync(bucket, "k"));
        Assert.Equal(HttpStatusCode.NotFound, head.StatusCode);
        Assert.Equal(("true", marker), (VersionedBuckets.ErrorHeader(head, "x-amz-delete-marker"), VersionedBuckets.ErrorHeader(head, "x-amz-version-id")));

        Assert.Equal("one", await Buckets.ReadAsync(bucket, "k", v1));
        Assert.Empty((await S3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket })).S3Objects ?? []);
        Assert.Equal([("k", marker, true, true), ("k", v1, false, false)], VersionedBuckets.Describe(await Buckets.ListAllAsync(bucket)));
    }

    [Fact]
    public async Task ReadingADeleteMarkerByItsIdIsMethodNotAllowed()
    {
        string bucket = await EnabledBucketAsync();
        await Buckets.PutVersionAsync(bucket, "k", "one");
        string marker = await Buckets.AddDeleteMarkerAsync(bucket, "k");

        var get = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() =>
            S3.GetObjectAsync(new GetObjectRequest { BucketName = bucket, Key = "k", VersionId = marker }));
        Assert.Equal((HttpStatusCode.MethodNotAllowed, "MethodNotAllowed"), (get.StatusCode, get.ErrorCode));
        Assert.Equal(("true", marker), (VersionedBuckets.ErrorHeader(get, "x-amz-delete-marker"), VersionedBuckets.ErrorHeader(get, "x-amz-version-id")));
        Assert.NotNull(VersionedBuckets.ErrorHeader(get, "Last-Modified"));

        var head = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() =>
            S3.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = bucket, Key = "k", VersionId = marker }));
        Assert.Equal(HttpStatusCode.MethodNotAllowed, head.StatusCode);
        Assert.Equal(("true", marker), (VersionedBuckets.ErrorHeader(head, "x-amz-delete-marker"), VersionedBuckets.ErrorHeader(head, "x-amz-version-id")));
    }

    [Fact]
    public async Task DeletingTheDeleteMarkerByItsIdBringsTheObjectBack()
    {
        string bucket = await EnabledBucketAsync();
        string v1 = await Buckets.PutVersionAsync(bucket, "k", "one");
        string marker = await Buckets.AddDeleteMarkerAsync(bucket, "k");

        var deleted = await S3.DeleteObjectAsync(new DeleteObjectRequest { BucketName = bucket, Key = "k", VersionId = marker });
        Assert.Equal((HttpStatusCode.NoContent, "true", marker), (deleted.HttpStatusCode, deleted.DeleteMarker, deleted.VersionId));

        using (var got = await S3.GetObjectAsync(bucket, "k"))
        {
            Assert.Equal(v1, got.VersionId);
        }
        Assert.Equal(["k"], (await S3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket })).S3Objects.Select(o => o.Key));
        Assert.Equal([("k", v1, false, true)], VersionedBuckets.Describe(await Buckets.ListAllAsync(bucket)));
    }

    [Fact]
    public async Task ADeleteWithVersionIdRemovesExactlyThatVersion()
    {
        string bucket = await EnabledBucketAsync();
        string v1 = await Buckets.PutVersionAsync(bucket, "k", "one");
        string v2 = await Buckets.PutVersionAsync(bucket, "k", "two");
        string v3 = await Buckets.PutVersionAsync(bucket, "k", "three");
        await Buckets.PutVersionAsync(bucket, "other", "untouched");

        var middle = await S3.DeleteObjectAsync(new DeleteObjectRequest { BucketName = bucket, Key = "k", VersionId = v2 });
        Assert.Equal((HttpStatusCode.NoContent, v2), (middle.HttpStatusCode, middle.VersionId));
        Assert.NotEqual("true", middle.DeleteMarker);
        Assert.Equal([("k", v3, false, true), ("k", v1, false, false)], VersionedBuckets.Describe(await Buckets.ListAllAsync(bucket, "k")));
        Assert.Equal("three", await Buckets.ReadAsync(bucket, "k"));
        var removed = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => Buckets.ReadAsync(bucket, "k", v2));
        Assert.Equal((HttpStatusCode.NotFound, "NoSuchVersion"), (removed.StatusCode, removed.ErrorCode));

        // Removing the latest makes the next newest the latest: no delete marker, the object is still there.
        await S3.DeleteObjectAsync(new DeleteObjectRequest { BucketName = bucket, Key = "k", VersionId = v3 });
        Assert.Equal([("k", v1, false, true)], VersionedBuckets.Describe(await Buckets.ListAllAsync(bucket, "k")));
        Assert.Equal("one", await Buckets.ReadAsync(bucket, "k"));
        Assert.Equal(["k", "other"], (await S3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket })).S3Objects.Select(o => o.Key));

        await S3.DeleteObjectAsync(new DeleteObjectRequest { BucketName = bucket, Key = "k", VersionId = v1 });
        Assert.Empty(await Buckets.ListAllAsync(bucket, "k"));
        Assert.Equal(HttpStatusCode.NotFound, (await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => Buckets.ReadAsync(bucket, "k"))).StatusCode);
    }

    [Fact]
    public async Task ADeleteOfAKeyThatNeverExistedStillAddsADeleteMarker()
    {
        string bucket = await EnabledBucketAsync();
        string marker = await Buckets.AddDeleteMarkerAsync(bucket, "never");
        Assert.Equal([("never", marker, true, true)], VersionedBuckets.Describe(await Buckets.ListAllAsync(bucket)));
        Assert.Empty((await S3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket })).S3Objects ?? []);
    }

    [Fact]
    public async Task ABucketHoldingOnlyOldVersionsOrDeleteMarkersIsNotEmpty()
    {
        string bucket = await EnabledBucketAsync();
        string v1 = await Buckets.PutVersionAsync(bucket, "k", "one");
        string marker = await Buckets.AddDeleteMarkerAsync(bucket, "k");
        Assert.Equal(0, (await S3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket })).KeyCount);

        var withVersion = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => S3.DeleteBucketAsync(bucket));
        Assert.Equal((HttpStatusCode.Conflict, "BucketNotEmpty"), (withVersion.StatusCode, withVersion.ErrorCode));
        await S3.DeleteObjectAsync(new DeleteObjectRequest { BucketName = bucket, Key = "k", VersionId = v1 });
        var withMarker = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => S3.DeleteBucketAsync(bucket));
        Assert.Equal((HttpStatusCode.Conflict, "BucketNotEmpty"), (withMarker.StatusCode, withMarker.ErrorCode));

        await S3.DeleteObjectAsync(new DeleteObjectRequest { BucketName = bucket, Key = "k", VersionId = marker });
        Assert.Equal(HttpStatusCode.NoContent, (await S3.DeleteBucketAsync(bucket)).HttpStatusCode);
    }

    // ---- suspended buckets --------------------------------------------------------------------------------------

    [Fact]
    public async Task ASuspendedBucketWritesAndDeletesTheNullVersionAndKeepsOlderVersions()
    {
        string bucket = await EnabledBucketAsync();
        string v1 = await Buckets.PutVersionAsync(bucket, "k", "enabled");
        string v2 = await Buckets.PutVersionAsync(bucket, "only-enabled", "enabled");
        await Buckets.SetVersioningAsync(bucket, VersionStatus.Suspended);

        Assert.Null(await Buckets.PutAsync(bucket, "k", "suspended one"));
        using (var got = await S3.GetObjectAsync(bucket, "k"))
        {
            Assert.Equal("null", got.VersionId);
        }
        Assert.Equal("null", (await S3.GetObjectMetadataAsync(bucket, "k")).VersionId);
        Assert.Null(await Buckets.PutAsync(bucket, "k", "suspended two")); // replaces the null version
        Assert.Equal([("k", "null", false, true), ("k", v1, false, false)], VersionedBuckets.Describe(await Buckets.ListAllAsync(bucket, "k")));
        Assert.Equal("suspended two", await Buckets.ReadAsync(bucket, "k", "null"));

        // A delete replaces the null version by a null delete marker; the version made while enabled stays.
        var deleted = await S3.DeleteObjectAsync(bucket, "k");
        Assert.Equal((HttpStatusCode.NoContent, "true", "null"), (deleted.HttpStatusCode, deleted.DeleteMarker, deleted.VersionId));
        Assert.Equal([("k", "null", true, true), ("k", v1, false, false)], VersionedBuckets.Describe(await Buckets.ListAllAsync(bucket, "k")));
        Assert.Equal("NoSuchKey", (await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => Buckets.ReadAsync(bucket, "k"))).ErrorCode);
        Assert.Equal("enabled", await Buckets.ReadAsync(bucket, "k", v1));

        // Where there is no null version, a delete only adds the null marker.
        var onlyMarker = await S3.DeleteObjectAsync(bucket, "only-enabled");
        Assert.Equal(("true", "null"), (onlyMarker.DeleteMarker, onlyMarker.VersionId));
        Assert.Equal([("only-enabled", "null", true, true), ("only-enabled", v2, false, false)],
            VersionedBuckets.Describe(await Buckets.ListAllAsync(bucket, "only-enabled")));

        // A PUT over the null marker replaces it in turn.
        Assert.Null(await Buckets.PutAsync(bucket, "k", "back"));
        Assert.Equal([("k", "null", false, true), ("k", v1, false, false)], VersionedBuckets.Describe(await Buckets.ListAllAsync(bucket, "k")));
        Assert.Equal("back", await Buckets.ReadAsync(bucket, "k"));

        var batch = await S3.DeleteObjectsAsync(new DeleteObjectsRequest { BucketName = bucket, Objects = [new KeyVersion { Key = "k" }] });
        var result = Assert.Single(batch.DeletedObjects);
        Assert.Equal(("k", true, "null"), (result.Key, result.DeleteMarker == true, result.DeleteMarkerVersionId));
        Assert.Equal([("k", "null", true, true), ("k", v1, false, false)], VersionedBuckets.Describe(await Buckets.ListAllAsync(bucket, "k")));
    }

    // ---- ListObjectVersions and ListObjects ---------------------------------------------------------------------

    [Fact]
    public async Task ListVersionsPagesThroughVersionsAndMarkersInOrderWithAnyMaxKeys()
    {
        string bucket = await EnabledBucketAsync();
        var made = new Dictionary<string, List<(string VersionId, bool Marker)>> { ["k1"] = [], ["k2"] = [], ["k3"] = [] };
        async Task Put(string key) => made[key].Insert(0, (await Buckets.PutVersionAsync(bucket, key, key + made[key].Count), false));
        async Task Delete(string key) => made[key].Insert(0, (await Buckets.AddDeleteMarkerAsync(bucket, key), true));
        // k1: four versions under a delete marker; k2: a delete marker between its versions; k3: four versions.
        for (int i = 0; i < 4; i++)
        {
            await Put("k1");
            await Put("k3");
        }
        await Delete("k1");
        await Put("k2");
        await Put("k2");
        await Delete("k2");
        await Put("k2");
        await Put("k2");
        var expected = made.OrderBy(k => k.Key, StringComparer.Ordinal)
            .SelectMany(k => k.Value.Select((v, i) => (k.Key, v.VersionId, v.Marker, Latest: i == 0))).ToList();
        Assert.Equal(14, expected.Count);

        foreach (int maxKeys in new[] { 1, 3, 5, 13, 14, 1000 })
        {
            var seen = new List<S3ObjectVersion>();
            string? keyMarker = null, versionIdMarker = null;
            int pages = 0;
            while (true)
            {
                var page = await S3.ListVersionsAsync(new ListVersionsRequest
                {
                    BucketName = bucket, MaxKeys = maxKeys, KeyMarker = keyMarker, VersionIdMarker = versionIdMarker,
                });
                pages++;
                var versions = page.Versions ?? [];
                Assert.InRange(versions.Count, 1, maxKeys);
                seen.AddRange(versions);
                if (page.IsTruncated != true)
                {
                    break;
                }
                Assert.Equal(maxKeys, versions.Count);
                (keyMarker, versionIdMarker) = (page.NextKeyMarker, page.NextVersionIdMarker);
            }
            Assert.Equal(expected, VersionedBuckets.Describe(seen));
            Assert.Equal((14 + maxKeys - 1) / maxKeys, pages);
        }

        // A key marker alone starts after every version of that key.
        var afterK1 = await S3.ListVersionsAsync(new ListVersionsRequest { BucketName = bucket, KeyMarker = "k1" });
        Assert.Equal(expected.Where(v => v.Key != "k1"), VersionedBuckets.Describe(afterK1.Versions));
        var afterK2 = await S3.ListVersionsAsync(new ListVersionsRequest { BucketName = bucket, KeyMarker = "k2", MaxKeys = 2 });
        Assert.Equal(expected.Where(v => v.Key == "k3").Take(2), VersionedBuckets.Describe(afterK2.Versions));
        Assert.True(afterK2.IsTruncated);
    }

    [Fact]
    public async Task ListVersionsInterleavesDeleteMarkersNewestFirstWithEachVersionsDescription()
    {
        string bucket = await EnabledBucketAsync();
        string v1 = await Buckets.PutVersionAsync(bucket, "k", "one");
        string m1 = await Buckets.AddDeleteMarkerAsync(bucket, "k");
        string v2 = await Buckets.PutVersionAsync(bucket, "k", "second");
        string m2 = await Buckets.AddDeleteMarkerAsync(bucket, "k");

        var listed = await S3.ListVersionsAsync(bucket);
        Assert.Equal([("k", m2, true, true), ("k", v2, false, false), ("k", m1, true, false), ("k", v1, false, false)],
            VersionedBuckets.Describe(listed.Versions));
        Assert.Equal((ETagOf("second"), 6L), (listed.Versions[1].ETag, listed.Versions[1].Size));
        Assert.Equal((ETagOf("one"), 3L), (listed.Versions[3].ETag, listed.Versions[3].Size));
        Assert.All(listed.Versions, v => Assert.NotNull(v.LastModified));
        Assert.Equal(4, listed.Versions.Select(v => v.VersionId).Distinct().Count());
    }

    [Fact]
    public async Task ListVersionsGroupsCommonPrefixesAndFiltersByPrefix()
    {
        string bucket = await EnabledBucketAsync();
        string a1 = await Buckets.PutVersionAsync(bucket, "a", "a1");
        string a2 = await Buckets.PutVersionAsync(bucket, "a", "a2");
        string x1 = await Buckets.PutVersionAsync(bucket, "dir/x", "x1");
        string x2 = await Buckets.PutVersionAsync(bucket, "dir/x", "x2");
        string y1 = await Buckets.PutVersionAsync(bucket, "dir/y", "y1");
        string z1 = await Buckets.PutVersionAsync(bucket, "dir/sub/z", "z1");
        string e1 = await Buckets.PutVersionAsync(bucket, "e", "e1");
        string e2 = await Buckets.AddDeleteMarkerAsync(bucket, "e");
        await Buckets.AddDeleteMarkerAsync(bucket, "gone/x"); // a prefix holding nothing but a delete marker

        var top = await S3.ListVersionsAsync(new ListVersionsRequest { BucketName = bucket, Delimiter = "/" });
        Assert.Equal([("a", a2, false, true), ("a", a1, false, false), ("e", e2, true, true), ("e", e1, false, false)], VersionedBuckets.Describe(top.Versions));
        Assert.Equal(["dir/", "gone/"], top.CommonPrefixes);
        var current = await S3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket, Delimiter = "/" });
        Assert.Equal(["a"], current.S3Objects.Select(o => o.Key));
        Assert.Equal(["dir/"], current.CommonPrefixes);

        var dir = await S3.ListVersionsAsync(new ListVersionsRequest { BucketName = bucket, Prefix = "dir/", Delimiter = "/" });
        Assert.Equal([("dir/x", x2, false, true), ("dir/x", x1, false, false), ("dir/y", y1, false, true)], VersionedBuckets.Describe(dir.Versions));
        Assert.Equal(["dir/sub/"], dir.CommonPrefixes);

        var flat = await S3.ListVersionsAsync(new ListVersionsRequest { BucketName = bucket, Prefix = "dir/" });
        Assert.Equal([("dir/sub/z", z1, false, true), ("dir/x", x2, false, true), ("dir/x", x1, false, false), ("dir/y", y1, false, true)],
            VersionedBuckets.Describe(flat.Versions));
        Assert.Empty(flat.CommonPrefixes ?? []);

        // Two entries a page, a common prefix counting as one: each prefix comes once, in key order among the versions.
        var versions = new List<S3ObjectVersion>();
        var prefixes = new List<string>();
        string? keyMarker = null, versionIdMarker = null;
        for (int pages = 1; ; pages++)
        {
            var page = await S3.ListVersionsAsync(new ListVersionsRequest
            {
                BucketName = bucket, Delimiter = "/", MaxKeys = 2, KeyMarker = keyMarker, VersionIdMarker = versionIdMarker,
            });
            Assert.InRange((page.Versions?.Count ?? 0) + (page.CommonPrefixes?.Count ?? 0), 1, 2);
            versions.AddRange(page.Versions ?? []);
            prefixes.AddRange(page.CommonPrefixes ?? []);
            if (page.IsTruncated != true)
            {
                Assert.Equal(3, pages);
                break;
            }
            (keyMarker, versionIdMarker) = (page.NextKeyMarker, page.NextVersionIdMarker);
        }
        Assert.Equal(VersionedBuckets.Describe(top.Versions), VersionedBuckets.Describe(versions));
        Assert.Equal(["dir/", "gone/"], prefixes);
    }

    [Fact]
    public async Task ListObjectsShowsOnlyTheLatestVersionsThatAreNotDeleteMarkers()
    {
        string bucket = await EnabledBucketAsync();
        await Buckets.PutVersionAsync(bucket, "live", "old");
        await Buckets.PutVersionAsync(bucket, "live", "latest");
        await Buckets.PutVersionAsync(bucket, "gone", "hidden");
        await Buckets.AddDeleteMarkerAsync(bucket, "gone");
        await Buckets.PutVersionAsync(bucket, "back", "restored");
        string marker = await Buckets.AddDeleteMarkerAsync(bucket, "back");
        await S3.DeleteObjectAsync(new DeleteObjectRequest { BucketName = bucket, Key = "back", VersionId = marker });
        await Buckets.PutVersionAsync(bucket, "under", "hidden again");
        await Buckets.AddDeleteMarkerAsync(bucket, "under");
        string over = await Buckets.PutVersionAsync(bucket, "under", "briefly visible");
        await S3.DeleteObjectAsync(new DeleteObjectRequest { BucketName = bucket, Key = "under", VersionId = over }); // the marker is latest again

        var v2 = await S3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket });
        Assert.Equal([("back", ETagOf("restored"), 8L), ("live", ETagOf("latest"), 6L)], v2.S3Objects.Select(o => (o.Key, o.ETag, o.Size ?? -1)));
        Assert.Equal(2, v2.KeyCount);
        var v1 = await S3.ListObjectsAsync(new ListObjectsRequest { BucketName = bucket });
        Assert.Equal(["back", "live"], v1.S3Objects.Select(o => o.Key));
        var paged = await S3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket, MaxKeys = 1 });
        Assert.Equal(["back"], paged.S3Objects.Select(o => o.Key));
        var next = await S3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket, ContinuationToken = paged.NextContinuationToken });
        Assert.Equal(["live"], next.S3Objects.Select(o => o.Key));
    }

    // ---- DeleteObjects ------------------------------------------------------------------------------------------

    [Fact]
    public async Task DeleteObjectsReportsVersionsAndDeleteMarkersAsS3Does()
    {
        string bucket = await EnabledBucketAsync();
        string plain = await Buckets.PutVersionAsync(bucket, "plain", "p");
        string ver1 = await Buckets.PutVersionAsync(bucket, "ver", "v1");
        string ver2 = await Buckets.PutVersionAsync(bucket, "ver", "v2");
        string mark = await Buckets.PutVersionAsync(bucket, "mark", "m");
        string markMarker = await Buckets.AddDeleteMarkerAsync(bucket, "mark");

        var result = await S3.DeleteObjectsAsync(new DeleteObjectsRequest
        {
            BucketName = bucket,
            Objects =
            [
                new KeyVersion { Key = "plain" },
                new KeyVersion { Key = "ver", VersionId = ver1 },
                new KeyVersion { Key = "mark", VersionId = markMarker },
                new KeyVersion { Key = "ghost", VersionId = VersionedBuckets.AbsentVersionId },
            ],
        });
        Assert.Empty(result.DeleteErrors ?? []);
        var byKey = result.DeletedObjects.ToDictionary(d => d.Key);
        Assert.Equal(4, byKey.Count);

        // No version named: a new delete marker, its id as DeleteMarkerVersionId.
        Assert.Equal((null, true), (byKey["plain"].VersionId, byKey["plain"].DeleteMarker == true));
        string plainMarker = byKey["plain"].DeleteMarkerVersionId;
        VersionedBuckets.AssertVersionId(plainMarker);
        // A version: that version, no marker.
        Assert.Equal((ver1, false, null), (byKey["ver"].VersionId, byKey["ver"].DeleteMarker == true, byKey["ver"].DeleteMarkerVersionId));
        // A delete marker: the marker, named both ways.
        Assert.Equal((markMarker, true, markMarker), (byKey["mark"].VersionId, byKey["mark"].DeleteMarker == true, byKey["mark"].DeleteMarkerVersionId));
        // A version that does not exist is deleted all the same.
        Assert.Equal((VersionedBuckets.AbsentVersionId, false), (byKey["ghost"].VersionId, byKey["ghost"].DeleteMarker == true));

        Assert.Equal(
            [("mark", mark, false, true), ("plain", plainMarker, true, true), ("plain", plain, false, false), ("ver", ver2, false, true)],
            VersionedBuckets.Describe(await Buckets.ListAllAsync(bucket)));
        Assert.Equal(["mark", "ver"], (await S3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket })).S3Objects.Select(o => o.Key));
    }

    // ---- copies -------------------------------------------------------------------------------------------------

    [Fact]
    public async Task CopyObjectReadsTheSourceVersionItIsGivenAndSaysWhich()
    {
        string bucket = await EnabledBucketAsync();
        string plainBucket = await Buckets.NewAsync();
        string v1 = await Buckets.PutVersionAsync(bucket, "src", "first");
        string v2 = await Buckets.PutVersionAsync(bucket, "src", "second");

        var old = await S3.CopyObjectAsync(new CopyObjectRequest
        {
            SourceBucket = bucket, SourceKey = "src", SourceVersionId = v1, DestinationBucket = bucket, DestinationKey = "dst",
        });
        Assert.Equal((v1, ETagOf("first")), (old.SourceVersionId, old.ETag));
        VersionedBuckets.AssertVersionId(old.VersionId);
        Assert.DoesNotContain(old.VersionId, new[] { v1, v2 });
        Assert.Equal("first", await Buckets.ReadAsync(bucket, "dst"));
        Assert.Equal([("dst", old.VersionId, false, true)], VersionedBuckets.Describe(await Buckets.ListAllAsync(bucket, "dst")));

        // Without a version id the latest is copied, and named all the same.
        var latest = await S3.CopyObjectAsync(new CopyObjectRequest { SourceBucket = bucket, SourceKey = "src", DestinationBucket = bucket, DestinationKey = "dst" });
        Assert.Equal(v2, latest.SourceVersionId);
        Assert.Equal("second", await Buckets.ReadAsync(bucket, "dst"));
        Assert.Equal(2, (await Buckets.ListAllAsync(bucket, "dst")).Count);

        // Into a bucket that never had versioning: no new version to name.
        var across = await S3.CopyObjectAsync(new CopyObjectRequest
        {
            SourceBucket = bucket, SourceKey = "src", SourceVersionId = v1, DestinationBucket = plainBucket, DestinationKey = "dst",
        });
        Assert.Equal((v1, null), (across.SourceVersionId, across.VersionId));
        Assert.Equal("first", await Buckets.ReadAsync(plainBucket, "dst"));
    }

    [Fact]
    public async Task CopyingAnOlderVersionOntoItsOwnKeyRestoresIt()
    {
        string bucket = await EnabledBucketAsync();
        string v1 = await Buckets.PutVersionAsync(bucket, "k", "good");
        string v2 = await Buckets.PutVersionAsync(bucket, "k", "bad");

        var restored = await S3.CopyObjectAsync(new CopyObjectRequest
        {
            SourceBucket = bucket, SourceKey = "k", SourceVersionId = v1, DestinationBucket = bucket, DestinationKey = "k",
        });
        Assert.Equal(v1, restored.SourceVersionId);
        VersionedBuckets.AssertVersionId(restored.VersionId);
        Assert.Equal("good", await Buckets.ReadAsync(bucket, "k"));
        Assert.Equal([("k", restored.VersionId, false, true), ("k", v2, false, false), ("k", v1, false, false)],
            VersionedBuckets.Describe(await Buckets.ListAllAsync(bucket)));
    }

    [Fact]
    public async Task ADeleteMarkerAsACopySourceIsNotFoundWhenLatestAndInvalidWhenNamed()
    {
        string bucket = await EnabledBucketAsync();
        await Buckets.PutVersionAsync(bucket, "src", "hidden");
        string marker = await Buckets.AddDeleteMarkerAsync(bucket, "src");
        string uploadId = (await S3.InitiateMultipartUploadAsync(bucket, "mp")).UploadId;

        var copyLatest = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => S3.CopyObjectAsync(new CopyObjectRequest
        {
            SourceBucket = bucket, SourceKey = "src", DestinationBucket = bucket, DestinationKey = "dst",
        }));
        Assert.Equal((HttpStatusCode.NotFound, "NoSuchKey"), (copyLatest.StatusCode, copyLatest.ErrorCode));
        var copyNamed = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => S3.CopyObjectAsync(new CopyObjectRequest
        {
            SourceBucket = bucket, SourceKey = "src", SourceVersionId = marker, DestinationBucket = bucket, DestinationKey = "dst",
        }));
        Assert.Equal((HttpStatusCode.BadRequest, "InvalidRequest"), (copyNamed.StatusCode, copyNamed.ErrorCode));

        var partLatest = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => S3.CopyPartAsync(new CopyPartRequest
        {
            SourceBucket = bucket, SourceKey = "src", DestinationBucket = bucket, DestinationKey = "mp", UploadId = uploadId, PartNumber = 1,
        }));
        Assert.Equal((HttpStatusCode.NotFound, "NoSuchKey"), (partLatest.StatusCode, partLatest.ErrorCode));
        var partNamed = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => S3.CopyPartAsync(new CopyPartRequest
        {
            SourceBucket = bucket, SourceKey = "src", SourceVersionId = marker, DestinationBucket = bucket, DestinationKey = "mp", UploadId = uploadId, PartNumber = 1,
        }));
        Assert.Equal((HttpStatusCode.BadRequest, "InvalidRequest"), (partNamed.StatusCode, partNamed.ErrorCode));

        Assert.Empty((await S3.ListPartsAsync(bucket, "mp", uploadId)).Parts ?? []);
        await S3.AbortMultipartUploadAsync(bucket, "mp", uploadId);
        Assert.Empty(await Buckets.ListAllAsync(bucket, "dst"));
    }

    [Fact]
    public async Task UploadPartCopyReadsTheSourceVersionItIsGiven()
    {
        string bucket = await EnabledBucketAsync();
        string v1 = await Buckets.PutVersionAsync(bucket, "src", "first");
        string v2 = await Buckets.PutVersionAsync(bucket, "src", "second");
        string uploadId = (await S3.InitiateMultipartUploadAsync(bucket, "mp")).UploadId;

        var old = await S3.CopyPartAsync(new CopyPartRequest
        {
            SourceBucket = bucket, SourceKey = "src", SourceVersionId = v1, DestinationBucket = bucket, DestinationKey = "mp", UploadId = uploadId, PartNumber = 1,
        });
        Assert.Equal((v1, ETagOf("first")), (old.CopySourceVersionId, old.ETag));
        var latest = await S3.CopyPartAsync(new CopyPartRequest
        {
            SourceBucket = bucket, SourceKey = "src", DestinationBucket = bucket, DestinationKey = "mp", UploadId = uploadId, PartNumber = 2,
        });
        Assert.Equal((v2, ETagOf("second")), (latest.CopySourceVersionId, latest.ETag));

        // Only the part copied from the old version is kept.
        var complete = await S3.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
        {
            BucketName = bucket, Key = "mp", UploadId = uploadId, PartETags = [new PartETag(1, old.ETag)],
        });
        VersionedBuckets.AssertVersionId(complete.VersionId);
        Assert.Equal("first", await Buckets.ReadAsync(bucket, "mp"));
    }

    // ---- multipart uploads --------------------------------------------------------------------------------------

    [Fact]
    public async Task CompletingAMultipartUploadMakesANewVersion()
    {
        string enabled = await EnabledBucketAsync();
        string v1 = await Buckets.PutVersionAsync(enabled, "mp", "single");
        var made = await UploadInOnePartAsync(enabled, "mp", "multipart");
        VersionedBuckets.AssertVersionId(made.VersionId);
        Assert.NotEqual(v1, made.VersionId);
        Assert.Equal([("mp", made.VersionId, false, true), ("mp", v1, false, false)], VersionedBuckets.Describe(await Buckets.ListAllAsync(enabled)));
        using (var got = await S3.GetObjectAsync(enabled, "mp"))
        {
            Assert.Equal((made.VersionId, made.ETag), (got.VersionId, got.ETag));
        }
        Assert.Equal("single", await Buckets.ReadAsync(enabled, "mp", v1));

        string never = await Buckets.NewAsync();
        Assert.Null((await UploadInOnePartAsync(never, "mp", "multipart")).VersionId);

        string suspended = await Buckets.NewAsync(VersionStatus.Suspended);
        Assert.Null((await UploadInOnePartAsync(suspended, "mp", "multipart")).VersionId);
        using var read = await S3.GetObjectAsync(suspended, "mp");
        Assert.Equal("null", read.VersionId);
    }

    [Fact]
    public async Task AMultipartUploadIsVersionedAsTheBucketIsWhenItCompletes()
    {
        // Started while suspended, completed once enabled: a new version beside the null version, which stays.
        string bucket = await Buckets.NewAsync(VersionStatus.Suspended);
        Assert.Null(await Buckets.PutAsync(bucket, "k", "null version"));
        string uploadId = (await S3.InitiateMultipartUploadAsync(bucket, "k")).UploadId;
        await Buckets.SetVersioningAsync(bucket, VersionStatus.Enabled);
        var enabled = await CompleteInOnePartAsync(bucket, "k", uploadId, "completed enabled");
        VersionedBuckets.AssertVersionId(enabled.VersionId);
        Assert.Equal([("k", enabled.VersionId, false, true), ("k", "null", false, false)], VersionedBuckets.Describe(await Buckets.ListAllAsync(bucket, "k")));
        Assert.Equal("null version", await Buckets.ReadAsync(bucket, "k", "null"));

        // Started while enabled, completed once suspended: the null version, no id of its own.
        string other = await EnabledBucketAsync();
        string v1 = await Buckets.PutVersionAsync(other, "k", "kept");
        uploadId = (await S3.InitiateMultipartUploadAsync(other, "k")).UploadId;
        await Buckets.SetVersioningAsync(other, VersionStatus.Suspended);
        var suspended = await CompleteInOnePartAsync(other, "k", uploadId, "completed suspended");
        Assert.Null(suspended.VersionId);
        Assert.Equal([("k", "null", false, true), ("k", v1, false, false)], VersionedBuckets.Describe(await Buckets.ListAllAsync(other, "k")));
    }

    private async Task<CompleteMultipartUploadResponse> UploadInOnePartAsync(string bucket, string key, string body) =>
        await CompleteInOnePartAsync(bucket, key, (await S3.InitiateMultipartUploadAsync(bucket, key)).UploadId, body);

    private async Task<CompleteMultipartUploadResponse> CompleteInOnePartAsync(string bucket, string key, string uploadId, string body)
    {
        var part = await S3.UploadPartAsync(new UploadPartRequest
        {
            BucketName = bucket, Key = key, UploadId = uploadId, PartNumber = 1, InputStream = new MemoryStream(Encoding.UTF8.GetBytes(body)),
        });
        return await S3.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
        {
            BucketName = bucket, Key = key, UploadId = uploadId, PartETags = [new PartETag(1, part.ETag)],
        });
    }

    // ---- conditional reads --------------------------------------------------------------------------------------

    [Fact]
    public async Task ConditionalReadsOfAnAddressedVersionCompareThatVersion()
    {
        string bucket = await EnabledBucketAsync();
        string v1 = await Buckets.PutVersionAsync(bucket, "k", "one");
        await Buckets.PutVersionAsync(bucket, "k", "two");
        string one = ETagOf("one"), two = ETagOf("two");

        using (var matched = await S3.GetObjectAsync(new GetObjectRequest { BucketName = bucket, Key = "k", VersionId = v1, EtagToMatch = one }))
        {
            Assert.Equal((HttpStatusCode.OK, v1), (matched.HttpStatusCode, matched.VersionId));
            Assert.Equal("one", await new StreamReader(matched.ResponseStream).ReadToEndAsync());
        }
        var latestETag = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() =>
            S3.GetObjectAsync(new GetObjectRequest { BucketName = bucket, Key = "k", VersionId = v1, EtagToMatch = two }));
        Assert.Equal((HttpStatusCode.PreconditionFailed, "PreconditionFailed"), (latestETag.StatusCode, latestETag.ErrorCode));
        var notModified = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() =>
            S3.GetObjectAsync(new GetObjectRequest { BucketName = bucket, Key = "k", VersionId = v1, EtagToNotMatch = one }));
        Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);
        var latestRead = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() =>
            S3.GetObjectAsync(new GetObjectRequest { BucketName = bucket, Key = "k", EtagToMatch = one }));
        Assert.Equal((HttpStatusCode.PreconditionFailed, "PreconditionFailed"), (latestRead.StatusCode, latestRead.ErrorCode));

        var head = await S3.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = bucket, Key = "k", VersionId = v1, EtagToMatch = one });
        Assert.Equal((v1, one), (head.VersionId, head.ETag));
        var headFailed = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() =>
            S3.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = bucket, Key = "k", VersionId = v1, EtagToMatch = two }));
        Assert.Equal(HttpStatusCode.PreconditionFailed, headFailed.StatusCode);
    }
}
