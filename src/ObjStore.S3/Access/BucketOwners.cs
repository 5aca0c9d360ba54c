using System.Xml.Linq;
using ObjStore.Access;
using static ObjStore.S3.Protocol.Responses;

namespace ObjStore.S3.Access;

/// <summary>
/// The Owner elements of a bucket's listings: an object's owner is the bucket owner, unless the bucket's ACLs are
/// enabled and another user wrote it (<see cref="ObjStore.Core.ObjectSummary.Owner"/>).
/// </summary>
internal sealed class BucketOwners(BucketSettingsCache settings, S3Authorizer authorizer, ICredentialStore identities)
{
    /// <summary>The bucket's owner (NoSuchBucket is the listing's to report: an unknown bucket gets the root's id).</summary>
    public async ValueTask<XElement> ElementAsync(string bucket, CancellationToken ct)
    {
        var found = await settings.GetAsync(bucket, ct);
        string id = found is null ? identities.RootCanonicalId : authorizer.OwnerOf(found.Info);
        return Owner(id, identities.DisplayName(id));
    }

    /// <summary>The entry's Owner: <paramref name="bucketOwner"/>, or the writer that owns it.</summary>
    public XElement Of(ObjStore.Core.ObjectSummary entry, XElement bucketOwner) =>
        entry.Owner is { } writer ? Owner(writer, identities.DisplayName(writer)) : bucketOwner;
}
