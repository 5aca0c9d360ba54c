using System.Globalization;
using ObjStore.Hosting;
using Spectre.Console;

namespace ObjStore.Cli.Commands;

/// <summary>
/// `objstore admin info`: the summary of <see cref="AdminInfo"/> as a header, a table of stores (or nodes) and the
/// totals, like `mc admin info`. Plain text when redirected (no colours, no escape codes), so it reads the same in a log.
/// </summary>
internal static class InfoCommand
{
    public static void Print(AdminInfoReport info, TextWriter output)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(output),
            Ansi = output == Console.Out && !Console.IsOutputRedirected ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = output == Console.Out && !Console.IsOutputRedirected ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
        });
        if (output != Console.Out || Console.IsOutputRedirected)
        {
            console.Profile.Width = 120;
        }
        string nodes = info.NodesUp is { } up ? $", nodes {up} up, {info.NodesDown} down" : "";
        console.MarkupLine(Markup.Escape($"objstore {info.Version}, {info.Mode} mode, erasure {info.Erasure}, up {Duration(info.UptimeSeconds)}{nodes}"));
        var table = new Table().Border(TableBorder.Rounded)
            .AddColumn(info.Mode == "gateway" ? "node" : "store")
            .AddColumn("state")
            .AddColumn(new TableColumn("used").RightAligned())
            .AddColumn(new TableColumn("free").RightAligned())
            .AddColumn(new TableColumn("total").RightAligned())
            .AddColumn(new TableColumn("used %").RightAligned());
        foreach (var store in info.Stores)
        {
            string state = store.State == "up" ? "[green]up[/]" : $"[red]{Markup.Escape(store.State)}[/]";
            table.AddRow(
                Markup.Escape(store.Url is null ? store.Id : $"{store.Id} {store.Url}"), state, Size(store.UsedBytes), Size(store.FreeBytes), Size(store.TotalBytes),
                store.TotalBytes > 0 ? string.Create(CultureInfo.InvariantCulture, $"{100.0 * store.UsedBytes / store.TotalBytes:F1}%") : "-");
        }
        console.Write(table);
        console.MarkupLine(Markup.Escape(string.Create(CultureInfo.InvariantCulture,
            $"{info.Buckets} buckets, {info.Objects} objects, {Size(info.ObjectBytes)} used ({info.Versions} versions, {Size(info.VersionBytes)}), {Size(info.RawBytes)} raw on the stores")));
        console.MarkupLine(Markup.Escape($"heal backlog: {info.HealBacklog} degraded shards"));
        console.MarkupLine(Markup.Escape($"jobs: {info.Jobs.Running} running, {info.Jobs.Queued} queued, {info.Jobs.Failed} failed"));
        foreach (var job in info.Jobs.RunningJobs)
        {
            string progress = job.ItemsTotal > 0
                ? string.Create(CultureInfo.InvariantCulture, $"{job.ItemsDone}/{job.ItemsTotal} items ({100.0 * job.ItemsDone / job.ItemsTotal:F0}%)")
                : $"{job.ItemsDone} items";
            console.MarkupLine(Markup.Escape($"  #{job.Id} {job.Kind} {job.Target}: {progress}, {Size(job.BytesDone)}"));
        }
    }

    /// <summary>Binary units, as the disks' tools print them.</summary>
    internal static string Size(long bytes)
    {
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
        double value = bytes;
        int unit = 0;
        while (value >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }
        return unit == 0 ? $"{bytes} B" : string.Create(CultureInfo.InvariantCulture, $"{value:F1} {units[unit]}");
    }

    private static string Duration(long seconds)
    {
        var span = TimeSpan.FromSeconds(seconds);
        return span.TotalDays >= 1 ? $"{(int)span.TotalDays}d {span.Hours}h" : span.TotalHours >= 1 ? $"{span.Hours}h {span.Minutes}m" : $"{span.Minutes}m {span.Seconds}s";
    }
}
