using Microsoft.AspNetCore.Http;
using ObjStore.Core;
using ObjStore.S3.Protocol;
using static ObjStore.S3.Protocol.Responses;
using static ObjStore.S3.Protocol.Xml;

namespace ObjStore.S3.Handlers;

/// <summary>
/// The bucket operations: ListBuckets, CreateBucket, DeleteBucket, HeadBucket, GetBucketLocation, and the bucket's
/// versioning and Object Lock configuration.
/// </summary>
internal sealed class BucketHandler(IObjectLayer objects, S3Options options, RequestBodies bodies)
{
    public async Task ListBucketsAsync(Call call, CancellationToken ct)
    {
        var buckets = (await objects.ListBucketsAsync(ct)).Where(b => !Naming.IsSystemBucket(b.Name));
        await WriteXmlAsync(call.Response, El("ListAllMyBucketsResult",
            Owner(call.Auth),
            El("Buckets", buckets.Select(b => El("Bucket", El("Name", b.Name), El("CreationDate", Timestamp(b.Created)))))));
    }

    public async Task CreateBucketAsync(Call call, CancellationToken ct)
    {
        var body = await bodies.ReadSmallAsync(call, ct);
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
        bool objectLock = string.Equals(call.Http.Headers["x-amz-bucket-object-lock-enabled"].ToString(), "true", StringComparison.OrdinalIgnoreCase);
        await objects.CreateBucketAsync(call.Bucket, objectLock, "", new Dictionary<string, string>(), ct);
        call.Response.Headers.Location = "/" + call.Bucket;
    }

    public async Task DeleteBucketAsync(Call call, CancellationToken ct)
    {
        await objects.DeleteBucketAsync(call.Bucket, ct);
        call.Response.StatusCode = StatusCodes.Status204NoContent;
    }

    public async Task HeadBucketAsync(Call call, CancellationToken ct)
    {
        _ = await objects.RequireBucketAsync(call.Bucket, ct);
        call.Response.Headers["x-amz-bucket-region"] = options.Region;
    }

    /// <summary>A bucket whose versioning was never enabled answers an empty configuration, as S3 does.</summary>
    public async Task GetBucketVersioningAsync(Call call, CancellationToken ct)
    {
        var bucket = await objects.RequireBucketAsync(call.Bucket, ct);
        await WriteXmlAsync(call.Response, El("VersioningConfiguration",
            bucket.Versioning == VersioningState.Unversioned ? null : El("Status", bucket.Versioning.ToString())));
    }

    /// <summary>Enabled or Suspended; MFA delete is not supported, so a configuration asking for it is refused.</summary>
    public async Task PutBucketVersioningAsync(Call call, CancellationToken ct)
    {
        var body = await bodies.ReadSmallAsync(call, ct);
        if (body.Length == 0)
        {
            throw new S3Exception(S3Error.MissingRequestBodyError);
        }
        var root = Parse(body);
        if (root.Name.LocalName != "VersioningConfiguration" || root.Elements().Any(e => e.Name.LocalName is not ("Status" or "MfaDelete")))
        {
            throw new S3Exception(S3Error.MalformedXML);
        }
        switch (ChildValue(root, "MfaDelete"))
        {
            case null or "" or "Disabled" when !call.Http.Headers.ContainsKey("x-amz-mfa"):
                break;
            case null or "" or "Disabled" or "Enabled":
                throw new S3Exception(S3Error.NotImplemented, "MFA delete is not supported by this store.");
            default:
                throw new S3Exception(S3Error.MalformedXML);
        }
        var state = Children(root, "Status").ToList() switch
        {
            [] => throw new S3Exception(S3Error.IllegalVersioningConfigurationException),
            [{ Value: "" }] => throw new S3Exception(S3Error.IllegalVersioningConfigurationException),
            [{ Value: "Enabled" }] => VersioningState.Enabled,
            [{ Value: "Suspended" }] => VersioningState.Suspended,
            _ => throw new S3Exception(S3Error.MalformedXML),
        };
        await objects.SetBucketVersioningAsync(call.Bucket, state, ct);
    }

    public async Task GetObjectLockConfigurationAsync(Call call, CancellationToken ct)
    {
        var bucket = await objects.RequireBucketAsync(call.Bucket, ct);
        if (!bucket.ObjectLockEnabled)
        {
            throw new S3Exception(S3Error.ObjectLockConfigurationNotFoundError);
        }
        await WriteXmlAsync(call.Response, ObjectLockProtocol.Configuration(bucket.DefaultRetention));
    }

    public async Task PutObjectLockConfigurationAsync(Call call, CancellationToken ct)
    {
        ObjectLockProtocol.RequireIntegrity(call.Http.Headers);
        var retention = ObjectLockProtocol.ParseConfiguration(Parse(await bodies.ReadSmallAsync(call, ct)));
        await objects.SetObjectLockConfigurationAsync(call.Bucket, retention, ct);
    }

    public async Task GetBucketLocationAsync(Call call, CancellationToken ct)
    {
        _ = await objects.RequireBucketAsync(call.Bucket, ct);
        await WriteXmlAsync(call.Response, El("LocationConstraint", options.Region == "us-east-1" ? null : options.Region));
    }
}
