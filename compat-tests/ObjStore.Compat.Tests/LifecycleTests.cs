using System.Net;
using Amazon.S3;
using Amazon.S3.Model;

namespace ObjStore.Compat.Tests;

/// <summary>Get/Put/DeleteBucketLifecycleConfiguration and the headers that report a rule, with real days.</summary>
[Collection(SharedEndpoint.Name)]
public class LifecycleConfigurationTests(S3Endpoint endpoint) : VersionedBucketTests(endpoint)
{
    private static LifecycleRule ExpireRule(string id, string prefix, int days) => new()
    {
        Id = id, Status = LifecycleRuleStatus.Enabled, Filter = new LifecycleFilter { Prefix = prefix }, Expiration = new LifecycleRuleExpiration { Days = days },
    };

    [Fact]
    public async Task AConfigurationIsPutReadBackAndDeleted()
    {
        string bucket = await Buckets.NewAsync();
        // The SDK reads NoSuchLifecycleConfiguration as an empty configuration (the aws-cli scenario checks the code).
        Assert.Empty((await S3.GetLifecycleConfigurationAsync(bucket)).Configuration?.Rules ?? []);

        await S3.PutLifecycleConfigurationAsync(new PutLifecycleConfigurationRequest
        {
            BucketName = bucket,
            Configuration = new LifecycleConfiguration
            {
                Rules =
                [
                    ExpireRule("logs", "logs/", 30),
                    new LifecycleRule
                    {
                        Id = "old-versions",
                        Status = LifecycleRuleStatus.Disabled,
                        Filter = new LifecycleFilter
                        {
                            And = new LifecycleRuleAndOperator { Prefix = "data/", Tags = [new Tag { Key = "class", Value = "scratch" }], ObjectSizeGreaterThan = 1024 },
                        },
                        NoncurrentVersionExpiration = new LifecycleRuleNoncurrentVersionExpiration { NoncurrentDays = 7, NewerNoncurrentVersions = 2 },
                        AbortIncompleteMultipartUpload = null,
                    },
                    new LifecycleRule
                    {
                        Id = "uploads", Status = LifecycleRuleStatus.Enabled, Filter = new LifecycleFilter { Prefix = "" },
                        AbortIncompleteMultipartUpload = new LifecycleRuleAbortIncompleteMultipartUpload { DaysAfterInitiation = 3 },
                        Expiration = new LifecycleRuleExpiration { ExpiredObjectDeleteMarker = true },
                    },
                ],
            },
        });
        var read = await S3.GetLifecycleConfigurationAsync(bucket);
        Assert.Equal(["logs", "old-versions", "uploads"], read.Configuration.Rules.Select(r => r.Id));
        Assert.Equal(("logs/", 30), (PrefixOf(read.Configuration.Rules[0].Filter), read.Configuration.Rules[0].Expiration.Days));
        var and = (LifecycleAndOperator)read.Configuration.Rules[1].Filter.LifecycleFilterPredicate;
        Assert.Equal(["data/", "scratch", "1024"], and.Operands.Select(o => o switch
        {
            LifecyclePrefixPredicate p => p.Prefix,
            LifecycleTagPredicate t => t.Tag.Value,
            LifecycleObjectSizeGreaterThanPredicate g => $"{g.ObjectSizeGreaterThan}",
            _ => "?",
        }));
        Assert.Equal(LifecycleRuleStatus.Disabled, read.Configuration.Rules[1].Status);
        Assert.Equal((7, 2), (read.Configuration.Rules[1].NoncurrentVersionExpiration.NoncurrentDays, read.Configuration.Rules[1].NoncurrentVersionExpiration.NewerNoncurrentVersions));
        Assert.Equal(3, read.Configuration.Rules[2].AbortIncompleteMultipartUpload.DaysAfterInitiation);
        Assert.True(read.Configuration.Rules[2].Expiration.ExpiredObjectDeleteMarker);
        Assert.Equal("all_storage_classes_128K", read.TransitionDefaultMinimumObjectSize?.Value);

        var deleted = await S3.DeleteLifecycleConfigurationAsync(new DeleteLifecycleConfigurationRequest { BucketName = bucket });
        Assert.Equal(HttpStatusCode.NoContent, deleted.HttpStatusCode);
        Assert.Empty((await S3.GetLifecycleConfigurationAsync(bucket)).Configuration?.Rules ?? []);
        var noBucket = await Assert.ThrowsAsync<AmazonS3Exception>(() => S3.PutLifecycleConfigurationAsync(new PutLifecycleConfigurationRequest
        {
            BucketName = S3Endpoint.NewBucketName(), Configuration = new LifecycleConfiguration { Rules = [ExpireRule("x", "", 1)] },
        }));
        Assert.Equal("NoSuchBucket", noBucket.ErrorCode);
    }

    [Fact]
    public async Task BadRulesGetAwsErrors()
    {
        string bucket = await Buckets.NewAsync();
        async Task<string> Refused(LifecycleRule rule) => (await Assert.ThrowsAsync<AmazonS3Exception>(() => S3.PutLifecycleConfigurationAsync(
            new PutLifecycleConfigurationRequest { BucketName = bucket, Configuration = new LifecycleConfiguration { Rules = [rule] } }))).ErrorCode;

        Assert.Equal("InvalidArgument", await Refused(ExpireRule("zero", "", 0)));
        Assert.Equal("InvalidRequest", await Refused(new LifecycleRule { Id = "none", Status = LifecycleRuleStatus.Enabled, Filter = new LifecycleFilter { Prefix = "" } }));
        Assert.Equal("InvalidStorageClass", await Refused(new LifecycleRule
        {
            Id = "cold", Status = LifecycleRuleStatus.Enabled, Filter = new LifecycleFilter { Prefix = "" },
            Transitions = [new LifecycleTransition { Days = 30, StorageClass = S3StorageClass.Glacier }],
        }));
        Assert.Empty((await S3.GetLifecycleConfigurationAsync(bucket)).Configuration?.Rules ?? []); // nothing was stored
    }

    [Fact]
    public async Task WritesAndReadsReportTheRuleThatWillExpireThem()
    {
        string bucket = await Buckets.NewAsync();
        await S3.PutLifecycleConfigurationAsync(new PutLifecycleConfigurationRequest
        {
            BucketName = bucket,
            Configuration = new LifecycleConfiguration { Rules = [ExpireRule("month", "logs/", 30), ExpireRule("week", "logs/debug/", 7)] },
        });
        var put = await S3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "logs/debug/a", ContentBody = "x" });
        Assert.Equal("week", put.Expiration.RuleId);
        var due = DateTime.UtcNow.Date.AddDays(8); // 7 days from now, rounded up to the next midnight UTC
        Assert.Equal(due, put.Expiration.ExpiryDate.ToUniversalTime());
        using (var get = await S3.GetObjectAsync(bucket, "logs/debug/a"))
        {
            Assert.Equal("week", get.Expiration.RuleId);
        }
        var head = await S3.GetObjectMetadataAsync(bucket, "logs/debug/a");
        Assert.Equal(due, head.Expiration.ExpiryDate.ToUniversalTime());
        Assert.Equal("month", (await S3.GetObjectMetadataAsync(bucket, await PutAsync(bucket, "logs/b"))).Expiration.RuleId);
        Assert.Null((await S3.GetObjectMetadataAsync(bucket, await PutAsync(bucket, "other"))).Expiration);

        await S3.PutLifecycleConfigurationAsync(new PutLifecycleConfigurationRequest
        {
            BucketName = bucket,
            Configuration = new LifecycleConfiguration
            {
                Rules = [new LifecycleRule
                {
                    Id = "abort", Status = LifecycleRuleStatus.Enabled, Filter = new LifecycleFilter { Prefix = "big/" },
                    AbortIncompleteMultipartUpload = new LifecycleRuleAbortIncompleteMultipartUpload { DaysAfterInitiation = 2 },
                }],
            },
        });
        var upload = await S3.InitiateMultipartUploadAsync(bucket, "big/file");
        Assert.Equal("abort", upload.AbortRuleId);
        Assert.Equal(DateTime.UtcNow.Date.AddDays(3), upload.AbortDate!.Value.ToUniversalTime());
        await S3.AbortMultipartUploadAsync(bucket, "big/file", upload.UploadId);
    }

    /// <summary>AWSSDK 4 reads a filter into its predicate classes, not the flat properties it writes from.</summary>
    private static string? PrefixOf(LifecycleFilter filter) => filter.Prefix ?? (filter.LifecycleFilterPredicate as LifecyclePrefixPredicate)?.Prefix;

    private async Task<string> PutAsync(string bucket, string key)
    {
        await S3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = key, ContentBody = "x" });
        return key;
    }
}

/// <summary>
/// Rules carried out by the lifecycle job on a server whose lifecycle day lasts two seconds: expiry in unversioned
/// and versioned buckets, noncurrent versions, expired delete markers, incomplete uploads, and Object Lock.
/// </summary>
[Collection(AcceleratedLifecycle.Name)]
public class LifecycleExecutionTests(AcceleratedLifecycleEndpoint endpoint) : VersionedBucketTests(endpoint)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private Task<PutLifecycleConfigurationResponse> PutRulesAsync(string bucket, params LifecycleRule[] rules) =>
        S3.PutLifecycleConfigurationAsync(new PutLifecycleConfigurationRequest { BucketName = bucket, Configuration = new LifecycleConfiguration { Rules = [.. rules] } });

    /// <summary>Polls (the job runs on its own schedule) until <paramref name="done"/> holds or patience runs out.</summary>
    private static async Task EventuallyAsync(Func<Task<bool>> done, string what)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!await done())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting for {what}");
            await Task.Delay(250);
        }
    }

    private async Task<List<string>> KeysAsync(string bucket) =>
        [.. ((await S3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket })).S3Objects ?? []).Select(o => o.Key)];

    [Fact]
    public async Task ExpiredObjectsGoAndOthersStay()
    {
        string bucket = await Buckets.NewAsync();
        foreach (string key in new[] { "tmp/a", "tmp/b", "keep/a", "tagged/yes", "tagged/no", "big/1" })
        {
            await S3.PutObjectAsync(new PutObjectRequest
            {
                BucketName = bucket, Key = key, ContentBody = key == "big/1" ? new string('x', 2048) : "x",
                TagSet = key == "tagged/yes" ? [new Tag { Key = "expire", Value = "yes" }] : null,
            });
        }
        await S3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "big/0", ContentBody = "small" });
        await PutRulesAsync(bucket,
            new LifecycleRule { Id = "tmp", Status = LifecycleRuleStatus.Enabled, Filter = new LifecycleFilter { Prefix = "tmp/" }, Expiration = new LifecycleRuleExpiration { Days = 1 } },
            new LifecycleRule
            {
                Id = "tag", Status = LifecycleRuleStatus.Enabled, Filter = new LifecycleFilter { Tag = new Tag { Key = "expire", Value = "yes" } },
                Expiration = new LifecycleRuleExpiration { Days = 1 },
            },
            new LifecycleRule
            {
                Id = "size", Status = LifecycleRuleStatus.Enabled, Filter = new LifecycleFilter { And = new LifecycleRuleAndOperator { Prefix = "big/", ObjectSizeGreaterThan = 1024 } },
                Expiration = new LifecycleRuleExpiration { Days = 1 },
            },
            new LifecycleRule { Id = "off", Status = LifecycleRuleStatus.Disabled, Filter = new LifecycleFilter { Prefix = "keep/" }, Expiration = new LifecycleRuleExpiration { Days = 1 } });

        await EventuallyAsync(async () => (await KeysAsync(bucket)).Count == 3, "the expired objects to go");
        Assert.Equal(["big/0", "keep/a", "tagged/no"], await KeysAsync(bucket));
    }

    [Fact]
    public async Task InAVersionedBucketExpiryAddsOneMarkerAndNoncurrentVersionsGoUnlessHeld()
    {
        string bucket = await Buckets.NewAsync(VersionStatus.Enabled, objectLock: true);
        string held = await Buckets.PutVersionAsync(bucket, "doc", "v1");
        await S3.PutObjectLegalHoldAsync(new PutObjectLegalHoldRequest
        {
            BucketName = bucket, Key = "doc", VersionId = held, LegalHold = new ObjectLockLegalHold { Status = ObjectLockLegalHoldStatus.On },
        });
        string free = await Buckets.PutVersionAsync(bucket, "doc", "v2");
        string current = await Buckets.PutVersionAsync(bucket, "doc", "v3");
        await PutRulesAsync(bucket, new LifecycleRule
        {
            Id = "all", Status = LifecycleRuleStatus.Enabled, Filter = new LifecycleFilter { Prefix = "" },
            Expiration = new LifecycleRuleExpiration { Days = 1 },
            NoncurrentVersionExpiration = new LifecycleRuleNoncurrentVersionExpiration { NoncurrentDays = 1 },
        });

        // The current version expires behind a delete marker; v2 goes once noncurrent for a day; the held v1 stays.
        await EventuallyAsync(async () =>
        {
            var versions = await Buckets.ListAllAsync(bucket);
            return !versions.Any(v => v.VersionId == free) && versions.Count(v => v.IsDeleteMarker == true) == 1 && !versions.Any(v => v.VersionId == current);
        }, "the expiry and the noncurrent removals");
        var left = await Buckets.ListAllAsync(bucket);
        Assert.Contains(left, v => v.VersionId == held);
        Assert.Single(left, v => v.IsDeleteMarker == true);
        await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => S3.GetObjectAsync(bucket, "doc"));
    }

    [Fact]
    public async Task ExpiredDeleteMarkersAndIncompleteUploadsAreCleanedUp()
    {
        string bucket = await Buckets.NewAsync(VersionStatus.Enabled);
        string only = await Buckets.PutVersionAsync(bucket, "gone", "x");
        await Buckets.AddDeleteMarkerAsync(bucket, "gone");
        await S3.DeleteObjectAsync(new DeleteObjectRequest { BucketName = bucket, Key = "gone", VersionId = only }); // the marker is now alone
        string kept = await Buckets.PutVersionAsync(bucket, "hidden", "x");
        await Buckets.AddDeleteMarkerAsync(bucket, "hidden"); // a marker with a version behind it stays
        var upload = await S3.InitiateMultipartUploadAsync(bucket, "uploads/big");
        await PutRulesAsync(bucket,
            new LifecycleRule
            {
                Id = "markers", Status = LifecycleRuleStatus.Enabled, Filter = new LifecycleFilter { Prefix = "" },
                Expiration = new LifecycleRuleExpiration { ExpiredObjectDeleteMarker = true },
            },
            new LifecycleRule
            {
                Id = "uploads", Status = LifecycleRuleStatus.Enabled, Filter = new LifecycleFilter { Prefix = "uploads/" },
                AbortIncompleteMultipartUpload = new LifecycleRuleAbortIncompleteMultipartUpload { DaysAfterInitiation = 1 },
            });

        await EventuallyAsync(async () =>
            !(await Buckets.ListAllAsync(bucket)).Any(v => v.Key == "gone")
            && ((await S3.ListMultipartUploadsAsync(bucket)).MultipartUploads ?? []).Count == 0, "the marker and the upload to go");
        Assert.Equal(2, (await Buckets.ListAllAsync(bucket)).Count(v => v.Key == "hidden"));
        var aborted = await Assert.ThrowsAsync<AmazonS3Exception>(() => S3.ListPartsAsync(bucket, "uploads/big", upload.UploadId));
        Assert.Equal("NoSuchUpload", aborted.ErrorCode);
        Assert.NotNull(kept);
    }
}
