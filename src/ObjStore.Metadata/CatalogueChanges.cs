namespace ObjStore.Metadata;

/// <summary>What a committed change touched, as far as gateways cache it.</summary>
public enum CatalogueChangeKind
{
    /// <summary>Anything may have changed (changes may have been missed): forget every cached setting.</summary>
    Everything,

    /// <summary>A bucket was created or deleted, or one of its settings (configuration document, versioning, Object Lock) changed.</summary>
    Bucket,

    /// <summary>A user, an access key or an identity policy.</summary>
    Identities,

    /// <summary>A store's drain state.</summary>
    StoreStates,
}

/// <summary>One change to what gateways cache; <see cref="Bucket"/> names the bucket of a <see cref="CatalogueChangeKind.Bucket"/> change.</summary>
public readonly record struct CatalogueChange(CatalogueChangeKind Kind, string? Bucket = null)
{
    /// <summary>PostgreSQL refuses NOTIFY payloads of 8000 bytes or more.</summary>
    internal const int MaxPayloadBytes = 7999;

    public static readonly CatalogueChange Everything = new(CatalogueChangeKind.Everything);
    public static readonly CatalogueChange Identities = new(CatalogueChangeKind.Identities);
    public static readonly CatalogueChange StoreStates = new(CatalogueChangeKind.StoreStates);

    public static CatalogueChange OfBucket(string bucket) => new(CatalogueChangeKind.Bucket, bucket);

    /// <summary>
    /// The change as a notification payload: <c>bucket:NAME</c>, <c>identities</c>, <c>stores</c> or <c>everything</c>
    /// (also for a bucket whose name would not fit: over-invalidating is always safe).
    /// </summary>
    public string ToPayload()
    {
        string payload = Kind switch
        {
            CatalogueChangeKind.Bucket => "bucket:" + Bucket,
            CatalogueChangeKind.Identities => "identities",
            CatalogueChangeKind.StoreStates => "stores",
            _ => "everything",
        };
        return System.Text.Encoding.UTF8.GetByteCount(payload) > MaxPayloadBytes ? "everything" : payload;
    }

    /// <summary>The change a payload names; anything not understood (a newer gateway's kind) counts as everything.</summary>
    public static CatalogueChange Parse(string payload) => payload switch
    {
        "identities" => Identities,
        "stores" => StoreStates,
        _ when payload.StartsWith("bucket:", StringComparison.Ordinal) => OfBucket(payload["bucket:".Length..]),
        _ => Everything,
    };
}

/// <summary>
/// Changes to cached settings, announced once committed, by whichever gateway made them, to every gateway of the
/// catalogue that follows them (<see cref="FollowAsync"/>). A SQLite catalogue has one gateway, so its changes are
/// announced in process; PostgreSQL's travel by LISTEN/NOTIFY. A gateway that may have missed changes (its
/// listening connection was lost) hears <see cref="CatalogueChange.Everything"/> once it listens again.
/// </summary>
public class CatalogueChanges
{
    /// <summary>Raised after a change commits. Handlers must be quick and must not throw: they run on the announcer's thread.</summary>
    public event Action<CatalogueChange>? Changed;

    /// <summary>Tells this process's followers of a committed change.</summary>
    public void Raise(CatalogueChange change) => Changed?.Invoke(change);

    /// <summary>
    /// Receives the changes other processes make, until <paramref name="cancellationToken"/> is cancelled;
    /// <paramref name="interrupted"/> hears each loss of the way they arrive (it is taken up again). In process
    /// (SQLite) there are none: it only waits.
    /// </summary>
    public virtual async Task FollowAsync(Action<Exception> interrupted, CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }
}
