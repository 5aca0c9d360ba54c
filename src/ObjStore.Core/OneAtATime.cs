namespace ObjStore.Core;

/// <summary>
/// Runs reloads of a cached view one after another, each started when the one before it has finished. Two reloads at
/// once could publish in the wrong order: one that read before a commit finishing after one that read after it would
/// put the stale view back (a user's new key gone until the next reload). In turn, the last to publish is the last to
/// have read, so a reload asked for after a commit always leaves a view that holds it.
/// </summary>
public sealed class OneAtATime
{
    private readonly Lock _gate = new();
    private Task _last = Task.CompletedTask;

    /// <summary>Runs <paramref name="work"/> after every run asked for before it; its failure is its caller's alone.</summary>
    public Task RunAsync(Func<Task> work)
    {
        lock (_gate)
        {
            return _last = AfterAsync(_last, work);
        }
    }

    private static async Task AfterAsync(Task previous, Func<Task> work)
    {
        await previous.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await work();
    }
}
