using Dapper;

namespace ObjStore.Metadata.Postgres;

internal sealed class PostgresKeys(PostgresDatabase database) : IKeyCatalogue
{
    public Task<bool> AddKmsKeyAsync(KmsKeyRecord key) => database.WriteAsync(connection => connection.Execute(
        "INSERT INTO kms_keys(key_id, sealed, created) VALUES (@KeyId, @Sealed, @created) ON CONFLICT DO NOTHING",
        new { key.KeyId, key.Sealed, created = key.Created.ToUnixTimeMilliseconds() }) == 1);

    public async Task<KmsKeyRecord?> GetKmsKeyAsync(string keyId)
    {
        await using var connection = await database.OpenReaderAsync();
        var row = await connection.QueryFirstOrDefaultAsync<(string KeyId, byte[] Sealed, long Created)>(
            "SELECT key_id, sealed, created FROM kms_keys WHERE key_id = @keyId", new { keyId });
        return row.KeyId is null ? null : new KmsKeyRecord(row.KeyId, row.Sealed, DateTimeOffset.FromUnixTimeMilliseconds(row.Created));
    }

    public async Task<IReadOnlyList<KmsKeyRecord>> ListKmsKeysAsync()
    {
        await using var connection = await database.OpenReaderAsync();
        var rows = await connection.QueryAsync<(string KeyId, byte[] Sealed, long Created)>("SELECT key_id, sealed, created FROM kms_keys ORDER BY key_id");
        return [.. rows.Select(r => new KmsKeyRecord(r.KeyId, r.Sealed, DateTimeOffset.FromUnixTimeMilliseconds(r.Created)))];
    }

    public Task<bool> ResealKmsKeyAsync(string keyId, byte[] old, byte[] resealed) => database.WriteAsync(connection => connection.Execute(
        "UPDATE kms_keys SET sealed = @resealed WHERE key_id = @keyId AND sealed = @old", new { keyId, old, resealed }) == 1);

    public async Task<long> CountDataKeysAsync()
    {
        await using var connection = await database.OpenReaderAsync();
        return await connection.ExecuteScalarAsync<long>(
            """
            SELECT (SELECT COUNT(*) FROM objects WHERE sealed_key IS NOT NULL AND parts_count = 0)
                 + (SELECT COUNT(*) FROM parts WHERE sealed_key IS NOT NULL)
            """);
    }

    public async Task<IReadOnlyList<SealedDataKey>> ListDataKeysAsync(string? afterDataId, int limit)
    {
        await using var connection = await database.OpenReaderAsync();
        var rows = await connection.QueryAsync<(string DataId, byte[] Sealed)>(
            """
            SELECT data_id, sealed_key FROM (
                SELECT data_id, sealed_key FROM objects WHERE sealed_key IS NOT NULL AND parts_count = 0 AND data_id > @after
                UNION ALL
                SELECT data_id, sealed_key FROM parts WHERE sealed_key IS NOT NULL AND data_id > @after) AS keys
            ORDER BY data_id LIMIT @limit
            """, new { after = afterDataId ?? "", limit });
        return [.. rows.Select(r => new SealedDataKey(r.DataId, r.Sealed))];
    }

    public async Task<bool> AnyDataKeySealedByAsync(uint sealerId)
    {
        // A sealed blob is [1: format][4: sealer id, big-endian][...]: bytes 2 to 5 in substr's counting.
        byte[] id = [(byte)(sealerId >> 24), (byte)(sealerId >> 16), (byte)(sealerId >> 8), (byte)sealerId];
        await using var connection = await database.OpenReaderAsync();
        return await connection.ExecuteScalarAsync<bool>(
            """
            SELECT EXISTS(SELECT 1 FROM objects WHERE parts_count = 0 AND sealed_key IS NOT NULL AND substr(sealed_key, 2, 4) = @id)
                OR EXISTS(SELECT 1 FROM parts WHERE sealed_key IS NOT NULL AND substr(sealed_key, 2, 4) = @id)
            """, new { id });
    }

    public Task<int> ResealDataKeysAsync(IReadOnlyList<(string DataId, byte[] Old, byte[] Resealed)> keys) => database.TransactAsync((connection, tx) =>
    {
        int replaced = 0;
        foreach (var (dataId, old, resealed) in keys)
        {
            var args = new { dataId, old, resealed };
            replaced += connection.Execute(
                "UPDATE objects SET sealed_key = @resealed WHERE data_id = @dataId AND parts_count = 0 AND sealed_key = @old", args, tx);
            replaced += connection.Execute("UPDATE parts SET sealed_key = @resealed WHERE data_id = @dataId AND sealed_key = @old", args, tx);
        }
        return replaced;
    });
}
