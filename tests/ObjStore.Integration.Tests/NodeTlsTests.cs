using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using ObjStore.Core;
using ObjStore.Node;
using ObjStore.Storage.Remote;

namespace ObjStore.Integration.Tests;

/// <summary>
/// A node with --tls-cert/--tls-key (a certificate from a CA made here): HTTPS only, no read port; a remote store
/// trusting the CA through its CA file writes and reads shards, one without it (or trusting another CA) cannot.
/// </summary>
public sealed class NodeTlsTests : IAsyncLifetime
{
    private const string Secret = "node-tls-tests-cluster-secret";
    private readonly string _dir = Directory.CreateTempSubdirectory("objstore-tls-").FullName;
    private WebApplication _node = null!;
    private Uri _url = null!;

    private string CaFile => Path.Combine(_dir, "ca.pem");
    private string OtherCaFile => Path.Combine(_dir, "other-ca.pem");

    private static X509Certificate2 CreateCa(string name)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
    }

    public async Task InitializeAsync()
    {
        using var ca = CreateCa("objstore test CA");
        using var other = CreateCa("some other CA");
        File.WriteAllText(CaFile, ca.ExportCertificatePem());
        File.WriteAllText(OtherCaFile, other.ExportCertificatePem());

        using var nodeKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=n1", nodeKey, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(System.Net.IPAddress.Loopback);
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var leaf = request.Create(ca, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1), RandomNumberGenerator.GetBytes(8));
        string certFile = Path.Combine(_dir, "node.pem"), keyFile = Path.Combine(_dir, "node.key");
        File.WriteAllText(certFile, leaf.ExportCertificatePem());
        File.WriteAllText(keyFile, nodeKey.ExportPkcs8PrivateKeyPem());

        _node = NodeHost.Build(new NodeOptions
        {
            DataDir = Path.Combine(_dir, "data"),
            Listen = "http://127.0.0.1:0",
            NodeId = "n1",
            ClusterSecret = Secret,
            TlsCertFile = certFile,
            TlsKeyFile = keyFile,
        });
        await _node.StartAsync();
        _url = TestHosts.Address(_node);
    }

    public async Task DisposeAsync()
    {
        await TestHosts.StopAndDeleteAsync(_node, _dir);
    }

    private RemoteShardStore Store(string? caFile)
    {
        var options = new RemoteNodeOptions { RequestTimeout = TimeSpan.FromSeconds(5), CaFile = caFile };
        return new RemoteShardStore("n1", _url, Secret, RemoteShardStore.CreateHttpClient(options), options, NullLogger.Instance);
    }

    [Fact]
    public async Task ShardsRoundTripOverTlsWithTheNodeCaAndNoReadPortIsAdvertised()
    {
        Assert.Equal(Uri.UriSchemeHttps, _url.Scheme);
        using var store = Store(CaFile);
        Assert.True((await store.GetHealthAsync(CancellationToken.None)).Ready);

        var options = new RemoteNodeOptions { CaFile = CaFile };
        using (var http = RemoteShardStore.CreateHttpClient(options))
        using (var request = new HttpRequestMessage(HttpMethod.Get, new Uri(_url, "/_objstore/health/ready")))
        {
            NodeAuth.Sign(request, NodeAuth.Key(Secret), TimeProvider.System, "n1");
            using var response = await http.SendAsync(request);
            using var health = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            Assert.Equal(System.Text.Json.JsonValueKind.Null, health.RootElement.GetProperty("readPort").ValueKind);
        }

        string id = ShardId.For(ShardId.NewDataId(), 0);
        var data = new byte[2_500_000];
        new Random(3).NextBytes(data);
        await using (var writer = await store.CreateAsync(id, CancellationToken.None))
        {
            await writer.WriteAsync(data, CancellationToken.None);
            await writer.CommitAsync("footer"u8.ToArray(), CancellationToken.None);
        }
        await using var reader = await store.OpenAsync(id, CancellationToken.None);
        var back = new byte[data.Length + 6];
        int n = 0, read;
        while ((read = await reader.ReadAsync(n, back.AsMemory(n), CancellationToken.None)) > 0)
        {
            n += read;
        }
        Assert.Equal([.. data, .. "footer"u8.ToArray()], back[..n]);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task WithoutTheNodeCaTheNodeIsNotTrusted(bool otherCa)
    {
        using var store = Store(otherCa ? OtherCaFile : null);
        Assert.False((await store.GetHealthAsync(CancellationToken.None)).Ready);
        string id = ShardId.For(ShardId.NewDataId(), 0);
        var failure = await Record.ExceptionAsync(async () =>
        {
            await using var writer = await store.CreateAsync(id, CancellationToken.None);
            await writer.WriteAsync(new byte[1000], CancellationToken.None);
            await writer.CommitAsync(ReadOnlyMemory<byte>.Empty, CancellationToken.None);
        });
        Assert.True(failure is HttpRequestException or IOException, failure?.ToString());
        Assert.False(File.Exists(_node.Services.GetRequiredService<ObjStore.Storage.LocalShardStore>().PathOf(id)));
    }
}
