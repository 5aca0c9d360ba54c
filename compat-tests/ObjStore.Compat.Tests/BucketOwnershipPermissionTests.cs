using System.Net;
using Amazon.S3;
using Amazon.S3.Model;

namespace ObjStore.Compat.Tests;

/// <summary>
/// Who owns a bucket: the user who created it. The bucket namespace is shared, re-creating one's own bucket in
/// us-east-1 succeeds, and ListBuckets shows each caller its own buckets (and those it may list), paged and filtered.
/// </summary>
[Collection(SharedEndpoint.Name)]
public class BucketOwnershipPermissionTests(S3Endpoint endpoint) : AccessTestBase(endpoint)
{
    /// <summary>A user that may create buckets and list its own, and do anything in the buckets named.</summary>
    private async Task<(TestUser User, AmazonS3Client S3)> OwnerOfAsync(params string[] buckets)
    {
        var statements = new List<string> { """{"Effect": "Allow", "Action": ["s3:CreateBucket", "s3:ListAllMyBuckets"], "Resource": "*"}""" };
        statements.AddRange(buckets.Select(b =>
            $$"""{"Effect": "Allow", "Action": "s3:*", "Resource": ["arn:aws:s3:::{{b}}", "arn:aws:s3:::{{b}}/*"]}"""));
        var user = await Access.CreateUserAsync(null, AccessFixture.Policy([.. statements]));
        return (user, Access.ClientFor(user));
    }

    private static async Task<List<string>> NamesAsync(AmazonS3Client s3, string? prefix = null) =>
        ((await s3.ListBucketsAsync(new ListBucketsRequest { Prefix = prefix })).Buckets ?? []).Select(b => b.BucketName).ToList();

    [Fact]
    public async Task TheBucketNamespaceIsSharedAndReCreatingOnesOwnBucketSucceeds()
    {
        string x = Access.NewBucketName();
        var (a, aS3) = await OwnerOfAsync(x);
        var (_, bS3) = await OwnerOfAsync();
        await aS3.PutBucketAsync(new PutBucketRequest { BucketName = x });
        await PutAsync(aS3, x, "k", "kept");

        var taken = await FailsAsync(HttpStatusCode.Conflict, "BucketAlreadyExists", () => bS3.PutBucketAsync(new PutBucketRequest { BucketName = x }));
        Assert.Contains("not available", taken.Message, StringComparison.Ordinal);
        await FailsAsync(HttpStatusCode.Conflict, "BucketAlreadyExists", () => Root.PutBucketAsync(new PutBucketRequest { BucketName = x }));

        // us-east-1, for legacy compatibility: 200, and nothing in the bucket changes.
        var again = await aS3.PutBucketAsync(new PutBucketRequest { BucketName = x });
        Assert.Equal(HttpStatusCode.OK, again.HttpStatusCode);
        Assert.Equal("kept", await ReadAsync(aS3, x, "k"));
        var acl = await aS3.GetBucketAclAsync(new GetBucketAclRequest { BucketName = x });
        Assert.Equal(a.CanonicalId, acl.Owner.Id);
    }

    [Fact]
    public async Task ListBucketsShowsEachUserItsOwnBuckets()
    {
        string x = Access.NewBucketName(), y = Access.NewBucketName();
        var (a, aS3) = await OwnerOfAsync(x);
        var (b, bS3) = await OwnerOfAsync(y);
        await aS3.PutBucketAsync(new PutBucketRequest { BucketName = x });
        await bS3.PutBucketAsync(new PutBucketRequest { BucketName = y });

        var forA = await aS3.ListBucketsAsync(new ListBucketsRequest());
        Assert.Equal(a.CanonicalId, forA.Owner.Id);
        Assert.Equal(a.Name, forA.Owner.DisplayName);
        var names = (forA.Buckets ?? []).Select(bk => bk.BucketName).ToList();
        Assert.Contains(x, names);
        Assert.DoesNotContain(y, names);

        var forB = await NamesAsync(bS3);
        Assert.Contains(y, forB);
        Assert.DoesNotContain(x, forB);

        var forRoot = await NamesAsync(Root);
        Assert.Contains(x, forRoot);
        Assert.Contains(y, forRoot);

        // A bucket B may list (a bucket policy grants it) shows in B's listing too.
        await aS3.PutBucketPolicyAsync(new PutBucketPolicyRequest
        {
            BucketName = x,
            Policy = AccessFixture.Policy($$"""{"Effect": "Allow", "Principal": {"AWS": "{{b.Arn}}"}, "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::{{x}}"}"""),
        });
        Assert.Contains(x, await NamesAsync(bS3));

        // A user without s3:ListAllMyBuckets lists nothing, whatever it owns.
        var nobody = Access.ClientFor(await Access.CreateUserAsync());
        await DeniedAsync(() => nobody.ListBucketsAsync());
        var (_, cS3) = await OwnerOfAsync();
        Assert.DoesNotContain(x, await NamesAsync(cS3));
    }

    [Fact]
    public async Task ListBucketsPagesFiltersByPrefixAndNamesTheRegion()
    {
        string prefix = "compat-pg" + Guid.NewGuid().ToString("N")[..8];
        string[] mine = [Access.Track(prefix + "-a"), Access.Track(prefix + "-b"), Access.Track(prefix + "-c")];
        var (_, s3) = await OwnerOfAsync(mine);
        foreach (string bucket in mine)
        {
            await s3.PutBucketAsync(new PutBucketRequest { BucketName = bucket });
        }
        string other = Access.Track(prefix + "-root");
        await Root.PutBucketAsync(new PutBucketRequest { BucketName = other });

        var seen = new List<string>();
        string? token = null;
        int pages = 0;
        do
        {
            var page = await s3.ListBucketsAsync(new ListBucketsRequest { MaxBuckets = 1, Prefix = prefix, ContinuationToken = token });
            var bucket = Assert.Single(page.Buckets ?? []);
            Assert.Equal("us-east-1", bucket.BucketRegion);
            Assert.Equal(prefix, page.Prefix);
            seen.Add(bucket.BucketName);
            token = page.ContinuationToken;
            pages++;
        }
        while (token is not null && pages < 10);
        Assert.Equal(mine, seen);

        var all = await Root.ListBucketsAsync(new ListBucketsRequest { Prefix = prefix, MaxBuckets = 2 });
        Assert.Equal(mine[..2], (all.Buckets ?? []).Select(b => b.BucketName));
        Assert.NotNull(all.ContinuationToken);
        var rest = await Root.ListBucketsAsync(new ListBucketsRequest { Prefix = prefix, ContinuationToken = all.ContinuationToken });
        Assert.Equal([mine[2], other], (rest.Buckets ?? []).Select(b => b.BucketName));
        Assert.Null(rest.ContinuationToken);

        var inRegion = await s3.ListBucketsAsync(new ListBucketsRequest { Prefix = prefix, BucketRegion = "us-east-1" });
        Assert.Equal(mine, (inRegion.Buckets ?? []).Select(b => b.BucketName));
        var elsewhere = await s3.ListBucketsAsync(new ListBucketsRequest { Prefix = prefix, BucketRegion = "eu-west-1" });
        Assert.Empty(elsewhere.Buckets ?? []);

        await FailsAsync(HttpStatusCode.BadRequest, "InvalidArgument", () => s3.ListBucketsAsync(new ListBucketsRequest { MaxBuckets = 0 }));
    }

    [Fact]
    public async Task ListObjectsNamesTheBucketOwnerAsOwner()
    {
        string x = Access.NewBucketName();
        var (a, aS3) = await OwnerOfAsync(x);
        await aS3.PutBucketAsync(new PutBucketRequest { BucketName = x });
        await PutAsync(aS3, x, "by-owner");
        await PutAsync(Root, x, "by-root");

        var v1 = await Root.ListObjectsAsync(new ListObjectsRequest { BucketName = x });
        Assert.All(v1.S3Objects ?? [], o => Assert.Equal(a.CanonicalId, o.Owner?.Id));
        Assert.Equal(2, v1.S3Objects?.Count);
        var v2 = await aS3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = x, FetchOwner = true });
        Assert.All(v2.S3Objects ?? [], o => Assert.Equal((a.CanonicalId, a.Name), (o.Owner?.Id, o.Owner?.DisplayName)));
    }

    /// <summary>
    /// With ACLs enabled and ObjectWriter ownership, an object belongs to whoever wrote it, and S3 lists that writer
    /// as the object's Owner (ListObjects' Owner is "the owner of the object").
    /// </summary>
    [Fact]
    public async Task ListObjectsNamesTheWriterOfAnObjectItOwns()
    {
        string x = Access.NewBucketName();
        await Root.PutBucketAsync(new PutBucketRequest { BucketName = x, ObjectOwnership = ObjectOwnership.ObjectWriter });
        var writer = await Access.CreateUserAsync();
        await SetBucketPolicyAsync(x, AccessFixture.Policy(
            $$"""{"Effect": "Allow", "Principal": {"AWS": "{{writer.Arn}}"}, "Action": "s3:PutObject", "Resource": "arn:aws:s3:::{{x}}/*"}"""));
        await PutAsync(Access.ClientFor(writer), x, "by-writer");
        Assert.Equal(writer.CanonicalId, (await Root.GetObjectAclAsync(new GetObjectAclRequest { BucketName = x, Key = "by-writer" })).Owner.Id);

        var listed = await Root.ListObjectsAsync(new ListObjectsRequest { BucketName = x });
        var entry = Assert.Single(listed.S3Objects ?? []);
        Assert.Equal(writer.CanonicalId, entry.Owner?.Id);
    }

    [Fact]
    public async Task AUserMayNotDeleteOrConfigureAnotherUsersBucket()
    {
        string x = Access.NewBucketName();
        var (_, aS3) = await OwnerOfAsync(x);
        var (_, bS3) = await OwnerOfAsync();
        await aS3.PutBucketAsync(new PutBucketRequest { BucketName = x });
        await DeniedAsync(() => bS3.DeleteBucketAsync(x));
        await DeniedAsync(() => bS3.PutBucketPolicyAsync(new PutBucketPolicyRequest { BucketName = x, Policy = AccessFixture.Policy() }));
        await DeniedAsync(() => bS3.DeletePublicAccessBlockAsync(new DeletePublicAccessBlockRequest { BucketName = x }));
        await DeniedAsync(() => bS3.GetBucketAclAsync(new GetBucketAclRequest { BucketName = x }));
        await DeniedAsync(() => PutAsync(bS3, x, "k"));
        // The owner's own policy lets it do all of these.
        await aS3.GetBucketAclAsync(new GetBucketAclRequest { BucketName = x });
        await aS3.DeleteBucketAsync(x);
    }
}
