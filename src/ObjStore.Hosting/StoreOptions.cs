using ObjStore.Objects;
using ObjStore.Jobs;
using ObjStore.Hosting.Monitoring;
using ObjStore.S3;
using ObjStore.S3.Telemetry;
using ObjStore.Storage;

namespace ObjStore.Hosting;

/// <summary>The "ObjStore" configuration section (appsettings.json, ObjStore__* environment variables, command line).</summary>
public sealed class StoreOptions
{
    public const string Section = "ObjStore";
    public const string DefaultAccessKey = "objstore";
    public const string DefaultSecretKey = "objstore-dev-secret";

    /// <summary>Where the S3 endpoint listens.</summary>
    public string Listen { get; set; } = "http://127.0.0.1:9000";

    /// <summary>dev mode: the catalogue and one folder per shard store live here.</summary>
    public string DataDir { get; set; } = "./data";

    /// <summary>Erasure layout as "K+M".</summary>
    public string Erasure { get; set; } = "4+2";

    public int StripeSize { get; set; } = 1 << 20;

    /// <summary>
    /// Objects and parts of at most this many declared bytes are stored as M+1 full copies instead of K+M stripes
    /// (0: never). Changing it leaves stored objects as they are: each records its own layout.
    /// </summary>
    public long ReplicateUpTo { get; set; } = ObjectLayerOptions.DefaultReplicateUpTo;

    /// <summary>Stripes a GET reads ahead of its client; each costs a stripe buffer, (K+M)/K x StripeSize.</summary>
    public int ReadAheadStripes { get; set; } = 4;

    /// <summary>dev mode: how many local shard stores (folders) to run; default K+M, more lets a store be drained.</summary>
    public int? Stores { get; set; }
    public int? WriteQuorum { get; set; }

    /// <summary>Free bytes each shard store keeps back from new objects (for deletes, the catalogue and heal).</summary>
    public long ReserveBytes { get; set; } = 512L << 20;

    /// <summary>Multipart uploads older than this are aborted by the background sweep (d.hh:mm:ss).</summary>
    public TimeSpan UploadExpiry { get; set; } = TimeSpan.FromDays(7);

    /// <summary>How often the sweep for abandoned uploads runs.</summary>
    public TimeSpan UploadSweepInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Every part but the last must be at least this big (S3: 5 MiB).</summary>
    public long MinPartSize { get; set; } = 5L << 20;

    public string AccessKey { get; set; } = DefaultAccessKey;
    public string SecretKey { get; set; } = DefaultSecretKey;

    public S3Options S3 { get; set; } = new();

    /// <summary>
    /// The master key users' secrets are sealed under: base64 of 32 bytes, here or in OBJSTORE_MASTER_KEY. When
    /// neither is set, <see cref="MasterKeyFile"/> holds it (created, mode 0600, on first start).
    /// </summary>
    public string? MasterKey { get; set; }

    /// <summary>The master key file; default DATA/master.key.</summary>
    public string? MasterKeyFile { get; set; }

    /// <summary>
    /// Master keys in use before a rotation (base64, or paths of key files): secrets sealed under them are re-sealed
    /// under the current key at start. See the README's "Rotating the master key".
    /// </summary>
    public List<string> PreviousMasterKeys { get; set; } = [];

    /// <summary>
    /// How often the users and keys are re-read regardless of the catalogue's change notifications (which bring a
    /// change made through another gateway at once): the bound when a notification is lost.
    /// </summary>
    public TimeSpan IdentityRefreshInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How often the stores' drain states are re-read regardless of the catalogue's change notifications.</summary>
    public TimeSpan StoreStateRefreshInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The SQLite catalogue; default DATA/catalogue.db.</summary>
    public string? MetadataPath { get; set; }

    /// <summary>
    /// The catalogue: <c>sqlite:PATH</c>, or PostgreSQL as a <c>postgres://user@host:port/database</c> URL or an
    /// Npgsql connection string, shared by every gateway of a cluster (<see cref="CatalogueSetting"/>). Default: the
    /// SQLite file at <see cref="MetadataPath"/>.
    /// </summary>
    public string? Catalogue { get; set; }

    /// <summary>The catalogue these options name (<see cref="Catalogue"/>, else <see cref="MetadataPath"/>, else DATA/catalogue.db).</summary>
    public CatalogueSetting ResolveCatalogue() => CatalogueSetting.Parse(Catalogue, MetadataPath, Path.GetFullPath(DataDir));

    /// <summary>Gateway: the storage nodes (id, URL, failure domain, weight).</summary>
    public List<NodeEntry> Nodes { get; set; } = [];

    /// <summary>Gateway and nodes: the shared secret node requests are signed with (at least 16 characters).</summary>
    public string? ClusterSecret { get; set; }

    /// <summary>
    /// PEM certificate (and chain) the S3 endpoint serves HTTPS with; <see cref="Listen"/> is then https://. With
    /// <see cref="TlsKeyFile"/>, or alone when the file holds the key too.
    /// </summary>
    public string? TlsCertFile { get; set; }

    /// <summary>PEM private key of <see cref="TlsCertFile"/>.</summary>
    public string? TlsKeyFile { get; set; }

    /// <summary>Gateway: PEM bundle of the CAs that sign node TLS certificates (for https:// node URLs); only these are trusted.</summary>
    public string? NodeCaFile { get; set; }

    /// <summary>Gateway: longest wait for a node to connect, answer, or move a body along.</summary>
    public TimeSpan NodeRequestTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Scrub, heal and GC: rates, job lease, cadence.</summary>
    public MaintenanceOptions Maintenance { get; set; } = new();

    /// <summary>Prometheus scrapes: on the S3 port, signed or not, and on a listener of their own (ObjStore:Metrics:*).</summary>
    public MetricsOptions Metrics { get; set; } = new();

    /// <summary>One line per S3 request (ObjStore:AccessLog:*), logged under the category "ObjStore.Access".</summary>
    public AccessLogOptions AccessLog { get; set; } = new();

    /// <summary>OpenTelemetry traces (ObjStore:Tracing:*), exported over OTLP when an endpoint is set; off by default.</summary>
    public TracingOptions Tracing { get; set; } = new();

    /// <summary>Gateway: how often each node's health is probed.</summary>
    public TimeSpan NodeProbeInterval { get; set; } = TimeSpan.FromSeconds(2);

    public (int K, int M) ParseErasure()
    {
        var parts = Erasure.Split('+');
        if (parts.Length != 2 || !int.TryParse(parts[0], out int k) || !int.TryParse(parts[1], out int m) || k < 1 || m < 0 || k + m > 256)
        {
            throw new ArgumentException($"ObjStore:Erasure must be K+M with K >= 1, M >= 0 and K+M <= 256, not '{Erasure}'.");
        }
        return (k, m);
    }

    public ObjectLayerOptions ToObjectLayerOptions()
    {
        var (k, m) = ParseErasure();
        var options = new ObjectLayerOptions
        {
            DataShards = k,
            ParityShards = m,
            StripeSize = StripeSize,
            ReplicateUpTo = ReplicateUpTo,
            ReadAheadStripes = ReadAheadStripes,
            WriteQuorum = WriteQuorum,
            UploadExpiry = UploadExpiry,
            MinPartSize = MinPartSize,
            ReserveBytes = ReserveBytes,
        };
        options.Validate();
        return options;
    }

    public void Validate(StoreMode mode = StoreMode.Dev)
    {
        var layout = ToObjectLayerOptions();
        bool https = Listen.StartsWith("https://", StringComparison.OrdinalIgnoreCase);
        if (https != (TlsCertFile is not null))
        {
            throw new ArgumentException(https
                ? $"ObjStore:Listen (--listen) {Listen} is https://: give its certificate with --tls-cert FILE.pem (and --tls-key FILE.pem)."
                : $"--tls-cert serves HTTPS: listen on https://, not {Listen}.");
        }
        if (TlsKeyFile is not null && TlsCertFile is null)
        {
            throw new ArgumentException("--tls-key goes with --tls-cert.");
        }
        ResolveCatalogue();
        if (Stores is { } count && count < layout.DataShards + layout.ParityShards)
        {
            throw new ArgumentException($"ObjStore:Stores must be at least K+M ({layout.DataShards + layout.ParityShards}).");
        }
        if (mode == StoreMode.Gateway)
        {
            if (ClusterSecret is not { Length: >= 16 })
            {
                throw new ArgumentException("ObjStore:ClusterSecret must be set, at least 16 characters, the same on every node.");
            }
            if (Nodes.Count < layout.DataShards + layout.ParityShards)
            {
                throw new ArgumentException($"Erasure {Erasure} needs at least {layout.DataShards + layout.ParityShards} nodes; ObjStore:Nodes lists {Nodes.Count}.");
            }
            if (NodeCaFile is not null && !File.Exists(NodeCaFile))
            {
                throw new ArgumentException($"ObjStore:NodeCaFile '{NodeCaFile}' does not exist.");
            }
            if (Nodes.Select(n => n.Id).Distinct(StringComparer.Ordinal).Count() != Nodes.Count
                || Nodes.Any(n => string.IsNullOrWhiteSpace(n.Id) || !Uri.TryCreate(n.Url, UriKind.Absolute, out _) || n.Weight <= 0))
            {
                throw new ArgumentException("Every node needs a unique Id, an absolute Url and a positive Weight.");
            }
        }
        if (string.IsNullOrWhiteSpace(AccessKey) || SecretKey.Length < 8)
        {
            throw new ArgumentException("ObjStore:AccessKey must be set and ObjStore:SecretKey must be at least 8 characters.");
        }
        if (UploadSweepInterval <= TimeSpan.Zero)
        {
            throw new ArgumentException("ObjStore:UploadSweepInterval must be positive.");
        }
        if (!Uri.TryCreate(Listen, UriKind.Absolute, out _))
        {
            throw new ArgumentException($"ObjStore:Listen must be an absolute URL, not '{Listen}'.");
        }
        Metrics.Validate(Listen);
        AccessLog.Validate();
        Tracing.Validate();
    }

    /// <summary>
    /// What <see cref="Validate"/> cannot see in the values alone, checked before anything is written: the data folder
    /// can be used and, for a host that will listen (not an offline restore's), the S3 address can be listened on.
    /// </summary>
    public void CheckSurroundings(bool listens)
    {
        StartupChecks.DataFolderIsUsable(DataDir, "ObjStore:DataDir (--data)");
        ResolveCatalogue().CheckReachable();
        if (!listens)
        {
            return;
        }
        StartupChecks.PortIsFree(Listen, "ObjStore:Listen (--listen)");
    }
}

/// <summary>One storage node of a gateway's cluster.</summary>
public sealed class NodeEntry
{
    public string Id { get; set; } = "";
    public string Url { get; set; } = "";

    /// <summary>Host, rack or zone: shards of one object go to distinct domains while there are enough.</summary>
    public string? Domain { get; set; }

    public double Weight { get; set; } = 1.0;
}
