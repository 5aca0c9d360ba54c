using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using ObjStore.Hosting;
using ObjStore.S3.Auth;

namespace ObjStore.Cli.Tests;

/// <summary>`objstore admin info` against a dev server holding one bucket and one object: the table, and --json for scripts.</summary>
[Collection(ConsoleUsers.Name)]
public sealed class AdminInfoTests : IAsyncLifetime
{
    private const string AccessKey = "info-admin";
    private const string SecretKey = "info-admin-secret";
    private readonly string _data = Directory.CreateTempSubdirectory("objstore-cli-info-").FullName;
    private WebApplication _app = null!;
    private string _url = "";

    public async Task InitializeAsync()
    {
        _app = StoreHost.Build([], new Dictionary<string, string?>
        {
            ["ObjStore:Listen"] = "http://127.0.0.1:0",
            ["ObjStore:DataDir"] = _data,
            ["ObjStore:AccessKey"] = AccessKey,
            ["ObjStore:SecretKey"] = SecretKey,
        });
        await _app.StartAsync();
        _url = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/');
        using var http = new HttpClient();
        await SendAsync(http, HttpMethod.Put, "/infobucket", null);
        await SendAsync(http, HttpMethod.Put, "/infobucket/object.bin", new byte[100_000]);
    }

    public async Task DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        Directory.Delete(_data, recursive: true);
    }

    private async Task SendAsync(HttpClient http, HttpMethod method, string path, byte[]? body)
    {
        using var request = new HttpRequestMessage(method, _url + path);
        if (body is not null)
        {
            request.Content = new ByteArrayContent(body);
        }
        new SigV4Signer(AccessKey, SecretKey, "us-east-1").Sign(request, Convert.ToHexStringLower(SHA256.HashData(body ?? [])));
        using var response = await http.SendAsync(request);
        Assert.True(response.IsSuccessStatusCode, $"{method} {path}: {(int)response.StatusCode}");
    }

    private string[] Admin(params string[] args) => ["admin", "info", "--endpoint", _url, "--access-key", AccessKey, "--secret-key", SecretKey, .. args];

    [Fact]
    public async Task JsonHasTheVersionTheStoresAndWhatTheyHold()
    {
        var (exit, output, error) = await CliRun.RunAsync(Admin("--json"));
        Assert.True(exit == 0, error);
        var info = JsonDocument.Parse(output).RootElement;
        Assert.Equal("dev", info.GetProperty("mode").GetString());
        Assert.Equal("4+2", info.GetProperty("erasure").GetString());
        Assert.False(string.IsNullOrEmpty(info.GetProperty("version").GetString()));
        Assert.True(info.GetProperty("uptimeSeconds").GetInt64() >= 0);
        var stores = info.GetProperty("stores").EnumerateArray().ToList();
        Assert.Equal(6, stores.Count);
        Assert.All(stores, s =>
        {
            Assert.Equal("up", s.GetProperty("state").GetString());
            Assert.True(s.GetProperty("totalBytes").GetInt64() > 0);
            Assert.Equal(s.GetProperty("totalBytes").GetInt64() - s.GetProperty("freeBytes").GetInt64(), s.GetProperty("usedBytes").GetInt64());
        });
        Assert.Equal(1, info.GetProperty("buckets").GetInt64());
        Assert.Equal(1, info.GetProperty("objects").GetInt64());
        Assert.Equal(100_000, info.GetProperty("objectBytes").GetInt64());
        // 4+2: six shards of ceil(100000 / 4) bytes of blocks.
        Assert.Equal(6 * 25_000, info.GetProperty("rawBytes").GetInt64());
        Assert.Equal(0, info.GetProperty("healBacklog").GetInt64());
        Assert.Equal(0, info.GetProperty("jobs").GetProperty("failed").GetInt32());
    }

    [Fact]
    public async Task TheTableShowsEveryStoreAndTheTotals()
    {
        var (exit, output, error) = await CliRun.RunAsync(Admin());
        Assert.True(exit == 0, error);
        Assert.Contains("dev mode, erasure 4+2", output, StringComparison.Ordinal);
        for (int i = 0; i < 6; i++)
        {
            Assert.Contains($"store-0{i}", output, StringComparison.Ordinal);
        }
        Assert.Contains("1 buckets, 1 objects, 97.7 KiB used", output, StringComparison.Ordinal);
        Assert.Contains("146.5 KiB raw on the stores", output, StringComparison.Ordinal);
        Assert.Contains("heal backlog: 0 degraded shards", output, StringComparison.Ordinal);
        Assert.DoesNotContain("\u001b[", output, StringComparison.Ordinal); // no escape codes when redirected
    }
}
