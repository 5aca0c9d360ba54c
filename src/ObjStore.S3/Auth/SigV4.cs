using System.Buffers;
using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;

namespace ObjStore.S3.Auth;

/// <summary>
/// AWS Signature Version 4 primitives, shared by the server's verifier and the clients in this repo (bench, tests),
/// so both directions are checked against the same published vectors.
/// </summary>
public static class SigV4
{
    public const string Algorithm = "AWS4-HMAC-SHA256";
    public const string UnsignedPayload = "UNSIGNED-PAYLOAD";
    public const string StreamingPayload = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD";
    public const string StreamingPayloadTrailer = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER";
    public const string StreamingUnsignedTrailer = "STREAMING-UNSIGNED-PAYLOAD-TRAILER";
    public const string EmptySha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    private static readonly ConcurrentDictionary<(string Secret, string Date, string Region, string Service), byte[]> SigningKeys = new();

    /// <summary>The derived key for (secret, date, region, service), cached: deriving it is four HMACs per request.</summary>
    public static byte[] SigningKey(string secret, string date, string region, string service)
    {
        var cacheKey = (secret, date, region, service);
        if (SigningKeys.TryGetValue(cacheKey, out var key))
        {
            return key;
        }
        if (SigningKeys.Count > 1024)
        {
            SigningKeys.Clear();
        }
        byte[] kDate = Hmac(Encoding.UTF8.GetBytes("AWS4" + secret), date);
        byte[] kRegion = Hmac(kDate, region);
        byte[] kService = Hmac(kRegion, service);
        key = Hmac(kService, "aws4_request");
        SigningKeys[cacheKey] = key;
        return key;
    }

    public static byte[] Hmac(byte[] key, string data) => HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(data));

    public static string HexSha256(ReadOnlySpan<byte> data) => Convert.ToHexStringLower(SHA256.HashData(data));

    public static string HexSha256(string data) => HexSha256(Encoding.UTF8.GetBytes(data));

    /// <summary>
    /// Whether <paramref name="signature"/> (lower-case hex, as clients send it) signs this canonical request,
    /// compared in constant time. The server's check: computed in pooled and stack buffers, as the string forms
    /// cost every authenticated request about a kilobyte.
    /// </summary>
    public static bool SignatureMatches(byte[] signingKey, string amzDate, string scope, string canonicalRequest, string signature)
    {
        Span<byte> given = stackalloc byte[32];
        if (signature.Length != 64 || signature.AsSpan().ContainsAnyInRange('A', 'F')
            || Convert.FromHexString(signature, given, out _, out int decoded) != OperationStatus.Done || decoded != 32)
        {
            return false;
        }
        Span<byte> expected = stackalloc byte[32];
        RequestMac(signingKey, amzDate, scope, canonicalRequest, expected);
        return CryptographicOperations.FixedTimeEquals(expected, given);
    }

    /// <summary>The signature (lower-case hex) of a canonical request: what a client puts in Signature=.</summary>
    public static string SignRequest(byte[] signingKey, string amzDate, string scope, string canonicalRequest)
    {
        Span<byte> mac = stackalloc byte[32];
        RequestMac(signingKey, amzDate, scope, canonicalRequest, mac);
        return Convert.ToHexStringLower(mac);
    }

    /// <summary>The HMAC of <see cref="StringToSign"/> under the signing key, into <paramref name="mac"/> (32 bytes).</summary>
    private static void RequestMac(byte[] signingKey, string amzDate, string scope, string canonicalRequest, Span<byte> mac)
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent(StringToSignMaxBytes(amzDate, scope, canonicalRequest));
        try
        {
            HMACSHA256.HashData(signingKey, buffer.AsSpan(0, WriteStringToSign(amzDate, scope, canonicalRequest, buffer)), mac);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static int StringToSignMaxBytes(string amzDate, string scope, string canonicalRequest) => Math.Max(
        Encoding.UTF8.GetMaxByteCount(canonicalRequest.Length),
        Algorithm.Length + 3 + Encoding.UTF8.GetMaxByteCount(amzDate.Length + scope.Length) + 64);

    /// <summary>
    /// The string to sign, as UTF-8 into <paramref name="buffer"/> (at least <see cref="StringToSignMaxBytes"/>; the
    /// canonical request is hashed in it first): "AWS4-HMAC-SHA256\n" amzDate "\n" scope "\n" hex(SHA-256(canonical)).
    /// Returns its length.
    /// </summary>
    private static int WriteStringToSign(string amzDate, string scope, string canonicalRequest, byte[] buffer)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(buffer.AsSpan(0, Encoding.UTF8.GetBytes(canonicalRequest, buffer)), hash);
        int length = Encoding.UTF8.GetBytes(Algorithm, buffer);
        buffer[length++] = (byte)'\n';
        length += Encoding.UTF8.GetBytes(amzDate, buffer.AsSpan(length));
        buffer[length++] = (byte)'\n';
        length += Encoding.UTF8.GetBytes(scope, buffer.AsSpan(length));
        buffer[length++] = (byte)'\n';
        Convert.TryToHexStringLower(hash, buffer.AsSpan(length, 64), out int hex);
        return length + hex;
    }

    public static string Sign(byte[] signingKey, string stringToSign) => Convert.ToHexStringLower(Hmac(signingKey, stringToSign));

    public static string StringToSign(string amzDate, string scope, string canonicalRequest)
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent(StringToSignMaxBytes(amzDate, scope, canonicalRequest));
        try
        {
            return Encoding.UTF8.GetString(buffer, 0, WriteStringToSign(amzDate, scope, canonicalRequest, buffer));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>String to sign of one aws-chunked chunk (STREAMING-AWS4-HMAC-SHA256-PAYLOAD).</summary>
    public static string ChunkStringToSign(string amzDate, string scope, string previousSignature, string chunkSha256Hex) =>
        $"{Algorithm}-PAYLOAD\n{amzDate}\n{scope}\n{previousSignature}\n{EmptySha256}\n{chunkSha256Hex}";

    /// <summary>String to sign of the trailing headers of a signed aws-chunked body.</summary>
    public static string TrailerStringToSign(string amzDate, string scope, string previousSignature, string canonicalTrailers) =>
        $"{Algorithm}-TRAILER\n{amzDate}\n{scope}\n{previousSignature}\n{HexSha256(canonicalTrailers)}";

    /// <summary>
    /// The canonical request. <paramref name="path"/> is the decoded path; it is encoded here per S3's rules (each
    /// segment URI-encoded once, '/' kept). <paramref name="query"/> holds decoded pairs.
    /// </summary>
    public static string CanonicalRequest(
        string method, string path, IEnumerable<KeyValuePair<string, string>> query,
        IReadOnlyList<KeyValuePair<string, string>> signedHeaders, string payloadHash)
    {
        var sb = new StringBuilder(512);
        sb.Append(method).Append('\n');
        sb.Append(UriEncode(path, encodeSlash: false)).Append('\n');
        sb.Append(CanonicalQuery(query)).Append('\n');
        foreach (var (name, value) in signedHeaders)
        {
            sb.Append(name).Append(':').Append(value).Append('\n');
        }
        sb.Append('\n');
        sb.Append(string.Join(';', signedHeaders.Select(h => h.Key))).Append('\n');
        sb.Append(payloadHash);
        return sb.ToString();
    }

    public static string CanonicalQuery(IEnumerable<KeyValuePair<string, string>> query) =>
        string.Join('&', query
            .Select(p => (Name: UriEncode(p.Key, true), Value: UriEncode(p.Value, true)))
            .OrderBy(p => p.Name, StringComparer.Ordinal)
            .ThenBy(p => p.Value, StringComparer.Ordinal)
            .Select(p => p.Name + "=" + p.Value));

    /// <summary>Trims a header value and folds runs of spaces, as the canonical form requires.</summary>
    public static string CanonicalHeaderValue(string value)
    {
        var trimmed = value.Trim();
        if (!trimmed.Contains("  ", StringComparison.Ordinal))
        {
            return trimmed;
        }
        var sb = new StringBuilder(trimmed.Length);
        bool space = false;
        foreach (char c in trimmed)
        {
            if (c == ' ')
            {
                if (!space)
                {
                    sb.Append(c);
                }
                space = true;
            }
            else
            {
                sb.Append(c);
                space = false;
            }
        }
        return sb.ToString();
    }

    /// <summary>RFC 3986 encoding of everything but unreserved characters (and '/', unless asked), UTF-8, upper-case hex.</summary>
    public static string UriEncode(string value, bool encodeSlash)
    {
        var sb = new StringBuilder(value.Length + 16);
        Span<byte> utf8 = stackalloc byte[4];
        for (int i = 0; i < value.Length; i++)
        {
            char c = value[i];
            if (char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or '~' || (c == '/' && !encodeSlash))
            {
                sb.Append(c);
                continue;
            }
            int count;
            if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
            {
                count = Encoding.UTF8.GetBytes(value.AsSpan(i, 2), utf8);
                i++;
            }
            else
            {
                count = Encoding.UTF8.GetBytes(value.AsSpan(i, 1), utf8);
            }
            for (int b = 0; b < count; b++)
            {
                sb.Append('%').Append(utf8[b].ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
            }
        }
        return sb.ToString();
    }
}
