using System.Globalization;
using System.Text;
using Minio;
using Minio.DataModel;
using Minio.DataModel.Args;
using Minio.DataModel.ObjectLock;
using Minio.Exceptions;

namespace ObjStore.Compat.Tests;

/// <summary>
/// The MinIO .NET SDK as one more real client of versioning and Object Lock: its own request building and parsing
/// (version listings, lock documents, Content-MD5 on lock requests) against the store.
/// </summary>
[Collection(SharedEndpoint.Name)]
public class MinioSdkVersioningTests(S3Endpoint endpoint) : VersionedBucketTests(endpoint)
{
    private readonly IMinioClient _minio = Connect(endpoint);

    private static IMinioClient Connect(S3Endpoint endpoint)
    {
        var url = new Uri(endpoint.Url);
        return new MinioClient()
            .WithEndpoint(url.Host, url.Port)
            .WithCredentials(endpoint.AccessKey, endpoint.SecretKey)
            .WithSSL(false)
            .Build();
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        _minio.Dispose();
    }

    private async Task<string> MakeBucketAsync(bool objectLock = false)
    {
        string bucket = S3Endpoint.NewBucketName();
        var args = new MakeBucketArgs().WithBucket(bucket);
        await _minio.MakeBucketAsync(objectLock ? args.WithObjectLock() : args);
        return Buckets.Adopt(bucket, objectLock);
    }

    private async Task<string> PutAsync(string bucket, string key, string body, ObjectRetentionConfiguration? retention = null)
    {
        var bytes = Encoding.UTF8.GetBytes(body);
        var args = new PutObjectArgs().WithBucket(bucket).WithObject(key).WithStreamData(new MemoryStream(bytes)).WithObjectSize(bytes.Length);
        await _minio.PutObjectAsync(retention is null ? args : args.WithRetentionConfiguration(retention));
        // The PUT's answer has no version id in this SDK: the HEAD right after names the version just made.
        string versionId = (await _minio.StatObjectAsync(new StatObjectArgs().WithBucket(bucket).WithObject(key))).VersionId;
        VersionedBuckets.AssertVersionId(versionId);
        return versionId;
    }

    private async Task<(string Body, ObjectStat Stat)> GetAsync(string bucket, string key, string? versionId = null)
    {
        string body = "";
        var args = new GetObjectArgs().WithBucket(bucket).WithObject(key).WithCallbackStream(async (stream, ct) =>
        {
            using var reader = new StreamReader(stream);
            body = await reader.ReadToEndAsync(ct);
        });
        var stat = await _minio.GetObjectAsync(versionId is null ? args : args.WithVersionId(versionId));
        return (body, stat);
    }

    private async Task<List<(string Key, string VersionId)>> ListVersionsAsync(string bucket)
    {
        var items = new List<(string, string)>();
        await foreach (var item in _minio.ListObjectsEnumAsync(new ListObjectsArgs().WithBucket(bucket).WithRecursive(true).WithVersions(true)))
        {
            items.Add((item.Key, item.VersionId));
        }
        return items;
    }

    private static DateTime WholeSecondsFromNow(int days)
    {
        var t = DateTime.UtcNow.AddDays(days);
        return new DateTime(t.Ticks - (t.Ticks % TimeSpan.TicksPerSecond), DateTimeKind.Utc);
    }

    private static DateTime ParseUtc(string value) =>
        DateTime.Parse(value, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal);

    [Fact]
    public async Task VersioningIsEnabledAndSuspendedThroughMinio()
    {
        string bucket = await MakeBucketAsync();
        // An empty configuration, which this SDK reads as "Off".
        Assert.Equal("Off", (await _minio.GetVersioningAsync(new GetVersioningArgs().WithBucket(bucket))).Status);

        await _minio.SetVersioningAsync(new SetVersioningArgs().WithBucket(bucket).WithVersioningEnabled());
        Assert.Equal("Enabled", (await _minio.GetVersioningAsync(new GetVersioningArgs().WithBucket(bucket))).Status);
        await _minio.SetVersioningAsync(new SetVersioningArgs().WithBucket(bucket).WithVersioningSuspended());
        Assert.Equal("Suspended", (await _minio.GetVersioningAsync(new GetVersioningArgs().WithBucket(bucket))).Status);
    }

    [Fact]
    public async Task VersionsAreListedReadAndRemovedByVersionIdThroughMinio()
    {
        string bucket = await MakeBucketAsync();
        await _minio.SetVersioningAsync(new SetVersioningArgs().WithBucket(bucket).WithVersioningEnabled());
        string v1 = await PutAsync(bucket, "k", "one");
        string v2 = await PutAsync(bucket, "k", "second");
        string other = await PutAsync(bucket, "other", "x");
        Assert.NotEqual(v1, v2);

        Assert.Equal([("k", v2), ("k", v1), ("other", other)], await ListVersionsAsync(bucket));
        var (latest, latestStat) = await GetAsync(bucket, "k");
        Assert.Equal(("second", v2), (latest, latestStat.VersionId));
        var (old, oldStat) = await GetAsync(bucket, "k", v1);
        Assert.Equal(("one", v1, 3L), (old, oldStat.VersionId, oldStat.Size));

        await _minio.RemoveObjectAsync(new RemoveObjectArgs().WithBucket(bucket).WithObject("k").WithVersionId(v2));
        Assert.Equal([("k", v1), ("other", other)], await ListVersionsAsync(bucket));
        var (now, nowStat) = await GetAsync(bucket, "k");
        Assert.Equal(("one", v1), (now, nowStat.VersionId));

        // Without a version id the object is hidden by a delete marker; its version stays readable by id.
        await _minio.RemoveObjectAsync(new RemoveObjectArgs().WithBucket(bucket).WithObject("k"));
        var hidden = await Assert.ThrowsAnyAsync<MinioException>(() => GetAsync(bucket, "k"));
        Assert.Contains(hidden.Response?.Code ?? hidden.GetType().Name, new[] { "NoSuchKey", nameof(ObjectNotFoundException) });
        Assert.Equal("one", (await GetAsync(bucket, "k", v1)).Body);
        var versions = await Buckets.ListAllAsync(bucket, "k");
        Assert.Equal([("k", true, true), ("k", false, false)], versions.Select(v => (v.Key, v.IsDeleteMarker == true, v.IsLatest == true)));
    }

    [Fact]
    public async Task ObjectLockRetentionAndLegalHoldWorkThroughMinio()
    {
        string bucket = await MakeBucketAsync(objectLock: true);
        Assert.Equal("Enabled", (await _minio.GetVersioningAsync(new GetVersioningArgs().WithBucket(bucket))).Status);
        var configuration = await _minio.GetObjectLockConfigurationAsync(new GetObjectLockConfigurationArgs().WithBucket(bucket));
        Assert.Equal("Enabled", configuration.ObjectLockEnabled);
        Assert.Null(configuration.Rule?.DefaultRetention);

        // Objects first: this SDK sends no Content-MD5 on a plain PUT, which S3 requires once a default retention applies.
        string free = await PutAsync(bucket, "free", "no lock yet");
        var until = WholeSecondsFromNow(2);
        string locked = await PutAsync(bucket, "locked", "locked at once", new ObjectRetentionConfiguration(until, ObjectRetentionMode.GOVERNANCE));
        var lockedStat = await _minio.StatObjectAsync(new StatObjectArgs().WithBucket(bucket).WithObject("locked"));
        Assert.Equal((ObjectRetentionMode.GOVERNANCE, until), (lockedStat.ObjectLockMode, lockedStat.ObjectLockRetainUntilDate?.ToUniversalTime()));

        await _minio.SetObjectLockConfigurationAsync(new SetObjectLockConfigurationArgs().WithBucket(bucket)
            .WithLockConfiguration(new ObjectLockConfiguration(ObjectRetentionMode.GOVERNANCE, 1)));
        configuration = await _minio.GetObjectLockConfigurationAsync(new GetObjectLockConfigurationArgs().WithBucket(bucket));
        Assert.Equal(("Enabled", ObjectRetentionMode.GOVERNANCE, 1),
            (configuration.ObjectLockEnabled, configuration.Rule.DefaultRetention.Mode, configuration.Rule.DefaultRetention.Days));
        var unproven = await Assert.ThrowsAnyAsync<MinioException>(() => PutAsync(bucket, "late", "would be locked by default"));
        Assert.Equal("InvalidRequest", unproven.Response?.Code);

        await _minio.SetObjectRetentionAsync(new SetObjectRetentionArgs().WithBucket(bucket).WithObject("free").WithVersionId(free)
            .WithRetentionMode(ObjectRetentionMode.GOVERNANCE).WithRetentionUntilDate(until));
        var retention = await _minio.GetObjectRetentionAsync(new GetObjectRetentionArgs().WithBucket(bucket).WithObject("free").WithVersionId(free));
        Assert.Equal((ObjectRetentionMode.GOVERNANCE, until), (retention.Mode, ParseUtc(retention.RetainUntilDate)));
        var locking = await Assert.ThrowsAnyAsync<MinioException>(() =>
            _minio.RemoveObjectAsync(new RemoveObjectArgs().WithBucket(bucket).WithObject("free").WithVersionId(free)));
        Assert.Contains(locking.Response?.Code ?? locking.GetType().Name, new[] { "AccessDenied", nameof(AccessDeniedException) });

        await _minio.SetObjectLegalHoldAsync(new SetObjectLegalHoldArgs().WithBucket(bucket).WithObject("locked").WithVersionId(locked).WithLegalHold(true));
        Assert.True(await _minio.GetObjectLegalHoldAsync(new GetObjectLegalHoldArgs().WithBucket(bucket).WithObject("locked").WithVersionId(locked)));
        var held = await Assert.ThrowsAnyAsync<MinioException>(() => _minio.RemoveObjectAsync(
            new RemoveObjectArgs().WithBucket(bucket).WithObject("locked").WithVersionId(locked).WithBypassGovernanceMode(true)));
        Assert.Contains(held.Response?.Code ?? held.GetType().Name, new[] { "AccessDenied", nameof(AccessDeniedException) });

        await _minio.SetObjectLegalHoldAsync(new SetObjectLegalHoldArgs().WithBucket(bucket).WithObject("locked").WithVersionId(locked).WithLegalHold(false));
        Assert.False(await _minio.GetObjectLegalHoldAsync(new GetObjectLegalHoldArgs().WithBucket(bucket).WithObject("locked").WithVersionId(locked)));
        await _minio.RemoveObjectAsync(new RemoveObjectArgs().WithBucket(bucket).WithObject("locked").WithVersionId(locked).WithBypassGovernanceMode(true));
        Assert.Equal([("free", free)], await ListVersionsAsync(bucket));
    }

    [Fact]
    public async Task ABucketWithoutObjectLockHasNoLockConfigurationThroughMinio()
    {
        string bucket = await MakeBucketAsync();
        var e = await Assert.ThrowsAnyAsync<MinioException>(() =>
            _minio.GetObjectLockConfigurationAsync(new GetObjectLockConfigurationArgs().WithBucket(bucket)));
        Assert.Contains(e.Response?.Code ?? e.GetType().Name, new[] { "ObjectLockConfigurationNotFoundError", nameof(MissingObjectLockConfigurationException) });
    }
}
