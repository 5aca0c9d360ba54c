using ObjStore.Access.Policies;

namespace ObjStore.Access;

/// <summary>
/// The authorization decision, in AWS's order (docs/access.md): the root user may do anything; otherwise an explicit
/// Deny in the user's identity policy or the bucket policy denies; else an Allow in either allows; else, in a bucket
/// whose ACLs are enabled, a grant of the ACL permission the action needs allows; else the request is denied.
/// All users belong to this one store (one account, in AWS's terms), so an identity policy alone can grant access to
/// another user's bucket, as an IAM user's policy does within its account.
/// </summary>
public static class AccessDecision
{
    /// <param name="bucket">The bucket's access settings; null for ListAllMyBuckets or a bucket that does not exist.</param>
    /// <param name="aclPermission">The ACL permission that grants the action, if an ACL can grant it at all.</param>
    /// <param name="acl">The ACL that permission is looked up in: the bucket's, or for an object action the object's.</param>
    public static bool IsAllowed(AccessRequest request, PolicyDocument? identityPolicy, BucketAccess? bucket, AclPermission? aclPermission, AccessControlList? acl)
    {
        var principal = request.Principal;
        if (principal.Kind == PrincipalKind.Root)
        {
            return true;
        }
        var identity = principal.Kind == PrincipalKind.User && identityPolicy is not null ? identityPolicy.Evaluate(request) : PolicyEffect.NotApplicable;
        var publicAccess = bucket?.PublicAccessBlock ?? PublicAccessBlock.None;
        // RestrictPublicBuckets: a public policy still serves the store's users, never anonymous requests.
        var resource = bucket?.Policy?.Evaluate(request, ignorePublicGrants: publicAccess.RestrictPublicBuckets && principal.IsAnonymous)
            ?? PolicyEffect.NotApplicable;
        if (identity == PolicyEffect.Deny || resource == PolicyEffect.Deny)
        {
            return false;
        }
        if (identity == PolicyEffect.Allow || resource == PolicyEffect.Allow)
        {
            return true;
        }
        return bucket is { AclsEnabled: true } && aclPermission is { } permission && acl is not null
            && acl.Allows(principal, permission, ignorePublicGrants: publicAccess.IgnorePublicAcls);
    }

    /// <summary>
    /// True when only an ACL could still allow the request (no policy denied or allowed it): the caller then fetches
    /// an object's ACL, which costs a catalogue read, only in that case.
    /// </summary>
    public static bool NeedsObjectAcl(AccessRequest request, PolicyDocument? identityPolicy, BucketAccess? bucket)
    {
        if (request.Principal.Kind == PrincipalKind.Root || bucket is not { AclsEnabled: true })
        {
            return false;
        }
        var identity = request.Principal.Kind == PrincipalKind.User && identityPolicy is not null ? identityPolicy.Evaluate(request) : PolicyEffect.NotApplicable;
        var resource = bucket.Policy?.Evaluate(request, ignorePublicGrants: bucket.PublicAccessBlock.RestrictPublicBuckets && request.Principal.IsAnonymous)
            ?? PolicyEffect.NotApplicable;
        return identity == PolicyEffect.NotApplicable && resource == PolicyEffect.NotApplicable;
    }
}
