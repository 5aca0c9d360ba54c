using System.Buffers;
using System.Security.Cryptography;

namespace ObjStore.Payload;

/// <summary>
/// Read-only stream: reads plaintext from <c>source</c> until it ends and yields the packages (ciphertext then tag
/// each, see <see cref="Packages"/>). It reads one package ahead: only the read after a package tells whether that
/// package is the last, whose nonce carries the final flag. Leaves <c>source</c> open.
/// </summary>
public sealed class EncryptingStream : ReadOnlyPayloadStream
{
    private readonly Stream _source;
    private readonly AesGcm _aes;
    private readonly byte[] _associatedData;
    private byte[] _current;
    private byte[] _ahead;
    private int _aheadCount;
    private readonly byte[] _sealed;
    private int _sealedOffset;
    private int _sealedCount;
    private long _nextPackage;
    private bool _started;
    private bool _sourceEnded;
    private bool _finished;
    private bool _disposed;

    public EncryptingStream(Stream source, ReadOnlyMemory<byte> key, ReadOnlyMemory<byte> associatedData)
    {
        ArgumentNullException.ThrowIfNull(source);
        Packages.ValidateKey(key);
        _source = source;
        _aes = new AesGcm(key.Span, Packages.TagSize);
        // A copy: the caller's memory may change while the stream still seals packages with it.
        _associatedData = associatedData.ToArray();
        _current = ArrayPool<byte>.Shared.Rent(Packages.PlainSize);
        _ahead = ArrayPool<byte>.Shared.Rent(Packages.PlainSize);
        _sealed = ArrayPool<byte>.Shared.Rent(Packages.StoredSize);
    }

    /// <summary>Plaintext read from the source so far, the package read ahead included.</summary>
    public long PlainBytesRead { get; private set; }

    public override bool CanRead => !_disposed;

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (buffer.IsEmpty)
        {
            return 0;
        }
        if (_sealedOffset == _sealedCount)
        {
            if (_finished)
            {
                return 0;
            }
            int plainCount = await NextPlaintextAsync(cancellationToken).ConfigureAwait(false);
            if (plainCount == 0)
            {
                _finished = true;
                return 0;
            }
            bool last = _aheadCount == 0;
            _finished = last;
            int storedCount = plainCount + Packages.TagSize;
            // A reader that asks for a whole package gets it sealed in place, without the copy through _sealed.
            if (buffer.Length >= storedCount)
            {
                Seal(_current.AsSpan(0, plainCount), buffer.Span[..storedCount], last);
                return storedCount;
            }
            Seal(_current.AsSpan(0, plainCount), _sealed.AsSpan(0, storedCount), last);
            _sealedOffset = 0;
            _sealedCount = storedCount;
        }
        int count = Math.Min(buffer.Length, _sealedCount - _sealedOffset);
        _sealed.AsSpan(_sealedOffset, count).CopyTo(buffer.Span);
        _sealedOffset += count;
        return count;
    }

    /// <summary>Moves the next package's plaintext into _current and reads the one after into _ahead.</summary>
    private async ValueTask<int> NextPlaintextAsync(CancellationToken cancellationToken)
    {
        int plainCount;
        if (!_started)
        {
            _started = true;
            plainCount = await FillAsync(_current, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            (_current, _ahead) = (_ahead, _current);
            plainCount = _aheadCount;
        }
        _aheadCount = plainCount == 0 ? 0 : await FillAsync(_ahead, cancellationToken).ConfigureAwait(false);
        return plainCount;
    }

    private async ValueTask<int> FillAsync(byte[] target, CancellationToken cancellationToken)
    {
        int count = 0;
        while (count < Packages.PlainSize && !_sourceEnded)
        {
            int read = await _source.ReadAsync(target.AsMemory(count, Packages.PlainSize - count), cancellationToken)
                .ConfigureAwait(false);
            if (read == 0)
            {
                _sourceEnded = true;
            }
            count += read;
            PlainBytesRead += read;
        }
        return count;
    }

    private void Seal(ReadOnlySpan<byte> plaintext, Span<byte> package, bool last)
    {
        Span<byte> nonce = stackalloc byte[Packages.NonceSize];
        Packages.WriteNonce(nonce, _nextPackage++, last);
        _aes.Encrypt(nonce, plaintext, package[..plaintext.Length], package[plaintext.Length..], _associatedData);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_disposed)
        {
            _disposed = true;
            _aes.Dispose();
            // The plaintext buffers held client bytes: cleared before another renter sees them.
            ArrayPool<byte>.Shared.Return(_current, clearArray: true);
            ArrayPool<byte>.Shared.Return(_ahead, clearArray: true);
            ArrayPool<byte>.Shared.Return(_sealed);
        }
        base.Dispose(disposing);
    }
}
