using ObjStore.Access;

namespace ObjStore.S3.Tests;

/// <summary>Root key pairs given up front: what the authenticator looks keys up in, without a catalogue.</summary>
internal sealed class StaticCredentials(IReadOnlyDictionary<string, string> rootKeys) : ICredentialStore
{
    public string RootCanonicalId => "root-canonical-id";

    public Credential? Find(string accessKey) =>
        rootKeys.TryGetValue(accessKey, out var secret) ? new(accessKey, secret, Principal.Root(RootCanonicalId, accessKey), null) : null;

    public string? DisplayName(string canonicalId) => canonicalId == RootCanonicalId ? "root" : null;
}
