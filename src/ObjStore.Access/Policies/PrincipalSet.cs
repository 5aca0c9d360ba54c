namespace ObjStore.Access.Policies;

/// <summary>
/// The Principal (or NotPrincipal) of a statement. Users are kept by name, so matching a user never builds its ARN;
/// Service and Federated principals parse but never match, since no request here acts as one.
/// </summary>
internal sealed class PrincipalSet
{
    private const string UserArnPrefix = "arn:aws:iam:::user/";

    private readonly HashSet<string> _userNames = new(StringComparer.Ordinal);
    private readonly HashSet<string> _canonicalIds = new(StringComparer.Ordinal);
    private bool _root;

    /// <summary>"*" or {"AWS": "*"}: everyone, anonymous requests included.</summary>
    public bool Everyone { get; private set; }

    public void AddAws(string value)
    {
        if (value == "*")
        {
            Everyone = true;
        }
        else if (value == Principal.RootArn)
        {
            _root = true;
        }
        else if (value.StartsWith(UserArnPrefix, StringComparison.Ordinal))
        {
            _userNames.Add(value[UserArnPrefix.Length..]);
        }
        else if (value.StartsWith("arn:", StringComparison.OrdinalIgnoreCase) || (value.Length == 12 && value.All(char.IsAsciiDigit)))
        {
            // An ARN or an AWS account id naming a principal this store does not have (arn:aws:iam::123456789012:user/x,
            // a role, an account): it could never match, and in a Deny that would silently protect nothing.
            throw new MalformedPolicyException("Invalid principal in policy");
        }
        else
        {
            // An AWS principal may also name an owner by canonical id.
            _canonicalIds.Add(value);
        }
    }

    public void AddCanonicalUser(string value) => _canonicalIds.Add(value);

    public void AddEveryone() => Everyone = true;

    public bool Contains(Principal principal)
    {
        if (Everyone)
        {
            return true;
        }
        return principal.Kind switch
        {
            PrincipalKind.Root => _root || _canonicalIds.Contains(principal.CanonicalId),
            PrincipalKind.User => _userNames.Contains(principal.Name) || _canonicalIds.Contains(principal.CanonicalId),
            _ => false,
        };
    }
}
