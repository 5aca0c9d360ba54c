using System.Net;
using System.Net.Sockets;

namespace ObjStore.Cli.Tests;

/// <summary>
/// Every start-up mistake: one line on stderr naming the setting, exit status 2, no stack trace, and nothing made
/// on disk (the data folder of a failed start does not exist afterwards).
/// </summary>
[Collection(ConsoleUsers.Name)]
public sealed class StartupMistakeTests : IDisposable
{
    private readonly string _work = Directory.CreateTempSubdirectory("objstore-cli-startup-").FullName;

    private string Data => Path.Combine(_work, "data");

    public void Dispose() => Directory.Delete(_work, recursive: true);

    private static void AssertOneLineMistake(int exit, string error, string expected)
    {
        Assert.Equal(2, exit);
        Assert.StartsWith("objstore: ", error, StringComparison.Ordinal);
        Assert.Contains(expected, error, StringComparison.Ordinal);
        Assert.Single(error.TrimEnd().Split('\n'));
        Assert.DoesNotContain("   at ", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task APortInUseIsNamedAndNothingIsCreated()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        int port = ((IPEndPoint)taken.LocalEndpoint).Port;
        var (exit, _, error) = await CliRun.RunAsync("dev", "--data", Data, "--listen", $"http://127.0.0.1:{port}");
        AssertOneLineMistake(exit, error, $"port {port} is already in use");
        Assert.False(Directory.Exists(Data));
    }

    [Fact]
    public async Task DataThatIsAFileIsRefused()
    {
        string file = Path.Combine(_work, "a-file");
        await File.WriteAllTextAsync(file, "not a folder");
        var (exit, _, error) = await CliRun.RunAsync("dev", "--data", file, "--listen", "http://127.0.0.1:0");
        AssertOneLineMistake(exit, error, "is a file, not a folder");
        Assert.Equal("not a folder", await File.ReadAllTextAsync(file));
    }

    [Fact]
    public async Task DataUnderAFileIsRefused()
    {
        string file = Path.Combine(_work, "a-file");
        await File.WriteAllTextAsync(file, "");
        var (exit, _, error) = await CliRun.RunAsync("dev", "--data", Path.Combine(file, "data"), "--listen", "http://127.0.0.1:0");
        AssertOneLineMistake(exit, error, "is a file, not a folder");
    }

    [Fact]
    public async Task DataInAFolderNobodyMayWriteIsRefused()
    {
        // /proc refuses new entries to root too, where mode bits would not.
        var (exit, _, error) = await CliRun.RunAsync("dev", "--data", "/proc/objstore-data", "--listen", "http://127.0.0.1:0");
        AssertOneLineMistake(exit, error, "is not writable by this process");
    }

    [Fact]
    public async Task HttpsWithoutCertificatesIsRefused()
    {
        var (exit, _, error) = await CliRun.RunAsync("dev", "--data", Data, "--listen", "https://127.0.0.1:0");
        AssertOneLineMistake(exit, error, "give its certificate with --tls-cert");
        Assert.False(Directory.Exists(Data));
    }

    [Fact]
    public async Task ACertificateForAnHttpEndpointOrOneThatIsNotThereIsRefused()
    {
        var (exit, _, error) = await CliRun.RunAsync("dev", "--data", Data, "--listen", "http://127.0.0.1:0", "--tls-cert", "/nonexistent/cert.pem");
        AssertOneLineMistake(exit, error, "--tls-cert serves HTTPS: listen on https://");
        (exit, _, error) = await CliRun.RunAsync("dev", "--data", Data, "--listen", "https://127.0.0.1:0", "--tls-cert", "/nonexistent/cert.pem");
        AssertOneLineMistake(exit, error, "--tls-cert /nonexistent/cert.pem");
        Assert.False(Directory.Exists(Data));
    }

    [Theory]
    [InlineData("7", "Write quorum 7 must be from K (4) to K+M (6) for erasure 4+2.")]
    [InlineData("abc", "--write-quorum expects a whole number, got 'abc'")]
    public async Task AWriteQuorumOutOfRangeIsRefused(string quorum, string message)
    {
        var (exit, _, error) = await CliRun.RunAsync("dev", "--data", Data, "--listen", "http://127.0.0.1:0", "--write-quorum", quorum);
        AssertOneLineMistake(exit, error, message);
        Assert.False(Directory.Exists(Data));
    }

    [Fact]
    public async Task AStripeSizeOutOfRangeIsRefused()
    {
        var (exit, _, error) = await CliRun.RunAsync("dev", "--data", Data, "--listen", "http://127.0.0.1:0", "--stripe-size", "4GiB");
        AssertOneLineMistake(exit, error, "--stripe-size must be from 1 byte to 2 GiB");
        Assert.False(Directory.Exists(Data));
    }

    [Fact]
    public async Task ANodeWhoseTwoPortsCoincideIsRefused()
    {
        var (exit, _, error) = await CliRun.RunAsync("node", "--data", Data, "--listen", "http://127.0.0.1:19555", "--read-port", "19555",
            "--node-id", "n1", "--cluster-secret", "0123456789abcdef0123");
        AssertOneLineMistake(exit, error, "--read-port 19555 is the port of --listen");
        Assert.False(Directory.Exists(Data));
    }

    [Fact]
    public async Task ANodeOnAPortInUseIsRefused()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        int port = ((IPEndPoint)taken.LocalEndpoint).Port;
        var (exit, _, error) = await CliRun.RunAsync("node", "--data", Data, "--listen", "http://127.0.0.1:0", "--read-port", $"{port}",
            "--node-id", "n1", "--cluster-secret", "0123456789abcdef0123");
        AssertOneLineMistake(exit, error, $"port {port} is already in use");
        Assert.False(Directory.Exists(Data));
    }

    [Fact]
    public async Task AMalformedAppSettingsFileIsNamed()
    {
        string previous = Directory.GetCurrentDirectory();
        await File.WriteAllTextAsync(Path.Combine(_work, "appsettings.json"), "{ \"ObjStore\": { \"Listen\": ");
        Directory.SetCurrentDirectory(_work);
        try
        {
            var (exit, _, error) = await CliRun.RunAsync("dev", "--data", Data, "--listen", "http://127.0.0.1:0");
            AssertOneLineMistake(exit, error, "appsettings.json");
            Assert.False(Directory.Exists(Data));
        }
        finally
        {
            Directory.SetCurrentDirectory(previous);
        }
    }

    [Fact]
    public async Task AConfigurationValueOfTheWrongTypeIsNamed()
    {
        string previous = Directory.GetCurrentDirectory();
        await File.WriteAllTextAsync(Path.Combine(_work, "appsettings.json"), "{ \"ObjStore\": { \"StripeSize\": \"big\" } }");
        Directory.SetCurrentDirectory(_work);
        try
        {
            var (exit, _, error) = await CliRun.RunAsync("dev", "--data", Data, "--listen", "http://127.0.0.1:0");
            AssertOneLineMistake(exit, error, "StripeSize");
            Assert.False(Directory.Exists(Data));
        }
        finally
        {
            Directory.SetCurrentDirectory(previous);
        }
    }

    [Fact]
    public async Task AMalformedClusterFileIsNamed()
    {
        string config = Path.Combine(_work, "cluster.json");
        await File.WriteAllTextAsync(config, "{ nope");
        var (exit, _, error) = await CliRun.RunAsync("gateway", "--config", config);
        AssertOneLineMistake(exit, error, "cannot read --config");
    }

    [Fact]
    public async Task AMasterKeyThatDoesNotOpenTheCatalogueIsOneLine()
    {
        // A store made under one master key (the key file it creates), started again under another.
        var first = Hosting.StoreHost.Build([], new Dictionary<string, string?>
        {
            ["ObjStore:DataDir"] = Data,
            ["ObjStore:Listen"] = "http://127.0.0.1:0",
            ["Logging:LogLevel:Default"] = "Warning",
        });
        await first.StartAsync();
        await first.StopAsync();
        await first.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Environment.SetEnvironmentVariable("ObjStore__MasterKey", Convert.ToBase64String(new byte[32]));
        try
        {
            var (exit, _, error) = await CliRun.RunAsync("dev", "--data", Data, "--listen", "http://127.0.0.1:0");
            AssertOneLineMistake(exit, error, "which is not configured");
        }
        finally
        {
            Environment.SetEnvironmentVariable("ObjStore__MasterKey", null);
        }
    }
}
