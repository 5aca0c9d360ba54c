using System.Buffers.Binary;
using ObjStore.Core;
using ObjStore.Core.Jobs;
using ObjStore.Erasure;

namespace ObjStore.Storage.Format;

/// <summary>
/// Checks shards block by block. A gateway checks a shard against the layout its catalogue holds; a storage node,
/// which has no catalogue, checks a shard against what the shard says of itself (its footer), so it can scrub its own
/// disk without sending a byte over the network.
/// </summary>
public static class ShardVerifier
{
    /// <summary>Footers are far smaller than this; a "footer" that is not is corrupt.</summary>
    public const int FooterReadLimit = 64 << 10;

    /// <summary>
    /// Every block of a shard against its checksum; null when all match, otherwise what is wrong. Each block and its
    /// checksum also go into <paramref name="digest"/> (the caller checks it against the footer's).
    /// </summary>
    public static async Task<string?> VerifyBlocksAsync(
        IShardReader reader, StripeLayout stripes, long size, byte[] block, IoBudget budget, CancellationToken cancellationToken,
        ShardDigest? digest = null)
    {
        long stripeCount = stripes.StripeCount(size);
        for (long s = 0; s < stripeCount; s++)
        {
            int length = stripes.BlockLength(stripes.StripeDataLength(size, s)) + StripeLayout.ChecksumSize;
            await budget.SpendAsync(length, cancellationToken);
            var buffer = block.AsMemory(0, length);
            if (await reader.ReadAsync(stripes.BlockOffset(s), buffer, cancellationToken) != length)
            {
                return $"short at stripe {s}";
            }
            var span = buffer.Span;
            if (!StripeBuffer.ChecksumMatches(span[..^StripeLayout.ChecksumSize], span[^StripeLayout.ChecksumSize..]))
            {
                return $"checksum mismatch at stripe {s}";
            }
            digest?.AppendStripe(span[..^StripeLayout.ChecksumSize], span[^StripeLayout.ChecksumSize..]);
        }
        return null;
    }

    /// <summary>
    /// The footer at the end of a shard file of <paramref name="length"/> bytes, and how many bytes it takes; null
    /// when the end of the file is not an intact footer.
    /// </summary>
    public static async Task<(ShardFooter Footer, int Length)?> ReadFooterAtEndAsync(IShardReader reader, long length, CancellationToken cancellationToken)
    {
        var tail = new byte[(int)Math.Min(length, FooterReadLimit)];
        var read = tail.AsSpan(0, await reader.ReadAsync(length - tail.Length, tail, cancellationToken));
        return ShardFooter.Parse(read) is { } footer
            ? (footer, BinaryPrimitives.ReadInt32LittleEndian(read[^ShardFooter.TrailerSize..]) + ShardFooter.TrailerSize)
            : null;
    }

    /// <summary>
    /// A whole shard file of <paramref name="length"/> bytes checked on its own: the footer is intact and names this
    /// shard, the file is exactly as long as the footer's layout says, every block matches its checksum, and the data
    /// section matches the footer's keyed digest (<see cref="ShardDigest"/>, keyed by <paramref name="shardKey"/>).
    /// </summary>
    public static async Task<string?> VerifyAsync(
        IShardReader reader, string shardId, long length, byte[] shardKey, IoBudget budget, CancellationToken cancellationToken)
    {
        if (await ReadFooterAtEndAsync(reader, length, cancellationToken) is not var (footer, footerLength))
        {
            return "footer missing or corrupt";
        }
        if (ShardId.For(footer.DataId, footer.Index) != shardId)
        {
            return "footer names another shard";
        }
        var stripes = new StripeLayout(footer.DataShards, footer.ParityShards, footer.StripeSize);
        if (stripes.ShardDataLength(footer.Size) + footerLength != length)
        {
            return $"length {length} does not match the footer's layout";
        }
        var block = new byte[stripes.BlockSize + StripeLayout.ChecksumSize];
        using var digest = ShardDigest.Create(shardKey, shardId);
        return await VerifyBlocksAsync(reader, stripes, footer.Size, block, budget, cancellationToken, digest)
            ?? digest.Check(footer);
    }
}
