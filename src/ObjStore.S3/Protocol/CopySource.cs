namespace ObjStore.S3.Protocol;

/// <summary>The x-amz-copy-source header of CopyObject and UploadPartCopy.</summary>
internal static class CopySource
{
    /// <summary>The source's bucket and key; a versionId may name its null version (<see cref="Versions"/>), anything else is refused.</summary>
    public static (string Bucket, string Key) Parse(string header)
    {
        string value = header;
        int question = value.IndexOf('?');
        if (question >= 0)
        {
            if (!value[(question + 1)..].StartsWith("versionId=", StringComparison.Ordinal))
            {
                throw new S3Exception(S3Error.InvalidArgument, "Invalid copy source.");
            }
            Versions.RequireNull(S3Request.PercentDecode(value[(question + 1 + "versionId=".Length)..], plusIsSpace: false));
            value = value[..question];
        }
        value = S3Request.PercentDecode(value, plusIsSpace: false).TrimStart('/');
        int slash = value.IndexOf('/');
        if (slash <= 0 || slash == value.Length - 1)
        {
            throw new S3Exception(S3Error.InvalidArgument, "Copy Source must mention the source bucket and key: sourcebucket/sourcekey");
        }
        return (S3Request.ClientBucket(value[..slash]), value[(slash + 1)..]);
    }
}
