using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;

namespace ObjStore.Integration.Tests;

/// <summary>
/// The S3 endpoint over HTTPS (`--tls-cert`/`--tls-key`), through AWSSDK trusting only the test's certificate:
/// objects round trip, SSE-C keys are taken without the development setting (they travel encrypted), and plain HTTP
/// is not answered.
/// </summary>
public sealed class S3TlsTests : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("objstore-s3tls-").FullName;
    private X509Certificate2 _certificate = null!;
    private DevServer _server = null!;

    public async Task InitializeAsync()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        _certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        string certFile = Path.Combine(_dir, "s3.pem"), keyFile = Path.Combine(_dir, "s3.key");
        await File.WriteAllTextAsync(certFile, _certificate.ExportCertificatePem());
        await File.WriteAllTextAsync(keyFile, key.ExportPkcs8PrivateKeyPem());
        _server = await DevServer.StartAsync("4+2", settings: new Dictionary<string, string?>
        {
            ["Listen"] = "https://127.0.0.1:0",
            ["TlsCertFile"] = certFile,
            ["TlsKeyFile"] = keyFile,
        });
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _certificate.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    /// <summary>Trusts the test's certificate and nothing else.</summary>
    private sealed class PinnedHttpClientFactory(X509Certificate2 certificate) : HttpClientFactory
    {
        public override HttpClient CreateHttpClient(IClientConfig clientConfig) => new(new HttpClientHandler
        {
            ServerCertificateCustomValidationCallback = (_, presented, _, _) => presented is not null && presented.RawData.AsSpan().SequenceEqual(certificate.RawData),
        });
    }

    private AmazonS3Client Client() => new(new BasicAWSCredentials("it", "integration-secret"), new AmazonS3Config
    {
        ServiceURL = _server.Url,
        ForcePathStyle = true,
        AuthenticationRegion = "us-east-1",
        MaxErrorRetry = 0,
        HttpClientFactory = new PinnedHttpClientFactory(_certificate),
    });

    [Fact]
    public async Task ObjectsRoundTripOverHttpsAndSseCKeysAreTakenWithoutTheDevelopmentSetting()
    {
        Assert.StartsWith("https://", _server.Url, StringComparison.Ordinal);
        using var s3 = Client();
        await s3.PutBucketAsync("secure");
        byte[] data = TestData.Bytes(300_000, 3);
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = "secure", Key = "plain", InputStream = new MemoryStream(data) });
        Assert.Equal(data, await s3.GetBytesAsync("secure", "plain"));

        string customerKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        await s3.PutObjectAsync(new PutObjectRequest
        {
            BucketName = "secure", Key = "ssec", InputStream = new MemoryStream(data),
            ServerSideEncryptionCustomerMethod = ServerSideEncryptionCustomerMethod.AES256, ServerSideEncryptionCustomerProvidedKey = customerKey,
        });
        using var got = await s3.GetObjectAsync(new GetObjectRequest
        {
            BucketName = "secure", Key = "ssec",
            ServerSideEncryptionCustomerMethod = ServerSideEncryptionCustomerMethod.AES256, ServerSideEncryptionCustomerProvidedKey = customerKey,
        });
        Assert.Equal(data, await Downloads.ReadAllAsync(got.ResponseStream));
    }

    [Fact]
    public async Task PlainHttpToTheHttpsPortIsNotAnsweredAsS3()
    {
        using var http = new HttpClient();
        var plain = new UriBuilder(_server.Url) { Scheme = "http" }.Uri;
        var failure = await Record.ExceptionAsync(async () =>
        {
            using var response = await http.GetAsync(plain);
            Assert.NotEqual(HttpStatusCode.OK, response.StatusCode); // Kestrel answers 400 to plain text on a TLS port, if at all
        });
        Assert.True(failure is null or HttpRequestException, failure?.ToString());
    }
}
