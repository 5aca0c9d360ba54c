using System.Collections.Concurrent;
using System.Diagnostics;
using System.Reflection;
using System.Runtime.ExceptionServices;
using ObjStore.Core;

namespace ObjStore.Metadata;

/// <summary>
/// A catalogue whose every call made inside a trace is a span (<c>catalogue Objects.GetAsync</c>, ...) from the call to
/// the completion of its task, whatever the backend. Used only when tracing is on (<see cref="Wrap"/>): with tracing
/// off the host uses the catalogue itself, so the calls cost nothing more.
/// </summary>
public sealed class TracedCatalogue : ICatalogue
{
    private readonly ICatalogue _inner;

    private TracedCatalogue(ICatalogue inner)
    {
        _inner = inner;
        Buckets = Spans<IBucketCatalogue>.Wrap(inner.Buckets, "Buckets");
        Objects = Spans<IObjectCatalogue>.Wrap(inner.Objects, "Objects");
        Uploads = Spans<IUploadCatalogue>.Wrap(inner.Uploads, "Uploads");
        Shards = Spans<IShardCatalogue>.Wrap(inner.Shards, "Shards");
        Jobs = Spans<IJobCatalogue>.Wrap(inner.Jobs, "Jobs");
        Stores = Spans<IStoreStateCatalogue>.Wrap(inner.Stores, "Stores");
        Identities = Spans<IIdentityCatalogue>.Wrap(inner.Identities, "Identities");
        Keys = Spans<IKeyCatalogue>.Wrap(inner.Keys, "Keys");
    }

    /// <summary>The catalogue with spans when tracing is on; itself when it is off.</summary>
    public static ICatalogue Wrap(ICatalogue inner, bool tracing) => tracing ? new TracedCatalogue(inner) : inner;

    public ICatalogue Inner => _inner;

    public CatalogueChanges Changes => _inner.Changes;

    public IBucketCatalogue Buckets { get; }
    public IObjectCatalogue Objects { get; }
    public IUploadCatalogue Uploads { get; }
    public IShardCatalogue Shards { get; }
    public IJobCatalogue Jobs { get; }
    public IStoreStateCatalogue Stores { get; }
    public IIdentityCatalogue Identities { get; }
    public IKeyCatalogue Keys { get; }

    public Task BackupToAsync(string path) => _inner.BackupToAsync(path);

    public Task<long> SizeBytesAsync() => _inner.SizeBytesAsync();

    public Task<CatalogueUsage> MeasureUsageAsync() => _inner.MeasureUsageAsync();

    public void Dispose() => _inner.Dispose();
}

/// <summary>The proxy of one aggregate's interface: a span around each call inside a trace, the call itself otherwise.</summary>
public class Spans<T> : DispatchProxy where T : class
{
    private static readonly ConcurrentDictionary<MethodInfo, string> Names = new();

    private T _inner = null!;
    private string _area = "";

    internal static T Wrap(T inner, string area)
    {
        var proxy = Create<T, Spans<T>>();
        var spans = (Spans<T>)(object)proxy;
        spans._inner = inner;
        spans._area = area;
        return proxy;
    }

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        ArgumentNullException.ThrowIfNull(targetMethod);
        var parent = Activity.Current;
        var span = Tracing.StartChild(Names.GetOrAdd(targetMethod, m => $"catalogue {_area}.{m.Name}"), ActivityKind.Client);
        if (span is null)
        {
            return Call(targetMethod, args);
        }
        span.SetTag("db.system.name", "objstore-catalogue");
        span.SetTag("db.operation.name", targetMethod.Name);
        try
        {
            var result = Call(targetMethod, args);
            if (result is Task task && !task.IsCompleted)
            {
                task.ContinueWith(static (t, state) => End((Activity)state!, t), span, CancellationToken.None,
                    TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            }
            else
            {
                End(span, result as Task);
            }
            return result;
        }
        catch (Exception e)
        {
            Tracing.Fail(span, e);
            span.Dispose();
            throw;
        }
        finally
        {
            Activity.Current = parent; // a synchronous call: the span must not stay current for the caller
        }
    }

    private object? Call(MethodInfo method, object?[]? args)
    {
        try
        {
            return method.Invoke(_inner, BindingFlags.DoNotWrapExceptions, binder: null, args, culture: null);
        }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            ExceptionDispatchInfo.Throw(e.InnerException);
            throw;
        }
    }

    private static void End(Activity span, Task? task)
    {
        if (task is { IsFaulted: true, Exception.InnerException: { } error })
        {
            Tracing.Fail(span, error);
        }
        span.Dispose();
    }
}
