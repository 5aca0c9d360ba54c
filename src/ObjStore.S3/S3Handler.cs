using System.Diagnostics;
using System.Xml.Linq;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using ObjStore.Access;
using ObjStore.Core;
using ObjStore.Core.Jobs;
using ObjStore.Lifecycle;
using ObjStore.S3.Access;
using ObjStore.S3.Auth;
using ObjStore.S3.Cors;
using ObjStore.S3.Handlers;
using ObjStore.S3.Protocol;
using ObjStore.S3.Telemetry;
using static ObjStore.S3.Protocol.Xml;

namespace ObjStore.S3;

/// <summary>
/// The S3 front end: parse, authenticate, route, authorize (once, in <see cref="S3Authorizer"/>), dispatch to one
/// operation of an area's handler (buckets, objects, multipart, listing, access), and turn every failure into an S3
/// error document. Sees only <see cref="IObjectLayer"/>.
/// </summary>
public sealed partial class S3Handler
{
    private readonly Authenticator _authenticator;
    private readonly S3Options _options;
    private readonly ILogger<S3Handler> _logger;
    private readonly BucketHandler _buckets;
    private readonly ObjectHandler _objects;
    private readonly MultipartHandler _multipart;
    private readonly ListingHandler _listing;
    private readonly ObjectLockHandler _locks;
    private readonly AccessHandler _access;
    private readonly S3Authorizer _authorizer;
    private readonly CorsHandler _corsConfig;
    private readonly CorsResponder _cors;
    private readonly PostObjectHandler _post;
    private readonly TaggingHandler _tagging;
    private readonly LifecycleHandler _lifecycle;
    private readonly BucketEncryptionHandler _encryption;
    private readonly ConfigurationProbeHandler _probes;
    private readonly TimeProvider _clock;
    private readonly S3Metrics? _metrics;
    private readonly AccessLog? _accessLog;
    private readonly ForegroundActivity? _requests; // what heal and drain yield to

    public S3Handler(IObjectLayer objects, Authenticator authenticator, ICredentialStore identities, S3Options options, TimeProvider clock, ILogger<S3Handler> logger,
        LifecycleClock? lifecycleClock = null, S3Metrics? metrics = null, AccessLog? accessLog = null, ForegroundActivity? requests = null)
    {
        _requests = requests;
        _authenticator = authenticator;
        _clock = clock;
        _metrics = metrics;
        _accessLog = accessLog;
        _options = options;
        _logger = logger;
        var bodies = new RequestBodies(new UploadRateGuard(options.Uploads, clock));
        var settings = BucketSettings = new BucketSettingsCache(objects, clock, options.BucketSettingsMaxAge);
        _authorizer = new S3Authorizer(settings, objects, identities.RootCanonicalId, clock, logger);
        _buckets = new BucketHandler(objects, options, bodies, settings, _authorizer);
        var lifecycleHeaders = new LifecycleHeaders(settings, lifecycleClock ?? LifecycleClock.Standard);
        var payloads = new WritePayloads(settings, options);
        _objects = new ObjectHandler(objects, bodies, settings, _authorizer, lifecycleHeaders, payloads);
        var owners = new BucketOwners(settings, _authorizer, identities);
        _multipart = new MultipartHandler(objects, bodies, settings, _authorizer, owners, lifecycleHeaders, payloads);
        _listing = new ListingHandler(objects, owners);
        _locks = new ObjectLockHandler(objects, bodies);
        _access = new AccessHandler(objects, settings, _authorizer, identities, bodies);
        _corsConfig = new CorsHandler(settings, bodies);
        _cors = new CorsResponder(settings);
        _tagging = new TaggingHandler(objects, settings, bodies);
        _lifecycle = new LifecycleHandler(settings, bodies);
        _post = new PostObjectHandler(objects, authenticator, _authorizer, settings, bodies, clock, options, payloads);
        _encryption = new BucketEncryptionHandler(settings, bodies);
        _probes = new ConfigurationProbeHandler(objects);
    }

    /// <summary>What this gateway knows of its buckets' settings, for the catalogue's change notifications to invalidate.</summary>
    public BucketSettingsCache BucketSettings { get; }

    public async Task HandleAsync(HttpContext context)
    {
        _requests?.Begin();
        try
        {
            await MeasuredAsync(context);
        }
        finally
        {
            _requests?.End();
        }
    }

    private async Task MeasuredAsync(HttpContext context)
    {
        string requestId = Guid.NewGuid().ToString("N")[..16].ToUpperInvariant();
        using var span = S3Tracing.Start(context);
        if (_metrics is null && _accessLog is null)
        {
            var untimed = new S3Exchange(requestId, default, 0);
            try
            {
                await ServeAsync(context, untimed);
            }
            finally
            {
                S3Tracing.End(span, untimed, context.Response.StatusCode);
            }
            return;
        }
        var exchange = new S3Exchange(requestId, _clock.GetUtcNow(), Stopwatch.GetTimestamp());
        // The body feature is swapped for this request only, to count what the handlers write; Kestrel's own is back
        // before Kestrel finishes the response.
        var serverBody = context.Features.Get<IHttpResponseBodyFeature>();
        if (serverBody is not null)
        {
            context.Features.Set<IHttpResponseBodyFeature>(new CountingResponseBody(serverBody, exchange));
        }
        _metrics?.RequestStarted();
        try
        {
            await ServeAsync(context, exchange);
        }
        finally
        {
            if (serverBody is not null)
            {
                context.Features.Set(serverBody);
            }
            exchange.Status = context.Response.StatusCode;
            double seconds = Stopwatch.GetElapsedTime(exchange.StartTimestamp).TotalSeconds;
            _metrics?.RequestEnded(exchange, seconds);
            _accessLog?.Write(exchange, seconds);
            S3Tracing.End(span, exchange, exchange.Status);
        }
    }

    private async Task ServeAsync(HttpContext context, S3Exchange exchange)
    {
        string requestId = exchange.RequestId;
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
            var request = S3Request.Parse(context, _options.Domains);
            resource = request.Path;
            exchange.Bucket = request.Bucket;
            exchange.Key = request.Key;
            // Routing reads only the method, the path and the query's names: named before authentication, so a
            // refused request is counted and logged under the operation it asked for.
            var operation = S3Router.Route(context.Request.Method, request.Bucket, request.Key, request.QueryNames,
                context.Request.Headers.ContainsKey("x-amz-copy-source"));
            exchange.Operation = operation;
            // CORS: a preflight is answered here, unauthenticated; any other request gets its rule's headers.
            if (HttpMethods.IsOptions(context.Request.Method) && request.Bucket is { } preflightBucket)
            {
                await _cors.PreflightAsync(context, preflightBucket, context.RequestAborted);
                return;
            }
            await _cors.ApplyAsync(context, request.Bucket, context.RequestAborted);
            var auth = _authenticator.Authenticate(context.Request, request.Path, request.Query, _options);
            exchange.User = auth.Principal.Name;
            exchange.AccessKey = auth.AccessKey;
            var call = new Call(context, request, auth) { Exchange = exchange };
            await _authorizer.AuthorizeAsync(operation, call, context.RequestAborted);
            try
            {
                await DispatchAsync(operation, call, context.RequestAborted);
            }
            catch (ObjectStoreException e) when (e.Kind == ErrorKind.NoSuchKey && operation is S3Operation.GetObject or S3Operation.HeadObject)
            {
                // A missing key is 404 only to those who may list the bucket, else 403: S3 does not tell who may not
                // list it which keys exist.
                await _authorizer.ConcealMissingKeyAsync(call, context.RequestAborted);
                throw;
            }
        }
        catch (Exception e) when (ToS3Error(e, context, exchange, resource) is { } error)
        {
            exchange.ErrorCode = error.Error.Code;
            await WriteErrorAsync(context, error, resource, requestId);
        }
    }

    private Task DispatchAsync(S3Operation operation, Call call, CancellationToken ct) => operation switch
    {
        S3Operation.ListBuckets => _buckets.ListBucketsAsync(call, ct),
        S3Operation.CreateBucket => _buckets.CreateBucketAsync(call, ct),
        S3Operation.DeleteBucket => _buckets.DeleteBucketAsync(call, ct),
        S3Operation.HeadBucket => _buckets.HeadBucketAsync(call, ct),
        S3Operation.GetBucketLocation => _buckets.GetBucketLocationAsync(call, ct),
        S3Operation.GetBucketVersioning => _buckets.GetBucketVersioningAsync(call, ct),
        S3Operation.PutBucketVersioning => _buckets.PutBucketVersioningAsync(call, ct),
        S3Operation.GetBucketCors => _corsConfig.GetBucketCorsAsync(call, ct),
        S3Operation.PutBucketCors => _corsConfig.PutBucketCorsAsync(call, ct),
        S3Operation.DeleteBucketCors => _corsConfig.DeleteBucketCorsAsync(call, ct),
        S3Operation.GetObjectLockConfiguration => _buckets.GetObjectLockConfigurationAsync(call, ct),
        S3Operation.PutObjectLockConfiguration => _buckets.PutObjectLockConfigurationAsync(call, ct),
        S3Operation.GetObjectRetention => _locks.GetObjectRetentionAsync(call, ct),
        S3Operation.PutObjectRetention => _locks.PutObjectRetentionAsync(call, ct),
        S3Operation.GetObjectLegalHold => _locks.GetObjectLegalHoldAsync(call, ct),
        S3Operation.PutObjectLegalHold => _locks.PutObjectLegalHoldAsync(call, ct),
        S3Operation.GetObjectAttributes => _objects.GetObjectAttributesAsync(call, ct),
        S3Operation.GetObjectTagging => _tagging.GetObjectTaggingAsync(call, ct),
        S3Operation.PutObjectTagging => _tagging.PutObjectTaggingAsync(call, ct),
        S3Operation.DeleteObjectTagging => _tagging.DeleteObjectTaggingAsync(call, ct),
        S3Operation.GetBucketTagging => _tagging.GetBucketTaggingAsync(call, ct),
        S3Operation.PutBucketTagging => _tagging.PutBucketTaggingAsync(call, ct),
        S3Operation.DeleteBucketTagging => _tagging.DeleteBucketTaggingAsync(call, ct),
        S3Operation.GetBucketLifecycleConfiguration => _lifecycle.GetAsync(call, ct),
        S3Operation.PutBucketLifecycleConfiguration => _lifecycle.PutAsync(call, ct),
        S3Operation.DeleteBucketLifecycle => _lifecycle.DeleteAsync(call, ct),
        S3Operation.GetBucketPolicy => _access.GetBucketPolicyAsync(call, ct),
        S3Operation.PutBucketPolicy => _access.PutBucketPolicyAsync(call, ct),
        S3Operation.DeleteBucketPolicy => _access.DeleteBucketPolicyAsync(call, ct),
        S3Operation.GetBucketPolicyStatus => _access.GetBucketPolicyStatusAsync(call, ct),
        S3Operation.GetBucketAcl => _access.GetBucketAclAsync(call, ct),
        S3Operation.PutBucketAcl => _access.PutBucketAclAsync(call, ct),
        S3Operation.GetObjectAcl => _access.GetObjectAclAsync(call, ct),
        S3Operation.PutObjectAcl => _access.PutObjectAclAsync(call, ct),
        S3Operation.GetBucketOwnershipControls => _access.GetBucketOwnershipControlsAsync(call, ct),
        S3Operation.PutBucketOwnershipControls => _access.PutBucketOwnershipControlsAsync(call, ct),
        S3Operation.DeleteBucketOwnershipControls => _access.DeleteBucketOwnershipControlsAsync(call, ct),
        S3Operation.GetPublicAccessBlock => _access.GetPublicAccessBlockAsync(call, ct),
        S3Operation.PutPublicAccessBlock => _access.PutPublicAccessBlockAsync(call, ct),
        S3Operation.DeletePublicAccessBlock => _access.DeletePublicAccessBlockAsync(call, ct),
        S3Operation.GetBucketEncryption => _encryption.GetBucketEncryptionAsync(call, ct),
        S3Operation.PutBucketEncryption => _encryption.PutBucketEncryptionAsync(call, ct),
        S3Operation.DeleteBucketEncryption => _encryption.DeleteBucketEncryptionAsync(call, ct),
        _ when ConfigurationProbeHandler.Answers(operation) => _probes.AnswerAsync(operation, call, ct),
        S3Operation.ListObjectVersions => _listing.ListObjectVersionsAsync(call, ct),
        S3Operation.ListObjects => _listing.ListObjectsAsync(call, v2: false, ct),
        S3Operation.ListObjectsV2 => _listing.ListObjectsAsync(call, v2: true, ct),
        S3Operation.DeleteObjects => _objects.DeleteObjectsAsync(call, ct),
        S3Operation.PutObject => _objects.PutObjectAsync(call, ct),
        // PostObject is EXEMPT from the pre-dispatch authorization: the form authenticates itself (its signed POST
        // policy, or none: anonymous), and only its body names the key, so the handler authorizes s3:PutObject there.
        S3Operation.PostObject => _post.PostObjectAsync(call, ct),
        S3Operation.CopyObject => _objects.CopyObjectAsync(call, ct),
        S3Operation.GetObject => _objects.GetObjectAsync(call, head: false, ct),
        S3Operation.HeadObject => _objects.GetObjectAsync(call, head: true, ct),
        S3Operation.DeleteObject => _objects.DeleteObjectAsync(call, ct),
        S3Operation.CreateMultipartUpload => _multipart.CreateMultipartUploadAsync(call, ct),
        S3Operation.UploadPart => _multipart.UploadPartAsync(call, ct),
        S3Operation.UploadPartCopy => _multipart.UploadPartCopyAsync(call, ct),
        S3Operation.CompleteMultipartUpload => _multipart.CompleteMultipartUploadAsync(call, ct),
        S3Operation.AbortMultipartUpload => _multipart.AbortMultipartUploadAsync(call, ct),
        S3Operation.ListParts => _multipart.ListPartsAsync(call, ct),
        S3Operation.ListMultipartUploads => _multipart.ListMultipartUploadsAsync(call, ct),
        S3Operation.MethodNotAllowed => throw new S3Exception(S3Error.MethodNotAllowed),
        _ => throw new S3Exception(S3Error.NotImplemented, $"{operation} is not implemented."), // named after AWS's API
    };

    private async Task WriteErrorAsync(HttpContext context, S3Failure failure, string resource, string requestId)
    {
        var error = failure.Error;
        if (error.Status >= 500)
        {
            LogServerError(_logger, error.Code, failure.LogDetail ?? failure.Message, context.Request.Method, resource);
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
        foreach (var (name, value) in failure.Headers)
        {
            context.Response.Headers[name] = value;
        }
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

    /// <summary>
    /// Every exception to an S3 error. The client hanging up (a cancellation or an I/O error once it has gone, or the
    /// connection reset) is its IncompleteBody, which no one reads, and one line of warning: it is expected, so no stack
    /// trace. Anything else the S3 layer does not know is the server's, logged with its stack and answered 500.
    /// </summary>
    private S3Failure? ToS3Error(Exception e, HttpContext context, S3Exchange exchange, string resource)
    {
        if (S3Failure.From(e) is { } failure)
        {
            return failure;
        }
        if (e is ConnectionResetException or ConnectionAbortedException
            || (e is OperationCanceledException or IOException && context.RequestAborted.IsCancellationRequested))
        {
            LogClientGone(_logger, S3Metrics.OperationName(exchange.Operation), resource, e.GetType().Name, e.Message);
            return new(S3Error.IncompleteBody, ClientBodyStream.AbortedMessage, []);
        }
        return LogAndWrap(e);
    }

    private S3Failure LogAndWrap(Exception e)
    {
        LogUnhandled(_logger, e);
        return new(S3Error.InternalError, S3Error.InternalError.Message, []);
    }

    [LoggerMessage(EventId = 2001, Level = LogLevel.Warning, Message = "{Code}: {Message} ({Method} {Resource})")]
    private static partial void LogServerError(ILogger logger, string code, string message, string method, string resource);

    [LoggerMessage(EventId = 2003, Level = LogLevel.Warning, Message = "The client went away during {Operation} {Resource}: {ExceptionType}: {Reason}")]
    private static partial void LogClientGone(ILogger logger, string operation, string resource, string exceptionType, string reason);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Error, Message = "Unhandled error serving an S3 request")]
    private static partial void LogUnhandled(ILogger logger, Exception e);
}
