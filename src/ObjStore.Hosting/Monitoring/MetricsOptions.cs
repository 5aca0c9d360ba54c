namespace ObjStore.Hosting.Monitoring;

/// <summary>The "ObjStore:Metrics" settings: where Prometheus scrapes and whether it must sign.</summary>
public sealed class MetricsOptions
{
    /// <summary>The scrape path on the S3 port; underscores are not allowed in bucket names, so it shadows none.</summary>
    public const string S3PortPath = "/_objstore/metrics";

    /// <summary>The scrape path on the separate listener.</summary>
    public const string ListenerPath = "/metrics";

    /// <summary>
    /// Serve <see cref="S3PortPath"/> without a signature. Off by default: the metrics name buckets' traffic and the
    /// cluster's layout, which the S3 port's anonymous visitors have no business reading.
    /// </summary>
    public bool Anonymous { get; set; }

    /// <summary>
    /// A separate listener (e.g. http://127.0.0.1:9100) that serves <see cref="ListenerPath"/> without credentials and
    /// nothing else; bind it where only the monitoring network reaches. Its port must be explicit and not the S3 port's.
    /// </summary>
    public string? Listen { get; set; }

    /// <summary>The separate listener's port, 0 when there is none.</summary>
    public int ListenerPort => Listen is null ? 0 : new Uri(Listen).Port;

    public void Validate(string s3Listen)
    {
        if (Listen is null)
        {
            return;
        }
        if (!Uri.TryCreate(Listen, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || uri.AbsolutePath != "/")
        {
            throw new ArgumentException($"ObjStore:Metrics:Listen must be an absolute http(s) URL without a path, not '{Listen}'.");
        }
        if (uri.Port == 0 || (Uri.TryCreate(s3Listen, UriKind.Absolute, out var s3) && s3.Port == uri.Port))
        {
            // The listener is told apart from the S3 port by its local port.
            throw new ArgumentException($"ObjStore:Metrics:Listen needs a port of its own (not 0, not the S3 port), not '{Listen}'.");
        }
    }
}
