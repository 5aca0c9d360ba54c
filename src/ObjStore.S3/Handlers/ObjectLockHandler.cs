using ObjStore.Core;
using ObjStore.S3.Protocol;
using static ObjStore.S3.Protocol.Responses;
using static ObjStore.S3.Protocol.Xml;

namespace ObjStore.S3.Handlers;

/// <summary>
/// A version's Object Lock: PutObjectRetention, GetObjectRetention, PutObjectLegalHold, GetObjectLegalHold. The
/// rules themselves (what may be shortened, by whom) are the catalogue's, applied in the transaction that changes them.
/// </summary>
internal sealed class ObjectLockHandler(IObjectLayer objects, RequestBodies bodies)
{
    public async Task PutObjectRetentionAsync(Call call, CancellationToken ct)
    {
        string? versionId = Versions.Parse(call.Request.QueryValue("versionId"));
        ObjectLockProtocol.RequireIntegrity(call.Http.Headers);
        var retention = ObjectLockProtocol.ParseRetention(Parse(await bodies.ReadSmallAsync(call, ct)));
        await objects.SetObjectRetentionAsync(call.Bucket, call.Key, versionId, retention, ObjectLockProtocol.Bypass(call.Http.Headers), ct);
    }

    public async Task GetObjectRetentionAsync(Call call, CancellationToken ct)
    {
        var info = await LockedVersionAsync(call, ct);
        await WriteXmlAsync(call.Response, ObjectLockProtocol.Retention(info.Lock.Retention
            ?? throw new S3Exception(S3Error.NoSuchObjectLockConfiguration)));
    }

    public async Task PutObjectLegalHoldAsync(Call call, CancellationToken ct)
    {
        string? versionId = Versions.Parse(call.Request.QueryValue("versionId"));
        ObjectLockProtocol.RequireIntegrity(call.Http.Headers);
        bool legalHold = ObjectLockProtocol.ParseLegalHold(Parse(await bodies.ReadSmallAsync(call, ct)));
        await objects.SetObjectLegalHoldAsync(call.Bucket, call.Key, versionId, legalHold, ct);
    }

    public async Task GetObjectLegalHoldAsync(Call call, CancellationToken ct)
    {
        var info = await LockedVersionAsync(call, ct);
        await WriteXmlAsync(call.Response, ObjectLockProtocol.LegalHold(info.Lock.LegalHold
            ?? throw new S3Exception(S3Error.NoSuchObjectLockConfiguration)));
    }

    /// <summary>The version named, in a bucket with Object Lock; a delete marker has no lock to read.</summary>
    private async Task<ObjectInfo> LockedVersionAsync(Call call, CancellationToken ct)
    {
        string? versionId = Versions.Parse(call.Request.QueryValue("versionId"));
        var bucket = await objects.RequireBucketAsync(call.Bucket, ct);
        if (!bucket.ObjectLockEnabled)
        {
            throw new S3Exception(S3Error.InvalidRequest, "Bucket is missing Object Lock Configuration");
        }
        return await objects.ReadableVersionAsync(call.Bucket, call.Key, versionId, ct);
    }
}
