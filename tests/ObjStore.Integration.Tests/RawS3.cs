using System.Globalization;
using System.Net.Http.Json;
using ObjStore.Core.Jobs;
using ObjStore.S3.Auth;
using ObjStore.S3.Protocol;

namespace ObjStore.Integration.Tests;

/// <summary>Raw requests signed with the project's own SigV4 signer, so method, query and body are ours to malform.</summary>
internal static class RawS3
{
    private static readonly HttpClient Http = new();

    public static async Task<(int Status, string Body)> SendAsync(DevServer server, string method, string target, string body)
    {
        var response = await SendSignedAsync(server, method, target, body);
        return (response.Status, response.Body);
    }

    /// <summary>What came back: status, headers (lower-case names) and the body as text.</summary>
    public sealed record Response(int Status, IReadOnlyDictionary<string, string> Headers, string Body);

    /// <summary>
    /// A request signed over host, x-amz-content-sha256, x-amz-date and <paramref name="signed"/>, then sent with
    /// <paramref name="unsigned"/> headers added (which the signature does not cover), for region <paramref name="region"/>.
    /// Header values go out as UTF-8. <paramref name="target"/> is the raw path and query as sent.
    /// </summary>
    public static async Task<Response> SendSignedAsync(
        DevServer server, string method, string target, string? body = null,
        IEnumerable<KeyValuePair<string, string>>? signed = null, IEnumerable<KeyValuePair<string, string>>? unsigned = null,
        string region = "us-east-1")
    {
        var headers = SignHeaders(server, method, target, signed, region);
        headers.AddRange(unsigned ?? []);
        return await SendRawAsync(server.Url + target, method, body, headers);
    }

    /// <summary>
    /// The headers (all but Host) of a request signed as <see cref="SendSignedAsync"/> signs, for raw sockets too;
    /// <paramref name="payloadHash"/> is its x-amz-content-sha256 (a streaming mode for aws-chunked bodies).
    /// </summary>
    public static List<KeyValuePair<string, string>> SignHeaders(
        DevServer server, string method, string target, IEnumerable<KeyValuePair<string, string>>? signed = null, string region = "us-east-1",
        string payloadHash = SigV4.UnsignedPayload)
    {
        var uri = new Uri(server.Url);
        int q = target.IndexOf('?');
        string path = S3Request.PercentDecode(q < 0 ? target : target[..q], plusIsSpace: false);
        var query = S3Request.ParseQuery(q < 0 ? "" : target[(q + 1)..]);
        string amzDate = DateTime.UtcNow.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
        string scope = $"{amzDate[..8]}/{region}/s3/aws4_request";
        var headers = new List<KeyValuePair<string, string>>
        {
            new("host", uri.Authority),
            new("x-amz-content-sha256", payloadHash),
            new("x-amz-date", amzDate),
        };
        headers.AddRange((signed ?? []).Select(h => new KeyValuePair<string, string>(h.Key.ToLowerInvariant(), SigV4.CanonicalHeaderValue(h.Value))));
        headers.Sort((a, b) => string.CompareOrdinal(a.Key, b.Key));
        string canonical = SigV4.CanonicalRequest(method, path, query, headers, payloadHash);
        string signature = SigV4.Sign(SigV4.SigningKey("integration-secret", amzDate[..8], region, "s3"), SigV4.StringToSign(amzDate, scope, canonical));
        var extra = new List<KeyValuePair<string, string>>(headers.Where(h => h.Key != "host"))
        {
            new("Authorization", $"AWS4-HMAC-SHA256 Credential=it/{scope},SignedHeaders={string.Join(';', headers.Select(h => h.Key))},Signature={signature}"),
        };
        return extra;
    }

    /// <summary>Sends exactly these headers (no signing), values as UTF-8.</summary>
    public static async Task<Response> SendRawAsync(string url, string method, string? body, IEnumerable<KeyValuePair<string, string>> headers)
    {
        using var message = new HttpRequestMessage(new HttpMethod(method), url);
        if (body is not null)
        {
            message.Content = new ByteArrayContent(System.Text.Encoding.UTF8.GetBytes(body));
        }
        foreach (var (name, value) in headers)
        {
            if (name.StartsWith("content-", StringComparison.OrdinalIgnoreCase))
            {
                message.Content ??= new ByteArrayContent([]);
                message.Content.Headers.TryAddWithoutValidation(name, value);
            }
            else
            {
                message.Headers.TryAddWithoutValidation(name, value);
            }
        }
        using var response = await Utf8Http.SendAsync(message);
        var received = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, values) in response.Headers.Concat(response.Content.Headers))
        {
            received[name.ToLowerInvariant()] = string.Join(",", values);
        }
        return new Response((int)response.StatusCode, received, await response.Content.ReadAsStringAsync());
    }

    private static readonly HttpClient Utf8Http = new(new SocketsHttpHandler
    {
        RequestHeaderEncodingSelector = (_, _) => System.Text.Encoding.UTF8,
        ResponseHeaderEncodingSelector = (_, _) => System.Text.Encoding.UTF8,
        UseProxy = false,
    });

    /// <summary>Queues a job through the admin API and polls it until it ends; returns it as it ended.</summary>
    public static async Task<JobInfo> RunJobAsync(
        string url, string kind, string target = "*", string accessKey = "it", string secretKey = "integration-secret")
    {
        var signer = new SigV4Signer(accessKey, secretKey);
        using var post = new HttpRequestMessage(HttpMethod.Post, $"{url}/_objstore/admin/jobs?kind={kind}&target={Uri.EscapeDataString(target)}");
        signer.Sign(post);
        using var created = await Http.SendAsync(post);
        var job = (await created.Content.ReadFromJsonAsync<JobInfo>())!;
        for (int i = 0; i < 600 && !job.IsFinished; i++)
        {
            await Task.Delay(100);
            using var get = new HttpRequestMessage(HttpMethod.Get, $"{url}/_objstore/admin/jobs/{job.Id}");
            signer.Sign(get);
            using var response = await Http.SendAsync(get);
            job = (await response.Content.ReadFromJsonAsync<JobInfo>())!;
        }
        return job;
    }

    public static async Task WaitForAsync(Func<bool> condition, int timeoutMs = 5000)
    {
        for (int waited = 0; waited < timeoutMs && !condition(); waited += 50)
        {
            await Task.Delay(50);
        }
    }
}
