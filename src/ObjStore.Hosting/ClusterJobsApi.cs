using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using ObjStore.Metadata;
using ObjStore.Core.Jobs;
using ObjStore.Jobs;
using ObjStore.Storage.Remote;

namespace ObjStore.Hosting;

/// <summary>
/// The gateway's side of <see cref="WorkerProtocol"/>: storage nodes claim, renew and finish jobs through it. Every
/// request is signed with the cluster secret over its JSON body, for <see cref="NodeAuth.GatewayTarget"/>, with a
/// nonce this gateway process has not seen (<see cref="ReplayGuard"/>), like all node-to-node traffic.
/// </summary>
public sealed partial class ClusterJobsApi(ICatalogue catalogue, MaintenanceOptions maintenance, string clusterSecret, ILogger<ClusterJobsApi> logger)
{
    private readonly byte[] _key = NodeAuth.Key(clusterSecret);
    private readonly ReplayGuard _guard = new();

    public async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        string path = request.Path.Value ?? "";
        if (!HttpMethods.IsPost(request.Method) || request.ContentLength is null or > WorkerProtocol.MaxBodyBytes)
        {
            context.Response.StatusCode = request.ContentLength > WorkerProtocol.MaxBodyBytes ? 413 : 405;
            return;
        }
        byte[] body = new byte[(int)request.ContentLength.Value];
        await request.Body.ReadExactlyAsync(body, context.RequestAborted);
        string? refused = NodeAuth.Verify(_key, NodeAuth.GatewayTarget, _guard, request.Method, path + request.QueryString.Value,
            request.Headers[NodeAuth.DateHeader], request.Headers[NodeAuth.NonceHeader], request.Headers[NodeAuth.SignatureHeader],
            NodeAuth.BodyMarkerOf(body));
        if (refused is not null)
        {
            LogRefused(logger, path, refused);
            context.Response.StatusCode = StatusCodes.Status403Forbidden;
            return;
        }
        try
        {
            if (path == WorkerProtocol.Claim)
            {
                var worker = JsonSerializer.Deserialize<WorkerInfo>(body) ?? throw new JsonException("empty");
                var job = await catalogue.Jobs.ClaimAsync(worker, maintenance.JobLease, maintenance.WorkerTimeout);
                if (job is null)
                {
                    context.Response.StatusCode = StatusCodes.Status204NoContent;
                    return;
                }
                await context.Response.WriteAsJsonAsync(job);
                return;
            }
            var (jobId, action) = ParseJobPath(path);
            var current = jobId is { } id ? await catalogue.Jobs.GetAsync(id) : null;
            if (current is null)
            {
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                return;
            }
            bool ok;
            switch (action)
            {
                case "renew":
                    var renewal = JsonSerializer.Deserialize<JobRenewal>(body) ?? throw new JsonException("empty");
                    ok = await catalogue.Jobs.RenewAsync(current.Id, renewal.Worker, maintenance.JobLease,
                        new JobProgress(renewal.ItemsDone, renewal.ItemsTotal, renewal.BytesDone, renewal.BytesTotal));
                    if (!ok && current.State == JobStates.Cancelling && current.LeaseOwner == renewal.Worker)
                    {
                        context.Response.StatusCode = StatusCodes.Status410Gone; // cancelled: stop, and finish it
                        return;
                    }
                    break;
                case "finish":
                    var outcome = JsonSerializer.Deserialize<JobOutcome>(body) ?? throw new JsonException("empty");
                    ok = current.LeaseOwner == outcome.Worker && current.State is JobStates.Running or JobStates.Cancelling;
                    if (ok)
                    {
                        if (JobPlacement.StoreOf(current.Target) is { } store && outcome.Corrupt.Count > 0 && current.State == JobStates.Running)
                        {
                            await ScrubFindings.RecordAsync(catalogue, store, outcome.Corrupt);
                        }
                        await catalogue.Jobs.FinishAsync(current.Id, outcome.Worker, outcome.Succeeded, outcome.Error, outcome.Result,
                            JobPlacement.Backoff(current.Attempts));
                    }
                    break;
                default:
                    context.Response.StatusCode = StatusCodes.Status404NotFound;
                    return;
            }
            context.Response.StatusCode = ok ? StatusCodes.Status204NoContent : StatusCodes.Status409Conflict;
        }
        catch (JsonException e)
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            await context.Response.WriteAsync(e.Message);
        }
    }

    /// <summary>"/_objstore/cluster/jobs/{id}/{action}".</summary>
    private static (long? Id, string Action) ParseJobPath(string path)
    {
        var parts = path[WorkerProtocol.Prefix.Length..].Split('/', StringSplitOptions.RemoveEmptyEntries);
        return parts.Length == 2 && long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out long id)
            ? (id, parts[1])
            : (null, "");
    }

    [LoggerMessage(EventId = 3101, Level = LogLevel.Warning, Message = "Refused a cluster job request to {Path}: {Reason}")]
    private static partial void LogRefused(ILogger logger, string path, string reason);
}
