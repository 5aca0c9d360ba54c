using ObjStore.Access.Policies;

namespace ObjStore.Access;

/// <summary>An access key as authentication sees it: the secret (in memory only), who it acts as, and its policy.</summary>
public sealed record Credential(string AccessKey, string Secret, Principal Principal, PolicyDocument? IdentityPolicy);

/// <summary>Access keys by id: the root key pair and every enabled user's keys. Lookups are on every request.</summary>
public interface ICredentialStore
{
    /// <summary>The key, or null when there is no such key or its user is disabled.</summary>
    Credential? Find(string accessKey);

    /// <summary>The display name of a canonical id (a user's name; the root user's access key); null when unknown.</summary>
    string? DisplayName(string canonicalId);

    /// <summary>The root user's canonical id: the owner of buckets it created.</summary>
    string RootCanonicalId { get; }
}
