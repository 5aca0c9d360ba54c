using ObjStore.Access.Secrets;

namespace ObjStore.Kms;

/// <summary>
/// The master key that seals new secrets and data keys, and the previous ones (kept after a rotation) that still
/// open what they sealed: data keys in shard footers are never re-sealed, so a catalogue rebuilt from the nodes needs them.
/// </summary>
public sealed class MasterKeyRing(MasterKey current, IReadOnlyList<MasterKey> previous)
{
    private readonly Lock _rotating = new();
    private volatile State _state = new(current, previous);

    public MasterKey Current => _state.Current;

    public IReadOnlyList<MasterKey> Previous => _state.Previous;

    /// <summary>The key with this id (<see cref="MasterKey.SealedBy"/>), current or previous; null when not configured.</summary>
    public MasterKey? Find(uint id)
    {
        var state = _state;
        return state.Current.Id == id ? state.Current : state.Previous.FirstOrDefault(k => k.Id == id);
    }

    /// <summary>The configured key that sealed <paramref name="blob"/>; null when none did.</summary>
    public MasterKey? SealerOf(ReadOnlySpan<byte> blob) => MasterKey.SealedBy(blob) is { } id ? Find(id) : null;

    /// <summary>
    /// <paramref name="blob"/> opened with the previous key that sealed it and sealed again under the current one;
    /// null when the current key sealed it, or no configured key did.
    /// </summary>
    /// <exception cref="System.Security.Cryptography.CryptographicException">It does not open: damaged, or bound to other data.</exception>
    public byte[]? ResealUnderCurrent(byte[] blob, ReadOnlySpan<byte> associatedData)
    {
        var current = Current;
        return SealerOf(blob) is { } sealer && sealer.Id != current.Id
            ? current.Seal(sealer.Unseal(blob, associatedData), associatedData)
            : null;
    }

    /// <summary>Makes <paramref name="next"/> the current key; the current one becomes the newest previous one.</summary>
    public void Rotate(MasterKey next)
    {
        lock (_rotating)
        {
            var state = _state;
            _state = new State(next, [state.Current, .. state.Previous.Where(k => k.Id != next.Id)]);
        }
    }

    private sealed record State(MasterKey Current, IReadOnlyList<MasterKey> Previous);
}

/// <summary>Where operators put master keys, for messages that tell them.</summary>
public static class MasterKeyRingNames
{
    public const string EnvironmentVariable = "OBJSTORE_MASTER_KEY";
}
