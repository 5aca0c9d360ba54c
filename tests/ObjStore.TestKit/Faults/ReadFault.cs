using ObjStore.Core;

namespace ObjStore.TestKit.Faults;

/// <summary>The three ways a shard read goes wrong, for tests that run every read path under each of them.</summary>
public enum ReadFault
{
    /// <summary>The store does not answer.</summary>
    Unavailable,

    /// <summary>The store answers that it has no such shard.</summary>
    NotFound,

    /// <summary>The store returns bytes that fail their checksum.</summary>
    Corrupt,
}

public static class ReadFaults
{
    /// <summary>A store in front of <paramref name="store"/> whose reads fail as <paramref name="fault"/> says, while enabled.</summary>
    public static ShardStoreDecorator Make(ReadFault fault, IShardStore store) => fault switch
    {
        ReadFault.Unavailable => FailingShardStore.Unavailable(store, ShardCalls.Reads),
        ReadFault.NotFound => FailingShardStore.NotFound(store, ShardCalls.Reads),
        _ => new CorruptingShardStore(store),
    };
}
