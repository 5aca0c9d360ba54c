using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using ObjStore.Access;
using ObjStore.Access.Policies;

namespace ObjStore.S3.Auth;

/// <summary>How a request proved who it is (s3:authType); anonymous requests have none.</summary>
public enum AuthType
{
    None,
    Header,
    Query,
    PostPolicy,
}

/// <summary>Who signed a request and how its body is to be verified; an anonymous request has no key.</summary>
public sealed record AuthContext(
    string AccessKey, byte[] SigningKey, string AmzDate, string Scope, string Signature, string PayloadHash, AuthType Type,
    Principal Principal, PolicyDocument? IdentityPolicy)
{
    public static readonly AuthContext Anonymous = new("", [], "", "", "", SigV4.UnsignedPayload, AuthType.None, Principal.Anonymous, null);

    public bool Presigned => Type == AuthType.Query;
}

/// <summary>
/// Verifies SigV4 in the Authorization header, a presigned query string or a POST policy. A request with none of
/// them is anonymous: authorization decides what, if anything, a policy or ACL grants it.
/// </summary>
public sealed class Authenticator(ICredentialStore credentials, TimeProvider clock, string region = "us-east-1")
{
    public static readonly TimeSpan MaxSkew = TimeSpan.FromMinutes(15);
    private const int MaxPresignSeconds = 7 * 24 * 3600;

    /// <summary>The signed principal, or <see cref="AuthContext.Anonymous"/> for a request that carries no signature.</summary>
    public AuthContext Authenticate(HttpRequest request, string decodedPath, IReadOnlyList<KeyValuePair<string, string>> query)
    {
        if (request.Headers.ContainsKey("x-amz-security-token") || query.Any(q => q.Key == "X-Amz-Security-Token"))
        {
            // Session tokens come from STS, which this store does not run: no token can be valid here.
            throw new S3Exception(S3Error.InvalidToken, "The provided token is malformed or otherwise invalid: this store issues no session tokens.");
        }
        string? authorization = request.Headers.Authorization;
        if (!string.IsNullOrEmpty(authorization))
        {
            return FromHeader(request, authorization, decodedPath, query);
        }
        if (query.Any(q => q.Key == "X-Amz-Signature"))
        {
            return FromQuery(request, decodedPath, query);
        }
        return AuthContext.Anonymous;
    }

    /// <summary>
    /// A browser form's POST policy, signed with SigV4 (x-amz-credential, x-amz-date, x-amz-signature over the
    /// base64 policy document itself).
    /// </summary>
    public AuthContext AuthenticatePostPolicy(string credential, string amzDate, string policyBase64, string signature)
    {
        var (key, accessKey, date, signedRegion, service) = ResolveCredential(credential, presigned: true);
        _ = ParseAmzDate(amzDate); // well-formed; the policy's own expiration bounds its life
        if (date != amzDate[..8] || service != "s3" || signedRegion != region)
        {
            throw new S3Exception(S3Error.InvalidArgument, $"Error parsing the X-Amz-Credential parameter; the credential scope must be {amzDate[..8]}/{region}/s3/aws4_request.")
            {
                Details = [new("ArgumentName", "x-amz-credential"), new("ArgumentValue", credential)],
            };
        }
        byte[] signingKey = SigV4.SigningKey(key.Secret, date, signedRegion, service);
        string expected = SigV4.Sign(signingKey, policyBase64);
        if (!CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(signature)))
        {
            throw new S3Exception(S3Error.SignatureDoesNotMatch);
        }
        return new AuthContext(accessKey, signingKey, amzDate, $"{date}/{signedRegion}/{service}/aws4_request", signature, SigV4.UnsignedPayload,
            AuthType.PostPolicy, key.Principal, key.IdentityPolicy);
    }

    private (Credential Key, string AccessKey, string Date, string Region, string Service) ResolveCredential(string credential, bool presigned)
    {
        var scopeParts = credential.Split('/');
        if (scopeParts.Length != 5 || scopeParts[4] != "aws4_request")
        {
            throw presigned
                ? new S3Exception(S3Error.AuthorizationQueryParametersError, $"Error parsing the X-Amz-Credential parameter; malformed credential '{credential}'.")
                : new S3Exception(S3Error.AuthorizationHeaderMalformed, $"Malformed credential '{credential}'.");
        }
        var key = credentials.Find(scopeParts[0]) ?? throw new S3Exception(S3Error.InvalidAccessKeyId);
        return (key, scopeParts[0], scopeParts[1], scopeParts[2], scopeParts[3]);
    }

    private AuthContext FromHeader(HttpRequest request, string authorization, string path, IReadOnlyList<KeyValuePair<string, string>> query)
    {
        if (!authorization.StartsWith(SigV4.Algorithm + " ", StringComparison.Ordinal))
        {
            throw new S3Exception(S3Error.InvalidArgument, "Unsupported Authorization Type: use AWS4-HMAC-SHA256.");
        }
        var parts = authorization[(SigV4.Algorithm.Length + 1)..]
            .Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Select(p => p.Split('=', 2))
            .Where(p => p.Length == 2)
            .ToDictionary(p => p[0], p => p[1], StringComparer.Ordinal);
        if (!parts.TryGetValue("Credential", out var credential) || !parts.TryGetValue("SignedHeaders", out var signedHeaders)
            || !parts.TryGetValue("Signature", out var signature))
        {
            throw new S3Exception(S3Error.AuthorizationHeaderMalformed, "The authorization header needs Credential, SignedHeaders and Signature.");
        }
        string amzDate = request.Headers["x-amz-date"].ToString();
        if (amzDate.Length == 0)
        {
            amzDate = DateToAmz(request.Headers.Date.ToString());
        }
        string payloadHash = request.Headers["x-amz-content-sha256"].ToString();
        if (payloadHash.Length == 0)
        {
            throw new S3Exception(S3Error.InvalidRequest, "Missing required header for this request: x-amz-content-sha256");
        }
        if (!IsKnownPayloadHash(payloadHash))
        {
            throw new S3Exception(S3Error.InvalidArgument, "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, a STREAMING-* value or a hex SHA-256.");
        }
        return Verify(request, path, query, credential, signedHeaders, signature, amzDate, payloadHash, presigned: false);
    }

    private AuthContext FromQuery(HttpRequest request, string path, IReadOnlyList<KeyValuePair<string, string>> query)
    {
        string Get(string name) => query.FirstOrDefault(q => q.Key == name).Value
            ?? throw new S3Exception(S3Error.AuthorizationQueryParametersError, $"Query-string authentication requires {name}.");
        if (Get("X-Amz-Algorithm") != SigV4.Algorithm)
        {
            throw new S3Exception(S3Error.AuthorizationQueryParametersError, "X-Amz-Algorithm must be AWS4-HMAC-SHA256.");
        }
        string amzDate = Get("X-Amz-Date");
        if (!int.TryParse(Get("X-Amz-Expires"), NumberStyles.None, CultureInfo.InvariantCulture, out int expires) || expires < 1 || expires > MaxPresignSeconds)
        {
            throw new S3Exception(S3Error.AuthorizationQueryParametersError,
                "X-Amz-Expires must be a number of seconds from 1 to 604800 (7 days).");
        }
        var signedAt = ParseAmzDate(amzDate);
        if (clock.GetUtcNow() > signedAt.AddSeconds(expires))
        {
            throw new S3Exception(S3Error.AccessDenied, "Request has expired");
        }
        if (signedAt - clock.GetUtcNow() > MaxSkew)
        {
            throw new S3Exception(S3Error.RequestTimeTooSkewed);
        }
        string payloadHash = request.Headers["x-amz-content-sha256"].ToString() is { Length: > 0 } h ? h : SigV4.UnsignedPayload;
        var unsignedQuery = query.Where(q => q.Key != "X-Amz-Signature").ToList();
        return Verify(request, path, unsignedQuery, Get("X-Amz-Credential"), Get("X-Amz-SignedHeaders"), Get("X-Amz-Signature"),
            amzDate, payloadHash, presigned: true);
    }

    private AuthContext Verify(
        HttpRequest request, string path, IReadOnlyList<KeyValuePair<string, string>> query, string credential,
        string signedHeaderList, string signature, string amzDate, string payloadHash, bool presigned)
    {
        var (found, accessKey, date, signedRegion, service) = ResolveCredential(credential, presigned);
        var signedAt = ParseAmzDate(amzDate);
        if (!presigned && (clock.GetUtcNow() - signedAt).Duration() > MaxSkew)
        {
            throw new S3Exception(S3Error.RequestTimeTooSkewed);
        }
        if (signedRegion != region)
        {
            // AWS names the region it expected, in the message and in a <Region> element, so clients can re-sign.
            throw presigned
                ? new S3Exception(S3Error.AuthorizationQueryParametersError,
                    $"Error parsing the X-Amz-Credential parameter; the region '{signedRegion}' is wrong; expecting '{region}'") { Details = [new("Region", region)] }
                : new S3Exception(S3Error.AuthorizationHeaderMalformed,
                    $"The authorization header is malformed; the region '{signedRegion}' is wrong; expecting '{region}'") { Details = [new("Region", region)] };
        }
        if (date != amzDate[..8] || service != "s3")
        {
            throw new S3Exception(S3Error.AuthorizationHeaderMalformed, "The credential scope does not match the request date or service.");
        }

        var names = signedHeaderList.Split(';');
        if (!names.Contains("host"))
        {
            throw new S3Exception(S3Error.AuthorizationHeaderMalformed, "SignedHeaders must include host.");
        }
        RefuseUnsignedAmzHeaders(request.Headers, names);
        var headers = new List<KeyValuePair<string, string>>(names.Length);
        foreach (var name in names)
        {
            string value = name == "host" ? request.Host.Value ?? "" : string.Join(',', request.Headers[name].Select(v => SigV4.CanonicalHeaderValue(v ?? "")));
            headers.Add(new(name, SigV4.CanonicalHeaderValue(value)));
        }
        string scope = $"{date}/{signedRegion}/{service}/aws4_request";
        string canonical = SigV4.CanonicalRequest(request.Method, path, query, headers, payloadHash);
        byte[] key = SigV4.SigningKey(found.Secret, date, signedRegion, service);
        string expected = SigV4.Sign(key, SigV4.StringToSign(amzDate, scope, canonical));
        if (!CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(signature)))
        {
            throw new S3Exception(S3Error.SignatureDoesNotMatch);
        }
        return new AuthContext(accessKey, key, amzDate, scope, signature, payloadHash, presigned ? AuthType.Query : AuthType.Header,
            found.Principal, found.IdentityPolicy);
    }

    /// <summary>
    /// Every x-amz-* header the request carries must be signed, in header-signed and presigned requests alike: the
    /// handlers act on them (copy source, metadata, directives, storage class), so an unsigned one would let whoever
    /// holds a signed request or a presigned URL change what it does.
    /// </summary>
    private static void RefuseUnsignedAmzHeaders(IHeaderDictionary headers, string[] signedNames)
    {
        foreach (var (name, _) in headers)
        {
            if (name.StartsWith("x-amz-", StringComparison.OrdinalIgnoreCase) && !IsSigned(name, signedNames))
            {
                throw new S3Exception(S3Error.AccessDenied, "There were headers present in the request which were not signed")
                {
                    Details = [new("HeadersNotSigned", name.ToLowerInvariant())],
                };
            }
        }
    }

    /// <summary>Signed header names are lower case; the request's may be any case. A loop: this runs on every request.</summary>
    private static bool IsSigned(string name, string[] signedNames)
    {
        foreach (var signed in signedNames)
        {
            if (signed.Equals(name, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }
        return false;
    }

    private static bool IsKnownPayloadHash(string value) =>
        value is SigV4.UnsignedPayload or SigV4.StreamingPayload or SigV4.StreamingPayloadTrailer or SigV4.StreamingUnsignedTrailer
        || (value.Length == 64 && value.All(char.IsAsciiHexDigitLower));

    private static DateTimeOffset ParseAmzDate(string value) =>
        DateTimeOffset.TryParseExact(value, "yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed)
            ? parsed
            : throw new S3Exception(S3Error.AuthorizationHeaderMalformed, $"Invalid X-Amz-Date '{value}'.");

    private static string DateToAmz(string httpDate) =>
        DateTimeOffset.TryParse(httpDate, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed)
            ? parsed.UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture)
            : throw new S3Exception(S3Error.AccessDenied, "The request needs an X-Amz-Date or Date header.");
}
