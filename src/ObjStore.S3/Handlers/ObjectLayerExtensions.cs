using ObjStore.Core;
using ObjStore.S3.Protocol;

namespace ObjStore.S3.Handlers;

internal static class ObjectLayerExtensions
{
    /// <summary>The bucket, for operations that must answer NoSuchBucket before anything else.</summary>
    public static async Task<BucketInfo> RequireBucketAsync(this IObjectLayer objects, string bucket, CancellationToken ct) =>
        await objects.GetBucketAsync(bucket, ct) ?? throw new S3Exception(S3Error.NoSuchBucket);

    /// <summary>The version a read names (or the latest), refused as S3 refuses a delete marker.</summary>
    public static async Task<ObjectInfo> ReadableVersionAsync(this IObjectLayer objects, string bucket, string key, string? versionId, CancellationToken ct)
    {
        var info = await objects.GetObjectInfoAsync(bucket, key, versionId, ct);
        return info.IsDeleteMarker ? throw Versions.DeleteMarkerReached(info, named: versionId is not null) : info;
    }
}
