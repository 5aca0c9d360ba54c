using Microsoft.AspNetCore.Http;
using ObjStore.Core;
using ObjStore.S3.Access;
using ObjStore.S3.Cors;
using ObjStore.S3.Protocol;
using static ObjStore.S3.Protocol.Responses;

namespace ObjStore.S3.Handlers;

/// <summary>GetBucketCors, PutBucketCors and DeleteBucketCors: the bucket's cors sub-resource.</summary>
internal sealed class CorsHandler(BucketSettingsCache settings, RequestBodies bodies)
{
    public async Task GetBucketCorsAsync(Call call, CancellationToken ct)
    {
        var bucket = await RequireAsync(call.Bucket, ct);
        var configuration = bucket.Parsed(BucketConfigKinds.Cors, CorsResponder.Parse) ?? throw new S3Exception(S3Error.NoSuchCORSConfiguration);
        await WriteXmlAsync(call.Response, configuration.ToXml());
    }

    /// <summary>
    /// Replaces the configuration. Stored in its canonical form, so what GetBucketCors answers is what was accepted,
    /// whatever namespace, whitespace or element order the client sent.
    /// </summary>
    public async Task PutBucketCorsAsync(Call call, CancellationToken ct)
    {
        _ = await RequireAsync(call.Bucket, ct);
        // S3 wants proof of a configuration's integrity, as for Object Lock: Content-MD5 or a flexible checksum.
        ObjectLockProtocol.RequireIntegrity(call.Http.Headers);
        var body = await bodies.ReadSmallAsync(call, ct);
        if (body.Length == 0)
        {
            throw new S3Exception(S3Error.MissingRequestBodyError);
        }
        var configuration = CorsConfiguration.Parse(body);
        await settings.PutConfigAsync(call.Bucket, BucketConfigKinds.Cors, configuration.ToDocument(), ct);
    }

    /// <summary>204 whether or not there was a configuration, as S3 answers.</summary>
    public async Task DeleteBucketCorsAsync(Call call, CancellationToken ct)
    {
        _ = await RequireAsync(call.Bucket, ct);
        _ = await settings.DeleteConfigAsync(call.Bucket, BucketConfigKinds.Cors, ct);
        call.Response.StatusCode = StatusCodes.Status204NoContent;
    }

    private async Task<BucketSettings> RequireAsync(string bucket, CancellationToken ct) =>
        await settings.GetAsync(bucket, ct) ?? throw new S3Exception(S3Error.NoSuchBucket);
}
