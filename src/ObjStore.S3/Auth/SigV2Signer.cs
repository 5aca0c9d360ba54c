using System.Globalization;
using ObjStore.S3.Protocol;

namespace ObjStore.S3.Auth;

/// <summary>
/// Signs outgoing S3 requests with SigV2 (tests), with the canonicalisation the server's verifier uses. A
/// virtual-hosted-style request names its bucket in <c>virtualHostBucket</c>: SigV2 signs it although the path
/// does not carry it.
/// </summary>
public sealed class SigV2Signer(string accessKey, string secretKey)
{
    /// <summary>Adds Date (unless the request has x-amz-date, which then signs instead) and Authorization.</summary>
    public void Sign(HttpRequestMessage request, string? virtualHostBucket = null, DateTimeOffset? now = null)
    {
        var uri = request.RequestUri ?? throw new ArgumentException("The request has no URI.", nameof(request));
        bool hasAmzDate = request.Headers.Contains("x-amz-date");
        string date = "";
        if (!hasAmzDate)
        {
            date = (now ?? DateTimeOffset.UtcNow).UtcDateTime.ToString("R", CultureInfo.InvariantCulture);
            request.Headers.TryAddWithoutValidation("Date", date);
        }
        var content = request.Content?.Headers;
        string contentMd5 = content?.ContentMD5 is { } md5 ? Convert.ToBase64String(md5) : "";
        string contentType = content?.ContentType?.ToString() ?? "";
        var headers = request.Headers.Concat(content ?? Enumerable.Empty<KeyValuePair<string, IEnumerable<string>>>())
            .SelectMany(h => h.Value.Select(v => new KeyValuePair<string, string>(h.Key, v)));
        string stringToSign = SigV2.StringToSign(request.Method.Method, contentMd5, contentType, date, headers, Resource(uri, virtualHostBucket));
        request.Headers.TryAddWithoutValidation("Authorization", $"{SigV2.Scheme} {accessKey}:{SigV2.Sign(secretKey, stringToSign)}");
    }

    /// <summary>A presigned URL for <paramref name="method"/> on <paramref name="uri"/> that expires at <paramref name="expires"/>.</summary>
    public string Presign(string method, Uri uri, DateTimeOffset expires, string? virtualHostBucket = null)
    {
        string expiresAt = expires.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        string stringToSign = SigV2.StringToSign(method, "", "", expiresAt, [], Resource(uri, virtualHostBucket));
        string separator = uri.Query.Length > 1 ? "&" : "?";
        return $"{uri.GetLeftPart(UriPartial.Query).TrimEnd('?')}{separator}{SigV2.AccessKeyParameter}={Uri.EscapeDataString(accessKey)}"
            + $"&{SigV2.SignatureParameter}={Uri.EscapeDataString(SigV2.Sign(secretKey, stringToSign))}&{SigV2.ExpiresParameter}={expiresAt}";
    }

    /// <summary>The path as it goes on the wire (what the server reads back), and the sub-resources of the query.</summary>
    private static string Resource(Uri uri, string? virtualHostBucket) =>
        SigV2.CanonicalResource(virtualHostBucket, uri.AbsolutePath, S3Request.ParseQuery(uri.Query.TrimStart('?')));
}
