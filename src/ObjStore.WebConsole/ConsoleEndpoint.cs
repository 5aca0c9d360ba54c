using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace ObjStore.WebConsole;

/// <summary>
/// The web console's files, embedded in this assembly (<c>wwwroot/</c>) and served under <see cref="Prefix"/>: public,
/// because they are only static files; everything the page does is a request it signs itself with the keys the user
/// types in. Every answer carries a strict Content-Security-Policy (scripts, styles and fetches from this origin
/// only, no inline script, no framing), a strong ETag (SHA-256 of the bytes) and <c>Cache-Control: no-cache</c>, so
/// a browser revalidates (304) and never runs a stale script after an upgrade.
/// </summary>
public sealed class ConsoleEndpoint
{
    public const string Prefix = "/_objstore/console";

    /// <summary>
    /// Images may be blob: URLs (previews the page fetched with a signed GET) and data: URLs (the favicon); nothing
    /// else comes from anywhere but this origin, and no form posts anywhere.
    /// </summary>
    public const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; connect-src 'self'; " +
        "frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

    private static readonly Dictionary<string, string> ContentTypes = new(StringComparer.Ordinal)
    {
        [".html"] = "text/html; charset=utf-8",
        [".js"] = "text/javascript; charset=utf-8",
        [".css"] = "text/css; charset=utf-8",
        [".json"] = "application/json; charset=utf-8",
        [".svg"] = "image/svg+xml",
        [".png"] = "image/png",
    };

    private readonly Dictionary<string, Asset> _assets = new(StringComparer.Ordinal);

    /// <param name="region">The region the S3 endpoint signs in, handed to the page (config.json) for its signatures.</param>
    public ConsoleEndpoint(string region)
    {
        var assembly = typeof(ConsoleEndpoint).Assembly;
        foreach (string name in assembly.GetManifestResourceNames().Where(n => n.StartsWith("console/", StringComparison.Ordinal)))
        {
            using var stream = assembly.GetManifestResourceStream(name)!;
            using var bytes = new MemoryStream();
            stream.CopyTo(bytes);
            Add(name["console/".Length..].Replace('\\', '/'), bytes.ToArray());
        }
        Add("config.json", Encoding.UTF8.GetBytes(System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, string> { ["region"] = region })));
    }

    /// <summary>
    /// A one-line note for the start banner when the console would be opened over plain HTTP from a host that is not
    /// loopback (<paramref name="listen"/> is the endpoint's URL): browsers give such a page no WebCrypto, so it
    /// cannot sign. Null for https:// and for loopback (localhost, 127.x, [::1]), which are secure contexts.
    /// </summary>
    public static string? InsecureContextNote(string listen)
    {
        if (!listen.StartsWith("http://", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }
        string authority = listen["http://".Length..].Split('/')[0];
        string host = authority.StartsWith('[') ? authority[..(authority.IndexOf(']') + 1)] : authority.Split(':')[0];
        bool loopback = host.Equals("localhost", StringComparison.OrdinalIgnoreCase)
            || host.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase)
            || host == "[::1]"
            || (System.Net.IPAddress.TryParse(host, out var address) && System.Net.IPAddress.IsLoopback(address));
        return loopback
            ? null
            : "  note: the console is plain http here: a browser on another host gets no WebCrypto and cannot sign in; serve HTTPS (--tls-cert) or open it on localhost/127.0.0.1";
    }

    /// <summary>The names of the files served (relative to <see cref="Prefix"/>).</summary>
    public IEnumerable<string> Files => _assets.Keys;

    /// <summary>True for the console's own paths (<c>/_objstore/console</c> and everything under it).</summary>
    public static bool Handles(HttpContext context) => context.Request.Path.StartsWithSegments(Prefix, StringComparison.Ordinal);

    /// <summary>
    /// True for what a person typing the endpoint into a browser sends: a navigation (<c>Sec-Fetch-Mode: navigate</c>;
    /// from a browser too old to send Sec-Fetch headers, an Accept that starts <c>text/html,application/xhtml+xml</c>:
    /// <see cref="AcceptsLikeABrowserNavigation"/>) to <c>GET /</c>
    /// of the endpoint itself (not <c>bucket.domain</c>: <paramref name="isVirtualHosted"/> tells), without a query
    /// and without a signature. Anything else is S3's: an HTTP library's default Accept may name text/html too (Java's
    /// <c>HttpURLConnection</c> sends <c>text/html, image/gif, ...</c>), but it is not a navigation.
    /// </summary>
    public static bool IsBrowserAtRoot(HttpContext context, Func<string, bool> isVirtualHosted)
    {
        var request = context.Request;
        if (!HttpMethods.IsGet(request.Method) || request.Path.Value != "/" || request.QueryString.HasValue
            || request.Headers.ContainsKey(HeaderNames.Authorization) || isVirtualHosted(request.Host.Host))
        {
            return false;
        }
        string? mode = request.Headers["Sec-Fetch-Mode"];
        if (mode is not null)
        {
            return mode == "navigate" && request.Headers["Sec-Fetch-Dest"].ToString() is "" or "document";
        }
        return !request.Headers.ContainsKey("Sec-Fetch-Site") && !request.Headers.ContainsKey("Sec-Fetch-Dest")
            && AcceptsLikeABrowserNavigation(request.Headers.Accept.ToString());
    }

    /// <summary>
    /// A navigation's Accept: it starts with <c>text/html</c> and, next, <c>application/xhtml+xml</c>, as every browser
    /// sends it for a page (<c>text/html,application/xhtml+xml,...</c>). Starting with text/html alone is not enough:
    /// Java's <c>HttpURLConnection</c> sends <c>text/html, image/gif, image/jpeg, *; q=.2, */*; q=.2</c> by default.
    /// </summary>
    public static bool AcceptsLikeABrowserNavigation(string accept)
    {
        var ranges = accept.Split(',', 3, StringSplitOptions.TrimEntries);
        return ranges.Length >= 2
            && ranges[0].Equals("text/html", StringComparison.OrdinalIgnoreCase)
            && ranges[1].Split(';')[0].Trim().Equals("application/xhtml+xml", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>Sends the browser at <c>/</c> to the console; the answer depends on the request's Accept (<c>Vary</c>).</summary>
    public static Task RedirectAsync(HttpContext context)
    {
        context.Response.StatusCode = StatusCodes.Status302Found;
        context.Response.Headers.Location = Prefix + "/";
        context.Response.Headers.Vary = "Accept, Sec-Fetch-Mode";
        context.Response.Headers.CacheControl = "no-store";
        return Task.CompletedTask;
    }

    public async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        var response = context.Response;
        response.Headers["Content-Security-Policy"] = ContentSecurityPolicy;
        response.Headers.XContentTypeOptions = "nosniff";
        response.Headers["Referrer-Policy"] = "no-referrer";
        response.Headers["Cross-Origin-Opener-Policy"] = "same-origin";
        response.Headers.XFrameOptions = "DENY";
        string path = request.Path.Value!;
        if (path == Prefix)
        {
            // Relative URLs in the page resolve against the folder: /_objstore/console must become .../console/.
            response.StatusCode = StatusCodes.Status301MovedPermanently;
            response.Headers.Location = Prefix + "/";
            return;
        }
        string name = path[(Prefix.Length + 1)..];
        if (name.Length == 0)
        {
            name = "index.html";
        }
        if (!_assets.TryGetValue(name, out var asset))
        {
            response.StatusCode = StatusCodes.Status404NotFound;
            response.ContentType = "text/plain; charset=utf-8";
            await response.WriteAsync("no such console file\n");
            return;
        }
        if (!HttpMethods.IsGet(request.Method) && !HttpMethods.IsHead(request.Method))
        {
            response.StatusCode = StatusCodes.Status405MethodNotAllowed;
            response.Headers.Allow = "GET, HEAD";
            return;
        }
        response.Headers.ETag = asset.ETag;
        response.Headers.CacheControl = "no-cache";
        if (request.Headers.IfNoneMatch.Any(v => v is not null && v.Split(',').Any(t => t.Trim() == asset.ETag || t.Trim() == "*")))
        {
            response.StatusCode = StatusCodes.Status304NotModified;
            return;
        }
        response.ContentType = asset.ContentType;
        response.ContentLength = asset.Bytes.Length;
        if (HttpMethods.IsGet(request.Method))
        {
            await response.Body.WriteAsync(asset.Bytes, context.RequestAborted);
        }
    }

    private void Add(string name, byte[] bytes)
    {
        string type = ContentTypes.GetValueOrDefault(Path.GetExtension(name), "application/octet-stream");
        _assets[name] = new Asset(bytes, type, $"\"{Convert.ToHexStringLower(SHA256.HashData(bytes))[..32]}\"");
    }

    private sealed record Asset(byte[] Bytes, string ContentType, string ETag);
}
