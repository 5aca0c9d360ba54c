using System.Globalization;
using System.Xml.Linq;
using Microsoft.AspNetCore.Http;
using ObjStore.Core;
using ObjStore.S3.Access;
using ObjStore.S3.Protocol;
using static ObjStore.S3.Protocol.Responses;
using static ObjStore.S3.Protocol.Xml;

namespace ObjStore.S3.Handlers;

/// <summary>The object operations: PutObject, GetObject and HeadObject, CopyObject, DeleteObject, DeleteObjects.</summary>
internal sealed class ObjectHandler(
    IObjectLayer objects, RequestBodies bodies, BucketSettingsCache settings, S3Authorizer authorizer, LifecycleHeaders lifecycle, WritePayloads payloads)
{
    private static readonly (string Query, string Header)[] ResponseOverrides =
    [
        ("response-content-type", "Content-Type"),
        ("response-content-language", "Content-Language"),
        ("response-expires", "Expires"),
        ("response-cache-control", "Cache-Control"),
        ("response-content-disposition", "Content-Disposition"),
        ("response-content-encoding", "Content-Encoding"),
    ];

    public async Task PutObjectAsync(Call call, CancellationToken ct)
    {
        Naming.ValidateKey(call.Key);
        var body = bodies.Open(call);
        var (algorithm, expected) = Checksums.Requested(call.Http.Headers, body, algorithmMustMatchValue: true);
        var attributes = ObjectAttributes.FromHeaders(call);
        var request = attributes with
        {
            Metadata = attributes.Metadata with { ChecksumAlgorithm = algorithm },
            DeclaredLength = RequestBodies.DeclaredLength(call),
            ExpectedMd5 = RequestBodies.ContentMd5(call.Http),
            ExpectedChecksum = expected,
            IfMatch = Conditions.WriteIfMatch(call.Http.Headers),
            IfNoneMatchAny = Conditions.WriteIfNoneMatchAny(call.Http.Headers),
            Lock = ObjectLockProtocol.FromHeaders(call.Http.Headers),
        };
        request = await AccessHandler.WithAclAsync(request, call, settings, authorizer, ct);
        request = await payloads.ApplyAsync(request, call.Http, call.Http.Headers, ct);
        if (call.Http.Headers.IfNoneMatch.ToString() is { Length: > 0 } inm && inm.Trim() != "*")
        {
            throw new S3Exception(S3Error.NotImplemented, "If-None-Match on PUT supports only '*'.");
        }
        var info = await objects.PutObjectAsync(request, body, ct);
        call.Response.Headers.ETag = Quote(info.ETag);
        ServerSideEncryption.WriteHeaders(call.Response, info.Metadata.Encryption, request.CustomerKey, withContext: true);
        Checksums.WriteHeaders(call.Response, info);
        Versions.WriteWriteHeader(call.Response, info);
        await lifecycle.WriteExpirationAsync(call.Response, info, ct);
    }

    private static readonly string[] ObjectAttributeNames = ["ETag", "Checksum", "ObjectParts", "StorageClass", "ObjectSize"];

    /// <summary>
    /// GetObjectAttributes: the attributes x-amz-object-attributes names, of the latest version or the one named;
    /// ObjectParts (multipart objects only) paged by x-amz-part-number-marker and x-amz-max-parts.
    /// </summary>
    public async Task GetObjectAttributesAsync(Call call, CancellationToken ct)
    {
        var headers = call.Http.Headers;
        var wanted = AttributeNames.Read(headers, "x-amz-object-attributes", ObjectAttributeNames);
        if (wanted.Count == 0)
        {
            throw new S3Exception(S3Error.InvalidArgument, "The x-amz-object-attributes header specifying the attributes to be retrieved is either missing or empty");
        }
        int maxParts = IntHeader(headers, "x-amz-max-parts", 1000);
        int marker = IntHeader(headers, "x-amz-part-number-marker", 0);
        var info = await objects.ReadableVersionAsync(call.Bucket, call.Key, Versions.Parse(call.Request.QueryValue("versionId")), ct);
        ServerSideEncryption.ForRead(headers, call.Http, payloads.AllowCustomerKeysOverHttp, info);
        call.Response.Headers.LastModified = HttpDates.Format(info.LastModified);
        Versions.WriteReadHeader(call.Response, info);
        string? checksumName = info.Metadata.ChecksumAlgorithm != ChecksumAlgorithm.None ? "Checksum" + Checksums.Name(info.Metadata.ChecksumAlgorithm) : null;
        XElement? parts = null;
        if (wanted.Contains("ObjectParts") && info.IsMultipart)
        {
            var page = info.Parts.Where(p => p.Number > marker).Take(Math.Min(maxParts, 1000)).ToList();
            bool truncated = page.Count > 0 && info.Parts[^1].Number > page[^1].Number;
            parts = El("ObjectParts",
                El("PartsCount", info.Parts.Count), // TotalPartsCount in the API, PartsCount on the wire
                El("PartNumberMarker", marker),
                El("NextPartNumberMarker", page.Count > 0 ? page[^1].Number : marker),
                El("MaxParts", maxParts),
                El("IsTruncated", truncated ? "true" : "false"),
                page.Select(p => El("Part", El("PartNumber", p.Number), El("Size", p.Size),
                    checksumName is not null && p.Checksum is not null ? El(checksumName, p.Checksum) : null)));
        }
        await WriteXmlAsync(call.Response, El("GetObjectAttributesResponse",
            wanted.Contains("ETag") ? El("ETag", info.ETag) : null,
            wanted.Contains("Checksum") && checksumName is not null && info.Checksum is not null
                ? El("Checksum", El(checksumName, info.Checksum), El("ChecksumType", info.IsMultipart ? "COMPOSITE" : "FULL_OBJECT"))
                : null,
            parts,
            wanted.Contains("StorageClass") ? El("StorageClass", info.Metadata.StorageClass) : null,
            wanted.Contains("ObjectSize") ? El("ObjectSize", info.Size) : null));
    }

    private static int IntHeader(IHeaderDictionary headers, string name, int fallback) =>
        headers[name].ToString() is not { Length: > 0 } text ? fallback
        : int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int value) ? value
        : throw new S3Exception(S3Error.InvalidArgument, $"Provided {name} not an integer or within integer range");

    public async Task GetObjectAsync(Call call, bool head, CancellationToken ct)
    {
        if (call.Auth.Principal.IsAnonymous && ResponseOverrides.Any(o => call.Request.QueryNames.Contains(o.Query)))
        {
            // Else anyone could have a public object served as, say, text/html inline from the store's origin.
            throw new S3Exception(S3Error.InvalidRequest, "Request specific response headers cannot be used for anonymous GET requests.");
        }
        UnimplementedHeaders.Reject(call.Http.Headers);
        var info = await objects.ReadableVersionAsync(call.Bucket, call.Key, Versions.Parse(call.Request.QueryValue("versionId")), ct);
        var customerKey = ServerSideEncryption.ForRead(call.Http.Headers, call.Http, payloads.AllowCustomerKeysOverHttp, info);
        bool partRequested = call.Request.QueryValue("partNumber") is not null;
        var range = partRequested ? PartRange(call, info) : Ranges.Parse(call.Http.Headers.Range.ToString(), info.Size);
        Conditions.CheckRead(call.Http.Headers, info);

        var response = call.Response;
        WriteObjectHeaders(response, info);
        ServerSideEncryption.WriteHeaders(response, info.Metadata.Encryption, customerKey);
        await lifecycle.WriteExpirationAsync(response, info, ct);
        foreach (var (query, header) in ResponseOverrides)
        {
            if (call.Request.QueryValue(query) is { } value)
            {
                response.Headers[header] = HeaderValues.ForResponse(header, HeaderValues.RequireStorable(query, value));
            }
        }
        SandboxActiveContent(response);
        if (partRequested && info.IsMultipart)
        {
            response.Headers["x-amz-mp-parts-count"] = info.Parts.Count.ToString(CultureInfo.InvariantCulture);
        }
        // The object's checksum describes the whole object: sent for it, and for the one part of an object not
        // uploaded in parts, never for a range of bytes.
        bool wholeObject = range is null || (partRequested && !info.IsMultipart);
        if (wholeObject && string.Equals(call.Http.Headers["x-amz-checksum-mode"], "ENABLED", StringComparison.OrdinalIgnoreCase))
        {
            Checksums.WriteHeaders(response, info);
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
        await objects.ReadObjectAsync(info, offset, length, response.Body, customerKey, ct);
    }

    /// <summary>
    /// The bytes of the part a GET or HEAD names with partNumber, answered as a range (206 with Content-Range, as S3
    /// does). An object not uploaded in parts is its own part 1; a part it does not have is 416 InvalidPartNumber,
    /// with the number asked for and the count of parts there are.
    /// </summary>
    private static (long Offset, long Length) PartRange(Call call, ObjectInfo info)
    {
        int number = call.Request.PartNumber();
        if (call.Http.Headers.Range.Count > 0)
        {
            throw new S3Exception(S3Error.InvalidRequest, "Cannot specify both Range header and partNumber query parameter");
        }
        if (!info.IsMultipart)
        {
            return number == 1 ? (0, info.Size) : throw PartNotSatisfiable(number, 1);
        }
        var part = info.Parts.FirstOrDefault(p => p.Number == number) ?? throw PartNotSatisfiable(number, info.Parts.Count);
        return (part.Offset, part.Size);
    }

    private static S3Exception PartNotSatisfiable(int requested, int partCount) => new(S3Error.InvalidPartNumber)
    {
        Details =
        [
            new("PartNumberRequested", requested.ToString(CultureInfo.InvariantCulture)),
            new("ActualPartCount", partCount.ToString(CultureInfo.InvariantCulture)),
        ],
    };

    /// <summary>
    /// Content a browser runs (HTML, SVG, XML with scripts) is served in a sandbox of its own, an opaque origin: scripts
    /// in it still run, but an uploaded page opened from the store cannot act as the store's origin, where the web
    /// console (/_objstore/console/) runs with a signed-in user's keys.
    /// </summary>
    private static void SandboxActiveContent(HttpResponse response)
    {
        string type = response.ContentType ?? "";
        int end = type.IndexOf(';');
        var mediaType = (end < 0 ? type : type[..end]).AsSpan().Trim();
        bool active = mediaType.IsEmpty || mediaType.EndsWith("+xml", StringComparison.OrdinalIgnoreCase);
        foreach (string activeType in ActiveContentTypes)
        {
            active |= mediaType.Equals(activeType, StringComparison.OrdinalIgnoreCase);
        }
        if (active)
        {
            response.Headers.ContentSecurityPolicy = "sandbox allow-scripts allow-forms allow-popups allow-modals allow-downloads";
        }
        response.Headers.XContentTypeOptions = "nosniff"; // never sniffed into one of those
    }

    private static readonly string[] ActiveContentTypes = ["text/html", "application/xhtml+xml", "text/xml", "application/xml", "text/xsl"];

    private static void WriteObjectHeaders(HttpResponse response, ObjectInfo info)
    {
        response.Headers.ETag = Quote(info.ETag);
        response.Headers.LastModified = HttpDates.Format(info.LastModified);
        response.Headers.AcceptRanges = "bytes";
        if (info.Tags.Count > 0)
        {
            response.Headers["x-amz-tagging-count"] = info.Tags.Count.ToString(CultureInfo.InvariantCulture);
        }
        response.ContentType = HeaderValues.ForResponse("Content-Type", info.Metadata.ContentType ?? "binary/octet-stream");
        foreach (var (name, value) in info.Metadata.Headers)
        {
            response.Headers[name] = HeaderValues.ForResponse(name, value);
        }
        foreach (var (name, value) in info.Metadata.UserMetadata)
        {
            response.Headers["x-amz-meta-" + name] = HeaderValues.ForResponse("x-amz-meta-" + name, value);
        }
        if (info.Metadata.StorageClass != "STANDARD")
        {
            response.Headers["x-amz-storage-class"] = info.Metadata.StorageClass;
        }
        Versions.WriteReadHeader(response, info);
        ObjectLockProtocol.WriteHeaders(response, info.Lock);
    }

    public async Task CopyObjectAsync(Call call, CancellationToken ct)
    {
        Naming.ValidateKey(call.Key);
        var source = await CopySource.ReadAsync(objects, call.Http.Headers, copyObject: true, ct);
        // The key first: conditions answered before it would tell someone without the key the source's ETag and date.
        var sourceKey = ServerSideEncryption.ForCopySource(call.Http.Headers, call.Http, payloads.AllowCustomerKeysOverHttp, source);
        Conditions.CheckCopySource(call.Http.Headers, source);

        string directive = call.Http.Headers["x-amz-metadata-directive"].ToString() is { Length: > 0 } d ? d.ToUpperInvariant() : "COPY";
        if (directive is not ("COPY" or "REPLACE"))
        {
            throw new S3Exception(S3Error.InvalidArgument, "Unknown metadata directive.");
        }
        var fresh = ObjectAttributes.FromHeaders(call);
        string tagging = call.Http.Headers["x-amz-tagging-directive"].ToString() is { Length: > 0 } t ? t.ToUpperInvariant() : "COPY";
        if (tagging is not ("COPY" or "REPLACE"))
        {
            throw new S3Exception(S3Error.InvalidArgument, "Unknown tagging directive.");
        }
        bool storageClassChanged = call.Http.Headers.ContainsKey("x-amz-storage-class") && fresh.Metadata.StorageClass != source.Metadata.StorageClass;
        // Copying an older version over its key is how a version is restored; only the latest copied onto itself
        // unchanged is refused.
        bool encryptionNamed = call.Http.Headers.ContainsKey(ServerSideEncryption.AlgorithmHeader)
            || call.Http.Headers.ContainsKey(ServerSideEncryption.CustomerPrefix + "algorithm");
        if (source.Bucket == call.Bucket && source.Key == call.Key && source.IsLatest && directive == "COPY" && !storageClassChanged && !encryptionNamed)
        {
            throw new S3Exception(S3Error.InvalidRequest,
                "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.");
        }
        var (algorithm, _) = Checksums.Requested(call.Http.Headers, Stream.Null);
        var metadata = directive == "REPLACE" ? fresh.Metadata : source.Metadata;
        var destination = fresh with
        {
            Metadata = metadata with
            {
                ChecksumAlgorithm = algorithm != ChecksumAlgorithm.None ? algorithm : source.Metadata.ChecksumAlgorithm,
                StorageClass = call.Http.Headers.ContainsKey("x-amz-storage-class") ? fresh.Metadata.StorageClass : source.Metadata.StorageClass,
            },
            IfMatch = Conditions.WriteIfMatch(call.Http.Headers),
            IfNoneMatchAny = Conditions.WriteIfNoneMatchAny(call.Http.Headers),
            Lock = ObjectLockProtocol.FromHeaders(call.Http.Headers),
            Tags = tagging == "REPLACE" ? fresh.Tags : source.Tags,
        };
        destination = await AccessHandler.WithAclAsync(destination, call, settings, authorizer, ct); // an ACL is never copied
        // Encryption is never copied either: the destination is encrypted as the request (else its bucket) says.
        destination = await payloads.ApplyAsync(destination, call.Http, call.Http.Headers, ct);
        var info = await objects.CopyObjectAsync(source, sourceKey, destination, ct);
        ServerSideEncryption.WriteHeaders(call.Response, info.Metadata.Encryption, destination.CustomerKey, withContext: true);
        Versions.WriteReadHeader(call.Response, source, "x-amz-copy-source-version-id");
        Versions.WriteWriteHeader(call.Response, info);
        await lifecycle.WriteExpirationAsync(call.Response, info, ct);
        await WriteXmlAsync(call.Response, El("CopyObjectResult",
            El("LastModified", Timestamp(info.LastModified)),
            El("ETag", Quote(info.ETag)),
            info.Checksum is not null ? El("Checksum" + Checksums.Name(info.Metadata.ChecksumAlgorithm), info.Checksum) : null));
    }

    public async Task DeleteObjectAsync(Call call, CancellationToken ct)
    {
        UnimplementedHeaders.RejectConditionalDelete(call.Http.Headers);
        string? versionId = Versions.Parse(call.Request.QueryValue("versionId"));
        var outcome = await objects.DeleteObjectAsync(call.Bucket, call.Key, versionId, ObjectLockProtocol.Bypass(call.Http.Headers), ct);
        if (outcome.DeleteMarker)
        {
            call.Response.Headers["x-amz-delete-marker"] = "true";
        }
        if ((outcome.VersionId ?? versionId) is { } named)
        {
            call.Response.Headers["x-amz-version-id"] = named;
        }
        call.Response.StatusCode = StatusCodes.Status204NoContent;
    }

    public async Task DeleteObjectsAsync(Call call, CancellationToken ct)
    {
        var root = Parse(await bodies.ReadSmallAsync(call, ct));
        if (root.Name.LocalName != "Delete")
        {
            throw new S3Exception(S3Error.MalformedXML);
        }
        bool quiet = string.Equals(ChildValue(root, "Quiet"), "true", StringComparison.OrdinalIgnoreCase);
        // The same object named twice is deleted (and answered) once, as S3 does.
        var entries = Children(root, "Object").ToList();
        if (entries.SelectMany(o => o.Elements()).FirstOrDefault(e => e.Name.LocalName is "ETag" or "LastModifiedTime" or "Size") is { } condition)
        {
            // A condition on an entry would be ignored and the object deleted whatever it said.
            throw new S3Exception(S3Error.NotImplemented, $"Conditional delete ({condition.Name.LocalName} in a Delete request) is not implemented.");
        }
        var keys = entries.Select(o => (Key: ChildValue(o, "Key"), VersionId: ChildValue(o, "VersionId"))).Distinct().ToList();
        if (keys.Count == 0 || keys.Count > 1000 || keys.Any(k => k.Key is null))
        {
            throw new S3Exception(S3Error.MalformedXML, "A Delete request names 1 to 1000 objects, each with a Key.");
        }
        _ = await objects.RequireBucketAsync(call.Bucket, ct);
        bool bypass = ObjectLockProtocol.Bypass(call.Http.Headers);
        var results = new List<XElement>();
        foreach (var (key, versionId) in keys)
        {
            var versionElement = versionId is not null ? El("VersionId", versionId) : null;
            try
            {
                Naming.ValidateKey(key!);
                // Each key is authorized on its own, as S3 does: a denied key is an AccessDenied entry, not a failed request.
                string? parsedVersion = Versions.Parse(versionId);
                await authorizer.RequireAsync(call, parsedVersion is null ? "s3:DeleteObject" : "s3:DeleteObjectVersion", call.Bucket, key, parsedVersion, null, ct);
                if (bypass)
                {
                    await authorizer.RequireAsync(call, "s3:BypassGovernanceRetention", call.Bucket, key, parsedVersion, null, ct);
                }
                var outcome = await objects.DeleteObjectAsync(call.Bucket, key!, parsedVersion, bypass, ct);
                if (!quiet)
                {
                    results.Add(El("Deleted", El("Key", key), versionElement,
                        outcome.DeleteMarker ? El("DeleteMarker", "true") : null,
                        outcome.DeleteMarker ? El("DeleteMarkerVersionId", outcome.VersionId) : null));
                }
            }
            catch (Exception e) when (S3Failure.From(e) is { } error && error.Error.Status < 500)
            {
                results.Add(El("Error", El("Key", key), versionElement, El("Code", error.Error.Code), El("Message", error.Message)));
            }
        }
        await WriteXmlAsync(call.Response, El("DeleteResult", results));
    }
}
