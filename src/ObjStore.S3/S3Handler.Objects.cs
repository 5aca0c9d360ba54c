using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;
using ObjStore.Core;
using ObjStore.S3.Auth;
using ObjStore.S3.Protocol;
using static ObjStore.S3.Protocol.Xml;

namespace ObjStore.S3;

public sealed partial class S3Handler
{
    private static readonly string[] StoredHeaders = ["Cache-Control", "Content-Disposition", "Content-Encoding", "Content-Language", "Expires"];

    private static readonly (string Query, string Header)[] ResponseOverrides =
    [
        ("response-content-type", "Content-Type"),
        ("response-content-language", "Content-Language"),
        ("response-expires", "Expires"),
        ("response-cache-control", "Cache-Control"),
        ("response-content-disposition", "Content-Disposition"),
        ("response-content-encoding", "Content-Encoding"),
    ];

    private static readonly (ChecksumAlgorithm Algorithm, string Header)[] ChecksumHeaders =
    [
        (ChecksumAlgorithm.Crc32, "x-amz-checksum-crc32"),
        (ChecksumAlgorithm.Crc32C, "x-amz-checksum-crc32c"),
        (ChecksumAlgorithm.Crc64Nvme, "x-amz-checksum-crc64nvme"),
        (ChecksumAlgorithm.Sha1, "x-amz-checksum-sha1"),
        (ChecksumAlgorithm.Sha256, "x-amz-checksum-sha256"),
    ];

    // ---- PUT -----------------------------------------------------------------------------------------------------

    private async Task PutObjectAsync(Call call, CancellationToken ct)
    {
        Naming.ValidateKey(call.Key);
        var body = OpenBody(call);
        var (algorithm, expected) = RequestedChecksum(call, body);
        var request = BaseRequest(call) with
        {
            DeclaredLength = DeclaredLength(call),
            ExpectedMd5 = ContentMd5(call.Http),
            ChecksumAlgorithm = algorithm,
            ExpectedChecksum = expected,
            IfMatch = call.Http.Headers.IfMatch.ToString() is { Length: > 0 } ifMatch ? ifMatch : null,
            IfNoneMatchAny = call.Http.Headers.IfNoneMatch.ToString().Trim() == "*",
        };
        if (call.Http.Headers.IfNoneMatch.ToString() is { Length: > 0 } inm && inm.Trim() != "*")
        {
            throw new S3Exception(S3Error.NotImplemented, "If-None-Match on PUT supports only '*'.");
        }
        var info = await objects.PutObjectAsync(request, body, ct);
        call.Response.Headers.ETag = Quote(info.ETag);
        WriteChecksumHeader(call.Response, info);
    }

    /// <summary>The request as the object layer needs it: bucket, key, content type, stored headers, metadata.</summary>
    private static PutObjectRequest BaseRequest(Call call)
    {
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var name in StoredHeaders)
        {
            if (call.Http.Headers[name].ToString() is { Length: > 0 } value)
            {
                // aws-chunked is the transfer framing, not a property of the object.
                if (name == "Content-Encoding")
                {
                    value = string.Join(",", value.Split(',').Select(v => v.Trim()).Where(v => v != "aws-chunked"));
                    if (value.Length == 0)
                    {
                        continue;
                    }
                }
                headers[name] = HeaderValues.RequireStorable(name, value);
            }
        }
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        int metadataBytes = 0;
        foreach (var (name, values) in call.Http.Headers)
        {
            if (name.StartsWith("x-amz-meta-", StringComparison.OrdinalIgnoreCase))
            {
                string suffix = name["x-amz-meta-".Length..].ToLowerInvariant();
                string value = HeaderValues.RequireStorable(name, HeaderValues.DecodeRfc2047(values.ToString()));
                metadata[suffix] = value;
                metadataBytes += System.Text.Encoding.UTF8.GetByteCount(suffix) + System.Text.Encoding.UTF8.GetByteCount(value);
            }
        }
        if (metadataBytes > MaxUserMetadataBytes)
        {
            throw new S3Exception(S3Error.MetadataTooLarge,
                $"Your metadata headers exceed the maximum allowed metadata size ({MaxUserMetadataBytes} bytes).");
        }
        string storageClass = call.Http.Headers["x-amz-storage-class"].ToString() is { Length: > 0 } sc ? sc : "STANDARD";
        if (storageClass is not ("STANDARD" or "REDUCED_REDUNDANCY" or "STANDARD_IA" or "ONEZONE_IA" or "INTELLIGENT_TIERING" or "GLACIER" or "DEEP_ARCHIVE" or "GLACIER_IR" or "OUTPOSTS" or "EXPRESS_ONEZONE"))
        {
            throw new S3Exception(S3Error.InvalidStorageClass, "The storage class you specified is not valid");
        }
        return new PutObjectRequest
        {
            Bucket = call.Bucket,
            Key = call.Key,
            ContentType = call.Http.ContentType is { Length: > 0 } type ? HeaderValues.RequireStorable("Content-Type", type) : "binary/octet-stream",
            Headers = headers,
            UserMetadata = metadata,
            StorageClass = storageClass,
        };
    }

    /// <summary>
    /// The decoded body for the request's payload mode (raw, SHA-256 verified, or aws-chunked), read no slower than
    /// the upload rate guard allows.
    /// </summary>
    private Stream OpenBody(Call call)
    {
        string mode = call.Auth.PayloadHash;
        var raw = _uploads.Wrap(call.Http.Body, call.Context.Connection.RemoteIpAddress?.ToString() ?? "");
        if (!ReferenceEquals(raw, call.Http.Body))
        {
            call.Response.RegisterForDispose(raw); // releases its slow-upload slot however the request ends
        }
        return mode switch
        {
            SigV4.UnsignedPayload => raw,
            SigV4.StreamingPayload => new AwsChunkedStream(raw, call.Auth, expectTrailers: false),
            SigV4.StreamingPayloadTrailer => new AwsChunkedStream(raw, call.Auth, expectTrailers: true),
            SigV4.StreamingUnsignedTrailer => new AwsChunkedStream(raw, auth: null, expectTrailers: true),
            _ => new Sha256VerifyingStream(raw, mode),
        };
    }

    private static long DeclaredLength(Call call)
    {
        long? length = call.Auth.PayloadHash.StartsWith("STREAMING-", StringComparison.Ordinal)
            ? long.TryParse(call.Http.Headers["x-amz-decoded-content-length"], NumberStyles.None, CultureInfo.InvariantCulture, out long decoded) ? decoded : null
            : call.Http.ContentLength;
        if (length is null)
        {
            throw new S3Exception(S3Error.MissingContentLength);
        }
        if (length > 5L << 30)
        {
            throw new S3Exception(S3Error.EntityTooLarge);
        }
        return length.Value;
    }

    private static byte[]? ContentMd5(HttpRequest request)
    {
        string value = request.Headers["Content-MD5"].ToString();
        if (value.Length == 0)
        {
            return null;
        }
        var bytes = new byte[16];
        if (!Convert.TryFromBase64String(value, bytes, out int written) || written != 16)
        {
            throw new S3Exception(S3Error.InvalidDigest);
        }
        return bytes;
    }

    /// <summary>
    /// The flexible checksum the client asked for: a value in an x-amz-checksum-* header, or named by x-amz-trailer
    /// and delivered at the end of an aws-chunked body, or only an algorithm (x-amz-checksum-algorithm).
    /// </summary>
    private static (ChecksumAlgorithm, Func<string?>?) RequestedChecksum(Call call, Stream body)
    {
        var headers = call.Http.Headers;
        foreach (var (algorithm, header) in ChecksumHeaders)
        {
            if (headers[header].ToString() is { Length: > 0 } value)
            {
                ValidateChecksumValue(algorithm, value);
                return (algorithm, () => value);
            }
        }
        string trailer = headers["x-amz-trailer"].ToString().Trim().ToLowerInvariant();
        if (trailer.Length > 0)
        {
            var match = ChecksumHeaders.FirstOrDefault(c => c.Header == trailer);
            if (match.Header is null || body is not AwsChunkedStream chunked)
            {
                throw new S3Exception(S3Error.InvalidRequest, $"Unsupported x-amz-trailer '{trailer}'.");
            }
            return (match.Algorithm, () =>
            {
                string? value = chunked.Trailers.TryGetValue(match.Header, out var v) ? v : null;
                if (value is null)
                {
                    throw new S3Exception(S3Error.InvalidRequest, $"The trailer {match.Header} announced by x-amz-trailer was not sent.");
                }
                ValidateChecksumValue(match.Algorithm, value);
                return value;
            });
        }
        string named = (headers["x-amz-checksum-algorithm"].ToString() is { Length: > 0 } a ? a : headers["x-amz-sdk-checksum-algorithm"].ToString()).ToUpperInvariant();
        return named switch
        {
            "" => (ChecksumAlgorithm.None, null),
            "CRC32" => (ChecksumAlgorithm.Crc32, null),
            "CRC32C" => (ChecksumAlgorithm.Crc32C, null),
            "CRC64NVME" => (ChecksumAlgorithm.Crc64Nvme, null),
            "SHA1" => (ChecksumAlgorithm.Sha1, null),
            "SHA256" => (ChecksumAlgorithm.Sha256, null),
            _ => throw new S3Exception(S3Error.InvalidRequest, "Value for x-amz-checksum-algorithm header is invalid."),
        };
    }

    private static void ValidateChecksumValue(ChecksumAlgorithm algorithm, string value)
    {
        int expected = algorithm switch
        {
            ChecksumAlgorithm.Crc32 or ChecksumAlgorithm.Crc32C => 4,
            ChecksumAlgorithm.Crc64Nvme => 8,
            ChecksumAlgorithm.Sha1 => 20,
            _ => 32,
        };
        var bytes = new byte[expected + 3];
        if (!Convert.TryFromBase64String(value, bytes, out int written) || written != expected)
        {
            throw new S3Exception(S3Error.InvalidRequest, $"Value for x-amz-checksum-{ChecksumName(algorithm).ToLowerInvariant()} header is invalid.");
        }
    }

    private static string ChecksumName(ChecksumAlgorithm algorithm) => algorithm switch
    {
        ChecksumAlgorithm.Crc32 => "CRC32",
        ChecksumAlgorithm.Crc32C => "CRC32C",
        ChecksumAlgorithm.Crc64Nvme => "CRC64NVME",
        ChecksumAlgorithm.Sha1 => "SHA1",
        _ => "SHA256",
    };

    private static void WriteChecksumHeader(HttpResponse response, ObjectInfo info)
    {
        if (info.Checksum is not null && info.ChecksumAlgorithm != ChecksumAlgorithm.None)
        {
            response.Headers["x-amz-checksum-" + ChecksumName(info.ChecksumAlgorithm).ToLowerInvariant()] = info.Checksum;
            response.Headers["x-amz-checksum-type"] = info.IsMultipart ? "COMPOSITE" : "FULL_OBJECT";
        }
    }

    // ---- GET / HEAD ----------------------------------------------------------------------------------------------

    private async Task GetObjectAsync(Call call, bool head, CancellationToken ct)
    {
        var info = await objects.GetObjectInfoAsync(call.Bucket, call.Key, ct);
        ObjectPart? part = null;
        if (call.Request.QueryValue("partNumber") is { } partText)
        {
            if (!int.TryParse(partText, NumberStyles.None, CultureInfo.InvariantCulture, out int number) || number is < 1 or > 10_000)
            {
                throw new S3Exception(S3Error.InvalidArgument, "Part number must be an integer between 1 and 10000, inclusive");
            }
            if (call.Http.Headers.Range.Count > 0)
            {
                throw new S3Exception(S3Error.InvalidRequest, "Cannot specify both Range header and partNumber query parameter");
            }
            part = info.Parts.FirstOrDefault(p => p.Number == number)
                ?? throw new S3Exception(S3Error.InvalidPartNumber, "The requested partnumber is not satisfiable");
        }
        CheckConditions(call.Http.Headers, info, "If-Match", "If-None-Match", "If-Modified-Since", "If-Unmodified-Since", isRead: true);

        var response = call.Response;
        var range = part is not null && info.IsMultipart ? (part.Offset, part.Size) : ParseRange(call.Http.Headers.Range.ToString(), info.Size);
        WriteObjectHeaders(response, info);
        foreach (var (query, header) in ResponseOverrides)
        {
            if (call.Request.QueryValue(query) is { } value)
            {
                response.Headers[header] = HeaderValues.ForResponse(header, HeaderValues.RequireStorable(query, value));
            }
        }
        if (part is not null && info.IsMultipart)
        {
            response.Headers["x-amz-mp-parts-count"] = info.Parts.Count.ToString(CultureInfo.InvariantCulture);
        }
        if (range is null && string.Equals(call.Http.Headers["x-amz-checksum-mode"], "ENABLED", StringComparison.OrdinalIgnoreCase))
        {
            WriteChecksumHeader(response, info);
        }
        long offset = 0, length = info.Size;
        if (range is { Length: > 0 } r)
        {
            (offset, length) = r;
            response.StatusCode = StatusCodes.Status206PartialContent;
            response.Headers.ContentRange = $"bytes {offset}-{offset + length - 1}/{info.Size}";
        }
        response.ContentLength = length;
        if (head)
        {
            return;
        }
        await objects.ReadObjectAsync(info, offset, length, response.Body, ct);
    }

    private static void WriteObjectHeaders(HttpResponse response, ObjectInfo info)
    {
        response.Headers.ETag = Quote(info.ETag);
        response.Headers.LastModified = HttpDate(info.LastModified);
        response.Headers.AcceptRanges = "bytes";
        response.ContentType = HeaderValues.ForResponse("Content-Type", info.ContentType ?? "binary/octet-stream");
        foreach (var (name, value) in info.Headers)
        {
            response.Headers[name] = HeaderValues.ForResponse(name, value);
        }
        foreach (var (name, value) in info.UserMetadata)
        {
            response.Headers["x-amz-meta-" + name] = HeaderValues.ForResponse("x-amz-meta-" + name, value);
        }
        if (info.StorageClass != "STANDARD")
        {
            response.Headers["x-amz-storage-class"] = info.StorageClass;
        }
    }

    /// <summary>
    /// S3's conditional rules: If-Match failing is 412 and wins over If-Unmodified-Since; If-None-Match matching is
    /// 304 on reads (412 on copies) and wins over If-Modified-Since.
    /// </summary>
    private static void CheckConditions(IHeaderDictionary headers, ObjectInfo info, string ifMatch, string ifNoneMatch, string ifModifiedSince, string ifUnmodifiedSince, bool isRead)
    {
        string match = headers[ifMatch].ToString();
        string noneMatch = headers[ifNoneMatch].ToString();
        var lastModified = TruncateToSeconds(info.LastModified);
        if (match.Length > 0)
        {
            if (!ETagListMatches(match, info.ETag))
            {
                throw new S3Exception(S3Error.PreconditionFailed);
            }
        }
        else if (ParseHttpDate(headers[ifUnmodifiedSince].ToString()) is { } unmodifiedSince && lastModified > unmodifiedSince)
        {
            throw new S3Exception(S3Error.PreconditionFailed);
        }
        if (noneMatch.Length > 0)
        {
            if (ETagListMatches(noneMatch, info.ETag))
            {
                throw new S3Exception(isRead ? S3Error.NotModified : S3Error.PreconditionFailed);
            }
        }
        else if (ParseHttpDate(headers[ifModifiedSince].ToString()) is { } modifiedSince && lastModified <= modifiedSince)
        {
            throw new S3Exception(isRead ? S3Error.NotModified : S3Error.PreconditionFailed);
        }
    }

    private static bool ETagListMatches(string list, string etag) =>
        list.Split(',').Select(v => v.Trim()).Select(v => v.StartsWith("W/", StringComparison.Ordinal) ? v[2..] : v)
            .Any(v => v == "*" || v.Trim('"') == etag);

    private static DateTimeOffset TruncateToSeconds(DateTimeOffset value) =>
        new(value.Ticks - (value.Ticks % TimeSpan.TicksPerSecond), TimeSpan.Zero);

    /// <summary>Garbage dates are ignored, as HTTP says a recipient must.</summary>
    private static DateTimeOffset? ParseHttpDate(string value) =>
        value.Length > 0 && HeaderUtilities.TryParseDate(value, out var parsed) ? parsed : null;

    /// <summary>(offset, length) of a single satisfiable byte range; null for none or an ignorable header.</summary>
    private static (long Offset, long Length)? ParseRange(string header, long size)
    {
        if (header.Length == 0 || !header.StartsWith("bytes=", StringComparison.OrdinalIgnoreCase) || header.Contains(','))
        {
            return null;
        }
        string spec = header[6..].Trim();
        int dash = spec.IndexOf('-');
        if (dash < 0)
        {
            return null;
        }
        string first = spec[..dash].Trim(), last = spec[(dash + 1)..].Trim();
        // A position too large for a long is still a position: past the end of any object (416 as the first byte,
        // the end of the object as the last), not a reason to ignore the header and send the whole object.
        static bool Num(string s, out long v)
        {
            v = 0;
            if (s.Length == 0 || !s.All(char.IsAsciiDigit))
            {
                return false;
            }
            if (!long.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out v))
            {
                v = long.MaxValue;
            }
            return true;
        }
        if (first.Length == 0)
        {
            if (!Num(last, out long suffix))
            {
                return null;
            }
            if (suffix == 0 || size == 0)
            {
                throw new S3Exception(S3Error.InvalidRange);
            }
            suffix = Math.Min(suffix, size);
            return (size - suffix, suffix);
        }
        if (!Num(first, out long start))
        {
            return null;
        }
        long end = size - 1;
        if (last.Length > 0)
        {
            if (!Num(last, out end) || end < start)
            {
                return null;
            }
        }
        if (start >= size)
        {
            throw new S3Exception(S3Error.InvalidRange);
        }
        end = Math.Min(end, size - 1);
        return (start, end - start + 1);
    }

    // ---- COPY ----------------------------------------------------------------------------------------------------

    private async Task CopyObjectAsync(Call call, CancellationToken ct)
    {
        Naming.ValidateKey(call.Key);
        var (sourceBucket, sourceKey) = ParseCopySource(call.Http.Headers["x-amz-copy-source"].ToString());
        var source = await objects.GetObjectInfoAsync(sourceBucket, sourceKey, ct);
        CheckConditions(call.Http.Headers, source, "x-amz-copy-source-if-match", "x-amz-copy-source-if-none-match",
            "x-amz-copy-source-if-modified-since", "x-amz-copy-source-if-unmodified-since", isRead: false);

        string directive = call.Http.Headers["x-amz-metadata-directive"].ToString() is { Length: > 0 } d ? d.ToUpperInvariant() : "COPY";
        if (directive is not ("COPY" or "REPLACE"))
        {
            throw new S3Exception(S3Error.InvalidArgument, "Unknown metadata directive.");
        }
        var fresh = BaseRequest(call);
        bool storageClassChanged = call.Http.Headers.ContainsKey("x-amz-storage-class") && fresh.StorageClass != source.StorageClass;
        if (sourceBucket == call.Bucket && sourceKey == call.Key && directive == "COPY" && !storageClassChanged)
        {
            throw new S3Exception(S3Error.InvalidRequest,
                "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.");
        }
        var (algorithm, _) = RequestedChecksum(call, Stream.Null);
        var destination = directive == "REPLACE"
            ? fresh
            : fresh with { ContentType = source.ContentType, Headers = source.Headers, UserMetadata = source.UserMetadata };
        destination = destination with
        {
            ChecksumAlgorithm = algorithm != ChecksumAlgorithm.None ? algorithm : source.ChecksumAlgorithm,
            StorageClass = call.Http.Headers.ContainsKey("x-amz-storage-class") ? fresh.StorageClass : source.StorageClass,
            IfMatch = call.Http.Headers.IfMatch.ToString() is { Length: > 0 } ifMatch ? ifMatch : null,
            IfNoneMatchAny = call.Http.Headers.IfNoneMatch.ToString().Trim() == "*",
        };
        var info = await objects.CopyObjectAsync(source, destination, ct);
        await WriteXmlAsync(call.Response, El("CopyObjectResult",
            El("LastModified", Timestamp(info.LastModified)),
            El("ETag", Quote(info.ETag)),
            info.Checksum is not null ? El("Checksum" + ChecksumName(info.ChecksumAlgorithm), info.Checksum) : null));
    }

    private static (string Bucket, string Key) ParseCopySource(string header)
    {
        string value = header;
        int question = value.IndexOf('?');
        if (question >= 0)
        {
            if (!value[(question + 1)..].StartsWith("versionId=", StringComparison.Ordinal))
            {
                throw new S3Exception(S3Error.InvalidArgument, "Invalid copy source.");
            }
            value = value[..question];
        }
        value = Protocol.S3Request.PercentDecode(value, plusIsSpace: false).TrimStart('/');
        int slash = value.IndexOf('/');
        if (slash <= 0 || slash == value.Length - 1)
        {
            throw new S3Exception(S3Error.InvalidArgument, "Copy Source must mention the source bucket and key: sourcebucket/sourcekey");
        }
        return (Protocol.S3Request.ClientBucket(value[..slash]), value[(slash + 1)..]);
    }
}
