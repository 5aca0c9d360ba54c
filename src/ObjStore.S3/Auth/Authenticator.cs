using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using ObjStore.Access;
using ObjStore.Access.Policies;
using ObjStore.S3.Protocol;

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

    /// <summary>What s3:signatureversion holds: AWS4-HMAC-SHA256, or "AWS" for Signature Version 2.</summary>
    public string SignatureVersion { get; init; } = SigV4.Algorithm;
}

/// <summary>
/// Verifies SigV4 or SigV2 (<see cref="SigV2"/>) in the Authorization header, a presigned query string or a POST
/// policy. A request with none of them is anonymous: authorization decides what, if anything, a policy or ACL grants it.
/// </summary>
public sealed class Authenticator(ICredentialStore credentials, TimeProvider clock, string region = "us-east-1")
{
    public static readonly TimeSpan MaxSkew = TimeSpan.FromMinutes(15);
    private const int MaxPresignSeconds = 7 * 24 * 3600;

    /// <summary>SigV4 alone: for the admin API, which only this project's own SigV4 clients call.</summary>
    private static readonly S3Options SigV4Only = new() { AllowSignatureV2 = false };

    /// <summary>The SigV4-signed principal, or <see cref="AuthContext.Anonymous"/> for a request that carries no signature.</summary>
    public AuthContext Authenticate(HttpRequest request, string decodedPath, IReadOnlyList<KeyValuePair<string, string>> query) =>
        Authenticate(request, decodedPath, query, SigV4Only);

    /// <summary>
    /// An S3 request's signed principal, or <see cref="AuthContext.Anonymous"/> for a request that carries no
    /// signature. <paramref name="options"/> say whether SigV2 is accepted, and which host names make a request
    /// virtual-hosted-style (SigV2 signs the bucket such a host names).
    /// </summary>
    public AuthContext Authenticate(HttpRequest request, string decodedPath, IReadOnlyList<KeyValuePair<string, string>> query, S3Options options)
    {
        if (request.Headers.ContainsKey("x-amz-security-token") || query.Any(q => q.Key == "X-Amz-Security-Token"))
        {
            // Session tokens come from STS, which this store does not run: no token can be valid here.
            throw new S3Exception(S3Error.InvalidToken, "The provided token is malformed or otherwise invalid: this store issues no session tokens.");
        }
        string? authorization = request.Headers.Authorization;
        if (!string.IsNullOrEmpty(authorization))
        {
            return authorization.StartsWith(SigV2.Scheme + " ", StringComparison.Ordinal)
                ? FromSigV2Header(request, authorization, query, options)
                : FromHeader(request, authorization, decodedPath, query);
        }
        if (query.Any(q => q.Key == "X-Amz-Signature"))
        {
            return FromQuery(request, decodedPath, query);
        }
        if (query.Any(q => q.Key is SigV2.SignatureParameter or SigV2.AccessKeyParameter))
        {
            return FromSigV2Query(request, query, options);
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

    /// <summary>
    /// A browser form's POST policy signed with SigV2 (AWSAccessKeyId, signature): the base64 HMAC-SHA1 of the base64
    /// policy document as sent.
    /// </summary>
    public AuthContext AuthenticatePostPolicyV2(string accessKey, string policyBase64, string signature, S3Options options)
    {
        RefuseUnlessSigV2Allowed(options);
        var key = credentials.Find(accessKey) ?? throw new S3Exception(S3Error.InvalidAccessKeyId);
        if (!SigV2.Verify(key.Secret, policyBase64, signature))
        {
            throw new S3Exception(S3Error.SignatureDoesNotMatch);
        }
        return new AuthContext(accessKey, [], "", "", signature, SigV4.UnsignedPayload, AuthType.PostPolicy, key.Principal, key.IdentityPolicy)
        {
            SignatureVersion = SigV2.SignatureVersion,
        };
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
        string? credential = null, signedHeaders = null, signature = null;
        var fields = authorization.AsSpan(SigV4.Algorithm.Length + 1);
        foreach (var range in fields.Split(','))
        {
            var field = fields[range].Trim();
            int equals = field.IndexOf('=');
            if (equals < 0)
            {
                continue;
            }
            var name = field[..equals];
            var value = field[(equals + 1)..];
            if (name.SequenceEqual("Credential"))
            {
                credential = value.ToString();
            }
            else if (name.SequenceEqual("SignedHeaders"))
            {
                signedHeaders = value.ToString();
            }
            else if (name.SequenceEqual("Signature"))
            {
                signature = value.ToString();
            }
        }
        if (credential is null || signedHeaders is null || signature is null)
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
        if (!SigV4.SignatureMatches(key, amzDate, scope, canonical, signature))
        {
            throw new S3Exception(S3Error.SignatureDoesNotMatch);
        }
        return new AuthContext(accessKey, key, amzDate, scope, signature, payloadHash, presigned ? AuthType.Query : AuthType.Header,
            found.Principal, found.IdentityPolicy);
    }

    /// <summary>
    /// <c>Authorization: AWS AccessKeyId:Signature</c>, signed over the Date header, or over x-amz-date when the
    /// request has one (the Date position is then empty), which must be within <see cref="MaxSkew"/> of the clock.
    /// </summary>
    private AuthContext FromSigV2Header(HttpRequest request, string authorization, IReadOnlyList<KeyValuePair<string, string>> query, S3Options options)
    {
        RefuseUnlessSigV2Allowed(options);
        SigV2.RequireSignedSelectors(query, presigned: false);
        string pair = authorization[(SigV2.Scheme.Length + 1)..].Trim();
        int colon = pair.IndexOf(':');
        if (colon <= 0 || colon == pair.Length - 1)
        {
            throw new S3Exception(S3Error.InvalidArgument, "AWS authorization header is invalid.  Expected AwsAccessKeyId:signature")
            {
                Details = [new("ArgumentName", "Authorization"), new("ArgumentValue", authorization)],
            };
        }
        string accessKey = pair[..colon];
        string signature = pair[(colon + 1)..];
        var key = credentials.Find(accessKey) ?? throw new S3Exception(S3Error.InvalidAccessKeyId);
        bool hasAmzDate = request.Headers.ContainsKey("x-amz-date");
        string date = request.Headers.Date.ToString();
        var signedAt = ParseSigV2Date(hasAmzDate ? request.Headers["x-amz-date"].ToString() : date)
            ?? throw new S3Exception(S3Error.AccessDenied, "AWS authentication requires a valid Date or x-amz-date header");
        if ((clock.GetUtcNow() - signedAt).Duration() > MaxSkew)
        {
            throw new S3Exception(S3Error.RequestTimeTooSkewed);
        }
        string payloadHash = SigV2PayloadMode(request);
        string stringToSign = SigV2.StringToSign(request.Method, request.Headers.ContentMD5.ToString(), request.Headers.ContentType.ToString(),
            hasAmzDate ? "" : date, AmzHeaders(request.Headers), SigV2Resource(request, query, options));
        VerifySigV2(key.Secret, accessKey, stringToSign, signature);
        return new AuthContext(accessKey, [], "", "", signature, payloadHash, AuthType.Header, key.Principal, key.IdentityPolicy)
        {
            SignatureVersion = SigV2.SignatureVersion,
        };
    }

    /// <summary>
    /// A presigned URL: AWSAccessKeyId, Signature, and Expires (seconds since the epoch), which signs in the Date
    /// position. SigV2 sets no longest lifetime (AWS's 7 days are SigV4's). botocore moves the x-amz-*, Content-Type
    /// and Content-MD5 headers it signed into the query string, so x-amz-* parameters sign as headers, and
    /// Content-Type and Content-MD5 parameters stand in for absent headers.
    /// </summary>
    private AuthContext FromSigV2Query(HttpRequest request, IReadOnlyList<KeyValuePair<string, string>> query, S3Options options)
    {
        RefuseUnlessSigV2Allowed(options);
        string? accessKey = null, signature = null, expires = null, contentMd5 = null, contentType = null;
        List<KeyValuePair<string, string>>? amzParameters = null;
        foreach (var (name, value) in query)
        {
            switch (name)
            {
                case SigV2.AccessKeyParameter: accessKey = value; break;
                case SigV2.SignatureParameter: signature = value; break;
                case SigV2.ExpiresParameter: expires = value; break;
                case "content-md5": contentMd5 = value; break;
                case "content-type": contentType = value; break;
                default:
                    if (name.StartsWith("x-amz-", StringComparison.OrdinalIgnoreCase))
                    {
                        if (name.Equals("x-amz-security-token", StringComparison.OrdinalIgnoreCase))
                        {
                            throw new S3Exception(S3Error.InvalidToken, "The provided token is malformed or otherwise invalid: this store issues no session tokens.");
                        }
                        (amzParameters ??= []).Add(new(name, value));
                    }
                    break;
            }
        }
        if (string.IsNullOrEmpty(accessKey) || string.IsNullOrEmpty(signature) || string.IsNullOrEmpty(expires))
        {
            throw new S3Exception(S3Error.AccessDenied, "Query-string authentication requires the Signature, Expires and AWSAccessKeyId parameters");
        }
        if (!long.TryParse(expires, NumberStyles.None, CultureInfo.InvariantCulture, out long expiresAt))
        {
            throw new S3Exception(S3Error.AccessDenied, $"Invalid date (should be seconds since epoch): {expires}");
        }
        var key = credentials.Find(accessKey) ?? throw new S3Exception(S3Error.InvalidAccessKeyId);
        var now = clock.GetUtcNow();
        if (now.ToUnixTimeSeconds() > expiresAt)
        {
            throw new S3Exception(S3Error.AccessDenied, "Request has expired")
            {
                Details = [new("Expires", IsoSeconds(DateTimeOffset.FromUnixTimeSeconds(expiresAt))), new("ServerTime", IsoSeconds(now))],
            };
        }
        string payloadHash = SigV2PayloadMode(request);
        var headers = AmzHeaders(request.Headers);
        string stringToSign = SigV2.StringToSign(request.Method,
            request.Headers.ContentMD5.ToString() is { Length: > 0 } md5 ? md5 : contentMd5 ?? "",
            request.Headers.ContentType.ToString() is { Length: > 0 } type ? type : contentType ?? "",
            expires, amzParameters is null ? headers : headers.Concat(amzParameters), SigV2Resource(request, query, options));
        // A '+' the client left unescaped decodes to a space; base64 has no spaces, so it can only have been a '+'.
        VerifySigV2(key.Secret, accessKey, stringToSign, signature.Replace(' ', '+'));
        SigV2.RequireSignedSelectors(query, presigned: true);
        ApplySignedQueryHeaders(request, amzParameters, contentMd5, contentType);
        return new AuthContext(accessKey, [], "", "", signature, payloadHash, AuthType.Query, key.Principal, key.IdentityPolicy)
        {
            SignatureVersion = SigV2.SignatureVersion,
        };
    }

    /// <summary>
    /// What a SigV2 presigned URL signed as headers in its query string (x-amz-*, Content-MD5, Content-Type) takes
    /// effect as those headers, as on AWS: a signed x-amz-acl is applied, a signed Content-MD5 checked, a signed
    /// x-amz-server-side-encryption refused like the header. A header sent as well wins (it signed in its place).
    /// </summary>
    private static void ApplySignedQueryHeaders(
        HttpRequest request, List<KeyValuePair<string, string>>? amzParameters, string? contentMd5, string? contentType)
    {
        foreach (var (name, value) in amzParameters ?? [])
        {
            if (!request.Headers.ContainsKey(name))
            {
                request.Headers[name] = value;
            }
        }
        if (contentMd5 is not null && request.Headers.ContentMD5.Count == 0)
        {
            request.Headers.ContentMD5 = contentMd5;
        }
        if (contentType is not null && request.Headers.ContentType.Count == 0)
        {
            request.Headers.ContentType = contentType;
        }
    }

    private static void RefuseUnlessSigV2Allowed(S3Options options)
    {
        if (!options.AllowSignatureV2)
        {
            // AWS's answer in the regions that never had SigV2.
            throw new S3Exception(S3Error.InvalidRequest, "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.");
        }
    }

    private static void VerifySigV2(string secret, string accessKey, string stringToSign, string signature)
    {
        if (!SigV2.Verify(secret, stringToSign, signature))
        {
            // As AWS answers: what the store signed, so a client can see where its canonicalisation differs. It is
            // the client's own request over again; the secret is in no part of it.
            throw new S3Exception(S3Error.SignatureDoesNotMatch)
            {
                Details = [new("AWSAccessKeyId", accessKey), new("StringToSign", stringToSign), new("SignatureProvided", signature)],
            };
        }
    }

    /// <summary>
    /// SigV2 signs no payload: the body streams as sent (Content-MD5 checked where the store checks it). An
    /// x-amz-content-sha256 sent anyway is signed (an x-amz-* header like any) and honoured: a hex SHA-256 is verified,
    /// unsigned aws-chunked decoded. Signed aws-chunked needs SigV4's signing key, which a SigV2 request has not.
    /// </summary>
    private static string SigV2PayloadMode(HttpRequest request)
    {
        string value = request.Headers["x-amz-content-sha256"].ToString();
        if (value.Length == 0)
        {
            return SigV4.UnsignedPayload;
        }
        if (value is SigV4.StreamingPayload or SigV4.StreamingPayloadTrailer)
        {
            throw new S3Exception(S3Error.InvalidRequest, $"x-amz-content-sha256: {value} needs a request signed with {SigV4.Algorithm}.");
        }
        return IsKnownPayloadHash(value)
            ? value
            : throw new S3Exception(S3Error.InvalidArgument, "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, a STREAMING-* value or a hex SHA-256.");
    }

    /// <summary>The request's x-amz-* headers, one pair per value as sent: SigV2 signs every one of them.</summary>
    private static IEnumerable<KeyValuePair<string, string>> AmzHeaders(IHeaderDictionary headers)
    {
        foreach (var (name, values) in headers)
        {
            if (name.StartsWith("x-amz-", StringComparison.OrdinalIgnoreCase))
            {
                foreach (var value in values)
                {
                    yield return new(name, value ?? "");
                }
            }
        }
    }

    /// <summary>
    /// The resource SigV2 signs: the bucket of a virtual-hosted-style host (read as <see cref="S3Request.Parse"/>
    /// reads it), then the path as sent, still percent-encoded (an absolute-form target's scheme and host dropped).
    /// </summary>
    private static string SigV2Resource(HttpRequest request, IReadOnlyList<KeyValuePair<string, string>> query, S3Options options) =>
        SigV2.CanonicalResource(S3Request.HostBucket(request.Host.Host, options.Domains), S3Request.RawTarget(request.HttpContext).Path, query);

    /// <summary>An HTTP-date (RFC 1123, "GMT" or "+0000"), or x-amz-date's ISO 8601 basic form; null when neither.</summary>
    private static DateTimeOffset? ParseSigV2Date(string value)
    {
        if (value.Length == 0)
        {
            return null;
        }
        if (DateTimeOffset.TryParseExact(value, "yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var iso))
        {
            return iso;
        }
        // Go's time.RFC1123 (rclone's v2_auth) writes the zone as "UTC" where HTTP dates say "GMT".
        if (value.EndsWith(" UTC", StringComparison.Ordinal))
        {
            value = value[..^4] + " GMT";
        }
        return DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed) ? parsed : null;
    }

    private static string IsoSeconds(DateTimeOffset value) => value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

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
