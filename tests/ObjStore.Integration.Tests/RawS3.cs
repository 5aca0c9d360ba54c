using System.Globalization;
using System.Net.Http.Json;
using ObjStore.Metadata;
using ObjStore.S3.Auth;
using ObjStore.S3.Protocol;

namespace ObjStore.Integration.Tests;

/// <summary>Raw requests signed with the project's own SigV4 signer, so method, query and body are ours to malform.</summary>
internal static class RawS3
{
    private static readonly HttpClient Http = new();

    public static async Task<(int Status, string Body)> SendAsync(DevServer server, string method, string target, string body)
    {
        var uri = new Uri(server.Url);
        int q = target.IndexOf('?');
        string path = q < 0 ? target : target[..q];
        var query = S3Request.ParseQuery(q < 0 ? "" : target[(q + 1)..]);
        string amzDate = DateTime.UtcNow.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
        string scope = $"{amzDate[..8]}/us-east-1/s3/aws4_request";
        var headers = new List<KeyValuePair<string, string>>
        {
            new("host", uri.Authority),
            new("x-amz-content-sha256", SigV4.UnsignedPayload),
            new("x-amz-date", amzDate),
        };
        string canonical = SigV4.CanonicalRequest(method, path, query, headers, SigV4.UnsignedPayload);
        string signature = SigV4.Sign(
            SigV4.SigningKey("integration-secret", amzDate[..8], "us-east-1", "s3"), SigV4.StringToSign(amzDate, scope, canonical));
        using var message = new HttpRequestMessage(new HttpMethod(method), server.Url + target) { Content = new StringContent(body) };
        message.Headers.TryAddWithoutValidation("x-amz-content-sha256", SigV4.UnsignedPayload);
        message.Headers.TryAddWithoutValidation("x-amz-date", amzDate);
        message.Headers.TryAddWithoutValidation("Authorization",
            $"AWS4-HMAC-SHA256 Credential=it/{scope},SignedHeaders=host;x-amz-content-sha256;x-amz-date,Signature={signature}");
        using var response = await Http.SendAsync(message);
        return ((int)response.StatusCode, await response.Content.ReadAsStringAsync());
    }

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
