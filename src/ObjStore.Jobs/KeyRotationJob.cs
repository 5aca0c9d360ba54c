using System.Security.Cryptography;
using ObjStore.Core.Jobs;
using ObjStore.Kms;
using ObjStore.Metadata;

namespace ObjStore.Jobs;

/// <summary>
/// The second half of a master key rotation (<c>objstore admin kms rotate</c>): everything the catalogue holds
/// sealed under a previous master key is opened and sealed again under the current one: the built-in key provider's
/// keys, users' secret keys (<paramref name="resealSecrets"/>) and every SSE-S3 data key, a page at a time, each page
/// one transaction that replaces a key only if it is still the one read, then again until a pass finds none left (a
/// write sealed just before the rotation may commit behind the first pass). No shard is read or written. Data keys
/// sealed by a KMS key or a client's key are not the master key's and stay as they are. The keys in shard footers
/// keep their old sealing, so previous master keys stay configured (docs/encryption.md).
/// </summary>
public sealed class KeyRotationJob(IKeyCatalogue catalogue, DataKeys dataKeys, BuiltInKeyProvider provider, Func<Task<int>> resealSecrets) : IBackgroundJob
{
    private const int PageSize = 500;

    public string Kind => JobKinds.KeyRotation;

    public async Task<object> RunAsync(string target, IJobProgress progress, CancellationToken cancellationToken)
    {
        int secrets = await resealSecrets();
        progress.SetTotal(await catalogue.CountDataKeysAsync(), 0);
        var (resealed, unopened) = await PassAsync(progress.ResumePoint, progress, cancellationToken);
        // A PUT that sealed its key just before the rotation may commit after the pass went by its data id: passes
        // go on until one finds nothing left under an old key (a write in flight then is long done).
        for (int sweep = 0; sweep < MaxSweeps; sweep++)
        {
            var (more, _) = await PassAsync(null, null, cancellationToken);
            resealed += more;
            if (more == 0)
            {
                break;
            }
        }
        // Last, with the master key check among them: a start without the old key is accepted from now on.
        int kmsKeys = await provider.ResealAsync();
        return new { dataKeysResealed = resealed, kmsKeysResealed = kmsKeys, secretsResealed = secrets, dataKeysNotOpened = unopened };
    }

    private const int MaxSweeps = 3;

    /// <summary>One walk over every sealed data key from <paramref name="after"/>; progress and checkpoints only on the first.</summary>
    private async Task<(long Resealed, long Unopened)> PassAsync(string? after, IJobProgress? progress, CancellationToken cancellationToken)
    {
        long resealed = 0, unopened = 0;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var page = await catalogue.ListDataKeysAsync(after, PageSize);
            if (page.Count == 0)
            {
                return (resealed, unopened);
            }
            var replacements = new List<(string, byte[], byte[])>();
            foreach (var key in page)
            {
                try
                {
                    if (dataKeys.ResealUnderCurrent(key.Sealed) is { } fresh)
                    {
                        replacements.Add((key.DataId, key.Sealed, fresh));
                    }
                }
                catch (CryptographicException)
                {
                    unopened++; // not an SSE-S3 key after all (a KMS or client key whose id collides), or damaged: left as it is
                }
            }
            if (replacements.Count > 0)
            {
                resealed += await catalogue.ResealDataKeysAsync(replacements);
            }
            after = page[^1].DataId;
            progress?.Advance(page.Count, 0);
            progress?.SetCheckpoint(after);
        }
    }
}
