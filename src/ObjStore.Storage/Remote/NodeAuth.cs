using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace ObjStore.Storage.Remote;

/// <summary>
/// Node-to-node authentication: HMAC-SHA256, keyed by the cluster secret, over method, path and query, the request
/// time, and a body marker (shard bodies stream, and each block carries its own checksum, so they are marked
/// <see cref="StreamingBody"/> rather than hashed). Requests older or newer than five minutes are refused, which
/// bounds replay; a wrong or missing signature is refused outright.
/// </summary>
public static class NodeAuth
{
    public const string DateHeader = "X-ObjStore-Date";
    public const string SignatureHeader = "X-ObjStore-Signature";
    public const string StreamingBody = "STREAMING";
    public const string EmptyBody = "EMPTY";
    public static readonly TimeSpan MaxSkew = TimeSpan.FromMinutes(5);

    public static string Signature(byte[] key, string method, string pathAndQuery, long unixMs, string bodyMarker) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(
            $"{method}\n{pathAndQuery}\n{unixMs.ToString(CultureInfo.InvariantCulture)}\n{bodyMarker}")));

    /// <summary>A shard PUT streams; other requests carry no body unless they say otherwise (<see cref="BodyMarkerOf"/>).</summary>
    private static string BodyMarker(string method) => method == "PUT" ? StreamingBody : EmptyBody;

    /// <summary>The marker of a small body that is hashed whole (the job API's JSON): SHA-256, hex.</summary>
    public static string BodyMarkerOf(ReadOnlySpan<byte> body) => body.IsEmpty ? EmptyBody : Convert.ToHexStringLower(SHA256.HashData(body));

    public static byte[] Key(string clusterSecret) => SHA256.HashData(Encoding.UTF8.GetBytes("objstore-cluster\n" + clusterSecret));

    public static void Sign(HttpRequestMessage request, byte[] key, TimeProvider clock, string? bodyMarker = null)
    {
        long now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        string marker = bodyMarker ?? BodyMarker(request.Method.Method);
        request.Headers.TryAddWithoutValidation(DateHeader, now.ToString(CultureInfo.InvariantCulture));
        request.Headers.TryAddWithoutValidation(SignatureHeader,
            Signature(key, request.Method.Method, request.RequestUri!.PathAndQuery, now, marker));
    }

    /// <summary>Null when the request is authentic; otherwise why not.</summary>
    public static string? Verify(byte[] key, string method, string pathAndQuery, string? date, string? signature, TimeProvider clock, string? bodyMarker = null)
    {
        if (date is null || signature is null)
        {
            return "missing signature";
        }
        if (!long.TryParse(date, NumberStyles.None, CultureInfo.InvariantCulture, out long unixMs))
        {
            return "bad date";
        }
        var skew = clock.GetUtcNow() - DateTimeOffset.FromUnixTimeMilliseconds(unixMs);
        if (skew.Duration() > MaxSkew)
        {
            return "request time too far from now";
        }
        string expected = Signature(key, method, pathAndQuery, unixMs, bodyMarker ?? BodyMarker(method));
        return CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(signature))
            ? null
            : "signature mismatch";
    }
}
