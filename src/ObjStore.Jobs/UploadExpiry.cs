using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using ObjStore.Core;
using ObjStore.Metadata;
using ObjStore.Objects;

namespace ObjStore.Jobs;

/// <summary>Aborts multipart uploads older than <see cref="ObjectLayerOptions.UploadExpiry"/>, freeing their parts.</summary>
public sealed class UploadExpiry(ICatalogue catalogue, ErasureObjectLayer objects, ObjectLayerOptions options, TimeProvider clock)
{
    /// <summary>Returns how many uploads were aborted.</summary>
    public async Task<int> ExpireAsync(CancellationToken cancellationToken)
    {
        int expired = 0;
        var cutoff = clock.GetUtcNow() - options.UploadExpiry;
        while (!cancellationToken.IsCancellationRequested)
        {
            var batch = await catalogue.Uploads.InitiatedBeforeAsync(cutoff, 100);
            if (batch.Count == 0)
            {
                break;
            }
            foreach (var upload in batch)
            {
                try
                {
                    await objects.AbortMultipartUploadAsync(upload.Bucket, upload.Key, upload.UploadId, cancellationToken);
                    expired++;
                }
                catch (ObjectStoreException e) when (e.Kind == ErrorKind.NoSuchUpload)
                {
                    // Completed or aborted since the query: nothing to do.
                }
            }
        }
        return expired;
    }
}

/// <summary>
/// The cleanup every gateway runs on its own: at start it frees the shards a crash left queued for deletion, then it
/// aborts abandoned uploads every sweep interval.
/// </summary>
public sealed partial class CleanupService(ErasureObjectLayer objects, UploadExpiry uploads, TimeSpan sweepInterval, TimeProvider clock, ILogger<CleanupService> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await objects.Garbage.CollectPendingAsync(stoppingToken);
        }
        catch (Exception e) when (!stoppingToken.IsCancellationRequested)
        {
            LogCleanupFailed(logger, e);
        }
        using var timer = new PeriodicTimer(sweepInterval, clock);
        try
        {
            do
            {
                try
                {
                    int expired = await uploads.ExpireAsync(stoppingToken);
                    if (expired > 0)
                    {
                        LogUploadsExpired(logger, expired);
                    }
                }
                catch (Exception e) when (!stoppingToken.IsCancellationRequested)
                {
                    LogCleanupFailed(logger, e);
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    [LoggerMessage(EventId = 3001, Level = LogLevel.Information, Message = "Aborted {Count} abandoned multipart uploads")]
    private static partial void LogUploadsExpired(ILogger logger, int count);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Warning, Message = "Cleanup (queued shard deletes, abandoned uploads) failed; retrying next interval")]
    private static partial void LogCleanupFailed(ILogger logger, Exception e);
}
