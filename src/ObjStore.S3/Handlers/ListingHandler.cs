using System.Xml.Linq;
using ObjStore.Core;
using ObjStore.S3.Access;
using ObjStore.S3.Protocol;
using static ObjStore.S3.Protocol.Responses;
using static ObjStore.S3.Protocol.Xml;

namespace ObjStore.S3.Handlers;

/// <summary>ListObjects, ListObjectsV2 and ListObjectVersions: one page of a bucket's keys and common prefixes.</summary>
internal sealed class ListingHandler(IObjectLayer objects, BucketOwners owners)
{
    public async Task ListObjectsAsync(Call call, bool v2, CancellationToken ct)
    {
        var q = call.Request;
        var (prefix, delimiter, maxKeys, encoding) = ListingQuery.From(call);

        string? startAfter;
        string? continuation = q.QueryValue("continuation-token");
        if (v2)
        {
            startAfter = q.QueryValue("start-after");
            if (continuation is not null)
            {
                startAfter = DecodeContinuationToken(continuation);
            }
        }
        else
        {
            startAfter = q.QueryValue("marker");
        }

        var page = await objects.ListObjectsAsync(new ListRequest
        {
            Bucket = call.Bucket,
            Prefix = prefix,
            Delimiter = delimiter,
            StartAfter = string.IsNullOrEmpty(startAfter) ? null : startAfter,
            MaxKeys = maxKeys,
        }, ct);

        bool fetchOwner = !v2 || q.QueryValue("fetch-owner") == "true";
        var owner = fetchOwner ? await owners.ForAsync(call.Bucket, ct) : null;
        var contents = page.Objects.Select(o => El("Contents",
            El("Key", encoding.Encode(o.Key)),
            Described(o),
            owner?.Of(o)));
        var prefixes = CommonPrefixes(page, encoding);

        XElement result;
        if (v2)
        {
            result = El("ListBucketResult",
                El("Name", call.Bucket),
                El("Prefix", encoding.Encode(prefix)),
                q.QueryValue("start-after") is { } sa ? El("StartAfter", encoding.Encode(sa)) : null,
                continuation is not null ? El("ContinuationToken", continuation) : null,
                page.IsTruncated ? El("NextContinuationToken", EncodeContinuationToken(page.NextMarker!)) : null,
                El("KeyCount", page.Objects.Count + page.CommonPrefixes.Count),
                El("MaxKeys", maxKeys),
                delimiter is not null ? El("Delimiter", encoding.Encode(delimiter)) : null,
                encoding.Element(),
                El("IsTruncated", page.IsTruncated ? "true" : "false"),
                contents, prefixes);
        }
        else
        {
            result = El("ListBucketResult",
                El("Name", call.Bucket),
                El("Prefix", encoding.Encode(prefix)),
                El("Marker", encoding.Encode(startAfter ?? "")),
                page.IsTruncated && delimiter is not null ? El("NextMarker", encoding.Encode(page.NextMarker!)) : null,
                El("MaxKeys", maxKeys),
                delimiter is not null ? El("Delimiter", encoding.Encode(delimiter)) : null,
                encoding.Element(),
                El("IsTruncated", page.IsTruncated ? "true" : "false"),
                contents, prefixes);
        }
        await WriteXmlAsync(call.Response, result);
    }

    /// <summary>
    /// Versions and delete markers, keys in UTF-8 binary order and each key's newest first, as S3 interleaves them.
    /// A version-id marker needs a key marker and names a version of that key.
    /// </summary>
    public async Task ListObjectVersionsAsync(Call call, CancellationToken ct)
    {
        var q = call.Request;
        var (prefix, delimiter, maxKeys, encoding) = ListingQuery.From(call);
        string keyMarker = q.QueryValue("key-marker") ?? "";
        string versionIdMarker = q.QueryValue("version-id-marker") ?? "";
        if (versionIdMarker.Length > 0 && keyMarker.Length == 0)
        {
            throw new S3Exception(S3Error.InvalidArgument, "A version-id marker cannot be specified without a key marker.");
        }
        if (versionIdMarker.Length > 0)
        {
            Versions.Parse(versionIdMarker);
        }
        else if (keyMarker.Length > 0 && q.QueryValue("version-id-marker") is not null)
        {
            throw new S3Exception(S3Error.InvalidArgument, "A version-id marker cannot be empty.");
        }

        var page = await objects.ListObjectVersionsAsync(new ListVersionsRequest
        {
            Bucket = call.Bucket,
            Prefix = prefix,
            Delimiter = delimiter,
            KeyMarker = keyMarker.Length == 0 ? null : keyMarker,
            VersionIdMarker = versionIdMarker.Length == 0 ? null : versionIdMarker,
            MaxKeys = maxKeys,
        }, ct);

        var owner = await owners.ForAsync(call.Bucket, ct);
        await WriteXmlAsync(call.Response, El("ListVersionsResult",
            El("Name", call.Bucket),
            El("Prefix", encoding.Encode(prefix)),
            El("KeyMarker", encoding.Encode(keyMarker)),
            El("VersionIdMarker", versionIdMarker),
            page.IsTruncated ? El("NextKeyMarker", encoding.Encode(page.NextKeyMarker!)) : null,
            page.IsTruncated && page.NextVersionIdMarker is not null ? El("NextVersionIdMarker", page.NextVersionIdMarker) : null,
            El("MaxKeys", maxKeys),
            delimiter is not null ? El("Delimiter", encoding.Encode(delimiter)) : null,
            encoding.Element(),
            El("IsTruncated", page.IsTruncated ? "true" : "false"),
            page.Versions.Select(v => v.IsDeleteMarker
                ? El("DeleteMarker",
                    El("Key", encoding.Encode(v.Entry.Key)),
                    El("VersionId", v.VersionId),
                    El("IsLatest", v.IsLatest ? "true" : "false"),
                    El("LastModified", Timestamp(v.Entry.LastModified)),
                    owner.Of(v.Entry))
                : El("Version",
                    El("Key", encoding.Encode(v.Entry.Key)),
                    El("VersionId", v.VersionId),
                    El("IsLatest", v.IsLatest ? "true" : "false"),
                    Described(v.Entry),
                    owner.Of(v.Entry))),
            page.CommonPrefixes.Select(p => El("CommonPrefixes", El("Prefix", encoding.Encode(p))))));
    }

    /// <summary>What every listing says of an object after its key (and version): a Contents or a Version entry.</summary>
    private static XElement?[] Described(ObjectSummary o) =>
    [
        El("LastModified", Timestamp(o.LastModified)),
        El("ETag", Quote(o.ETag)),
        El("Size", o.Size),
        o.ChecksumAlgorithm != ChecksumAlgorithm.None ? El("ChecksumAlgorithm", Checksums.Name(o.ChecksumAlgorithm)) : null,
        El("StorageClass", o.StorageClass),
    ];

    private static IEnumerable<XElement> CommonPrefixes(ListPage page, KeyEncoding encoding) =>
        page.CommonPrefixes.Select(p => El("CommonPrefixes", El("Prefix", encoding.Encode(p))));

    /// <summary>
    /// The only optional attribute a listing may ask for (x-amz-optional-object-attributes). It describes the restore
    /// of an archived object, and S3 writes none for an object never restored ("If the object hasn't been restored,
    /// there is no header response"); this store archives nothing, so no entry ever has one. The name is still
    /// checked, as S3 checks it.
    /// </summary>
    private static readonly string[] OptionalAttributes = ["RestoreStatus"];

    /// <summary>The request parameters every listing reads the same way.</summary>
    private readonly record struct ListingQuery(string Prefix, string? Delimiter, int MaxKeys, KeyEncoding Encoding)
    {
        public static ListingQuery From(Call call)
        {
            _ = AttributeNames.Read(call.Http.Headers, "x-amz-optional-object-attributes", OptionalAttributes);
            var q = call.Request;
            return new(
                q.QueryValue("prefix") ?? "",
                q.QueryValue("delimiter") is { Length: > 0 } d ? d : null,
                Math.Min(q.QueryInt("max-keys", 1000), 1000),
                KeyEncoding.FromQuery(q));
        }
    }

    private static string EncodeContinuationToken(string lastKey) => Convert.ToBase64String(Naming.StrictUtf8.GetBytes(lastKey));

    private static string DecodeContinuationToken(string token)
    {
        try
        {
            return Naming.StrictUtf8.GetString(Convert.FromBase64String(token));
        }
        catch (Exception e) when (e is FormatException or System.Text.DecoderFallbackException)
        {
            throw new S3Exception(S3Error.InvalidArgument, "The continuation token provided is incorrect");
        }
    }
}
