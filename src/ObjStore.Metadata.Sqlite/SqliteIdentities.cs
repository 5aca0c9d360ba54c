using Dapper;

namespace ObjStore.Metadata.Sqlite;

internal sealed class SqliteIdentities(SqliteDatabase database, CatalogueChanges changes) : IIdentityCatalogue
{
    public Task<bool> AddUserAsync(UserRecord user) => database.WriteAsync(connection => connection.Execute(
        "INSERT INTO users(name, canonical_id, created, disabled, policy) VALUES (@Name, @CanonicalId, @created, @disabled, @Policy) ON CONFLICT DO NOTHING",
        new { user.Name, user.CanonicalId, created = user.Created.ToUnixTimeMilliseconds(), disabled = user.Disabled ? 1 : 0, user.Policy }) == 1).Announced(changes, CatalogueChange.Identities);

    public async Task<IReadOnlyList<UserRecord>> ListUsersAsync()
    {
        await using var connection = await database.OpenReaderAsync();
        var rows = await connection.QueryAsync<(string Name, string CanonicalId, long Created, long Disabled, string? Policy)>(
            "SELECT name, canonical_id, created, disabled, policy FROM users ORDER BY name");
        return [.. rows.Select(r => new UserRecord(r.Name, r.CanonicalId, DateTimeOffset.FromUnixTimeMilliseconds(r.Created), r.Disabled != 0, r.Policy))];
    }

    public Task<bool> SetDisabledAsync(string name, bool disabled) => database.WriteAsync(connection =>
        connection.Execute("UPDATE users SET disabled = @disabled WHERE name = @name", new { name, disabled = disabled ? 1 : 0 }) == 1).Announced(changes, CatalogueChange.Identities);

    public Task<bool> SetPolicyAsync(string name, string? policy) => database.WriteAsync(connection =>
        connection.Execute("UPDATE users SET policy = @policy WHERE name = @name", new { name, policy }) == 1).Announced(changes, CatalogueChange.Identities);

    public Task<bool> RemoveUserAsync(string name) => database.TransactAsync((connection, tx) =>
    {
        connection.Execute("DELETE FROM access_keys WHERE user_name = @name", new { name }, tx);
        return connection.Execute("DELETE FROM users WHERE name = @name", new { name }, tx) == 1;
    }).Announced(changes, CatalogueChange.Identities);

    public Task<bool> AddKeyAsync(AccessKeyRecord key) => database.WriteAsync(connection => connection.Execute(
        """
        INSERT INTO access_keys(access_key, user_name, secret, created)
        SELECT @AccessKey, @UserName, @SealedSecret, @created WHERE EXISTS(SELECT 1 FROM users WHERE name = @UserName)
        ON CONFLICT DO NOTHING
        """,
        new { key.AccessKey, key.UserName, key.SealedSecret, created = key.Created.ToUnixTimeMilliseconds() }) == 1).Announced(changes, CatalogueChange.Identities);

    public async Task<IReadOnlyList<AccessKeyRecord>> ListKeysAsync(string? userName = null)
    {
        await using var connection = await database.OpenReaderAsync();
        var rows = await connection.QueryAsync<(string AccessKey, string UserName, byte[] Secret, long Created)>(
            "SELECT access_key, user_name, secret, created FROM access_keys WHERE @userName IS NULL OR user_name = @userName ORDER BY created, access_key",
            new { userName });
        return [.. rows.Select(r => new AccessKeyRecord(r.AccessKey, r.UserName, r.Secret, DateTimeOffset.FromUnixTimeMilliseconds(r.Created)))];
    }

    public Task<bool> RemoveKeyAsync(string accessKey) => database.WriteAsync(connection =>
        connection.Execute("DELETE FROM access_keys WHERE access_key = @accessKey", new { accessKey }) == 1).Announced(changes, CatalogueChange.Identities);

    public Task ResealAsync(IReadOnlyList<(string AccessKey, byte[] SealedSecret)> secrets) => database.TransactAsync((connection, tx) =>
    {
        foreach (var (accessKey, sealedSecret) in secrets)
        {
            connection.Execute("UPDATE access_keys SET secret = @sealedSecret WHERE access_key = @accessKey", new { accessKey, sealedSecret }, tx);
        }
        return secrets.Count;
    });
}
