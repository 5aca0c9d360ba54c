using System.Globalization;
using ObjStore.S3.Protocol;

namespace ObjStore.S3.Auth;

/// <summary>
/// Signs outgoing S3 requests (the bench client, tests) with the same canonicalisation the server's verifier uses, so
/// both directions are checked against the same AWS test vectors. Header signing covers host, x-amz-content-sha256,
/// x-amz-date and every x-amz-* header the request already has (the server refuses unsigned ones); presigned URLs
/// sign host only.
/// </summary>
public sealed class SigV4Signer(string accessKey, string secretKey, string region = "us-east-1")
{
    private const string Service = "s3";
    private (string Date, byte[] Key) _signingKey = ("", []);

    /// <summary>Adds x-amz-date, x-amz-content-sha256 and Authorization to <paramref name="request"/>, signing its x-amz-* headers too.</summary>
    public void Sign(HttpRequestMessage request, string payloadHash = SigV4.UnsignedPayload, DateTimeOffset? now = null)
    {
        var uri = request.RequestUri ?? throw new ArgumentException("The request has no URI.", nameof(request));
        string amzDate = AmzDate(now ?? DateTimeOffset.UtcNow);
        string scope = Scope(amzDate);
        var headers = new List<KeyValuePair<string, string>>
        {
            new("host", uri.Authority),
            new("x-amz-content-sha256", payloadHash),
            new("x-amz-date", amzDate),
        };
        headers.AddRange(request.Headers
            .Where(h => h.Key.StartsWith("x-amz-", StringComparison.OrdinalIgnoreCase))
            .Select(h => new KeyValuePair<string, string>(h.Key.ToLowerInvariant(), SigV4.CanonicalHeaderValue(string.Join(',', h.Value)))));
        headers.Sort((a, b) => string.CompareOrdinal(a.Key, b.Key));
        string canonical = SigV4.CanonicalRequest(request.Method.Method, DecodedPath(uri), S3Request.ParseQuery(uri.Query.TrimStart('?')), headers, payloadHash);
        string signature = SigV4.SignRequest(Key(amzDate), amzDate, scope, canonical);
        request.Headers.TryAddWithoutValidation("x-amz-content-sha256", payloadHash);
        request.Headers.TryAddWithoutValidation("x-amz-date", amzDate);
        request.Headers.TryAddWithoutValidation("Authorization",
            $"{SigV4.Algorithm} Credential={accessKey}/{scope},SignedHeaders={string.Join(';', headers.Select(h => h.Key))},Signature={signature}");
    }

    /// <summary>A presigned URL for <paramref name="method"/> on <paramref name="uri"/>, valid for <paramref name="expires"/>.</summary>
    public string Presign(string method, Uri uri, TimeSpan expires, DateTimeOffset? now = null)
    {
        string amzDate = AmzDate(now ?? DateTimeOffset.UtcNow);
        string scope = Scope(amzDate);
        var query = S3Request.ParseQuery(uri.Query.TrimStart('?'));
        query.Add(new("X-Amz-Algorithm", SigV4.Algorithm));
        query.Add(new("X-Amz-Credential", $"{accessKey}/{scope}"));
        query.Add(new("X-Amz-Date", amzDate));
        query.Add(new("X-Amz-Expires", ((long)expires.TotalSeconds).ToString(CultureInfo.InvariantCulture)));
        query.Add(new("X-Amz-SignedHeaders", "host"));
        string canonical = SigV4.CanonicalRequest(method, DecodedPath(uri), query, [new("host", uri.Authority)], SigV4.UnsignedPayload);
        string signature = SigV4.SignRequest(Key(amzDate), amzDate, scope, canonical);
        return $"{uri.GetLeftPart(UriPartial.Path)}?{SigV4.CanonicalQuery(query)}&X-Amz-Signature={signature}";
    }

    private static string AmzDate(DateTimeOffset now) => now.UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);

    private string Scope(string amzDate) => $"{amzDate[..8]}/{region}/{Service}/aws4_request";

    private static string DecodedPath(Uri uri) => S3Request.PercentDecode(uri.AbsolutePath, plusIsSpace: false);

    /// <summary>The signing key changes once a day: cached, and swapped atomically as one tuple.</summary>
    private byte[] Key(string amzDate)
    {
        var cached = _signingKey;
        if (cached.Date == amzDate[..8])
        {
            return cached.Key;
        }
        var key = SigV4.SigningKey(secretKey, amzDate[..8], region, Service);
        _signingKey = (amzDate[..8], key);
        return key;
    }
}
