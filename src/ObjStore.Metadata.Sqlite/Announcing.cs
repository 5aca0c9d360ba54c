namespace ObjStore.Metadata.Sqlite;

internal static class Announcing
{
    /// <summary>
    /// The write's result, after telling this process's followers of the change once it committed. A SQLite catalogue
    /// has one gateway (the data folder's lock), so in process is everyone who caches it.
    /// </summary>
    public static async Task<T> Announced<T>(this Task<T> write, CatalogueChanges changes, CatalogueChange change)
    {
        var result = await write;
        changes.Raise(change);
        return result;
    }
}
