using System.Globalization;
using ObjStore.Bench;

namespace ObjStore.Cli.Commands;

/// <summary>
/// `objstore bench s3 ...` drives an S3 endpoint (or a plain HTTP server with --no-sign) and prints a table, optionally
/// writing JSON; `objstore bench compare A.json B.json` prints B's ratios to A. Exit status 1 when any request failed.
/// </summary>
internal static class S3BenchCommand
{
    public static async Task<int> RunAsync(Options options)
    {
        BenchOptions bench;
        string? jsonPath;
        try
        {
            string endpoint = options.Get("endpoint") ?? Environment.GetEnvironmentVariable("OBJSTORE_ENDPOINT")
                ?? throw new OptionException("--endpoint (or OBJSTORE_ENDPOINT) is required");
            bool noSign = options.Flag("no-sign");
            string accessKey = options.Get("access-key") ?? Environment.GetEnvironmentVariable("OBJSTORE_ACCESS_KEY") ?? "";
            string secretKey = options.Get("secret-key") ?? Environment.GetEnvironmentVariable("OBJSTORE_SECRET_KEY") ?? "";
            if (!noSign && (accessKey.Length == 0 || secretKey.Length == 0))
            {
                throw new OptionException("--access-key and --secret-key (or OBJSTORE_ACCESS_KEY, OBJSTORE_SECRET_KEY) are required unless --no-sign");
            }
            var operation = Enum.TryParse(options.Get("op", "put"), ignoreCase: true, out BenchOperation op)
                ? op : throw new OptionException("--op is put, get, stat, delete, list or mixed");
            bench = new BenchOptions
            {
                Endpoint = Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) ? uri : throw new OptionException($"--endpoint '{endpoint}' is not a URL"),
                AccessKey = accessKey,
                SecretKey = secretKey,
                Region = options.Get("region", "us-east-1"),
                Bucket = options.Get("bucket", "objstore-bench"),
                Operation = operation,
                Size = SizeRange.Parse(options.Get("size", "4KiB")),
                Concurrency = int.TryParse(options.Get("concurrency", "8"), NumberStyles.None, CultureInfo.InvariantCulture, out int c) && c > 0
                    ? c : throw new OptionException("--concurrency is a positive integer"),
                Duration = options.Get("duration") is { } duration ? BenchOptions.ParseDuration(duration) : null,
                Objects = options.Get("objects") is { } objects
                    ? int.TryParse(objects, NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n > 0 ? n : throw new OptionException("--objects is a positive integer")
                    : null,
                Keep = options.Flag("keep"),
                Verify = options.Flag("verify"),
                Versioning = options.Flag("versioning"),
                NoSign = noSign,
                Mix = options.Get("mix") is { } mix ? BenchOptions.ParseMix(mix) : new BenchOptions { Endpoint = uri }.Mix,
                Seed = options.GetInt("seed") ?? 1,
                Encryption = options.Get("sse") is { } sse
                    ? sse is "AES256" or "aws:kms" ? sse : throw new OptionException("--sse is AES256 or aws:kms")
                    : null,
                Content = Enum.TryParse(options.Get("content", "random"), ignoreCase: true, out PayloadKind content)
                    ? content : throw new OptionException("--content is random or text"),
                Live = !Console.IsErrorRedirected,
            };
            jsonPath = options.Get("json");
        }
        catch (FormatException e)
        {
            throw new OptionException(e.Message);
        }

        BenchReport report;
        try
        {
            report = await new BenchRunner(bench, bench.Live ? Console.Error : null).RunAsync();
        }
        catch (BenchSetupException e)
        {
            await Console.Error.WriteLineAsync($"objstore bench: {e.Message}");
            return 2;
        }
        Console.Write(report.ToTable());
        if (jsonPath is not null)
        {
            await File.WriteAllTextAsync(jsonPath, report.ToJson());
        }
        if (report.TotalErrors > 0)
        {
            await Console.Error.WriteLineAsync($"objstore bench: {report.TotalErrors} requests failed");
            return 1;
        }
        return 0;
    }

    public static int Compare(Options options)
    {
        if (options.Positional.Count != 2)
        {
            throw new OptionException("bench compare takes two JSON reports: A.json B.json");
        }
        var a = BenchReport.FromJson(File.ReadAllText(options.Positional[0]));
        var b = BenchReport.FromJson(File.ReadAllText(options.Positional[1]));
        Console.Write(BenchReport.Compare(a, b));
        return 0;
    }
}
