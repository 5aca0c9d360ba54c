using System.Net;
using System.Text;
using System.Text.Json;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using ObjStore.S3.Auth;

namespace ObjStore.Integration.Tests;

/// <summary>
/// Users' secrets at rest: sealed under the master key (never in the catalogue file in plain text), opened again after
/// a restart, re-sealed by a rotation, and a key whose master key is gone is refused without stopping the store.
/// </summary>
public class SecretsAtRestTests
{
    private static readonly HttpClient Http = new();

    [Fact]
    public async Task ASecretIsSealedSurvivesRestartsAndARotationOfTheMasterKey()
    {
        string dataDir = Directory.CreateTempSubdirectory("objstore-it-").FullName;
        var first = await DevServer.StartAsync("2+1", dataDir);
        var (accessKey, secret) = await AddUserWithKeyAsync(first, "rotating");
        await first.StopAsync();

        // Not in the catalogue (database and write-ahead log) in plain text.
        foreach (var file in Directory.EnumerateFiles(dataDir, "catalogue.db*"))
        {
            Assert.DoesNotContain(secret, Encoding.Latin1.GetString(await File.ReadAllBytesAsync(file)), StringComparison.Ordinal);
        }
        string oldKeyFile = Path.Combine(dataDir, "master.key");
        Assert.True(File.Exists(oldKeyFile));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(oldKeyFile));
        }

        // The same master key: the key works after a restart.
        var second = await DevServer.StartAsync("2+1", dataDir);
        await AssertKeyWorksAsync(second, accessKey, secret);
        await second.StopAsync();

        // A new master key, the old one listed as previous: the secret is re-sealed at start and keeps working...
        string newKey = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        var third = await DevServer.StartAsync("2+1", dataDir, new Dictionary<string, string?>
        {
            ["MasterKey"] = newKey,
            ["PreviousMasterKeys:0"] = oldKeyFile,
        });
        await AssertKeyWorksAsync(third, accessKey, secret);
        await third.StopAsync();

        // ...and then without the old key too, because it was re-sealed under the new one.
        await using var fourth = await DevServer.StartAsync("2+1", dataDir, new Dictionary<string, string?> { ["MasterKey"] = newKey });
        await AssertKeyWorksAsync(fourth, accessKey, secret);
    }

    /// <summary>
    /// A master key that did not seal the catalogue's keys is refused at start (every secret and SSE key would be
    /// unusable, and new ones sealed under a key the others do not open); with the old key listed as previous the
    /// store starts and the secret works.
    /// </summary>
    [Fact]
    public async Task AStartWithAnAbsentMasterKeyIsRefusedAndWithItAsPreviousTheSecretWorks()
    {
        string dataDir = Directory.CreateTempSubdirectory("objstore-it-").FullName;
        var first = await DevServer.StartAsync("2+1", dataDir);
        var (accessKey, secret) = await AddUserWithKeyAsync(first, "orphaned");
        await first.StopAsync();

        string otherKey = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        var refused = await Assert.ThrowsAsync<Kms.MasterKeyMismatchException>(() =>
            DevServer.StartAsync("2+1", dataDir, new Dictionary<string, string?> { ["MasterKey"] = otherKey }));
        Assert.Contains("not configured", refused.Message, StringComparison.Ordinal);

        await using var second = await DevServer.StartAsync("2+1", dataDir, new Dictionary<string, string?>
        {
            ["MasterKey"] = otherKey,
            ["PreviousMasterKeys:0"] = Path.Combine(dataDir, "master.key"),
        });
        await AssertKeyWorksAsync(second, accessKey, secret);
        using var root = second.Client();
        Assert.Equal(HttpStatusCode.OK, (await root.ListBucketsAsync()).HttpStatusCode);
    }

    private static async Task<(string AccessKey, string Secret)> AddUserWithKeyAsync(DevServer server, string name)
    {
        await AdminAsync(server, HttpMethod.Post, $"/users?name={name}");
        await AdminAsync(server, HttpMethod.Put, $"/users/{name}/policy",
            """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListAllMyBuckets","Resource":"*"}]}""");
        var key = JsonDocument.Parse(await AdminAsync(server, HttpMethod.Post, $"/users/{name}/keys")).RootElement;
        return (key.GetProperty("accessKey").GetString()!, key.GetProperty("secretKey").GetString()!);
    }

    private static async Task AssertKeyWorksAsync(DevServer server, string accessKey, string secret)
    {
        using var user = UserClient(server, accessKey, secret);
        Assert.Equal(HttpStatusCode.OK, (await user.ListBucketsAsync(new ListBucketsRequest())).HttpStatusCode);
    }

    private static AmazonS3Client UserClient(DevServer server, string accessKey, string secret) =>
        new(new BasicAWSCredentials(accessKey, secret), new AmazonS3Config
        {
            ServiceURL = server.Url, ForcePathStyle = true, AuthenticationRegion = "us-east-1", MaxErrorRetry = 0,
        });

    private static async Task<string> AdminAsync(DevServer server, HttpMethod method, string path, string? body = null)
    {
        using var request = new HttpRequestMessage(method, server.Url + "/_objstore/admin" + path);
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }
        new SigV4Signer("it", "integration-secret").Sign(request);
        using var response = await Http.SendAsync(request);
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{method} {path}: {(int)response.StatusCode} {text}");
        return text;
    }
}
