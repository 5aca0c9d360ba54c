using System.Xml.Linq;
using Microsoft.AspNetCore.Http;
using ObjStore.Access;
using static ObjStore.S3.Protocol.Xml;

namespace ObjStore.S3.Protocol;

/// <summary>ACLs on the wire: the x-amz-acl and x-amz-grant-* headers, and the AccessControlPolicy document.</summary>
internal static class AclHeaders
{
    private static readonly (string Header, AclPermission Permission)[] GrantHeaders =
    [
        ("x-amz-grant-read", AclPermission.Read),
        ("x-amz-grant-write", AclPermission.Write),
        ("x-amz-grant-read-acp", AclPermission.ReadAcp),
        ("x-amz-grant-write-acp", AclPermission.WriteAcp),
        ("x-amz-grant-full-control", AclPermission.FullControl),
    ];

    public static bool Present(IHeaderDictionary headers)
    {
        if (headers.ContainsKey("x-amz-acl"))
        {
            return true;
        }
        foreach (var (header, _) in GrantHeaders)
        {
            if (headers.ContainsKey(header))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>The ACL the headers ask for; null when they name none.</summary>
    public static AccessControlList? Parse(IHeaderDictionary headers, string ownerId, string bucketOwnerId)
    {
        string canned = headers["x-amz-acl"].ToString();
        var grants = new List<AclGrant>();
        foreach (var (header, permission) in GrantHeaders)
        {
            foreach (var value in headers[header])
            {
                foreach (var grantee in (value ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
                {
                    grants.Add(ParseGrantee(grantee, permission));
                }
            }
        }
        if (canned.Length > 0 && grants.Count > 0)
        {
            throw new S3Exception(S3Error.InvalidRequest, "Specifying both Canned ACLs and Header Grants is not allowed");
        }
        if (canned.Length > 0)
        {
            return AccessControlList.Canned(canned, ownerId, bucketOwnerId)
                ?? throw new S3Exception(S3Error.InvalidArgument, $"Argument x-amz-acl must be one of {string.Join(", ", AccessControlList.CannedNames)}")
                {
                    Details = [new("ArgumentName", "x-amz-acl"), new("ArgumentValue", canned)],
                };
        }
        return grants.Count > 0 ? new AccessControlList(ownerId, grants) : null;
    }

    /// <summary>True when the ACL is what ownership-enforced buckets still accept: the bucket owner in full control, no one else.</summary>
    public static bool IsOwnerOnly(AccessControlList acl, string bucketOwnerId) =>
        acl.Grants.All(g => g.Kind == GranteeKind.CanonicalUser && (g.Id == bucketOwnerId || g.Id == acl.OwnerId) && g.Permission == AclPermission.FullControl);

    private static AclGrant ParseGrantee(string grantee, AclPermission permission)
    {
        int equals = grantee.IndexOf('=');
        if (equals <= 0)
        {
            throw new S3Exception(S3Error.InvalidArgument, $"Invalid grantee: {grantee}");
        }
        string type = grantee[..equals].Trim();
        string value = grantee[(equals + 1)..].Trim().Trim('"');
        return type switch
        {
            "id" => new AclGrant(GranteeKind.CanonicalUser, value, permission),
            "uri" when value is AccessControlList.AllUsers or AccessControlList.AuthenticatedUsers or AccessControlList.LogDelivery
                => new AclGrant(GranteeKind.Group, value, permission),
            "emailAddress" => throw new S3Exception(S3Error.UnresolvableGrantByEmailAddress),
            _ => throw new S3Exception(S3Error.InvalidArgument, $"Invalid grantee: {grantee}"),
        };
    }
}

/// <summary>The AccessControlPolicy XML of GetBucketAcl, PutBucketAcl, GetObjectAcl and PutObjectAcl.</summary>
internal static class AclXml
{
    private static readonly XNamespace Xsi = "http://www.w3.org/2001/XMLSchema-instance";

    public static XElement Write(AccessControlList acl, Func<string, string?> displayName) =>
        El("AccessControlPolicy",
            El("Owner", El("ID", acl.OwnerId), displayName(acl.OwnerId) is { } owner ? El("DisplayName", owner) : null),
            El("AccessControlList", acl.Grants.Select(g => El("Grant",
                g.Kind == GranteeKind.CanonicalUser
                    ? El("Grantee", new XAttribute(XNamespace.Xmlns + "xsi", Xsi), new XAttribute(Xsi + "type", "CanonicalUser"),
                        El("ID", g.Id), displayName(g.Id) is { } name ? El("DisplayName", name) : null)
                    : El("Grantee", new XAttribute(XNamespace.Xmlns + "xsi", Xsi), new XAttribute(Xsi + "type", "Group"), El("URI", g.Id)),
                El("Permission", PermissionName(g.Permission))))));

    /// <summary>A PutBucketAcl/PutObjectAcl body; MalformedACLError for anything S3's schema does not allow.</summary>
    public static AccessControlList Read(byte[] body, string ownerId)
    {
        XElement root;
        try
        {
            root = Parse(body);
        }
        catch (S3Exception)
        {
            throw new S3Exception(S3Error.MalformedACLError);
        }
        if (root.Name.LocalName != "AccessControlPolicy" || Children(root, "AccessControlList").FirstOrDefault() is not { } list)
        {
            throw new S3Exception(S3Error.MalformedACLError);
        }
        if (Children(root, "Owner").FirstOrDefault() is { } owner && ChildValue(owner, "ID") is { } id && id != ownerId)
        {
            throw new S3Exception(S3Error.AccessDenied, "The Owner of an access control policy cannot be changed.");
        }
        var grants = new List<AclGrant>();
        foreach (var grant in list.Elements())
        {
            if (grant.Name.LocalName != "Grant" || Children(grant, "Grantee").FirstOrDefault() is not { } grantee
                || ParsePermission(ChildValue(grant, "Permission")) is not { } permission)
            {
                throw new S3Exception(S3Error.MalformedACLError);
            }
            string? type = grantee.Attribute(Xsi + "type")?.Value;
            grants.Add(type switch
            {
                "CanonicalUser" when ChildValue(grantee, "ID") is { Length: > 0 } userId => new AclGrant(GranteeKind.CanonicalUser, userId, permission),
                "Group" when ChildValue(grantee, "URI") is AccessControlList.AllUsers or AccessControlList.AuthenticatedUsers or AccessControlList.LogDelivery
                    => new AclGrant(GranteeKind.Group, ChildValue(grantee, "URI")!, permission),
                "AmazonCustomerByEmail" => throw new S3Exception(S3Error.UnresolvableGrantByEmailAddress),
                _ => throw new S3Exception(S3Error.MalformedACLError),
            });
        }
        return new AccessControlList(ownerId, grants);
    }

    private static string PermissionName(AclPermission permission) => permission switch
    {
        AclPermission.Read => "READ",
        AclPermission.Write => "WRITE",
        AclPermission.ReadAcp => "READ_ACP",
        AclPermission.WriteAcp => "WRITE_ACP",
        _ => "FULL_CONTROL",
    };

    private static AclPermission? ParsePermission(string? name) => name switch
    {
        "READ" => AclPermission.Read,
        "WRITE" => AclPermission.Write,
        "READ_ACP" => AclPermission.ReadAcp,
        "WRITE_ACP" => AclPermission.WriteAcp,
        "FULL_CONTROL" => AclPermission.FullControl,
        _ => null,
    };
}
