using ObjStore.Core;

namespace ObjStore.S3;

/// <summary>One S3 error: its code, HTTP status and default message, as AWS documents them.</summary>
public sealed record S3Error(string Code, int Status, string Message)
{
    public static readonly S3Error AccessDenied = new("AccessDenied", 403, "Access Denied");
    public static readonly S3Error AuthorizationHeaderMalformed = new("AuthorizationHeaderMalformed", 400, "The authorization header is malformed.");
    public static readonly S3Error AuthorizationQueryParametersError = new("AuthorizationQueryParametersError", 400, "The authorization query parameters that you provided are not valid.");
    public static readonly S3Error BadDigest = new("BadDigest", 400, "The Content-MD5 or checksum you specified did not match what we received.");
    /// <summary>A refused CORS preflight (no configuration, or no rule allowing it): S3's code, not AccessDenied.</summary>
    public static readonly S3Error AccessForbidden = new("AccessForbidden", 403, "CORSResponse: This CORS request is not allowed.");
    /// <summary>A preflight lacking Origin or Access-Control-Request-Method; S3 answers it with this generic code.</summary>
    public static readonly S3Error BadRequest = new("BadRequest", 400, "Bad Request");
    public static readonly S3Error AccessControlListNotSupported = new("AccessControlListNotSupported", 400, "The bucket does not allow ACLs");
    public static readonly S3Error BucketAlreadyExists = new("BucketAlreadyExists", 409, "The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again.");
    public static readonly S3Error BucketAlreadyOwnedByYou = new("BucketAlreadyOwnedByYou", 409, "Your previous request to create the named bucket succeeded and you already own it.");
    public static readonly S3Error BucketNotEmpty = new("BucketNotEmpty", 409, "The bucket you tried to delete is not empty.");
    public static readonly S3Error EntityTooLarge = new("EntityTooLarge", 400, "Your proposed upload exceeds the maximum allowed object size.");
    public static readonly S3Error EntityTooSmall = new("EntityTooSmall", 400, "Your proposed upload is smaller than the minimum allowed object size.");
    public static readonly S3Error IllegalVersioningConfigurationException = new("IllegalVersioningConfigurationException", 400, "The Versioning element must be specified");
    public static readonly S3Error IncompleteBody = new("IncompleteBody", 400, "You did not provide the number of bytes specified by the Content-Length HTTP header.");
    /// <summary>
    /// Not an AWS code (AWS never fills up): the WebDAV status for a full store, which SDKs do not retry, where 503
    /// SlowDown would make them back off and retry forever. MinIO answers a full store with 507 as well.
    /// </summary>
    public static readonly S3Error InsufficientStorage = new("InsufficientStorage", 507, "The store does not have enough free space to accept this write.");
    public static readonly S3Error InternalError = new("InternalError", 500, "We encountered an internal error. Please try again.");
    public static readonly S3Error InvalidAccessKeyId = new("InvalidAccessKeyId", 403, "The AWS access key Id you provided does not exist in our records.");
    public static readonly S3Error InvalidArgument = new("InvalidArgument", 400, "Invalid Argument");
    public static readonly S3Error InvalidBucketName = new("InvalidBucketName", 400, "The specified bucket is not valid.");
    public static readonly S3Error InvalidBucketState = new("InvalidBucketState", 409, "The request is not valid with the current state of the bucket.");
    /// <summary>
    /// Not in AWS's published list, but what S3 answers for aws-chunked framing it refuses; its status there is not
    /// documented, and a malformed body is a 400 like IncompleteBody.
    /// </summary>
    public static readonly S3Error InvalidChunkSizeError = new("InvalidChunkSizeError", 400, "The aws-chunked framing of the request body is not valid.");
    public static readonly S3Error InvalidDigest = new("InvalidDigest", 400, "The Content-MD5 you specified is not valid.");
    public static readonly S3Error InvalidLocationConstraint = new("InvalidLocationConstraint", 400, "The specified location constraint is not valid.");
    /// <summary>A POST policy S3 cannot read (bad base64 or JSON, a missing member); a policy a form fails is AccessDenied.</summary>
    public static readonly S3Error InvalidPolicyDocument = new("InvalidPolicyDocument", 400, "The content of the form does not meet the conditions specified in the policy document.");
    public static readonly S3Error InvalidPart = new("InvalidPart", 400, "One or more of the specified parts could not be found.");
    /// <summary>Not in AWS's published list; S3 answers it to a GET or HEAD whose partNumber the object does not have.</summary>
    public static readonly S3Error InvalidPartNumber = new("InvalidPartNumber", 416, "The requested partnumber is not satisfiable");
    public static readonly S3Error InvalidPartOrder = new("InvalidPartOrder", 400, "The list of parts was not in ascending order. The parts list must be specified in order by part number.");
    public static readonly S3Error InvalidRange = new("InvalidRange", 416, "The requested range is not satisfiable");
    public static readonly S3Error InvalidRequest = new("InvalidRequest", 400, "Invalid Request");
    public static readonly S3Error InvalidStorageClass = new("InvalidStorageClass", 400, "The storage class you specified is not valid.");
    public static readonly S3Error InvalidURI = new("InvalidURI", 400, "Couldn't parse the specified URI.");
    public static readonly S3Error KeyTooLongError = new("KeyTooLongError", 400, "Your key is too long.");
    public static readonly S3Error MalformedACLError = new("MalformedACLError", 400, "The XML you provided was not well-formed or did not validate against our published schema.");
    public static readonly S3Error MalformedPOSTRequest = new("MalformedPOSTRequest", 400, "The body of your POST request is not well-formed multipart/form-data.");
    public static readonly S3Error MalformedPolicy = new("MalformedPolicy", 400, "Policies must be valid JSON and the first byte must be '{'");
    public static readonly S3Error MalformedTrailerError = new("MalformedTrailerError", 400, "The request contained trailing data that was not well-formed or did not conform to our published schema.");
    public static readonly S3Error MalformedXML = new("MalformedXML", 400, "The XML you provided was not well-formed or did not validate against our published schema.");
    /// <summary>
    /// The code S3 sends (without the "Error" its error table adds: MaxPostPreDataLengthExceededError), with the
    /// table's message; S3's own wire message misspells it ("preceeding ... was too large").
    /// </summary>
    public static readonly S3Error MaxPostPreDataLengthExceeded = new("MaxPostPreDataLengthExceeded", 400, "Your POST request fields preceding the upload file were too large.");
    public static readonly S3Error MetadataTooLarge = new("MetadataTooLarge", 400, "Your metadata headers exceed the maximum allowed metadata size.");
    public static readonly S3Error MethodNotAllowed = new("MethodNotAllowed", 405, "The specified method is not allowed against this resource.");
    public static readonly S3Error MissingContentLength = new("MissingContentLength", 411, "You must provide the Content-Length HTTP header.");
    public static readonly S3Error MissingRequestBodyError = new("MissingRequestBodyError", 400, "Request Body is empty");
    /// <summary>Get*Configuration (analytics, inventory, metrics, intelligent tiering) of an id the bucket does not have.</summary>
    public static readonly S3Error NoSuchConfiguration = new("NoSuchConfiguration", 404, "The specified configuration does not exist.");
    public static readonly S3Error NoSuchCORSConfiguration = new("NoSuchCORSConfiguration", 404, "The CORS configuration does not exist");
    public static readonly S3Error NoSuchBucketPolicy = new("NoSuchBucketPolicy", 404, "The bucket policy does not exist");
    public static readonly S3Error NoSuchWebsiteConfiguration = new("NoSuchWebsiteConfiguration", 404, "The specified bucket does not have a website configuration");
    public static readonly S3Error NoSuchPublicAccessBlockConfiguration = new("NoSuchPublicAccessBlockConfiguration", 404, "The public access block configuration was not found");
    public static readonly S3Error ReplicationConfigurationNotFoundError = new("ReplicationConfigurationNotFoundError", 404, "The replication configuration was not found");
    public static readonly S3Error InvalidEncryptionAlgorithmError = new("InvalidEncryptionAlgorithmError", 400, "The encryption request you specified is not valid. The valid value is AES256.");
    public static readonly S3Error KMSNotFoundException = new("KMS.NotFoundException", 400, "Invalid keyId");
    public static readonly S3Error ServerSideEncryptionConfigurationNotFoundError = new("ServerSideEncryptionConfigurationNotFoundError", 404, "The server side encryption configuration was not found");
    public static readonly S3Error OwnershipControlsNotFoundError = new("OwnershipControlsNotFoundError", 404, "The bucket ownership controls were not found");
    public static readonly S3Error UnresolvableGrantByEmailAddress = new("UnresolvableGrantByEmailAddress", 400, "The email address you provided does not match any account on record.");
    public static readonly S3Error InvalidBucketAclWithObjectOwnership = new("InvalidBucketAclWithObjectOwnership", 400, "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting");
    public static readonly S3Error MissingSecurityHeader = new("MissingSecurityHeader", 400, "Your request was missing a required header.");
    public static readonly S3Error UnexpectedContent = new("UnexpectedContent", 400, "This request does not support content.");
    public static readonly S3Error InvalidTag = new("InvalidTag", 400, "The tag provided was not a valid tag.");
    public static readonly S3Error NoSuchLifecycleConfiguration = new("NoSuchLifecycleConfiguration", 404, "The lifecycle configuration does not exist.");
    public static readonly S3Error NoSuchTagSet = new("NoSuchTagSet", 404, "The TagSet does not exist");
    public static readonly S3Error InvalidToken = new("InvalidToken", 400, "The provided token is malformed or otherwise invalid.");
    public static readonly S3Error NoSuchBucket = new("NoSuchBucket", 404, "The specified bucket does not exist.");
    public static readonly S3Error NoSuchKey = new("NoSuchKey", 404, "The specified key does not exist.");
    public static readonly S3Error NoSuchObjectLockConfiguration = new("NoSuchObjectLockConfiguration", 404, "The specified object does not have a ObjectLock configuration");
    public static readonly S3Error NoSuchUpload = new("NoSuchUpload", 404, "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.");
    public static readonly S3Error NoSuchVersion = new("NoSuchVersion", 404, "The specified version does not exist.");
    public static readonly S3Error NotImplemented = new("NotImplemented", 501, "A header you provided implies functionality that is not implemented.");
    public static readonly S3Error NotModified = new("NotModified", 304, "Not Modified");
    public static readonly S3Error ObjectLockConfigurationNotFoundError = new("ObjectLockConfigurationNotFoundError", 404, "Object Lock configuration does not exist for this bucket");
    public static readonly S3Error PreconditionFailed = new("PreconditionFailed", 412, "At least one of the pre-conditions you specified did not hold.");
    public static readonly S3Error RequestTimeout = new("RequestTimeout", 400, "Your socket connection to the server was not read from or written to within the timeout period.");
    public static readonly S3Error RequestTimeTooSkewed = new("RequestTimeTooSkewed", 403, "The difference between the request time and the current time is too large.");
    public static readonly S3Error ServiceUnavailable = new("ServiceUnavailable", 503, "Reduce your request rate.");
    public static readonly S3Error SignatureDoesNotMatch = new("SignatureDoesNotMatch", 403, "The request signature we calculated does not match the signature you provided. Check your key and signing method.");
    public static readonly S3Error SlowDown = new("SlowDown", 503, "Please reduce your request rate.");
    public static readonly S3Error XAmzContentSHA256Mismatch = new("XAmzContentSHA256Mismatch", 400, "The provided 'x-amz-content-sha256' header does not match what was computed.");

    /// <summary>The one place object-layer failures become S3 errors. Quorum loss is 503 so clients retry.</summary>
    public static S3Error From(ErrorKind kind) => kind switch
    {
        ErrorKind.NoSuchBucket => NoSuchBucket,
        ErrorKind.NoSuchKey => NoSuchKey,
        ErrorKind.BucketAlreadyOwnedByYou => BucketAlreadyOwnedByYou,
        ErrorKind.BucketAlreadyExists => BucketAlreadyExists,
        ErrorKind.BucketNotEmpty => BucketNotEmpty,
        ErrorKind.InvalidBucketName => InvalidBucketName,
        ErrorKind.KeyTooLong => KeyTooLongError,
        ErrorKind.PreconditionFailed => PreconditionFailed,
        ErrorKind.BadDigest => BadDigest,
        ErrorKind.IncompleteBody => IncompleteBody,
        ErrorKind.EntityTooLarge => EntityTooLarge,
        ErrorKind.InvalidArgument => InvalidArgument,
        ErrorKind.InvalidRequest => InvalidRequest,
        ErrorKind.MalformedXml => MalformedXML,
        ErrorKind.NoSuchUpload => NoSuchUpload,
        ErrorKind.InvalidPart => InvalidPart,
        ErrorKind.InvalidPartOrder => InvalidPartOrder,
        ErrorKind.EntityTooSmall => EntityTooSmall,
        ErrorKind.ReadQuorumLost => ServiceUnavailable with { Message = "Not enough shards are available to read this object; retry later." },
        ErrorKind.InsufficientStorage => InsufficientStorage,
        ErrorKind.WriteQuorumLost => SlowDown with { Message = "Not enough storage nodes accepted the write; retry later." },
        ErrorKind.AccessDenied => AccessDenied,
        ErrorKind.NoSuchVersion => NoSuchVersion,
        ErrorKind.InvalidBucketState => InvalidBucketState,
        ErrorKind.ObjectLockConfigurationNotFound => ObjectLockConfigurationNotFoundError,
        ErrorKind.NoSuchObjectLockConfiguration => NoSuchObjectLockConfiguration,
        ErrorKind.MethodNotAllowed => MethodNotAllowed,
        ErrorKind.KmsKeyNotFound => KMSNotFoundException,
        ErrorKind.KeyUnavailable => InternalError,
        ErrorKind.ConcurrentChange => ServiceUnavailable, // retried by every SDK
        _ => InternalError,
    };
}

/// <summary>Thrown anywhere in the S3 layer to answer with an S3 error.</summary>
public sealed class S3Exception(S3Error error, string? message = null, Exception? inner = null)
    : Exception(message ?? error.Message, inner)
{
    public S3Error Error { get; } = error;

    /// <summary>Elements AWS adds to some error documents after RequestId (Region, HeadersNotSigned, ...).</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Details { get; init; } = [];

    /// <summary>Response headers the error answer carries (x-amz-delete-marker, ...).</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Headers { get; init; } = [];
}

/// <summary>An error as answered: the catalogue entry, this occurrence's message, and any extra elements.</summary>
internal sealed record S3Failure(S3Error Error, string Message, IReadOnlyList<KeyValuePair<string, string>> Details)
{
    public IReadOnlyList<KeyValuePair<string, string>> Headers { get; init; } = [];

    /// <summary>What the log says when it says more than the client is told (which key a store is missing).</summary>
    public string? LogDetail { get; init; }

    /// <summary>
    /// The answer to a failure the S3 layer knows: its own (a client's body failing among them, see
    /// <c>ClientBodyStream</c>), the object layer's typed ones, a full store. Null for anything else, which is the
    /// server's: a bare IOException is a fault here (a disk, a bug), never the client's.
    /// </summary>
    public static S3Failure? From(Exception e) => e switch
    {
        S3Exception s3 => new(s3.Error, s3.Message, s3.Details) { Headers = s3.Headers },
        ObjectStoreException { Kind: ErrorKind.KeyUnavailable } store =>
            new(S3Error.From(store.Kind), S3Error.From(store.Kind).Message, []) { LogDetail = store.Message },
        ObjectStoreException store => new(S3Error.From(store.Kind), store.Message, []),
        StoreFullException full => new(S3Error.InsufficientStorage, full.Message, []),
        // The catalogue's database is unreachable or restarting (PostgreSQL down, failing over; SQLite busy): a 503
        // that every SDK retries, never a 500. Its own message (host, port) is for the log only.
        System.Data.Common.DbException { IsTransient: true } db =>
            new(S3Error.ServiceUnavailable, "The catalogue is unavailable; retry later.", []) { LogDetail = db.Message },
        _ => null,
    };
}
