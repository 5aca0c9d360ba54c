using Microsoft.Data.Sqlite;
using ObjStore.Metadata.Sqlite;

namespace ObjStore.Metadata.Tests;

/// <summary>The catalogue contract over SQLite, plus what is SQLite's own: its schema version.</summary>
public sealed class SqliteCatalogueTests : CatalogueContract
{
    private string? _dir;

    protected override ICatalogue Open(TimeProvider clock)
    {
        _dir ??= Directory.CreateTempSubdirectory("objstore-catalogue-").FullName;
        return new SqliteCatalogue(Path.Combine(_dir, "catalogue.db"), clock, synchronousFull: false);
    }

    protected override ICatalogue OpenCopy(string path) => new SqliteCatalogue(path, Clock, synchronousFull: false);

    public override void Dispose()
    {
        base.Dispose();
        SqliteConnection.ClearAllPools();
        Directory.Delete(_dir!, recursive: true);
    }

    [Fact]
    public void ACatalogueFromANewerBuildIsRefusedNotMigratedDown()
    {
        string path = Path.Combine(_dir!, "newer.db");
        new SqliteCatalogue(path, Clock).Dispose();
        using (var connection = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA user_version = 999";
            command.ExecuteNonQuery();
        }
        var refused = Assert.Throws<InvalidOperationException>(() => new SqliteCatalogue(path, Clock));
        Assert.Contains("newer", refused.Message, StringComparison.Ordinal);
    }
}
