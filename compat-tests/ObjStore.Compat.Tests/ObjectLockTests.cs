using System.Net;
using System.Text;
using Amazon.S3;
using Amazon.S3.Model;

namespace ObjStore.Compat.Tests;

/// <summary>
/// Object Lock as AWSSDK.S3 sees it with default settings: the bucket's lock configuration and default retention,
/// the lock a PUT, a copy or a multipart upload asks for, retention and legal hold per version, and every way a
/// locked version could be removed (DeleteObject and DeleteObjects by version id, overwriting, the GOVERNANCE bypass),
/// each refused as S3 refuses it. GOVERNANCE is used wherever COMPLIANCE is not the point, so the tests can clean up.
/// </summary>
[Collection(SharedEndpoint.Name)]
public class ObjectLockTests(S3Endpoint endpoint) : VersionedBucketTests(endpoint)
{
    private Task<string> LockedBucketAsync() => Buckets.NewAsync(objectLock: true);

    /// <summary>A time <paramref name="days"/> from now in whole seconds, as S3 writes a lock's date in headers.</summary>
    private static DateTime DaysFromNow(double days)
    {
        var t = DateTime.UtcNow.AddDays(days);
        return new DateTime(t.Ticks - (t.Ticks % TimeSpan.TicksPerSecond), DateTimeKind.Utc);
    }

    private static DateTime Utc(DateTime? value)
    {
        Assert.NotNull(value);
        return value.Value.Kind switch
        {
            DateTimeKind.Local => value.Value.ToUniversalTime(),
            DateTimeKind.Unspecified => DateTime.SpecifyKind(value.Value, DateTimeKind.Utc),
            _ => value.Value,
        };
    }

    private static async Task Refused(Func<Task> call, HttpStatusCode status, string code)
    {
        var e = await Assert.ThrowsAnyAsync<AmazonS3Exception>(call);
        Assert.Equal((status, code), (e.StatusCode, e.ErrorCode));
    }

    private static Task AccessDenied(Func<Task> call) => Refused(call, HttpStatusCode.Forbidden, "AccessDenied");

    private async Task<string> PutAsync(string bucket, string key, string body, ObjectLockMode? mode = null, DateTime? until = null, bool legalHold = false)
    {
        var response = await S3.PutObjectAsync(new PutObjectRequest
        {
            BucketName = bucket, Key = key, ContentBody = body,
            ObjectLockMode = mode, ObjectLockRetainUntilDate = until,
            ObjectLockLegalHoldStatus = legalHold ? ObjectLockLegalHoldStatus.On : null,
        });
        VersionedBuckets.AssertVersionId(response.VersionId);
        return response.VersionId;
    }

    private Task<PutObjectLockConfigurationResponse> ConfigureAsync(string bucket, DefaultRetention? retention) =>
        S3.PutObjectLockConfigurationAsync(new PutObjectLockConfigurationRequest
        {
            BucketName = bucket,
            ObjectLockConfiguration = new ObjectLockConfiguration
            {
                ObjectLockEnabled = ObjectLockEnabled.Enabled,
                Rule = retention is null ? null : new ObjectLockRule { DefaultRetention = retention },
            },
        });

    private async Task<ObjectLockConfiguration> ConfigurationAsync(string bucket) =>
        (await S3.GetObjectLockConfigurationAsync(new GetObjectLockConfigurationRequest { BucketName = bucket })).ObjectLockConfiguration;

    private Task<PutObjectRetentionResponse> SetRetentionAsync(string bucket, string key, string? versionId, ObjectLockRetentionMode mode, DateTime until, bool bypass = false) =>
        S3.PutObjectRetentionAsync(new PutObjectRetentionRequest
        {
            BucketName = bucket, Key = key, VersionId = versionId,
            Retention = new ObjectLockRetention { Mode = mode, RetainUntilDate = until },
            BypassGovernanceRetention = bypass ? true : null,
        });

    private async Task<ObjectLockRetention> RetentionAsync(string bucket, string key, string? versionId = null) =>
        (await S3.GetObjectRetentionAsync(new GetObjectRetentionRequest { BucketName = bucket, Key = key, VersionId = versionId })).Retention;

    private Task<PutObjectLegalHoldResponse> SetLegalHoldAsync(string bucket, string key, string? versionId, bool on) =>
        S3.PutObjectLegalHoldAsync(new PutObjectLegalHoldRequest
        {
            BucketName = bucket, Key = key, VersionId = versionId,
            LegalHold = new ObjectLockLegalHold { Status = on ? ObjectLockLegalHoldStatus.On : ObjectLockLegalHoldStatus.Off },
        });

    private async Task<ObjectLockLegalHoldStatus> LegalHoldAsync(string bucket, string key, string? versionId = null) =>
        (await S3.GetObjectLegalHoldAsync(new GetObjectLegalHoldRequest { BucketName = bucket, Key = key, VersionId = versionId })).LegalHold.Status;

    private Task<DeleteObjectResponse> DeleteVersionAsync(string bucket, string key, string versionId, bool bypass = false) =>
        S3.DeleteObjectAsync(new DeleteObjectRequest { BucketName = bucket, Key = key, VersionId = versionId, BypassGovernanceRetention = bypass ? true : null });

    private Task<GetObjectMetadataResponse> HeadAsync(string bucket, string key, string? versionId = null) =>
        S3.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = bucket, Key = key, VersionId = versionId });

    // ---- the bucket's configuration -----------------------------------------------------------------------------

    [Fact]
    public async Task ABucketCreatedWithObjectLockIsVersionedAndCannotBeSuspended()
    {
        string bucket = await LockedBucketAsync();
        Assert.Equal(VersionStatus.Enabled, (await S3.GetBucketVersioningAsync(new GetBucketVersioningRequest { BucketName = bucket })).VersioningConfig.Status);
        var configuration = await ConfigurationAsync(bucket);
        Assert.Equal(ObjectLockEnabled.Enabled, configuration.ObjectLockEnabled);
        Assert.Null(configuration.Rule?.DefaultRetention);

        await Refused(() => Buckets.SetVersioningAsync(bucket, VersionStatus.Suspended), HttpStatusCode.Conflict, "InvalidBucketState");
        Assert.Equal(VersionStatus.Enabled, (await S3.GetBucketVersioningAsync(new GetBucketVersioningRequest { BucketName = bucket })).VersioningConfig.Status);
        VersionedBuckets.AssertVersionId(await Buckets.PutAsync(bucket, "k", "versioned"));
    }

    [Fact]
    public async Task ADefaultRetentionIsDaysOrYearsAndReadsBackAsSet()
    {
        string bucket = await LockedBucketAsync();
        await ConfigureAsync(bucket, new DefaultRetention { Mode = ObjectLockRetentionMode.Governance, Days = 3 });
        var days = (await ConfigurationAsync(bucket)).Rule.DefaultRetention;
        Assert.Equal((ObjectLockRetentionMode.Governance, 3, null), (days.Mode, days.Days, days.Years));

        await ConfigureAsync(bucket, new DefaultRetention { Mode = ObjectLockRetentionMode.Compliance, Years = 1 });
        var years = (await ConfigurationAsync(bucket)).Rule.DefaultRetention;
        Assert.Equal((ObjectLockRetentionMode.Compliance, null, 1), (years.Mode, years.Days, years.Years));

        // ObjectLockEnabled alone removes the default retention; Object Lock stays.
        await ConfigureAsync(bucket, null);
        var none = await ConfigurationAsync(bucket);
        Assert.Equal(ObjectLockEnabled.Enabled, none.ObjectLockEnabled);
        Assert.Null(none.Rule?.DefaultRetention);
    }

    [Fact]
    public async Task ADefaultRetentionWithBothDaysAndYearsIsMalformedAndANonPositivePeriodIsInvalid()
    {
        string bucket = await LockedBucketAsync();
        await ConfigureAsync(bucket, new DefaultRetention { Mode = ObjectLockRetentionMode.Governance, Days = 2 });

        await Refused(() => ConfigureAsync(bucket, new DefaultRetention { Mode = ObjectLockRetentionMode.Governance, Days = 1, Years = 1 }),
            HttpStatusCode.BadRequest, "MalformedXML");
        foreach (var period in new[]
        {
            new DefaultRetention { Mode = ObjectLockRetentionMode.Governance, Days = 0 },
            new DefaultRetention { Mode = ObjectLockRetentionMode.Governance, Days = -1 },
            new DefaultRetention { Mode = ObjectLockRetentionMode.Compliance, Years = 0 },
        })
        {
            await Refused(() => ConfigureAsync(bucket, period), HttpStatusCode.BadRequest, "InvalidArgument");
        }

        var kept = (await ConfigurationAsync(bucket)).Rule.DefaultRetention;
        Assert.Equal((ObjectLockRetentionMode.Governance, 2, null), (kept.Mode, kept.Days, kept.Years));
    }

    [Fact]
    public async Task ObjectLockConfigurationNeedsVersioningEnabled()
    {
        var retention = new DefaultRetention { Mode = ObjectLockRetentionMode.Governance, Days = 1 };
        string never = await Buckets.NewAsync();
        await Refused(() => ConfigureAsync(never, retention), HttpStatusCode.Conflict, "InvalidBucketState");
        await Refused(() => ConfigurationAsync(never), HttpStatusCode.NotFound, "ObjectLockConfigurationNotFoundError");

        string suspended = await Buckets.NewAsync(VersionStatus.Suspended);
        await Refused(() => ConfigureAsync(suspended, retention), HttpStatusCode.Conflict, "InvalidBucketState");
        await Refused(() => ConfigurationAsync(suspended), HttpStatusCode.NotFound, "ObjectLockConfigurationNotFoundError");

        // A bucket with versioning enabled can take Object Lock, and then cannot be suspended either.
        string enabled = await Buckets.NewAsync(VersionStatus.Enabled);
        await ConfigureAsync(enabled, retention);
        var configuration = await ConfigurationAsync(enabled);
        Assert.Equal((ObjectLockEnabled.Enabled, 1), (configuration.ObjectLockEnabled, configuration.Rule.DefaultRetention.Days));
        await Refused(() => Buckets.SetVersioningAsync(enabled, VersionStatus.Suspended), HttpStatusCode.Conflict, "InvalidBucketState");
    }

    // ---- the lock a write asks for ------------------------------------------------------------------------------

    [Fact]
    public async Task LockHeadersOnAPutAreStoredAndReturnedByGetHeadAndTheLockApis()
    {
        string bucket = await LockedBucketAsync();
        var until = DaysFromNow(2);
        string v1 = await PutAsync(bucket, "k", "locked", ObjectLockMode.Governance, until, legalHold: true);

        var head = await HeadAsync(bucket, "k");
        Assert.Equal((ObjectLockMode.Governance, until, ObjectLockLegalHoldStatus.On),
            (head.ObjectLockMode, Utc(head.ObjectLockRetainUntilDate), head.ObjectLockLegalHoldStatus));
        using (var get = await S3.GetObjectAsync(new GetObjectRequest { BucketName = bucket, Key = "k", VersionId = v1 }))
        {
            Assert.Equal((ObjectLockMode.Governance, until, ObjectLockLegalHoldStatus.On),
                (get.ObjectLockMode, Utc(get.ObjectLockRetainUntilDate), get.ObjectLockLegalHoldStatus));
        }
        var retention = await RetentionAsync(bucket, "k", v1);
        Assert.Equal((ObjectLockRetentionMode.Governance, until), (retention.Mode, Utc(retention.RetainUntilDate)));
        Assert.Equal(ObjectLockLegalHoldStatus.On, await LegalHoldAsync(bucket, "k", v1));

        // A version without a lock says nothing of one.
        string v2 = await PutAsync(bucket, "k", "free");
        var free = await HeadAsync(bucket, "k", v2);
        Assert.Null(free.ObjectLockMode);
        Assert.Null(free.ObjectLockRetainUntilDate);
        Assert.Null(free.ObjectLockLegalHoldStatus);
    }

    [Fact]
    public async Task LockHeadersNeedABucketWithObjectLockBothModeAndDateAndADateInTheFuture()
    {
        string plain = await Buckets.NewAsync(VersionStatus.Enabled);
        await Refused(() => PutAsync(plain, "k", "x", ObjectLockMode.Governance, DaysFromNow(1)), HttpStatusCode.BadRequest, "InvalidRequest");

        string bucket = await LockedBucketAsync();
        await Refused(() => PutAsync(bucket, "k", "x", ObjectLockMode.Governance, null), HttpStatusCode.BadRequest, "InvalidArgument");
        await Refused(() => PutAsync(bucket, "k", "x", null, DaysFromNow(1)), HttpStatusCode.BadRequest, "InvalidArgument");
        await Refused(() => PutAsync(bucket, "k", "x", ObjectLockMode.Governance, DaysFromNow(-1)), HttpStatusCode.BadRequest, "InvalidArgument");
        await Refused(() => S3.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest
        {
            BucketName = bucket, Key = "mp", ObjectLockMode = ObjectLockMode.Governance, ObjectLockRetainUntilDate = DaysFromNow(-1),
        }), HttpStatusCode.BadRequest, "InvalidArgument");
        Assert.Empty((await S3.ListMultipartUploadsAsync(bucket)).MultipartUploads ?? []);

        Assert.Empty(await Buckets.ListAllAsync(plain));
        Assert.Empty(await Buckets.ListAllAsync(bucket));
    }

    [Fact]
    public async Task APutThatWouldBeLockedNeedsContentMd5OrAChecksum()
    {
        // A client that adds no checksum of its own (the SDK's "when required" setting): S3 wants proof of the body.
        using var bare = new AmazonS3Client(new Amazon.Runtime.BasicAWSCredentials(Endpoint.AccessKey, Endpoint.SecretKey), new AmazonS3Config
        {
            ServiceURL = Endpoint.Url,
            ForcePathStyle = true,
            AuthenticationRegion = "us-east-1",
            MaxErrorRetry = 0,
            RequestChecksumCalculation = Amazon.Runtime.RequestChecksumCalculation.WHEN_REQUIRED,
        });
        string bucket = await LockedBucketAsync();
        await Refused(() => bare.PutObjectAsync(new PutObjectRequest
        {
            BucketName = bucket, Key = "k", ContentBody = "x", ObjectLockMode = ObjectLockMode.Governance, ObjectLockRetainUntilDate = DaysFromNow(1),
        }), HttpStatusCode.BadRequest, "InvalidRequest");
        await Refused(() => bare.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "k", ContentBody = "x", ObjectLockLegalHoldStatus = ObjectLockLegalHoldStatus.On }),
            HttpStatusCode.BadRequest, "InvalidRequest");
        VersionedBuckets.AssertVersionId((await bare.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "k", ContentBody = "no lock" })).VersionId);

        // With a default retention every PUT is locked, so every PUT needs it.
        await ConfigureAsync(bucket, new DefaultRetention { Mode = ObjectLockRetentionMode.Governance, Days = 1 });
        await Refused(() => bare.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "k", ContentBody = "x" }), HttpStatusCode.BadRequest, "InvalidRequest");
        var withMd5 = await bare.PutObjectAsync(new PutObjectRequest
        {
            BucketName = bucket, Key = "k", ContentBody = "md5", MD5Digest = Convert.ToBase64String(System.Security.Cryptography.MD5.HashData("md5"u8)),
        });
        Assert.Equal(ObjectLockMode.Governance, (await HeadAsync(bucket, "k", withMd5.VersionId)).ObjectLockMode);
        Assert.Equal(2, (await Buckets.ListAllAsync(bucket)).Count);
    }

    [Fact]
    public async Task CopyObjectAndMultipartUploadsTakeLockHeadersAndACopyDoesNotInheritTheSourcesLock()
    {
        string bucket = await LockedBucketAsync();
        var until = DaysFromNow(2);
        await PutAsync(bucket, "src", "source", ObjectLockMode.Governance, until, legalHold: true);

        await S3.CopyObjectAsync(new CopyObjectRequest { SourceBucket = bucket, SourceKey = "src", DestinationBucket = bucket, DestinationKey = "plain-copy" });
        var plain = await HeadAsync(bucket, "plain-copy");
        Assert.Null(plain.ObjectLockMode);
        Assert.Null(plain.ObjectLockLegalHoldStatus);

        var later = DaysFromNow(3);
        var locked = await S3.CopyObjectAsync(new CopyObjectRequest
        {
            SourceBucket = bucket, SourceKey = "src", DestinationBucket = bucket, DestinationKey = "locked-copy",
            ObjectLockMode = ObjectLockMode.Governance, ObjectLockRetainUntilDate = later, ObjectLockLegalHoldStatus = ObjectLockLegalHoldStatus.On,
        });
        var copied = await HeadAsync(bucket, "locked-copy");
        Assert.Equal((locked.VersionId, ObjectLockMode.Governance, later, ObjectLockLegalHoldStatus.On),
            (copied.VersionId, copied.ObjectLockMode, Utc(copied.ObjectLockRetainUntilDate), copied.ObjectLockLegalHoldStatus));

        string uploadId = (await S3.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest
        {
            BucketName = bucket, Key = "mp",
            ObjectLockMode = ObjectLockMode.Governance, ObjectLockRetainUntilDate = later, ObjectLockLegalHoldStatus = ObjectLockLegalHoldStatus.On,
        })).UploadId;
        var part = await S3.UploadPartAsync(new UploadPartRequest
        {
            BucketName = bucket, Key = "mp", UploadId = uploadId, PartNumber = 1, InputStream = new MemoryStream(Encoding.UTF8.GetBytes("multipart")),
        });
        var complete = await S3.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
        {
            BucketName = bucket, Key = "mp", UploadId = uploadId, PartETags = [new PartETag(1, part.ETag)],
        });
        var uploaded = await HeadAsync(bucket, "mp");
        Assert.Equal((complete.VersionId, ObjectLockMode.Governance, later, ObjectLockLegalHoldStatus.On),
            (uploaded.VersionId, uploaded.ObjectLockMode, Utc(uploaded.ObjectLockRetainUntilDate), uploaded.ObjectLockLegalHoldStatus));
        await AccessDenied(() => DeleteVersionAsync(bucket, "mp", complete.VersionId, bypass: true));
    }

    [Fact]
    public async Task ADefaultRetentionLocksEveryNewVersionFromItsCreation()
    {
        string bucket = await LockedBucketAsync();
        await ConfigureAsync(bucket, new DefaultRetention { Mode = ObjectLockRetentionMode.Governance, Days = 1 });

        var before = DateTime.UtcNow;
        string v1 = await PutAsync(bucket, "k", "defaulted");
        var after = DateTime.UtcNow;
        var head = await HeadAsync(bucket, "k");
        Assert.Equal(ObjectLockMode.Governance, head.ObjectLockMode);
        Assert.InRange(Utc(head.ObjectLockRetainUntilDate), before.AddDays(1).AddSeconds(-1), after.AddDays(1).AddSeconds(1));
        var retention = await RetentionAsync(bucket, "k", v1);
        Assert.Equal(ObjectLockRetentionMode.Governance, retention.Mode);
        Assert.InRange(Utc(retention.RetainUntilDate), before.AddDays(1).AddSeconds(-1), after.AddDays(1).AddSeconds(1));
        await AccessDenied(() => DeleteVersionAsync(bucket, "k", v1));

        // A write that asks for its own retention gets it instead of the default.
        var asked = DaysFromNow(5);
        string v2 = await PutAsync(bucket, "k", "asked", ObjectLockMode.Governance, asked);
        Assert.Equal(asked, Utc((await HeadAsync(bucket, "k", v2)).ObjectLockRetainUntilDate));

        // Copies and completed multipart uploads are new versions too.
        before = DateTime.UtcNow;
        var copy = await S3.CopyObjectAsync(new CopyObjectRequest { SourceBucket = bucket, SourceKey = "k", DestinationBucket = bucket, DestinationKey = "copy" });
        string uploadId = (await S3.InitiateMultipartUploadAsync(bucket, "mp")).UploadId;
        var part = await S3.UploadPartAsync(new UploadPartRequest
        {
            BucketName = bucket, Key = "mp", UploadId = uploadId, PartNumber = 1, InputStream = new MemoryStream(Encoding.UTF8.GetBytes("multipart")),
        });
        var complete = await S3.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
        {
            BucketName = bucket, Key = "mp", UploadId = uploadId, PartETags = [new PartETag(1, part.ETag)],
        });
        after = DateTime.UtcNow;
        foreach (var (key, versionId) in new[] { ("copy", copy.VersionId), ("mp", complete.VersionId) })
        {
            var made = await HeadAsync(bucket, key, versionId);
            Assert.Equal(ObjectLockMode.Governance, made.ObjectLockMode);
            Assert.InRange(Utc(made.ObjectLockRetainUntilDate), before.AddDays(1).AddSeconds(-1), after.AddDays(1).AddSeconds(1));
            await AccessDenied(() => DeleteVersionAsync(bucket, key, versionId));
        }

        await ConfigureAsync(bucket, new DefaultRetention { Mode = ObjectLockRetentionMode.Governance, Years = 1 });
        before = DateTime.UtcNow;
        string v3 = await PutAsync(bucket, "k", "a year");
        after = DateTime.UtcNow;
        var year = await HeadAsync(bucket, "k", v3);
        Assert.Equal(ObjectLockMode.Governance, year.ObjectLockMode);
        Assert.InRange(Utc(year.ObjectLockRetainUntilDate), before.AddDays(365).AddSeconds(-1), after.AddDays(366).AddSeconds(1));
    }

    // ---- retention and legal hold per version -------------------------------------------------------------------

    [Fact]
    public async Task RetentionIsSetAndReadPerVersionAndIsNoSuchObjectLockConfigurationWhenThereIsNone()
    {
        string bucket = await LockedBucketAsync();
        string v1 = await PutAsync(bucket, "k", "one");
        string v2 = await PutAsync(bucket, "k", "two");
        await Refused(() => RetentionAsync(bucket, "k"), HttpStatusCode.NotFound, "NoSuchObjectLockConfiguration");

        var until = DaysFromNow(2);
        await SetRetentionAsync(bucket, "k", v1, ObjectLockRetentionMode.Governance, until);
        var retention = await RetentionAsync(bucket, "k", v1);
        Assert.Equal((ObjectLockRetentionMode.Governance, until), (retention.Mode, Utc(retention.RetainUntilDate)));
        await Refused(() => RetentionAsync(bucket, "k", v2), HttpStatusCode.NotFound, "NoSuchObjectLockConfiguration");
        Assert.Equal(ObjectLockMode.Governance, (await HeadAsync(bucket, "k", v1)).ObjectLockMode);
        Assert.Null((await HeadAsync(bucket, "k")).ObjectLockMode);

        // Without a version id it is the latest version's.
        await SetRetentionAsync(bucket, "k", null, ObjectLockRetentionMode.Governance, until);
        Assert.Equal(until, Utc((await RetentionAsync(bucket, "k", v2)).RetainUntilDate));
    }

    [Fact]
    public async Task ARetainUntilDateInThePastIsInvalidArgument()
    {
        string bucket = await LockedBucketAsync();
        string v1 = await PutAsync(bucket, "k", "one");
        await Refused(() => SetRetentionAsync(bucket, "k", v1, ObjectLockRetentionMode.Governance, DaysFromNow(-1)), HttpStatusCode.BadRequest, "InvalidArgument");
        await Refused(() => RetentionAsync(bucket, "k", v1), HttpStatusCode.NotFound, "NoSuchObjectLockConfiguration");
    }

    [Fact]
    public async Task ALegalHoldIsPlacedAndLiftedPerVersion()
    {
        string bucket = await LockedBucketAsync();
        string v1 = await PutAsync(bucket, "k", "one");
        string v2 = await PutAsync(bucket, "k", "two");

        await SetLegalHoldAsync(bucket, "k", v1, on: true);
        Assert.Equal(ObjectLockLegalHoldStatus.On, await LegalHoldAsync(bucket, "k", v1));
        Assert.Equal(ObjectLockLegalHoldStatus.On, (await HeadAsync(bucket, "k", v1)).ObjectLockLegalHoldStatus);
        Assert.Null((await HeadAsync(bucket, "k", v2)).ObjectLockLegalHoldStatus);

        await SetLegalHoldAsync(bucket, "k", v1, on: false);
        Assert.Equal(ObjectLockLegalHoldStatus.Off, await LegalHoldAsync(bucket, "k", v1));
        Assert.NotEqual(ObjectLockLegalHoldStatus.On, (await HeadAsync(bucket, "k", v1)).ObjectLockLegalHoldStatus);
    }

    [Fact]
    public async Task AVersionThatNeverHadALegalHoldHasNoLegalHoldToRead()
    {
        // S3 answers GetObjectLegalHold for a version that never had one as it answers GetObjectRetention.
        string bucket = await LockedBucketAsync();
        string v1 = await PutAsync(bucket, "k", "one");
        await Refused(() => LegalHoldAsync(bucket, "k", v1), HttpStatusCode.NotFound, "NoSuchObjectLockConfiguration");
    }

    [Fact]
    public async Task RetentionAndLegalHoldNeedABucketWithObjectLock()
    {
        string bucket = await Buckets.NewAsync(VersionStatus.Enabled);
        string v1 = await Buckets.PutVersionAsync(bucket, "k", "one");
        await Refused(() => SetRetentionAsync(bucket, "k", v1, ObjectLockRetentionMode.Governance, DaysFromNow(1)), HttpStatusCode.BadRequest, "InvalidRequest");
        await Refused(() => RetentionAsync(bucket, "k", v1), HttpStatusCode.BadRequest, "InvalidRequest");
        await Refused(() => SetLegalHoldAsync(bucket, "k", v1, on: true), HttpStatusCode.BadRequest, "InvalidRequest");
        await Refused(() => LegalHoldAsync(bucket, "k", v1), HttpStatusCode.BadRequest, "InvalidRequest");
        Assert.Null((await HeadAsync(bucket, "k", v1)).ObjectLockLegalHoldStatus);
    }

    // ---- the rules ----------------------------------------------------------------------------------------------

    [Fact]
    public async Task AComplianceVersionCannotBeDeletedOrShortenedButCanBeExtended()
    {
        string bucket = await LockedBucketAsync();
        var until = DaysFromNow(2);
        string v1 = await PutAsync(bucket, "k", "kept", ObjectLockMode.Compliance, until);

        await AccessDenied(() => DeleteVersionAsync(bucket, "k", v1));
        await AccessDenied(() => DeleteVersionAsync(bucket, "k", v1, bypass: true));
        await AccessDenied(() => SetRetentionAsync(bucket, "k", v1, ObjectLockRetentionMode.Compliance, DaysFromNow(1)));
        await AccessDenied(() => SetRetentionAsync(bucket, "k", v1, ObjectLockRetentionMode.Compliance, DaysFromNow(1), bypass: true));
        await AccessDenied(() => SetRetentionAsync(bucket, "k", v1, ObjectLockRetentionMode.Governance, until, bypass: true));
        var unchanged = await RetentionAsync(bucket, "k", v1);
        Assert.Equal((ObjectLockRetentionMode.Compliance, until), (unchanged.Mode, Utc(unchanged.RetainUntilDate)));

        var extended = DaysFromNow(3);
        await SetRetentionAsync(bucket, "k", v1, ObjectLockRetentionMode.Compliance, extended);
        var now = await RetentionAsync(bucket, "k", v1);
        Assert.Equal((ObjectLockRetentionMode.Compliance, extended), (now.Mode, Utc(now.RetainUntilDate)));
        Assert.Equal(extended, Utc((await HeadAsync(bucket, "k", v1)).ObjectLockRetainUntilDate));
        Assert.Equal("kept", await Buckets.ReadAsync(bucket, "k", v1));
    }

    [Fact]
    public async Task AGovernanceVersionIsShortenedOrRemovedOnlyWithTheBypass()
    {
        string bucket = await LockedBucketAsync();
        var until = DaysFromNow(2);
        string v1 = await PutAsync(bucket, "k", "governed", ObjectLockMode.Governance, until);

        await AccessDenied(() => DeleteVersionAsync(bucket, "k", v1));
        await AccessDenied(() => SetRetentionAsync(bucket, "k", v1, ObjectLockRetentionMode.Governance, DaysFromNow(1)));
        await AccessDenied(() => SetRetentionAsync(bucket, "k", v1, ObjectLockRetentionMode.Compliance, DaysFromNow(3)));
        Assert.Equal(until, Utc((await RetentionAsync(bucket, "k", v1)).RetainUntilDate));

        // Extending needs no bypass; shortening does.
        var extended = DaysFromNow(4);
        await SetRetentionAsync(bucket, "k", v1, ObjectLockRetentionMode.Governance, extended);
        Assert.Equal(extended, Utc((await RetentionAsync(bucket, "k", v1)).RetainUntilDate));
        var shortened = DaysFromNow(1);
        await SetRetentionAsync(bucket, "k", v1, ObjectLockRetentionMode.Governance, shortened, bypass: true);
        Assert.Equal(shortened, Utc((await RetentionAsync(bucket, "k", v1)).RetainUntilDate));

        var deleted = await DeleteVersionAsync(bucket, "k", v1, bypass: true);
        Assert.Equal((HttpStatusCode.NoContent, v1), (deleted.HttpStatusCode, deleted.VersionId));
        await Refused(() => Buckets.ReadAsync(bucket, "k", v1), HttpStatusCode.NotFound, "NoSuchVersion");
        Assert.Empty(await Buckets.ListAllAsync(bucket));
    }

    [Fact]
    public async Task ALegalHoldBlocksDeletionWhateverTheRetention()
    {
        string bucket = await LockedBucketAsync();
        string held = await PutAsync(bucket, "held", "no retention", legalHold: true);
        string both = await PutAsync(bucket, "both", "governance too", ObjectLockMode.Governance, DaysFromNow(1), legalHold: true);

        await AccessDenied(() => DeleteVersionAsync(bucket, "held", held));
        await AccessDenied(() => DeleteVersionAsync(bucket, "held", held, bypass: true));
        await AccessDenied(() => DeleteVersionAsync(bucket, "both", both, bypass: true));
        Assert.Equal(2, (await Buckets.ListAllAsync(bucket)).Count);

        await SetLegalHoldAsync(bucket, "held", held, on: false);
        await DeleteVersionAsync(bucket, "held", held);
        await SetLegalHoldAsync(bucket, "both", both, on: false);
        await AccessDenied(() => DeleteVersionAsync(bucket, "both", both)); // the retention still holds it
        await DeleteVersionAsync(bucket, "both", both, bypass: true);
        Assert.Empty(await Buckets.ListAllAsync(bucket));
    }

    [Fact]
    public async Task DeleteObjectsRefusesLockedVersionsOneByOne()
    {
        string bucket = await LockedBucketAsync();
        string governed = await PutAsync(bucket, "governed", "g", ObjectLockMode.Governance, DaysFromNow(1));
        string compliant = await PutAsync(bucket, "compliant", "c", ObjectLockMode.Compliance, DaysFromNow(1));
        string held = await PutAsync(bucket, "held", "h", legalHold: true);
        string free = await PutAsync(bucket, "free", "f");

        var batch = await Assert.ThrowsAsync<DeleteObjectsException>(() => S3.DeleteObjectsAsync(new DeleteObjectsRequest
        {
            BucketName = bucket,
            Objects =
            [
                new KeyVersion { Key = "governed", VersionId = governed },
                new KeyVersion { Key = "compliant", VersionId = compliant },
                new KeyVersion { Key = "held", VersionId = held },
                new KeyVersion { Key = "free", VersionId = free },
                new KeyVersion { Key = "governed" },
            ],
        }));
        Assert.Equal(
            [("compliant", compliant, "AccessDenied"), ("governed", governed, "AccessDenied"), ("held", held, "AccessDenied")],
            batch.Response.DeleteErrors.Select(e => (e.Key, e.VersionId, e.Code)).Order());
        var deleted = batch.Response.DeletedObjects;
        Assert.Equal(2, deleted.Count);
        Assert.Contains(deleted, d => d.Key == "free" && d.VersionId == free);
        var marker = Assert.Single(deleted, d => d.Key == "governed");
        Assert.True(marker.DeleteMarker);

        // The bypass lets the GOVERNANCE version go, never the COMPLIANCE one.
        var bypassed = await Assert.ThrowsAsync<DeleteObjectsException>(() => S3.DeleteObjectsAsync(new DeleteObjectsRequest
        {
            BucketName = bucket,
            BypassGovernanceRetention = true,
            Objects = [new KeyVersion { Key = "governed", VersionId = governed }, new KeyVersion { Key = "compliant", VersionId = compliant }],
        }));
        var refused = Assert.Single(bypassed.Response.DeleteErrors);
        Assert.Equal(("compliant", compliant, "AccessDenied"), (refused.Key, refused.VersionId, refused.Code));
        var removed = Assert.Single(bypassed.Response.DeletedObjects);
        Assert.Equal(("governed", governed), (removed.Key, removed.VersionId));

        // Quiet leaves out what was deleted, never what was refused.
        var quiet = await Assert.ThrowsAsync<DeleteObjectsException>(() => S3.DeleteObjectsAsync(new DeleteObjectsRequest
        {
            BucketName = bucket,
            Quiet = true,
            Objects = [new KeyVersion { Key = "held", VersionId = held }, new KeyVersion { Key = "governed", VersionId = marker.DeleteMarkerVersionId }],
        }));
        var quietRefused = Assert.Single(quiet.Response.DeleteErrors);
        Assert.Equal(("held", held, "AccessDenied"), (quietRefused.Key, quietRefused.VersionId, quietRefused.Code));
        Assert.Empty(quiet.Response.DeletedObjects ?? []);

        Assert.Equal(
            [("compliant", compliant, false, true), ("held", held, false, true)],
            VersionedBuckets.Describe(await Buckets.ListAllAsync(bucket)));
    }

    [Fact]
    public async Task OverwritingOrDeletingALockedObjectWithoutAVersionIdKeepsTheLockedVersion()
    {
        string bucket = await LockedBucketAsync();
        var until = DaysFromNow(1);
        string v1 = await PutAsync(bucket, "k", "locked", ObjectLockMode.Governance, until);
        string v2 = await PutAsync(bucket, "k", "over it");
        Assert.Equal("over it", await Buckets.ReadAsync(bucket, "k"));

        var deleted = await S3.DeleteObjectAsync(bucket, "k");
        Assert.Equal((HttpStatusCode.NoContent, "true"), (deleted.HttpStatusCode, deleted.DeleteMarker));
        Assert.Equal([("k", deleted.VersionId, true, true), ("k", v2, false, false), ("k", v1, false, false)],
            VersionedBuckets.Describe(await Buckets.ListAllAsync(bucket)));
        Assert.Equal("locked", await Buckets.ReadAsync(bucket, "k", v1));
        Assert.Equal(until, Utc((await RetentionAsync(bucket, "k", v1)).RetainUntilDate));

        // Delete markers carry no lock: removing this one brings back the latest version.
        await DeleteVersionAsync(bucket, "k", deleted.VersionId);
        Assert.Equal("over it", await Buckets.ReadAsync(bucket, "k"));
    }

    [Fact]
    public async Task ABucketHoldingLockedVersionsCannotBeDeleted()
    {
        string bucket = await LockedBucketAsync();
        string v1 = await PutAsync(bucket, "k", "locked", ObjectLockMode.Governance, DaysFromNow(1));
        await Refused(() => S3.DeleteBucketAsync(bucket), HttpStatusCode.Conflict, "BucketNotEmpty");
        await S3.DeleteObjectAsync(bucket, "k");
        await Refused(() => S3.DeleteBucketAsync(bucket), HttpStatusCode.Conflict, "BucketNotEmpty");
        Assert.Equal("locked", await Buckets.ReadAsync(bucket, "k", v1));
    }
}
