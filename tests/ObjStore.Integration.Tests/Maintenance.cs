using ObjStore.Core.Jobs;

namespace ObjStore.Integration.Tests;

/// <summary>What the maintenance tests share: settings that run jobs at once, running one, losing a catalogue.</summary>
internal static class Maintenance
{
    /// <summary>No rate limits, no grace, a quick job poll, and no automatic heal to race the test's own.</summary>
    public static readonly Dictionary<string, string?> Fast = new()
    {
        ["Maintenance:ScrubBytesPerSecond"] = "0",
        ["Maintenance:HealBytesPerSecond"] = "0",
        ["Maintenance:JobPollInterval"] = "00:00:00.100",
        ["Maintenance:GcGrace"] = "00:00:00",
        ["Maintenance:AutoHealInterval"] = "01:00:00",
    };

    /// <summary>Runs a job through the admin API to its end; it must succeed.</summary>
    public static async Task<JobInfo> RunJobAsync(DevServer server, string kind, string target = "*")
    {
        var job = await RawS3.RunJobAsync(server.Url, kind, target);
        Assert.True(job.State == JobStates.Succeeded, $"job {kind} {target}: {job.State} {job.LastError}");
        return job;
    }

    /// <summary>Stops a server whose data folder stays, and deletes its catalogue: the disaster recovery starts from.</summary>
    public static async Task StopAndLoseCatalogueAsync(DevServer server)
    {
        await server.StopAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        foreach (var file in Directory.EnumerateFiles(server.DataDir, "catalogue.db*"))
        {
            File.Delete(file);
        }
    }
}
