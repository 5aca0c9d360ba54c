namespace ObjStore.Access.Policies;

/// <summary>Where a policy is attached: to an identity (no Principal allowed) or to a bucket (Principal required).</summary>
public enum PolicyKind
{
    Identity,
    Resource,
}

/// <summary>A policy that does not parse or breaks the policy grammar; the message is the reason AWS would give.</summary>
public sealed class MalformedPolicyException(string reason) : Exception(reason);

/// <summary>
/// An IAM policy document (bucket policy or identity policy), parsed and compiled once when stored, evaluated on every
/// request without allocating per statement.
/// </summary>
public sealed class PolicyDocument
{
    private PolicyDocument(string text) => Text = text;

    /// <summary>The document as stored and returned by GetBucketPolicy.</summary>
    public string Text { get; }

    /// <summary>True when some Allow statement grants anyone (see AWS's "The meaning of public").</summary>
    public bool IsPublic => throw new NotImplementedException();

    /// <exception cref="MalformedPolicyException">The policy does not parse or breaks the grammar.</exception>
    public static PolicyDocument Parse(string json, PolicyKind kind) => throw new NotImplementedException(json + kind);

    /// <summary>True when every Resource of the policy lies in <paramref name="bucket"/> (the bucket or its objects).</summary>
    public bool AppliesOnlyTo(string bucket) => throw new NotImplementedException(bucket);

    /// <summary>Deny if a matching statement denies, else Allow if one allows, else NotApplicable.</summary>
    /// <param name="ignorePublicGrants">Skip the statements that make the policy public (RestrictPublicBuckets).</param>
    public PolicyEffect Evaluate(AccessRequest request, bool ignorePublicGrants = false) => throw new NotImplementedException(request + "" + ignorePublicGrants + Text);
}
