using System.Xml.Linq;
using ObjStore.Access;
using ObjStore.Core;
using static ObjStore.S3.Protocol.Responses;

namespace ObjStore.S3.Access;

/// <summary>
/// The Owner elements of a bucket's listings: an object's owner is the bucket owner, unless the bucket's ACLs are
/// enabled and another user wrote it (<see cref="ObjectSummary.Owner"/>).
/// </summary>
internal sealed class BucketOwners(BucketSettingsCache settings, S3Authorizer authorizer, ICredentialStore identities)
{
    /// <summary>The owners of one bucket's entries (NoSuchBucket is the listing's to report).</summary>
    public async ValueTask<Listing> ForAsync(string bucket, CancellationToken ct)
    {
        var found = await settings.GetAsync(bucket, ct);
        var access = found is null ? null : authorizer.AccessOf(found);
        string id = access?.OwnerId ?? identities.RootCanonicalId;
        return new Listing(Owner(id, identities.DisplayName(id)), access?.AclsEnabled ?? false, identities);
    }

    public sealed class Listing(XElement bucketOwner, bool aclsEnabled, ICredentialStore identities)
    {
        public XElement BucketOwner => bucketOwner;

        /// <summary>The entry's Owner: the writer that owns it, while the bucket's ACLs are enabled; else the bucket owner.</summary>
        public XElement Of(ObjectSummary entry) => Of(entry.Owner);

        /// <summary>An owner as <see cref="ObjectInfo.Owner"/> records it (an upload's, too).</summary>
        public XElement Of(string? owner) =>
            aclsEnabled && owner is { } writer ? Owner(writer, identities.DisplayName(writer)) : bucketOwner;
    }
}
