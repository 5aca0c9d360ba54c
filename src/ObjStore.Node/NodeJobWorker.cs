using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using ObjStore.Core;
using ObjStore.Core.Jobs;
using ObjStore.Storage.Format;
using ObjStore.Storage;
using ObjStore.Storage.Remote;

namespace ObjStore.Node;

/// <summary>
/// A storage node's job worker: it asks the gateway for work (<see cref="WorkerProtocol"/>) and runs the jobs that are
/// best done where the data is: a scrub of its own store, reading every shard from local disk and checking it against
/// its own footer, so not a byte crosses the network. The scheduler prefers it for its store's scrub; if the node
/// dies mid-job the lease expires and the job goes to another worker (the gateway, which scrubs over the network).
/// </summary>
public sealed partial class NodeJobWorker(LocalShardStore store, NodeOptions options, HttpClient http, ILogger logger)
{
    private readonly byte[] _key = NodeAuth.Key(options.ClusterSecret);
    private readonly byte[] _shardKey = ShardDigest.KeyFromClusterSecret(options.ClusterSecret);
    private readonly IoMeter _io = new();

    /// <summary>Jobs whose renewal answered 410: cancelled, to be finished (failed) rather than left to their lease.</summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<long, bool> _cancelled = new();
    private readonly TimeProvider _clock = TimeProvider.System;
    private DateTimeOffset _lastRefusal = DateTimeOffset.MinValue;
    private readonly Uri _gateway = new(options.Gateway ?? throw new ArgumentException("A node runs jobs only with a gateway URL."));

    public string WorkerId => "node:" + options.NodeId;

    public async Task RunAsync(CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                var health = await store.GetHealthAsync(stopping);
                var me = new WorkerInfo(WorkerId, [JobKinds.Scrub], options.NodeId, _io.BytesPerSecond,
                    health.TotalBytes > 0 ? (double)health.FreeBytes / health.TotalBytes : null);
                using var response = await PostAsync(WorkerProtocol.Claim, me, stopping);
                if (response.StatusCode == HttpStatusCode.OK && await response.Content.ReadFromJsonAsync<JobInfo>(stopping) is { } job)
                {
                    await RunJobAsync(job, stopping);
                    continue;
                }
                if (response.StatusCode == HttpStatusCode.Forbidden && _clock.GetUtcNow() - _lastRefusal > TimeSpan.FromMinutes(1))
                {
                    _lastRefusal = _clock.GetUtcNow();
                    LogRefusedByGateway(logger, _gateway.ToString()); // a different cluster secret: say so, but not every second
                }
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is HttpRequestException or IOException or JsonException or OperationCanceledException)
            {
                LogGatewayUnreachable(logger, e.Message); // the gateway is down or restarting: ask again later
            }
            try
            {
                await Task.Delay(options.JobPollInterval, stopping);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task RunJobAsync(JobInfo job, CancellationToken stopping)
    {
        LogJobStarted(logger, job.Id, job.Kind, job.Target);
        using var lost = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        var progress = new JobCounters(_io);
        using var stopRenewing = new CancellationTokenSource();
        var renewing = RenewAsync(job.Id, progress, lost, stopRenewing.Token);
        JobOutcome outcome;
        try
        {
            if (job.Kind != JobKinds.Scrub || JobPlacement.StoreOf(job.Target) != options.NodeId)
            {
                throw new InvalidOperationException($"node {options.NodeId} cannot run {job.Kind} {job.Target}");
            }
            var corrupt = await ScrubAsync(progress, lost.Token);
            var result = new { target = job.Target, shards = progress.ItemsDone, bytes = progress.BytesDone, bad = corrupt.Count };
            outcome = new JobOutcome(WorkerId, true, null, JsonSerializer.Serialize(result), corrupt);
        }
        catch (Exception e) when (!lost.IsCancellationRequested)
        {
            outcome = new JobOutcome(WorkerId, false, e.Message, null, []);
        }
        catch (OperationCanceledException) when (!stopping.IsCancellationRequested && _cancelled.ContainsKey(job.Id))
        {
            outcome = new JobOutcome(WorkerId, false, "cancelled", null, []);
        }
        finally
        {
            await stopRenewing.CancelAsync();
            await renewing;
        }
        if (_cancelled.TryRemove(job.Id, out _))
        {
            // Cancelled through the admin API (the renewal answered 410): finishing it makes it failed at once.
            using var finished = await PostAsync(WorkerProtocol.Finish(job.Id), outcome with { Succeeded = false, Error = "cancelled", Corrupt = [] }, stopping);
            LogJobFinished(logger, job.Id, job.Kind, "cancelled", (int)finished.StatusCode);
            return;
        }
        if (lost.IsCancellationRequested)
        {
            return; // stopping, or the lease went to another worker: the outcome is not ours to report
        }
        await SendRenewalAsync(job.Id, progress, stopping);
        using var response = await PostAsync(WorkerProtocol.Finish(job.Id), outcome, stopping);
        LogJobFinished(logger, job.Id, job.Kind, outcome.Succeeded ? "succeeded" : "failed: " + outcome.Error, (int)response.StatusCode);
    }

    /// <summary>Every committed shard on this node: its footer, its length against the footer's layout, every block, the keyed digest.</summary>
    /// <returns>The bad shards; how many were checked is in <paramref name="progress"/>.</returns>
    private async Task<List<CorruptShard>> ScrubAsync(JobCounters progress, CancellationToken ct)
    {
        long total = 0, totalBytes = 0;
        await foreach (var entry in store.ListAsync(ct))
        {
            total++;
            totalBytes += entry.Length;
        }
        progress.SetTotal(total, totalBytes);
        var budget = new IoBudget(options.ScrubBytesPerSecond, options.ScrubOpsPerSecond);
        var corrupt = new List<CorruptShard>();
        await foreach (var entry in store.ListAsync(ct))
        {
            string? problem;
            try
            {
                await using var reader = store.Open(entry.ShardId);
                problem = await ShardVerifier.VerifyAsync(reader, entry.ShardId, reader.Length, _shardKey, budget, ct);
            }
            catch (ShardNotFoundException)
            {
                continue; // deleted since the listing (an overwrite, GC): nothing to check
            }
            catch (ShardFormatException)
            {
                continue; // written by a newer build: not this one's to judge
            }
            catch (IOException e)
            {
                problem = "unreadable: " + e.Message;
            }
            if (problem is not null)
            {
                corrupt.Add(new CorruptShard(entry.ShardId, problem));
                LogCorrupt(logger, entry.ShardId, problem);
            }
            progress.Advance(1, entry.Length);
        }
        return corrupt;
    }

    private async Task RenewAsync(long jobId, JobCounters progress, CancellationTokenSource lost, CancellationToken stop)
    {
        try
        {
            while (true)
            {
                await Task.Delay(options.RenewInterval, stop);
                var renewed = await SendRenewalAsync(jobId, progress, stop);
                if (renewed == HttpStatusCode.Gone)
                {
                    _cancelled[jobId] = true;
                }
                if (renewed is HttpStatusCode.Conflict or HttpStatusCode.Gone)
                {
                    await lost.CancelAsync();
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (Exception e) when (e is HttpRequestException or IOException)
        {
            // The gateway is unreachable: the lease runs out there and the job goes elsewhere; stop working on it.
            LogGatewayUnreachable(logger, e.Message);
            await lost.CancelAsync();
        }
    }

    /// <summary>The gateway's answer: 409 when the lease is no longer this worker's, 410 when the job was cancelled.</summary>
    private async Task<HttpStatusCode> SendRenewalAsync(long jobId, JobCounters progress, CancellationToken ct)
    {
        using var response = await PostAsync(WorkerProtocol.Renew(jobId),
            new JobRenewal(WorkerId, progress.ItemsDone, progress.ItemsTotal, progress.BytesDone, progress.BytesTotal), ct);
        return response.StatusCode;
    }

    private async Task<HttpResponseMessage> PostAsync<T>(string path, T body, CancellationToken ct)
    {
        byte[] json = JsonSerializer.SerializeToUtf8Bytes(body);
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(_gateway, path)) { Content = new ByteArrayContent(json) };
        request.Content.Headers.ContentType = new("application/json");
        NodeAuth.Sign(request, _key, _clock, NodeAuth.GatewayTarget, NodeAuth.BodyMarkerOf(json));
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        return await http.SendAsync(request, timeout.Token);
    }

    [LoggerMessage(EventId = 5101, Level = LogLevel.Information, Message = "Job {Id} ({Kind} {Target}) started")]
    private static partial void LogJobStarted(ILogger logger, long id, string kind, string target);

    [LoggerMessage(EventId = 5102, Level = LogLevel.Information, Message = "Job {Id} ({Kind}) {State}; the gateway answered {Status}")]
    private static partial void LogJobFinished(ILogger logger, long id, string kind, string state, int status);

    [LoggerMessage(EventId = 5103, Level = LogLevel.Warning, Message = "Scrub found shard {ShardId} bad: {Problem}")]
    private static partial void LogCorrupt(ILogger logger, string shardId, string problem);

    [LoggerMessage(EventId = 5105, Level = LogLevel.Warning, Message = "The gateway {Gateway} refuses this node's job requests: is the cluster secret the same?")]
    private static partial void LogRefusedByGateway(ILogger logger, string gateway);

    [LoggerMessage(EventId = 5104, Level = LogLevel.Debug, Message = "The gateway's job API is unreachable: {Reason}")]
    private static partial void LogGatewayUnreachable(ILogger logger, string reason);
}
