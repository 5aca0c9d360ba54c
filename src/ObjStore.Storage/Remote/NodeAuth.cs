using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace ObjStore.Storage.Remote;

/// <summary>
/// Node-to-node authentication: HMAC-SHA256, keyed by the cluster secret, over
/// <code>
/// objstore-node-2 \n method \n path and query \n request time (unix ms) \n target \n nonce \n body marker
/// </code>
/// The target is who the request is for (a node's id, or <see cref="GatewayTarget"/> for the job API), so a request
/// signed for one node is refused by every other. The nonce (<see cref="NonceSource"/>: a random sender id and a
/// counter) is accepted once: verifiers keep a <see cref="ReplayGuard"/>, which also refuses requests dated more than
/// <see cref="MaxSkew"/> from now or before the verifier started. The body marker is the SHA-256 of a small body that
/// is hashed whole (the job API's JSON, <see cref="BodyMarkerOf"/>), <see cref="EmptyBody"/>, or, for a shard PUT,
/// <see cref="StreamingBody"/>: a shard body streams, and carries its own MAC as a trailer instead
/// (<see cref="Remote.BodyMac"/>: framed GMAC of the whole body, keyed by the cluster key and the nonce, in the last
/// <see cref="BodyMacSize"/> bytes), checked by the node before it commits the shard. A wrong or missing signature
/// is refused outright.
/// </summary>
public static class NodeAuth
{
    public const string DateHeader = "X-ObjStore-Date";
    public const string NonceHeader = "X-ObjStore-Nonce";
    public const string SignatureHeader = "X-ObjStore-Signature";
    public const string StreamingBody = "STREAMING";
    public const string EmptyBody = "EMPTY";

    /// <summary>The target of the nodes' requests to the gateway's job API.</summary>
    public const string GatewayTarget = "gateway";

    /// <summary>The length of a shard PUT body's MAC trailer (HMAC-SHA256).</summary>
    public const int BodyMacSize = Remote.BodyMac.Size;

    public static readonly TimeSpan MaxSkew = TimeSpan.FromMinutes(5);

    public static string Signature(byte[] key, string method, string pathAndQuery, long unixMs, string target, string nonce, string bodyMarker) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(
            $"objstore-node-2\n{method}\n{pathAndQuery}\n{unixMs.ToString(CultureInfo.InvariantCulture)}\n{target}\n{nonce}\n{bodyMarker}")));

    /// <summary>A shard PUT streams; other requests carry no body unless they say otherwise (<see cref="BodyMarkerOf"/>).</summary>
    private static string BodyMarker(string method) => method == "PUT" ? StreamingBody : EmptyBody;

    /// <summary>The marker of a small body that is hashed whole (the job API's JSON): SHA-256, hex.</summary>
    public static string BodyMarkerOf(ReadOnlySpan<byte> body) => body.IsEmpty ? EmptyBody : Convert.ToHexStringLower(SHA256.HashData(body));

    public static byte[] Key(string clusterSecret) => SHA256.HashData(Encoding.UTF8.GetBytes("objstore-cluster\n" + clusterSecret));

    /// <summary>The key of a streamed body's MAC: one per request, as the nonce is.</summary>
    public static byte[] BodyKey(byte[] key, string nonce) => HMACSHA256.HashData(key, Encoding.UTF8.GetBytes("objstore-body\n" + nonce));

    /// <summary>The MAC of a streamed body, keyed by <see cref="BodyKey"/>.</summary>
    public static BodyMac BodyMac(byte[] key, string nonce) => new(BodyKey(key, nonce));

    /// <summary>Signs <paramref name="request"/> for <paramref name="target"/>; returns the nonce it used.</summary>
    public static string Sign(HttpRequestMessage request, byte[] key, TimeProvider clock, string target,
        string? bodyMarker = null, NonceSource? nonces = null, string? nonce = null)
    {
        long now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        nonce ??= (nonces ?? NonceSource.Shared).Next();
        string marker = bodyMarker ?? BodyMarker(request.Method.Method);
        request.Headers.TryAddWithoutValidation(DateHeader, now.ToString(CultureInfo.InvariantCulture));
        request.Headers.TryAddWithoutValidation(NonceHeader, nonce);
        request.Headers.TryAddWithoutValidation(SignatureHeader,
            Signature(key, request.Method.Method, request.RequestUri!.PathAndQuery, now, target, nonce, marker));
        return nonce;
    }

    /// <summary>
    /// Null when the request is authentic, for <paramref name="target"/>, and fresh (its nonce now recorded in
    /// <paramref name="guard"/>); otherwise why not. The signature is checked before the guard sees the nonce.
    /// </summary>
    public static string? Verify(byte[] key, string target, ReplayGuard guard, string method, string pathAndQuery,
        string? date, string? nonce, string? signature, string? bodyMarker = null)
    {
        if (date is null || signature is null || nonce is null)
        {
            return "missing signature";
        }
        if (!long.TryParse(date, NumberStyles.None, CultureInfo.InvariantCulture, out long unixMs))
        {
            return "bad date";
        }
        string expected = Signature(key, method, pathAndQuery, unixMs, target, nonce, bodyMarker ?? BodyMarker(method));
        if (!CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(signature)))
        {
            return "signature mismatch";
        }
        return guard.Check(unixMs, nonce);
    }
}
