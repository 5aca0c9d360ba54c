using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Xml.Linq;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;

namespace ObjStore.Compat.Tests;

/// <summary>A user made through the admin API, with one access key.</summary>
public sealed record TestUser(string Name, string CanonicalId, string AccessKey, string SecretKey)
{
    public string Arn => "arn:aws:iam:::user/" + Name;
}

/// <summary>An S3 error as raw HTTP sees it: status, and the Code and Message of the XML body (null when there is none).</summary>
public sealed record S3ErrorBody(HttpStatusCode Status, string? Code, string? Message);

/// <summary>
/// Every response any client of an access test received: the store must never answer 5xx to a request, however
/// denied or malformed; <see cref="AssertNo5xx"/> runs when each test ends.
/// </summary>
public sealed class ResponseLog
{
    private readonly ConcurrentQueue<string> _serverErrors = new();
    private int _count;

    /// <summary>How many responses were seen (the proof the clients really go through the log).</summary>
    public int Count => Volatile.Read(ref _count);

    public void Record(HttpRequestMessage request, HttpResponseMessage response)
    {
        Interlocked.Increment(ref _count);
        // 501 NotImplemented is S3's answer for a feature a store does not have, not a failure of the store.
        if ((int)response.StatusCode >= 500 && response.StatusCode != System.Net.HttpStatusCode.NotImplemented)
        {
            _serverErrors.Enqueue($"{request.Method} {request.RequestUri} -> {(int)response.StatusCode}");
        }
    }

    public void AssertNo5xx() => Assert.True(_serverErrors.IsEmpty, "5xx responses: " + string.Join("; ", _serverErrors));
}

internal sealed class RecordingHandler(ResponseLog log) : DelegatingHandler(new SocketsHttpHandler { AllowAutoRedirect = false })
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var response = await base.SendAsync(request, cancellationToken);
        log.Record(request, response);
        return response;
    }
}

/// <summary>Hands the SDK HTTP clients that record every response in the test's <see cref="ResponseLog"/>.</summary>
internal sealed class RecordingHttpClientFactory(ResponseLog log) : HttpClientFactory
{
    public override HttpClient CreateHttpClient(IClientConfig clientConfig) => new(new RecordingHandler(log));

    public override bool UseSDKHttpClientCaching(IClientConfig clientConfig) => false;

    public override bool DisposeHttpClientsAfterUse(IClientConfig clientConfig) => true;
}

/// <summary>A minimal SigV4 signer (the compat project does not reference the store's code): signs host, x-amz-* headers and the body's hash.</summary>
internal sealed class TestSigner(string accessKey, string secretKey, string region = "us-east-1")
{
    public void Sign(HttpRequestMessage request, byte[] body)
    {
        var uri = request.RequestUri!;
        string payloadHash = Convert.ToHexStringLower(SHA256.HashData(body));
        string amzDate = DateTime.UtcNow.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
        string scope = $"{amzDate[..8]}/{region}/s3/aws4_request";
        request.Headers.TryAddWithoutValidation("x-amz-content-sha256", payloadHash);
        request.Headers.TryAddWithoutValidation("x-amz-date", amzDate);
        var headers = new SortedDictionary<string, string>(StringComparer.Ordinal) { ["host"] = uri.Authority };
        foreach (var (name, values) in request.Headers)
        {
            if (name.StartsWith("x-amz-", StringComparison.OrdinalIgnoreCase))
            {
                headers[name.ToLowerInvariant()] = string.Join(',', values).Trim();
            }
        }
        string signedHeaders = string.Join(';', headers.Keys);
        string canonical = string.Join('\n',
            request.Method.Method,
            uri.AbsolutePath,
            CanonicalQuery(uri.Query),
            string.Concat(headers.Select(h => $"{h.Key}:{h.Value}\n")),
            signedHeaders,
            payloadHash);
        string toSign = $"AWS4-HMAC-SHA256\n{amzDate}\n{scope}\n{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)))}";
        byte[] key = Encoding.UTF8.GetBytes("AWS4" + secretKey);
        foreach (string part in new[] { amzDate[..8], region, "s3", "aws4_request" })
        {
            key = HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(part));
        }
        string signature = Convert.ToHexStringLower(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(toSign)));
        request.Headers.TryAddWithoutValidation("Authorization",
            $"AWS4-HMAC-SHA256 Credential={accessKey}/{scope},SignedHeaders={signedHeaders},Signature={signature}");
    }

    private static string CanonicalQuery(string query) => string.Join('&', query.TrimStart('?')
        .Split('&', StringSplitOptions.RemoveEmptyEntries)
        .Select(p => p.Split('=', 2))
        .Select(p => (Key: Uri.EscapeDataString(Uri.UnescapeDataString(p[0])), Value: Uri.EscapeDataString(Uri.UnescapeDataString(p.Length > 1 ? p[1] : ""))))
        .OrderBy(p => p.Key, StringComparer.Ordinal).ThenBy(p => p.Value, StringComparer.Ordinal)
        .Select(p => p.Key + "=" + p.Value));
}

/// <summary>
/// What the access tests need of the store: users and keys through the admin API (signed by the root key), SDK
/// clients signing as a user, raw HTTP signed or anonymous, and buckets removed (by the root user) when a test ends.
/// Every response goes through <see cref="Log"/>.
/// </summary>
public sealed class AccessFixture(S3Endpoint endpoint) : IDisposable
{
    private readonly ConcurrentBag<string> _buckets = [];
    private readonly ConcurrentBag<IDisposable> _clients = [];
    private HttpClient? _http;

    public ResponseLog Log { get; } = new();

    public S3Endpoint Endpoint => endpoint;

    /// <summary>Raw HTTP to the store, recorded; requests are anonymous unless signed (SendAsync with a key).</summary>
    public HttpClient Http => _http ??= new HttpClient(new RecordingHandler(Log));

    public static string NewUserName() => "u" + Guid.NewGuid().ToString("N")[..15];

    /// <summary>A new bucket name with the tests' prefix, registered for removal.</summary>
    public string NewBucketName() => Track(S3Endpoint.NewBucketName());

    public string Track(string bucket)
    {
        _buckets.Add(bucket);
        return bucket;
    }

    // ---- the admin API ---------------------------------------------------------------------------------------------

    /// <summary>An admin API call signed by the root key (or the given key; unsigned when <paramref name="sign"/> is false).</summary>
    public async Task<(HttpStatusCode Status, string Body)> AdminAsync(HttpMethod method, string path, string? body = null,
        string? accessKey = null, string? secretKey = null, bool sign = true)
    {
        using var response = await SendAsync(method, "/_objstore/admin" + path, body is null ? null : Encoding.UTF8.GetBytes(body),
            sign ? (accessKey ?? endpoint.AccessKey, secretKey ?? endpoint.SecretKey) : null);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>A new user with one access key and no policy (it may do nothing).</summary>
    public async Task<TestUser> CreateUserAsync(string? name = null)
    {
        name ??= NewUserName();
        var (status, body) = await AdminAsync(HttpMethod.Post, "/users?name=" + Uri.EscapeDataString(name));
        Assert.True(status == HttpStatusCode.Created, $"add user {name}: {(int)status} {body}");
        string canonicalId = JsonDocument.Parse(body).RootElement.GetProperty("canonicalId").GetString()!;
        var (accessKey, secret) = await AddKeyAsync(name);
        return new TestUser(name, canonicalId, accessKey, secret);
    }

    public async Task<(string AccessKey, string SecretKey)> AddKeyAsync(string user)
    {
        var (status, body) = await AdminAsync(HttpMethod.Post, $"/users/{Uri.EscapeDataString(user)}/keys");
        Assert.True(status == HttpStatusCode.Created, $"add key for {user}: {(int)status} {body}");
        var json = JsonDocument.Parse(body).RootElement;
        return (json.GetProperty("accessKey").GetString()!, json.GetProperty("secretKey").GetString()!);
    }

    /// <summary>Sets the user's identity policy, which must be accepted (204).</summary>
    public async Task SetPolicyAsync(string user, string policy)
    {
        var (status, body) = await AdminAsync(HttpMethod.Put, $"/users/{Uri.EscapeDataString(user)}/policy", policy);
        Assert.True(status == HttpStatusCode.NoContent, $"set policy of {user}: {(int)status} {body}");
    }

    /// <summary>A user whose identity policy is <paramref name="policy"/>.</summary>
    public async Task<TestUser> CreateUserAsync(string? name, string policy)
    {
        var user = await CreateUserAsync(name);
        await SetPolicyAsync(user.Name, policy);
        return user;
    }

    // ---- clients ---------------------------------------------------------------------------------------------------

    public AmazonS3Client ClientFor(string accessKey, string secretKey)
    {
        var client = new AmazonS3Client(new BasicAWSCredentials(accessKey, secretKey), new AmazonS3Config
        {
            ServiceURL = endpoint.Url,
            ForcePathStyle = true,
            AuthenticationRegion = "us-east-1",
            MaxErrorRetry = 0,
            HttpClientFactory = new RecordingHttpClientFactory(Log),
        });
        _clients.Add(client);
        return client;
    }

    public AmazonS3Client ClientFor(TestUser user) => ClientFor(user.AccessKey, user.SecretKey);

    public AmazonS3Client RootClient() => ClientFor(endpoint.AccessKey, endpoint.SecretKey);

    /// <summary>A raw request to the store, signed with <paramref name="key"/> or anonymous when it is null.</summary>
    public async Task<HttpResponseMessage> SendAsync(HttpMethod method, string pathAndQuery, byte[]? body = null,
        (string AccessKey, string SecretKey)? key = null, IEnumerable<KeyValuePair<string, string>>? headers = null)
    {
        using var request = new HttpRequestMessage(method, new Uri(endpoint.Url + pathAndQuery));
        foreach (var (name, value) in headers ?? [])
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }
        if (body is not null)
        {
            request.Content = new ByteArrayContent(body);
        }
        if (key is { } k)
        {
            new TestSigner(k.AccessKey, k.SecretKey).Sign(request, body ?? []);
        }
        return await Http.SendAsync(request);
    }

    public Task<HttpResponseMessage> SendAsync(HttpMethod method, string pathAndQuery, TestUser user, byte[]? body = null,
        IEnumerable<KeyValuePair<string, string>>? headers = null) =>
        SendAsync(method, pathAndQuery, body, (user.AccessKey, user.SecretKey), headers);

    public Task<HttpResponseMessage> SendAsRootAsync(HttpMethod method, string pathAndQuery, byte[]? body = null,
        IEnumerable<KeyValuePair<string, string>>? headers = null) =>
        SendAsync(method, pathAndQuery, body, (endpoint.AccessKey, endpoint.SecretKey), headers);

    /// <summary>An unsigned GET of an object; its status and body.</summary>
    public async Task<(HttpStatusCode Status, string Body)> AnonymousGetAsync(string bucket, string key)
    {
        using var response = await Http.GetAsync($"{endpoint.Url}/{bucket}/{key}");
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>The status and the S3 error of a response.</summary>
    public static async Task<S3ErrorBody> ErrorOf(HttpResponseMessage response)
    {
        string text = await response.Content.ReadAsStringAsync();
        if (text.Length == 0 || !text.TrimStart().StartsWith('<'))
        {
            return new S3ErrorBody(response.StatusCode, null, null);
        }
        var root = XDocument.Parse(text).Root!;
        return new S3ErrorBody(response.StatusCode, root.Element("Code")?.Value, root.Element("Message")?.Value);
    }

    // ---- policies --------------------------------------------------------------------------------------------------

    /// <summary>
    /// The policy `objstore admin policy set USER --readwrite BUCKET[/PREFIX]` sets (IdentityCommands.PrefixPolicy),
    /// reproduced here as JSON: list the prefix and see the bucket; read and write objects under the prefix.
    /// </summary>
    public static string PrefixPolicy(string target, bool write = true)
    {
        int slash = target.IndexOf('/', StringComparison.Ordinal);
        string bucket = slash < 0 ? target : target[..slash];
        string prefix = slash < 0 ? "" : target[(slash + 1)..];
        string[] objectActions = write
            ? ["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject", "s3:DeleteObject", "s3:DeleteObjectVersion", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts",
               "s3:GetObjectAcl", "s3:GetObjectAttributes", "s3:GetObjectTagging", "s3:PutObjectTagging"]
            : ["s3:GetObject", "s3:GetObjectVersion", "s3:GetObjectAcl", "s3:GetObjectAttributes", "s3:GetObjectTagging"];
        var list = new Dictionary<string, object>
        {
            ["Sid"] = "List",
            ["Effect"] = "Allow",
            ["Action"] = new[] { "s3:ListBucket", "s3:ListBucketVersions", "s3:ListBucketMultipartUploads" },
            ["Resource"] = $"arn:aws:s3:::{bucket}",
        };
        if (prefix.Length > 0)
        {
            list["Condition"] = new Dictionary<string, object> { ["StringLike"] = new Dictionary<string, object> { ["s3:prefix"] = new[] { prefix + "*" } } };
        }
        var document = new Dictionary<string, object>
        {
            ["Version"] = "2012-10-17",
            ["Statement"] = new object[]
            {
                new Dictionary<string, object> { ["Sid"] = "Buckets", ["Effect"] = "Allow", ["Action"] = "s3:ListAllMyBuckets", ["Resource"] = "*" },
                new Dictionary<string, object> { ["Sid"] = "Location", ["Effect"] = "Allow", ["Action"] = "s3:GetBucketLocation", ["Resource"] = $"arn:aws:s3:::{bucket}" },
                list,
                new Dictionary<string, object>
                {
                    ["Sid"] = write ? "ReadWrite" : "Read",
                    ["Effect"] = "Allow",
                    ["Action"] = objectActions,
                    ["Resource"] = $"arn:aws:s3:::{bucket}/{prefix}*",
                },
            },
        };
        return JsonSerializer.Serialize(document, Indented);
    }

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>A policy document of the given statements (each a JSON object).</summary>
    public static string Policy(params string[] statements) =>
        $$"""{"Version": "2012-10-17", "Statement": [{{string.Join(",\n", statements)}}]}""";

    // ---- cleanup ---------------------------------------------------------------------------------------------------

    /// <summary>Removes every tracked bucket with its objects and uploads, as the root user (whom no policy binds).</summary>
    public async Task DeleteBucketsAsync()
    {
        var root = RootClient();
        foreach (string bucket in _buckets.Distinct())
        {
            try
            {
                var uploads = await root.ListMultipartUploadsAsync(new ListMultipartUploadsRequest { BucketName = bucket });
                foreach (var upload in uploads.MultipartUploads ?? [])
                {
                    await root.AbortMultipartUploadAsync(new AbortMultipartUploadRequest { BucketName = bucket, Key = upload.Key, UploadId = upload.UploadId });
                }
                var versions = await root.ListVersionsAsync(new ListVersionsRequest { BucketName = bucket });
                foreach (var batch in (versions.Versions ?? []).Chunk(1000))
                {
                    await root.DeleteObjectsAsync(new DeleteObjectsRequest
                    {
                        BucketName = bucket, Quiet = true, Objects = [.. batch.Select(v => new KeyVersion { Key = v.Key, VersionId = v.VersionId })],
                    });
                }
                await root.DeleteBucketAsync(bucket);
            }
            catch (AmazonS3Exception)
            {
                // A bucket the test never made, or removed itself.
            }
        }
    }

    public void Dispose()
    {
        foreach (var client in _clients)
        {
            client.Dispose();
        }
        _http?.Dispose();
    }
}

/// <summary>The base of the access tests: a fixture per test, buckets removed and no 5xx allowed when it ends.</summary>
public abstract class AccessTestBase : IAsyncLifetime
{
    private protected AccessTestBase(S3Endpoint endpoint)
    {
        Access = new AccessFixture(endpoint);
        Root = Access.RootClient();
    }

    private protected AccessFixture Access { get; }

    /// <summary>The root user's client: may do anything.</summary>
    private protected AmazonS3Client Root { get; }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        try
        {
            await Access.DeleteBucketsAsync();
            Access.Log.AssertNo5xx();
        }
        finally
        {
            Access.Dispose();
        }
    }

    /// <summary>A new bucket made by the root user (BucketOwnerEnforced, every public access block setting on).</summary>
    private protected async Task<string> NewBucketAsync(ObjectOwnership? ownership = null)
    {
        string bucket = Access.NewBucketName();
        await Root.PutBucketAsync(new PutBucketRequest { BucketName = bucket, ObjectOwnership = ownership });
        return bucket;
    }

    private protected static Task PutAsync(AmazonS3Client client, string bucket, string key, string body = "data") =>
        client.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = key, ContentBody = body });

    private protected static async Task<string> ReadAsync(AmazonS3Client client, string bucket, string key)
    {
        using var response = await client.GetObjectAsync(bucket, key);
        using var reader = new StreamReader(response.ResponseStream);
        return await reader.ReadToEndAsync();
    }

    /// <summary>The call fails with <paramref name="status"/> and <paramref name="code"/>; the exception, for its message.</summary>
    private protected static async Task<AmazonS3Exception> FailsAsync(HttpStatusCode status, string code, Func<Task> call)
    {
        var e = await Assert.ThrowsAnyAsync<AmazonS3Exception>(call);
        Assert.Equal((status, code), (e.StatusCode, e.ErrorCode));
        return e;
    }

    private protected static Task<AmazonS3Exception> DeniedAsync(Func<Task> call) => FailsAsync(HttpStatusCode.Forbidden, "AccessDenied", call);

    /// <summary>The request is allowed: it does not fail with 403 (what it answers otherwise is the test's to check).</summary>
    private protected static async Task NotDeniedAsync(Func<Task> call)
    {
        try
        {
            await call();
        }
        catch (AmazonS3Exception e) when (e.StatusCode != HttpStatusCode.Forbidden)
        {
        }
    }

    private protected Task SetBucketPolicyAsync(string bucket, string policy) =>
        Root.PutBucketPolicyAsync(new PutBucketPolicyRequest { BucketName = bucket, Policy = policy });

    /// <summary>Removes the bucket's public access block (new buckets have every setting on).</summary>
    private protected Task AllowPublicAsync(string bucket) =>
        Root.DeletePublicAccessBlockAsync(new DeletePublicAccessBlockRequest { BucketName = bucket });
}
