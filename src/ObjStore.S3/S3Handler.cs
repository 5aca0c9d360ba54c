using System.Xml.Linq;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using ObjStore.Core;
using ObjStore.S3.Auth;
using ObjStore.S3.Handlers;
using ObjStore.S3.Protocol;
using static ObjStore.S3.Protocol.Responses;
using static ObjStore.S3.Protocol.Xml;

namespace ObjStore.S3;

/// <summary>
/// The S3 front end: parse, authenticate, route to one method per operation, and turn every failure into an S3
/// error document. Sees only <see cref="IObjectLayer"/>.
/// </summary>
public sealed partial class S3Handler(
    IObjectLayer objects, Authenticator authenticator, S3Options options, TimeProvider clock, ILogger<S3Handler> logger)
{
    private readonly RequestBody _body = new(new UploadRateGuard(options.Uploads, clock));

    public async Task HandleAsync(HttpContext context)
    {
        string requestId = Guid.NewGuid().ToString("N")[..16].ToUpperInvariant();
        context.Response.Headers["x-amz-request-id"] = requestId;
        context.Response.Headers["x-amz-id-2"] = requestId;
        context.Response.Headers.Server = "ObjStore";
        string resource = context.Request.Path.Value ?? "/";
        if (IsEmptyExpectContinue(context.Request))
        {
            context.Response.Headers.Connection = "close";
        }
        try
        {
            var request = S3Request.Parse(context, options.Domains);
            resource = request.Path;
            var auth = authenticator.Authenticate(context.Request, request.Path, request.Query);
            var operation = S3Router.Route(context.Request.Method, request.Bucket, request.Key, request.QueryNames,
                context.Request.Headers.ContainsKey("x-amz-copy-source"));
            await DispatchAsync(operation, new Call(context, request, auth), context.RequestAborted);
        }
        catch (Exception e) when (ToS3Error(e) is { } error)
        {
            await WriteErrorAsync(context, error, resource, requestId);
        }
    }

    private Task DispatchAsync(S3Operation operation, Call call, CancellationToken ct) => operation switch
    {
        S3Operation.ListBuckets => ListBucketsAsync(call, ct),
        S3Operation.CreateBucket => CreateBucketAsync(call, ct),
        S3Operation.DeleteBucket => DeleteBucketAsync(call, ct),
        S3Operation.HeadBucket => HeadBucketAsync(call, ct),
        S3Operation.GetBucketLocation => GetBucketLocationAsync(call, ct),
        S3Operation.ListObjects => ListObjectsAsync(call, v2: false, ct),
        S3Operation.ListObjectsV2 => ListObjectsAsync(call, v2: true, ct),
        S3Operation.DeleteObjects => DeleteObjectsAsync(call, ct),
        S3Operation.PutObject => PutObjectAsync(call, ct),
        S3Operation.CopyObject => CopyObjectAsync(call, ct),
        S3Operation.GetObject => GetObjectAsync(call, head: false, ct),
        S3Operation.HeadObject => GetObjectAsync(call, head: true, ct),
        S3Operation.DeleteObject => DeleteObjectAsync(call, ct),
        S3Operation.CreateMultipartUpload => CreateMultipartUploadAsync(call, ct),
        S3Operation.UploadPart => UploadPartAsync(call, ct),
        S3Operation.UploadPartCopy => UploadPartCopyAsync(call, ct),
        S3Operation.CompleteMultipartUpload => CompleteMultipartUploadAsync(call, ct),
        S3Operation.AbortMultipartUpload => AbortMultipartUploadAsync(call, ct),
        S3Operation.ListParts => ListPartsAsync(call, ct),
        S3Operation.ListMultipartUploads => ListMultipartUploadsAsync(call, ct),
        S3Operation.MethodNotAllowed => throw new S3Exception(S3Error.MethodNotAllowed),
        _ => throw new S3Exception(S3Error.NotImplemented, $"{operation} is not implemented."), // named after AWS's API
    };

    // ---- buckets -------------------------------------------------------------------------------------------------

    private async Task ListBucketsAsync(Call call, CancellationToken ct)
    {
        var buckets = (await objects.ListBucketsAsync(ct)).Where(b => !Core.Naming.IsSystemBucket(b.Name));
        await WriteXmlAsync(call.Response, El("ListAllMyBucketsResult",
            Owner(call.Auth),
            El("Buckets", buckets.Select(b => El("Bucket", El("Name", b.Name), El("CreationDate", Timestamp(b.Created)))))));
    }

    private async Task CreateBucketAsync(Call call, CancellationToken ct)
    {
        var body = await _body.ReadSmallAsync(call, ct);
        if (body.Length > 0)
        {
            var configuration = Parse(body);
            if (configuration.Name.LocalName != "CreateBucketConfiguration")
            {
                throw new S3Exception(S3Error.MalformedXML);
            }
            string? location = ChildValue(configuration, "LocationConstraint");
            if (!string.IsNullOrEmpty(location) && location != options.Region)
            {
                throw new S3Exception(S3Error.InvalidLocationConstraint,
                    $"The specified location-constraint is not valid: this endpoint serves {options.Region}.");
            }
        }
        await objects.CreateBucketAsync(call.Bucket, ct);
        call.Response.Headers.Location = "/" + call.Bucket;
    }

    private async Task DeleteBucketAsync(Call call, CancellationToken ct)
    {
        await objects.DeleteBucketAsync(call.Bucket, ct);
        call.Response.StatusCode = StatusCodes.Status204NoContent;
    }

    private async Task HeadBucketAsync(Call call, CancellationToken ct)
    {
        _ = await RequireBucketAsync(call.Bucket, ct);
        call.Response.Headers["x-amz-bucket-region"] = options.Region;
    }

    private async Task GetBucketLocationAsync(Call call, CancellationToken ct)
    {
        _ = await RequireBucketAsync(call.Bucket, ct);
        await WriteXmlAsync(call.Response, El("LocationConstraint", options.Region == "us-east-1" ? null : options.Region));
    }

    private async Task<BucketInfo> RequireBucketAsync(string bucket, CancellationToken ct) =>
        await objects.GetBucketAsync(bucket, ct) ?? throw new S3Exception(S3Error.NoSuchBucket);

    // ---- listing -------------------------------------------------------------------------------------------------

    private async Task ListObjectsAsync(Call call, bool v2, CancellationToken ct)
    {
        var q = call.Request;
        string prefix = q.QueryValue("prefix") ?? "";
        string? delimiter = q.QueryValue("delimiter") is { Length: > 0 } d ? d : null;
        int maxKeys = Math.Min(q.QueryInt("max-keys", 1000), 1000);
        var encoding = KeyEncoding.FromQuery(q);

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
        var contents = page.Objects.Select(o => El("Contents",
            El("Key", encoding.Encode(o.Key)),
            El("LastModified", Timestamp(o.LastModified)),
            El("ETag", Quote(o.ETag)),
            El("Size", o.Size),
            o.ChecksumAlgorithm != ChecksumAlgorithm.None ? El("ChecksumAlgorithm", Checksums.Name(o.ChecksumAlgorithm)) : null,
            El("StorageClass", o.StorageClass),
            fetchOwner ? Owner(call.Auth) : null));
        var prefixes = page.CommonPrefixes.Select(p => El("CommonPrefixes", El("Prefix", encoding.Encode(p))));

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

    private static string EncodeContinuationToken(string lastKey) => Convert.ToBase64String(Core.Naming.StrictUtf8.GetBytes(lastKey));

    private static string DecodeContinuationToken(string token)
    {
        try
        {
            return Core.Naming.StrictUtf8.GetString(Convert.FromBase64String(token));
        }
        catch (Exception e) when (e is FormatException or System.Text.DecoderFallbackException)
        {
            throw new S3Exception(S3Error.InvalidArgument, "The continuation token provided is incorrect");
        }
    }

    // ---- deleting ------------------------------------------------------------------------------------------------

    private async Task DeleteObjectAsync(Call call, CancellationToken ct)
    {
        await objects.DeleteObjectAsync(call.Bucket, call.Key, ct);
        call.Response.StatusCode = StatusCodes.Status204NoContent;
    }

    private async Task DeleteObjectsAsync(Call call, CancellationToken ct)
    {
        var root = Parse(await _body.ReadSmallAsync(call, ct));
        if (root.Name.LocalName != "Delete")
        {
            throw new S3Exception(S3Error.MalformedXML);
        }
        bool quiet = string.Equals(ChildValue(root, "Quiet"), "true", StringComparison.OrdinalIgnoreCase);
        var keys = Children(root, "Object").Select(o => ChildValue(o, "Key")).ToList();
        if (keys.Count == 0 || keys.Count > 1000 || keys.Any(k => k is null))
        {
            throw new S3Exception(S3Error.MalformedXML, "A Delete request names 1 to 1000 objects, each with a Key.");
        }
        _ = await RequireBucketAsync(call.Bucket, ct);
        var results = new List<XElement>();
        foreach (var key in keys)
        {
            try
            {
                Core.Naming.ValidateKey(key!);
                await objects.DeleteObjectAsync(call.Bucket, key!, ct);
                if (!quiet)
                {
                    results.Add(El("Deleted", El("Key", key)));
                }
            }
            catch (Exception e) when (ToS3Error(e) is { } error && error.Error.Status < 500)
            {
                results.Add(El("Error", El("Key", key), El("Code", error.Error.Code), El("Message", error.Message)));
            }
        }
        await WriteXmlAsync(call.Response, El("DeleteResult", results));
    }

    // ---- helpers -------------------------------------------------------------------------------------------------

    private async Task WriteErrorAsync(HttpContext context, S3Failure failure, string resource, string requestId)
    {
        var error = failure.Error;
        if (error.Status >= 500)
        {
            LogServerError(logger, error.Code, failure.Message, context.Request.Method, resource);
        }
        if (context.Response.HasStarted)
        {
            // Headers (and maybe bytes) are out: the only honest signal left is to cut the connection.
            context.Abort();
            return;
        }
        context.Response.Clear();
        context.Response.Headers["x-amz-request-id"] = requestId;
        context.Response.StatusCode = error.Status;
        if (RequestBodyMayRemain(context) || IsEmptyExpectContinue(context.Request))
        {
            // Answered before the body was read: whatever of it is still to come (or, after Expect: 100-continue, never
            // comes) must not be parsed as the next request on this connection.
            context.Response.Headers.Connection = "close";
        }
        if (HttpMethods.IsHead(context.Request.Method) || error.Status == 304)
        {
            return;
        }
        var bytes = Serialize(new XElement("Error",
            new XElement("Code", error.Code), new XElement("Message", failure.Message),
            new XElement("Resource", resource), new XElement("RequestId", requestId),
            failure.Details.Select(d => new XElement(d.Key, d.Value))));
        context.Response.ContentType = "application/xml";
        context.Response.ContentLength = bytes.Length;
        try
        {
            await context.Response.Body.WriteAsync(bytes);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException)
        {
            // The client is gone.
        }
    }

    /// <summary>
    /// An empty body announced with Expect: 100-continue (botocore does this for every empty PutObject). No 100
    /// Continue is due, and botocore, given the final answer straight away, leaves its pooled connection in a state
    /// where the next request on it waits for its read timeout (60 s by default). Closing that connection after the
    /// answer costs the client one reconnect instead.
    /// </summary>
    private static bool IsEmptyExpectContinue(HttpRequest request) =>
        request.ContentLength == 0 && request.Headers.Expect.ToString().Contains("100-continue", StringComparison.OrdinalIgnoreCase);

    /// <summary>True unless the request had no body or it was read to its end.</summary>
    private static bool RequestBodyMayRemain(HttpContext context)
    {
        if (context.Features.Get<IHttpRequestBodyDetectionFeature>() is { CanHaveBody: false } || context.Request.ContentLength == 0)
        {
            return false;
        }
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false })
        {
            return true; // reading never started
        }
        try
        {
            var reader = context.Request.BodyReader;
            if (!reader.TryRead(out var result))
            {
                return true;
            }
            bool ended = result.IsCompleted && result.Buffer.IsEmpty;
            reader.AdvanceTo(result.Buffer.Start);
            return !ended;
        }
        catch (Exception e) when (e is InvalidOperationException or IOException or BadHttpRequestException)
        {
            return true;
        }
    }

    private sealed record S3Failure(S3Error Error, string Message, IReadOnlyList<KeyValuePair<string, string>> Details);

    /// <summary>
    /// Every exception to an S3 error; null lets it propagate (a bug, logged as 500 by the host). Other I/O faults than
    /// a full store reach here only from the client's connection (the object layer absorbs shard failures into
    /// quorum errors), so they are IncompleteBody.
    /// </summary>
    private S3Failure? ToS3Error(Exception e) => e switch
    {
        S3Exception s3 => new(s3.Error, s3.Message, s3.Details),
        ObjectStoreException store => new(S3Error.From(store.Kind), store.Message, []),
        StoreFullException full => new(S3Error.InsufficientStorage, full.Message, []),
        BadHttpRequestException bad => new(S3Error.IncompleteBody, bad.Message, []),
        OperationCanceledException => new(S3Error.IncompleteBody, "The request was cancelled.", []),
        IOException io => new(S3Error.IncompleteBody, io.Message, []),
        _ => LogAndWrap(e),
    };

    private S3Failure LogAndWrap(Exception e)
    {
        LogUnhandled(logger, e);
        return new(S3Error.InternalError, S3Error.InternalError.Message, []);
    }

    [LoggerMessage(EventId = 2001, Level = LogLevel.Warning, Message = "{Code}: {Message} ({Method} {Resource})")]
    private static partial void LogServerError(ILogger logger, string code, string message, string method, string resource);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Error, Message = "Unhandled error serving an S3 request")]
    private static partial void LogUnhandled(ILogger logger, Exception e);
}
