using Amazon.S3.Model;
using ObjStore.Core.Jobs;

using static ObjStore.Integration.Tests.Maintenance;

namespace ObjStore.Integration.Tests;

/// <summary>
/// Jobs know their totals before they start (what `admin jobs` shows as a percentage and an ETA): layouts and bytes,
/// of everything or of one store's, and they end with done equal to total.
/// </summary>
public sealed class JobTotalsTests
{
    [Fact]
    public async Task ScrubHealAndRebalanceReportTheirTotalsAndEndWithEverythingDone()
    {
        await using var server = await DevServer.StartAsync("4+2", settings: Fast);
        using var s3 = server.Client();
        await s3.PutBucketAsync("totals");
        long bytes = 0;
        for (int i = 0; i < 7; i++)
        {
            byte[] data = TestData.Bytes(50_000 + (i * 1000), i);
            bytes += data.Length;
            await s3.PutObjectAsync(new PutObjectRequest { BucketName = "totals", Key = $"k{i}", InputStream = new MemoryStream(data) });
        }

        foreach (var (kind, target) in new[] { (JobKinds.Scrub, "*"), (JobKinds.Heal, "*"), (JobKinds.Heal, "totals/k1"), (JobKinds.Rebalance, "*") })
        {
            var job = await RunJobAsync(server, kind, target);
            long layouts = target == "totals/k1" ? 1 : 7;
            Assert.True((layouts, layouts) == (job.ItemsTotal, job.ItemsDone), $"{kind} {target}: {job.ItemsDone} of {job.ItemsTotal}");
            Assert.True(job.BytesTotal > 0 && job.BytesTotal == job.BytesDone, $"{kind} {target}: {job.BytesDone} of {job.BytesTotal} bytes");
        }

        // One store's share: the layouts with a shard there (with 6 stores and 4+2, all of them).
        var store = await RunJobAsync(server, JobKinds.Heal, "store:store-03");
        Assert.Equal((7L, 7L), (store.ItemsTotal, store.ItemsDone));
        Assert.Equal(bytes, store.BytesTotal); // the bytes the shards encode: the objects' sizes, stored as sent
    }
}
