using Amazon.Runtime;
using Amazon.Runtime.Internal;
using Amazon.S3;
using Amazon.S3.Model;

namespace ObjStore.Compat.Tests;

/// <summary>A test class that makes its buckets through <see cref="VersionedBuckets"/>: they go when each test ends.</summary>
public abstract class VersionedBucketTests : IAsyncLifetime
{
    private protected VersionedBucketTests(S3Endpoint endpoint)
    {
        Endpoint = endpoint;
        S3 = endpoint.Client();
        Buckets = new VersionedBuckets(S3);
    }

    private protected S3Endpoint Endpoint { get; }

    private protected AmazonS3Client S3 { get; }

    private protected VersionedBuckets Buckets { get; }

    public Task InitializeAsync() => Task.CompletedTask;

    public virtual async Task DisposeAsync()
    {
        await Buckets.DeleteAllAsync();
        S3.Dispose();
    }
}

/// <summary>
/// The buckets of the versioning and Object Lock tests, and the reads those tests repeat. Every bucket made here is
/// emptied of its versions (legal holds lifted, GOVERNANCE bypassed) and deleted by <see cref="DeleteAllAsync"/>; a
/// version under COMPLIANCE cannot be removed before its date, as S3 requires, so it and its bucket stay (the fixture's
/// own server takes them with its data folder).
/// </summary>
internal sealed class VersionedBuckets(AmazonS3Client s3)
{
    /// <summary>Well-formed for this store (32 lowercase hex digits) and never made by it.</summary>
    public const string AbsentVersionId = "0123456789abcdef0123456789abcdef";

    private readonly List<(string Name, bool ObjectLock)> _made = [];

    /// <summary>A new bucket, with its versioning set when <paramref name="status"/> is given.</summary>
    public async Task<string> NewAsync(VersionStatus? status = null, bool objectLock = false)
    {
        string bucket = S3Endpoint.NewBucketName();
        await s3.PutBucketAsync(new PutBucketRequest { BucketName = bucket, ObjectLockEnabledForBucket = objectLock ? true : null });
        _made.Add((bucket, objectLock));
        if (status is not null)
        {
            await SetVersioningAsync(bucket, status);
        }
        return bucket;
    }

    /// <summary>A bucket another client made, to be removed with the rest.</summary>
    public string Adopt(string bucket, bool objectLock)
    {
        _made.Add((bucket, objectLock));
        return bucket;
    }

    public Task SetVersioningAsync(string bucket, VersionStatus status) =>
        s3.PutBucketVersioningAsync(new PutBucketVersioningRequest
        {
            BucketName = bucket,
            VersioningConfig = new S3BucketVersioningConfig { Status = status },
        });

    /// <summary>A PUT of <paramref name="body"/>; the version id the PUT answered (null when it named none).</summary>
    public async Task<string?> PutAsync(string bucket, string key, string body) =>
        (await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = key, ContentBody = body })).VersionId;

    /// <summary>A PUT to a bucket with versioning enabled: its new version's id, checked to be one.</summary>
    public async Task<string> PutVersionAsync(string bucket, string key, string body)
    {
        string? id = await PutAsync(bucket, key, body);
        AssertVersionId(id);
        return id!;
    }

    /// <summary>A DELETE without a version id in a bucket with versioning enabled: the new delete marker's id.</summary>
    public async Task<string> AddDeleteMarkerAsync(string bucket, string key)
    {
        var deleted = await s3.DeleteObjectAsync(new DeleteObjectRequest { BucketName = bucket, Key = key });
        Assert.Equal("true", deleted.DeleteMarker);
        AssertVersionId(deleted.VersionId);
        return deleted.VersionId;
    }

    public async Task<string> ReadAsync(string bucket, string key, string? versionId = null)
    {
        using var response = await s3.GetObjectAsync(new GetObjectRequest { BucketName = bucket, Key = key, VersionId = versionId });
        using var reader = new StreamReader(response.ResponseStream);
        return await reader.ReadToEndAsync();
    }

    /// <summary>Every version and delete marker, page by page, in the order ListObjectVersions gives them.</summary>
    public async Task<List<S3ObjectVersion>> ListAllAsync(string bucket, string? prefix = null)
    {
        var all = new List<S3ObjectVersion>();
        string? keyMarker = null, versionIdMarker = null;
        while (true)
        {
            var page = await s3.ListVersionsAsync(new ListVersionsRequest
            {
                BucketName = bucket, Prefix = prefix, KeyMarker = keyMarker, VersionIdMarker = versionIdMarker,
            });
            all.AddRange(page.Versions ?? []);
            if (page.IsTruncated != true)
            {
                return all;
            }
            (keyMarker, versionIdMarker) = (page.NextKeyMarker, page.NextVersionIdMarker);
        }
    }

    /// <summary>What a listing says of each entry: (key, version id, delete marker, latest).</summary>
    public static List<(string Key, string VersionId, bool Marker, bool Latest)> Describe(IEnumerable<S3ObjectVersion> versions) =>
        versions.Select(v => (v.Key, v.VersionId, v.IsDeleteMarker == true, v.IsLatest == true)).ToList();

    public static void AssertVersionId(string? versionId) => Assert.Matches("^[0-9a-f]{32}$", versionId ?? "");

    /// <summary>A response header of a failed request (x-amz-delete-marker, ...), which the SDK keeps on the inner exception.</summary>
    public static string? ErrorHeader(AmazonServiceException e, string name) =>
        e.InnerException is HttpErrorResponseException { Response: { } response } && response.IsHeaderPresent(name)
            ? response.GetHeaderValue(name)
            : null;

    /// <summary>Removes what the tests made, as far as Object Lock allows; what it does not allow stays.</summary>
    public async Task DeleteAllAsync()
    {
        foreach (var (bucket, objectLock) in _made)
        {
            try
            {
                var versions = await ListAllAsync(bucket);
                if (objectLock)
                {
                    foreach (var version in versions.Where(v => v.IsDeleteMarker != true))
                    {
                        await TryAsync(() => s3.PutObjectLegalHoldAsync(new PutObjectLegalHoldRequest
                        {
                            BucketName = bucket, Key = version.Key, VersionId = version.VersionId,
                            LegalHold = new ObjectLockLegalHold { Status = ObjectLockLegalHoldStatus.Off },
                        }));
                    }
                }
                foreach (var batch in versions.Chunk(1000))
                {
                    await TryAsync(() => s3.DeleteObjectsAsync(new DeleteObjectsRequest
                    {
                        BucketName = bucket,
                        BypassGovernanceRetention = objectLock ? true : null,
                        Quiet = true,
                        Objects = [.. batch.Select(v => new KeyVersion { Key = v.Key, VersionId = v.VersionId })],
                    }));
                }
                await TryAsync(() => s3.DeleteBucketAsync(bucket));
            }
            catch (AmazonS3Exception)
            {
                // A bucket a test deleted itself, or one COMPLIANCE keeps: nothing more to remove.
            }
        }
    }

    private static async Task TryAsync(Func<Task> call)
    {
        try
        {
            await call();
        }
        catch (AmazonS3Exception)
        {
        }
    }
}
