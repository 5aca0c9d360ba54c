using ObjStore.Access;

namespace ObjStore.S3.Tests;

/// <summary>One key pair acting as the root user: what tests of authentication and of the handler sign with.</summary>
internal sealed class OneKey(string key, string secret) : ICredentialStore
{
    public Credential? Find(string accessKey) =>
        accessKey == key ? new Credential(key, secret, Principal.Root("root"), null) : null;
}
