using System.Net;
using System.Net.Sockets;
using System.Text;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using ObjStore.S3.Auth;

namespace ObjStore.Integration.Tests;

/// <summary>Addressing and request-shape edges over real HTTP: virtual-hosted-style, oversize headers, presign limits.</summary>
public class ProtocolEdgeTests
{
    private const string Domain = "s3.objstore.test";

    /// <summary>Resolves every host to the loopback server, so bucket.s3.objstore.test reaches it as a real client would.</summary>
    private sealed class LoopbackHttpClientFactory(int port) : HttpClientFactory
    {
        public override HttpClient CreateHttpClient(IClientConfig clientConfig) => new(new SocketsHttpHandler
        {
            ConnectCallback = async (context, ct) =>
            {
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), ct);
                return new NetworkStream(socket, ownsSocket: true);
            },
        });
    }

    [Fact]
    public async Task VirtualHostedStyleRequestsAddressTheBucketByHostName()
    {
        await using var server = await DevServer.StartAsync("2+1", settings: new Dictionary<string, string?> { ["S3:Domains:0"] = Domain });
        int port = new Uri(server.Url).Port;
        using var s3 = new AmazonS3Client(new BasicAWSCredentials("it", "integration-secret"), new AmazonS3Config
        {
            ServiceURL = $"http://{Domain}:{port}",
            ForcePathStyle = false,
            AuthenticationRegion = "us-east-1",
            HttpClientFactory = new LoopbackHttpClientFactory(port),
            MaxErrorRetry = 0,
        });
        await s3.PutBucketAsync("vhost-bucket");
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = "vhost-bucket", Key = "dir/a b.txt", ContentBody = "virtual" });
        using (var get = await s3.GetObjectAsync("vhost-bucket", "dir/a b.txt"))
        using (var reader = new StreamReader(get.ResponseStream))
        {
            Assert.Equal("virtual", await reader.ReadToEndAsync());
        }
        var listed = await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = "vhost-bucket" });
        Assert.Equal("dir/a b.txt", Assert.Single(listed.S3Objects).Key);

        // The same object by path style: one store, two addressing styles.
        using var pathStyle = server.Client();
        Assert.Equal(7, (await pathStyle.GetObjectMetadataAsync("vhost-bucket", "dir/a b.txt")).ContentLength);
    }

    [Fact]
    public async Task OversizeHeadersAreRefusedAndTheServerCarriesOn()
    {
        await using var server = await DevServer.StartAsync("2+1");
        var uri = new Uri(server.Url);
        using (var client = new TcpClient())
        {
            await client.ConnectAsync(uri.Host, uri.Port);
            var stream = client.GetStream();
            string huge = new('a', 100_000);
            await stream.WriteAsync(Encoding.ASCII.GetBytes($"GET /bucket/key HTTP/1.1\r\nHost: {uri.Authority}\r\nx-amz-meta-big: {huge}\r\n\r\n"));
            var buffer = new byte[512];
            int n = await stream.ReadAsync(buffer);
            string status = Encoding.ASCII.GetString(buffer, 0, n).Split("\r\n")[0];
            Assert.Equal("HTTP/1.1 431 Request Header Fields Too Large", status);
        }
        using var s3 = server.Client();
        await s3.PutBucketAsync("still-serving");
        Assert.Contains((await s3.ListBucketsAsync()).Buckets, b => b.BucketName == "still-serving");
    }

    [Fact]
    public async Task PresignedUrlsExpireAndCannotLastMoreThanSevenDays()
    {
        await using var server = await DevServer.StartAsync("2+1");
        using var s3 = server.Client();
        await s3.PutBucketAsync("presign");
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = "presign", Key = "k", ContentBody = "presigned" });
        var signer = new SigV4Signer("it", "integration-secret");
        var objectUri = new Uri($"{server.Url}/presign/k");
        using var http = new HttpClient();

        using (var ok = await http.GetAsync(signer.Presign("GET", objectUri, TimeSpan.FromDays(7))))
        {
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
            Assert.Equal("presigned", await ok.Content.ReadAsStringAsync());
        }
        using (var tooLong = await http.GetAsync(signer.Presign("GET", objectUri, TimeSpan.FromDays(7) + TimeSpan.FromSeconds(1))))
        {
            Assert.Equal(HttpStatusCode.BadRequest, tooLong.StatusCode);
            Assert.Contains("<Code>AuthorizationQueryParametersError</Code>", await tooLong.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        using (var expired = await http.GetAsync(signer.Presign("GET", objectUri, TimeSpan.FromMinutes(1), DateTimeOffset.UtcNow.AddMinutes(-10))))
        {
            Assert.Equal(HttpStatusCode.Forbidden, expired.StatusCode);
            Assert.Contains("<Code>AccessDenied</Code>", await expired.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        using (var tampered = await http.GetAsync(signer.Presign("GET", new Uri($"{server.Url}/presign/other"), TimeSpan.FromMinutes(5)).Replace("/other", "/k", StringComparison.Ordinal)))
        {
            Assert.Equal(HttpStatusCode.Forbidden, tampered.StatusCode);
            Assert.Contains("<Code>SignatureDoesNotMatch</Code>", await tampered.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
    }
}
