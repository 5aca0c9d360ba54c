using Amazon.Runtime;
using Amazon.S3;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using ObjStore.Hosting;
using ObjStore.Metadata;
using ObjStore.Storage;

namespace ObjStore.TestKit;

/// <summary>dev mode hosted in-process on a loopback port with its own temporary data folder.</summary>
public sealed class DevServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private DevServer(WebApplication app, string dataDir)
    {
        _app = app;
        DataDir = dataDir;
        Url = TestHosts.Address(app).ToString().TrimEnd('/');
    }

    public string Url { get; }
    public string DataDir { get; }
    public IReadOnlyList<LocalShardStore> Stores => _app.Services.GetRequiredService<IReadOnlyList<LocalShardStore>>();

    /// <summary>The host's services, for tests that listen to its logs or read its options.</summary>
    public IServiceProvider Services => _app.Services;

    /// <summary>The catalogue behind the server, for tests that stage metadata no client could afford to upload.</summary>
    public ICatalogue Catalogue => _app.Services.GetRequiredService<ICatalogue>();

    public static async Task<DevServer> StartAsync(
        string erasure = "4+2", string? dataDir = null, IReadOnlyDictionary<string, string?>? settings = null)
    {
        dataDir ??= Directory.CreateTempSubdirectory("objstore-it-").FullName;
        var configuration = new Dictionary<string, string?>
        {
            ["ObjStore:Listen"] = "http://127.0.0.1:0",
            ["ObjStore:DataDir"] = dataDir,
            ["ObjStore:Erasure"] = erasure,
            ["ObjStore:StripeSize"] = "65536",
            // The tests were written for striped objects: those about replicated ones say so (ReplicateUpTo).
            ["ObjStore:ReplicateUpTo"] = "0",
            ["ObjStore:AccessKey"] = "it",
            ["ObjStore:SecretKey"] = "integration-secret",
            // Through ILogger, where the tests' log capture sees it (and not onto the test runner's standard output).
            ["ObjStore:AccessLog:Output"] = "logger",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            configuration["ObjStore:" + key] = value;
        }
        var app = StoreHost.Build([], configuration);
        try
        {
            await app.StartAsync();
        }
        catch
        {
            await app.DisposeAsync(); // a start that failed (a refused master key) frees the data folder for the next
            throw;
        }
        return new DevServer(app, dataDir);
    }

    public AmazonS3Client Client() => new(new BasicAWSCredentials("it", "integration-secret"), new AmazonS3Config
    {
        ServiceURL = Url,
        ForcePathStyle = true,
        AuthenticationRegion = "us-east-1",
        MaxErrorRetry = 0,
    });

    /// <summary>Every committed shard file of every store.</summary>
    public List<string> ShardFiles() => FilesUnder("shards");

    /// <summary>Every uncommitted (temporary) shard file of every store.</summary>
    public List<string> TempFiles() => FilesUnder("tmp");

    private List<string> FilesUnder(string folder) =>
        Directory.EnumerateDirectories(DataDir, "store-*")
            .Select(store => Path.Combine(store, folder))
            .Where(Directory.Exists)
            .SelectMany(path => Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories))
            .ToList();

    public async Task StopAsync() => await _app.StopAsync();

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        try
        {
            Directory.Delete(DataDir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
