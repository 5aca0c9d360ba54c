using ObjStore.Access;

namespace ObjStore.S3.Tests;

/// <summary>Root key pairs by access key, for authenticators built in tests.</summary>
internal sealed class TestCredentials(IReadOnlyDictionary<string, string> keys) : ICredentialStore
{
    public Credential? Find(string accessKey) =>
        keys.TryGetValue(accessKey, out var secret) ? new(accessKey, secret, Principal.Root("root-" + accessKey), null) : null;
}
