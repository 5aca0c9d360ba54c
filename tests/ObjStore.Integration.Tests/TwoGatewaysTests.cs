using System.Diagnostics;
using System.Net;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Npgsql;
using ObjStore.Hosting;
using ObjStore.S3.Auth;

namespace ObjStore.Integration.Tests;

/// <summary>
/// Two gateways over the same three storage nodes and the same PostgreSQL catalogue, as a load balancer would put
/// them: what one acknowledges the other serves at once (read-after-write, list-after-write), racing conditional
/// writes through both end with one winner, an upload's parts go through either, and a bucket setting, a user's key
/// or a store's drain state changed through one takes effect on the other at once: the caches' time bounds are set to
/// an hour here, so only the catalogue's change notifications (LISTEN/NOTIFY) can bring the change.
/// </summary>
public sealed class TwoGatewaysTests : IAsyncLifetime
{
    private const string Bucket = "shared";
    private static readonly string SharedMasterKey = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
    private readonly List<TestNode> _nodes = [];
    private readonly List<WebApplication> _gateways = [];
    private readonly List<string> _folders = [];
    private PostgresTestDatabase _database = null!;
    private AmazonS3Client _a = null!, _b = null!;
    private string _urlA = "";

    public async Task InitializeAsync()
    {
        _database = await PostgresServer.Shared.CreateDatabaseAsync();
        try
        {
            for (int i = 1; i <= 3; i++)
            {
                _nodes.Add(await TestNode.StartAsync($"n{i}"));
            }
            _a = await StartGatewayAsync();
            _b = await StartGatewayAsync();
            _urlA = TestHosts.Address(_gateways[0]).ToString().TrimEnd('/');
        }
        catch
        {
            await DisposeAsync(); // xunit does not dispose what failed to initialise: nodes, folders and the database
            throw;
        }
    }

    private async Task<AmazonS3Client> StartGatewayAsync()
    {
        string folder = Directory.CreateTempSubdirectory("objstore-gateway-").FullName;
        _folders.Add(folder);
        var settings = new Dictionary<string, string?>
        {
            ["ObjStore:Listen"] = "http://127.0.0.1:0",
            ["ObjStore:DataDir"] = folder,
            ["ObjStore:Erasure"] = "2+1",
            ["ObjStore:StripeSize"] = "65536",
            ["ObjStore:ClusterSecret"] = TestNode.DefaultSecret,
            ["ObjStore:AccessKey"] = "it",
            ["ObjStore:SecretKey"] = "integration-secret",
            ["ObjStore:Catalogue"] = _database.ConnectionString,
            // Gateways sharing a catalogue share its master key (the secrets and data keys in it are sealed under it).
            ["ObjStore:MasterKey"] = SharedMasterKey,
            ["ObjStore:S3:BucketSettingsMaxAge"] = "01:00:00",
            ["ObjStore:IdentityRefreshInterval"] = "01:00:00",
            ["ObjStore:StoreStateRefreshInterval"] = "01:00:00",
        };
        for (int i = 0; i < _nodes.Count; i++)
        {
            settings[$"ObjStore:Nodes:{i}:Id"] = _nodes[i].NodeId;
            settings[$"ObjStore:Nodes:{i}:Url"] = _nodes[i].Url.ToString();
        }
        var app = StoreHost.Build([], settings, StoreMode.Gateway);
        try
        {
            await app.StartAsync();
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }
        _gateways.Add(app);
        return new AmazonS3Client(new BasicAWSCredentials("it", "integration-secret"), new AmazonS3Config
        {
            ServiceURL = TestHosts.Address(app).ToString().TrimEnd('/'),
            ForcePathStyle = true,
            AuthenticationRegion = "us-east-1",
            MaxErrorRetry = 0,
        });
    }

    public async Task DisposeAsync()
    {
        _a?.Dispose();
        _b?.Dispose();
        _gateways.Reverse();
        foreach (var gateway in _gateways)
        {
            await gateway.StopAsync();
            await gateway.DisposeAsync();
        }
        foreach (var node in _nodes)
        {
            await node.DisposeAsync();
        }
        foreach (string folder in _folders)
        {
            Directory.Delete(folder, recursive: true);
        }
        await _database.DisposeAsync();
    }

    [Fact]
    public async Task WhatOneGatewayAcknowledgesTheOtherServesAtOnce()
    {
        await _a.PutBucketAsync(Bucket);
        for (int i = 0; i < 40; i++)
        {
            var (writer, reader) = i % 2 == 0 ? (_a, _b) : (_b, _a);
            byte[] body = TestData.Bytes(i * 997, i);
            string key = $"raw/{i:D3}";
            await writer.PutObjectAsync(new PutObjectRequest { BucketName = Bucket, Key = key, InputStream = new MemoryStream(body) });
            Assert.Equal(body, await reader.GetBytesAsync(Bucket, key));
            Assert.Equal(body.Length, (await reader.GetObjectMetadataAsync(Bucket, key)).ContentLength);
            await writer.PutObjectAsync(new PutObjectRequest { BucketName = Bucket, Key = $"kept/{i:D3}", ContentBody = "k" });
            Assert.Equal([key], (await reader.ListObjectsV2Async(new ListObjectsV2Request { BucketName = Bucket, Prefix = "raw/" })).S3Objects.Select(o => o.Key));
            Assert.Equal(i + 1, (await reader.ListObjectsV2Async(new ListObjectsV2Request { BucketName = Bucket, Prefix = "kept/" })).KeyCount);
            // Deleted through one, gone through the other.
            await writer.DeleteObjectAsync(Bucket, key);
            Assert.Equal(HttpStatusCode.NotFound, (await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => reader.GetObjectAsync(Bucket, key))).StatusCode);
            Assert.Equal(0, (await reader.ListObjectsV2Async(new ListObjectsV2Request { BucketName = Bucket, Prefix = "raw/" })).KeyCount ?? 0);
        }
    }

    [Fact]
    public async Task RacingConditionalWritesThroughBothGatewaysEndWithOneWinner()
    {
        await _b.PutBucketAsync(Bucket);
        var attempts = Enumerable.Range(0, 16).Select(i => Task.Run(async () =>
        {
            try
            {
                await (i % 2 == 0 ? _a : _b).PutObjectAsync(new PutObjectRequest { BucketName = Bucket, Key = "terraform.tfstate.lock", ContentBody = $"holder {i}", IfNoneMatch = "*" });
                return i;
            }
            catch (AmazonS3Exception e) when (e.StatusCode is HttpStatusCode.PreconditionFailed or HttpStatusCode.Conflict)
            {
                return -1;
            }
        })).ToList();
        int winner = Assert.Single(await Task.WhenAll(attempts), i => i >= 0);
        foreach (var gateway in new[] { _a, _b })
        {
            Assert.Equal($"holder {winner}", System.Text.Encoding.UTF8.GetString(await gateway.GetBytesAsync(Bucket, "terraform.tfstate.lock")));
        }
    }

    [Fact]
    public async Task AnUploadsPartsGoThroughEitherGatewayAndCompleteOnTheOther()
    {
        await _a.PutBucketAsync(Bucket);
        string id = (await _a.InitiateMultipartUploadAsync(Bucket, "spread")).UploadId;
        byte[] one = TestData.Bytes(5 << 20, 1), two = TestData.Bytes(5 << 20, 2), three = TestData.Bytes(777, 3);
        var parts = new List<PartETag>();
        foreach (var (number, bytes, gateway) in new[] { (1, one, _b), (2, two, _a), (3, three, _b) })
        {
            var part = await gateway.UploadPartAsync(new UploadPartRequest { BucketName = Bucket, Key = "spread", UploadId = id, PartNumber = number, InputStream = new MemoryStream(bytes) });
            parts.Add(new PartETag(number, part.ETag));
        }
        Assert.Equal(3, (await _a.ListPartsAsync(Bucket, "spread", id)).Parts.Count);
        await _b.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest { BucketName = Bucket, Key = "spread", UploadId = id, PartETags = parts });
        byte[] whole = [.. one, .. two, .. three];
        Assert.Equal(whole, await _a.GetBytesAsync(Bucket, "spread"));
    }

    [Fact]
    public async Task ABucketPolicySetThroughOneGatewayTakesEffectOnTheOtherAtOnce()
    {
        await _a.PutBucketAsync(Bucket);
        await _a.PutObjectAsync(new PutObjectRequest { BucketName = Bucket, Key = "public", ContentBody = "hello" });
        await _a.DeletePublicAccessBlockAsync(new DeletePublicAccessBlockRequest { BucketName = Bucket }); // new buckets block public policies
        using var anonymous = new HttpClient();
        Assert.Equal(HttpStatusCode.Forbidden, (await anonymous.GetAsync($"{_urlA}/{Bucket}/public")).StatusCode); // cached on A now
        await _b.PutBucketPolicyAsync(Bucket, PublicReadPolicy);
        Assert.True(await EventuallyAsync(async () => (await anonymous.GetAsync($"{_urlA}/{Bucket}/public")).StatusCode == HttpStatusCode.OK),
            "the policy set through B never took effect on A");
        await _b.DeleteBucketPolicyAsync(Bucket);
        Assert.True(await EventuallyAsync(async () => (await anonymous.GetAsync($"{_urlA}/{Bucket}/public")).StatusCode == HttpStatusCode.Forbidden),
            "the policy deleted through B still applied on A");
    }

    [Fact]
    public async Task AKeyCreatedOrDeletedThroughOneGatewayWorksOrStopsOnTheOtherAtOnce()
    {
        await _a.PutBucketAsync(Bucket);
        await AdminAsync(_urlA, HttpMethod.Post, "/users?name=alice");
        await AdminAsync(_urlA, HttpMethod.Put, "/users/alice/policy",
            """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListAllMyBuckets","Resource":"*"}]}""");
        var key = JsonDocument.Parse(await AdminAsync(_urlA, HttpMethod.Post, "/users/alice/keys")).RootElement;
        string accessKey = key.GetProperty("accessKey").GetString()!, secret = key.GetProperty("secretKey").GetString()!;
        using var aliceOnB = Client(_gateways[1], accessKey, secret);
        Assert.True(await EventuallyAsync(async () => await ListBucketsStatusAsync(aliceOnB) == HttpStatusCode.OK), "alice's new key never worked on B");

        await AdminAsync(_urlA, HttpMethod.Delete, $"/keys/{accessKey}");
        Assert.True(await EventuallyAsync(async () => await ListBucketsStatusAsync(aliceOnB) == HttpStatusCode.Forbidden), "alice's deleted key still worked on B");
    }

    [Fact]
    public async Task AGatewayWhoseListeningConnectionWasTerminatedListensAgainAndMissesNothing()
    {
        await _a.PutBucketAsync(Bucket);
        await _a.PutObjectAsync(new PutObjectRequest { BucketName = Bucket, Key = "public", ContentBody = "hello" });
        await _a.DeletePublicAccessBlockAsync(new DeletePublicAccessBlockRequest { BucketName = Bucket });
        using var anonymous = new HttpClient();
        Assert.Equal(HttpStatusCode.Forbidden, (await anonymous.GetAsync($"{_urlA}/{Bucket}/public")).StatusCode); // cached on A

        // Every connection of both gateways, the listening ones among them, is cut, as a server restart or a
        // failover would; the change is made at once, likely before A listens again, so its notification is lost.
        await using (var admin = new NpgsqlConnection(_database.ConnectionString))
        {
            await admin.OpenAsync();
            await using var terminate = new NpgsqlCommand(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()", admin);
            Assert.True((long)(await terminate.ExecuteScalarAsync())! >= 2, "the gateways' listening connections were not there to cut");
        }
        Assert.True(await EventuallyAsync(async () =>
        {
            try
            {
                await _b.PutBucketPolicyAsync(Bucket, PublicReadPolicy);
                return true;
            }
            catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.ServiceUnavailable)
            {
                return false; // a pooled connection that was cut
            }
        }), "B never took the policy after its connections were cut");
        Assert.True(await EventuallyAsync(async () => (await anonymous.GetAsync($"{_urlA}/{Bucket}/public")).StatusCode == HttpStatusCode.OK),
            "A, listening again, never saw the policy set while it was not");
    }

    private const string PublicReadPolicy =
        $$"""{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::{{Bucket}}/*"}]}""";

    /// <summary>
    /// Whether <paramref name="condition"/> holds within 15 s. A notification arrives in milliseconds; the margin is
    /// for a loaded CI machine, and an hour's cache bound (see the class) is what it is measured against.
    /// </summary>
    private static async Task<bool> EventuallyAsync(Func<Task<bool>> condition)
    {
        var waited = Stopwatch.StartNew();
        while (!await condition())
        {
            if (waited.Elapsed > TimeSpan.FromSeconds(15))
            {
                return false;
            }
            await Task.Delay(50);
        }
        return true;
    }

    private static async Task<HttpStatusCode> ListBucketsStatusAsync(AmazonS3Client client)
    {
        try
        {
            return (await client.ListBucketsAsync(new ListBucketsRequest())).HttpStatusCode;
        }
        catch (AmazonS3Exception e)
        {
            return e.StatusCode;
        }
    }

    private static AmazonS3Client Client(WebApplication gateway, string accessKey, string secret) =>
        new(new BasicAWSCredentials(accessKey, secret), new AmazonS3Config
        {
            ServiceURL = TestHosts.Address(gateway).ToString().TrimEnd('/'),
            ForcePathStyle = true,
            AuthenticationRegion = "us-east-1",
            MaxErrorRetry = 0,
        });

    private static async Task<string> AdminAsync(string url, HttpMethod method, string path, string? body = null)
    {
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(method, url + "/_objstore/admin" + path);
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }
        new SigV4Signer("it", "integration-secret").Sign(request);
        using var response = await http.SendAsync(request);
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{method} {path}: {(int)response.StatusCode} {text}");
        return text;
    }
}
