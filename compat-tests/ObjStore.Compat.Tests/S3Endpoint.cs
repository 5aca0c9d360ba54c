using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Amazon.Runtime;
using Amazon.S3;

namespace ObjStore.Compat.Tests;

/// <summary>
/// The endpoint under test: OBJSTORE_ENDPOINT / OBJSTORE_ACCESS_KEY / OBJSTORE_SECRET_KEY when set, otherwise an
/// `objstore dev` started here on a free loopback port with a temporary data folder, stopped by PID at the end.
/// </summary>
public class S3Endpoint : IAsyncLifetime
{
    private Process? _server;
    private string? _dataDir;

    public string Url { get; private set; } = "";
    public string AccessKey { get; private set; } = "compat";
    public string SecretKey { get; private set; } = "compat-secret-key";

    /// <summary>Settings (ObjStore:* configuration keys) the server started here runs with.</summary>
    protected virtual IReadOnlyDictionary<string, string> Settings { get; } = new Dictionary<string, string>();

    public async Task InitializeAsync()
    {
        if (Environment.GetEnvironmentVariable("OBJSTORE_ENDPOINT") is { Length: > 0 } endpoint)
        {
            Url = endpoint;
            AccessKey = Environment.GetEnvironmentVariable("OBJSTORE_ACCESS_KEY") ?? AccessKey;
            SecretKey = Environment.GetEnvironmentVariable("OBJSTORE_SECRET_KEY") ?? SecretKey;
            return;
        }
        _dataDir = Directory.CreateTempSubdirectory("objstore-compat-").FullName;
        int port = FreePort();
        Url = $"http://127.0.0.1:{port}";
        string binary = FindBinary();
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { binary, "dev", "--listen", Url, "--data", _dataDir, "--access-key", AccessKey, "--secret-key", SecretKey },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var (key, value) in Settings)
        {
            start.Environment["ObjStore__" + key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }
        _server = Process.Start(start) ?? throw new InvalidOperationException("could not start objstore dev");
        _server.OutputDataReceived += (_, _) => { };
        _server.ErrorDataReceived += (_, _) => { };
        _server.BeginOutputReadLine();
        _server.BeginErrorReadLine();

        using var http = new HttpClient();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (_server.HasExited)
            {
                throw new InvalidOperationException($"objstore dev exited with {_server.ExitCode}");
            }
            try
            {
                if ((await http.GetAsync($"{Url}/_objstore/health/ready")).IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }
            await Task.Delay(100);
        }
        throw new TimeoutException("objstore dev did not become ready in 60 s");
    }

    public Task DisposeAsync()
    {
        if (_server is { HasExited: false })
        {
            _server.Kill(entireProcessTree: true);
            _server.WaitForExit(10_000);
        }
        _server?.Dispose();
        if (_dataDir is not null)
        {
            Directory.Delete(_dataDir, recursive: true);
        }
        return Task.CompletedTask;
    }

    /// <summary>An SDK client with default settings (aws-chunked uploads with CRC trailers), path-style addressing.</summary>
    public AmazonS3Client Client(string? secretKey = null, string? accessKey = null) =>
        new(new BasicAWSCredentials(accessKey ?? AccessKey, secretKey ?? SecretKey), new AmazonS3Config
        {
            ServiceURL = Url,
            ForcePathStyle = true,
            AuthenticationRegion = "us-east-1",
            MaxErrorRetry = 0,
        });

    public static string NewBucketName() => "compat-" + Guid.NewGuid().ToString("N")[..20];

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string FindBinary()
    {
        // Next to the tests (ProjectReference copies nothing), so look in the sibling build output of src/ObjStore.
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        string configuration = dir.Parent?.Name ?? "Debug"; // bin/CONFIGURATION/net10.0/
        for (var d = dir; d is not null; d = d.Parent)
        {
            string candidate = Path.Combine(d.FullName, "src", "ObjStore", "bin", configuration, "net10.0", "objstore.dll");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }
        throw new FileNotFoundException("objstore.dll not found: build src/ObjStore first");
    }
}

/// <summary>
/// A server whose lifecycle "day" lasts two seconds (the test setting Maintenance:LifecycleDayLength) and whose
/// scheduler queues a lifecycle pass every second, so real rules act while a test waits.
/// </summary>
public sealed class AcceleratedLifecycleEndpoint : S3Endpoint
{
    public static readonly TimeSpan DayLength = TimeSpan.FromSeconds(2);

    protected override IReadOnlyDictionary<string, string> Settings { get; } = new Dictionary<string, string>
    {
        ["Maintenance:LifecycleDayLength"] = "00:00:02",
        ["Maintenance:LifecycleInterval"] = "00:00:01",
        ["Maintenance:AutoHealInterval"] = "00:00:01",
    };
}

[CollectionDefinition(Name)]
public sealed class AcceleratedLifecycle : ICollectionFixture<AcceleratedLifecycleEndpoint>
{
    public const string Name = "accelerated-lifecycle";
}

[CollectionDefinition(Name)]
public sealed class SharedEndpoint : ICollectionFixture<S3Endpoint>
{
    public const string Name = "endpoint";
}
