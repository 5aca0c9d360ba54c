using System.Net;
using System.Net.Sockets;
using System.Text;
using Amazon.S3;
using Amazon.S3.Model;

namespace ObjStore.Integration.Tests;

/// <summary>Shards deleted and rotted on disk, too many lost, clients that hang up: through a real S3 client.</summary>
public class FaultTests
{


    [Fact]
    public async Task ReadsSurviveMDeletedOrCorruptShardsAndFailCleanlyBeyond()
    {
        await using var server = await DevServer.StartAsync("4+2");
        using var s3 = server.Client();
        await s3.PutBucketAsync("faults");
        var data = TestData.Bytes(700_001, 1); // many 64 KiB stripes and a short last one
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = "faults", Key = "obj", InputStream = new MemoryStream(data) });

        var shards = server.ShardFiles().OrderBy(f => Path.GetFileName(f), StringComparer.Ordinal).ToList();
        Assert.Equal(6, shards.Count);

        // One shard deleted, one with bit rot in a block in the middle: still exact, whole and ranged.
        File.Delete(shards[0]);
        using (var file = new FileStream(shards[3], FileMode.Open, FileAccess.ReadWrite))
        {
            file.Position = 70_000;
            int b = file.ReadByte();
            file.Position = 70_000;
            file.WriteByte((byte)(b ^ 0x40));
        }
        Assert.Equal(data, await s3.GetBytesAsync("faults", "obj"));
        Assert.Equal(data[123_456..654_321], await s3.GetBytesAsync("faults", "obj", new ByteRange(123_456, 654_320)));

        // A third lost shard: more than m. The read fails with an S3 error or a cut connection, never wrong bytes.
        File.Delete(shards[5]);
        var failure = await Record.ExceptionAsync(() => s3.GetBytesAsync("faults", "obj"));
        Assert.NotNull(failure);
        if (failure is AmazonS3Exception s3Error)
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, s3Error.StatusCode);
        }
    }

    [Fact]
    public async Task AClientThatHangsUpMidBodyLeavesNoObjectAndNoShards()
    {
        await using var server = await DevServer.StartAsync("4+2");
        using var s3 = server.Client();
        await s3.PutBucketAsync("hangup");
        var uri = new Uri(server.Url);

        // Presign a PUT, send half of the declared body, then close the socket.
        string url = await s3.GetPreSignedURLAsync(new GetPreSignedUrlRequest
        {
            BucketName = "hangup", Key = "partial", Verb = HttpVerb.PUT, Expires = DateTime.UtcNow.AddMinutes(5), Protocol = Protocol.HTTP,
        });
        using (var client = new TcpClient())
        {
            await client.ConnectAsync(uri.Host, uri.Port);
            var stream = client.GetStream();
            string target = url[url.IndexOf('/', "http://".Length)..];
            await stream.WriteAsync(Encoding.ASCII.GetBytes($"PUT {target} HTTP/1.1\r\nHost: {uri.Authority}\r\nContent-Length: 1000000\r\n\r\n"));
            await stream.WriteAsync(new byte[300_000]);
            await stream.FlushAsync();
        }

        // Under load the server may not have started the write yet: give it a moment to (its temporary shards live only
        // milliseconds, so they may not be seen), then wait for every temporary shard to go.
        await RawS3.WaitForAsync(() => server.TempFiles().Count > 0, timeoutMs: 1_500);
        await RawS3.WaitForAsync(() => server.TempFiles().Count == 0, timeoutMs: 30_000);
        Assert.Equal("NoSuchKey", (await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.GetObjectAsync("hangup", "partial"))).ErrorCode);
        Assert.Empty(server.ShardFiles());
        Assert.Empty(server.TempFiles());
    }

    [Fact]
    public async Task OverwritesAndDeletesFreeTheOldShards()
    {
        await using var server = await DevServer.StartAsync("3+2");
        using var s3 = server.Client();
        await s3.PutBucketAsync("gcb");
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = "gcb", Key = "k", ContentBody = "first version" });
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = "gcb", Key = "k", ContentBody = "second version" });
        Assert.Equal(5, server.ShardFiles().Count);
        Assert.Equal("second version", Encoding.UTF8.GetString(await s3.GetBytesAsync("gcb", "k")));
        await s3.DeleteObjectAsync("gcb", "k");
        Assert.Empty(server.ShardFiles());
    }

    [Fact]
    public async Task EverythingSurvivesARestart()
    {
        string dataDir = Directory.CreateTempSubdirectory("objstore-restart-").FullName;
        var data = TestData.Bytes(200_000, 3);
        var first = await DevServer.StartAsync("4+2", dataDir);
        using (var s3 = first.Client())
        {
            await s3.PutBucketAsync("persist");
            var put = new PutObjectRequest { BucketName = "persist", Key = "dir/file", InputStream = new MemoryStream(data), ContentType = "application/x-test" };
            put.Metadata["kept"] = "yes";
            await s3.PutObjectAsync(put);
        }
        await first.StopAsync();

        await using var second = await DevServer.StartAsync("4+2", dataDir);
        using var again = second.Client();
        Assert.Equal(data, await again.GetBytesAsync("persist", "dir/file"));
        var head = await again.GetObjectMetadataAsync("persist", "dir/file");
        Assert.Equal("yes", head.Metadata["kept"]);
        Assert.Equal("application/x-test", head.Headers.ContentType);
    }

    [Theory]
    [InlineData("POST", "/bad?delete", "<Delete><Object><Key>a</Key></Object", "MalformedXML")]
    [InlineData("POST", "/bad?delete", "<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]><Delete><Object><Key>&e;</Key></Object></Delete>", "MalformedXML")]
    [InlineData("PUT", "/bad", "<CreateBucketConfiguration><LocationConstraint>mars-1</LocationConstraint></CreateBucketConfiguration>", "InvalidLocationConstraint")]
    [InlineData("PATCH", "/bad/key", "", "MethodNotAllowed")]
    [InlineData("PUT", "/bad?website", "<WebsiteConfiguration><IndexDocument><Suffix>index.html</Suffix></IndexDocument></WebsiteConfiguration>", "NotImplemented")]
    public async Task BadInputGetsTheDocumentedErrorNot500(string method, string target, string body, string code)
    {
        await using var server = await DevServer.StartAsync("2+1");
        using var s3 = server.Client();
        await s3.PutBucketAsync("bad");
        var response = await RawS3.SendAsync(server, method, target, body);
        Assert.Contains($"<Code>{code}</Code>", response.Body, StringComparison.Ordinal);
        Assert.True(response.Status is >= 400 and < 500 or 501, $"{response.Status}: {response.Body}");
    }

    [Theory]
    [InlineData("PUT", "/bad?website", "PutBucketWebsite")]
    [InlineData("PUT", "/bad?replication", "PutBucketReplication")]
    [InlineData("PUT", "/bad?analytics&id=a", "PutBucketAnalyticsConfiguration")]
    [InlineData("PUT", "/bad/key?annotation&annotationName=a", "PutObjectAnnotation")]
    [InlineData("DELETE", "/bad/key?annotation&annotationName=a", "DeleteObjectAnnotation")]
    [InlineData("PUT", "/bad/key?renameObject", "RenameObject")]
    [InlineData("GET", "/bad/key?torrent", "GetObjectTorrent")]
    public async Task ANotImplementedOperationIsNamed(string method, string target, string operation)
    {
        await using var server = await DevServer.StartAsync("2+1");
        using var s3 = server.Client();
        await s3.PutBucketAsync("bad");
        var response = await RawS3.SendAsync(server, method, target, "");
        Assert.Equal(501, response.Status);
        Assert.Contains($"<Message>{operation} is not implemented.</Message>", response.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InvalidContentMd5IsInvalidDigest()
    {
        await using var server = await DevServer.StartAsync("2+1");
        using var s3 = server.Client();
        await s3.PutBucketAsync("bad");
        var e = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.PutObjectAsync(new PutObjectRequest
        {
            BucketName = "bad", Key = "k", ContentBody = "x", MD5Digest = "not-base64!", UseChunkEncoding = false,
        }));
        Assert.Equal("InvalidDigest", e.ErrorCode);
    }

}
