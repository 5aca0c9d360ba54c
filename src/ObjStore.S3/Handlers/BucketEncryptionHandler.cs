using ObjStore.Core;

namespace ObjStore.S3.Handlers;

/// <summary>
/// GetBucketEncryption. The store has no server-side encryption yet, so every bucket answers as an S3 bucket without
/// a default encryption configuration; Put/DeleteBucketEncryption stay 501 until encryption is implemented, and this
/// handler is where its configuration will be read.
/// </summary>
internal sealed class BucketEncryptionHandler(IObjectLayer objects)
{
    public async Task GetBucketEncryptionAsync(Call call, CancellationToken ct)
    {
        _ = await objects.RequireBucketAsync(call.Bucket, ct);
        throw new S3Exception(S3Error.ServerSideEncryptionConfigurationNotFoundError);
    }
}
