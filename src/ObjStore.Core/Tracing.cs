using System.Diagnostics;

namespace ObjStore.Core;

/// <summary>
/// The store's one <see cref="ActivitySource"/> (<see cref="SourceName"/>): a span per S3 request, and below it the
/// catalogue calls, the shard reads and writes (one span per store) and the requests to storage nodes, whose trace
/// context travels in W3C <c>traceparent</c>/<c>tracestate</c> headers so the node's spans join the gateway's trace.
/// </summary>
/// <remarks>
/// Off costs nothing: with no listener (no tracer provider: tracing not configured) <see cref="ActivitySource.StartActivity(string, ActivityKind)"/>
/// returns null at once and every helper here returns before doing anything else. Child spans are only made under a
/// span of ours (<see cref="StartChild"/>), so background work (heal, scrub, probes) starts no traces of its own.
/// </remarks>
public static class Tracing
{
    public const string SourceName = "ObjStore";

    public const string TraceParentHeader = "traceparent";
    public const string TraceStateHeader = "tracestate";

    public static ActivitySource Source { get; } = new(SourceName);

    /// <summary>True when a tracer provider listens: only then is any span made.</summary>
    public static bool Enabled => Source.HasListeners();

    /// <summary>A span under the current one, or null when tracing is off or the caller is not inside a trace of ours.</summary>
    public static Activity? StartChild(string name, ActivityKind kind = ActivityKind.Internal)
    {
        var parent = Activity.Current;
        if (parent is null || !parent.Recorded || parent.Source != Source || !Source.HasListeners())
        {
            return null;
        }
        return Source.StartActivity(name, kind);
    }

    /// <summary>
    /// A server span for a request that arrived with <paramref name="traceParent"/> (and <paramref name="traceState"/>):
    /// its child, in the caller's trace. Null when tracing is off; without a valid trace parent, a new root only when
    /// <paramref name="rootIfNone"/> (an S3 request: yes; a node request outside a trace, a probe: no).
    /// Whatever activity the server made for the request itself (ASP.NET Core's, not exported) is not the parent.
    /// </summary>
    public static Activity? StartServer(string name, string? traceParent, string? traceState, bool rootIfNone)
    {
        if (!Source.HasListeners())
        {
            return null;
        }
        bool remote = ActivityContext.TryParse(traceParent, traceState, isRemote: true, out var parent);
        if (!remote && !rootIfNone)
        {
            return null;
        }
        Activity.Current = null; // the caller is an async method: its caller's current activity comes back on return
        return Source.StartActivity(name, ActivityKind.Server, remote ? parent : default);
    }

    /// <summary>The W3C trace context header of <paramref name="activity"/> (version 00).</summary>
    public static string TraceParent(Activity activity) =>
        $"00-{activity.TraceId.ToHexString()}-{activity.SpanId.ToHexString()}-{(activity.Recorded ? "01" : "00")}";

    /// <summary>Records a failure on the span: its status and the exception's type (never its message: it may name a key).</summary>
    public static void Fail(Activity? activity, Exception e)
    {
        if (activity is null)
        {
            return;
        }
        activity.SetStatus(ActivityStatusCode.Error, e.GetType().Name);
        activity.SetTag("error.type", e.GetType().Name);
    }
}
