using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using ObjStore.Hosting;
using ObjStore.Metadata;
using ObjStore.S3.Auth;

namespace ObjStore.Cli.Commands;

/// <summary>
/// What the benches that stage a big bucket share: a fresh temporary data folder (the catalogue is staged into it
/// before the store starts, so no bench can write into a real store's), a dev store over it on 127.0.0.1 with a key
/// of the bench's own and no maintenance pass of its own making, and the folder deleted at the end.
/// </summary>
internal sealed class BenchStore : IAsyncDisposable
{
    public const string AccessKey = "bench";
    public const string SecretKey = "bench-secret-key";

    private WebApplication? _app;

    private BenchStore(string folder)
    {
        Folder = folder;
    }

    /// <summary>The data folder, made for this bench and deleted with it.</summary>
    public string Folder { get; }

    /// <summary>Where the catalogue goes: staged before <see cref="StartAsync"/>, opened by the store.</summary>
    public string CataloguePath => Path.Combine(Folder, "catalogue.db");

    public Uri Url { get; private set; } = null!;

    public SigV4Signer Signer { get; } = new(AccessKey, SecretKey);

    public ICatalogue Catalogue => Services.GetRequiredService<ICatalogue>();

    private IServiceProvider Services => (_app ?? throw new InvalidOperationException("the bench store is not started")).Services;

    /// <summary>A new, empty data folder named after the bench; nothing runs yet.</summary>
    public static BenchStore InNewFolder(string bench) =>
        new(Directory.CreateTempSubdirectory($"objstore-bench-{bench}-").FullName);

    /// <summary>Starts dev mode over the folder; <paramref name="settings"/> add to or override the bench's own.</summary>
    public async Task StartAsync(IReadOnlyDictionary<string, string?>? settings = null)
    {
        var configuration = new Dictionary<string, string?>
        {
            ["ObjStore:Listen"] = "http://127.0.0.1:0",
            ["ObjStore:DataDir"] = Folder,
            ["ObjStore:AccessKey"] = AccessKey,
            ["ObjStore:SecretKey"] = SecretKey,
            ["ObjStore:Maintenance:LifecycleInterval"] = "365.00:00:00", // a bench starts the passes it measures itself
            ["Logging:LogLevel:Default"] = "Warning",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            configuration[key] = value;
        }
        _app = StoreHost.Build([], configuration);
        await _app.StartAsync();
        Url = new Uri(_app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
    }

    /// <summary>One signed request whose answer must be a success; the body is read and dropped.</summary>
    public async Task SendAsync(HttpClient http, HttpMethod method, string path, byte[]? body)
    {
        using var request = new HttpRequestMessage(method, new Uri(Url, path)) { Content = body is null ? null : new ByteArrayContent(body) };
        Signer.Sign(request, body is null ? SigV4.UnsignedPayload : Convert.ToHexStringLower(SHA256.HashData(body)));
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        response.EnsureSuccessStatusCode();
        await response.Content.CopyToAsync(Stream.Null);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (_app is not null)
            {
                await _app.StopAsync();
                await _app.DisposeAsync();
            }
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(Folder, recursive: true);
        }
    }
}
