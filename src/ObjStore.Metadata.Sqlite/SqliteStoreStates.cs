using Dapper;

namespace ObjStore.Metadata.Sqlite;

internal sealed class SqliteStoreStates(SqliteDatabase database, CatalogueChanges changes) : IStoreStateCatalogue
{
    public Task SetStateAsync(string storeId, string state) => database.WriteAsync(connection =>
        connection.Execute(
            "INSERT INTO store_states(store_id, state, changed) VALUES (@storeId, @state, @now) ON CONFLICT(store_id) DO UPDATE SET state = @state, changed = @now",
            new { storeId, state, now = database.Now() })).Announced(changes, CatalogueChange.StoreStates);

    public async Task<IReadOnlyDictionary<string, string>> StatesAsync()
    {
        await using var connection = await database.OpenReaderAsync();
        return (await connection.QueryAsync<(string Id, string State)>("SELECT store_id, state FROM store_states"))
            .ToDictionary(r => r.Id, r => r.State, StringComparer.Ordinal);
    }

    public Task<string?> SwapInstanceAsync(string storeId, string instance) => database.TransactAsync((connection, tx) =>
    {
        string? previous = connection.QuerySingleOrDefault<string>("SELECT instance FROM store_instances WHERE store_id = @storeId", new { storeId }, tx);
        connection.Execute(
            "INSERT INTO store_instances(store_id, instance, seen) VALUES (@storeId, @instance, @now) ON CONFLICT(store_id) DO UPDATE SET instance = excluded.instance, seen = excluded.seen",
            new { storeId, instance, now = database.Now() }, tx);
        return previous;
    });
}
