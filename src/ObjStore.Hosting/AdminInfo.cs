using System.Reflection;
using Microsoft.AspNetCore.Http;
using ObjStore.Core;
using ObjStore.Core.Jobs;
using ObjStore.Metadata;
using ObjStore.Storage.Remote;

namespace ObjStore.Hosting;

/// <summary>
/// <c>GET /_objstore/admin/info</c>, what `objstore admin info` prints (like <c>mc admin info</c>): the server's
/// version, uptime and mode; its nodes (gateway) and shard stores with their state and disk space; buckets, objects,
/// bytes as clients see them and raw bytes on the stores; the heal backlog; the running jobs.
/// </summary>
public sealed class AdminInfo(ICatalogue catalogue, IReadOnlyList<IShardStore> stores, StoreMode mode, string erasure, TimeProvider clock)
{
    private readonly DateTimeOffset _started = clock.GetUtcNow();

    /// <summary>This build's informational version (the SDK appends the git commit).</summary>
    public static string Version { get; } = typeof(AdminInfo).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";

    public async Task WriteAsync(HttpContext context) => await context.Response.WriteAsJsonAsync(await ReportAsync(context.RequestAborted));

    public async Task<AdminInfoReport> ReportAsync(CancellationToken cancellationToken)
    {
        var states = await catalogue.Stores.StatesAsync();
        var storeReports = await Task.WhenAll(stores.Select(async store =>
        {
            StoreHealth health;
            try
            {
                health = await store.GetHealthAsync(cancellationToken);
            }
            catch (Exception e) when (e is IOException or TimeoutException or UnauthorizedAccessException)
            {
                health = new StoreHealth(false, 0, 0);
            }
            string state = states.TryGetValue(store.Id, out var drain) && drain is StoreStates.Draining or StoreStates.Drained ? drain
                : health.Ready ? "up" : "down";
            return new AdminInfoStore(store.Id, (store as RemoteShardStore)?.BaseUri.ToString(), state, health.Ready,
                health.TotalBytes > 0 ? health.TotalBytes - health.FreeBytes : 0, health.FreeBytes, health.TotalBytes);
        }));
        var usage = await catalogue.MeasureUsageAsync();
        var jobs = await catalogue.Jobs.ListAsync(1000);
        var now = clock.GetUtcNow();
        return new AdminInfoReport(
            Version,
            mode == StoreMode.Gateway ? "gateway" : "dev",
            erasure,
            _started,
            (long)(now - _started).TotalSeconds,
            mode == StoreMode.Gateway ? storeReports.Count(s => s.Online) : null,
            mode == StoreMode.Gateway ? storeReports.Count(s => !s.Online) : null,
            storeReports,
            usage.Buckets,
            usage.Objects,
            usage.ObjectBytes,
            usage.Versions,
            usage.VersionBytes,
            usage.RawBytes,
            await catalogue.Shards.CountDegradedAsync(),
            new AdminInfoJobs(
                jobs.Count(j => j.State == JobStates.Queued),
                jobs.Count(j => j.State == JobStates.Running),
                jobs.Count(j => j.State == JobStates.Failed),
                [.. jobs.Where(j => j.State == JobStates.Running)]));
    }
}

/// <summary>One shard store: a node of the gateway (with its URL) or a folder of dev mode. State: up, down, draining, drained.</summary>
public sealed record AdminInfoStore(string Id, string? Url, string State, bool Online, long UsedBytes, long FreeBytes, long TotalBytes);

public sealed record AdminInfoJobs(int Queued, int Running, int Failed, IReadOnlyList<JobInfo> RunningJobs);

/// <summary>
/// The answer of <c>/info</c>. NodesUp/NodesDown: gateway only (dev mode's stores are folders of one process).
/// ObjectBytes: the latest versions' sizes as clients see them; RawBytes: data and parity blocks on the stores.
/// </summary>
public sealed record AdminInfoReport(
    string Version, string Mode, string Erasure, DateTimeOffset Started, long UptimeSeconds, int? NodesUp, int? NodesDown,
    IReadOnlyList<AdminInfoStore> Stores, long Buckets, long Objects, long ObjectBytes, long Versions, long VersionBytes, long RawBytes,
    long HealBacklog, AdminInfoJobs Jobs);
