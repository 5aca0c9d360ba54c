using Microsoft.Playwright;

namespace ObjStore.Browser.Tests;

/// <summary>What the console tests share: a page on the console, signed in, and screenshots kept as files.</summary>
internal static class ConsolePage
{
    /// <summary>Where screenshots go: screenshots/ beside the test binaries (never committed).</summary>
    public static string ScreenshotFolder { get; } = Directory.CreateDirectory(Path.Combine(AppContext.BaseDirectory, "screenshots")).FullName;

    static ConsolePage()
    {
        // Nodes are probed every second and the console polls every second: a few seconds is the usual wait.
        Assertions.SetDefaultExpectTimeout(30_000);
    }

    /// <summary>A new page in its own context (its own storage and cookies) on the console of <paramref name="endpoint"/>.</summary>
    public static async Task<IPage> OpenAsync(IBrowser browser, string endpoint)
    {
        var context = await browser.NewContextAsync(new BrowserNewContextOptions
        {
            ViewportSize = new ViewportSize { Width = 1200, Height = 760 },
            AcceptDownloads = true,
        });
        var page = await context.NewPageAsync();
        page.Dialog += async (_, dialog) => await dialog.AcceptAsync(); // the confirm() before every delete
        var errors = new List<string>();
        page.PageError += (_, message) => errors.Add(message);
        var response = await page.GotoAsync(endpoint + "/_objstore/console/");
        Assert.Equal(200, response?.Status);
        await Assertions.Expect(page.Locator("body")).ToHaveAttributeAsync("data-ready", "true");
        return page;
    }

    public static async Task SignInAsync(IPage page, string accessKey, string secretKey)
    {
        await Assertions.Expect(page.Locator("#view-signin")).ToBeVisibleAsync();
        await page.Locator("#access-key").FillAsync(accessKey);
        await page.Locator("#secret-key").FillAsync(secretKey);
        await page.Locator("#signin").ClickAsync();
        await Assertions.Expect(page.Locator("#view-buckets")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#whoami")).ToHaveTextAsync(accessKey);
    }

    public static Task ScreenshotAsync(IPage page, string name) =>
        page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ScreenshotFolder, name + ".png"), FullPage = true });
}
