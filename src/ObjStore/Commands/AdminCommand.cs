using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using ObjStore.Core.Jobs;
using ObjStore.S3.Auth;

namespace ObjStore.Cli.Commands;

/// <summary>
/// `objstore admin info|status|jobs|heal [bucket[/prefix]|store:NODE]|scrub [NODE]|gc|rebuild-metadata|backup|drain NODE|rebalance|lifecycle BUCKET`
/// (and users, keys, policies: <see cref="IdentityCommands"/>; SSE-KMS keys and compression: <see cref="StorageCommands"/>) against a running gateway or dev server, over its
/// SigV4-signed admin API. --wait blocks until the started job ends (exit 0 only if it succeeded); --json prints JSON.
/// </summary>
internal static class AdminCommand
{
    // Relaxed escaping: "4+2" and versions stay readable ("+", not "\u002B"); the output is never embedded in HTML.
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static async Task<int> RunAsync(string verb, Options options)
    {
        string endpoint = (options.Get("endpoint") ?? Environment.GetEnvironmentVariable("OBJSTORE_ENDPOINT") ?? "http://127.0.0.1:9000").TrimEnd('/');
        string accessKey = options.Get("access-key") ?? Environment.GetEnvironmentVariable("OBJSTORE_ACCESS_KEY") ?? "objstore";
        string secretKey = options.Get("secret-key") ?? Environment.GetEnvironmentVariable("OBJSTORE_SECRET_KEY") ?? "objstore-dev-secret";
        // The admin API checks signatures like S3 does, region included (the store's ObjStore:S3:Region).
        string region = options.Get("region") ?? Environment.GetEnvironmentVariable("OBJSTORE_REGION") ?? "us-east-1";
        bool json = options.Flag("json");
        bool wait = options.Flag("wait");
        string? readWrite = options.Get("readwrite"), readOnly = options.Get("readonly");
        var compression = new StorageCommands.CompressionOptions(options.Get("level"), options.Get("include"), options.Get("exclude"));
        using var admin = new AdminClient(endpoint, accessKey, secretKey, region);
        try
        {
            switch (verb)
            {
                case "status":
                    var status = await admin.GetAsync<JsonElement>("/status");
                    Console.WriteLine(json ? JsonSerializer.Serialize(status, Json) : FormatStatus(status));
                    return 0;
                case "info":
                    var info = await admin.GetAsync<Hosting.AdminInfoReport>("/info");
                    if (json)
                    {
                        Console.WriteLine(JsonSerializer.Serialize(info, Json));
                    }
                    else
                    {
                        InfoCommand.Print(info, Console.Out);
                    }
                    return 0;
                case "jobs":
                    var jobs = await admin.GetAsync<List<JobInfo>>("/jobs");
                    Console.WriteLine(json ? JsonSerializer.Serialize(jobs, Json) : string.Join('\n', jobs.Select(FormatJob)));
                    return 0;
                case "heal" or "scrub" or "gc" or "rebuild-metadata" or "backup" or "drain" or "rebalance" or "lifecycle":
                    string target = options.Positional.FirstOrDefault() is { } given
                        ? verb == "scrub" && JobPlacement.StoreOf(given) is null && given != "*" ? JobPlacement.StoreTarget(given)
                        : verb == "lifecycle" && JobPlacement.BucketOf(given) is null ? JobPlacement.BucketTarget(given)
                        : given
                        : "*";
                    var job = await admin.PostAsync<JobInfo>($"/jobs?kind={verb}&target={Uri.EscapeDataString(target)}");
                    if (wait)
                    {
                        job = await JobProgress.WaitAsync(admin, job, live: !json && !Console.IsOutputRedirected);
                    }
                    Console.WriteLine(json ? JsonSerializer.Serialize(job, Json) : FormatJob(job));
                    return !wait || job.State == JobStates.Succeeded ? 0 : 1;
                case "user" or "key" or "policy":
                    return await IdentityCommands.RunAsync(verb, options.Positional, readWrite, readOnly, admin, json);
                case "kms" or "compression":
                    return await StorageCommands.RunAsync(verb, options.Positional, compression, wait, admin, json);
                default:
                    throw new OptionException(
                        $"unknown admin command '{verb}' (info, status, jobs, heal, scrub, gc, rebuild-metadata, backup, drain, rebalance, lifecycle, user, key, policy, kms, compression)");
            }
        }
        catch (HttpRequestException e)
        {
            await Console.Error.WriteLineAsync($"objstore admin: {e.Message}");
            return 1;
        }
    }

    private static string FormatJob(JobInfo job)
    {
        double done = job.ItemsTotal > 0 ? Math.Clamp((double)job.ItemsDone / job.ItemsTotal, 0, 1) : job.IsFinished ? 1 : 0;
        int filled = (int)Math.Round(done * 20);
        string bar = job.ItemsTotal > 0 || job.IsFinished ? $"[{new string('#', filled)}{new string('.', 20 - filled)}]" : "[ running... ]";
        string line = FormattableString.Invariant(
            $"#{job.Id,-5} {job.Kind,-6} {job.Target,-20} {job.State,-10} {bar} {job.ItemsDone} items {job.BytesDone / 1048576.0:F1} MiB  attempt {job.Attempts}/{job.MaxAttempts}  worker {job.LeaseOwner ?? job.AssignedTo ?? "-"}");
        return line + (job.LastError is { } error ? $"  error: {error}" : "") + (job.Result is { } result ? $"  {result}" : "");
    }

    private static string FormatStatus(JsonElement status)
    {
        var lines = new List<string> { $"{"store",-12}{"ready",-7}{"free GiB",10}{"total GiB",11}" };
        foreach (var store in status.GetProperty("stores").EnumerateArray())
        {
            lines.Add(string.Create(CultureInfo.InvariantCulture,
                $"{store.GetProperty("id").GetString(),-12}{(store.GetProperty("ready").GetBoolean() ? "yes" : "NO"),-7}{store.GetProperty("freeBytes").GetInt64() / 1073741824.0,10:F1}{store.GetProperty("totalBytes").GetInt64() / 1073741824.0,11:F1}"));
        }
        lines.Add($"{"worker",-28}{"holds",-10}{"running",8}{"queued",8}{"MiB/s",8}{"load",7}");
        foreach (var worker in status.GetProperty("workers").EnumerateArray())
        {
            lines.Add(string.Create(CultureInfo.InvariantCulture,
                $"{worker.GetProperty("id").GetString(),-28}{worker.GetProperty("holds").GetString() ?? "(all)",-10}{worker.GetProperty("running").GetInt32(),8}{worker.GetProperty("queued").GetInt32(),8}{worker.GetProperty("ioBytesPerSecond").GetInt64() / 1048576.0,8:F1}{worker.GetProperty("load").GetDouble(),7:F2}"));
        }
        var jobs = status.GetProperty("jobs");
        lines.Add($"degraded shards: {status.GetProperty("degradedShards").GetInt64()}   jobs queued {jobs.GetProperty("queued")}, running {jobs.GetProperty("running")}, failed {jobs.GetProperty("failed")}");
        return string.Join('\n', lines);
    }

    internal sealed class AdminClient(string endpoint, string accessKey, string secretKey, string region) : IDisposable
    {
        private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(30) };
        private readonly SigV4Signer _signer = new(accessKey, secretKey, region);

        public Task<T> GetAsync<T>(string path) => SendAsync<T>(HttpMethod.Get, path);

        public Task<T> PostAsync<T>(string path) => SendAsync<T>(HttpMethod.Post, path);

        /// <summary>A request whose answer is text (or nothing): policies, 204s.</summary>
        public async Task<string> SendTextAsync(HttpMethod method, string path, string? body = null)
        {
            using var response = await SendRawAsync(method, path, body);
            return await response.Content.ReadAsStringAsync();
        }

        private async Task<T> SendAsync<T>(HttpMethod method, string path)
        {
            using var response = await SendRawAsync(method, path, null);
            return (await response.Content.ReadFromJsonAsync<T>(Json))!;
        }

        private async Task<HttpResponseMessage> SendRawAsync(HttpMethod method, string path, string? body)
        {
            using var request = new HttpRequestMessage(method, new Uri(endpoint + "/_objstore/admin" + path));
            if (body is not null)
            {
                request.Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");
            }
            // A body (a policy) is signed by its hash, so what the server stores is what was sent.
            _signer.Sign(request, body is null ? SigV4.UnsignedPayload
                : Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(body))));
            var response = await _http.SendAsync(request);
            if (!response.IsSuccessStatusCode)
            {
                string text = await response.Content.ReadAsStringAsync();
                response.Dispose();
                throw new HttpRequestException($"{(int)response.StatusCode} {text}");
            }
            return response;
        }

        public void Dispose() => _http.Dispose();
    }
}
