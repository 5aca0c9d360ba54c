using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using ObjStore.Node;
using OpenTelemetry.Metrics;

namespace ObjStore.Hosting.Monitoring;

/// <summary>
/// What `objstore node` exports: its <see cref="NodeMetrics"/> at <see cref="ScrapePath"/> on its main port (unsigned,
/// like its liveness probe: a node's port belongs on the private network), and its spans over OTLP when
/// OTEL_EXPORTER_OTLP_ENDPOINT is set. The node itself only makes the instruments and spans; this wires the exporters
/// (<see cref="NodeHost.Build"/>'s hooks), so the node's project needs no OpenTelemetry.
/// </summary>
public static class NodeTelemetry
{
    public const string ScrapePath = "/_objstore/metrics";

    /// <summary>The node's exporters; <paramref name="otlpEndpoint"/> null: no tracing.</summary>
    public static Action<WebApplicationBuilder> Configure(string? otlpEndpoint) => builder =>
    {
        builder.Services.AddOpenTelemetry().WithMetrics(metrics => metrics
            .AddMeter(NodeMetrics.MeterName)
            .AddPrometheusExporter(exporter => exporter.ScrapeResponseCacheDurationMilliseconds = 0));
        // Only this node's meter (its scope is the host's factory): another host in the process (the tests) stays out.
        builder.Services.ConfigureOpenTelemetryMeterProvider((sp, provider) =>
        {
            var ours = sp.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>();
            provider.AddView(instrument => ReferenceEquals(instrument.Meter.Scope, ours) ? null : MetricStreamConfiguration.Drop);
        });
        TracingOptions.AddExporter(builder.Services, otlpEndpoint, "objstore-node");
    };

    /// <summary>The scrape, in front of the node's own routes.</summary>
    public static void Map(WebApplication app) =>
        app.UseOpenTelemetryPrometheusScrapingEndpoint(meterProvider: null,
            predicate: context => (HttpMethods.IsGet(context.Request.Method) || HttpMethods.IsHead(context.Request.Method))
                && context.Request.Path.Value == ScrapePath,
            path: null, configureBranchedPipeline: null, optionsName: null);
}
