using System.Buffers.Binary;
using System.IO.Hashing;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Amazon.S3;
using Amazon.S3.Model;
using EncryptionMode = ObjStore.Core.EncryptionMode;
using ObjectInfo = ObjStore.Core.ObjectInfo;
using ShardId = ObjStore.Core.ShardId;
using ObjStore.Core.Jobs;
using ObjStore.Erasure;
using ObjStore.Kms;
using ObjStore.S3.Auth;

using static ObjStore.Integration.Tests.Maintenance;

namespace ObjStore.Integration.Tests;

/// <summary>
/// Encryption and compression as the disk sees them, through a real S3 client: no plaintext in any shard, compressed
/// shards smaller, ranges exact at every package, frame, stripe and part boundary (also with two shards lost),
/// tampered ciphertext caught by its tag, heal and rebuild without a key, master key rotation and a start with the
/// wrong master key.
/// </summary>
public sealed class EncryptionAtRestTests
{
    private static readonly Dictionary<string, string?> Settings = new(Fast)
    {
        ["S3:AllowCustomerKeysOverHttp"] = "true",
        ["MinPartSize"] = "1048576",
    };

    private static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);

    private const string Sentence = "The vault's combination is 31-41-59, written on the back of the painting.";
    private static readonly byte[] CustomerKey = SHA256.HashData("customer key of the encryption tests"u8);

    public enum Mode { SseS3, Compressed, SseS3AndCompressed, SseC, SseCAndCompressed }

    /// <summary>Text, then incompressible bytes, then text: at 2.5 MiB a raw frame between compressed ones.</summary>
    private static byte[] MixedContent(int size = 2_621_440 + 777)
    {
        var data = new byte[size];
        var text = new StringBuilder();
        for (int i = 0; text.Length < size; i++)
        {
            text.Append("line ").Append(i).Append(": ").Append(Sentence).Append(' ').Append(i * 7919 % 10007).Append('\n');
        }
        Encoding.ASCII.GetBytes(text.ToString(0, size), data);
        new Random(11).NextBytes(data.AsSpan(size / 2 - size / 5, size / 5));
        return data;
    }

    private static async Task<DevServer> StartAsync(string? dataDir = null, Dictionary<string, string?>? extra = null)
    {
        var settings = new Dictionary<string, string?>(Settings);
        foreach (var (key, value) in extra ?? [])
        {
            settings[key] = value;
        }
        return await DevServer.StartAsync("4+2", dataDir, settings);
    }

    private static async Task CompressAsync(DevServer server, string bucket) =>
        Assert.Equal(200, (await AdminAsync(server, HttpMethod.Put, $"/buckets/{bucket}/compression", """{"level":1}""")).Status);

    private static async Task<(int Status, string Body)> AdminAsync(DevServer server, HttpMethod method, string path, string? body = null)
    {
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(method, $"{server.Url}/_objstore/admin{path}");
        if (body is not null)
        {
            request.Content = new StringContent(body);
        }
        new SigV4Signer("it", "integration-secret").Sign(request);
        using var response = await http.SendAsync(request);
        return ((int)response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    private static void WithEncryption(PutObjectRequest request, Mode mode)
    {
        if (mode is Mode.SseS3 or Mode.SseS3AndCompressed)
        {
            request.ServerSideEncryptionMethod = ServerSideEncryptionMethod.AES256;
        }
        if (mode is Mode.SseC or Mode.SseCAndCompressed)
        {
            request.ServerSideEncryptionCustomerMethod = ServerSideEncryptionCustomerMethod.AES256;
            request.ServerSideEncryptionCustomerProvidedKey = Convert.ToBase64String(CustomerKey);
            request.ServerSideEncryptionCustomerProvidedKeyMD5 = Convert.ToBase64String(MD5.HashData(CustomerKey));
        }
    }

    private static async Task<byte[]> GetAsync(AmazonS3Client s3, string bucket, string key, ByteRange? range, bool customerKey)
    {
        var request = new GetObjectRequest { BucketName = bucket, Key = key, ByteRange = range };
        if (customerKey)
        {
            request.ServerSideEncryptionCustomerMethod = ServerSideEncryptionCustomerMethod.AES256;
            request.ServerSideEncryptionCustomerProvidedKey = Convert.ToBase64String(CustomerKey);
            request.ServerSideEncryptionCustomerProvidedKeyMD5 = Convert.ToBase64String(MD5.HashData(CustomerKey));
        }
        using var response = await s3.GetObjectAsync(request);
        return await Downloads.ReadAllAsync(response.ResponseStream);
    }

    private static async Task PutAsync(AmazonS3Client s3, string bucket, string key, byte[] data, Mode mode)
    {
        var request = new PutObjectRequest { BucketName = bucket, Key = key, InputStream = new MemoryStream(data), ContentType = "text/plain" };
        WithEncryption(request, mode);
        await s3.PutObjectAsync(request);
    }

    /// <summary>A multipart object of two parts: 1,100,000 bytes (across a frame boundary) and the rest.</summary>
    private static async Task PutMultipartAsync(AmazonS3Client s3, string bucket, string key, byte[] data, Mode mode)
    {
        var create = new InitiateMultipartUploadRequest { BucketName = bucket, Key = key, ContentType = "text/plain" };
        bool customer = mode is Mode.SseC or Mode.SseCAndCompressed;
        if (mode is Mode.SseS3 or Mode.SseS3AndCompressed)
        {
            create.ServerSideEncryptionMethod = ServerSideEncryptionMethod.AES256;
        }
        if (customer)
        {
            create.ServerSideEncryptionCustomerMethod = ServerSideEncryptionCustomerMethod.AES256;
            create.ServerSideEncryptionCustomerProvidedKey = Convert.ToBase64String(CustomerKey);
            create.ServerSideEncryptionCustomerProvidedKeyMD5 = Convert.ToBase64String(MD5.HashData(CustomerKey));
        }
        var upload = await s3.InitiateMultipartUploadAsync(create);
        var etags = new List<PartETag>();
        int[] cuts = [0, 1_100_000, data.Length];
        for (int i = 0; i < 2; i++)
        {
            var part = new UploadPartRequest
            {
                BucketName = bucket, Key = key, UploadId = upload.UploadId, PartNumber = i + 1,
                InputStream = new MemoryStream(data[cuts[i]..cuts[i + 1]]),
            };
            if (customer)
            {
                part.ServerSideEncryptionCustomerMethod = ServerSideEncryptionCustomerMethod.AES256;
                part.ServerSideEncryptionCustomerProvidedKey = Convert.ToBase64String(CustomerKey);
                part.ServerSideEncryptionCustomerProvidedKeyMD5 = Convert.ToBase64String(MD5.HashData(CustomerKey));
            }
            etags.Add(new PartETag(i + 1, (await s3.UploadPartAsync(part)).ETag));
        }
        await s3.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest { BucketName = bucket, Key = key, UploadId = upload.UploadId, PartETags = etags });
    }

    /// <summary>Offsets at every package (64 KiB), frame (1 MiB), stripe (4 x 64 KiB) and part boundary, +-1, and the ends.</summary>
    private static IEnumerable<(long From, long To)> Boundaries(long size)
    {
        long[] edges = [0, 65_536, 262_144, 1_048_576, 1_100_000, 2_097_152, size - 1];
        foreach (long edge in edges.Where(e => e < size))
        {
            foreach (long at in new[] { edge - 1, edge, edge + 1 }.Where(a => a >= 0 && a < size))
            {
                yield return (at, at);
                yield return (at, Math.Min(size - 1, at + 70_000));
            }
        }
        yield return (65_535, 1_048_577);
        yield return (0, size - 1);
    }

    private static async Task AssertRangesAsync(AmazonS3Client s3, string bucket, string key, byte[] data, bool customerKey)
    {
        foreach (var (from, to) in Boundaries(data.Length))
        {
            var got = await GetAsync(s3, bucket, key, new ByteRange(from, to), customerKey);
            Assert.True(data.AsSpan((int)from, (int)(to - from + 1)).SequenceEqual(got), $"{key} bytes {from}-{to}");
        }
    }

    private static void DeleteTwoDataShards(DevServer server, ObjectInfo info)
    {
        foreach (var part in info.Parts)
        {
            foreach (int index in new[] { 0, 1 })
            {
                File.Delete(server.Stores.Single(s => s.Id == part.Layout.Placement[index]).PathOf(ShardId.For(part.Layout.DataId, index)));
            }
        }
    }

    [Theory]
    [InlineData(Mode.SseS3, false)]
    [InlineData(Mode.Compressed, false)]
    [InlineData(Mode.SseS3AndCompressed, false)]
    [InlineData(Mode.SseCAndCompressed, false)]
    [InlineData(Mode.SseS3AndCompressed, true)]
    [InlineData(Mode.SseC, true)]
    public async Task RangesAtEveryBoundaryAreExactAlsoWithTwoShardsLost(Mode mode, bool multipart)
    {
        await using var server = await StartAsync();
        using var s3 = server.Client();
        await s3.PutBucketAsync("ranges");
        if (mode is Mode.Compressed or Mode.SseS3AndCompressed or Mode.SseCAndCompressed)
        {
            await CompressAsync(server, "ranges");
        }
        byte[] data = MixedContent();
        await (multipart ? PutMultipartAsync(s3, "ranges", "obj", data, mode) : PutAsync(s3, "ranges", "obj", data, mode));
        bool customer = mode is Mode.SseC or Mode.SseCAndCompressed;
        var info = (await server.Catalogue.Objects.GetAsync("ranges", "obj"))!;
        Assert.Equal(data.Length, info.Size);
        Assert.All(info.Parts, p => Assert.NotNull(p.Encoding));

        await AssertRangesAsync(s3, "ranges", "obj", data, customer);
        DeleteTwoDataShards(server, info);
        await AssertRangesAsync(s3, "ranges", "obj", data, customer);
    }

    [Fact]
    public async Task NoShardHoldsThePlaintextAndCompressedShardsTakeLessThanHalf()
    {
        await using var server = await StartAsync();
        using var s3 = server.Client();
        await s3.PutBucketAsync("plain");
        await s3.PutBucketAsync("packed");
        await CompressAsync(server, "packed");
        byte[] text = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat(Sentence + "\n", 4000)));
        byte[] needle = Encoding.ASCII.GetBytes("combination is 31-41-59");

        await PutAsync(s3, "plain", "secret.txt", text, Mode.SseS3);
        Assert.All(server.ShardFiles(), f => Assert.Equal(-1, File.ReadAllBytes(f).AsSpan().IndexOf(needle)));

        var before = server.ShardFiles().ToHashSet();
        await PutAsync(s3, "packed", "notes.txt", text, Mode.Compressed);
        long stored = server.ShardFiles().Where(f => !before.Contains(f)).Sum(f => new FileInfo(f).Length);
        Assert.True(stored < text.Length / 2, $"{stored} bytes of shards for {text.Length} bytes of text");

        Assert.Equal(text, await GetAsync(s3, "plain", "secret.txt", null, false));
        Assert.Equal(text, await GetAsync(s3, "packed", "notes.txt", null, false));
        var head = await s3.GetObjectMetadataAsync("packed", "notes.txt");
        Assert.Equal(text.Length, head.ContentLength);
        Assert.Equal($"\"{Convert.ToHexStringLower(MD5.HashData(text))}\"", head.ETag);
        var listed = Assert.Single((await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = "packed" })).S3Objects);
        Assert.Equal(text.Length, listed.Size);
    }

    /// <summary>
    /// A data block of an SSE-S3 object replaced by someone who recomputes its checksum (XxHash3 is no secret): the
    /// block check passes, the package's GCM tag does not, and the read fails rather than serve a changed byte.
    /// </summary>
    [Fact]
    public async Task TamperedCiphertextWithARecomputedBlockChecksumIsCaughtByTheTag()
    {
        await using var server = await StartAsync();
        using var s3 = server.Client();
        await s3.PutBucketAsync("tamper");
        byte[] data = MixedContent(200_000);
        await PutAsync(s3, "tamper", "x", data, Mode.SseS3);
        var part = (await server.Catalogue.Objects.GetAsync("tamper", "x"))!.Parts[0];
        string file = server.Stores.Single(s => s.Id == part.Layout.Placement[0]).PathOf(ShardId.For(part.Layout.DataId, 0));
        var layout = new StripeLayout(4, 2, 65_536);
        int blockLength = layout.BlockLength(layout.StripeDataLength(part.StoredSize, 0));
        var bytes = File.ReadAllBytes(file);
        var block = bytes.AsSpan((int)layout.BlockOffset(0), blockLength);
        block[100] ^= 0x20;
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan((int)layout.BlockOffset(0) + blockLength), XxHash3.HashToUInt64(block));
        File.WriteAllBytes(file, bytes);

        var failure = await Record.ExceptionAsync(() => GetAsync(s3, "tamper", "x", new ByteRange(0, data.Length - 1), false));
        Assert.NotNull(failure); // a cut connection or an error, never the changed bytes
        // Bytes in packages the change did not touch still read: the first package spans blocks 0 and 1 only.
        Assert.Equal(data[150_000..160_000], await GetAsync(s3, "tamper", "x", new ByteRange(150_000, 159_999), false));
    }

    /// <summary>Heal and rebuild-metadata never need a key: the shards they move and the footers they read are ciphertext.</summary>
    [Fact]
    public async Task HealRestoresShardsOfAnSseCObjectByteForByteAndRebuildFindsEncryptedObjects()
    {
        string dataDir = Directory.CreateTempSubdirectory("objstore-it-").FullName;
        byte[] data = MixedContent(700_000);
        {
            var server = await StartAsync(dataDir); // stopped, not disposed: disposing deletes the folder
            using var s3 = server.Client();
            await s3.PutBucketAsync("heal");
            await CompressAsync(server, "heal");
            await PutAsync(s3, "heal", "c", data, Mode.SseCAndCompressed);
            await PutMultipartAsync(s3, "heal", "m", MixedContent(), Mode.SseS3);
            var part = (await server.Catalogue.Objects.GetAsync("heal", "c"))!.Parts[0];
            string file = server.Stores.Single(s => s.Id == part.Layout.Placement[2]).PathOf(ShardId.For(part.Layout.DataId, 2));
            byte[] original = File.ReadAllBytes(file);
            File.Delete(file);

            await RunJobAsync(server, JobKinds.Scrub);
            await RunJobAsync(server, JobKinds.Heal, JobKinds.Degraded);
            Assert.Equal(original, File.ReadAllBytes(file));
            await StopAndLoseCatalogueAsync(server);
        }
        await using (var server = await StartAsync(dataDir))
        {
            await RunJobAsync(server, JobKinds.RebuildMetadata);
            using var s3 = server.Client();
            Assert.Equal(data, await GetAsync(s3, "heal", "c", null, true));
            Assert.Equal(MixedContent(), await GetAsync(s3, "heal", "m", new ByteRange(0, MixedContent().Length - 1), false));
            var info = (await server.Catalogue.Objects.GetAsync("heal", "c"))!;
            Assert.Equal(EncryptionMode.Customer, info.Metadata.Encryption?.Mode);
            Assert.NotNull(info.Parts[0].Encoding?.Frames);
        }
    }

    /// <summary>
    /// `objstore admin kms rotate`: a new master key, the old one kept beside it, every SSE-S3 data key and every KMS
    /// key re-sealed; objects of every mode read before and after a restart, and after a catalogue rebuilt from
    /// footers (which keep the old sealing).
    /// </summary>
    [Fact]
    public async Task RotationReSealsEveryKeyAndEveryObjectStillReads()
    {
        string dataDir = Directory.CreateTempSubdirectory("objstore-it-").FullName;
        byte[] data = MixedContent(300_000);
        var modes = new[] { Mode.SseS3, Mode.SseC, Mode.SseS3AndCompressed };
        uint oldKey;
        {
            var server = await StartAsync(dataDir);
            using var s3 = server.Client();
            await s3.PutBucketAsync("rotate");
            foreach (var mode in modes)
            {
                await PutAsync(s3, "rotate", mode.ToString(), data, mode);
            }
            Assert.Equal(201, (await AdminAsync(server, HttpMethod.Post, "/kms/keys?id=app-key")).Status);
            await s3.PutObjectAsync(new PutObjectRequest
            {
                BucketName = "rotate", Key = "kms", InputStream = new MemoryStream(data),
                ServerSideEncryptionMethod = ServerSideEncryptionMethod.AWSKMS, ServerSideEncryptionKeyManagementServiceKeyId = "app-key",
            });
            oldKey = MasterKeyId(dataDir);

            var (status, body) = await AdminAsync(server, HttpMethod.Post, "/kms/rotate");
            Assert.Equal(201, status);
            long jobId = JsonDocument.Parse(body).RootElement.GetProperty("job").GetProperty("id").GetInt64();
            var job = await WaitForJobAsync(server, jobId);
            Assert.True(job.State == JobStates.Succeeded, job.LastError);
            Assert.Contains("\"dataKeysResealed\":2", job.Result, StringComparison.Ordinal); // the two SSE-S3 objects
            Assert.NotEqual(oldKey, MasterKeyId(dataDir));
            Assert.True(File.Exists(Path.Combine(dataDir, $"master.key.previous-{oldKey:x8}")));
            await AssertAllReadAsync(s3);
            await server.StopAsync();
        }
        {
            var server = await StartAsync(dataDir);
            using var s3 = server.Client();
            await AssertAllReadAsync(s3);
            await StopAndLoseCatalogueAsync(server);
        }
        await using (var server = await StartAsync(dataDir))
        {
            await RunJobAsync(server, JobKinds.RebuildMetadata);
            using var s3 = server.Client();
            foreach (var mode in new[] { Mode.SseS3, Mode.SseC, Mode.SseS3AndCompressed })
            {
                Assert.Equal(data, await GetAsync(s3, "rotate", mode.ToString(), null, mode == Mode.SseC));
            }
        }

        async Task AssertAllReadAsync(AmazonS3Client s3)
        {
            foreach (var mode in modes)
            {
                Assert.Equal(data, await GetAsync(s3, "rotate", mode.ToString(), null, mode == Mode.SseC));
            }
            Assert.Equal(data, await GetAsync(s3, "rotate", "kms", null, false));
        }
    }

    [Fact]
    public async Task AStartWithAnotherMasterKeyIsRefusedBeforeAnythingIsWritten()
    {
        string dataDir = Directory.CreateTempSubdirectory("objstore-it-").FullName;
        {
            var server = await StartAsync(dataDir);
            using var s3 = server.Client();
            await s3.PutBucketAsync("keys");
            await PutAsync(s3, "keys", "x", MixedContent(1000), Mode.SseS3);
            await server.StopAsync();
        }
        string keyFile = Path.Combine(dataDir, "master.key");
        byte[] original = File.ReadAllBytes(keyFile);
        File.Delete(keyFile); // lost: the next start makes a new one, and must not serve with it
        var refused = await Assert.ThrowsAsync<MasterKeyMismatchException>(() => StartAsync(dataDir));
        Assert.Contains("not configured", refused.Message, StringComparison.Ordinal);

        File.WriteAllBytes(keyFile, original);
        await using var restored = await StartAsync(dataDir);
        using var client = restored.Client();
        Assert.Equal(MixedContent(1000), await GetAsync(client, "keys", "x", null, false));
    }

    private static uint MasterKeyId(string dataDir) =>
        new ObjStore.Access.Secrets.MasterKey(Convert.FromHexString(File.ReadAllText(Path.Combine(dataDir, "master.key")).Trim())).Id;

    private static async Task<JobInfo> WaitForJobAsync(DevServer server, long id)
    {
        for (int i = 0; i < 600; i++)
        {
            var (_, body) = await AdminAsync(server, HttpMethod.Get, $"/jobs/{id}");
            var job = JsonSerializer.Deserialize<JobInfo>(body, Web)!;
            if (job.IsFinished)
            {
                return job;
            }
            await Task.Delay(100);
        }
        throw new TimeoutException($"job {id} did not finish");
    }
}
