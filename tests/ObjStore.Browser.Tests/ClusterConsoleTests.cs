using System.Diagnostics;
using System.Text.RegularExpressions;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace ObjStore.Browser.Tests;

/// <summary>
/// The console's cluster view over a real local cluster (deploy/local-cluster.sh: four node processes at 2+2 and a
/// gateway process): every store up, one node killed and shown down (red) while writes leave degraded shards, the
/// node back, and a heal started from the console whose progress reaches 100% and leaves no degraded shard.
/// </summary>
public sealed class ClusterConsoleTests(BrowserFixture fixture) : IClassFixture<BrowserFixture>, IAsyncLifetime
{
    private readonly TempFolder _dir = new("objstore-console-cluster-");
    private Dictionary<string, string> _env = [];
    private AmazonS3Client _s3 = null!;

    public async Task InitializeAsync()
    {
        await ScriptAsync("start", _dir.Path, "--nodes", "4", "--ec", "2+2");
        _env = File.ReadAllLines(_dir.Combine("cluster.env"))
            .Select(line => (line.StartsWith("export ", StringComparison.Ordinal) ? line["export ".Length..] : line).Split('=', 2))
            .ToDictionary(p => p[0], p => p[1].Trim('"'));
        _s3 = new AmazonS3Client(new BasicAWSCredentials(_env["OBJSTORE_ACCESS_KEY"], _env["OBJSTORE_SECRET_KEY"]), new AmazonS3Config
        {
            ServiceURL = _env["OBJSTORE_ENDPOINT"],
            ForcePathStyle = true,
            AuthenticationRegion = "us-east-1",
            MaxErrorRetry = 0,
        });
    }

    public async Task DisposeAsync()
    {
        _s3?.Dispose();
        await ScriptAsync("stop", _dir.Path);
        _dir.Dispose();
    }

    [Fact]
    public async Task ANodeGoesRedWhenStoppedAndAHealStartedInTheConsoleCompletes()
    {
        await _s3.PutBucketAsync("cluster-console");
        var page = await ConsolePage.OpenAsync(fixture.Browser, _env["OBJSTORE_ENDPOINT"]);
        try
        {
            await ConsolePage.SignInAsync(page, _env["OBJSTORE_ACCESS_KEY"], _env["OBJSTORE_SECRET_KEY"]);
            await page.Locator("#nav-cluster").ClickAsync();
            var stores = page.Locator("#stores tr.store");
            await Expect(stores).ToHaveCountAsync(4);
            await Expect(page.Locator("#stores tr.store.up")).ToHaveCountAsync(4);
            await Expect(page.Locator("#stores tr[data-store='node-1']")).ToContainTextAsync(" ms");
            await ConsolePage.ScreenshotAsync(page, "cluster-01-all-up");

            await ScriptAsync("node-stop", _dir.Path, "4");
            var node4 = page.Locator("#stores tr[data-store='node-4']");
            await Expect(node4).ToHaveClassAsync("store down");
            await Expect(node4.Locator(".state")).ToHaveTextAsync("down");
            // Retried like the others: the table is rendered again on every refresh, and an element read once may be
            // the one a refresh has just replaced.
            await Expect(node4.Locator(".state")).ToHaveCSSAsync("color", "rgb(198, 40, 40)"); // red
            await Expect(page.Locator("#stores tr.store.up")).ToHaveCountAsync(3);

            // A scrub of the dead node's store waits for that node's worker: cancelled, it fails at once; retried, it
            // is queued again.
            await page.Locator("#job-kind").SelectOptionAsync("scrub");
            await page.Locator("#job-target").FillAsync("store:node-4");
            await page.Locator("#start-job").ClickAsync();
            var scrub = await QueuedJobAsync(page, "scrub store:node-4");
            await Expect(scrub.Locator(".job-state")).ToHaveTextAsync(new Regex("queued|running"));
            await scrub.Locator("button.cancel-job").ClickAsync();
            await Expect(scrub.Locator(".job-state")).ToHaveTextAsync("failed");
            await Expect(scrub.Locator(".job-error")).ToHaveTextAsync("cancelled through the admin API");
            await ConsolePage.ScreenshotAsync(page, "cluster-02-job-cancelled");
            await scrub.Locator("button.retry-job").ClickAsync();
            await Expect(page.Locator("#notice")).ToContainTextAsync("queued again");
            await Expect(scrub.Locator(".job-state")).ToHaveTextAsync(new Regex("queued|running|succeeded"));
            await Expect(scrub.Locator(".job-error")).ToHaveTextAsync("");

            // Writes with node-4 down meet the quorum (3 of 4) and leave its shards to heal.
            for (int i = 0; i < 8; i++)
            {
                await _s3.PutObjectAsync(new PutObjectRequest
                {
                    BucketName = "cluster-console", Key = $"degraded/{i}", InputStream = new MemoryStream(TestData.Bytes((1 << 20) + i, i)),
                });
            }
            await Expect(page.Locator("#degraded")).Not.ToHaveTextAsync("0");
            await ConsolePage.ScreenshotAsync(page, "cluster-03-node-down");

            await ScriptAsync("node-start", _dir.Path, "4");
            await Expect(page.Locator("#stores tr.store.up")).ToHaveCountAsync(4);

            await page.Locator("#start-heal").ClickAsync();
            var heal = await QueuedJobAsync(page, "heal *");
            await Expect(heal.Locator(".job-state")).ToHaveTextAsync("succeeded", new() { Timeout = 60_000 });
            await Expect(heal.Locator(".job-percent")).ToHaveTextAsync("100%");
            await Expect(heal.Locator("progress")).ToHaveJSPropertyAsync("value", 100);
            await Expect(page.Locator("#degraded")).ToHaveTextAsync("0");
            await ConsolePage.ScreenshotAsync(page, "cluster-04-healed");

            // A scrub running on a node (slowed to 2 blocks a second), cancelled: the node hears it at its next
            // renewal (a second), stops and finishes it, so it is failed long before its 30 s lease would run out.
            for (int i = 0; i < 16; i++)
            {
                await _s3.PutObjectAsync(new PutObjectRequest
                {
                    BucketName = "cluster-console", Key = $"more/{i}", InputStream = new MemoryStream(TestData.Bytes(256 << 10, 100 + i)),
                });
            }
            await page.Locator("#job-kind").SelectOptionAsync("scrub");
            await page.Locator("#job-target").FillAsync("store:node-1");
            await page.Locator("#start-job").ClickAsync();
            var nodeScrub = await QueuedJobAsync(page, "scrub store:node-1");
            await Expect(nodeScrub.Locator(".job-state")).ToHaveTextAsync("running");
            var cancelledAt = Stopwatch.StartNew();
            await nodeScrub.Locator("button.cancel-job").ClickAsync();
            await Expect(nodeScrub.Locator(".job-state")).ToHaveTextAsync("failed", new() { Timeout = 10_000 });
            Assert.True(cancelledAt.Elapsed < TimeSpan.FromSeconds(10), $"{cancelledAt.Elapsed}");
            await Expect(nodeScrub.Locator(".job-error")).ToHaveTextAsync("cancelled through the admin API");
            await ConsolePage.ScreenshotAsync(page, "cluster-05-node-job-cancelled");
            string assignedTo = await page.EvaluateAsync<string>("""
                async ([id, accessKey, secretKey]) => {
                  const { AdminClient } = await import("./admin.js");
                  return (await new AdminClient({ accessKey, secretKey, region: "us-east-1" }).call("GET", "/jobs/" + id)).assignedTo;
                }
                """, new[] { await nodeScrub.GetAttributeAsync("data-job"), _env["OBJSTORE_ACCESS_KEY"], _env["OBJSTORE_SECRET_KEY"] });
            Assert.Equal("node:node-1", assignedTo); // the node's worker, not the gateway's, heard the cancel
        }
        finally
        {
            await page.Context.CloseAsync();
        }
    }

    /// <summary>
    /// The row of the job the console just queued, by the id its notice names (the scheduler queues jobs of its own,
    /// such as heals of degraded shards, which the list may show above it).
    /// </summary>
    private static async Task<ILocator> QueuedJobAsync(IPage page, string what)
    {
        var notice = page.Locator("#notice");
        await Expect(notice).ToContainTextAsync($"({what}) queued.");
        var id = Regex.Match(await notice.InnerTextAsync(), @"^Job (\d+) ").Groups[1].Value;
        var row = page.Locator($"#jobs tr.job[data-job='{id}']");
        await Expect(row).ToBeVisibleAsync();
        return row;
    }

    private static async Task ScriptAsync(params string[] args)
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment["OBJSTORE_NODE_ARGS"] = "--scrub-ops 2"; // node scrubs slow enough to be cancelled midway
        start.ArgumentList.Add(Path.Combine(RepoPaths.Root, "deploy", "local-cluster.sh"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"local-cluster.sh {string.Join(' ', args)} failed: {await output}{await errors}");
        }
    }
}
