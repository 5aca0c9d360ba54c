using System.Xml.Linq;
using ObjStore.Access;
using static ObjStore.S3.Protocol.Responses;

namespace ObjStore.S3.Access;

/// <summary>The Owner element of a bucket's listings: its owner's canonical id and display name.</summary>
internal sealed class BucketOwners(BucketSettingsCache settings, S3Authorizer authorizer, ICredentialStore identities)
{
    /// <summary>The bucket's owner (NoSuchBucket is the listing's to report: an unknown bucket gets the root's id).</summary>
    public async ValueTask<XElement> ElementAsync(string bucket, CancellationToken ct)
    {
        var found = await settings.GetAsync(bucket, ct);
        string id = found is null ? identities.RootCanonicalId : authorizer.OwnerOf(found.Info);
        return Owner(id, identities.DisplayName(id));
    }
}
