using System.Text.Json;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using ObjStore.Core.Jobs;
using ObjStore.Metadata;

namespace ObjStore.Jobs;

/// <summary>
/// The gateway's (or dev process's) job worker: it can run every kind of job (<see cref="IBackgroundJob"/>) on every
/// store. It asks the catalogue for the jobs the scheduler gave it (each ask is also its heartbeat and load report),
/// runs them under a lease, and writes progress back with every renewal; a worker that loses its lease (it stalled,
/// and the job went to another worker) stops, and so does one whose job was cancelled (it finishes it, failed, and
/// logs it as cancelled). Failures go back to the queue with exponential backoff until the job is
/// out of attempts.
/// </summary>
public sealed partial class JobWorker(
    IEnumerable<IBackgroundJob> jobs, IJobCatalogue catalogue, MaintenanceOptions options, TimeProvider clock, ILogger<JobWorker> logger)
    : BackgroundService
{
    private readonly Dictionary<string, IBackgroundJob> _jobs = jobs.ToDictionary(j => j.Kind, StringComparer.Ordinal);
    private readonly IoMeter _io = new(clock);

    /// <summary>Names this process: a restarted gateway is a new worker, and the old one's leases expire.</summary>
    public string WorkerId { get; } = $"{Environment.MachineName}:{Environment.ProcessId}";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var me = new WorkerInfo(WorkerId, [.. _jobs.Keys.Order(StringComparer.Ordinal)]);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var job = await catalogue.ClaimAsync(me with { IoBytesPerSecond = _io.BytesPerSecond }, options.JobLease, options.WorkerTimeout);
                if (job is null)
                {
                    await Task.Delay(options.JobPollInterval, clock, stoppingToken);
                    continue;
                }
                await ExecuteAsync(job, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                LogWorkerError(logger, e);
                await Task.Delay(options.JobPollInterval, clock, CancellationToken.None);
            }
        }
    }

    private async Task ExecuteAsync(JobInfo job, CancellationToken stopping)
    {
        using var lost = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        using var progress = new LeasedProgress(catalogue, job, WorkerId, options.JobLease, _io, clock, lost);
        var renewing = progress.KeepAliveAsync();
        LogJobStarted(logger, job.Id, job.Kind, job.Target, job.Attempts);
        object? result = null;
        Exception? failure = null;
        try
        {
            var kind = _jobs.GetValueOrDefault(job.Kind) ?? throw new InvalidOperationException($"unknown job kind '{job.Kind}'");
            result = await kind.RunAsync(job.Target, progress, lost.Token);
        }
        catch (Exception e) when (!stopping.IsCancellationRequested)
        {
            failure = e;
        }
        finally
        {
            // Shutting down: the lease runs out and another worker (or this one, restarted) takes the job over.
            await progress.StopAsync(renewing, report: !stopping.IsCancellationRequested);
        }
        if (progress.Cancelled)
        {
            // Cancelled through the admin API: the catalogue keeps the cancel's reason and makes the job failed.
            await catalogue.FinishAsync(job.Id, WorkerId, succeeded: false, "cancelled", null, TimeSpan.Zero);
            LogJobFinished(logger, job.Id, job.Kind, "cancelled");
        }
        else if (failure is null)
        {
            await catalogue.FinishAsync(job.Id, WorkerId, succeeded: true, null, JsonSerializer.Serialize(result), TimeSpan.Zero);
            LogJobFinished(logger, job.Id, job.Kind, "succeeded");
        }
        else
        {
            await catalogue.FinishAsync(job.Id, WorkerId, succeeded: false, failure.Message, null, JobPlacement.Backoff(job.Attempts));
            LogJobFailed(logger, job.Id, job.Kind, failure.Message);
        }
    }

    [LoggerMessage(EventId = 6001, Level = LogLevel.Information, Message = "Job {Id} ({Kind} {Target}) started, attempt {Attempt}")]
    private static partial void LogJobStarted(ILogger logger, long id, string kind, string target, int attempt);

    [LoggerMessage(EventId = 6002, Level = LogLevel.Information, Message = "Job {Id} ({Kind}) {State}")]
    private static partial void LogJobFinished(ILogger logger, long id, string kind, string state);

    [LoggerMessage(EventId = 6003, Level = LogLevel.Warning, Message = "Job {Id} ({Kind}) failed: {Error}")]
    private static partial void LogJobFailed(ILogger logger, long id, string kind, string error);

    [LoggerMessage(EventId = 6005, Level = LogLevel.Error, Message = "The job worker hit an error; continuing")]
    private static partial void LogWorkerError(ILogger logger, Exception e);

    /// <summary>Progress counters, written to the job row with each lease renewal; a lost lease cancels the job.</summary>
    private sealed class LeasedProgress(
        IJobCatalogue catalogue, JobInfo job, string owner, TimeSpan lease, IoMeter io, TimeProvider clock, CancellationTokenSource lost)
        : JobCounters(io, job), IDisposable
    {
        private readonly long jobId = job.Id;

        private readonly CancellationTokenSource _stop = new();

        /// <summary>True once a renewal found the job cancelled (rather than taken over by another worker).</summary>
        public bool Cancelled { get; private set; }

        public async Task KeepAliveAsync()
        {
            var every = TimeSpan.FromMilliseconds(Math.Min((lease / 3).TotalMilliseconds, 1000));
            try
            {
                while (true)
                {
                    await Task.Delay(every, clock, _stop.Token);
                    if (!await catalogue.RenewAsync(jobId, owner, lease, Snapshot))
                    {
                        var now = await catalogue.GetAsync(jobId);
                        Cancelled = now is { State: JobStates.Cancelling } && now.LeaseOwner == owner;
                        await lost.CancelAsync();
                        return;
                    }
                }
            }
            catch (OperationCanceledException)
            {
            }
        }

        /// <summary>Ends the renewals; with <paramref name="report"/>, writes the final progress.</summary>
        public async Task StopAsync(Task renewing, bool report)
        {
            await _stop.CancelAsync();
            await renewing;
            if (report)
            {
                await catalogue.RenewAsync(jobId, owner, lease, Snapshot);
            }
        }

        public void Dispose() => _stop.Dispose();
    }
}
