using ObjStore.Objects;
using ObjStore.S3;

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
    public int? WriteQuorum { get; set; }

    /// <summary>Multipart uploads older than this are aborted by the background sweep (d.hh:mm:ss).</summary>
    public TimeSpan UploadExpiry { get; set; } = TimeSpan.FromDays(7);

    /// <summary>How often the sweep for abandoned uploads runs.</summary>
    public TimeSpan UploadSweepInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Every part but the last must be at least this big (S3: 5 MiB).</summary>
    public long MinPartSize { get; set; } = 5L << 20;

    public string AccessKey { get; set; } = DefaultAccessKey;
    public string SecretKey { get; set; } = DefaultSecretKey;

    public S3Options S3 { get; set; } = new();

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
            WriteQuorum = WriteQuorum,
            UploadExpiry = UploadExpiry,
            MinPartSize = MinPartSize,
        };
        options.Validate();
        return options;
    }

    public void Validate()
    {
        _ = ToObjectLayerOptions();
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
    }
}
