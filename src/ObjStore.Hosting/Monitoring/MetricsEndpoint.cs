using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using ObjStore.Access;
using ObjStore.S3;
using ObjStore.S3.Auth;
using ObjStore.S3.Protocol;

namespace ObjStore.Hosting.Monitoring;

/// <summary>
/// Prometheus scrapes: <see cref="MetricsOptions.S3PortPath"/> on the S3 port (signed by the root user unless
/// <see cref="MetricsOptions.Anonymous"/>), <see cref="MetricsOptions.ListenerPath"/> on the separate listener (never
/// signed). The text itself is the OpenTelemetry Prometheus exporter's; this only decides who gets it and refreshes the
/// cluster's gauges first.
/// </summary>
public sealed class MetricsEndpoint(MetricsOptions options, Authenticator authenticator, ClusterMetrics cluster)
{
    private readonly int _listenerPort = options.ListenerPort;

    /// <summary>True for a connection to the separate metrics listener.</summary>
    public bool OnListener(HttpContext context) => _listenerPort != 0 && context.Connection.LocalPort == _listenerPort;

    public bool IsScrape(HttpContext context) =>
        (HttpMethods.IsGet(context.Request.Method) || HttpMethods.IsHead(context.Request.Method))
        && context.Request.Path.Value == (OnListener(context) ? MetricsOptions.ListenerPath : MetricsOptions.S3PortPath);

    /// <summary>The exporter's branch, with the signature check and the gauges' refresh in front of it.</summary>
    public void Map(WebApplication app) =>
        app.UseOpenTelemetryPrometheusScrapingEndpoint(meterProvider: null, predicate: IsScrape, path: null,
            configureBranchedPipeline: branch => branch.Use(async (context, next) =>
            {
                if (!OnListener(context) && !options.Anonymous && await RefusedAsync(context))
                {
                    return;
                }
                await cluster.RefreshAsync(context.RequestAborted);
                await next(context);
            }), optionsName: null);

    /// <summary>Answers 403 (or the signature's error) unless the root user signed the request, as the admin API does.</summary>
    private async Task<bool> RefusedAsync(HttpContext context)
    {
        string reason;
        int status = StatusCodes.Status403Forbidden;
        try
        {
            var query = S3Request.ParseQuery(context.Request.QueryString.HasValue ? context.Request.QueryString.Value![1..] : "");
            var auth = authenticator.Authenticate(context.Request, context.Request.Path.Value!, query);
            if (auth.Principal.Kind == PrincipalKind.Root)
            {
                return false;
            }
            reason = auth.Principal.IsAnonymous
                ? "AccessDenied: sign metrics requests with the root key, or set ObjStore:Metrics:Anonymous or ObjStore:Metrics:Listen"
                : "AccessDenied: only the root user may read the metrics";
        }
        catch (S3Exception e)
        {
            status = e.Error.Status;
            reason = e.Error.Code + ": " + e.Message;
        }
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/plain; charset=utf-8";
        await context.Response.WriteAsync(reason + "\n", context.RequestAborted);
        return true;
    }
}
