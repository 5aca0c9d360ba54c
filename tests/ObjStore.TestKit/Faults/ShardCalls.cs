namespace ObjStore.TestKit.Faults;

/// <summary>The calls of an <see cref="Core.IShardStore"/> (and its writers and readers) a fault applies to.</summary>
[Flags]
public enum ShardCalls
{
    None = 0,

    /// <summary><see cref="Core.IShardStore.CreateAsync"/>.</summary>
    Create = 1,

    /// <summary><see cref="Core.IShardWriter.WriteAsync"/>.</summary>
    Write = 2,

    /// <summary><see cref="Core.IShardWriter.CommitAsync"/>.</summary>
    Commit = 4,

    /// <summary><see cref="Core.IShardStore.OpenAsync"/>.</summary>
    Open = 8,

    /// <summary><see cref="Core.IShardReader.ReadAsync"/> and <see cref="Core.IShardReader.ReadBlockAsync"/>.</summary>
    Read = 16,

    Delete = 32,
    List = 64,
    Health = 128,

    Writes = Create | Write | Commit,
    Reads = Open | Read,
    All = Writes | Reads | Delete | List | Health,
}
