using System.Globalization;

namespace ObjStore.Bench;

public enum BenchOperation
{
    Put,
    Get,
    Stat,
    Delete,
    List,
    Mixed,
}

public enum PayloadKind
{
    Random,
    Text,
}

/// <summary>Object sizes: one size, or a range from which each object draws its size uniformly (seeded).</summary>
public sealed record SizeRange(long Min, long Max)
{
    public bool IsFixed => Min == Max;

    public long Next(Random random) => IsFixed ? Min : Min + (long)(random.NextDouble() * (Max - Min + 1));

    /// <summary>"4KiB", "1MiB", "256MiB", "100", "1KiB-1MiB" (KB/MB are decimal, KiB/MiB binary).</summary>
    public static SizeRange Parse(string text)
    {
        int dash = text.IndexOf('-', 1);
        if (dash > 0)
        {
            long min = ParseBytes(text[..dash]), max = ParseBytes(text[(dash + 1)..]);
            return max >= min ? new SizeRange(min, max) : throw new FormatException($"size range '{text}' ends before it starts");
        }
        long size = ParseBytes(text);
        return new SizeRange(size, size);
    }

    public static long ParseBytes(string text)
    {
        string t = text.Trim();
        int split = 0;
        while (split < t.Length && (char.IsAsciiDigit(t[split]) || t[split] == '.'))
        {
            split++;
        }
        if (split == 0 || !double.TryParse(t[..split], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double number))
        {
            throw new FormatException($"'{text}' is not a size such as 4KiB, 1MiB or 1000");
        }
        double unit = t[split..].ToUpperInvariant() switch
        {
            "" or "B" => 1,
            "K" or "KB" => 1e3,
            "KIB" => 1 << 10,
            "M" or "MB" => 1e6,
            "MIB" => 1 << 20,
            "G" or "GB" => 1e9,
            "GIB" => 1 << 30,
            _ => throw new FormatException($"'{text}': unknown unit (B, KB, KiB, MB, MiB, GB, GiB)"),
        };
        return (long)(number * unit);
    }

    public override string ToString() => IsFixed ? Format(Min) : $"{Format(Min)}-{Format(Max)}";

    public static string Format(long bytes) => bytes switch
    {
        >= 1 << 30 when bytes % (1 << 30) == 0 => $"{bytes >> 30}GiB",
        >= 1 << 20 when bytes % (1 << 20) == 0 => $"{bytes >> 20}MiB",
        >= 1 << 10 when bytes % (1 << 10) == 0 => $"{bytes >> 10}KiB",
        _ => $"{bytes}B",
    };
}

/// <summary>Everything one run needs; see <c>objstore bench s3 --help</c>.</summary>
public sealed record BenchOptions
{
    public required Uri Endpoint { get; init; }
    public string AccessKey { get; init; } = "";
    public string SecretKey { get; init; } = "";
    public string Region { get; init; } = "us-east-1";
    public string Bucket { get; init; } = "objstore-bench";
    public BenchOperation Operation { get; init; } = BenchOperation.Put;
    public SizeRange Size { get; init; } = new(4096, 4096);
    public int Concurrency { get; init; } = 8;

    /// <summary>How long operations run; null: until the object count is done.</summary>
    public TimeSpan? Duration { get; init; }

    /// <summary>Objects written (put) or prepared first (get, stat, delete, list, mixed).</summary>
    public int? Objects { get; init; }

    public bool Keep { get; init; }
    public bool Verify { get; init; }

    /// <summary>Enable versioning on the bucket first: every PUT then makes a version (and a DELETE a marker).</summary>
    public bool Versioning { get; init; }

    /// <summary>Plain HTTP: no signing, no bucket calls (GET of plain URLs, PUT/DELETE as WebDAV), e.g. for nginx.</summary>
    public bool NoSign { get; init; }

    public IReadOnlyDictionary<BenchOperation, int> Mix { get; init; } = new Dictionary<BenchOperation, int>
    {
        [BenchOperation.Get] = 45,
        [BenchOperation.Stat] = 30,
        [BenchOperation.Put] = 15,
        [BenchOperation.Delete] = 10,
    };

    public int Seed { get; init; } = 1;

    /// <summary>x-amz-server-side-encryption on every PUT (AES256 or aws:kms); null: none.</summary>
    public string? Encryption { get; init; }

    /// <summary>What objects hold: random bytes (incompressible), or log-like text (compresses about 4 to 1).</summary>
    public PayloadKind Content { get; init; } = PayloadKind.Random;

    /// <summary>Live progress on standard error (a terminal only).</summary>
    public bool Live { get; init; }

    /// <summary>Objects to prepare (or write) when --objects was not given.</summary>
    public int ObjectCount => Objects ?? Operation switch
    {
        BenchOperation.List => 1000,
        BenchOperation.Delete => 1000,
        BenchOperation.Put when Duration is null => 100,
        _ => Math.Max(100, Concurrency * 4),
    };

    /// <summary>Without --duration and --objects a run lasts 10 s; with --objects alone it does exactly that many.</summary>
    public TimeSpan? EffectiveDuration => Duration ?? (Objects is null ? TimeSpan.FromSeconds(10) : null);

    public static TimeSpan ParseDuration(string text)
    {
        string t = text.Trim();
        (string number, double scale) = t switch
        {
            _ when t.EndsWith("ms", StringComparison.Ordinal) => (t[..^2], 0.001),
            _ when t.EndsWith('s') => (t[..^1], 1),
            _ when t.EndsWith('m') => (t[..^1], 60),
            _ when t.EndsWith('h') => (t[..^1], 3600),
            _ => (t, 1),
        };
        return double.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double value) && value > 0
            ? TimeSpan.FromSeconds(value * scale)
            : throw new FormatException($"'{text}' is not a duration such as 30s, 500ms or 2m");
    }

    /// <summary>"get=45,stat=30,put=15,delete=10".</summary>
    public static Dictionary<BenchOperation, int> ParseMix(string text)
    {
        var mix = new Dictionary<BenchOperation, int>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var pair = part.Split('=');
            if (pair.Length != 2 || !Enum.TryParse(pair[0], ignoreCase: true, out BenchOperation op) || op is BenchOperation.Mixed or BenchOperation.List
                || !int.TryParse(pair[1], NumberStyles.None, CultureInfo.InvariantCulture, out int weight))
            {
                throw new FormatException($"'{part}' is not OP=PERCENT with OP one of get, stat, put, delete");
            }
            mix[op] = weight;
        }
        return mix.Values.Sum() > 0 ? mix : throw new FormatException("the mix needs at least one positive weight");
    }
}
