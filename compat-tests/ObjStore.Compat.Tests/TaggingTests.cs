using System.Net;
using Amazon.S3;
using Amazon.S3.Model;

namespace ObjStore.Compat.Tests;

/// <summary>Object tags (per version; on PUT, copy, multipart and GET/HEAD) and bucket tags, with S3's limits and errors.</summary>
[Collection(SharedEndpoint.Name)]
public class TaggingTests(S3Endpoint endpoint) : VersionedBucketTests(endpoint)
{
    private static List<Tag> Tags(params (string Key, string Value)[] tags) => [.. tags.Select(t => new Tag { Key = t.Key, Value = t.Value })];

    /// <summary>AWSSDK 4 reads an empty TagSet as null.</summary>
    private static List<(string, string)> Pairs(IEnumerable<Tag>? tags) => [.. (tags ?? []).Select(t => (t.Key, t.Value)).OrderBy(t => t.Key, StringComparer.Ordinal)];

    [Fact]
    public async Task ObjectTagsArePutReadCountedReplacedAndDeleted()
    {
        string bucket = await Buckets.NewAsync();
        await S3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "k", ContentBody = "x", TagSet = Tags(("team", "a b"), ("tier", "1")) });
        var read = await S3.GetObjectTaggingAsync(new GetObjectTaggingRequest { BucketName = bucket, Key = "k" });
        Assert.Equal([("team", "a b"), ("tier", "1")], Pairs(read.Tagging));
        using (var tagged = await S3.GetObjectAsync(bucket, "k"))
        {
            Assert.Equal(2, tagged.TagCount); // x-amz-tagging-count
        }

        await S3.PutObjectTaggingAsync(new PutObjectTaggingRequest { BucketName = bucket, Key = "k", Tagging = new Tagging { TagSet = Tags(("only", "one")) } });
        Assert.Equal([("only", "one")], Pairs((await S3.GetObjectTaggingAsync(new GetObjectTaggingRequest { BucketName = bucket, Key = "k" })).Tagging));

        var deleted = await S3.DeleteObjectTaggingAsync(new DeleteObjectTaggingRequest { BucketName = bucket, Key = "k" });
        Assert.Equal(HttpStatusCode.NoContent, deleted.HttpStatusCode);
        Assert.Empty(Pairs((await S3.GetObjectTaggingAsync(new GetObjectTaggingRequest { BucketName = bucket, Key = "k" })).Tagging));
        using var get = await S3.GetObjectAsync(bucket, "k");
        Assert.Equal(0, get.TagCount);
    }

    [Fact]
    public async Task TagsBelongToAVersion()
    {
        string bucket = await Buckets.NewAsync(VersionStatus.Enabled);
        string first = await Buckets.PutVersionAsync(bucket, "k", "one");
        await S3.PutObjectTaggingAsync(new PutObjectTaggingRequest { BucketName = bucket, Key = "k", VersionId = first, Tagging = new Tagging { TagSet = Tags(("v", "1")) } });
        string second = await Buckets.PutVersionAsync(bucket, "k", "two");
        var latest = await S3.PutObjectTaggingAsync(new PutObjectTaggingRequest { BucketName = bucket, Key = "k", Tagging = new Tagging { TagSet = Tags(("v", "2")) } });
        Assert.Equal(second, latest.VersionId);
        Assert.Equal([("v", "1")], Pairs((await S3.GetObjectTaggingAsync(new GetObjectTaggingRequest { BucketName = bucket, Key = "k", VersionId = first })).Tagging));
        var read = await S3.GetObjectTaggingAsync(new GetObjectTaggingRequest { BucketName = bucket, Key = "k" });
        Assert.Equal(second, read.VersionId);
        Assert.Equal([("v", "2")], Pairs(read.Tagging));
    }

    [Fact]
    public async Task CopyKeepsOrReplacesTagsAsTheDirectiveSays()
    {
        string bucket = await Buckets.NewAsync();
        await S3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "src", ContentBody = "x", TagSet = Tags(("from", "source")) });
        await S3.CopyObjectAsync(new CopyObjectRequest { SourceBucket = bucket, SourceKey = "src", DestinationBucket = bucket, DestinationKey = "copied" });
        Assert.Equal([("from", "source")], Pairs((await S3.GetObjectTaggingAsync(new GetObjectTaggingRequest { BucketName = bucket, Key = "copied" })).Tagging));
        await S3.CopyObjectAsync(new CopyObjectRequest
        {
            SourceBucket = bucket, SourceKey = "src", DestinationBucket = bucket, DestinationKey = "replaced",
            TaggingDirective = TaggingDirective.REPLACE, TagSet = Tags(("new", "tag")),
        });
        Assert.Equal([("new", "tag")], Pairs((await S3.GetObjectTaggingAsync(new GetObjectTaggingRequest { BucketName = bucket, Key = "replaced" })).Tagging));
    }

    [Fact]
    public async Task AMultipartUploadGivesItsObjectItsTags()
    {
        string bucket = await Buckets.NewAsync();
        var upload = await S3.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest { BucketName = bucket, Key = "mp", TagSet = Tags(("kind", "multipart")) });
        var part = await S3.UploadPartAsync(new UploadPartRequest { BucketName = bucket, Key = "mp", UploadId = upload.UploadId, PartNumber = 1, InputStream = new MemoryStream([1, 2, 3]) });
        await S3.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
        {
            BucketName = bucket, Key = "mp", UploadId = upload.UploadId, PartETags = [new PartETag(1, part.ETag)],
        });
        Assert.Equal([("kind", "multipart")], Pairs((await S3.GetObjectTaggingAsync(new GetObjectTaggingRequest { BucketName = bucket, Key = "mp" })).Tagging));
    }

    [Theory]
    [InlineData("a=1&a=2")]
    [InlineData("aws:reserved=1")]
    [InlineData("bad%3Ckey=1")]
    [InlineData("1=a&2=b&3=c&4=d&5=e&6=f&7=g&8=h&9=i&10=j&11=k")]
    public async Task TagsBreakingS3sRulesAreInvalidTag(string tagging)
    {
        string bucket = await Buckets.NewAsync();
        var e = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => S3.PutObjectAsync(new PutObjectRequest
        {
            BucketName = bucket, Key = "k", ContentBody = "x", Headers = { ["x-amz-tagging"] = tagging },
        }));
        Assert.Equal("InvalidTag", e.ErrorCode);
        Assert.Equal(HttpStatusCode.BadRequest, e.StatusCode);
    }

    [Fact]
    public async Task LongKeysAndValuesAreRefused()
    {
        string bucket = await Buckets.NewAsync();
        await S3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "k", ContentBody = "x" });
        foreach (var tag in new[] { (new string('k', 129), "v"), ("k", new string('v', 257)) })
        {
            var e = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => S3.PutObjectTaggingAsync(new PutObjectTaggingRequest
            {
                BucketName = bucket, Key = "k", Tagging = new Tagging { TagSet = Tags(tag) },
            }));
            Assert.Equal("InvalidTag", e.ErrorCode);
        }
        await S3.PutObjectTaggingAsync(new PutObjectTaggingRequest { BucketName = bucket, Key = "k", Tagging = new Tagging { TagSet = Tags((new string('k', 128), new string('v', 256))) } });
    }

    [Fact]
    public async Task ADeleteMarkerHasNoTagsToSet()
    {
        string bucket = await Buckets.NewAsync(VersionStatus.Enabled);
        await Buckets.PutVersionAsync(bucket, "k", "x");
        string marker = await Buckets.AddDeleteMarkerAsync(bucket, "k");
        var e = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => S3.PutObjectTaggingAsync(new PutObjectTaggingRequest
        {
            BucketName = bucket, Key = "k", VersionId = marker, Tagging = new Tagging { TagSet = Tags(("a", "b")) },
        }));
        Assert.Equal(HttpStatusCode.MethodNotAllowed, e.StatusCode);
        var missing = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => S3.GetObjectTaggingAsync(new GetObjectTaggingRequest { BucketName = bucket, Key = "nope" }));
        Assert.Equal("NoSuchKey", missing.ErrorCode);
    }

    [Fact]
    public async Task BucketTagsArePutReadAndDeleted()
    {
        string bucket = await Buckets.NewAsync();
        var none = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => S3.GetBucketTaggingAsync(new GetBucketTaggingRequest { BucketName = bucket }));
        Assert.Equal("NoSuchTagSet", none.ErrorCode);
        Assert.Equal(HttpStatusCode.NotFound, none.StatusCode);
        await S3.PutBucketTaggingAsync(new PutBucketTaggingRequest { BucketName = bucket, TagSet = Tags(("cost-centre", "42"), ("env", "prod")) });
        Assert.Equal([("cost-centre", "42"), ("env", "prod")], Pairs((await S3.GetBucketTaggingAsync(new GetBucketTaggingRequest { BucketName = bucket })).TagSet));
        var fiftyOne = Tags([.. Enumerable.Range(0, 51).Select(i => ($"k{i}", "v"))]);
        var tooMany = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => S3.PutBucketTaggingAsync(new PutBucketTaggingRequest { BucketName = bucket, TagSet = fiftyOne }));
        Assert.Equal("InvalidTag", tooMany.ErrorCode);
        await S3.DeleteBucketTaggingAsync(new DeleteBucketTaggingRequest { BucketName = bucket });
        await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => S3.GetBucketTaggingAsync(new GetBucketTaggingRequest { BucketName = bucket }));
    }
}
