using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Xml.Linq;
using Amazon.S3;

namespace ObjStore.Compat.Tests;

/// <summary>
/// POST Object over real HTTP: HTML-form uploads built as a browser sends them, signed here with SigV4 POST policies
/// computed independently of the server, and read back with the SDK.
/// </summary>
[Collection(SharedEndpoint.Name)]
public class PostObjectTests(S3Endpoint endpoint) : IAsyncLifetime
{
    private readonly AmazonS3Client _s3 = endpoint.Client();
    private readonly HttpClient _http = new(new HttpClientHandler { AllowAutoRedirect = false }) { Timeout = TimeSpan.FromMinutes(2) };
    private readonly string _bucket = S3Endpoint.NewBucketName();

    public Task InitializeAsync() => _s3.PutBucketAsync(_bucket);

    public Task DisposeAsync()
    {
        _s3.Dispose();
        _http.Dispose();
        return Task.CompletedTask;
    }

    private static byte[] RandomBytes(int size, int seed)
    {
        var bytes = new byte[size];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private static string Md5Hex(byte[] data) => Convert.ToHexStringLower(MD5.HashData(data));

    /// <summary>A form's fields before the file: the caller's, then the SigV4 fields, the policy and its signature.</summary>
    private sealed class SignedForm
    {
        public List<(string Name, string Value)> Fields { get; } = [];
        public string Policy { get; set; } = "";
        public string Signature { get; set; } = "";
    }

    /// <summary>
    /// Signs a policy over <paramref name="conditions"/> (JSON items) plus the bucket and the SigV4 fields, as a
    /// presigned-POST generator does: signing key = HMAC chain of "AWS4"+secret, date, region, "s3", "aws4_request";
    /// signature = hex HMAC-SHA256(signing key, base64 policy).
    /// </summary>
    private SignedForm Sign(IEnumerable<(string Name, string Value)> fields, IEnumerable<string> conditions, DateTimeOffset? expiration = null, string? secret = null,
        string? accessKey = null)
    {
        var now = DateTimeOffset.UtcNow;
        string date = now.ToString("yyyyMMdd", CultureInfo.InvariantCulture);
        string amzDate = now.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
        string credential = $"{accessKey ?? endpoint.AccessKey}/{date}/us-east-1/s3/aws4_request";
        string expires = (expiration ?? now.AddMinutes(10)).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
        var all = conditions.Concat([
            $"{{\"bucket\": \"{_bucket}\"}}",
            "{\"x-amz-algorithm\": \"AWS4-HMAC-SHA256\"}",
            $"{{\"x-amz-credential\": \"{credential}\"}}",
            $"{{\"x-amz-date\": \"{amzDate}\"}}",
        ]);
        string policy = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{{\"expiration\": \"{expires}\", \"conditions\": [{string.Join(", ", all)}]}}"));
        byte[] key = Encoding.UTF8.GetBytes("AWS4" + (secret ?? endpoint.SecretKey));
        foreach (var part in new[] { date, "us-east-1", "s3", "aws4_request" })
        {
            key = HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(part));
        }
        var form = new SignedForm { Policy = policy, Signature = Convert.ToHexStringLower(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(policy))) };
        form.Fields.AddRange(fields);
        form.Fields.Add(("X-Amz-Algorithm", "AWS4-HMAC-SHA256"));
        form.Fields.Add(("X-Amz-Credential", credential));
        form.Fields.Add(("X-Amz-Date", amzDate));
        return form;
    }

    private static IEnumerable<(string, string)> WithPolicy(SignedForm form) => [.. form.Fields, ("Policy", form.Policy), ("X-Amz-Signature", form.Signature)];

    private async Task<HttpResponseMessage> PostAsync(
        IEnumerable<(string Name, string Value)> before, byte[] file, string fileName = "upload.bin", IEnumerable<(string Name, string Value)>? after = null)
    {
        using var content = new MultipartFormDataContent();
        foreach (var (name, value) in before)
        {
            content.Add(new StringContent(value), name);
        }
        content.Add(new ByteArrayContent(file), "file", fileName);
        foreach (var (name, value) in after ?? [])
        {
            content.Add(new StringContent(value), name);
        }
        return await _http.PostAsync($"{endpoint.Url}/{_bucket}", content);
    }

    private static async Task<(string Code, string Message, XElement Error)> ErrorAsync(HttpResponseMessage response)
    {
        var error = XElement.Parse(await response.Content.ReadAsStringAsync());
        return (error.Element("Code")!.Value, error.Element("Message")!.Value, error);
    }

    private async Task<byte[]> GetBytesAsync(string key)
    {
        using var response = await _s3.GetObjectAsync(_bucket, key);
        using var buffer = new MemoryStream();
        await response.ResponseStream.CopyToAsync(buffer);
        return buffer.ToArray();
    }

    private async Task AssertAbsentAsync(string key)
    {
        var e = await Assert.ThrowsAsync<AmazonS3Exception>(() => _s3.GetObjectMetadataAsync(_bucket, key));
        Assert.Equal(HttpStatusCode.NotFound, e.StatusCode);
    }

    /// <summary>
    /// A form's x-amz-grant-* or x-amz-acl fields set an ACL as a PUT's headers do, so they need s3:PutObjectAcl as
    /// well: a user allowed only s3:PutObject is refused (403, before the bucket's ownership is even consulted).
    /// </summary>
    [Fact]
    public async Task AclFieldsNeedPutObjectAclLikeAPutsHeaders()
    {
        using var access = new AccessFixture(endpoint);
        var user = await access.CreateUserAsync(null, AccessFixture.Policy(
            $$"""{"Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::{{_bucket}}/*"}"""));
        foreach (var (field, value) in new[] { ("x-amz-grant-read", "uri=\"http://acs.amazonaws.com/groups/global/AllUsers\""), ("x-amz-acl", "public-read") })
        {
            var form = Sign([("key", "granted"), (field, value)], ["{\"key\": \"granted\"}", $"{{\"{field}\": \"{value.Replace("\"", "\\\"", StringComparison.Ordinal)}\"}}"],
                secret: user.SecretKey, accessKey: user.AccessKey);
            using var response = await PostAsync(WithPolicy(form), [1, 2, 3]);
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
            Assert.Equal("AccessDenied", (await ErrorAsync(response)).Code);
            await AssertAbsentAsync("granted");
        }
        // Without an ACL field the same user's form is stored.
        var plain = Sign([("key", "granted")], ["{\"key\": \"granted\"}"], secret: user.SecretKey, accessKey: user.AccessKey);
        using var stored = await PostAsync(WithPolicy(plain), [1, 2, 3]);
        Assert.Equal(HttpStatusCode.NoContent, stored.StatusCode);
    }

    [Fact]
    public async Task SignedUploadStoresTheFileWithItsFields()
    {
        var data = RandomBytes(70_000, 1);
        var form = Sign(
            [("key", "uploads/${filename}"), ("Content-Type", "image/png"), ("x-amz-meta-Colour", "blue"), ("Cache-Control", "max-age=60")],
            ["[\"starts-with\", \"$key\", \"uploads/\"]", "[\"starts-with\", \"$Content-Type\", \"image/\"]", "{\"x-amz-meta-colour\": \"blue\"}",
                "[\"starts-with\", \"$Cache-Control\", \"\"]"]);
        using var response = await PostAsync(WithPolicy(form), data, "photo.png", after: [("submit", "Upload")]);
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal($"\"{Md5Hex(data)}\"", response.Headers.ETag?.Tag);
        Assert.Equal($"{endpoint.Url}/{_bucket}/uploads%2Fphoto.png", response.Headers.Location?.OriginalString);

        Assert.Equal(data, await GetBytesAsync("uploads/photo.png"));
        var head = await _s3.GetObjectMetadataAsync(_bucket, "uploads/photo.png");
        Assert.Equal("image/png", head.Headers.ContentType);
        Assert.Equal("blue", head.Metadata["colour"]);
        Assert.Equal("max-age=60", head.Headers.CacheControl);
    }

    [Fact]
    public async Task Status201AnswersWithPostResponse()
    {
        var data = Encoding.UTF8.GetBytes("something body");
        var form = Sign([("key", "created/${filename}"), ("success_action_status", "201")],
            ["[\"starts-with\", \"$key\", \"created/\"]", "{\"success_action_status\": \"201\"}"]);
        using var response = await PostAsync(WithPolicy(form), data, "my file.txt");
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var document = XElement.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("PostResponse", document.Name.LocalName);
        Assert.Equal(_bucket, document.Element("Bucket")?.Value);
        Assert.Equal("created/my file.txt", document.Element("Key")?.Value);
        Assert.Equal($"\"{Md5Hex(data)}\"", document.Element("ETag")?.Value);
        Assert.Equal($"{endpoint.Url}/{_bucket}/created%2Fmy%20file.txt", document.Element("Location")?.Value);
        Assert.Equal(data, await GetBytesAsync("created/my file.txt"));
    }

    [Fact]
    public async Task Status200AndUnknownStatusesAnswerEmpty()
    {
        var ok = Sign([("key", "s200"), ("success_action_status", "200")], ["{\"key\": \"s200\"}", "{\"success_action_status\": \"200\"}"]);
        using var r200 = await PostAsync(WithPolicy(ok), [1, 2, 3]);
        Assert.Equal(HttpStatusCode.OK, r200.StatusCode);
        Assert.Empty(await r200.Content.ReadAsByteArrayAsync());
        var odd = Sign([("key", "s404"), ("success_action_status", "404")], ["{\"key\": \"s404\"}", "{\"success_action_status\": \"404\"}"]);
        using var r404 = await PostAsync(WithPolicy(odd), [1, 2, 3]);
        Assert.Equal(HttpStatusCode.NoContent, r404.StatusCode);
    }

    [Fact]
    public async Task RedirectIsSeeOtherWithBucketKeyAndETag()
    {
        var data = Encoding.UTF8.GetBytes("redirected");
        const string target = "https://app.example.com/done?from=form";
        var form = Sign([("key", "dir/r.txt"), ("success_action_redirect", target), ("success_action_status", "201")],
            ["{\"key\": \"dir/r.txt\"}", $"[\"eq\", \"$success_action_redirect\", \"{target}\"]", "[\"starts-with\", \"$success_action_status\", \"\"]"]);
        using var response = await PostAsync(WithPolicy(form), data);
        Assert.Equal(HttpStatusCode.SeeOther, response.StatusCode);
        Assert.Equal($"{target}&bucket={_bucket}&key=dir%2Fr.txt&etag=%22{Md5Hex(data)}%22", response.Headers.Location?.OriginalString);
        Assert.Equal(data, await GetBytesAsync("dir/r.txt"));
    }

    [Fact]
    public async Task KeyMustStartWithThePolicyPrefix()
    {
        string[] conditions = ["[\"starts-with\", \"$key\", \"allowed/\"]"];
        using var allowed = await PostAsync(WithPolicy(Sign([("key", "allowed/a")], conditions)), [1]);
        Assert.Equal(HttpStatusCode.NoContent, allowed.StatusCode);

        using var denied = await PostAsync(WithPolicy(Sign([("key", "denied/a")], conditions)), [1]);
        Assert.Equal(HttpStatusCode.Forbidden, denied.StatusCode);
        var (code, message, _) = await ErrorAsync(denied);
        Assert.Equal("AccessDenied", code);
        Assert.Equal("Invalid according to Policy: Policy Condition failed: [\"starts-with\", \"$key\", \"allowed/\"]", message);
        await AssertAbsentAsync("denied/a");
    }

    [Fact]
    public async Task FieldsThePolicyDoesNotCoverAreRefused()
    {
        using var response = await PostAsync(WithPolicy(Sign([("key", "extra"), ("x-amz-meta-sneaky", "1")], ["{\"key\": \"extra\"}"])), [1]);
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        var (code, message, _) = await ErrorAsync(response);
        Assert.Equal(("AccessDenied", "Invalid according to Policy: Extra input fields: x-amz-meta-sneaky"), (code, message));
        await AssertAbsentAsync("extra");
    }

    [Theory]
    [InlineData(11, "EntityTooLarge", "MaxSizeAllowed", "10")]
    [InlineData(4, "EntityTooSmall", "MinSizeAllowed", "5")]
    public async Task ContentLengthRangeIsEnforced(int size, string expectedCode, string element, string bound)
    {
        string key = "sized-" + size;
        var form = Sign([("key", key)], [$"{{\"key\": \"{key}\"}}", "[\"content-length-range\", 5, 10]"]);
        using var response = await PostAsync(WithPolicy(form), RandomBytes(size, size));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var (code, _, error) = await ErrorAsync(response);
        Assert.Equal(expectedCode, code);
        Assert.Equal(bound, error.Element(element)?.Value);
        await AssertAbsentAsync(key);

        var inRange = Sign([("key", key)], [$"{{\"key\": \"{key}\"}}", "[\"content-length-range\", 5, 10]"]);
        using var accepted = await PostAsync(WithPolicy(inRange), RandomBytes(10, 10));
        Assert.Equal(HttpStatusCode.NoContent, accepted.StatusCode);
    }

    [Fact]
    public async Task ExpiredPolicyIsAccessDenied()
    {
        var form = Sign([("key", "late")], ["{\"key\": \"late\"}"], expiration: DateTimeOffset.UtcNow.AddMinutes(-1));
        using var response = await PostAsync(WithPolicy(form), [1]);
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        var (code, message, _) = await ErrorAsync(response);
        Assert.Equal(("AccessDenied", "Invalid according to Policy: Policy expired."), (code, message));
        await AssertAbsentAsync("late");
    }

    [Fact]
    public async Task TamperedPolicyOrWrongSecretIsSignatureDoesNotMatch()
    {
        var signed = Sign([("key", "tamper/a")], ["[\"starts-with\", \"$key\", \"tamper/a\"]"]);
        var widened = Sign([("key", "tamper/b")], ["[\"starts-with\", \"$key\", \"tamper/\"]"]);
        // The widened policy travels with the signature of the narrow one.
        using var response = await PostAsync([.. widened.Fields, ("Policy", widened.Policy), ("X-Amz-Signature", signed.Signature)], [1]);
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("SignatureDoesNotMatch", (await ErrorAsync(response)).Code);

        using var wrongSecret = await PostAsync(WithPolicy(Sign([("key", "tamper/b")], ["{\"key\": \"tamper/b\"}"], secret: "not-the-secret")), [1]);
        Assert.Equal(HttpStatusCode.Forbidden, wrongSecret.StatusCode);
        Assert.Equal("SignatureDoesNotMatch", (await ErrorAsync(wrongSecret)).Code);
        await AssertAbsentAsync("tamper/b");
    }

    [Fact]
    public async Task PolicyAfterTheFileIsNotAmongTheFields()
    {
        var form = Sign([("key", "order")], ["{\"key\": \"order\"}"]);
        using var response = await PostAsync([.. form.Fields, ("X-Amz-Signature", form.Signature)], [1], after: [("Policy", form.Policy)]);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var (code, message, error) = await ErrorAsync(response);
        Assert.Equal("InvalidArgument", code);
        Assert.Equal("Bucket POST must contain a field named 'Policy'.  If it is specified, please check the order of the fields.", message);
        Assert.Equal("Policy", error.Element("ArgumentName")?.Value);
        await AssertAbsentAsync("order");
    }

    [Fact]
    public async Task KeyAfterTheFileIsMissing()
    {
        var form = Sign([], ["{\"key\": \"k\"}"]);
        using var response = await PostAsync(WithPolicy(form), [1], after: [("key", "k")]);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var (code, message, _) = await ErrorAsync(response);
        Assert.Equal(("InvalidArgument", "Bucket POST must contain a field named 'key'.  If it is specified, please check the order of the fields."), (code, message));
    }

    [Fact]
    public async Task FormWithoutAFileIsRefused()
    {
        using var content = new MultipartFormDataContent { { new StringContent("k"), "key" } };
        using var response = await _http.PostAsync($"{endpoint.Url}/{_bucket}", content);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var (code, message, error) = await ErrorAsync(response);
        Assert.Equal(("InvalidArgument", "POST requires exactly one file upload per request."), (code, message));
        Assert.Equal("file", error.Element("ArgumentName")?.Value);
    }

    [Fact]
    public async Task NotAFormIsPreconditionFailed()
    {
        using var response = await _http.PostAsync($"{endpoint.Url}/{_bucket}", new StringContent("key=k", Encoding.UTF8, "application/x-www-form-urlencoded"));
        Assert.Equal(HttpStatusCode.PreconditionFailed, response.StatusCode);
        var (code, _, error) = await ErrorAsync(response);
        Assert.Equal("PreconditionFailed", code);
        Assert.Equal("Bucket POST must be of the enclosure-type multipart/form-data", error.Element("Condition")?.Value);
    }

    [Fact]
    public async Task OversizedFieldsBeforeTheFileAreRefused()
    {
        var form = Sign([("key", "big-fields"), ("x-amz-meta-filler", new string('f', 21_000))], ["{\"key\": \"big-fields\"}", "[\"starts-with\", \"$x-amz-meta-filler\", \"\"]"]);
        using var response = await PostAsync(WithPolicy(form), [1]);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var (code, _, error) = await ErrorAsync(response);
        Assert.Equal("MaxPostPreDataLengthExceeded", code);
        Assert.Equal("20480", error.Element("MaxPostPreDataLengthBytes")?.Value);
        await AssertAbsentAsync("big-fields");
    }

    [Fact]
    public async Task ChecksumFieldIsVerified()
    {
        var data = RandomBytes(3000, 3);
        string good = Convert.ToBase64String(SHA256.HashData(data));
        string[] conditions = ["[\"starts-with\", \"$key\", \"sum-\"]", "[\"starts-with\", \"$x-amz-checksum-sha256\", \"\"]"];
        using var accepted = await PostAsync(WithPolicy(Sign([("key", "sum-good"), ("x-amz-checksum-sha256", good)], conditions)), data);
        Assert.Equal(HttpStatusCode.NoContent, accepted.StatusCode);
        Assert.Equal(good, accepted.Headers.GetValues("x-amz-checksum-sha256").Single());

        string bad = Convert.ToBase64String(SHA256.HashData([1, 2, 3]));
        using var refused = await PostAsync(WithPolicy(Sign([("key", "sum-bad"), ("x-amz-checksum-sha256", bad)], conditions)), data);
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Equal("BadDigest", (await ErrorAsync(refused)).Code);
        await AssertAbsentAsync("sum-bad");
    }

    /// <summary>The tagging field is a Tagging document: the object gets its tags; a bad one is refused, nothing stored.</summary>
    [Fact]
    public async Task TheTaggingFieldTagsTheObject()
    {
        var form = Sign([("key", "tagged"), ("tagging", "<Tagging><TagSet><Tag><Key>a</Key><Value>b</Value></Tag></TagSet></Tagging>")],
            ["{\"key\": \"tagged\"}", "[\"starts-with\", \"$tagging\", \"\"]"]);
        using var response = await PostAsync(WithPolicy(form), [1]);
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        var tags = await _s3.GetObjectTaggingAsync(new Amazon.S3.Model.GetObjectTaggingRequest { BucketName = _bucket, Key = "tagged" });
        Assert.Equal([("a", "b")], tags.Tagging.Select(t => (t.Key, t.Value)));

        var bad = Sign([("key", "badly-tagged"), ("tagging", "<Tagging><TagSet><Tag><Key>a</Key><Value>1</Value></Tag><Tag><Key>a</Key><Value>2</Value></Tag></TagSet></Tagging>")],
            ["{\"key\": \"badly-tagged\"}", "[\"starts-with\", \"$tagging\", \"\"]"]);
        using var refused = await PostAsync(WithPolicy(bad), [1]);
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Equal("InvalidTag", (await ErrorAsync(refused)).Code);
        await AssertAbsentAsync("badly-tagged");
    }

    [Fact]
    public async Task TwentyMiBFileRoundTrips()
    {
        var data = RandomBytes(20 << 20, 20);
        var form = Sign([("key", "big/${filename}")], ["[\"starts-with\", \"$key\", \"big/\"]", "[\"content-length-range\", 1, 25000000]"]);
        using var response = await PostAsync(WithPolicy(form), data, "twenty.bin");
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal($"\"{Md5Hex(data)}\"", response.Headers.ETag?.Tag);
        Assert.Equal(data, await GetBytesAsync("big/twenty.bin"));
    }
}
