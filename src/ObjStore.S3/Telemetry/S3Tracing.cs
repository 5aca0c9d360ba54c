using System.Diagnostics;
using Microsoft.AspNetCore.Http;
using ObjStore.Core;

namespace ObjStore.S3.Telemetry;

/// <summary>
/// The span of one S3 request (<see cref="Tracing.Source"/>): named after its operation as the metrics label it
/// (<c>PutObject</c>, ...), with the bucket, the key, the HTTP status and the S3 error code as attributes, and never a
/// credential: no header, no query string (presigned URLs' signatures), no access key secret. A client's W3C
/// <c>traceparent</c> makes it a child of the client's span; without one it starts a trace.
/// </summary>
internal static class S3Tracing
{
    public static Activity? Start(HttpContext context)
    {
        if (!Tracing.Enabled)
        {
            return null;
        }
        var headers = context.Request.Headers;
        var span = Tracing.StartServer("S3", headers[Tracing.TraceParentHeader], headers[Tracing.TraceStateHeader], rootIfNone: true);
        if (span is { IsAllDataRequested: true })
        {
            span.SetTag("rpc.system", "aws-api");
            span.SetTag("rpc.service", "S3");
            span.SetTag("http.request.method", context.Request.Method);
        }
        return span;
    }

    public static void End(Activity? span, S3Exchange exchange, int status)
    {
        if (span is null)
        {
            return;
        }
        string operation = S3Metrics.OperationName(exchange.Operation);
        span.DisplayName = operation;
        if (span.IsAllDataRequested)
        {
            span.SetTag("rpc.method", operation);
            span.SetTag("aws.request_id", exchange.RequestId);
            if (exchange.Bucket is { } bucket)
            {
                span.SetTag("aws.s3.bucket", bucket);
            }
            if (exchange.Key is { } key)
            {
                span.SetTag("aws.s3.key", key);
            }
            span.SetTag("http.response.status_code", status);
            if (exchange.ErrorCode is { } code)
            {
                span.SetTag("aws.s3.error_code", code);
                span.SetTag("error.type", code);
            }
        }
        if (status >= 500)
        {
            span.SetStatus(ActivityStatusCode.Error, exchange.ErrorCode);
        }
    }
}
