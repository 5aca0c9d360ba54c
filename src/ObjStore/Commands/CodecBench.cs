using System.Diagnostics;
using System.Text.Json;
using ObjStore.Erasure;

namespace ObjStore.Cli.Commands;

/// <summary>
/// `objstore bench codec`: single-thread encode and reconstruct throughput, buffers reused (cache-hot, as ISA-L
/// reports its own figure). GB/s counts 10^9 bytes of data shards per second; reconstruct rebuilds m data shards.
/// </summary>
internal static class CodecBench
{
    private static readonly (int K, int M)[] Layouts = [(4, 2), (8, 4), (12, 4), (16, 4)];
    private static readonly int[] ShardSizes = [64 << 10, 1 << 20];

    public static int Run(Options options)
    {
        string format = options.Get("format", "json");
        double seconds = options.GetDouble("seconds", 0.4);
        string simdName = options.Get("simd", SimdSupport.Best.ToString());
        var simd = Enum.TryParse(simdName, ignoreCase: true, out SimdLevel level) && Enum.IsDefined(level)
            ? level : throw new OptionException($"--simd is one of {string.Join(", ", Enum.GetNames<SimdLevel>())}, not '{simdName}'");
        if (format is not ("json" or "table"))
        {
            throw new OptionException("--format is json or table");
        }

        if (format == "table")
        {
            Console.WriteLine($"simd: {SimdSupport.Clamp(simd)}");
            Console.WriteLine($"{"layout",-8}{"shard",10}{"encode GB/s",14}{"reconstruct GB/s",19}");
        }
        foreach (var (k, m) in Layouts)
        {
            foreach (int shardBytes in ShardSizes)
            {
                var result = Measure(k, m, shardBytes, simd, TimeSpan.FromSeconds(seconds));
                if (format == "json")
                {
                    Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object>
                    {
                        ["k"] = k,
                        ["m"] = m,
                        ["shard_bytes"] = shardBytes,
                        ["encode_gbps"] = Math.Round(result.Encode, 3),
                        ["reconstruct_gbps"] = Math.Round(result.Reconstruct, 3),
                        ["simd"] = SimdSupport.Clamp(simd).ToString(),
                    }));
                }
                else
                {
                    Console.WriteLine($"{k}+{m,-6}{shardBytes / 1024 + " KiB",10}{result.Encode,14:F2}{result.Reconstruct,19:F2}");
                }
            }
        }
        return 0;
    }

    private static (double Encode, double Reconstruct) Measure(int k, int m, int shardBytes, SimdLevel simd, TimeSpan budget)
    {
        var codec = new ReedSolomon(k, m, simd);
        var shards = new Memory<byte>[k + m];
        var random = new Random(42);
        for (int i = 0; i < shards.Length; i++)
        {
            var buffer = GC.AllocateUninitializedArray<byte>(shardBytes, pinned: true);
            random.NextBytes(buffer);
            shards[i] = buffer;
        }
        var data = shards[..k].Select(s => (ReadOnlyMemory<byte>)s).ToArray();
        var parity = shards[k..];
        var present = new bool[k + m];
        Array.Fill(present, true);
        for (int i = 0; i < m; i++)
        {
            present[i] = false;
        }

        double encode = Rate(() => codec.Encode(data, parity), (long)k * shardBytes, budget);
        double reconstruct = Rate(() => codec.Reconstruct(shards, present, dataOnly: true), (long)k * shardBytes, budget);
        return (encode, reconstruct);
    }

    /// <summary>Median rate of several timed batches, after a warm-up that also sizes the batch.</summary>
    private static double Rate(Action operation, long bytesPerCall, TimeSpan budget)
    {
        var clock = Stopwatch.StartNew();
        int calls = 0;
        while (clock.Elapsed < TimeSpan.FromMilliseconds(50) || calls < 3)
        {
            operation();
            calls++;
        }
        int batch = Math.Max(1, (int)(calls * (budget.TotalMilliseconds / 7) / clock.Elapsed.TotalMilliseconds));
        var rates = new List<double>();
        for (int round = 0; round < 7; round++)
        {
            long start = Stopwatch.GetTimestamp();
            for (int i = 0; i < batch; i++)
            {
                operation();
            }
            double elapsed = Stopwatch.GetElapsedTime(start).TotalSeconds;
            rates.Add(batch * bytesPerCall / elapsed / 1e9);
        }
        rates.Sort();
        return rates[rates.Count / 2];
    }
}
