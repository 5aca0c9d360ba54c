using System.Security.Cryptography;
using System.Text;
using ObjStore.Access;

namespace ObjStore.Hosting;

/// <summary>
/// The key pairs of the configuration file, each acting as the root user, until users are read from the catalogue.
/// The canonical id is the one listings already show for a key (SHA-256 of the access key), so Owner stays stable.
/// </summary>
internal sealed class ConfiguredCredentials(IReadOnlyDictionary<string, string> keys) : ICredentialStore
{
    public Credential? Find(string accessKey) =>
        keys.TryGetValue(accessKey, out var secret)
            ? new Credential(accessKey, secret, Principal.Root(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(accessKey)))), null)
            : null;
}
