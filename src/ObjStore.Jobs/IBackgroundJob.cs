using ObjStore.Core.Jobs;

namespace ObjStore.Jobs;

/// <summary>
/// One kind of background work (<see cref="JobKinds"/>). The <see cref="JobWorker"/> claims a job from the catalogue
/// and runs it here under a lease. A run is a sequence of steps (a layout, a shard, an upload), each reported to
/// <c>progress</c>, which the worker writes back with every lease renewal; cancellation (shutdown, or a lease lost to
/// another worker) is honoured between steps. Each job throttles its own I/O with an <see cref="IoBudget"/>.
/// </summary>
public interface IBackgroundJob
{
    /// <summary>The job kind this runs.</summary>
    string Kind { get; }

    /// <summary>Runs one job on <paramref name="target"/>; returns its result, recorded with the job as JSON.</summary>
    Task<object> RunAsync(string target, IJobProgress progress, CancellationToken cancellationToken);
}
