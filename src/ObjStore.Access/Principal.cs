namespace ObjStore.Access;

public enum PrincipalKind
{
    /// <summary>No credentials: only what a policy or ACL grants everyone.</summary>
    Anonymous,

    /// <summary>The configured key pair: every permission, no policy applies.</summary>
    Root,

    /// <summary>A user with access keys, limited by its identity policy.</summary>
    User,
}

/// <summary>
/// Who a request acts as. Each user is its own owner (like an AWS account with one user): it owns the buckets it
/// creates, and its canonical id is the Owner in listings and ACLs.
/// </summary>
public sealed record Principal(PrincipalKind Kind, string Name, string CanonicalId)
{
    public static readonly Principal Anonymous = new(PrincipalKind.Anonymous, "anonymous", "65a011a29cdf8ec533ec3d1ccaae921c");

    /// <summary>The root user's ARN; users are <c>arn:aws:iam:::user/NAME</c>.</summary>
    public const string RootArn = "arn:aws:iam:::root";

    /// <summary>The root user, under the display name listings show for it.</summary>
    public static Principal Root(string canonicalId, string displayName) => new(PrincipalKind.Root, displayName, canonicalId);

    public static Principal User(string name, string canonicalId) => new(PrincipalKind.User, name, canonicalId);

    public string Arn => Kind switch
    {
        PrincipalKind.Root => RootArn,
        PrincipalKind.User => UserArn(Name),
        _ => "*",
    };

    public bool IsAnonymous => Kind == PrincipalKind.Anonymous;

    public static string UserArn(string name) => "arn:aws:iam:::user/" + name;
}
