using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using ObjStore.Access;
using ObjStore.Core;
using ObjStore.Core.Jobs;
using ObjStore.Hosting.Monitoring;
using ObjStore.Jobs;
using ObjStore.Kms;
using ObjStore.Lifecycle;
using ObjStore.Metadata;
using ObjStore.Metadata.Sqlite;
using ObjStore.Objects;
using ObjStore.S3;
using ObjStore.S3.Auth;
using ObjStore.S3.Telemetry;
using ObjStore.Storage;
using ObjStore.Storage.Format;
using ObjStore.Storage.Http;
using ObjStore.Storage.Remote;
using ObjStore.WebConsole;
using OpenTelemetry.Metrics;

namespace ObjStore.Hosting;

/// <summary>Which shard stores a store host runs over.</summary>
public enum StoreMode
{
    /// <summary>Everything in one process: k+m local folders (<c>DATA/store-NN</c>).</summary>
    Dev,

    /// <summary>The cluster gateway: the storage nodes of ObjStore:Nodes, over authenticated HTTP.</summary>
    Gateway,
}

/// <summary>
/// Builds the S3 endpoint over the object layer and the catalogue (<c>MetadataPath</c>, by default
/// <c>DATA/catalogue.db</c>). dev mode and the gateway share every line of it; only the shard stores differ.
/// </summary>
public static partial class StoreHost
{
    /// <param name="listens">false for a host that is never started (an offline restore's): its address is not checked.</param>
    public static WebApplication Build(string[] args, IEnumerable<KeyValuePair<string, string?>>? overrides = null, StoreMode mode = StoreMode.Dev, bool listens = true)
    {
        // No reload-on-change: its FileSystemWatcher watches the content root recursively, and when the data folder
        // is under it (./data, the default) every shard written costs inotify events, which once ate a core.
        var builder = WebApplication.CreateSlimBuilder([.. args, "--hostBuilder:reloadConfigOnChange=false"]);
        if (overrides is not null)
        {
            builder.Configuration.AddInMemoryCollection(overrides);
        }
        StoreOptions options;
        try
        {
            options = builder.Configuration.GetSection(StoreOptions.Section).Get<StoreOptions>() ?? new StoreOptions();
        }
        catch (InvalidOperationException e)
        {
            // A value that is not of its setting's type ("abc" for a number): the binder names the key and the value.
            throw new ArgumentException(e.Message, e);
        }
        options.Validate(mode);
        options.CheckSurroundings(listens);
        var layerOptions = options.ToObjectLayerOptions();

        var certificate = options.TlsCertFile is { } certificateFile ? LoadCertificate(certificateFile, options.TlsKeyFile) : null;
        if (certificate is not null)
        {
            builder.WebHost.UseKestrelHttpsConfiguration(); // the slim builder leaves HTTPS out unless asked
        }
        builder.WebHost.UseUrls(options.Metrics.Listen is { } metricsListen ? [options.Listen, metricsListen] : [options.Listen]);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            if (certificate is not null)
            {
                kestrel.ConfigureHttpsDefaults(https => https.ServerCertificate = certificate);
            }
            kestrel.Limits.MaxRequestBodySize = null; // bounded per operation: 5 GiB per PUT, 2 MiB per XML body
            kestrel.Limits.MaxRequestHeadersTotalSize = 64 * 1024;
            kestrel.AddServerHeader = false;
        });
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);

        string dataDir = Path.GetFullPath(options.DataDir);
        var folderLock = DataFolderLock.Acquire(dataDir);
        try
        {
            int storeCount = mode != StoreMode.Dev ? 0 : DataFolderLayout.Check(dataDir, $"{layerOptions.DataShards}+{layerOptions.ParityShards}",
                options.Stores ?? layerOptions.DataShards + layerOptions.ParityShards);
            layerOptions.ShardDigestKey = mode == StoreMode.Gateway
                ? ShardDigest.KeyFromClusterSecret(options.ClusterSecret!)
                : ShardDigest.LoadOrCreateKeyFile(Path.Combine(dataDir, ShardDigest.KeyFileName));
            var s3Options = options.S3;
            s3Options.Credentials.TryAdd(options.AccessKey, options.SecretKey);

            builder.Services.AddSingleton(options);
            builder.Services.AddSingleton<IMemoryPoolFactory<byte>, LargeBlockMemoryPoolFactory>();
            builder.Services.AddSingleton(TimeProvider.System);
            var catalogue = options.ResolveCatalogue();
            builder.Services.AddSingleton(catalogue);
            // With tracing on, every catalogue call inside a trace is a span (TracedCatalogue); off, the catalogue itself.
            builder.Services.AddSingleton(sp => TracedCatalogue.Wrap(catalogue.Open(sp.GetRequiredService<TimeProvider>()), options.Tracing.On));
            builder.Services.AddSingleton(layerOptions);
            if (mode == StoreMode.Dev)
            {
                var stores = Enumerable.Range(0, storeCount)
                    .Select(i => new LocalShardStore($"store-{i:D2}", Path.Combine(dataDir, $"store-{i:D2}")))
                    .ToList();
                builder.Services.AddSingleton<IReadOnlyList<LocalShardStore>>(stores);
                builder.Services.AddSingleton<IReadOnlyList<IShardStore>>(stores);
                builder.Services.AddSingleton<IReadOnlyList<PlacementNode>>([.. stores.Select(s => new PlacementNode(s.Id, s.Id))]);
            }
            else
            {
                var nodeOptions = new RemoteNodeOptions { RequestTimeout = options.NodeRequestTimeout, ProbeInterval = options.NodeProbeInterval, CaFile = options.NodeCaFile };
                var http = RemoteShardStore.CreateHttpClient(nodeOptions);
                builder.Services.AddSingleton<IReadOnlyList<RemoteShardStore>>(sp => [.. options.Nodes.Select(n => new RemoteShardStore(
                    n.Id, new Uri(n.Url), options.ClusterSecret!, http, nodeOptions,
                    sp.GetRequiredService<ILoggerFactory>().CreateLogger("ObjStore.Node." + n.Id), sp.GetRequiredService<TimeProvider>()))]);
                builder.Services.AddSingleton<IReadOnlyList<IShardStore>>(sp => sp.GetRequiredService<IReadOnlyList<RemoteShardStore>>());
                builder.Services.AddSingleton<IReadOnlyList<PlacementNode>>([.. options.Nodes.Select(n => new PlacementNode(n.Id, n.Domain ?? n.Id, n.Weight))]);
            }
            builder.Services.AddSingleton(sp => new ShardCluster(
                sp.GetRequiredService<IReadOnlyList<IShardStore>>(), layerOptions, sp.GetRequiredService<ILogger<ShardCluster>>(),
                sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<IReadOnlyList<PlacementNode>>(), sp.GetRequiredService<ObjectLayerMetrics>()));
            var masterKeys = MasterKeys.Load(options, dataDir);
            builder.Services.AddSingleton(masterKeys);
            builder.Services.AddSingleton(sp => new BuiltInKeyProvider(sp.GetRequiredService<ICatalogue>().Keys, masterKeys, sp.GetRequiredService<TimeProvider>()));
            builder.Services.AddSingleton<IKeyProvider>(sp => sp.GetRequiredService<BuiltInKeyProvider>());
            builder.Services.AddSingleton(sp => new DataKeys(masterKeys, sp.GetRequiredService<IKeyProvider>()));
            builder.Services.AddSingleton<IDataKeys>(sp => sp.GetRequiredService<DataKeys>());
            builder.Services.AddSingleton<ErasureObjectLayer>();
            builder.Services.AddSingleton<IObjectLayer>(sp => sp.GetRequiredService<ErasureObjectLayer>());
            AddBackgroundWork(builder.Services, options, mode);
            builder.Services.AddSingleton(s3Options);
            builder.Services.AddSingleton(sp => new IdentityDirectory(sp.GetRequiredService<ICatalogue>().Identities, masterKeys, options.AccessKey,
                s3Options.Credentials, sp.GetRequiredService<ILogger<IdentityDirectory>>()));
            builder.Services.AddSingleton<ICredentialStore>(sp => sp.GetRequiredService<IdentityDirectory>());
            builder.Services.AddHostedService(sp => new IdentityDirectory.Refresher(sp.GetRequiredService<IdentityDirectory>(),
                options.IdentityRefreshInterval, sp.GetRequiredService<TimeProvider>()));
            builder.Services.AddSingleton<IBackgroundJob>(sp => new KeyRotationJob(sp.GetRequiredService<ICatalogue>().Keys, sp.GetRequiredService<DataKeys>(),
                sp.GetRequiredService<BuiltInKeyProvider>(), () => sp.GetRequiredService<IdentityDirectory>().ResealAsync()));
            builder.Services.AddSingleton(sp => new KeysAdminApi(sp.GetRequiredService<BuiltInKeyProvider>(), masterKeys, MasterKeys.KeyFile(options, dataDir),
                sp.GetRequiredService<ICatalogue>().Jobs));
            builder.Services.AddSingleton(sp => new Authenticator(sp.GetRequiredService<ICredentialStore>(), sp.GetRequiredService<TimeProvider>(), s3Options.Region));
            AddTelemetry(builder.Services, options);
            builder.Services.AddSingleton<S3Handler>();
            builder.Services.AddHostedService(sp => new CatalogueChangeFollower(sp.GetRequiredService<ICatalogue>(),
                sp.GetRequiredService<S3Handler>().BucketSettings, sp.GetRequiredService<IdentityDirectory>(), sp.GetRequiredService<ShardCluster>(),
                sp.GetRequiredService<ILogger<CatalogueChangeFollower>>()));
            builder.Services.AddSingleton(new ConsoleEndpoint(s3Options.Region));
            builder.Services.AddSingleton(sp => new IdentityAdminApi(sp.GetRequiredService<ICatalogue>().Identities, sp.GetRequiredService<IdentityDirectory>(),
                sp.GetRequiredService<TimeProvider>()));
            builder.Services.AddSingleton(sp => new AdminApi(
                sp.GetRequiredService<Authenticator>(), sp.GetRequiredService<ICatalogue>(), sp.GetRequiredService<IReadOnlyList<IShardStore>>(), options.Maintenance,
                sp.GetServices<IBackgroundJob>(), sp.GetRequiredService<IdentityAdminApi>(), sp.GetRequiredService<KeysAdminApi>(),
                new AdminInfo(sp.GetRequiredService<ICatalogue>(), sp.GetRequiredService<IReadOnlyList<IShardStore>>(), mode, options.Erasure,
                    sp.GetRequiredService<TimeProvider>())));

            // Held until the host stops, or is disposed without having started (an offline restore's probe host).
            builder.Services.AddSingleton(_ => folderLock);
            var app = builder.Build();
            _ = app.Services.GetRequiredService<DataFolderLock>();
            app.Lifetime.ApplicationStopped.Register(folderLock.Dispose);
            var metrics = app.Services.GetRequiredService<MetricsEndpoint>();
            metrics.Map(app);
            var health = app.Services.GetRequiredService<HealthEndpoints>();
            var handler = app.Services.GetRequiredService<S3Handler>();
            var admin = app.Services.GetRequiredService<AdminApi>();
            var webConsole = app.Services.GetRequiredService<ConsoleEndpoint>();
            var clusterJobs = mode == StoreMode.Gateway
                ? new ClusterJobsApi(app.Services.GetRequiredService<ICatalogue>(), options.Maintenance, options.ClusterSecret!,
                    app.Services.GetRequiredService<ILogger<ClusterJobsApi>>())
                : null;
            // Underscores are not allowed in bucket names, so /_objstore/... never shadows a bucket (/minio/health/*:
            // HealthEndpoints). The metrics listener serves its scrape path (above) and nothing else. A browser navigating
            // to / of the endpoint (not of a virtual-hosted bucket; ConsoleEndpoint.IsBrowserAtRoot) is sent to the web console.
            app.Run(context =>
                metrics.OnListener(context) ? NotFoundAsync(context)
                : HealthEndpoints.Handles(context) ? health.HandleAsync(context)
                : ConsoleEndpoint.Handles(context) ? webConsole.HandleAsync(context)
                : ConsoleEndpoint.IsBrowserAtRoot(context, host => ObjStore.S3.Protocol.S3Request.HostBucket(host, s3Options.Domains) is not null) ? ConsoleEndpoint.RedirectAsync(context)
                : context.Request.Path.StartsWithSegments(AdminApi.Prefix, StringComparison.Ordinal) ? admin.HandleAsync(context)
                : clusterJobs is not null && context.Request.Path.StartsWithSegments(WorkerProtocol.Prefix, StringComparison.Ordinal) ? clusterJobs.HandleAsync(context)
                : handler.HandleAsync(context));

            return app;
        }
        catch
        {
            folderLock.Dispose(); // a start that fails leaves the folder free for the next attempt
            throw;
        }
    }

    /// <summary>
    /// Metrics through OpenTelemetry, read by its Prometheus exporter (<see cref="MetricsEndpoint"/>), and the access
    /// log. Only this host's meters are exported: meters come from the host's own <see cref="System.Diagnostics.Metrics.IMeterFactory"/>
    /// (their scope), so a second host in the process (the tests run many) never shows in this one's scrape. Meters
    /// without a scope are process-wide (the catalogue's commit latency) and are exported by every host.
    /// </summary>
    private static void AddTelemetry(IServiceCollection services, StoreOptions options)
    {
        services.AddMetrics();
        services.AddSingleton(options.AccessLog);
        services.AddSingleton(options.Metrics);
        services.AddSingleton<AccessLog>();
        services.AddSingleton<S3Metrics>();
        services.AddSingleton<ObjectLayerMetrics>();
        services.AddSingleton(sp => new ClusterMetrics(sp.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), sp.GetRequiredService<IObjectLayer>(),
            sp.GetRequiredService<ICatalogue>()));
        services.AddSingleton<MetricsEndpoint>();
        services.AddSingleton<HealthEndpoints>();
        services.AddOpenTelemetry().WithMetrics(metrics => metrics
            .AddMeter(S3Metrics.MeterName, ClusterMetrics.MeterName, SqliteCatalogue.MeterName, ObjectLayerMetrics.MeterName)
            // Every scrape sees the counts of the moment (the exporter would otherwise answer from a cache for 300 ms).
            .AddPrometheusExporter(exporter => exporter.ScrapeResponseCacheDurationMilliseconds = 0));
        TracingOptions.AddExporter(services, options.Tracing.Endpoint, options.Tracing.ServiceName, options.Tracing.SampleRatio);
        services.ConfigureOpenTelemetryMeterProvider((sp, provider) =>
        {
            var ours = sp.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>();
            provider.AddView(instrument => instrument.Meter.Scope is null || ReferenceEquals(instrument.Meter.Scope, ours)
                ? null
                : MetricStreamConfiguration.Drop);
        });
    }

    private static Task NotFoundAsync(HttpContext context)
    {
        context.Response.StatusCode = StatusCodes.Status404NotFound;
        return Task.CompletedTask;
    }

    /// <summary>The S3 endpoint's certificate; a file that is missing or not PEM is one line naming it.</summary>
    private static X509Certificate2 LoadCertificate(string certificateFile, string? keyFile)
    {
        try
        {
            return X509Certificate2.CreateFromPemFile(certificateFile, keyFile);
        }
        catch (Exception e) when (e is CryptographicException or IOException or ArgumentException)
        {
            throw new ArgumentException($"--tls-cert {certificateFile}{(keyFile is null ? "" : $" / --tls-key {keyFile}")}: {e.Message}", e);
        }
    }

    /// <summary>
    /// The loops every store host runs, as hosted services that start with the host and stop with it: node health
    /// probes (gateway), the drain states placement reads, cleanup, the job worker and its kinds of job, the scheduler,
    /// and the watch for stores that came back empty.
    /// </summary>
    private static void AddBackgroundWork(IServiceCollection services, StoreOptions options, StoreMode mode)
    {
        if (mode == StoreMode.Gateway)
        {
            services.AddHostedService(sp => new NodeMonitors(sp.GetRequiredService<IReadOnlyList<RemoteShardStore>>()));
        }
        services.AddHostedService(sp => new StoreStateRefresher(sp.GetRequiredService<ShardCluster>(), sp.GetRequiredService<ICatalogue>(),
            options.StoreStateRefreshInterval, sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<StoreStateRefresher>>()));
        services.AddHostedService<MasterKeyCheck>();
        services.AddSingleton(options.Maintenance);
        services.AddSingleton(sp => new ForegroundActivity(sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton(new LifecycleClock(options.Maintenance.LifecycleDayLength));
        services.AddSingleton(sp => sp.GetRequiredService<ICatalogue>().Jobs);
        services.AddSingleton<UploadExpiry>();
        services.AddSingleton<CatalogueBackups>();
        services.AddSingleton<IBackgroundJob, HealJob>();
        services.AddSingleton<IBackgroundJob, ScrubJob>();
        services.AddSingleton<IBackgroundJob, GcJob>();
        services.AddSingleton<IBackgroundJob, DrainJob>();
        services.AddSingleton<IBackgroundJob, RebalanceJob>();
        services.AddSingleton<IBackgroundJob, BackupJob>();
        services.AddSingleton<IBackgroundJob, RebuildMetadataJob>();
        services.AddSingleton<IBackgroundJob, LifecycleJob>();
        services.AddHostedService(sp => new CleanupService(sp.GetRequiredService<ErasureObjectLayer>(), sp.GetRequiredService<UploadExpiry>(),
            options.UploadSweepInterval, sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<CleanupService>>()));
        services.AddHostedService<JobWorker>();
        services.AddHostedService(sp => new MaintenanceScheduler(sp.GetRequiredService<ICatalogue>(), options.Maintenance,
            [.. sp.GetRequiredService<IReadOnlyList<IShardStore>>().Select(s => s.Id)], sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<MaintenanceScheduler>>()));
        services.AddHostedService(sp => new StoreInstanceWatch(sp.GetRequiredService<IReadOnlyList<IShardStore>>(), sp.GetRequiredService<ICatalogue>(),
            options.NodeProbeInterval, sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<StoreInstanceWatch>>()));
    }

    /// <summary>
    /// Loads the drain states before the host takes requests, so the first PUT already avoids draining stores, and
    /// again every <paramref name="interval"/>: the bound for a drain started through another gateway whose
    /// notification (<see cref="CatalogueChangeFollower"/>) was lost.
    /// </summary>
    private sealed partial class StoreStateRefresher(ShardCluster cluster, ICatalogue catalogue, TimeSpan interval, TimeProvider clock,
        ILogger<StoreStateRefresher> logger) : BackgroundService
    {
        public override async Task StartAsync(CancellationToken cancellationToken)
        {
            await cluster.RefreshStoreStatesAsync(catalogue.Stores);
            await base.StartAsync(cancellationToken);
        }

        protected override async Task ExecuteAsync(CancellationToken stoppingToken)
        {
            using var timer = new PeriodicTimer(interval, clock);
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    await cluster.RefreshStoreStatesAsync(catalogue.Stores);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    LogRefreshFailed(logger, e.Message); // the states last read stay in use
                }
            }
        }

        [LoggerMessage(Level = LogLevel.Warning, Message = "Reading the stores' drain states failed ({Reason}); the last ones read stay in use")]
        private static partial void LogRefreshFailed(ILogger logger, string reason);
    }

    /// <summary>Refuses to serve with a master key that did not seal the catalogue's keys (<see cref="BuiltInKeyProvider.VerifyMasterKeyAsync"/>).</summary>
    private sealed class MasterKeyCheck(BuiltInKeyProvider provider) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) => provider.VerifyMasterKeyAsync();

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }

    /// <summary>Each node's health probe loop (<see cref="RemoteShardStore.MonitorAsync"/>), for as long as the host runs.</summary>
    private sealed class NodeMonitors(IReadOnlyList<RemoteShardStore> nodes) : BackgroundService
    {
        protected override Task ExecuteAsync(CancellationToken stoppingToken) => Task.WhenAll(nodes.Select(n => n.MonitorAsync(stoppingToken)));
    }
}
