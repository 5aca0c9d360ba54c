using System.Globalization;
using System.Xml.Linq;
using Microsoft.AspNetCore.Http;
using ObjStore.Core;
using ObjStore.S3.Auth;
using static ObjStore.S3.Protocol.Xml;

namespace ObjStore.S3;

/// <summary>The multipart upload operations: create, upload (and copy) parts, complete, abort, and the two listings.</summary>
public sealed partial class S3Handler
{
    private async Task CreateMultipartUploadAsync(Call call, CancellationToken ct)
    {
        Naming.ValidateKey(call.Key);
        var (algorithm, _) = RequestedChecksum(call, Stream.Null);
        var upload = await objects.CreateMultipartUploadAsync(BaseRequest(call) with { ChecksumAlgorithm = algorithm }, ct);
        if (algorithm != ChecksumAlgorithm.None)
        {
            call.Response.Headers["x-amz-checksum-algorithm"] = ChecksumName(algorithm);
            call.Response.Headers["x-amz-checksum-type"] = "COMPOSITE";
        }
        await WriteXmlAsync(call.Response, El("InitiateMultipartUploadResult",
            El("Bucket", call.Bucket), El("Key", call.Key), El("UploadId", upload.UploadId)));
    }

    private async Task UploadPartAsync(Call call, CancellationToken ct)
    {
        var (uploadId, partNumber) = PartAddress(call);
        var body = OpenBody(call);
        var (algorithm, expected) = RequestedChecksum(call, body);
        var request = new PutObjectRequest
        {
            Bucket = call.Bucket,
            Key = call.Key,
            DeclaredLength = DeclaredLength(call),
            ExpectedMd5 = ContentMd5(call.Http),
            ChecksumAlgorithm = algorithm,
            ExpectedChecksum = expected,
        };
        var part = await objects.UploadPartAsync(request, uploadId, partNumber, body, ct);
        call.Response.Headers.ETag = Quote(part.ETag);
        if (algorithm != ChecksumAlgorithm.None && expected?.Invoke() is { } verified)
        {
            call.Response.Headers["x-amz-checksum-" + ChecksumName(algorithm).ToLowerInvariant()] = verified;
        }
    }

    private async Task UploadPartCopyAsync(Call call, CancellationToken ct)
    {
        var (uploadId, partNumber) = PartAddress(call);
        var (sourceBucket, sourceKey) = ParseCopySource(call.Http.Headers["x-amz-copy-source"].ToString());
        var source = await objects.GetObjectInfoAsync(sourceBucket, sourceKey, ct);
        CheckConditions(call.Http.Headers, source, "x-amz-copy-source-if-match", "x-amz-copy-source-if-none-match",
            "x-amz-copy-source-if-modified-since", "x-amz-copy-source-if-unmodified-since", isRead: false);
        long offset = 0, length = source.Size;
        if (call.Http.Headers["x-amz-copy-source-range"].ToString() is { Length: > 0 } range)
        {
            (offset, length) = ParseCopySourceRange(range, source.Size);
        }
        var part = await objects.UploadPartCopyAsync(call.Bucket, call.Key, uploadId, partNumber, source, offset, length, ct);
        await WriteXmlAsync(call.Response, El("CopyPartResult",
            El("LastModified", Timestamp(part.LastModified)), El("ETag", Quote(part.ETag))));
    }

    /// <summary>x-amz-copy-source-range is always bytes=first-last, both given, inside the source.</summary>
    private static (long Offset, long Length) ParseCopySourceRange(string header, long size)
    {
        static bool Num(string s, out long v) => long.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out v);
        string[] bounds = header.StartsWith("bytes=", StringComparison.Ordinal) ? header[6..].Split('-') : [];
        if (bounds.Length != 2 || !Num(bounds[0], out long first) || !Num(bounds[1], out long last) || last < first)
        {
            throw new S3Exception(S3Error.InvalidArgument, "The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy");
        }
        if (last >= size)
        {
            throw new S3Exception(S3Error.InvalidRange, $"Range specified is not valid for source object of size: {size}");
        }
        return (first, last - first + 1);
    }

    private async Task CompleteMultipartUploadAsync(Call call, CancellationToken ct)
    {
        string uploadId = call.Request.QueryValue("uploadId") ?? "";
        var root = Parse(await ReadSmallBodyAsync(call, ct));
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
            string? checksum = ChecksumHeaders.Select(c => ChildValue(part, "Checksum" + ChecksumName(c.Algorithm))).FirstOrDefault(v => v is not null);
            parts.Add(new CompletedPart(number, etag, checksum));
        }
        var info = await objects.CompleteMultipartUploadAsync(call.Bucket, call.Key, uploadId, parts, ct);
        string checksumName = ChecksumName(info.ChecksumAlgorithm);
        await WriteXmlAsync(call.Response, El("CompleteMultipartUploadResult",
            El("Location", $"{call.Http.Scheme}://{call.Http.Host}/{call.Bucket}/{SigV4.UriEncode(call.Key, encodeSlash: false)}"),
            El("Bucket", call.Bucket),
            El("Key", call.Key),
            El("ETag", Quote(info.ETag)),
            info.Checksum is not null ? El("Checksum" + checksumName, info.Checksum) : null,
            info.Checksum is not null ? El("ChecksumType", "COMPOSITE") : null));
    }

    private async Task AbortMultipartUploadAsync(Call call, CancellationToken ct)
    {
        await objects.AbortMultipartUploadAsync(call.Bucket, call.Key, call.Request.QueryValue("uploadId") ?? "", ct);
        call.Response.StatusCode = StatusCodes.Status204NoContent;
    }

    private async Task ListPartsAsync(Call call, CancellationToken ct)
    {
        var q = call.Request;
        int marker = QueryInt(q.QueryValue("part-number-marker"), 0, "part-number-marker");
        int maxParts = Math.Min(QueryInt(q.QueryValue("max-parts"), 1000, "max-parts"), 1000);
        var page = await objects.ListPartsAsync(call.Bucket, call.Key, q.QueryValue("uploadId") ?? "", marker, maxParts, ct);
        var upload = page.Upload;
        string? checksumName = upload.ChecksumAlgorithm != ChecksumAlgorithm.None ? ChecksumName(upload.ChecksumAlgorithm) : null;
        await WriteXmlAsync(call.Response, El("ListPartsResult",
            El("Bucket", call.Bucket),
            El("Key", call.Key),
            El("UploadId", upload.UploadId),
            Initiator(call.Auth),
            Owner(call.Auth),
            El("StorageClass", upload.StorageClass),
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

    private async Task ListMultipartUploadsAsync(Call call, CancellationToken ct)
    {
        var q = call.Request;
        string prefix = q.QueryValue("prefix") ?? "";
        string? delimiter = q.QueryValue("delimiter") is { Length: > 0 } d ? d : null;
        string? keyMarker = q.QueryValue("key-marker");
        string? uploadIdMarker = q.QueryValue("upload-id-marker");
        int maxUploads = Math.Min(QueryInt(q.QueryValue("max-uploads"), 1000, "max-uploads"), 1000);
        string? encoding = q.QueryValue("encoding-type");
        if (encoding is not null && encoding != "url")
        {
            throw new S3Exception(S3Error.InvalidArgument, "Invalid Encoding Method specified in Request");
        }
        bool url = encoding == "url";
        string Enc(string value) => url ? SigV4.UriEncode(value, encodeSlash: false) : value;

        var page = await objects.ListMultipartUploadsAsync(new ListUploadsRequest
        {
            Bucket = call.Bucket,
            Prefix = prefix,
            Delimiter = delimiter,
            KeyMarker = keyMarker,
            UploadIdMarker = string.IsNullOrEmpty(keyMarker) ? null : uploadIdMarker,
            MaxUploads = maxUploads,
        }, ct);
        await WriteXmlAsync(call.Response, El("ListMultipartUploadsResult",
            El("Bucket", call.Bucket),
            El("KeyMarker", Enc(keyMarker ?? "")),
            El("UploadIdMarker", uploadIdMarker ?? ""),
            page.NextKeyMarker is not null ? El("NextKeyMarker", Enc(page.NextKeyMarker)) : null,
            page.NextUploadIdMarker is not null ? El("NextUploadIdMarker", page.NextUploadIdMarker) : null,
            El("Prefix", Enc(prefix)),
            delimiter is not null ? El("Delimiter", Enc(delimiter)) : null,
            El("MaxUploads", maxUploads),
            url ? El("EncodingType", "url") : null,
            El("IsTruncated", page.IsTruncated ? "true" : "false"),
            page.Uploads.Select(u => El("Upload",
                El("Key", Enc(u.Key)),
                El("UploadId", u.UploadId),
                Initiator(call.Auth),
                Owner(call.Auth),
                El("StorageClass", u.StorageClass),
                El("Initiated", Timestamp(u.Initiated)),
                u.ChecksumAlgorithm != ChecksumAlgorithm.None ? El("ChecksumAlgorithm", ChecksumName(u.ChecksumAlgorithm)) : null)),
            page.CommonPrefixes.Select(p => El("CommonPrefixes", El("Prefix", Enc(p))))));
    }

    /// <summary>uploadId and partNumber of an UploadPart(Copy); a bad part number is InvalidArgument.</summary>
    private static (string UploadId, int PartNumber) PartAddress(Call call)
    {
        Naming.ValidateKey(call.Key);
        if (!int.TryParse(call.Request.QueryValue("partNumber"), NumberStyles.None, CultureInfo.InvariantCulture, out int partNumber)
            || partNumber is < 1 or > 10_000)
        {
            throw new S3Exception(S3Error.InvalidArgument, "Part number must be an integer between 1 and 10000, inclusive");
        }
        return (call.Request.QueryValue("uploadId") ?? "", partNumber);
    }

    private static int QueryInt(string? value, int fallback, string name) =>
        value is null ? fallback
        : int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int parsed) ? parsed
        : throw new S3Exception(S3Error.InvalidArgument, $"Provided {name} not an integer or within integer range");

    private static XElement Initiator(AuthContext auth) =>
        new(Ns + "Initiator", Owner(auth).Elements());
}
