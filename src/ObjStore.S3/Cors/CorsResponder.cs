using Microsoft.AspNetCore.Http;
using ObjStore.Core;
using ObjStore.S3.Access;

namespace ObjStore.S3.Cors;

/// <summary>
/// CORS as browsers meet it: the preflight OPTIONS (answered before, and without, authentication: browsers never
/// sign it) and the Access-Control-* headers of actual requests, read from the bucket's cached settings.
/// </summary>
internal sealed class CorsResponder(BucketSettingsCache settings)
{
    private const string Vary = "Origin, Access-Control-Request-Headers, Access-Control-Request-Method";

    private static readonly S3Error NotEnabled = S3Error.AccessForbidden with { Message = "CORSResponse: CORS is not enabled for this bucket." };

    /// <summary>S3's wording, its misspelling included: clients and tests compare it.</summary>
    private static readonly S3Error NotAllowed = S3Error.AccessForbidden with
    {
        Message = "CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request method / "
            + "Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource's CORS spec.",
    };

    public static CorsConfiguration Parse(string document) => CorsConfiguration.FromStored(document);

    /// <summary>
    /// Adds the headers of the first rule matching the request's Origin and method, if any. They are set as the
    /// response starts, so an error answer (which clears the response first) carries them too: a browser shows the
    /// script a 404 only when CORS allows it to.
    /// </summary>
    public async ValueTask ApplyAsync(HttpContext context, string? bucket, CancellationToken ct)
    {
        string origin = context.Request.Headers.Origin.ToString();
        if (bucket is null || origin.Length == 0
            || await settings.GetAsync(bucket, ct) is not { } found
            || found.Parsed(BucketConfigKinds.Cors, Parse) is not { } configuration)
        {
            return;
        }
        var match = configuration.Match(origin, context.Request.Method, []);
        var response = context.Response;
        response.OnStarting(() =>
        {
            // Vary even without a match: a cache must not serve this header-less answer to an origin that is allowed.
            response.Headers.Vary = Vary;
            if (match is (var rule, var pattern))
            {
                WriteAllowed(response, origin, rule, pattern);
            }
            return Task.CompletedTask;
        });
    }

    /// <summary>
    /// The answer to an OPTIONS on a bucket or object. Throws the error S3 answers when the request is incomplete,
    /// the bucket has no CORS configuration, or no rule allows it.
    /// </summary>
    public async Task PreflightAsync(HttpContext context, string bucket, CancellationToken ct)
    {
        var request = context.Request;
        string origin = request.Headers.Origin.ToString();
        if (origin.Length == 0)
        {
            throw new S3Exception(S3Error.BadRequest, "Insufficient information. Origin request header needed.");
        }
        string method = request.Headers.AccessControlRequestMethod.ToString();
        if (!CorsConfiguration.IsSupportedMethod(method))
        {
            throw new S3Exception(S3Error.BadRequest, "Invalid Access-Control-Request-Method: " + (method.Length == 0 ? "null" : method));
        }
        var found = await settings.GetAsync(bucket, ct) ?? throw new S3Exception(S3Error.NoSuchBucket);
        var configuration = found.Parsed(BucketConfigKinds.Cors, Parse) ?? throw new S3Exception(NotEnabled);
        var headers = RequestedHeaders(request.Headers.AccessControlRequestHeaders.ToString());
        if (configuration.Match(origin, method, headers) is not (var rule, var pattern))
        {
            throw new S3Exception(NotAllowed);
        }
        var response = context.Response;
        response.Headers.Vary = Vary;
        WriteAllowed(response, origin, rule, pattern);
        if (headers.Count > 0)
        {
            response.Headers.AccessControlAllowHeaders = string.Join(", ", headers);
        }
        response.ContentLength = 0;
    }

    /// <summary>Access-Control-Request-Headers as a list: comma-separated, blanks between commas ignored.</summary>
    public static IReadOnlyList<string> RequestedHeaders(string value) =>
        value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);

    /// <summary>
    /// "*" only when the origin was allowed by the rule's bare "*": then the answer is the same for everyone and no
    /// credentials may go with it. Any narrower pattern echoes the origin, credentials allowed.
    /// </summary>
    private static void WriteAllowed(HttpResponse response, string origin, CorsRule rule, string pattern)
    {
        var headers = response.Headers;
        bool anyone = pattern == "*";
        headers.AccessControlAllowOrigin = anyone ? "*" : origin;
        if (!anyone)
        {
            headers.AccessControlAllowCredentials = "true";
        }
        headers.AccessControlAllowMethods = string.Join(", ", rule.AllowedMethods);
        if (rule.ExposeHeaders.Count > 0)
        {
            headers.AccessControlExposeHeaders = string.Join(", ", rule.ExposeHeaders);
        }
        if (rule.MaxAgeSeconds is { } maxAge)
        {
            headers.AccessControlMaxAge = maxAge.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
    }
}
