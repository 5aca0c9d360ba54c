using System.Text.Json;
using System.Text.Json.Serialization;

namespace ObjStore.Access;

/// <summary>The permissions an ACL grant gives (S3's names, upper case on the wire).</summary>
#pragma warning disable CA1711 // S3 calls it a permission
public enum AclPermission
{
    Read,
    Write,
    ReadAcp,
    WriteAcp,
    FullControl,
}
#pragma warning restore CA1711

/// <summary>A grantee: a canonical user or one of S3's two groups we honour.</summary>
public enum GranteeKind
{
    CanonicalUser,
    Group,
}

public sealed record AclGrant(GranteeKind Kind, string Id, AclPermission Permission);

/// <summary>
/// An access control list: an owner (canonical id) and grants. Stored as JSON in the catalogue; canned ACLs expand to
/// grants as AWS documents them ("Canned ACL" in the S3 user guide).
/// </summary>
public sealed record AccessControlList(string OwnerId, IReadOnlyList<AclGrant> Grants)
{
    public const string AllUsers = "http://acs.amazonaws.com/groups/global/AllUsers";
    public const string AuthenticatedUsers = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers";
    public const string LogDelivery = "http://acs.amazonaws.com/groups/s3/LogDelivery";

    public static readonly IReadOnlyList<string> CannedNames =
    [
        "private", "public-read", "public-read-write", "authenticated-read", "aws-exec-read",
        "bucket-owner-read", "bucket-owner-full-control", "log-delivery-write",
    ];

    private static readonly JsonSerializerOptions Json = new() { Converters = { new JsonStringEnumConverter() } };

    /// <summary>The owner with full control: what every bucket and object starts with.</summary>
    public static AccessControlList Private(string ownerId) => new(ownerId, [new AclGrant(GranteeKind.CanonicalUser, ownerId, AclPermission.FullControl)]);

    /// <summary>A canned ACL; null for a name S3 does not define.</summary>
    public static AccessControlList? Canned(string name, string ownerId, string bucketOwnerId)
    {
        var owner = new AclGrant(GranteeKind.CanonicalUser, ownerId, AclPermission.FullControl);
        AclGrant[]? grants = name switch
        {
            "private" => [owner],
            "public-read" => [owner, new(GranteeKind.Group, AllUsers, AclPermission.Read)],
            "public-read-write" => [owner, new(GranteeKind.Group, AllUsers, AclPermission.Read), new(GranteeKind.Group, AllUsers, AclPermission.Write)],
            "authenticated-read" => [owner, new(GranteeKind.Group, AuthenticatedUsers, AclPermission.Read)],
            "aws-exec-read" => [owner], // the EC2 service principal it grants has no counterpart here
            "bucket-owner-read" => ownerId == bucketOwnerId ? [owner] : [owner, new(GranteeKind.CanonicalUser, bucketOwnerId, AclPermission.Read)],
            "bucket-owner-full-control" => ownerId == bucketOwnerId ? [owner] : [owner, new(GranteeKind.CanonicalUser, bucketOwnerId, AclPermission.FullControl)],
            "log-delivery-write" => [owner, new(GranteeKind.Group, LogDelivery, AclPermission.Write), new(GranteeKind.Group, LogDelivery, AclPermission.ReadAcp)],
            _ => null,
        };
        return grants is null ? null : new AccessControlList(ownerId, grants);
    }

    /// <summary>True when a grant gives <paramref name="needed"/> to the principal (FULL_CONTROL gives every permission).</summary>
    public bool Allows(Principal principal, AclPermission needed, bool ignorePublicGrants)
    {
        foreach (var grant in Grants)
        {
            if ((grant.Permission == needed || grant.Permission == AclPermission.FullControl) && Covers(grant, principal, ignorePublicGrants))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>Grants anything to AllUsers or AuthenticatedUsers (what BlockPublicAcls refuses and IgnorePublicAcls ignores).</summary>
    public bool IsPublic => Grants.Any(IsPublicGrant);

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static AccessControlList FromJson(string json) =>
        JsonSerializer.Deserialize<AccessControlList>(json, Json) is { OwnerId: not null, Grants: not null } acl && acl.Grants.All(g => g is { Id: not null })
            ? acl
            : throw new JsonException("not an ACL");

    private static bool IsPublicGrant(AclGrant grant) => grant.Kind == GranteeKind.Group && grant.Id is AllUsers or AuthenticatedUsers;

    private static bool Covers(AclGrant grant, Principal principal, bool ignorePublicGrants) => grant.Kind switch
    {
        GranteeKind.CanonicalUser => !principal.IsAnonymous && grant.Id == principal.CanonicalId,
        _ when ignorePublicGrants && IsPublicGrant(grant) => false,
        _ => grant.Id == AllUsers || (grant.Id == AuthenticatedUsers && !principal.IsAnonymous),
    };
}
