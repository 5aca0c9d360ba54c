using System.Globalization;
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

    public static async Task WaitForAsync(Func<bool> condition, int timeoutMs = 5000)
    {
        for (int waited = 0; waited < timeoutMs && !condition(); waited += 50)
        {
            await Task.Delay(50);
        }
    }
}
