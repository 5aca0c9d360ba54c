using ObjStore.Core.Jobs;
using Spectre.Console;

namespace ObjStore.Cli.Commands;

/// <summary>
/// `--wait` on a job: polls it until it ends. On a terminal, a progress bar with percentage and time left (and rate
/// for bytes): bytes when the job knows its byte total, else items; a spinner while it knows neither. Redirected or with
/// --json, nothing but the final answer, so scripts read the same output as before.
/// </summary>
internal static class JobProgress
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(500);

    public static async Task<JobInfo> WaitAsync(AdminCommand.AdminClient admin, JobInfo job, bool live)
    {
        if (!live)
        {
            while (!job.IsFinished)
            {
                await Task.Delay(PollInterval);
                job = await admin.GetAsync<JobInfo>($"/jobs/{job.Id}");
            }
            return job;
        }
        // Spectre's rate column counts bytes: shown only for a job that measures itself in bytes.
        ProgressColumn[] columns = job.BytesTotal > 0
            ? [new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new TransferSpeedColumn(), new RemainingTimeColumn(), new SpinnerColumn()]
            : [new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn()];
        await AnsiConsole.Progress()
            .AutoClear(false)
            .HideCompleted(false)
            .Columns(columns)
            .StartAsync(async context =>
            {
                var bar = context.AddTask(Markup.Escape($"#{job.Id} {job.Kind} {job.Target}"), maxValue: 1);
                while (true)
                {
                    Show(bar, job);
                    if (job.IsFinished)
                    {
                        break;
                    }
                    await Task.Delay(PollInterval);
                    job = await admin.GetAsync<JobInfo>($"/jobs/{job.Id}");
                }
                bar.StopTask();
            });
        return job;
    }

    /// <summary>The job's progress on the bar; a finished job fills it whatever its totals said.</summary>
    private static void Show(ProgressTask bar, JobInfo job)
    {
        var (done, total) = job.BytesTotal > 0 ? (job.BytesDone, job.BytesTotal) : (job.ItemsDone, job.ItemsTotal);
        bar.IsIndeterminate = total <= 0 && !job.IsFinished;
        bar.MaxValue = Math.Max(1, total);
        bar.Value = job.IsFinished ? bar.MaxValue : Math.Min(done, bar.MaxValue);
        bar.Description = Markup.Escape($"#{job.Id} {job.Kind} {job.Target} {job.State}");
    }
}
