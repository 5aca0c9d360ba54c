namespace ObjStore.S3;

public sealed class S3Options
{
    /// <summary>The region clients sign for and GetBucketLocation reports.</summary>
    public string Region { get; set; } = "us-east-1";

    /// <summary>Host names under which "bucket.domain" is a virtual-hosted-style request.</summary>
    public List<string> Domains { get; set; } = ["localhost"];

    /// <summary>Access key to secret key.</summary>
    public Dictionary<string, string> Credentials { get; set; } = [];

    /// <summary>
    /// New buckets start with every public access block setting on, as AWS's do since April 2023: a public bucket
    /// policy or ACL then needs DeletePublicAccessBlock (or a PutPublicAccessBlock turning them off) first.
    /// </summary>
    public bool BlockPublicAccessOnNewBuckets { get; set; } = true;

    /// <summary>
    /// Accept AWS Signature Version 2 (the <c>AWS AccessKeyId:Signature</c> header, presigned URLs with
    /// AWSAccessKeyId/Expires/Signature, POST forms with AWSAccessKeyId/signature): aws-cli 1.x presigns with it by
    /// default, boto 2 and older tools sign everything with it. Off, such a request gets AWS's answer for a region
    /// without SigV2: 400 InvalidRequest, "Please use AWS4-HMAC-SHA256".
    /// </summary>
    public bool AllowSignatureV2 { get; set; } = true;

    /// <summary>
    /// Accept SSE-C keys over plain HTTP. S3 refuses them (the key would cross the network in clear text); set it
    /// only for development and tests on loopback, or behind a proxy that terminates TLS on the same host.
    /// </summary>
    public bool AllowCustomerKeysOverHttp { get; set; }

    /// <summary>
    /// The longest a gateway serves a bucket's settings (policy, ACL, CORS, versioning, ...) without reading them
    /// again. Changes made through any gateway reach the others at once by the catalogue's notifications; this bounds
    /// the staleness when one is lost.
    /// </summary>
    public TimeSpan BucketSettingsMaxAge { get; set; } = Access.BucketSettingsCache.DefaultMaxAge;

    /// <summary>The slowest request bodies accepted (ObjStore:S3:Uploads:*).</summary>
    public Auth.UploadRateOptions Uploads { get; set; } = new();
}
