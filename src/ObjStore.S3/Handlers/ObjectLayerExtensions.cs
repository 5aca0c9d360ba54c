using ObjStore.Core;

namespace ObjStore.S3.Handlers;

internal static class ObjectLayerExtensions
{
    /// <summary>The bucket, for operations that must answer NoSuchBucket before anything else.</summary>
    public static async Task<BucketInfo> RequireBucketAsync(this IObjectLayer objects, string bucket, CancellationToken ct) =>
        await objects.GetBucketAsync(bucket, ct) ?? throw new S3Exception(S3Error.NoSuchBucket);
}
