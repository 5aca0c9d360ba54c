using System.Text.Json;

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
    private readonly PolicyStatement[] _statements;

    private PolicyDocument(string text, PolicyStatement[] statements)
    {
        Text = text;
        _statements = statements;
        IsPublic = Array.Exists(statements, s => s.IsPublicGrant);
        ReadsExistingObjectTags = Array.Exists(statements, s => s.ReadsExistingObjectTags);
    }

    /// <summary>
    /// Whether a condition reads s3:ExistingObjectTag/KEY: the tags of the object a request acts on, which the caller
    /// then looks up for object requests, and only then.
    /// </summary>
    public bool ReadsExistingObjectTags { get; }

    /// <summary>The document as stored and returned by GetBucketPolicy.</summary>
    public string Text { get; }

    /// <summary>True when some Allow statement grants anyone (see AWS's "The meaning of public").</summary>
    public bool IsPublic { get; }

    /// <exception cref="MalformedPolicyException">The policy does not parse or breaks the grammar.</exception>
    public static PolicyDocument Parse(string json, PolicyKind kind)
    {
        if (string.IsNullOrEmpty(json) || !json.AsSpan().TrimStart().StartsWith("{", StringComparison.Ordinal))
        {
            throw new MalformedPolicyException(PolicyParser.NotJson);
        }
        try
        {
            // Duplicate names are refused rather than resolved: "Effect": "Deny", "Effect": "Allow" must not be read
            // one way here and another way by whoever reviewed the policy.
            using var document = JsonDocument.Parse(json, new JsonDocumentOptions { AllowDuplicateProperties = false });
            return new PolicyDocument(json, PolicyParser.ParseStatements(document.RootElement, kind));
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or ArgumentException or FormatException)
        {
            // Invalid JSON, and strings with unpaired surrogates that JsonElement.GetString refuses.
            throw new MalformedPolicyException(PolicyParser.NotJson);
        }
    }

    /// <summary>True when every Resource of the policy lies in <paramref name="bucket"/> (the bucket or its objects).</summary>
    public bool AppliesOnlyTo(string bucket)
    {
        string bucketArn = AccessRequest.BucketArn(bucket);
        foreach (var statement in _statements)
        {
            if (statement.NotResource)
            {
                return false;
            }
            foreach (var resource in statement.Resources)
            {
                string text = resource.Text;
                if (text != bucketArn
                    && !(text.StartsWith(bucketArn, StringComparison.Ordinal) && text.Length > bucketArn.Length && text[bucketArn.Length] == '/'))
                {
                    return false;
                }
            }
        }
        return true;
    }

    /// <summary>Deny if a matching statement denies, else Allow if one allows, else NotApplicable.</summary>
    /// <param name="ignorePublicGrants">Skip the statements that make the policy public (RestrictPublicBuckets).</param>
    public PolicyEffect Evaluate(AccessRequest request, bool ignorePublicGrants = false)
    {
        ArgumentNullException.ThrowIfNull(request);
        bool allowed = false;
        var statements = _statements;
        for (int i = 0; i < statements.Length; i++)
        {
            var statement = statements[i];
            if (ignorePublicGrants && statement.IsPublicGrant)
            {
                continue;
            }
            if (statement.IsDeny)
            {
                if (statement.Matches(request))
                {
                    return PolicyEffect.Deny;
                }
            }
            else if (!allowed && statement.Matches(request))
            {
                allowed = true;
            }
        }
        return allowed ? PolicyEffect.Allow : PolicyEffect.NotApplicable;
    }
}
