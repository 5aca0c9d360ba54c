using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace ObjStore.Bench;

/// <summary>One operation's totals. For list, Ops counts pages and Keys the keys they held.</summary>
public sealed record OpReport
{
    public required string Operation { get; init; }
    public long Ops { get; init; }
    public long Bytes { get; init; }
    public long Errors { get; init; }
    public double Seconds { get; init; }
    public double OpsPerSecond { get; init; }
    public double MiBPerSecond { get; init; }
    public double P50Ms { get; init; }
    public double P90Ms { get; init; }
    public double P99Ms { get; init; }
    public double MaxMs { get; init; }
    public long? Keys { get; init; }
    public double? KeysPerSecond { get; init; }
    public Dictionary<string, long> ErrorCodes { get; init; } = [];
}

/// <summary>One second of a run.</summary>
public sealed record TimePoint(int Second, long Ops, long Bytes, long Errors);

/// <summary>What `objstore bench s3` prints and writes with --json.</summary>
public sealed record BenchReport
{
    public required string Endpoint { get; init; }
    public required string Operation { get; init; }
    public required string Size { get; init; }
    public int Concurrency { get; init; }
    public int PreparedObjects { get; init; }
    public double Seconds { get; init; }
    public double ClientCpuSeconds { get; init; }
    public required List<OpReport> Operations { get; init; }
    public List<TimePoint> Series { get; init; } = [];

    public long TotalErrors => Operations.Sum(o => o.Errors);

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static BenchReport FromJson(string json) =>
        JsonSerializer.Deserialize<BenchReport>(json, Json) ?? throw new FormatException("not a bench report");

    public string ToTable()
    {
        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"{Operation} {Size} x{Concurrency} against {Endpoint}: {Seconds:F1} s, client CPU {ClientCpuSeconds:F1} s");
        sb.AppendLine(CultureInfo.InvariantCulture, $"{"op",-8}{"ops",9}{"ops/s",10}{"MiB/s",10}{"errors",8}{"p50 ms",9}{"p90 ms",9}{"p99 ms",9}{"max ms",9}");
        foreach (var o in Operations)
        {
            sb.AppendLine(CultureInfo.InvariantCulture,
                $"{o.Operation,-8}{o.Ops,9}{o.OpsPerSecond,10:F1}{o.MiBPerSecond,10:F2}{o.Errors,8}{o.P50Ms,9:F2}{o.P90Ms,9:F2}{o.P99Ms,9:F2}{o.MaxMs,9:F2}");
            if (o.Keys is { } keys)
            {
                sb.AppendLine(CultureInfo.InvariantCulture, $"{"",-8}{keys} keys listed, {o.KeysPerSecond:F0} keys/s");
            }
            foreach (var (code, count) in o.ErrorCodes.OrderByDescending(e => e.Value))
            {
                sb.AppendLine(CultureInfo.InvariantCulture, $"{"",-8}error {code}: {count}");
            }
        }
        return sb.ToString();
    }

    /// <summary>B against A, per operation both ran: ratios above 1 mean B is faster (or, for latency, slower).</summary>
    public static string Compare(BenchReport a, BenchReport b)
    {
        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"A: {a.Operation} {a.Size} x{a.Concurrency} {a.Endpoint}");
        sb.AppendLine(CultureInfo.InvariantCulture, $"B: {b.Operation} {b.Size} x{b.Concurrency} {b.Endpoint}");
        sb.AppendLine(CultureInfo.InvariantCulture, $"{"op",-8}{"ops/s B/A",12}{"MiB/s B/A",12}{"p50 B/A",10}{"p99 B/A",10}");
        foreach (var x in a.Operations)
        {
            if (b.Operations.FirstOrDefault(o => o.Operation == x.Operation) is not { } y)
            {
                continue;
            }
            sb.AppendLine(CultureInfo.InvariantCulture,
                $"{x.Operation,-8}{Ratio(y.OpsPerSecond, x.OpsPerSecond),12}{Ratio(y.MiBPerSecond, x.MiBPerSecond),12}{Ratio(y.P50Ms, x.P50Ms),10}{Ratio(y.P99Ms, x.P99Ms),10}");
        }
        return sb.ToString();
    }

    private static string Ratio(double b, double a) => a > 0 ? (b / a).ToString("F3", CultureInfo.InvariantCulture) : "-";
}
