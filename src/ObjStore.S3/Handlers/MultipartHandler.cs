using System.Globalization;
using Microsoft.AspNetCore.Http;
using ObjStore.Core;
using ObjStore.S3.Auth;
using ObjStore.S3.Access;
using ObjStore.S3.Protocol;
using static ObjStore.S3.Protocol.Responses;
using static ObjStore.S3.Protocol.Xml;

namespace ObjStore.S3.Handlers;

/// <summary>
/// The multipart upload operations: CreateMultipartUpload, UploadPart, UploadPartCopy, CompleteMultipartUpload,
/// AbortMultipartUpload, ListParts, ListMultipartUploads.
/// </summary>
internal sealed class MultipartHandler(
    IObjectLayer objects, RequestBodies bodies, BucketSettingsCache settings, S3Authorizer authorizer, BucketOwners owners, LifecycleHeaders lifecycle,
    WritePayloads payloads)
{
    public async Task CreateMultipartUploadAsync(Call call, CancellationToken ct)
    {
        Naming.ValidateKey(call.Key);
        var (algorithm, _) = Checksums.Requested(call.Http.Headers, Stream.Null);
        var request = ObjectAttributes.FromHeaders(call);
        request = await AccessHandler.WithAclAsync(request with
        {
            Metadata = request.Metadata with { ChecksumAlgorithm = algorithm },
            Lock = ObjectLockProtocol.FromHeaders(call.Http.Headers),
        }, call, settings, authorizer, ct);
        request = await payloads.ApplyAsync(request, call.Http, call.Http.Headers, ct);
        var upload = await objects.CreateMultipartUploadAsync(request, ct);
        ServerSideEncryption.WriteHeaders(call.Response, upload.Metadata.Encryption, request.CustomerKey, withContext: true);
        if (algorithm != ChecksumAlgorithm.None)
        {
            call.Response.Headers["x-amz-checksum-algorithm"] = Checksums.Name(algorithm);
            call.Response.Headers["x-amz-checksum-type"] = "COMPOSITE";
        }
        await lifecycle.WriteAbortAsync(call.Response, upload, ct);
        await WriteXmlAsync(call.Response, El("InitiateMultipartUploadResult",
            El("Bucket", call.Bucket), El("Key", call.Key), El("UploadId", upload.UploadId)));
    }

    public async Task UploadPartAsync(Call call, CancellationToken ct)
    {
        var (uploadId, partNumber) = PartAddress(call);
        var body = bodies.Open(call);
        var (algorithm, expected) = Checksums.Requested(call.Http.Headers, body);
        var request = new PutObjectRequest
        {
            Bucket = call.Bucket,
            Key = call.Key,
            DeclaredLength = RequestBodies.DeclaredLength(call),
            ExpectedMd5 = RequestBodies.ContentMd5(call.Http),
            Metadata = new ObjectMetadata { ChecksumAlgorithm = algorithm },
            ExpectedChecksum = expected,
            CustomerKey = ServerSideEncryption.ForPart(call.Http.Headers, call.Http, payloads.AllowCustomerKeysOverHttp),
        };
        var (part, encryption) = await objects.UploadPartAsync(request, uploadId, partNumber, body, ct);
        call.Response.Headers.ETag = Quote(part.ETag);
        ServerSideEncryption.WriteHeaders(call.Response, encryption, request.CustomerKey);
        if (algorithm != ChecksumAlgorithm.None && expected?.Invoke() is { } verified)
        {
            call.Response.Headers[Checksums.HeaderName(algorithm)] = verified;
        }
    }

    public async Task UploadPartCopyAsync(Call call, CancellationToken ct)
    {
        var (uploadId, partNumber) = PartAddress(call);
        var source = await CopySource.ReadAsync(objects, call.Http.Headers, copyObject: false, ct);
        var sourceKey = ServerSideEncryption.ForCopySource(call.Http.Headers, call.Http, payloads.AllowCustomerKeysOverHttp, source);
        Conditions.CheckCopySource(call.Http.Headers, source);
        long offset = 0, length = source.Size;
        if (call.Http.Headers["x-amz-copy-source-range"].ToString() is { Length: > 0 } range)
        {
            (offset, length) = Ranges.ParseCopySource(range, source.Size);
        }
        var request = new PutObjectRequest
        {
            Bucket = call.Bucket,
            Key = call.Key,
            CustomerKey = ServerSideEncryption.ForPart(call.Http.Headers, call.Http, payloads.AllowCustomerKeysOverHttp),
        };
        var (part, encryption) = await objects.UploadPartCopyAsync(request, uploadId, partNumber, source, sourceKey, offset, length, ct);
        ServerSideEncryption.WriteHeaders(call.Response, encryption, request.CustomerKey);
        Versions.WriteReadHeader(call.Response, source, "x-amz-copy-source-version-id");
        await WriteXmlAsync(call.Response, El("CopyPartResult",
            El("LastModified", Timestamp(part.LastModified)), El("ETag", Quote(part.ETag))));
    }

    public async Task CompleteMultipartUploadAsync(Call call, CancellationToken ct)
    {
        UnimplementedHeaders.RejectConditionalCompletion(call.Http.Headers);
        string uploadId = call.Request.QueryValue("uploadId") ?? "";
        var root = Parse(await bodies.ReadSmallAsync(call, ct));
        if (root.Name.LocalName != "CompleteMultipartUpload")
        {
            throw new S3Exception(S3Error.MalformedXML);
        }
        var parts = new List<CompletedPart>();
        foreach (var part in Children(root, "Part"))
        {
            if (!int.TryParse(ChildValue(part, "PartNumber"), NumberStyles.None, CultureInfo.InvariantCulture, out int number)
                || ChildValue(part, "ETag") is not { } etag)
            {
                throw new S3Exception(S3Error.MalformedXML, "Every Part needs a PartNumber and an ETag.");
            }
            string? checksum = Checksums.Algorithms.Select(a => ChildValue(part, "Checksum" + Checksums.Name(a))).FirstOrDefault(v => v is not null);
            parts.Add(new CompletedPart(number, etag, checksum));
        }
        var info = await objects.CompleteMultipartUploadAsync(call.Bucket, call.Key, uploadId, parts, ct);
        ServerSideEncryption.WriteHeaders(call.Response, info.Metadata.Encryption, null);
        Versions.WriteWriteHeader(call.Response, info);
        await lifecycle.WriteExpirationAsync(call.Response, info, ct);
        string checksumName = Checksums.Name(info.Metadata.ChecksumAlgorithm);
        await WriteXmlAsync(call.Response, El("CompleteMultipartUploadResult",
            El("Location", $"{call.Http.Scheme}://{call.Http.Host}/{call.Bucket}/{SigV4.UriEncode(call.Key, encodeSlash: false)}"),
            El("Bucket", call.Bucket),
            El("Key", call.Key),
            El("ETag", Quote(info.ETag)),
            info.Checksum is not null ? El("Checksum" + checksumName, info.Checksum) : null,
            info.Checksum is not null ? El("ChecksumType", "COMPOSITE") : null));
    }

    public async Task AbortMultipartUploadAsync(Call call, CancellationToken ct)
    {
        await objects.AbortMultipartUploadAsync(call.Bucket, call.Key, call.Request.QueryValue("uploadId") ?? "", ct);
        call.Response.StatusCode = StatusCodes.Status204NoContent;
    }

    public async Task ListPartsAsync(Call call, CancellationToken ct)
    {
        var q = call.Request;
        int marker = q.QueryInt("part-number-marker", 0);
        int maxParts = Math.Min(q.QueryInt("max-parts", 1000), 1000);
        var page = await objects.ListPartsAsync(call.Bucket, call.Key, q.QueryValue("uploadId") ?? "", marker, maxParts, ct);
        var upload = page.Upload;
        string? checksumName = upload.Metadata.ChecksumAlgorithm != ChecksumAlgorithm.None ? Checksums.Name(upload.Metadata.ChecksumAlgorithm) : null;
        var owner = (await owners.ForAsync(call.Bucket, ct)).Of(upload.Owner);
        await lifecycle.WriteAbortAsync(call.Response, upload, ct);
        await WriteXmlAsync(call.Response, El("ListPartsResult",
            El("Bucket", call.Bucket),
            El("Key", call.Key),
            El("UploadId", upload.UploadId),
            Initiator(owner),
            owner,
            El("StorageClass", upload.Metadata.StorageClass),
            El("PartNumberMarker", marker),
            page.Parts.Count > 0 ? El("NextPartNumberMarker", page.Parts[^1].Number) : null,
            El("MaxParts", maxParts),
            El("IsTruncated", page.IsTruncated ? "true" : "false"),
            checksumName is not null ? El("ChecksumAlgorithm", checksumName) : null,
            page.Parts.Select(p => El("Part",
                El("PartNumber", p.Number),
                El("LastModified", Timestamp(p.LastModified)),
                El("ETag", Quote(p.ETag)),
                El("Size", p.Size),
                checksumName is not null && p.Checksum is not null ? El("Checksum" + checksumName, p.Checksum) : null))));
    }

    public async Task ListMultipartUploadsAsync(Call call, CancellationToken ct)
    {
        var q = call.Request;
        string prefix = q.QueryValue("prefix") ?? "";
        string? delimiter = q.QueryValue("delimiter") is { Length: > 0 } d ? d : null;
        string? keyMarker = q.QueryValue("key-marker");
        string? uploadIdMarker = q.QueryValue("upload-id-marker");
        int maxUploads = Math.Min(q.QueryInt("max-uploads", 1000), 1000);
        var encoding = KeyEncoding.FromQuery(q);

        var page = await objects.ListMultipartUploadsAsync(new ListUploadsRequest
        {
            Bucket = call.Bucket,
            Prefix = prefix,
            Delimiter = delimiter,
            KeyMarker = keyMarker,
            UploadIdMarker = string.IsNullOrEmpty(keyMarker) ? null : uploadIdMarker,
            MaxUploads = maxUploads,
        }, ct);
        var listing = await owners.ForAsync(call.Bucket, ct);
        await WriteXmlAsync(call.Response, El("ListMultipartUploadsResult",
            El("Bucket", call.Bucket),
            El("KeyMarker", encoding.Encode(keyMarker ?? "")),
            El("UploadIdMarker", uploadIdMarker ?? ""),
            page.NextKeyMarker is not null ? El("NextKeyMarker", encoding.Encode(page.NextKeyMarker)) : null,
            page.NextUploadIdMarker is not null ? El("NextUploadIdMarker", page.NextUploadIdMarker) : null,
            El("Prefix", encoding.Encode(prefix)),
            delimiter is not null ? El("Delimiter", encoding.Encode(delimiter)) : null,
            El("MaxUploads", maxUploads),
            encoding.Element(),
            El("IsTruncated", page.IsTruncated ? "true" : "false"),
            page.Uploads.Select(u => El("Upload",
                El("Key", encoding.Encode(u.Key)),
                El("UploadId", u.UploadId),
                Initiator(listing.Of(u.Owner)),
                listing.Of(u.Owner),
                El("StorageClass", u.Metadata.StorageClass),
                El("Initiated", Timestamp(u.Initiated)),
                u.Metadata.ChecksumAlgorithm != ChecksumAlgorithm.None ? El("ChecksumAlgorithm", Checksums.Name(u.Metadata.ChecksumAlgorithm)) : null)),
            page.CommonPrefixes.Select(p => El("CommonPrefixes", El("Prefix", encoding.Encode(p))))));
    }

    /// <summary>uploadId and partNumber of an UploadPart(Copy); a bad part number is InvalidArgument.</summary>
    private static (string UploadId, int PartNumber) PartAddress(Call call)
    {
        Naming.ValidateKey(call.Key);
        UnimplementedHeaders.Reject(call.Http.Headers);
        if (call.Request.QueryValue("versionId") is not null)
        {
            throw new S3Exception(S3Error.InvalidArgument, "This operation does not accept a version-id.");
        }
        return (call.Request.QueryValue("uploadId") ?? "", call.Request.PartNumber());
    }
}
