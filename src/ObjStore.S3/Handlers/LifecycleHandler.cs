using Microsoft.AspNetCore.Http;
using ObjStore.Core;
using ObjStore.Lifecycle;
using ObjStore.S3.Access;
using ObjStore.S3.Protocol;
using static ObjStore.S3.Protocol.Responses;

namespace ObjStore.S3.Handlers;

/// <summary>
/// Get/Put/DeleteBucketLifecycleConfiguration. The rules are stored as the bucket's <c>lifecycle</c> document and run
/// by the lifecycle job (ObjStore.Jobs); what a request sees of them is <see cref="LifecycleHeaders"/>.
/// </summary>
internal sealed class LifecycleHandler(BucketSettingsCache settings, RequestBodies bodies)
{
    private const string MinimumSizeHeader = "x-amz-transition-default-minimum-object-size";

    public async Task GetAsync(Call call, CancellationToken ct)
    {
        var bucket = await settings.GetAsync(call.Bucket, ct) ?? throw new S3Exception(S3Error.NoSuchBucket);
        var config = LifecycleHeaders.ConfigurationOf(bucket) ?? throw new S3Exception(S3Error.NoSuchLifecycleConfiguration);
        call.Response.Headers[MinimumSizeHeader] = config.TransitionDefaultMinimumObjectSize ?? LifecycleProtocol.TransitionMinimumSizes[0];
        await WriteXmlAsync(call.Response, LifecycleProtocol.ToXml(config));
    }

    public async Task PutAsync(Call call, CancellationToken ct)
    {
        string? minimumSize = call.Http.Headers[MinimumSizeHeader].ToString() is { Length: > 0 } given ? given : null;
        if (minimumSize is not null && !LifecycleProtocol.TransitionMinimumSizes.Contains(minimumSize))
        {
            throw new S3Exception(S3Error.InvalidArgument, $"The {MinimumSizeHeader} header must be one of {string.Join(", ", LifecycleProtocol.TransitionMinimumSizes)}.");
        }
        var body = await bodies.ReadSmallAsync(call, ct);
        if (body.Length == 0)
        {
            throw new S3Exception(S3Error.MissingRequestBodyError);
        }
        var config = LifecycleProtocol.FromXml(body) with { TransitionDefaultMinimumObjectSize = minimumSize };
        await settings.PutConfigAsync(call.Bucket, BucketConfigKinds.Lifecycle, config.ToJson(), ct);
        call.Response.Headers[MinimumSizeHeader] = minimumSize ?? LifecycleProtocol.TransitionMinimumSizes[0];
    }

    public async Task DeleteAsync(Call call, CancellationToken ct)
    {
        await settings.DeleteConfigAsync(call.Bucket, BucketConfigKinds.Lifecycle, ct);
        call.Response.StatusCode = StatusCodes.Status204NoContent;
    }
}

/// <summary>
/// What responses say of the bucket's lifecycle rules: x-amz-expiration on PUT, copy, completion, GET and HEAD of a
/// current version a rule will expire, and x-amz-abort-date with x-amz-abort-rule-id on CreateMultipartUpload and
/// ListParts for an upload a rule will abort. The rules come parsed from the bucket settings cache, so this costs no catalogue read.
/// </summary>
internal sealed class LifecycleHeaders(BucketSettingsCache settings, LifecycleClock clock)
{
    public static LifecycleConfiguration? ConfigurationOf(BucketSettings bucket) =>
        bucket.Parsed(BucketConfigKinds.Lifecycle, LifecycleConfiguration.FromJson);

    public async ValueTask WriteExpirationAsync(HttpResponse response, ObjectInfo info, CancellationToken ct)
    {
        if (info.IsDeleteMarker || !info.IsLatest || await ConfigurationAsync(info.Bucket, ct) is not { } config)
        {
            return;
        }
        if (LifecycleJudge.CurrentExpiry(config, info.Key, info.Size, info.Tags, info.LastModified, clock) is { } expiry)
        {
            response.Headers["x-amz-expiration"] = LifecycleProtocol.ExpirationHeader(expiry.Due, expiry.RuleId);
        }
    }

    public async ValueTask WriteAbortAsync(HttpResponse response, MultipartUpload upload, CancellationToken ct)
    {
        if (await ConfigurationAsync(upload.Bucket, ct) is { } config && LifecycleJudge.AbortDue(config, upload.Key, upload.Initiated, clock) is { } abort)
        {
            response.Headers["x-amz-abort-date"] = HttpDates.Format(abort.Due);
            response.Headers["x-amz-abort-rule-id"] = HeaderValues.ForResponse("x-amz-abort-rule-id", abort.RuleId);
        }
    }

    private async ValueTask<LifecycleConfiguration?> ConfigurationAsync(string bucket, CancellationToken ct) =>
        await settings.GetAsync(bucket, ct) is { } found ? ConfigurationOf(found) : null;
}
