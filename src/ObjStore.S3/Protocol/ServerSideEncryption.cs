using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using ObjStore.Core;

namespace ObjStore.S3.Protocol;

/// <summary>
/// The server-side encryption headers: what a write asks for (SSE-S3, SSE-KMS or SSE-C, else the bucket's default),
/// the SSE-C key a read, a part or a copy source brings, and what responses say back, with AWS's errors.
/// </summary>
internal static class ServerSideEncryption
{
    public const string AlgorithmHeader = "x-amz-server-side-encryption";
    public const string KmsKeyIdHeader = "x-amz-server-side-encryption-aws-kms-key-id";
    public const string ContextHeader = "x-amz-server-side-encryption-context";
    public const string BucketKeyHeader = "x-amz-server-side-encryption-bucket-key-enabled";
    public const string CustomerPrefix = "x-amz-server-side-encryption-customer-";
    public const string CopySourceCustomerPrefix = "x-amz-copy-source-server-side-encryption-customer-";

    public const string Aes256 = "AES256";
    public const string AwsKms = "aws:kms";

    /// <summary>
    /// The encryption a write asks for: its headers, else <paramref name="bucketDefault"/>; and the SSE-C key it
    /// brought. <paramref name="allowCustomerKeysOverHttp"/>: SSE-C over plain HTTP (refused, as S3 does, unless set).
    /// </summary>
    public static (ObjectEncryption? Encryption, CustomerKey? Key) ForWrite(
        IHeaderDictionary headers, HttpRequest http, bool allowCustomerKeysOverHttp, ObjectEncryption? bucketDefault)
    {
        var customerKey = CustomerKeyOf(headers, CustomerPrefix, http, allowCustomerKeysOverHttp);
        string? algorithm = Value(headers, AlgorithmHeader);
        string? keyId = Value(headers, KmsKeyIdHeader);
        string? context = Value(headers, ContextHeader);
        string? bucketKey = Value(headers, BucketKeyHeader);
        if (customerKey is not null)
        {
            if (algorithm is not null || keyId is not null || context is not null)
            {
                throw new S3Exception(S3Error.InvalidArgument,
                    "Server Side Encryption with Customer provided keys cannot be used together with x-amz-server-side-encryption.");
            }
            return (new ObjectEncryption(EncryptionMode.Customer) { CustomerKeyFingerprint = customerKey.Fingerprint() }, customerKey);
        }
        if (algorithm is null)
        {
            if (keyId is not null || context is not null)
            {
                throw KmsHeaderWithoutKms();
            }
            return (bucketDefault, null);
        }
        switch (algorithm)
        {
            case Aes256:
                if (keyId is not null || context is not null)
                {
                    throw KmsHeaderWithoutKms();
                }
                return (new ObjectEncryption(EncryptionMode.S3), null);
            case AwsKms:
                return (new ObjectEncryption(EncryptionMode.Kms)
                {
                    // A request naming no key takes the bucket default's, if it names one, else the provider's default.
                    KmsKeyId = keyId ?? (bucketDefault?.Mode == EncryptionMode.Kms ? bucketDefault.KmsKeyId : null),
                    KmsContext = context is null ? null : ParseContext(context),
                    BucketKeyEnabled = bucketKey is null ? bucketDefault?.BucketKeyEnabled == true : ParseBool(bucketKey),
                }, null);
            case "aws:kms:dsse":
                throw new S3Exception(S3Error.NotImplemented, "Dual-layer server-side encryption (aws:kms:dsse) is not implemented.");
            default:
                throw new S3Exception(S3Error.InvalidArgument, "The encryption method specified is not supported")
                {
                    Details = [new("ArgumentName", AlgorithmHeader), new("ArgumentValue", algorithm)],
                };
        }
    }

    /// <summary>
    /// The SSE-C key a read of <paramref name="info"/> brings (GET, HEAD, GetObjectAttributes), checked as S3 checks
    /// it: an SSE-C object needs its key, and only an SSE-C object takes one; SSE-S3 and SSE-KMS headers belong to
    /// writes. A wrong key is AccessDenied.
    /// </summary>
    public static CustomerKey? ForRead(IHeaderDictionary headers, HttpRequest http, bool allowCustomerKeysOverHttp, ObjectInfo info) =>
        Check(CustomerKeyOf(headers, CustomerPrefix, http, allowCustomerKeysOverHttp), info, headers);

    /// <summary>The SSE-C key of a copy's source (x-amz-copy-source-server-side-encryption-customer-*), checked against it.</summary>
    public static CustomerKey? ForCopySource(IHeaderDictionary headers, HttpRequest http, bool allowCustomerKeysOverHttp, ObjectInfo source) =>
        Check(CustomerKeyOf(headers, CopySourceCustomerPrefix, http, allowCustomerKeysOverHttp), source, null);

    /// <summary>The SSE-C key of an UploadPart (checked against the upload's by the object layer).</summary>
    public static CustomerKey? ForPart(IHeaderDictionary headers, HttpRequest http, bool allowCustomerKeysOverHttp)
    {
        if (Value(headers, AlgorithmHeader) is not null || Value(headers, KmsKeyIdHeader) is not null || Value(headers, ContextHeader) is not null)
        {
            throw new S3Exception(S3Error.InvalidArgument,
                "x-amz-server-side-encryption is set when the upload is created (CreateMultipartUpload), not on its parts.");
        }
        return CustomerKeyOf(headers, CustomerPrefix, http, allowCustomerKeysOverHttp);
    }

    private static CustomerKey? Check(CustomerKey? key, ObjectInfo info, IHeaderDictionary? readHeaders)
    {
        bool customer = info.Metadata.Encryption?.Mode == EncryptionMode.Customer;
        if (readHeaders is not null && (Value(readHeaders, AlgorithmHeader) ?? Value(readHeaders, KmsKeyIdHeader) ?? Value(readHeaders, ContextHeader)) is not null)
        {
            throw new S3Exception(S3Error.InvalidArgument, "x-amz-server-side-encryption header is not supported for this operation.");
        }
        if (customer && key is null)
        {
            throw new S3Exception(S3Error.InvalidRequest,
                "The object was stored using a form of Server Side Encryption. The correct parameters must be provided to retrieve the object.");
        }
        if (!customer && key is not null)
        {
            throw new S3Exception(S3Error.InvalidRequest, "The encryption parameters are not applicable to this object.");
        }
        // Checked here, not only when a data key is opened: a HEAD, GetObjectAttributes, an empty object or a copy
        // opens none before it answers.
        if (customer && !key!.Matches(info.Metadata.Encryption!.CustomerKeyFingerprint ?? ""))
        {
            throw new S3Exception(S3Error.AccessDenied);
        }
        return key;
    }

    /// <summary>The encryption headers of a response about an object (or an upload) encrypted as <paramref name="encryption"/>.</summary>
    /// <param name="withContext">PutObject, CopyObject and CreateMultipartUpload also return the SSE-KMS encryption context.</param>
    public static void WriteHeaders(HttpResponse response, ObjectEncryption? encryption, CustomerKey? customerKey, bool withContext = false)
    {
        switch (encryption?.Mode)
        {
            case EncryptionMode.S3:
                response.Headers[AlgorithmHeader] = Aes256;
                break;
            case EncryptionMode.Kms:
                response.Headers[AlgorithmHeader] = AwsKms;
                response.Headers[KmsKeyIdHeader] = encryption.KmsKeyId;
                if (encryption.BucketKeyEnabled)
                {
                    response.Headers[BucketKeyHeader] = "true";
                }
                if (withContext && encryption.KmsContext is { } context)
                {
                    response.Headers[ContextHeader] = Convert.ToBase64String(Encoding.UTF8.GetBytes(context));
                }
                break;
            case EncryptionMode.Customer when customerKey is not null:
                response.Headers[CustomerPrefix + "algorithm"] = Aes256;
                response.Headers[CustomerPrefix + "key-MD5"] = customerKey.KeyMd5;
                break;
        }
    }

    /// <summary>The SSE-C triple under <paramref name="prefix"/> (algorithm, key, key-MD5), validated; null when none of it was sent.</summary>
    private static CustomerKey? CustomerKeyOf(IHeaderDictionary headers, string prefix, HttpRequest http, bool allowOverHttp)
    {
        string? algorithm = Value(headers, prefix + "algorithm");
        string? key = Value(headers, prefix + "key");
        string? md5 = Value(headers, prefix + "key-MD5");
        if (algorithm is null && key is null && md5 is null)
        {
            return null;
        }
        if (!http.IsHttps && !allowOverHttp)
        {
            throw new S3Exception(S3Error.InvalidRequest, "Requests specifying Server Side Encryption with Customer provided keys must be made over a secure connection.");
        }
        if (algorithm is null)
        {
            throw new S3Exception(S3Error.InvalidArgument, "Requests specifying Server Side Encryption with Customer provided keys must provide a valid encryption algorithm.");
        }
        if (algorithm != Aes256)
        {
            throw new S3Exception(S3Error.InvalidEncryptionAlgorithmError);
        }
        if (key is null)
        {
            throw new S3Exception(S3Error.InvalidArgument, "Requests specifying Server Side Encryption with Customer provided keys must provide an appropriate secret key.");
        }
        if (md5 is null)
        {
            throw new S3Exception(S3Error.InvalidArgument, "Requests specifying Server Side Encryption with Customer provided keys must provide the client calculated MD5 of the secret key.");
        }
        var bytes = new byte[CustomerKey.KeyBytes];
        if (!Convert.TryFromBase64String(key, bytes, out int length) || length != CustomerKey.KeyBytes)
        {
            throw new S3Exception(S3Error.InvalidArgument, "The secret key was invalid for the specified algorithm.");
        }
        var customerKey = new CustomerKey(bytes);
        CryptographicOperations.ZeroMemory(bytes);
        if (customerKey.KeyMd5 != md5)
        {
            throw new S3Exception(S3Error.InvalidArgument, "The calculated MD5 hash of the key did not match the hash that was provided.");
        }
        return customerKey;
    }

    /// <summary>The encryption context: base64 of a JSON object of strings; kept as that JSON.</summary>
    private static string ParseContext(string base64)
    {
        try
        {
            string json = Encoding.UTF8.GetString(Convert.FromBase64String(base64));
            var pairs = JsonSerializer.Deserialize<Dictionary<string, string>>(json);
            if (pairs is not null)
            {
                return json;
            }
        }
        catch (Exception e) when (e is FormatException or JsonException or DecoderFallbackException)
        {
        }
        throw new S3Exception(S3Error.InvalidArgument,
            "The header 'x-amz-server-side-encryption-context' shall be Base64-encoded UTF-8 string holding JSON which represents a string-string map");
    }

    private static bool ParseBool(string value) => value.ToLowerInvariant() switch
    {
        "true" => true,
        "false" => false,
        _ => throw new S3Exception(S3Error.InvalidArgument, $"{BucketKeyHeader} must be true or false."),
    };

    private static S3Exception KmsHeaderWithoutKms() => new(S3Error.InvalidArgument,
        "Server Side Encryption with AWS KMS managed key requires HTTP header x-amz-server-side-encryption : aws:kms");

    private static string? Value(IHeaderDictionary headers, string name) => headers[name].ToString() is { Length: > 0 } value ? value : null;
}
