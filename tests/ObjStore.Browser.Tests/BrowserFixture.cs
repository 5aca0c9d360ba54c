using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Playwright;

namespace ObjStore.Browser.Tests;

/// <summary>
/// What the browser tests share: the built <c>objstore dev</c> as a separate process (loopback port, temporary data
/// folder), two tiny Kestrel servers serving one HTML page on two more loopback ports (two origins: one the bucket's
/// CORS rule allows, one it does not), a bucket with that rule, and a headless Debian Chromium driven by Playwright.
/// Chromium is not optional: without /usr/bin/chromium every test fails (CI installs it).
/// </summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    public const string ChromiumPath = "/usr/bin/chromium";
    public const string AccessKey = "browser";
    public const string SecretKey = "browser-test-secret-key";
    public const string Region = "us-east-1";

    /// <summary>The page: helpers to move bytes between the test (base64) and fetch bodies.</summary>
    private const string Page = """
        <!doctype html>
        <html><head><meta charset="utf-8"><title>objstore browser test</title></head>
        <body>
        <p>objstore browser test page</p>
        <script>
        function fromBase64(text) { return Uint8Array.from(atob(text), c => c.charCodeAt(0)); }
        function toBase64(buffer) {
          const bytes = new Uint8Array(buffer);
          let text = "";
          for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
          return btoa(text);
        }
        </script>
        </body></html>
        """;

    private readonly TempFolder _data = new("objstore-browser-");
    private readonly StringBuilder _serverOutput = new();
    private Process? _server;
    private WebApplication? _allowedSite;
    private WebApplication? _otherSite;
    private IPlaywright? _playwright;

    public string Endpoint { get; private set; } = "";
    public string Bucket { get; } = "browser-" + Guid.NewGuid().ToString("N")[..12];
    public string BucketUrl => $"{Endpoint}/{Bucket}";

    /// <summary>The origin the bucket's CORS rule names, as the browser sends it (no trailing slash).</summary>
    public string AllowedOrigin { get; private set; } = "";

    /// <summary>Another origin (another port), which no rule names.</summary>
    public string OtherOrigin { get; private set; } = "";

    public IBrowser Browser { get; private set; } = null!;

    /// <summary>Playwright itself, for a test that needs a browser launched with flags of its own.</summary>
    public IPlaywright Driver => _playwright ?? throw new InvalidOperationException("not initialized");
    public AmazonS3Client S3 { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        if (!File.Exists(ChromiumPath))
        {
            throw new InvalidOperationException($"{ChromiumPath} is missing: install Debian's chromium (apt-get install chromium); .ci/run does.");
        }
        await StartServerAsync();
        S3 = new AmazonS3Client(new BasicAWSCredentials(AccessKey, SecretKey), new AmazonS3Config
        {
            ServiceURL = Endpoint,
            ForcePathStyle = true,
            AuthenticationRegion = Region,
            MaxErrorRetry = 0,
        });
        (_allowedSite, AllowedOrigin) = await StartSiteAsync();
        (_otherSite, OtherOrigin) = await StartSiteAsync();

        await S3.PutBucketAsync(Bucket);
        await S3.PutCORSConfigurationAsync(new PutCORSConfigurationRequest
        {
            BucketName = Bucket,
            Configuration = new CORSConfiguration
            {
                Rules =
                [
                    new CORSRule
                    {
                        AllowedOrigins = [AllowedOrigin],
                        AllowedMethods = ["GET", "PUT", "POST", "HEAD"],
                        AllowedHeaders = ["*"],
                        ExposeHeaders = ["ETag"],
                    },
                ],
            },
        });

        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
        });
    }

    /// <summary>A fresh page (in its own context) opened at <paramref name="origin"/>.</summary>
    public async Task<IPage> OpenAsync(string origin)
    {
        var context = await Browser.NewContextAsync();
        var page = await context.NewPageAsync();
        var response = await page.GotoAsync(origin + "/");
        Assert.Equal(200, response?.Status);
        return page;
    }

    public async Task DisposeAsync()
    {
        if (_playwright is not null)
        {
            if (Browser is not null)
            {
                await Browser.DisposeAsync();
            }
            _playwright.Dispose();
        }
        foreach (var site in new[] { _allowedSite, _otherSite })
        {
            if (site is not null)
            {
                await site.StopAsync();
                await site.DisposeAsync();
            }
        }
        S3?.Dispose();
        if (_server is { HasExited: false })
        {
            _server.Kill(entireProcessTree: true);
            await _server.WaitForExitAsync();
        }
        _server?.Dispose();
        _data.Dispose();
    }

    private static async Task<(WebApplication App, string Origin)> StartSiteAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        app.MapGet("/", () => Results.Content(Page, "text/html; charset=utf-8"));
        await app.StartAsync();
        return (app, TestHosts.Address(app).ToString().TrimEnd('/'));
    }

    private async Task StartServerAsync()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        Endpoint = $"http://127.0.0.1:{port}";
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[]
        {
            RepoPaths.Objstore, "dev", "--listen", Endpoint, "--data", _data.Combine("data"),
            "--access-key", AccessKey, "--secret-key", SecretKey,
        })
        {
            start.ArgumentList.Add(arg);
        }
        _server = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start");
        _server.OutputDataReceived += (_, e) => Remember(e.Data);
        _server.ErrorDataReceived += (_, e) => Remember(e.Data);
        _server.BeginOutputReadLine();
        _server.BeginErrorReadLine();
        using var http = new HttpClient();
        for (int i = 0; i < 300 && !_server.HasExited; i++)
        {
            try
            {
                if ((await http.GetAsync(new Uri(Endpoint + "/_objstore/health/ready"))).IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }
            await Task.Delay(100);
        }
        lock (_serverOutput)
        {
            throw new TimeoutException($"objstore dev did not become ready:\n{_serverOutput}");
        }
    }

    private void Remember(string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (_serverOutput)
        {
            _serverOutput.AppendLine(line);
        }
    }
}
