using ObjStore.Core;

namespace ObjStore.Metadata.Tests;

/// <summary>Bucket owners and configuration documents, object ACLs, users and access keys.</summary>
public abstract partial class CatalogueContract
{
    [Fact]
    public async Task ABucketKeepsItsOwnerAndTheConfigsItWasCreatedWith()
    {
        var configs = new Dictionary<string, string> { [BucketConfigKinds.OwnershipControls] = "BucketOwnerEnforced", [BucketConfigKinds.Acl] = "{}" };
        Assert.True(await Catalogue.Buckets.CreateAsync("owned", Clock.GetUtcNow(), owner: "alice-id", configs: configs));
        var bucket = await Catalogue.Buckets.GetAsync("owned");
        Assert.Equal("alice-id", bucket!.Owner);
        Assert.Equal(configs.OrderBy(c => c.Key), bucket.Configs.OrderBy(c => c.Key));
        Assert.Equal("alice-id", Assert.Single(await Catalogue.Buckets.ListAsync()).Owner);

        // A second create neither changes the owner nor the configs.
        Assert.False(await Catalogue.Buckets.CreateAsync("owned", Clock.GetUtcNow(), owner: "bob-id", configs: new Dictionary<string, string> { [BucketConfigKinds.Acl] = "other" }));
        bucket = await Catalogue.Buckets.GetAsync("owned");
        Assert.Equal("alice-id", bucket!.Owner);
        Assert.Equal("{}", bucket.Configs[BucketConfigKinds.Acl]);
    }

    [Fact]
    public async Task BucketConfigsArePutReplacedDeletedAndDieWithTheBucket()
    {
        await BucketAsync("configured");
        Assert.Empty((await Catalogue.Buckets.GetAsync("configured"))!.Configs);
        await Catalogue.Buckets.PutConfigAsync("configured", BucketConfigKinds.Policy, "one");
        await Catalogue.Buckets.PutConfigAsync("configured", BucketConfigKinds.Policy, "two");
        await Catalogue.Buckets.PutConfigAsync("configured", BucketConfigKinds.Cors, "cors");
        var configs = (await Catalogue.Buckets.GetAsync("configured"))!.Configs;
        Assert.Equal("two", configs[BucketConfigKinds.Policy]);
        Assert.Equal("cors", configs[BucketConfigKinds.Cors]);

        Assert.True(await Catalogue.Buckets.DeleteConfigAsync("configured", BucketConfigKinds.Policy));
        Assert.False(await Catalogue.Buckets.DeleteConfigAsync("configured", BucketConfigKinds.Policy));
        Assert.False((await Catalogue.Buckets.GetAsync("configured"))!.Configs.ContainsKey(BucketConfigKinds.Policy));

        Assert.True(await Catalogue.Buckets.DeleteAsync("configured"));
        await BucketAsync("configured");
        Assert.Empty((await Catalogue.Buckets.GetAsync("configured"))!.Configs);
    }

    [Fact]
    public async Task ConfigsOfAMissingBucketAreNoSuchBucket()
    {
        var put = await Assert.ThrowsAsync<ObjectStoreException>(() => Catalogue.Buckets.PutConfigAsync("missing", BucketConfigKinds.Policy, "x"));
        Assert.Equal(ErrorKind.NoSuchBucket, put.Kind);
        var delete = await Assert.ThrowsAsync<ObjectStoreException>(() => Catalogue.Buckets.DeleteConfigAsync("missing", BucketConfigKinds.Policy));
        Assert.Equal(ErrorKind.NoSuchBucket, delete.Kind);
    }

    [Fact]
    public async Task AnObjectVersionKeepsItsACLAndItCanBeReplaced()
    {
        await BucketAsync();
        await Catalogue.Objects.CommitAsync(ObjectAt("bucket", "k") with { Acl = "{\"first\":1}" }, null, false);
        Assert.Equal("{\"first\":1}", (await Catalogue.Objects.GetAsync("bucket", "k"))!.Acl);

        Assert.Equal(VersionIds.Null, await Catalogue.Objects.SetAclAsync("bucket", "k", null, "{\"second\":2}"));
        Assert.Equal("{\"second\":2}", (await Catalogue.Objects.GetAsync("bucket", "k"))!.Acl);
        Assert.Equal(VersionIds.Null, await Catalogue.Objects.SetAclAsync("bucket", "k", VersionIds.Null, null));
        Assert.Null((await Catalogue.Objects.GetAsync("bucket", "k"))!.Acl);

        var missing = await Assert.ThrowsAsync<ObjectStoreException>(() => Catalogue.Objects.SetAclAsync("bucket", "nope", null, null));
        Assert.Equal(ErrorKind.NoSuchKey, missing.Kind);
        var noVersion = await Assert.ThrowsAsync<ObjectStoreException>(() => Catalogue.Objects.SetAclAsync("bucket", "k", "00000000000000000000000000000000", null));
        Assert.Equal(ErrorKind.NoSuchVersion, noVersion.Kind);
    }

    [Fact]
    public async Task AVersionsOwnerIsKeptAndListed()
    {
        await BucketAsync();
        await Catalogue.Objects.CommitAsync(ObjectAt("bucket", "by-writer") with { Owner = "writer-id" }, null, false);
        await Catalogue.Objects.CommitAsync(ObjectAt("bucket", "by-owner"), null, false);
        Assert.Equal("writer-id", (await Catalogue.Objects.GetAsync("bucket", "by-writer"))!.Owner);
        var listed = (await Catalogue.Objects.ListAsync(new ListRequest { Bucket = "bucket" })).Objects;
        Assert.Equal([null, "writer-id"], listed.Select(o => o.Owner));
        var versions = (await Catalogue.Objects.ListVersionsAsync(new ListVersionsRequest { Bucket = "bucket" })).Versions;
        Assert.Equal([null, "writer-id"], versions.Select(v => v.Entry.Owner));
    }

    [Fact]
    public async Task AVersionsTagsAreKeptAndReplaced()
    {
        await BucketAsync();
        await Catalogue.Objects.CommitAsync(ObjectAt("bucket", "k") with { Tags = new Dictionary<string, string> { ["a"] = "1" } }, null, false);
        Assert.Equal("1", (await Catalogue.Objects.GetAsync("bucket", "k"))!.Tags["a"]);
        Assert.Equal(VersionIds.Null, await Catalogue.Objects.SetTagsAsync("bucket", "k", null, new Dictionary<string, string> { ["b"] = "2", ["c"] = "" }));
        var tags = (await Catalogue.Objects.GetAsync("bucket", "k"))!.Tags;
        Assert.Equal(["b", "c"], tags.Keys.Order(StringComparer.Ordinal));
        await Catalogue.Objects.SetTagsAsync("bucket", "k", null, new Dictionary<string, string>());
        Assert.Empty((await Catalogue.Objects.GetAsync("bucket", "k"))!.Tags);
        var missing = await Assert.ThrowsAsync<ObjectStoreException>(() => Catalogue.Objects.SetTagsAsync("bucket", "nope", null, new Dictionary<string, string>()));
        Assert.Equal(ErrorKind.NoSuchKey, missing.Kind);
    }

    [Fact]
    public async Task AnUploadCarriesItsACLToTheObject()
    {
        await BucketAsync();
        var upload = new MultipartUpload { UploadId = "0000000000aa" + "bb", Bucket = "bucket", Key = "big", Initiated = Clock.GetUtcNow(), Acl = "{\"acl\":true}", Owner = "writer-id",
            Tags = new Dictionary<string, string> { ["t"] = "v" } };
        await Catalogue.Uploads.CreateAsync(upload);
        var stored = await Catalogue.Uploads.GetAsync("bucket", "big", upload.UploadId);
        Assert.Equal("{\"acl\":true}", stored!.Acl);
        Assert.Equal("writer-id", stored.Owner);
        Assert.Equal("v", stored.Tags["t"]);
    }

    [Fact]
    public async Task UsersAreAddedOnceListedDisabledGivenPoliciesAndRemovedWithTheirKeys()
    {
        var alice = new UserRecord("alice", "alice-id", Clock.GetUtcNow(), false, null);
        Assert.True(await Catalogue.Identities.AddUserAsync(alice));
        Assert.False(await Catalogue.Identities.AddUserAsync(alice with { CanonicalId = "other" }));
        Assert.True(await Catalogue.Identities.AddUserAsync(new UserRecord("bob", "bob-id", Clock.GetUtcNow(), false, null)));
        Assert.Equal(["alice", "bob"], (await Catalogue.Identities.ListUsersAsync()).Select(u => u.Name));

        Assert.True(await Catalogue.Identities.SetDisabledAsync("alice", true));
        Assert.True(await Catalogue.Identities.SetPolicyAsync("alice", "{\"Statement\":[]}"));
        Assert.False(await Catalogue.Identities.SetPolicyAsync("carol", "{}"));
        var stored = (await Catalogue.Identities.ListUsersAsync())[0];
        Assert.True(stored.Disabled);
        Assert.Equal("{\"Statement\":[]}", stored.Policy);
        Assert.Equal("alice-id", stored.CanonicalId);

        Assert.True(await Catalogue.Identities.AddKeyAsync(new AccessKeyRecord("AK1", "alice", [1, 2, 3], Clock.GetUtcNow())));
        Assert.False(await Catalogue.Identities.AddKeyAsync(new AccessKeyRecord("AK1", "bob", [4], Clock.GetUtcNow())));
        Assert.False(await Catalogue.Identities.AddKeyAsync(new AccessKeyRecord("AK2", "carol", [4], Clock.GetUtcNow())));
        Assert.True(await Catalogue.Identities.AddKeyAsync(new AccessKeyRecord("AK3", "bob", [5], Clock.GetUtcNow())));
        Assert.Equal(["AK1"], (await Catalogue.Identities.ListKeysAsync("alice")).Select(k => k.AccessKey));
        Assert.Equal([1, 2, 3], (await Catalogue.Identities.ListKeysAsync("alice"))[0].SealedSecret);

        Assert.True(await Catalogue.Identities.RemoveUserAsync("alice"));
        Assert.False(await Catalogue.Identities.RemoveUserAsync("alice"));
        Assert.Equal(["AK3"], (await Catalogue.Identities.ListKeysAsync()).Select(k => k.AccessKey));
    }

    [Fact]
    public async Task KeysAreRemovedAndResealed()
    {
        await Catalogue.Identities.AddUserAsync(new UserRecord("dave", "dave-id", Clock.GetUtcNow(), false, null));
        await Catalogue.Identities.AddKeyAsync(new AccessKeyRecord("AK1", "dave", [1], Clock.GetUtcNow()));
        await Catalogue.Identities.AddKeyAsync(new AccessKeyRecord("AK2", "dave", [2], Clock.GetUtcNow()));
        await Catalogue.Identities.ResealAsync([("AK1", [9, 9])]);
        var keys = await Catalogue.Identities.ListKeysAsync("dave");
        Assert.Equal([9, 9], keys.Single(k => k.AccessKey == "AK1").SealedSecret);
        Assert.Equal([2], keys.Single(k => k.AccessKey == "AK2").SealedSecret);
        Assert.True(await Catalogue.Identities.RemoveKeyAsync("AK2"));
        Assert.False(await Catalogue.Identities.RemoveKeyAsync("AK2"));
        Assert.Equal(["AK1"], (await Catalogue.Identities.ListKeysAsync()).Select(k => k.AccessKey));
    }
}
