using System.Collections.Frozen;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using ObjStore.Access;
using ObjStore.Access.Policies;
using ObjStore.Kms;
using ObjStore.Core;
using ObjStore.Metadata;

namespace ObjStore.Hosting;

/// <summary>
/// Every access key and the principal it acts as, kept in memory (secrets unsealed only here) so authentication
/// never reads the catalogue: reloaded after each change this gateway makes and every
/// <see cref="StoreOptions.IdentityRefreshInterval"/> for changes made elsewhere. Identity policies are parsed once
/// per load, never per request.
/// </summary>
public sealed partial class IdentityDirectory : ICredentialStore
{
    private readonly IIdentityCatalogue _catalogue;
    private readonly MasterKeyRing _masterKeys;
    private readonly IReadOnlyList<Credential> _rootKeys;
    private readonly string _rootName;
    private readonly ILogger _logger;
    private volatile Snapshot _snapshot;
    private readonly OneAtATime _reloads = new();

    /// <param name="rootAccessKey">The root user's key (ObjStore:AccessKey): its canonical id is derived from it.</param>
    /// <param name="rootKeys">Every configured key pair (ObjStore:AccessKey/SecretKey and ObjStore:S3:Credentials): all act as the root user.</param>
    public IdentityDirectory(IIdentityCatalogue catalogue, MasterKeyRing masterKeys, string rootAccessKey, IReadOnlyDictionary<string, string> rootKeys, ILogger<IdentityDirectory> logger)
    {
        _catalogue = catalogue;
        _masterKeys = masterKeys;
        _logger = logger;
        _rootName = "root"; // never the access key: Owner elements are shown to whoever may list a bucket
        RootCanonicalId = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(rootAccessKey)));
        var root = Principal.Root(RootCanonicalId, _rootName);
        _rootKeys = [.. rootKeys.Select(k => new Credential(k.Key, k.Value, root, null))];
        _snapshot = new Snapshot(_rootKeys.ToFrozenDictionary(k => k.AccessKey, StringComparer.Ordinal),
            new Dictionary<string, string> { [RootCanonicalId] = _rootName }.ToFrozenDictionary(StringComparer.Ordinal));
    }

    public string RootCanonicalId { get; }

    public Credential? Find(string accessKey) => _snapshot.Keys.GetValueOrDefault(accessKey);

    public string? DisplayName(string canonicalId) => _snapshot.Names.GetValueOrDefault(canonicalId);

    /// <summary>
    /// Reads every user and key again, after any reload already running (an admin change's, a notification's, the
    /// periodic one) has finished; a key whose secret cannot be unsealed is left out (and logged).
    /// </summary>
    public Task ReloadAsync() => _reloads.RunAsync(LoadAsync);

    private async Task LoadAsync()
    {
        var users = (await _catalogue.ListUsersAsync()).ToDictionary(u => u.Name, StringComparer.Ordinal);
        var keys = _rootKeys.ToDictionary(k => k.AccessKey, StringComparer.Ordinal);
        var names = new Dictionary<string, string>(StringComparer.Ordinal) { [RootCanonicalId] = _rootName };
        var policies = new Dictionary<string, PolicyDocument?>(StringComparer.Ordinal);
        foreach (var user in users.Values)
        {
            names[user.CanonicalId] = user.Name;
            policies[user.Name] = ParsePolicy(user);
        }
        foreach (var key in await _catalogue.ListKeysAsync())
        {
            if (!users.TryGetValue(key.UserName, out var user) || user.Disabled || keys.ContainsKey(key.AccessKey))
            {
                continue;
            }
            try
            {
                string secret = Encoding.UTF8.GetString(Unseal(key.SealedSecret, Encoding.UTF8.GetBytes(key.AccessKey)));
                keys[key.AccessKey] = new Credential(key.AccessKey, secret, Principal.User(user.Name, user.CanonicalId), policies[user.Name]);
            }
            catch (CryptographicException)
            {
                LogUnsealFailed(_logger, key.AccessKey, key.UserName);
            }
        }
        _snapshot = new Snapshot(keys.ToFrozenDictionary(StringComparer.Ordinal), names.ToFrozenDictionary(StringComparer.Ordinal));
    }

    /// <summary>A secret sealed under the current or a previous master key (one not yet re-sealed after a rotation).</summary>
    private byte[] Unseal(byte[] sealedSecret, byte[] associated) =>
        _masterKeys.SealerOf(sealedSecret)?.Unseal(sealedSecret, associated)
        ?? throw new CryptographicException("The secret was sealed under a master key that is not configured.");

    /// <summary>
    /// Re-seals every secret sealed under a previous master key under the current one (the second half of a
    /// rotation); returns how many were re-sealed.
    /// </summary>
    public async Task<int> ResealAsync()
    {
        var resealed = new List<(string, byte[])>();
        foreach (var key in await _catalogue.ListKeysAsync())
        {
            try
            {
                if (_masterKeys.ResealUnderCurrent(key.SealedSecret, Encoding.UTF8.GetBytes(key.AccessKey)) is { } fresh)
                {
                    resealed.Add((key.AccessKey, fresh));
                }
            }
            catch (CryptographicException)
            {
                LogUnsealFailed(_logger, key.AccessKey, key.UserName); // damaged or moved: left as it is, and refused
            }
        }
        if (resealed.Count > 0)
        {
            await _catalogue.ResealAsync(resealed);
        }
        return resealed.Count;
    }

    /// <summary>Seals a new key's secret for the catalogue.</summary>
    public byte[] Seal(string accessKey, string secret) => _masterKeys.Current.Seal(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(accessKey));

    private PolicyDocument? ParsePolicy(UserRecord user)
    {
        if (user.Policy is null)
        {
            return null;
        }
        try
        {
            return PolicyDocument.Parse(user.Policy, PolicyKind.Identity);
        }
        catch (MalformedPolicyException e)
        {
            // Stored policies were validated when set; one that no longer parses grants nothing rather than failing the load.
            LogBadPolicy(_logger, user.Name, e.Message);
            return PolicyDocument.Parse("""{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]}""", PolicyKind.Identity);
        }
    }

    private sealed record Snapshot(FrozenDictionary<string, Credential> Keys, FrozenDictionary<string, string> Names);

    [LoggerMessage(EventId = 3001, Level = LogLevel.Error, Message = "The secret of access key {AccessKey} (user {User}) cannot be unsealed with the master key: the key is disabled until the right master key is configured")]
    private static partial void LogUnsealFailed(ILogger logger, string accessKey, string user);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Error, Message = "The identity policy of user {User} does not parse ({Reason}): the user is denied everything")]
    private static partial void LogBadPolicy(ILogger logger, string user, string reason);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Warning, Message = "Reloading users and keys failed: {Reason}")]
    private static partial void LogReloadFailed(ILogger logger, string reason);

    /// <summary>Loads the directory before requests are served (re-sealing secrets after a rotation), then keeps it fresh.</summary>
    internal sealed class Refresher(IdentityDirectory directory, TimeSpan interval, TimeProvider clock) : BackgroundService
    {
        public override async Task StartAsync(CancellationToken cancellationToken)
        {
            await directory.ResealAsync();
            await directory.ReloadAsync();
            await base.StartAsync(cancellationToken);
        }

        protected override async Task ExecuteAsync(CancellationToken stoppingToken)
        {
            using var timer = new PeriodicTimer(interval, clock);
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    await directory.ReloadAsync();
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    LogReloadFailed(directory._logger, e.Message); // the last good snapshot stays in use
                }
            }
        }
    }
}
