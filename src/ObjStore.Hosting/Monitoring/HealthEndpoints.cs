using System.Globalization;
using Microsoft.AspNetCore.Http;
using ObjStore.Core;
using ObjStore.Objects;

namespace ObjStore.Hosting.Monitoring;

/// <summary>
/// The probes load balancers and orchestrators call, unsigned, GET or HEAD; 200 when the condition holds, else 503.
/// <code>
/// /_objstore/health/live       the process answers
/// /_objstore/health/ready      enough stores up for a write quorum (reads and deletes work)          JSON of every store
/// /_objstore/health/writable   and enough of them with room above the reserve (new objects can be written)  JSON
/// /minio/health/live           as live, for probes written for MinIO
/// /minio/health/ready          as ready
/// /minio/health/cluster        as writable; X-Minio-Write-Quorum and X-ObjStore-Stores-Up say how close it is
/// /minio/health/cluster/read   at least K stores up (objects can be read)
/// </code>
/// Underscores are not allowed in bucket names, so /_objstore paths shadow no bucket. The /minio ones do shadow four
/// keys of a bucket named "minio" in path-style requests (GET or HEAD of health/live, health/ready, health/cluster
/// and health/cluster/read): MinIO reserves them the same way, and every other key and request of such a bucket, and
/// every virtual-hosted request, is S3's.
/// </summary>
public sealed class HealthEndpoints(IObjectLayer objects, ObjectLayerOptions layout)
{
    private static readonly System.Text.Json.JsonSerializerOptions Json = new(System.Text.Json.JsonSerializerDefaults.Web);

    public static bool Handles(HttpContext context)
    {
        string path = context.Request.Path.Value ?? "";
        return context.Request.Path.StartsWithSegments("/_objstore/health", StringComparison.Ordinal)
            || (path is "/minio/health/live" or "/minio/health/ready" or "/minio/health/cluster" or "/minio/health/cluster/read"
                && (HttpMethods.IsGet(context.Request.Method) || HttpMethods.IsHead(context.Request.Method)));
    }

    public async Task HandleAsync(HttpContext context)
    {
        string path = context.Request.Path.Value!;
        bool head = HttpMethods.IsHead(context.Request.Method);
        context.Response.Headers.CacheControl = "no-store";
        switch (path)
        {
            case "/_objstore/health/live":
                if (!head)
                {
                    await context.Response.WriteAsync("ok\n");
                }
                break;
            case "/minio/health/live":
                break;
            case "/_objstore/health/ready" or "/_objstore/health/writable":
                // Each store's state and free space, so a full disk shows here rather than as failing PUTs only.
                var readiness = await objects.GetReadinessAsync(context.RequestAborted);
                bool ok = path.EndsWith("/ready", StringComparison.Ordinal) ? readiness.Ready : readiness.Writable;
                context.Response.StatusCode = ok ? 200 : 503;
                if (!head)
                {
                    await context.Response.WriteAsJsonAsync(readiness, Json, context.RequestAborted);
                }
                break;
            case "/minio/health/ready" or "/minio/health/cluster" or "/minio/health/cluster/read":
                var state = await objects.GetReadinessAsync(context.RequestAborted);
                int up = state.Stores.Count(s => s.Up);
                context.Response.StatusCode = path switch
                {
                    "/minio/health/ready" => state.Ready,
                    "/minio/health/cluster" => state.Writable,
                    _ => up >= layout.DataShards,
                } ? 200 : 503;
                context.Response.Headers["X-Minio-Write-Quorum"] = layout.EffectiveWriteQuorum.ToString(CultureInfo.InvariantCulture);
                context.Response.Headers["X-Minio-Read-Quorum"] = layout.DataShards.ToString(CultureInfo.InvariantCulture);
                context.Response.Headers["X-ObjStore-Stores-Up"] = up.ToString(CultureInfo.InvariantCulture);
                break;
            default:
                context.Response.StatusCode = 404;
                break;
        }
    }
}
