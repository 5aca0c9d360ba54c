using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Exporter;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace ObjStore.Hosting.Monitoring;

/// <summary>The "ObjStore:Tracing" settings: where spans go. Off (no listener, no cost) unless an endpoint is set.</summary>
public sealed class TracingOptions
{
    /// <summary>The standard variable, used when <see cref="OtlpEndpoint"/> is not set.</summary>
    public const string StandardEndpointVariable = "OTEL_EXPORTER_OTLP_ENDPOINT";

    /// <summary>
    /// An OTLP/HTTP (protobuf) collector, e.g. http://127.0.0.1:4318: spans are posted to its /v1/traces (a URL with a
    /// path is used as it is). Null: <see cref="StandardEndpointVariable"/> if set, else no tracing.
    /// </summary>
    public string? OtlpEndpoint { get; set; }

    /// <summary>
    /// Make the catalogue's spans even without an exporter, for a listener in the process (the tests'); an endpoint
    /// turns this on by itself.
    /// </summary>
    public bool Enabled { get; set; }

    public string ServiceName { get; set; } = "objstore";

    /// <summary>
    /// The share of new traces recorded, 0 to 1 (default 1: every request); a request that arrives with a sampled
    /// trace context is recorded whatever this says (parent-based), so a traced client is always seen.
    /// </summary>
    public double SampleRatio { get; set; } = 1.0;

    /// <summary><see cref="OtlpEndpoint"/>, else the standard variable's value.</summary>
    public string? Endpoint => OtlpEndpoint ?? (Environment.GetEnvironmentVariable(StandardEndpointVariable) is { Length: > 0 } standard ? standard : null);

    /// <summary>True when spans are made beyond the request's own: an exporter, or <see cref="Enabled"/>.</summary>
    public bool On => Enabled || Endpoint is not null;

    public void Validate()
    {
        if (Endpoint is { } endpoint && (!Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https")))
        {
            throw new ArgumentException($"ObjStore:Tracing:OtlpEndpoint (or {StandardEndpointVariable}) must be an absolute http(s) URL, not '{Endpoint}'.");
        }
        if (SampleRatio is < 0 or > 1 || double.IsNaN(SampleRatio))
        {
            throw new ArgumentException($"ObjStore:Tracing:SampleRatio must be from 0 to 1, not {SampleRatio}.");
        }
        if (string.IsNullOrWhiteSpace(ServiceName))
        {
            throw new ArgumentException("ObjStore:Tracing:ServiceName must not be empty.");
        }
    }

    /// <summary>Where the exporter posts: the endpoint's /v1/traces when it has no path of its own.</summary>
    public static Uri TracesUri(string endpoint)
    {
        var uri = new Uri(endpoint);
        return uri.AbsolutePath is "/" or "" ? new Uri(uri, "v1/traces") : uri;
    }

    /// <summary>
    /// A tracer provider for the store's source exporting to <paramref name="endpoint"/> over OTLP/HTTP protobuf, and
    /// nothing when there is no endpoint (no provider: no listener, so no span is ever made).
    /// </summary>
    public static void AddExporter(IServiceCollection services, string? endpoint, string serviceName, double sampleRatio = 1.0)
    {
        if (endpoint is null)
        {
            return;
        }
        services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(serviceName, serviceVersion: typeof(TracingOptions).Assembly.GetName().Version?.ToString()))
            .WithTracing(tracing => tracing
                .AddSource(Core.Tracing.SourceName)
                .SetSampler(new ParentBasedSampler(new TraceIdRatioBasedSampler(sampleRatio)))
                .AddOtlpExporter(otlp =>
                {
                    otlp.Endpoint = TracesUri(endpoint);
                    otlp.Protocol = OtlpExportProtocol.HttpProtobuf;
                }));
    }
}
