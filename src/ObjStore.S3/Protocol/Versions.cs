namespace ObjStore.S3.Protocol;

/// <summary>
/// Version ids in requests. Until versioning can be enabled every object is its key's <c>null</c> version: a request
/// naming any other version must fail, never act on the object that is there (a DELETE of an old version must not
/// delete the current one).
/// </summary>
internal static class Versions
{
    public const string Null = "null";

    public static void RequireNull(string? versionId)
    {
        if (versionId is null || versionId == Null)
        {
            return;
        }
        throw new S3Exception(S3Error.InvalidArgument, versionId.Length == 0 ? "Version id cannot be the empty string" : "Invalid version id specified");
    }
}
