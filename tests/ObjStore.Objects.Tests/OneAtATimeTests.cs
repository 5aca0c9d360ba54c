using ObjStore.Core;

namespace ObjStore.Objects.Tests;

/// <summary><see cref="OneAtATime"/>: the reloads of a cached view run in the order they were asked for, never two at once.</summary>
public sealed class OneAtATimeTests
{
    [Fact]
    public async Task ARunStartsOnlyWhenTheOneBeforeItHasFinished()
    {
        var runs = new OneAtATime();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var order = new List<string>();
        var first = runs.RunAsync(async () =>
        {
            order.Add("first read");
            await release.Task;
            order.Add("first published");
        });
        var second = runs.RunAsync(() =>
        {
            order.Add("second read");
            return Task.CompletedTask;
        });
        await Task.Yield();
        Assert.False(second.IsCompleted);
        release.SetResult();
        await Task.WhenAll(first, second);
        Assert.Equal(["first read", "first published", "second read"], order);
    }

    [Fact]
    public async Task AFailedRunFailsItsOwnCallerOnly()
    {
        var runs = new OneAtATime();
        var failed = runs.RunAsync(() => Task.FromException(new IOException("catalogue down")));
        bool ran = false;
        var next = runs.RunAsync(() =>
        {
            ran = true;
            return Task.CompletedTask;
        });
        await Assert.ThrowsAsync<IOException>(() => failed);
        await next;
        Assert.True(ran);
    }
}
