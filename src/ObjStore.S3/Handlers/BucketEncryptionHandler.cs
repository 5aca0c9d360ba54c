using System.Text.Json;
using System.Xml.Linq;
using Microsoft.AspNetCore.Http;
using ObjStore.Core;
using ObjStore.S3.Access;
using ObjStore.S3.Protocol;
using static ObjStore.S3.Protocol.Responses;
using static ObjStore.S3.Protocol.Xml;

namespace ObjStore.S3.Handlers;

/// <summary>
/// Bucket default encryption: Put/Get/DeleteBucketEncryption. The rule is kept as the ObjectEncryption an object
/// written without encryption headers gets (<see cref="WritePayloads"/>); SSE-C cannot be a default, as in S3.
/// </summary>
internal sealed class BucketEncryptionHandler(BucketSettingsCache settings, RequestBodies bodies)
{
    public async Task GetBucketEncryptionAsync(Call call, CancellationToken ct)
    {
        var bucket = await settings.GetAsync(call.Bucket, ct) ?? throw new S3Exception(S3Error.NoSuchBucket);
        var rule = WritePayloads.DefaultEncryption(bucket) ?? throw new S3Exception(S3Error.ServerSideEncryptionConfigurationNotFoundError);
        await WriteXmlAsync(call.Response, El("ServerSideEncryptionConfiguration",
            El("Rule",
                El("ApplyServerSideEncryptionByDefault",
                    El("SSEAlgorithm", rule.Mode == EncryptionMode.Kms ? ServerSideEncryption.AwsKms : ServerSideEncryption.Aes256),
                    rule.KmsKeyId is { } keyId ? El("KMSMasterKeyID", keyId) : null),
                El("BucketKeyEnabled", rule.BucketKeyEnabled ? "true" : "false"))));
    }

    public async Task PutBucketEncryptionAsync(Call call, CancellationToken ct)
    {
        var body = await bodies.ReadSmallAsync(call, ct);
        if (body.Length == 0)
        {
            throw new S3Exception(S3Error.MissingRequestBodyError);
        }
        var rule = ParseRule(Parse(body));
        await settings.PutConfigAsync(call.Bucket, BucketConfigKinds.Encryption, JsonSerializer.Serialize(rule), ct);
    }

    public async Task DeleteBucketEncryptionAsync(Call call, CancellationToken ct)
    {
        await settings.DeleteConfigAsync(call.Bucket, BucketConfigKinds.Encryption, ct);
        call.Response.StatusCode = StatusCodes.Status204NoContent;
    }

    /// <summary>One Rule with ApplyServerSideEncryptionByDefault; KMSMasterKeyID only with aws:kms.</summary>
    private static ObjectEncryption ParseRule(XElement root)
    {
        if (root.Name.LocalName != "ServerSideEncryptionConfiguration" || Children(root, "Rule").ToList() is not [var rule])
        {
            throw new S3Exception(S3Error.MalformedXML);
        }
        var byDefault = Children(rule, "ApplyServerSideEncryptionByDefault").SingleOrDefault() ?? throw new S3Exception(S3Error.MalformedXML);
        string? keyId = ChildValue(byDefault, "KMSMasterKeyID") is { Length: > 0 } k ? k : null;
        bool bucketKey = ChildValue(rule, "BucketKeyEnabled") switch
        {
            null or "false" => false,
            "true" => true,
            _ => throw new S3Exception(S3Error.MalformedXML),
        };
        if (Children(rule, "BlockedEncryptionTypes").Any())
        {
            throw new S3Exception(S3Error.NotImplemented, "Blocking encryption types (BlockedEncryptionTypes) is not implemented.");
        }
        return ChildValue(byDefault, "SSEAlgorithm") switch
        {
            ServerSideEncryption.Aes256 when keyId is not null => throw new S3Exception(S3Error.InvalidArgument,
                "a KMSMasterKeyID is not applicable if the default sse algorithm is not aws:kms or aws:kms:dsse"),
            ServerSideEncryption.Aes256 => new ObjectEncryption(EncryptionMode.S3) { BucketKeyEnabled = bucketKey },
            ServerSideEncryption.AwsKms => new ObjectEncryption(EncryptionMode.Kms) { KmsKeyId = keyId, BucketKeyEnabled = bucketKey },
            "aws:kms:dsse" => throw new S3Exception(S3Error.NotImplemented, "Dual-layer server-side encryption (aws:kms:dsse) is not implemented."),
            _ => throw new S3Exception(S3Error.MalformedXML),
        };
    }
}

/// <summary>
/// How a write's body is encrypted: as its headers ask (else as the bucket's default says), with the SSE-C key it
/// brought. (Compression is the object layer's to decide, from the bucket's settings.)
/// </summary>
internal sealed class WritePayloads(BucketSettingsCache settings, S3Options options)
{
    public bool AllowCustomerKeysOverHttp => options.AllowCustomerKeysOverHttp;

    /// <summary><paramref name="request"/> with its encryption and SSE-C key decided from <paramref name="headers"/> (a PUT's, a form's, a copy's).</summary>
    public async Task<PutObjectRequest> ApplyAsync(PutObjectRequest request, HttpRequest http, IHeaderDictionary headers, CancellationToken ct)
    {
        var bucket = await settings.GetAsync(request.Bucket, ct);
        var (encryption, key) = ServerSideEncryption.ForWrite(headers, http, options.AllowCustomerKeysOverHttp, bucket is null ? null : DefaultEncryption(bucket));
        return request with
        {
            Metadata = request.Metadata with { Encryption = encryption },
            CustomerKey = key,
        };
    }

    public static ObjectEncryption? DefaultEncryption(BucketSettings bucket) =>
        bucket.Parsed(BucketConfigKinds.Encryption, json => JsonSerializer.Deserialize<ObjectEncryption>(json)!);
}
