using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using ObjStore.Access;
using ObjStore.Core;
using ObjStore.Metadata;
using ObjStore.Core.Jobs;
using ObjStore.Jobs;
using ObjStore.S3;
using ObjStore.S3.Auth;
using ObjStore.S3.Protocol;

namespace ObjStore.Hosting;

/// <summary>
/// The admin API, signed with SigV4 like S3 requests (the same credentials), JSON in and out:
/// <code>
/// GET  /_objstore/admin/status                      stores (health, disk), job workers and their load, degraded shards, job counts
/// GET  /_objstore/admin/info                        version, uptime, mode, nodes, stores, buckets, objects, bytes, heal backlog, jobs (<see cref="AdminInfo"/>)
/// GET  /_objstore/admin/jobs                        the latest jobs with progress
/// GET  /_objstore/admin/jobs/{id}
/// POST /_objstore/admin/jobs?kind=heal|scrub|gc|rebuild-metadata|backup|drain|rebalance[&amp;target=...]   queue a job; 201 with the job
///      targets: heal "degraded", "*", "bucket[/prefix]" or "store:ID"; scrub "*" or "store:ID"; drain "ID"
/// POST /_objstore/admin/jobs/{id}/cancel           a queued job fails at once ("cancelled"); a running one is "cancelling" until its worker,
///                                                  told by its next renewal (about a second), stops, or its lease expires: then failed.
///                                                  A drain cannot be cancelled (409): its store would stay draining.
/// POST /_objstore/admin/jobs/{id}/retry            a failed job whose lease has ended is queued again with its attempts reset, resuming at
///                                                  its checkpoint; 409 while a job of the same kind and target is queued, running or cancelling
/// /users..., /keys...                               users, access keys and identity policies (<see cref="IdentityAdminApi"/>)
/// /kms/...                                          SSE-KMS keys and master key rotation (<see cref="KeysAdminApi"/>)
/// GET|PUT|DELETE /buckets/NAME/compression          a bucket's compression settings (JSON, <see cref="CompressionSettings"/>)
/// </code>
/// Only the root user may call it.
/// </summary>
public sealed class AdminApi(
    Authenticator authenticator, ICatalogue catalogue, IReadOnlyList<IShardStore> stores, MaintenanceOptions maintenance, IEnumerable<IBackgroundJob> jobs,
    IdentityAdminApi identities, KeysAdminApi keys, AdminInfo? info = null)
{
    /// <summary>The kinds a job may be queued as: the ones this gateway's worker can run.</summary>
    private readonly string[] _kinds = [.. jobs.Select(j => j.Kind).Order(StringComparer.Ordinal)];

    public const string Prefix = "/_objstore/admin";

    public async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        string path = request.Path.Value ?? "";
        try
        {
            var query = S3Request.ParseQuery(request.QueryString.HasValue ? request.QueryString.Value![1..] : "");
            var auth = authenticator.Authenticate(request, path, query);
            if (auth.Principal.Kind != PrincipalKind.Root)
            {
                // The admin API is the root user's alone: users are limited by policies, which cover S3 only.
                await ErrorAsync(context, 403, auth.Principal.IsAnonymous
                    ? "AccessDenied: sign admin requests with the root key"
                    : "AccessDenied: only the root user may use the admin API");
                return;
            }
            string Query(string name) => query.FirstOrDefault(p => p.Key == name).Value ?? "";
            string route = path[Prefix.Length..];
            if (IdentityAdminApi.Handles(route))
            {
                await identities.HandleAsync(context, route, Query, auth.PayloadHash);
                return;
            }
            if (KeysAdminApi.Handles(route))
            {
                await keys.HandleAsync(context, route, Query);
                return;
            }
            if (route.Split('/') is ["", "buckets", var bucket, "compression"])
            {
                await CompressionAsync(context, bucket, auth.PayloadHash);
                return;
            }
            switch (request.Method, route)
            {
                case ("GET", "/status"):
                    await StatusAsync(context);
                    break;
                case ("GET", "/info") when info is not null:
                    await info.WriteAsync(context);
                    break;
                case ("GET", "/jobs"):
                    await context.Response.WriteAsJsonAsync(await catalogue.Jobs.ListAsync(100));
                    break;
                case ("POST", var jobPath) when jobPath.Split('/') is ["", "jobs", var idText, "cancel" or "retry"]:
                    await CancelOrRetryAsync(context, idText, cancel: jobPath.EndsWith("/cancel", StringComparison.Ordinal));
                    break;
                case ("GET", var jobPath) when jobPath.StartsWith("/jobs/", StringComparison.Ordinal):
                    var job = long.TryParse(jobPath[6..], NumberStyles.None, CultureInfo.InvariantCulture, out long id) ? await catalogue.Jobs.GetAsync(id) : null;
                    await (job is null ? ErrorAsync(context, 404, "no such job") : context.Response.WriteAsJsonAsync(job));
                    break;
                case ("POST", "/jobs"):
                    string kind = Query("kind");
                    if (!_kinds.Contains(kind))
                    {
                        await ErrorAsync(context, 400, "kind must be one of " + string.Join(", ", _kinds));
                        break;
                    }
                    string target = Query("target") is { Length: > 0 } t ? t : "*";
                    if (TargetProblem(kind, target) is { } problem)
                    {
                        await ErrorAsync(context, 400, problem);
                        break;
                    }
                    long jobId = await catalogue.Jobs.EnqueueAsync(kind, target, priority: 20);
                    context.Response.StatusCode = StatusCodes.Status201Created;
                    await context.Response.WriteAsJsonAsync(await catalogue.Jobs.GetAsync(jobId));
                    break;
                default:
                    await ErrorAsync(context, 404, "no such admin resource");
                    break;
            }
        }
        catch (S3Exception e)
        {
            await ErrorAsync(context, e.Error.Status, e.Error.Code + ": " + e.Message);
        }
    }

    /// <summary>The error a cancelled job records.</summary>
    public const string CancelledMessage = "cancelled through the admin API";

    /// <summary>
    /// Cancels a queued or running job, or queues a failed one again: 200 with the job, 404 for no such job, 409 when
    /// its state does not allow it (a finished job cannot be cancelled, only a failed one retried).
    /// </summary>
    private async Task CancelOrRetryAsync(HttpContext context, string idText, bool cancel)
    {
        if (!long.TryParse(idText, NumberStyles.None, CultureInfo.InvariantCulture, out long id) || await catalogue.Jobs.GetAsync(id) is not { } job)
        {
            await ErrorAsync(context, 404, "no such job");
            return;
        }
        if (cancel && job.Kind == JobKinds.Drain)
        {
            // A drain marks its store draining (no new shards) as it starts; a cancelled one would leave it so.
            await ErrorAsync(context, 409, $"job {id} is a drain: a drain cannot be cancelled (its store would stay draining)");
            return;
        }
        bool changed = cancel ? await catalogue.Jobs.CancelAsync(id, CancelledMessage) : await catalogue.Jobs.RetryAsync(id);
        if (!changed)
        {
            var now = await catalogue.Jobs.GetAsync(id) ?? job;
            string message = cancel
                ? $"job {id} is {now.State}: only a queued or running job can be cancelled"
                : now.State != JobStates.Failed
                    ? $"job {id} is {now.State}: only a failed job can be retried"
                    : $"job {id} cannot be retried while a {now.Kind} of {now.Target} is queued or running, or its last run's lease has not ended";
            await ErrorAsync(context, 409, message);
            return;
        }
        await context.Response.WriteAsJsonAsync(await catalogue.Jobs.GetAsync(id));
    }

    /// <summary>A bucket's compression settings: GET (404 when off), PUT a JSON document, DELETE to turn compression off.</summary>
    private async Task CompressionAsync(HttpContext context, string bucket, string payloadHash)
    {
        var info = await catalogue.Buckets.GetAsync(bucket);
        if (info is null)
        {
            await ErrorAsync(context, 404, $"no bucket {bucket}");
            return;
        }
        switch (context.Request.Method)
        {
            case "GET" when info.Configs.TryGetValue(BucketConfigKinds.Compression, out var document):
                context.Response.ContentType = "application/json";
                await context.Response.WriteAsync(document);
                return;
            case "GET":
                await ErrorAsync(context, 404, $"bucket {bucket} is not compressed");
                return;
            case "PUT":
                if (await ReadSignedBodyAsync(context, payloadHash, 64 << 10, "compression settings are at most 64 KB") is not { } body)
                {
                    return;
                }
                CompressionSettings settings;
                try
                {
                    settings = CompressionSettings.Parse(body);
                }
                catch (ArgumentException e)
                {
                    await ErrorAsync(context, 400, e.Message);
                    return;
                }
                await catalogue.Buckets.PutConfigAsync(bucket, BucketConfigKinds.Compression, settings.ToJson());
                await context.Response.WriteAsJsonAsync(settings);
                return;
            case "DELETE":
                await catalogue.Buckets.DeleteConfigAsync(bucket, BucketConfigKinds.Compression);
                context.Response.StatusCode = 204;
                return;
            default:
                await ErrorAsync(context, 405, "GET, PUT or DELETE");
                return;
        }
    }

    private string? TargetProblem(string kind, string target)
    {
        string known = string.Join(", ", stores.Select(s => s.Id));
        string? store = JobPlacement.StoreOf(target);
        return kind switch
        {
            JobKinds.Drain when !stores.Any(s => s.Id == target) => $"drain needs target=STORE, one of {known}",
            JobKinds.Scrub when target != "*" && store is null => "scrub targets \"*\" or \"store:ID\"",
            JobKinds.Lifecycle when JobPlacement.BucketOf(target) is null => "lifecycle targets \"bucket:NAME\"",
            JobKinds.Heal or JobKinds.Scrub when store is not null && !stores.Any(s => s.Id == store) => $"no store '{store}'; stores are {known}",
            _ => null,
        };
    }

    private async Task StatusAsync(HttpContext context)
    {
        var health = await Task.WhenAll(stores.Select(async store =>
        {
            // latencyMs: how long this health probe took (the console shows it beside each store).
            long started = Stopwatch.GetTimestamp();
            try
            {
                var h = await store.GetHealthAsync(context.RequestAborted);
                return new { id = store.Id, ready = h.Ready, freeBytes = h.FreeBytes, totalBytes = h.TotalBytes, latencyMs = LatencyMs(started) };
            }
            catch (Exception e) when (e is IOException or TimeoutException)
            {
                return new { id = store.Id, ready = false, freeBytes = 0L, totalBytes = 0L, latencyMs = LatencyMs(started) };
            }
        }));
        var jobs = await catalogue.Jobs.ListAsync(1000);
        await context.Response.WriteAsJsonAsync(new
        {
            stores = health,
            workers = (await catalogue.Jobs.ListWorkersAsync(maintenance.WorkerTimeout)).Select(w => new
            {
                id = w.Worker.Id,
                kinds = w.Worker.Kinds,
                holds = w.Worker.Holds,
                running = w.Running,
                queued = w.Queued,
                ioBytesPerSecond = w.Worker.IoBytesPerSecond,
                diskFreeRatio = w.Worker.DiskFreeRatio,
                load = JobPlacement.Load(w),
                heartbeat = w.Heartbeat,
            }),
            degradedShards = await catalogue.Shards.CountDegradedAsync(),
            jobs = new
            {
                queued = jobs.Count(j => j.State == JobStates.Queued),
                running = jobs.Count(j => j.State == JobStates.Running),
                cancelling = jobs.Count(j => j.State == JobStates.Cancelling),
                failed = jobs.Count(j => j.State == JobStates.Failed),
            },
        });
    }

    private static double LatencyMs(long started) => Math.Round(Stopwatch.GetElapsedTime(started).TotalMilliseconds, 2);

    /// <summary>
    /// A small request body as text, checked against the SHA-256 the request signed (when it signed one); null when it
    /// is too long or not the signed one (the error is written).
    /// </summary>
    internal static async Task<string?> ReadSignedBodyAsync(HttpContext context, string payloadHash, int maxBytes, string tooLong)
    {
        using var reader = new StreamReader(context.Request.Body, Encoding.UTF8);
        var buffer = new char[maxBytes + 1];
        int read = await reader.ReadBlockAsync(buffer, context.RequestAborted);
        if (read > maxBytes)
        {
            await ErrorAsync(context, 400, tooLong);
            return null;
        }
        string text = new(buffer, 0, read);
        if (payloadHash.Length == 64 && payloadHash != Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text))))
        {
            await ErrorAsync(context, 400, "XAmzContentSHA256Mismatch: the body is not the one signed");
            return null;
        }
        return text;
    }

    /// <summary>The admin API's error answer: the status and {"error": message}.</summary>
    internal static async Task ErrorAsync(HttpContext context, int status, string message)
    {
        context.Response.StatusCode = status;
        await context.Response.WriteAsJsonAsync(new { error = message });
    }
}
