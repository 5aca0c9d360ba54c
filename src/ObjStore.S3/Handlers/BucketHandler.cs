using Microsoft.AspNetCore.Http;
using ObjStore.Core;
using static ObjStore.S3.Protocol.Responses;
using static ObjStore.S3.Protocol.Xml;

namespace ObjStore.S3.Handlers;

/// <summary>
/// The bucket operations: ListBuckets, CreateBucket, DeleteBucket, HeadBucket, GetBucketLocation, and the reads of
/// bucket settings this store answers truthfully before it can change them: versioning (never enabled) and Object Lock
/// (not configured).
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
        await objects.CreateBucketAsync(call.Bucket, ct);
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
        _ = await objects.RequireBucketAsync(call.Bucket, ct);
        await WriteXmlAsync(call.Response, El("VersioningConfiguration"));
    }

    public async Task GetObjectLockConfigurationAsync(Call call, CancellationToken ct)
    {
        _ = await objects.RequireBucketAsync(call.Bucket, ct);
        throw new S3Exception(S3Error.ObjectLockConfigurationNotFoundError);
    }

    public async Task GetBucketLocationAsync(Call call, CancellationToken ct)
    {
        _ = await objects.RequireBucketAsync(call.Bucket, ct);
        await WriteXmlAsync(call.Response, El("LocationConstraint", options.Region == "us-east-1" ? null : options.Region));
    }
}
