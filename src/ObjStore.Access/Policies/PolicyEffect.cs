namespace ObjStore.Access.Policies;

/// <summary>What a policy says about one request: nothing (implicit deny), allow, or an explicit deny.</summary>
public enum PolicyEffect
{
    NotApplicable,
    Allow,
    Deny,
}
