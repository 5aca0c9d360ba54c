using Amazon.S3;
using Amazon.S3.Model;

namespace ObjStore.Compat.Tests;

[Collection(SharedEndpoint.Name)]
public class ListingTests(S3Endpoint endpoint) : IAsyncLifetime
{
    private static readonly string[] Keys =
    [
        "a", "a/b", "a/b/c", "a/c", "b/1", "b/2", "b/3/x", "c", "d/", "d/e", "é", "z/z", "\u00ff", "\U0001F600",
    ];

    private readonly AmazonS3Client _s3 = endpoint.Client();
    private readonly string _bucket = S3Endpoint.NewBucketName();

    public async Task InitializeAsync()
    {
        await _s3.PutBucketAsync(_bucket);
        foreach (var key in Keys)
        {
            await _s3.PutObjectAsync(new PutObjectRequest { BucketName = _bucket, Key = key, ContentBody = key });
        }
    }

    public Task DisposeAsync()
    {
        _s3.Dispose();
        return Task.CompletedTask;
    }

    private static List<string> Utf8Order(IEnumerable<string> keys) =>
        keys.OrderBy(k => k, Comparer<string>.Create((x, y) => System.Text.Encoding.UTF8.GetBytes(x).AsSpan().SequenceCompareTo(System.Text.Encoding.UTF8.GetBytes(y)))).ToList();

    [Fact]
    public async Task V2ListsEverythingInUtf8BinaryOrderAcrossPages()
    {
        var seen = new List<string>();
        string? token = null;
        int pages = 0;
        do
        {
            var page = await _s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = _bucket, MaxKeys = 4, ContinuationToken = token });
            Assert.Equal(page.S3Objects.Count, page.KeyCount);
            seen.AddRange(page.S3Objects.Select(o => o.Key));
            token = page.IsTruncated == true ? page.NextContinuationToken : null;
            pages++;
        }
        while (token is not null);
        Assert.Equal(Utf8Order(Keys), seen);
        Assert.Equal(4, pages);
    }

    [Fact]
    public async Task DelimiterGroupsCommonPrefixes()
    {
        var page = await _s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = _bucket, Delimiter = "/" });
        Assert.Equal(["a", "c", "é", "\u00ff", "\U0001F600"], page.S3Objects.Select(o => o.Key));
        Assert.Equal(["a/", "b/", "d/", "z/"], page.CommonPrefixes);

        var nested = await _s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = _bucket, Prefix = "a/", Delimiter = "/" });
        Assert.Equal(["a/b", "a/c"], nested.S3Objects.Select(o => o.Key));
        Assert.Equal(["a/b/"], nested.CommonPrefixes);
    }

    [Fact]
    public async Task DelimitedPagesCountPrefixesAndResumeAfterThem()
    {
        var all = new List<string>();
        string? token = null;
        do
        {
            var page = await _s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = _bucket, Delimiter = "/", MaxKeys = 2, ContinuationToken = token });
            Assert.True(page.KeyCount <= 2);
            all.AddRange((page.S3Objects ?? []).Select(o => o.Key));
            all.AddRange(page.CommonPrefixes ?? []);
            token = page.IsTruncated == true ? page.NextContinuationToken : null;
        }
        while (token is not null);
        Assert.Equal(Utf8Order(["a", "c", "é", "\u00ff", "\U0001F600", "a/", "b/", "d/", "z/"]), Utf8Order(all));
        Assert.Equal(all.Count, all.Distinct().Count());
    }

    [Fact]
    public async Task StartAfterAndV1MarkerSkip()
    {
        var v2 = await _s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = _bucket, StartAfter = "b/2" });
        Assert.Equal("b/3/x", v2.S3Objects[0].Key);
        var v1 = await _s3.ListObjectsAsync(new ListObjectsRequest { BucketName = _bucket, Marker = "c", MaxKeys = 2 });
        Assert.Equal(["d/", "d/e"], v1.S3Objects.Select(o => o.Key));
        Assert.True(v1.IsTruncated);
        var delimited = await _s3.ListObjectsAsync(new ListObjectsRequest { BucketName = _bucket, Delimiter = "/", MaxKeys = 2 });
        Assert.Equal("a/", delimited.NextMarker);
    }

    [Fact]
    public async Task UrlEncodingTypeEncodesKeys()
    {
        var page = await _s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = _bucket, Prefix = "é", Encoding = EncodingType.Url });
        // S3 percent-encodes keys in the XML; the SDK hands them over as sent.
        Assert.Equal(["%C3%A9"], page.S3Objects.Select(o => o.Key));
        Assert.Equal("%C3%A9", page.Prefix);
    }

    [Fact]
    public async Task InvalidMaxKeysIsInvalidArgument()
    {
        var e = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => _s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = _bucket, MaxKeys = -1 }));
        Assert.Equal("InvalidArgument", e.ErrorCode);
    }

    /// <summary>
    /// RestoreStatus, the one optional attribute, describes restores of archived objects; S3 writes none for an
    /// object never restored, and nothing here is archived, so every listing accepts it and has none.
    /// </summary>
    [Fact]
    public async Task RestoreStatusIsAcceptedByEveryListingAndAbsentForObjectsNeverArchived()
    {
        var v2 = await _s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = _bucket, OptionalObjectAttributes = ["RestoreStatus"] });
        Assert.Equal(Keys.Length, v2.S3Objects.Count);
        Assert.All(v2.S3Objects, o => Assert.Null(o.RestoreStatus));
        var v1 = await _s3.ListObjectsAsync(new ListObjectsRequest { BucketName = _bucket, OptionalObjectAttributes = ["RestoreStatus"] });
        Assert.Equal(Keys.Length, v1.S3Objects.Count);
        Assert.All(v1.S3Objects, o => Assert.Null(o.RestoreStatus));
        var versions = await _s3.ListVersionsAsync(new ListVersionsRequest { BucketName = _bucket, OptionalObjectAttributes = ["RestoreStatus"] });
        Assert.Equal(Keys.Length, versions.Versions.Count);
        Assert.All(versions.Versions, v => Assert.Null(v.RestoreStatus));
    }

    [Fact]
    public async Task AnUnknownOptionalAttributeIsInvalidArgument()
    {
        var v2 = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() =>
            _s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = _bucket, OptionalObjectAttributes = ["RestoreStatus", "Owner"] }));
        Assert.Equal((System.Net.HttpStatusCode.BadRequest, "InvalidArgument", "Invalid attribute name specified."), (v2.StatusCode, v2.ErrorCode, v2.Message));
        var v1 = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() =>
            _s3.ListObjectsAsync(new ListObjectsRequest { BucketName = _bucket, OptionalObjectAttributes = ["ETag"] }));
        Assert.Equal("InvalidArgument", v1.ErrorCode);
        var versions = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() =>
            _s3.ListVersionsAsync(new ListVersionsRequest { BucketName = _bucket, OptionalObjectAttributes = ["Size"] }));
        Assert.Equal("InvalidArgument", versions.ErrorCode);
    }
}
