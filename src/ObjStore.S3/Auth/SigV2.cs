using System.Buffers;
using System.Collections.Frozen;
using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Text;

namespace ObjStore.S3.Auth;

/// <summary>
/// AWS Signature Version 2 for S3 ("Signing and authenticating REST requests"): the base64 HMAC-SHA1 of
/// <c>verb \n Content-MD5 \n Content-Type \n Date \n CanonicalizedAmzHeaders CanonicalizedResource</c>, where a
/// presigned URL puts its Expires in the Date position. Shared by the server's verifier and the signer the tests use,
/// so both directions are checked against AWS's published examples.
/// </summary>
public static class SigV2
{
    /// <summary>The Authorization scheme: <c>AWS AccessKeyId:Signature</c>.</summary>
    public const string Scheme = "AWS";

    /// <summary>What s3:signatureversion holds for a SigV2 request (AWS: "AWS"; SigV4 is "AWS4-HMAC-SHA256").</summary>
    public const string SignatureVersion = "AWS";

    /// <summary>The query parameters of a presigned URL.</summary>
    public const string AccessKeyParameter = "AWSAccessKeyId";
    public const string SignatureParameter = "Signature";
    public const string ExpiresParameter = "Expires";

    /// <summary>
    /// The query parameters signed as part of the resource; SigV2 signs no other. AWS's documented list (acl,
    /// lifecycle, location, logging, notification, partNumber, policy, requestPayment, torrent, uploadId, uploads,
    /// versionId, versioning, versions, website, the response-* overrides) with what botocore's HmacV1Auth (aws-cli
    /// 1.x, boto3 with signature_version "s3") and boto 2 sign besides: a name the client signs and the server leaves
    /// out, or the other way round, fails every such request. boto 2's Google-only names (compose, billing, ...) are
    /// left out, as botocore leaves them out.
    /// </summary>
    public static readonly FrozenSet<string> SubResources = new[]
    {
        "accelerate", "acl", "analytics", "cors", "defaultObjectAcl", "delete", "inventory", "lifecycle", "location",
        "logging", "metrics", "notification", "object-lock", "partNumber", "policy", "replication", "requestPayment",
        "response-cache-control", "response-content-disposition", "response-content-encoding",
        "response-content-language", "response-content-type", "response-expires", "restore", "select", "select-type",
        "storageClass", "tagging", "torrent", "uploadId", "uploads", "versionId", "versioning", "versions", "website",
    }.ToFrozenSet(StringComparer.Ordinal);

    /// <summary>
    /// Query parameters SigV2 leaves unsigned that select no other operation: listing and paging parameters (which
    /// only shape the answer of the operation the signed resource names) and the id of a signed configuration
    /// sub-resource. Any other unsigned parameter could turn a signed request into another operation (the router
    /// reads names such as publicAccessBlock or attributes that SigV2 never signed), so a SigV2 request carrying one
    /// is refused (<see cref="RequireSignedSelectors"/>).
    /// </summary>
    private static readonly FrozenSet<string> UnsignedShaping = new[]
    {
        "prefix", "delimiter", "marker", "max-keys", "encoding-type", "list-type", "continuation-token", "fetch-owner",
        "start-after", "key-marker", "version-id-marker", "upload-id-marker", "max-uploads", "part-number-marker",
        "max-parts", "max-buckets", "bucket-region", "x-id", "id",
        AccessKeyParameter, SignatureParameter, ExpiresParameter,
    }.ToFrozenSet(StringComparer.Ordinal);

    /// <summary>
    /// Refuses a SigV2 request with a query parameter the signature does not cover and that could change what the
    /// request does. <paramref name="presigned"/>: x-amz-*, content-md5 and content-type parameters are signed as
    /// headers (and applied as headers), so they pass.
    /// </summary>
    public static void RequireSignedSelectors(IReadOnlyList<KeyValuePair<string, string>> query, bool presigned)
    {
        foreach (var (name, _) in query)
        {
            bool signedAsHeader = presigned && (name.StartsWith("x-amz-", StringComparison.OrdinalIgnoreCase) || name is "content-md5" or "content-type");
            if (!SubResources.Contains(name) && !UnsignedShaping.Contains(name) && !signedAsHeader)
            {
                throw new S3Exception(S3Error.InvalidRequest,
                    $"Signature Version 2 does not sign the '{name}' parameter, so this request must be signed with AWS4-HMAC-SHA256.");
            }
        }
    }

    /// <summary>Strings to sign up to this many UTF-8 bytes (with the secret) are hashed from the stack.</summary>
    private const int StackLimit = 1024;

    /// <summary>
    /// The string to sign. <paramref name="headers"/> may hold every request header: only the x-amz-* ones are
    /// signed, names lower-cased and sorted, each name's values trimmed and joined with commas in the order sent.
    /// <paramref name="date"/> is the Date header (empty when the request has x-amz-date, which then signs in its
    /// place among the x-amz-* headers) or a presigned URL's Expires.
    /// </summary>
    public static string StringToSign(
        string method, string contentMd5, string contentType, string date, IEnumerable<KeyValuePair<string, string>> headers, string resource)
    {
        var sb = new StringBuilder(128 + resource.Length);
        sb.Append(method).Append('\n')
            .Append(contentMd5.Trim()).Append('\n')
            .Append(contentType.Trim()).Append('\n')
            .Append(date.Trim()).Append('\n');
        AppendAmzHeaders(sb, headers);
        sb.Append(resource);
        return sb.ToString();
    }

    /// <summary>
    /// The canonicalized resource: the bucket a virtual-hosted-style request names in its host (null for path-style
    /// requests, whose path names it), the path as sent, and the sub-resources sorted by name (<c>?acl</c>,
    /// <c>?partNumber=2&amp;uploadId=x</c>). <paramref name="rawPath"/> stays percent-encoded: clients sign their own
    /// encoding of the key (AWS's example mixes upper- and lower-case hex). <paramref name="query"/> holds decoded
    /// pairs, so a sub-resource is signed whatever escapes spell its name, and its value as the handlers will read it.
    /// </summary>
    public static string CanonicalResource(string? virtualHostBucket, string rawPath, IReadOnlyList<KeyValuePair<string, string>> query)
    {
        var sb = new StringBuilder(rawPath.Length + (virtualHostBucket?.Length + 1 ?? 0) + 16);
        if (virtualHostBucket is not null)
        {
            sb.Append('/').Append(virtualHostBucket);
        }
        sb.Append(rawPath);
        int signed = 0;
        foreach (var (name, _) in query)
        {
            if (SubResources.Contains(name))
            {
                signed++;
            }
        }
        if (signed == 0)
        {
            return sb.ToString();
        }
        // Sorted by name only, and stably: a name given twice keeps its values in the order sent, as clients sign them.
        char separator = '?';
        foreach (var (name, value) in query.Where(q => SubResources.Contains(q.Key)).OrderBy(q => q.Key, StringComparer.Ordinal))
        {
            sb.Append(separator).Append(name);
            if (value.Length > 0)
            {
                sb.Append('=').Append(value);
            }
            separator = '&';
        }
        return sb.ToString();
    }

    /// <summary>The signature of <paramref name="stringToSign"/>: base64 of its HMAC-SHA1 under the secret key.</summary>
    public static string Sign(string secret, string stringToSign)
    {
        Span<byte> mac = stackalloc byte[HMACSHA1.HashSizeInBytes];
        Hmac(secret, stringToSign, mac);
        return Convert.ToBase64String(mac);
    }

    /// <summary>
    /// Whether <paramref name="signature"/> (base64, as the client sent it) signs <paramref name="stringToSign"/>.
    /// The MACs are compared as bytes in constant time, so the answer's timing tells nothing about the right one.
    /// </summary>
    public static bool Verify(string secret, string stringToSign, string signature)
    {
        Span<byte> expected = stackalloc byte[HMACSHA1.HashSizeInBytes];
        Hmac(secret, stringToSign, expected);
        // Room for a little more than a MAC: a longer value does not decode into it and fails, as any wrong one does.
        Span<byte> provided = stackalloc byte[HMACSHA1.HashSizeInBytes + 12];
        return Convert.TryFromBase64String(signature, provided, out int written)
            && written == expected.Length
            && CryptographicOperations.FixedTimeEquals(expected, provided[..written]);
    }

    private static void AppendAmzHeaders(StringBuilder sb, IEnumerable<KeyValuePair<string, string>> headers)
    {
        List<KeyValuePair<string, string>>? amz = null;
        foreach (var (name, value) in headers)
        {
            if (name.StartsWith("x-amz-", StringComparison.OrdinalIgnoreCase))
            {
                (amz ??= []).Add(new(name.ToLowerInvariant(), value.Trim()));
            }
        }
        if (amz is null)
        {
            return;
        }
        string? current = null;
        // OrderBy is stable: one name's values stay in the order they were sent.
        foreach (var (name, value) in amz.OrderBy(h => h.Key, StringComparer.Ordinal))
        {
            if (name == current)
            {
                sb.Append(',').Append(value);
                continue;
            }
            if (current is not null)
            {
                sb.Append('\n');
            }
            sb.Append(name).Append(':').Append(value);
            current = name;
        }
        sb.Append('\n');
    }

    /// <summary>HMAC-SHA1 of the UTF-8 string under the UTF-8 secret, from a stack or pooled buffer wiped of the secret after.</summary>
    [SuppressMessage("Security", "CA5350:Do Not Use Weak Cryptographic Algorithms",
        Justification = "SigV2 is HMAC-SHA1 by protocol; S3:AllowSignatureV2=false refuses it.")]
    private static void Hmac(string secret, string data, Span<byte> destination)
    {
        int needed = Encoding.UTF8.GetMaxByteCount(secret.Length) + Encoding.UTF8.GetMaxByteCount(data.Length);
        byte[]? rented = null;
        Span<byte> buffer = needed <= StackLimit ? stackalloc byte[StackLimit] : (rented = ArrayPool<byte>.Shared.Rent(needed));
        int keyLength = 0;
        try
        {
            keyLength = Encoding.UTF8.GetBytes(secret, buffer);
            int dataLength = Encoding.UTF8.GetBytes(data, buffer[keyLength..]);
            HMACSHA1.HashData(buffer[..keyLength], buffer.Slice(keyLength, dataLength), destination);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(buffer[..keyLength]);
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }
}
