using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Amazon.S3.Model;
using ObjStore.S3.Auth;
using Xunit.Abstractions;

namespace ObjStore.Integration.Tests;

/// <summary>
/// Properly signed, malformed requests: random operations, keys, query parameters, headers and bodies, from a fixed
/// seed. Whatever arrives, the answer is an S3 error or a success: never a 500, never a dropped connection, never a
/// stack trace, and the golden objects read back byte for byte afterwards. CI sends a few thousand; more by hand:
/// <c>OBJSTORE_FUZZ_REQUESTS=100000 OBJSTORE_FUZZ_SEED=7 dotnet test --filter FuzzTests</c>.
/// </summary>
public class FuzzTests(ITestOutputHelper output)
{
    private static readonly string[] Methods = ["GET", "GET", "PUT", "PUT", "POST", "DELETE", "HEAD"];

    private static readonly string[] Subresources =
    [
        "uploads", "uploadId", "partNumber", "list-type", "prefix", "delimiter", "max-keys", "continuation-token",
        "start-after", "marker", "encoding-type", "delete", "versionId", "versions", "versioning", "acl", "tagging",
        "policy", "cors", "lifecycle", "location", "fetch-owner", "max-parts", "part-number-marker", "max-uploads",
        "key-marker", "upload-id-marker", "response-content-type", "response-content-disposition",
        "response-cache-control", "response-expires", "x-id", "attributes", "retention", "legal-hold",
    ];

    private static readonly string[] HeaderNames =
    [
        "Range", "x-amz-copy-source", "x-amz-copy-source-range", "x-amz-metadata-directive", "x-amz-meta-a",
        "x-amz-meta-Ü", "Content-MD5", "x-amz-checksum-crc32", "x-amz-checksum-sha256", "x-amz-checksum-algorithm",
        "x-amz-trailer", "If-Match", "If-None-Match", "If-Modified-Since", "If-Unmodified-Since", "Content-Type",
        "x-amz-storage-class", "x-amz-copy-source-if-match", "x-amz-checksum-mode", "Cache-Control",
        "Content-Disposition", "Content-Encoding", "x-amz-decoded-content-length", "x-amz-acl", "x-amz-tagging",
    ];

    [Fact]
    public Task SignedMalformedRequestsNeverCauseA500() => FuzzAsync(anonymous: false, salt: 0);

    /// <summary>
    /// The same unsigned, into a bucket whose policy lets anyone do anything (so requests get past authorization to
    /// the handlers) beside a private golden bucket they must not reach: the authorizer, the policy engine and POST
    /// forms' parsing under random input.
    /// </summary>
    [Fact]
    public Task AnonymousMalformedRequestsNeverCauseA500NorReachAPrivateBucket() => FuzzAsync(anonymous: true, salt: 1);

    private async Task FuzzAsync(bool anonymous, int salt)
    {
        int count = int.TryParse(Environment.GetEnvironmentVariable("OBJSTORE_FUZZ_REQUESTS"), out int n) ? n : 3000;
        int seed = (int.TryParse(Environment.GetEnvironmentVariable("OBJSTORE_FUZZ_SEED"), out int s) ? s : 20261201) + salt;
        await using var server = await DevServer.StartAsync("2+1", settings: new Dictionary<string, string?>
        {
            ["MinPartSize"] = "1024",
            ["S3:Uploads:Window"] = "00:00:05",
        });
        using var s3 = server.Client();
        await s3.PutBucketAsync("golden");
        await s3.PutBucketAsync("fuzz");
        var random = new Random(seed);
        var golden = new Dictionary<string, byte[]>();
        foreach (int size in new[] { 0, 1, 70_000, 300_001 })
        {
            var data = new byte[size];
            random.NextBytes(data);
            golden[$"g/{size}"] = data;
            await s3.PutObjectAsync(new PutObjectRequest { BucketName = "golden", Key = $"g/{size}", InputStream = new MemoryStream(data) });
        }
        var upload = await s3.InitiateMultipartUploadAsync("fuzz", "in-progress");
        if (anonymous)
        {
            await s3.DeletePublicAccessBlockAsync(new DeletePublicAccessBlockRequest { BucketName = "fuzz" });
            await s3.PutBucketPolicyAsync(new PutBucketPolicyRequest
            {
                BucketName = "fuzz",
                Policy = """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::fuzz","arn:aws:s3:::fuzz/*"]}]}""",
            });
        }

        var statuses = new SortedDictionary<int, int>();
        var failures = new List<string>();
        for (int i = 0; i < count && failures.Count < 10; i++)
        {
            var (method, target, headers, body) = NextRequest(random, upload.UploadId);
            RawS3.Response response;
            try
            {
                response = anonymous || target.Contains("%zz", StringComparison.Ordinal)
                    ? await RawS3.SendRawAsync(server.Url + target, method, body, headers)
                    : await RawS3.SendSignedAsync(server, method, target, body, signed: headers);
            }
            catch (HttpRequestException e)
            {
                failures.Add($"#{i} {method} {target}: no response ({e.Message})");
                continue;
            }
            statuses[response.Status] = statuses.GetValueOrDefault(response.Status) + 1;
            if (response.Status >= 500 && response.Status != 501)
            {
                failures.Add($"#{i} {method} {target} [{string.Join("; ", headers.Select(h => h.Key + ": " + h.Value))}] -> {response.Status} {response.Body}");
            }
            if (anonymous && target.StartsWith("/golden", StringComparison.Ordinal) && response.Status is >= 200 and < 300)
            {
                failures.Add($"#{i} {method} {target} -> {response.Status}: an anonymous request reached the private bucket");
            }
            if (response.Body.Contains("   at ", StringComparison.Ordinal) || response.Body.Contains("Exception", StringComparison.Ordinal))
            {
                failures.Add($"#{i} {method} {target} -> a stack trace or exception name in the body: {response.Body}");
            }
        }
        output.WriteLine($"{count} requests, seed {seed}: " + string.Join(", ", statuses.Select(p => $"{p.Key}: {p.Value}")));
        Assert.True(failures.Count == 0, string.Join("\n", failures));

        foreach (var (key, data) in golden)
        {
            Assert.Equal(SHA256.HashData(data), SHA256.HashData(await s3.GetBytesAsync("golden", key)));
        }
    }

    private static (string Method, string Target, List<KeyValuePair<string, string>> Headers, string? Body) NextRequest(Random random, string uploadId)
    {
        string method = Methods[random.Next(Methods.Length)];
        // Mutating requests never name the golden bucket; reads may name anything.
        string bucket = random.Next(10) switch
        {
            0 => "",
            1 => "no-such-bucket",
            2 => "_objstore",
            3 => RandomText(random, 1, 70),
            4 or 5 when method is "GET" or "HEAD" => "golden",
            _ => "fuzz",
        };
        string key = random.Next(4) switch
        {
            0 => "",
            1 => "g/" + new[] { "0", "1", "70000", "300001" }[random.Next(4)],
            2 => "in-progress",
            _ => RandomText(random, 1, random.Next(3) == 0 ? 1100 : 40),
        };
        var target = new StringBuilder("/").Append(SigV4.UriEncode(bucket, encodeSlash: true));
        if (key.Length > 0)
        {
            target.Append('/').Append(SigV4.UriEncode(key, encodeSlash: false));
        }
        if (random.Next(40) == 0)
        {
            target.Append("%zz");
        }
        int queries = random.Next(4);
        for (int q = 0; q < queries; q++)
        {
            string name = Subresources[random.Next(Subresources.Length)];
            string value = name switch
            {
                "uploadId" => random.Next(2) == 0 ? uploadId : RandomText(random, 0, 40),
                "partNumber" or "max-keys" or "max-parts" or "max-uploads" or "part-number-marker" or "list-type" => RandomNumber(random),
                "encoding-type" => random.Next(2) == 0 ? "url" : RandomText(random, 0, 5),
                _ => RandomText(random, 0, 30),
            };
            target.Append(q == 0 ? '?' : '&').Append(SigV4.UriEncode(name, encodeSlash: true));
            if (random.Next(5) > 0)
            {
                target.Append('=').Append(SigV4.UriEncode(value, encodeSlash: true));
            }
        }
        var headers = new List<KeyValuePair<string, string>>();
        int headerCount = random.Next(4);
        for (int h = 0; h < headerCount; h++)
        {
            string name = HeaderNames[random.Next(HeaderNames.Length)];
            if (headers.Any(existing => existing.Key.Equals(name, StringComparison.OrdinalIgnoreCase)) || name.Contains('Ü', StringComparison.Ordinal))
            {
                continue;
            }
            string value = name switch
            {
                "Range" => random.Next(3) switch
                {
                    0 => $"bytes={RandomNumber(random)}-{RandomNumber(random)}",
                    1 => $"bytes=-{RandomNumber(random)}",
                    _ => HeaderText(random),
                },
                "x-amz-copy-source" => random.Next(3) switch
                {
                    0 => "golden/g/70000",
                    1 => "_objstore/catalogue-backups/x.db",
                    _ => HeaderText(random),
                },
                "x-amz-copy-source-range" => $"bytes={RandomNumber(random)}-{RandomNumber(random)}",
                _ => HeaderText(random),
            };
            headers.Add(new(name, value));
        }
        string? body = random.Next(8) switch
        {
            6 => Form(random, headers),
            7 => RandomPolicy(random),
            0 => null,
            1 => "",
            2 => RandomText(random, 0, 5000),
            3 => "<Delete>" + string.Concat(Enumerable.Range(0, random.Next(20)).Select(_ => $"<Object><Key>{SecurityEscape(RandomText(random, 0, 20))}</Key></Object>")) + "</Delete>",
            4 => "<CompleteMultipartUpload>" + string.Concat(Enumerable.Range(0, random.Next(5)).Select(_ => $"<Part><PartNumber>{RandomNumber(random)}</PartNumber><ETag>\"{RandomText(random, 0, 32)}\"</ETag></Part>")) + "</CompleteMultipartUpload>",
            _ => string.Concat(Enumerable.Repeat("<a>", random.Next(1, 200))) + RandomText(random, 0, 10),
        };
        return (method, target.ToString(), headers, body);
    }

    /// <summary>A multipart form, more or less well made, with its Content-Type: POST Object's input.</summary>
    private static string Form(Random random, List<KeyValuePair<string, string>> headers)
    {
        string boundary = random.Next(5) == 0 ? RandomText(random, 0, 80) : "b" + random.Next();
        headers.RemoveAll(h => h.Key.Equals("Content-Type", StringComparison.OrdinalIgnoreCase));
        headers.Add(new("Content-Type", random.Next(6) == 0 ? "multipart/form-data" : $"multipart/form-data; boundary={boundary}"));
        string[] names = ["key", "policy", "x-amz-signature", "x-amz-credential", "x-amz-algorithm", "x-amz-date", "acl", "success_action_status",
            "success_action_redirect", "Content-Type", "x-amz-meta-a", "x-amz-grant-read", "tagging", "file", "x-amz-checksum-crc32"];
        var form = new StringBuilder();
        foreach (int _ in Enumerable.Range(0, random.Next(8)))
        {
            string name = names[random.Next(names.Length)];
            form.Append("--").Append(boundary).Append("\r\n")
                .Append("Content-Disposition: form-data; name=\"").Append(name).Append('"')
                .Append(name == "file" && random.Next(2) == 0 ? "; filename=\"" + RandomText(random, 0, 20) + "\"" : "").Append("\r\n\r\n")
                .Append(name switch
                {
                    "key" => random.Next(2) == 0 ? "${filename}" : RandomText(random, 0, 40),
                    "policy" => random.Next(2) == 0 ? Convert.ToBase64String(Encoding.UTF8.GetBytes(RandomPolicy(random))) : RandomText(random, 0, 60),
                    _ => RandomText(random, 0, random.Next(10) == 0 ? 30_000 : 40),
                })
                .Append("\r\n");
        }
        if (random.Next(4) > 0)
        {
            form.Append("--").Append(boundary).Append("--\r\n");
        }
        return form.ToString();
    }

    /// <summary>JSON shaped like a policy (bucket, identity or POST), with random holes in it.</summary>
    private static string RandomPolicy(Random random)
    {
        string[] pieces = ["\"Version\":\"2012-10-17\"", "\"Statement\":[", "{\"Effect\":\"Allow\"", "\"Principal\":\"*\"", "\"Principal\":{\"AWS\":[\"arn:aws:iam:::user/x\"]}",
            "\"Action\":\"s3:*\"", "\"Action\":[\"s3:Get*\",1]", "\"Resource\":\"arn:aws:s3:::fuzz/*\"", "\"Condition\":{\"IpAddress\":{\"aws:SourceIp\":\"300.1.1.1/99\"}}",
            "\"Condition\":{\"ForAllValues:StringLike\":{\"s3:RequestObjectTagKeys\":[\"${aws:username}\"]}}", "\"expiration\":\"2099-01-01T00:00:00Z\"",
            "\"conditions\":[[\"content-length-range\",0,\"x\"],[\"starts-with\",\"$key\",\"\"]]", "}", "]", ",", "null", "{", "\"Sid\":\"\""];
        return "{" + string.Join(random.Next(3) == 0 ? "" : ",", Enumerable.Range(0, random.Next(1, 12)).Select(_ => pieces[random.Next(pieces.Length)])) + "}";
    }

    private static string SecurityEscape(string text) => System.Security.SecurityElement.Escape(text) ?? "";

    private static string RandomNumber(Random random) => random.Next(6) switch
    {
        0 => "0",
        1 => "-1",
        2 => "99999999999999999999",
        3 => random.Next(1, 10_001).ToString(CultureInfo.InvariantCulture),
        4 => "+5",
        _ => random.Next().ToString(CultureInfo.InvariantCulture),
    };

    /// <summary>Any text: ASCII, controls, XML specials, accents, CJK, emoji (surrogate pairs), percent signs.</summary>
    private static string RandomText(Random random, int min, int max)
    {
        string[] pieces = ["a", "Z", "0", "/", " ", "%", "+", "&", "<", ">", "\"", "'", "\u0001", "\u001f", "\u0000", "\t", "é", "ü", "日本", "😀", "..", "?", "#", "=", "\uFFFD"];
        var text = new StringBuilder();
        int length = random.Next(min, max + 1);
        while (text.Length < length)
        {
            text.Append(pieces[random.Next(pieces.Length)]);
        }
        return text.ToString();
    }

    /// <summary>What HttpClient lets through a header: visible ASCII, spaces, tabs, and now and then a non-ASCII letter.</summary>
    private static string HeaderText(Random random)
    {
        var text = new StringBuilder();
        int length = random.Next(0, 60);
        for (int i = 0; i < length; i++)
        {
            text.Append(random.Next(30) switch
            {
                0 => '\t',
                1 => 'é',
                2 => '\u0001',
                _ => (char)random.Next(0x20, 0x7F),
            });
        }
        return text.ToString().Trim();
    }
}
