using Amazon.S3;
using Amazon.S3.Model;

namespace ObjStore.TestKit;

/// <summary>Reading whole bodies back: an S3 GET, or any stream.</summary>
public static class Downloads
{
    /// <summary>Every byte left in <paramref name="stream"/>.</summary>
    public static async Task<byte[]> ReadAllAsync(Stream stream, CancellationToken cancellationToken = default)
    {
        using var buffer = new MemoryStream();
        await stream.CopyToAsync(buffer, cancellationToken);
        return buffer.ToArray();
    }

    /// <summary>The object's bytes (or the <paramref name="range"/> of them) through the SDK.</summary>
    public static async Task<byte[]> GetBytesAsync(this IAmazonS3 s3, string bucket, string key, ByteRange? range = null)
    {
        using var response = await s3.GetObjectAsync(new GetObjectRequest { BucketName = bucket, Key = key, ByteRange = range });
        return await ReadAllAsync(response.ResponseStream);
    }
}
