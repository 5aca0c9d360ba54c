using System.Globalization;
using System.Xml.Linq;
using Microsoft.AspNetCore.Http;
using ObjStore.Core;
using ObjStore.S3.Access;
using ObjStore.S3.Auth;
using ObjStore.S3.Post;
using ObjStore.S3.Protocol;
using static ObjStore.S3.Protocol.Responses;

namespace ObjStore.S3.Handlers;

/// <summary>
/// POST Object: a browser's HTML form upload. The form carries what a PUT puts in headers, and authenticates itself
/// with a SigV4- or SigV2-signed POST policy (or none, an anonymous upload), so it is authorized here, on the key the
/// form names, rather than before dispatch. The file streams into the object layer as it arrives.
/// </summary>
internal sealed class PostObjectHandler(
    IObjectLayer objects, Authenticator authenticator, S3Authorizer authorizer, BucketSettingsCache settings, RequestBodies bodies, TimeProvider clock,
    S3Options options, WritePayloads payloads)
{
    /// <summary>S3 names the first missing one in this order (algorithm before credential, as recorded).</summary>
    private static readonly string[] SignatureFields = ["X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Signature"];

    /// <summary>Fields that stand for the PUT headers of the same names (AWS: "the REST-specific headers").</summary>
    private static readonly string[] HeaderFields = ["Cache-Control", "Content-Type", "Content-Disposition", "Content-Encoding", "Content-Language", "Expires"];

    public async Task PostObjectAsync(Call call, CancellationToken ct)
    {
        var form = await PostForm.ReadAsync(call.Http.ContentType, bodies.Open(call), ct);
        var fields = form.Fields;
        var file = form.File ?? throw new S3Exception(S3Error.InvalidArgument, "POST requires exactly one file upload per request.")
        {
            Details = [new("ArgumentName", "file"), new("ArgumentValue", "0")],
        };
        // A part without a filename parameter leaves ${filename} as it is, as S3 did when recorded.
        if (file.FileName is { } fileName)
        {
            fields.ExpandFileName(fileName);
        }
        string key = fields.Get("key") is { Length: > 0 } k ? k : throw MissingField("key");
        var auth = Authenticate(fields, call.Auth);
        if (auth.Type == AuthType.PostPolicy)
        {
            // Verified over the policy as sent before it is decoded: a truncated policy is SignatureDoesNotMatch.
            var policy = PostPolicy.Parse(fields.Get("policy")!);
            policy.Check(fields, call.Bucket, clock.GetUtcNow(), signatureV2: auth.SignatureVersion == SigV2.SignatureVersion);
            if (policy.LengthRange is { } range)
            {
                file.Limit(range.Min, range.Max);
            }
        }
        // The tagging field is a Tagging document, as PutObjectTagging's body.
        var formTags = fields.Get("tagging") is { Length: > 0 } tagging
            ? Tagging.FromXml(System.Text.Encoding.UTF8.GetBytes(tagging), Tagging.MaxObjectTags)
            : null;
        Naming.ValidateKey(key);
        string? acl = fields.Get("acl");
        if (acl is not null && !ObjStore.Access.AccessControlList.CannedNames.Contains(acl, StringComparer.Ordinal))
        {
            throw new S3Exception(S3Error.InvalidArgument) { Details = [new("ArgumentName", "x-amz-acl"), new("ArgumentValue", acl)] };
        }

        var headers = AsHeaders(fields);
        if (acl is not null)
        {
            headers["x-amz-acl"] = acl;
        }
        var attributes = ObjectAttributes.FromHeaders(headers, call.Bucket, key);
        if (formTags is not null)
        {
            attributes = attributes with { Tags = formTags };
        }
        var (algorithm, expected) = Checksums.Requested(headers, file, algorithmMustMatchValue: true);
        // The form is the request: it is authorized as the PUT it stands for, by its signer's permissions, its fields
        // read as that PUT's headers (ACL grants, storage class, lock) by both the checks and the condition keys.
        var signed = call with { Auth = auth, FormFields = headers };
        if (call.Exchange is { } exchange)
        {
            // The form, not the request's headers, says who uploads, and which key.
            exchange.Key = key;
            exchange.User = auth.Principal.Name;
            exchange.AccessKey = auth.AccessKey;
        }
        await authorizer.AuthorizeFormAsync(signed, headers, call.Bucket, key, tagged: attributes.Tags.Count > 0, ct);
        var request = attributes with
        {
            Metadata = attributes.Metadata with { ChecksumAlgorithm = algorithm },
            ExpectedMd5 = ContentMd5(fields.Get("Content-MD5")),
            ExpectedChecksum = expected,
            Lock = ObjectLockProtocol.FromHeaders(headers),
        };
        request = await AccessHandler.WithAclAsync(request, signed, headers, settings, authorizer, ct);
        request = await payloads.ApplyAsync(request, call.Http, headers, ct);
        var info = await objects.PutObjectAsync(request, file, ct);
        ServerSideEncryption.WriteHeaders(call.Response, info.Metadata.Encryption, request.CustomerKey);
        await AnswerAsync(call, fields, key, info);
    }

    /// <summary>
    /// The form's signer. With none of the SigV4 fields the upload is SigV2-signed (AWSAccessKeyId) or anonymous (or,
    /// unusually, signed in its headers); with some, all of them and the policy must precede the file: S3 names the
    /// first missing one.
    /// </summary>
    private AuthContext Authenticate(PostFields fields, AuthContext headerAuth)
    {
        if (SignatureFields.All(f => fields.Get(f) is null))
        {
            return fields.Get(SigV2.AccessKeyParameter) is null ? headerAuth : AuthenticateSigV2(fields);
        }
        foreach (var name in SignatureFields)
        {
            if (fields.Get(name) is not { Length: > 0 })
            {
                throw MissingField(name);
            }
        }
        if (fields.Get("X-Amz-Algorithm") != SigV4.Algorithm)
        {
            throw new S3Exception(S3Error.InvalidArgument, $"X-Amz-Algorithm only supports '{SigV4.Algorithm}'.")
            {
                Details = [new("ArgumentName", "X-Amz-Algorithm"), new("ArgumentValue", fields.Get("X-Amz-Algorithm")!)],
            };
        }
        string policy = fields.Get("policy") is { Length: > 0 } p ? p : throw MissingField("Policy");
        string date = fields.Get("X-Amz-Date")!;
        if (!DateTimeOffset.TryParseExact(date, "yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out _))
        {
            throw new S3Exception(S3Error.InvalidArgument, "X-Amz-Date must be formatted via ISO8601 Long format")
            {
                Details = [new("ArgumentName", "X-Amz-Date"), new("ArgumentValue", date)],
            };
        }
        return authenticator.AuthenticatePostPolicy(fields.Get("X-Amz-Credential")!, date, policy, fields.Get("X-Amz-Signature")!);
    }

    /// <summary>A SigV2 form: AWSAccessKeyId, policy and signature (base64 HMAC-SHA1 of the policy as sent).</summary>
    private AuthContext AuthenticateSigV2(PostFields fields)
    {
        string accessKey = fields.Get(SigV2.AccessKeyParameter) is { Length: > 0 } a ? a : throw MissingField(SigV2.AccessKeyParameter);
        string policy = fields.Get("policy") is { Length: > 0 } p ? p : throw MissingField("Policy");
        string signature = fields.Get("signature") is { Length: > 0 } s ? s : throw MissingField("Signature");
        return authenticator.AuthenticatePostPolicyV2(accessKey, policy, signature, options);
    }

    /// <summary>S3's words, two spaces included, for a field that is absent or comes after the file.</summary>
    private static S3Exception MissingField(string name) =>
        new(S3Error.InvalidArgument, $"Bucket POST must contain a field named '{name}'.  If it is specified, please check the order of the fields.")
        {
            Details = [new("ArgumentName", name), new("ArgumentValue", "")],
        };

    /// <summary>The fields a PUT would have sent as headers: the standard ones and every x-amz-* but the signature's.</summary>
    private static HeaderDictionary AsHeaders(PostFields fields)
    {
        var headers = new HeaderDictionary();
        foreach (var (name, value) in fields.All)
        {
            bool standard = HeaderFields.Contains(name, StringComparer.OrdinalIgnoreCase);
            bool amz = name.StartsWith("x-amz-", StringComparison.OrdinalIgnoreCase)
                && !SignatureFields.Contains(name, StringComparer.OrdinalIgnoreCase);
            if (standard || amz)
            {
                headers[name] = value;
            }
        }
        return headers;
    }

    private static byte[]? ContentMd5(string? value)
    {
        if (value is null)
        {
            return null;
        }
        var bytes = new byte[16];
        return Convert.TryFromBase64String(value, bytes, out int written) && written == 16 ? bytes : throw new S3Exception(S3Error.InvalidDigest);
    }

    /// <summary>
    /// A redirect (303) when the form names an absolute http(s) URL, else success_action_status: 201 with the
    /// PostResponse document, 200, or 204 for anything else. Each carries the ETag and Location a PUT's answer would.
    /// </summary>
    private static async Task AnswerAsync(Call call, PostFields fields, string key, ObjectInfo info)
    {
        var response = call.Response;
        string etag = Quote(info.ETag);
        string location = ObjectUrl(call, key);
        response.Headers.ETag = etag;
        response.Headers.Location = location;
        Checksums.WriteHeaders(response, info);
        Versions.WriteWriteHeader(response, info);

        string? redirect = fields.Get("success_action_redirect") ?? fields.Get("redirect");
        if (Uri.TryCreate(redirect, UriKind.Absolute, out var target) && (target.Scheme == Uri.UriSchemeHttp || target.Scheme == Uri.UriSchemeHttps))
        {
            // As S3 does: appended to any query the URL has, form-encoded ('/' as %2F, ' ' as '+', the ETag quoted).
            string separator = redirect!.Contains('?', StringComparison.Ordinal) ? "&" : "?";
            response.StatusCode = StatusCodes.Status303SeeOther;
            response.Headers.Location = redirect + separator
                + "bucket=" + FormEncode(call.Bucket) + "&key=" + FormEncode(key) + "&etag=" + FormEncode(etag);
            return;
        }
        switch (fields.Get("success_action_status"))
        {
            case "201":
                // No namespace, as S3's captured answers have none.
                var bytes = Xml.Serialize(new XElement("PostResponse",
                    new XElement("Location", location), new XElement("Bucket", call.Bucket), new XElement("Key", key), new XElement("ETag", etag)));
                response.StatusCode = StatusCodes.Status201Created;
                response.ContentType = "application/xml";
                response.ContentLength = bytes.Length;
                await response.Body.WriteAsync(bytes);
                break;
            case "200":
                response.StatusCode = StatusCodes.Status200OK;
                response.ContentLength = 0;
                break;
            default:
                response.StatusCode = StatusCodes.Status204NoContent;
                break;
        }
    }

    /// <summary>The object's URL in the request's own addressing style, its key's '/' encoded as S3 writes it.</summary>
    private static string ObjectUrl(Call call, string key)
    {
        string bucketPath = call.Request.Path.TrimEnd('/').Length > 0 ? "/" + SigV4.UriEncode(call.Bucket, encodeSlash: true) : "";
        return $"{call.Http.Scheme}://{call.Http.Host}{bucketPath}/{SigV4.UriEncode(key, encodeSlash: true)}";
    }

    private static string FormEncode(string value) => Uri.EscapeDataString(value).Replace("%20", "+", StringComparison.Ordinal);
}
