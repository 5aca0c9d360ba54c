namespace ObjStore.Access.Policies;

/// <summary>One compiled statement; the checks run cheapest and most selective first (action, resource).</summary>
internal sealed class PolicyStatement
{
    /// <summary>
    /// The keys whose fixed values make a grant to everyone non-public (AWS "The meaning of public"), compared
    /// case-insensitively as condition keys are.
    /// </summary>
    private static readonly HashSet<string> PinningKeys = new(StringComparer.OrdinalIgnoreCase)
    {
        "aws:SourceIp", "aws:SourceArn", "aws:SourceVpc", "aws:SourceVpce", "aws:SourceOwner", "aws:SourceAccount",
        "aws:PrincipalArn", "aws:PrincipalAccount", "aws:PrincipalOrgID", "aws:userid", "aws:username",
        "s3:x-amz-server-side-encryption-aws-kms-key-id", "s3:DataAccessPointArn", "s3:DataAccessPointAccount",
    };

    private readonly PolicyPattern[] _actions;
    private readonly PolicyPattern[] _resources;
    private readonly ConditionClause[] _conditions;
    private readonly PrincipalSet? _principals;

    /// <summary>Whether a condition reads the tags of the object the request acts on (which costs a catalogue read).</summary>
    public bool ReadsExistingObjectTags { get; }

    public PolicyStatement(string? sid, bool deny, PrincipalSet? principals, bool notPrincipal, PolicyPattern[] actions,
        bool notAction, PolicyPattern[] resources, bool notResource, ConditionClause[] conditions)
    {
        Sid = sid;
        IsDeny = deny;
        _principals = principals;
        NotPrincipal = notPrincipal;
        _actions = actions;
        NotAction = notAction;
        _resources = resources;
        NotResource = notResource;
        _conditions = conditions;
        ReadsExistingObjectTags = Array.Exists(conditions, c => c.Key.StartsWith("s3:ExistingObjectTag/", StringComparison.OrdinalIgnoreCase));
        IsPublicGrant = !deny && principals is not null && (notPrincipal || principals.Everyone)
            && !Array.Exists(conditions, IsPinning);
    }

    public string? Sid { get; }

    public bool IsDeny { get; }

    public bool NotPrincipal { get; }

    public bool NotAction { get; }

    public bool NotResource { get; }

    /// <summary>An Allow to everyone (or to all but some, via NotPrincipal) that no condition pins to fixed values.</summary>
    public bool IsPublicGrant { get; }

    public IReadOnlyList<PolicyPattern> Resources => _resources;

    /// <summary>
    /// A condition pins a grant when a request can only satisfy it by carrying one of a few fixed values of a key
    /// that identifies the caller or its network: a positive operator without IfExists or a set qualifier (both are
    /// satisfied by an absent key), no wildcard, no variable, and for aws:SourceIp no block as wide as /0.
    /// </summary>
    private static bool IsPinning(ConditionClause clause)
    {
        if (clause.Negated || clause.IfExists || clause.Qualifier != SetQualifier.None || !PinningKeys.Contains(clause.Key))
        {
            return false;
        }
        if (clause.Family == OperatorFamily.IpAddress)
        {
            for (int i = 0; i < clause.Ranges.Count; i++)
            {
                if (clause.Ranges[i].IsEverything)
                {
                    return false;
                }
            }
            return clause.Key.Equals("aws:SourceIp", StringComparison.OrdinalIgnoreCase);
        }
        if (clause.Family is not (OperatorFamily.String or OperatorFamily.Arn))
        {
            return false;
        }
        for (int i = 0; i < clause.Values.Count; i++)
        {
            if (clause.Values[i].AsSpan().IndexOfAny('*', '?', '$') >= 0)
            {
                return false;
            }
        }
        return true;
    }

    public bool Matches(AccessRequest request)
    {
        var conditions = request.Conditions;
        if (MatchesAny(_actions, request.Action, conditions) == NotAction)
        {
            return false;
        }
        bool unresolved = false;
        bool resourceMatched = false;
        for (int i = 0; i < _resources.Length; i++)
        {
            // Every pattern is tried: a variable that cannot be resolved voids the statement, listed first or not.
            var result = _resources[i].Match(request.Resource, conditions);
            resourceMatched |= result == PatternMatch.Match;
            unresolved |= result == PatternMatch.Unresolved;
        }
        if (unresolved || resourceMatched == NotResource)
        {
            return false;
        }
        if (_principals is not null && _principals.Contains(request.Principal) == NotPrincipal)
        {
            return false;
        }
        for (int i = 0; i < _conditions.Length; i++)
        {
            if (!_conditions[i].Evaluate(conditions, ref unresolved) || unresolved)
            {
                return false;
            }
        }
        return true;
    }

    private static bool MatchesAny(PolicyPattern[] patterns, string value, ConditionContext conditions)
    {
        for (int i = 0; i < patterns.Length; i++)
        {
            if (patterns[i].Match(value, conditions) == PatternMatch.Match)
            {
                return true;
            }
        }
        return false;
    }
}
