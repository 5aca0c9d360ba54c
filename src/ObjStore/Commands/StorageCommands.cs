using System.Text.Json;
using System.Text.Json.Nodes;
using ObjStore.Core.Jobs;

namespace ObjStore.Cli.Commands;

/// <summary>
/// `objstore admin kms ...` and `objstore admin compression ...`, over the admin API:
/// <code>
/// kms key add ID | kms key list          keys of the built-in key provider (SSE-KMS)
/// kms rotate [--wait]                    a new master key, and a job re-sealing every key under it
/// compression set BUCKET [--level N] [--include PATTERNS] [--exclude PATTERNS]   (PATTERNS: .log,text/*,application/json)
/// compression show|off BUCKET
/// </code>
/// </summary>
internal static class StorageCommands
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };
    private static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);

    public sealed record CompressionOptions(string? Level, string? Include, string? Exclude);

    public static async Task<int> RunAsync(
        string noun, IReadOnlyList<string> args, CompressionOptions compression, bool wait, AdminCommand.AdminClient admin, bool json)
    {
        string Arg(int i, string what) => args.Count > i ? args[i] : throw new OptionException($"objstore admin {noun} {string.Join(' ', args.Take(i))}: {what} is missing");
        string Escaped(int i, string what) => Uri.EscapeDataString(Arg(i, what));
        switch (noun, args.Count > 0 ? args[0] : "", args.Count > 1 ? args[1] : "")
        {
            case ("kms", "key", "add"):
                await admin.PostAsync<JsonElement>($"/kms/keys?id={Escaped(2, "ID")}");
                Console.WriteLine($"key {args[2]} added: aws s3 cp FILE s3://BUCKET/KEY --sse aws:kms --sse-kms-key-id {args[2]}");
                return 0;
            case ("kms", "key", "list"):
                var keys = await admin.GetAsync<JsonElement>("/kms/keys");
                Console.WriteLine(json ? JsonSerializer.Serialize(keys, Indented)
                    : string.Join('\n', keys.EnumerateArray().Select(k => $"{k.GetProperty("id").GetString(),-40} {k.GetProperty("created").GetString()}")));
                return 0;
            case ("kms", "rotate", _):
                var rotated = await admin.PostAsync<JsonElement>("/kms/rotate");
                var job = rotated.GetProperty("job").Deserialize<JobInfo>(Web)!;
                Console.WriteLine($"master key {rotated.GetProperty("masterKey").GetString()} is current; re-sealing in job #{job.Id}");
                if (wait)
                {
                    job = await JobProgress.WaitAsync(admin, job, live: !json && !Console.IsOutputRedirected);
                    Console.WriteLine($"job #{job.Id} {job.State}: {job.ItemsDone} of {job.ItemsTotal} data keys {job.Result}");
                }
                return !wait || job.State == JobStates.Succeeded ? 0 : 1;
            case ("compression", "set", _):
                var settings = new JsonObject
                {
                    ["level"] = int.TryParse(compression.Level ?? "1", out int level) ? level : throw new OptionException("--level is a number, 1 (fastest) to 19"),
                    ["include"] = Patterns(compression.Include),
                    ["exclude"] = Patterns(compression.Exclude),
                };
                string stored = await admin.SendTextAsync(HttpMethod.Put, $"/buckets/{Escaped(1, "BUCKET")}/compression", settings.ToJsonString());
                Console.WriteLine(json ? stored : $"bucket {args[1]} compresses new objects: {stored}");
                return 0;
            case ("compression", "show", _):
                Console.WriteLine(await admin.SendTextAsync(HttpMethod.Get, $"/buckets/{Escaped(1, "BUCKET")}/compression"));
                return 0;
            case ("compression", "off", _):
                await admin.SendTextAsync(HttpMethod.Delete, $"/buckets/{Escaped(1, "BUCKET")}/compression");
                Console.WriteLine($"bucket {args[1]} stores new objects uncompressed (objects already compressed stay so)");
                return 0;
            default:
                throw new OptionException($"unknown admin command '{noun} {string.Join(' ', args)}' (kms key add|list, kms rotate, compression set|show|off)");
        }
    }

    private static JsonArray Patterns(string? list) =>
        [.. (list ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(p => JsonValue.Create(p))];
}
