using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using ObjStore.Metadata;
using ObjStore.Objects;
using ObjStore.S3.Access;

namespace ObjStore.Hosting;

/// <summary>
/// Keeps what this gateway caches in step with changes any gateway commits (<see cref="ICatalogue.Changes"/>): a
/// bucket's settings are forgotten, users and keys and the stores' drain states read again. Each cache also has a
/// time bound of its own (<c>ObjStore:S3:BucketSettingsMaxAge</c>, <c>IdentityRefreshInterval</c>,
/// <c>StoreStateRefreshInterval</c>) for a change whose notification was lost.
/// </summary>
internal sealed partial class CatalogueChangeFollower : BackgroundService
{
    private readonly ICatalogue _catalogue;
    private readonly BucketSettingsCache _buckets;
    private readonly CoalescedReload _identities, _storeStates;
    private readonly ILogger _logger;

    public CatalogueChangeFollower(ICatalogue catalogue, BucketSettingsCache buckets, IdentityDirectory identities, ShardCluster cluster,
        ILogger<CatalogueChangeFollower> logger)
    {
        _catalogue = catalogue;
        _buckets = buckets;
        _logger = logger;
        _identities = new CoalescedReload(identities.ReloadAsync, e => LogReloadFailed(logger, "users and keys", e.Message));
        _storeStates = new CoalescedReload(() => cluster.RefreshStoreStatesAsync(catalogue.Stores), e => LogReloadFailed(logger, "store states", e.Message));
    }

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        _catalogue.Changes.Changed += OnChanged;
        return base.StartAsync(cancellationToken);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        _catalogue.Changes.Changed -= OnChanged;
        await base.StopAsync(cancellationToken);
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        _catalogue.Changes.FollowAsync(e => LogInterrupted(_logger, e.Message), stoppingToken);

    private void OnChanged(CatalogueChange change)
    {
        switch (change.Kind)
        {
            case CatalogueChangeKind.Bucket:
                _buckets.Invalidate(change.Bucket!);
                break;
            case CatalogueChangeKind.Identities:
                _identities.Request();
                break;
            case CatalogueChangeKind.StoreStates:
                _storeStates.Request();
                break;
            default:
                _buckets.InvalidateAll();
                _identities.Request();
                _storeStates.Request();
                break;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Catalogue change notifications interrupted ({Reason}); listening again, caches fall back to their time bounds meanwhile")]
    private static partial void LogInterrupted(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reloading {What} after a catalogue change failed ({Reason}); the last good copy stays in use")]
    private static partial void LogReloadFailed(ILogger logger, string what, string reason);
}

/// <summary>
/// A reload run off the caller's thread when asked for, at most one at a time: asks made while one runs make one more
/// run after it (which sees their changes), however many they were.
/// </summary>
internal sealed class CoalescedReload(Func<Task> reload, Action<Exception> failed)
{
    /// <summary>Asks since the running pass started; 0 when none runs.</summary>
    private int _asked;

    public void Request()
    {
        if (Interlocked.Increment(ref _asked) == 1)
        {
            _ = Task.Run(RunAsync);
        }
    }

    private async Task RunAsync()
    {
        do
        {
            Volatile.Write(ref _asked, 1); // asks from here on want another pass
            try
            {
                await reload();
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                failed(e);
            }
        }
        while (Interlocked.CompareExchange(ref _asked, 0, 1) != 1);
    }
}
