using System.Net;
using System.Text.Json;
using Amazon.S3.Model;

namespace ObjStore.Compat.Tests;

/// <summary>
/// Users and access keys through the admin API, and what a key may do before any policy grants it anything: a user
/// with no policy is denied everything, a disabled user's or removed key's requests are refused as unknown keys, and
/// only the root user may call the admin API.
/// </summary>
[Collection(SharedEndpoint.Name)]
public class AccessControlTests(S3Endpoint endpoint) : AccessTestBase(endpoint)
{
    [Fact]
    public async Task EverySdkAndRawResponseIsCheckedForServerErrors()
    {
        int before = Access.Log.Count;
        await Root.ListBucketsAsync();
        Assert.Equal(before + 1, Access.Log.Count);
        await FailsAsync(HttpStatusCode.NotFound, "NoSuchBucket", () => Access.ClientFor(Access.Endpoint.AccessKey, Access.Endpoint.SecretKey).ListObjectsV2Async(
            new ListObjectsV2Request { BucketName = S3Endpoint.NewBucketName() }));
        await Access.AdminAsync(HttpMethod.Get, "/users");
        (await Access.Http.GetAsync(Access.Endpoint.Url + "/")).Dispose();
        Assert.Equal(before + 4, Access.Log.Count);
    }

    [Fact]
    public async Task AUserWithoutAPolicyMayDoNothing()
    {
        string bucket = await NewBucketAsync();
        await PutAsync(Root, bucket, "k");
        var user = await Access.CreateUserAsync();
        var s3 = Access.ClientFor(user);

        await DeniedAsync(() => s3.ListBucketsAsync());
        await DeniedAsync(() => s3.PutBucketAsync(new PutBucketRequest { BucketName = Access.NewBucketName() }));
        var get = await DeniedAsync(() => s3.GetObjectAsync(bucket, "k"));
        await DeniedAsync(() => PutAsync(s3, bucket, "mine"));
        await DeniedAsync(() => s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket }));
        await DeniedAsync(() => s3.DeleteObjectAsync(bucket, "k"));
        await DeniedAsync(() => s3.GetBucketPolicyAsync(new GetBucketPolicyRequest { BucketName = bucket }));

        // A signed request's denial names who was denied, and never calls the caller anonymous.
        Assert.Contains(user.Arn, get.Message, StringComparison.Ordinal);
        Assert.Contains("s3:GetObject", get.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("nonymous", get.Message, StringComparison.Ordinal);

        // Nothing happened: the object is still there, the bucket still empty of the user's writes.
        Assert.Equal("data", await ReadAsync(Root, bucket, "k"));
        var listed = await Root.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket });
        Assert.Equal(["k"], (listed.S3Objects ?? []).Select(o => o.Key));
    }

    [Fact]
    public async Task AnUnknownKeyIsInvalidAccessKeyIdAndAWrongSecretSignatureDoesNotMatch()
    {
        await FailsAsync(HttpStatusCode.Forbidden, "InvalidAccessKeyId", () => Access.ClientFor("OSNOSUCHKEY000000000", "x").ListBucketsAsync());
        var user = await Access.CreateUserAsync();
        await FailsAsync(HttpStatusCode.Forbidden, "SignatureDoesNotMatch", () => Access.ClientFor(user.AccessKey, user.SecretKey + "x").ListBucketsAsync());
    }

    [Fact]
    public async Task ADisabledUsersKeysStopWorkingAtOnceAndWorkAgainWhenEnabled()
    {
        var user = await Access.CreateUserAsync(null, Allow("s3:ListAllMyBuckets", "*"));
        var s3 = Access.ClientFor(user);
        await s3.ListBucketsAsync();

        var (status, body) = await Access.AdminAsync(HttpMethod.Post, $"/users/{user.Name}/disable");
        Assert.True(status == HttpStatusCode.NoContent, body);
        await FailsAsync(HttpStatusCode.Forbidden, "InvalidAccessKeyId", () => s3.ListBucketsAsync());

        (status, body) = await Access.AdminAsync(HttpMethod.Post, $"/users/{user.Name}/enable");
        Assert.True(status == HttpStatusCode.NoContent, body);
        await s3.ListBucketsAsync();
    }

    [Fact]
    public async Task ARemovedKeyStopsWorkingAndTheUsersOtherKeysDoNot()
    {
        var user = await Access.CreateUserAsync(null, Allow("s3:ListAllMyBuckets", "*"));
        var (secondKey, secondSecret) = await Access.AddKeyAsync(user.Name);
        var first = Access.ClientFor(user);
        var second = Access.ClientFor(secondKey, secondSecret);
        await first.ListBucketsAsync();
        await second.ListBucketsAsync();

        var (keys, listing) = await Access.AdminAsync(HttpMethod.Get, $"/keys?user={user.Name}");
        Assert.Equal(HttpStatusCode.OK, keys);
        Assert.Equal(new[] { secondKey, user.AccessKey }.Order(StringComparer.Ordinal),
            JsonDocument.Parse(listing).RootElement.EnumerateArray().Select(k => k.GetProperty("accessKey").GetString()!).Order(StringComparer.Ordinal));
        Assert.DoesNotContain(user.SecretKey, listing, StringComparison.Ordinal);

        var (status, body) = await Access.AdminAsync(HttpMethod.Delete, $"/keys/{user.AccessKey}");
        Assert.True(status == HttpStatusCode.NoContent, body);
        await FailsAsync(HttpStatusCode.Forbidden, "InvalidAccessKeyId", () => first.ListBucketsAsync());
        await second.ListBucketsAsync();

        (status, _) = await Access.AdminAsync(HttpMethod.Delete, $"/keys/{user.AccessKey}");
        Assert.Equal(HttpStatusCode.NotFound, status);
    }

    [Fact]
    public async Task ARemovedUsersKeysStopWorkingAndItsBucketsStay()
    {
        string bucket = Access.NewBucketName();
        var user = await Access.CreateUserAsync(null, Allow(["s3:CreateBucket", "s3:PutObject"], "*"));
        var s3 = Access.ClientFor(user);
        await s3.PutBucketAsync(new PutBucketRequest { BucketName = bucket });
        await PutAsync(s3, bucket, "k", "kept");

        var (status, body) = await Access.AdminAsync(HttpMethod.Delete, $"/users/{user.Name}");
        Assert.True(status == HttpStatusCode.NoContent, body);
        await FailsAsync(HttpStatusCode.Forbidden, "InvalidAccessKeyId", () => PutAsync(s3, bucket, "k2"));
        Assert.Equal("kept", await ReadAsync(Root, bucket, "k"));
    }

    [Fact]
    public async Task TheAdminApiIsTheRootUsersAlone()
    {
        var user = await Access.CreateUserAsync(null, Allow("s3:*", "*"));

        var (status, body) = await Access.AdminAsync(HttpMethod.Get, "/users", accessKey: user.AccessKey, secretKey: user.SecretKey);
        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Contains("AccessDenied", body, StringComparison.Ordinal);
        (status, _) = await Access.AdminAsync(HttpMethod.Post, "/users?name=" + AccessFixture.NewUserName(), accessKey: user.AccessKey, secretKey: user.SecretKey);
        Assert.Equal(HttpStatusCode.Forbidden, status);
        (status, _) = await Access.AdminAsync(HttpMethod.Post, $"/users/{user.Name}/keys", accessKey: user.AccessKey, secretKey: user.SecretKey);
        Assert.Equal(HttpStatusCode.Forbidden, status);
        (status, _) = await Access.AdminAsync(HttpMethod.Put, $"/users/{user.Name}/policy", Allow("*", "*"), user.AccessKey, user.SecretKey);
        Assert.Equal(HttpStatusCode.Forbidden, status);

        (status, body) = await Access.AdminAsync(HttpMethod.Get, "/users", sign: false);
        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Contains("AccessDenied", body, StringComparison.Ordinal);
        (status, _) = await Access.AdminAsync(HttpMethod.Post, "/users?name=" + AccessFixture.NewUserName(), sign: false);
        Assert.Equal(HttpStatusCode.Forbidden, status);

        (status, _) = await Access.AdminAsync(HttpMethod.Get, "/users", secretKey: Access.Endpoint.SecretKey + "x");
        Assert.Equal(HttpStatusCode.Forbidden, status);

        // None of the refused calls did anything: the user has one key still.
        var (ok, keys) = await Access.AdminAsync(HttpMethod.Get, $"/keys?user={user.Name}");
        Assert.Equal(HttpStatusCode.OK, ok);
        Assert.Single(JsonDocument.Parse(keys).RootElement.EnumerateArray());
    }

    [Fact]
    public async Task TheAdminApiRefusesBadUsersKeysAndPolicies()
    {
        var user = await Access.CreateUserAsync();
        var (status, _) = await Access.AdminAsync(HttpMethod.Post, "/users?name=" + user.Name);
        Assert.Equal(HttpStatusCode.Conflict, status);
        (status, _) = await Access.AdminAsync(HttpMethod.Post, "/users?name=" + Uri.EscapeDataString("bad name/x"));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        (status, _) = await Access.AdminAsync(HttpMethod.Post, "/users/" + AccessFixture.NewUserName() + "/keys");
        Assert.Equal(HttpStatusCode.NotFound, status);
        (status, _) = await Access.AdminAsync(HttpMethod.Put, "/users/" + AccessFixture.NewUserName() + "/policy", Allow("s3:*", "*"));
        Assert.Equal(HttpStatusCode.NotFound, status);

        string body;
        (status, body) = await Access.AdminAsync(HttpMethod.Put, $"/users/{user.Name}/policy", "{not json");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("MalformedPolicy", body, StringComparison.Ordinal);
        // An identity policy names no Principal: it is the user's.
        (status, body) = await Access.AdminAsync(HttpMethod.Put, $"/users/{user.Name}/policy",
            AccessFixture.Policy("""{"Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": "*"}"""));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("MalformedPolicy", body, StringComparison.Ordinal);

        (status, _) = await Access.AdminAsync(HttpMethod.Get, $"/users/{user.Name}/policy");
        Assert.Equal(HttpStatusCode.NotFound, status);
        string policy = Allow("s3:ListAllMyBuckets", "*");
        await Access.SetPolicyAsync(user.Name, policy);
        (status, body) = await Access.AdminAsync(HttpMethod.Get, $"/users/{user.Name}/policy");
        Assert.Equal((HttpStatusCode.OK, policy), (status, body));
        await Access.ClientFor(user).ListBucketsAsync();

        (status, _) = await Access.AdminAsync(HttpMethod.Delete, $"/users/{user.Name}/policy");
        Assert.Equal(HttpStatusCode.NoContent, status);
        await DeniedAsync(() => Access.ClientFor(user).ListBucketsAsync());
    }

    [Fact]
    public async Task PresignedUrlsSignedByAUserObeyThatUsersPermissions()
    {
        string bucket = await NewBucketAsync();
        await PutAsync(Root, bucket, "home/in.txt", "inside");
        await PutAsync(Root, bucket, "other/out.txt", "outside");
        var user = await Access.CreateUserAsync(null, AccessFixture.PrefixPolicy(bucket + "/home/"));
        var s3 = Access.ClientFor(user);
        string Presign(string key, Amazon.S3.HttpVerb verb) => s3.GetPreSignedURL(new GetPreSignedUrlRequest
        {
            BucketName = bucket, Key = key, Verb = verb, Expires = DateTime.UtcNow.AddMinutes(10), Protocol = Amazon.S3.Protocol.HTTP,
        });

        using (var inside = await Access.Http.GetAsync(Presign("home/in.txt", Amazon.S3.HttpVerb.GET)))
        {
            Assert.Equal(HttpStatusCode.OK, inside.StatusCode);
            Assert.Equal("inside", await inside.Content.ReadAsStringAsync());
        }
        using (var outside = await Access.Http.GetAsync(Presign("other/out.txt", Amazon.S3.HttpVerb.GET)))
        {
            var error = await AccessFixture.ErrorOf(outside);
            Assert.Equal((HttpStatusCode.Forbidden, "AccessDenied"), (error.Status, error.Code));
            Assert.Contains(user.Arn, error.Message, StringComparison.Ordinal);
        }
        using (var put = await Access.Http.PutAsync(Presign("home/new.txt", Amazon.S3.HttpVerb.PUT), new StringContent("presigned")))
        {
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        }
        Assert.Equal("presigned", await ReadAsync(Root, bucket, "home/new.txt"));
        using (var putOutside = await Access.Http.PutAsync(Presign("other/new.txt", Amazon.S3.HttpVerb.PUT), new StringContent("no")))
        {
            var error = await AccessFixture.ErrorOf(putOutside);
            Assert.Equal((HttpStatusCode.Forbidden, "AccessDenied"), (error.Status, error.Code));
        }
        await FailsAsync(HttpStatusCode.NotFound, "NoSuchKey", () => Root.GetObjectAsync(bucket, "other/new.txt"));

        // A URL the user presigned stops working when the user is disabled.
        string url = Presign("home/in.txt", Amazon.S3.HttpVerb.GET);
        await Access.AdminAsync(HttpMethod.Post, $"/users/{user.Name}/disable");
        using var disabled = await Access.Http.GetAsync(url);
        var refused = await AccessFixture.ErrorOf(disabled);
        Assert.Equal((HttpStatusCode.Forbidden, "InvalidAccessKeyId"), (refused.Status, refused.Code));
    }

    private static string Allow(string action, string resource) => Allow([action], resource);

    private static string Allow(string[] actions, string resource) =>
        AccessFixture.Policy($$"""{"Effect": "Allow", "Action": {{JsonSerializer.Serialize(actions)}}, "Resource": "{{resource}}"}""");
}
