using System.Buffers;
using System.Security.Cryptography;

namespace ObjStore.Payload;

/// <summary>
/// Write-only stream: takes the stored bytes of whole packages starting at package <c>firstPackage</c> of a payload
/// of <c>storedTotal</c> stored bytes (which tells it the last package, sealed with the final flag), opens and
/// verifies each package, and writes to <c>destination</c> the plaintext after the first <c>skip</c> bytes, exactly
/// <c>take</c> bytes. A package that fails its tag throws <see cref="PayloadTamperedException"/> and none of its
/// bytes reach the destination. <see cref="CompleteAsync"/> must be called at the end: only it can tell a range cut
/// short. Leaves <c>destination</c> open.
/// </summary>
public sealed class DecryptingStream : WriteOnlyPayloadStream
{
    /// <summary>
    /// Whole packages handed over together from this many on are opened in parallel: a stripe of a large GET holds
    /// dozens, and AES-GCM on one core would otherwise be the slowest step of the read.
    /// </summary>
    private const int ParallelFrom = 4;

    private readonly Stream _destination;
    private readonly byte[] _key;
    private readonly AesGcm _aes;
    private readonly byte[] _associatedData;
    private readonly long _lastPackage;
    private readonly int _lastPackageStoredSize;
    private readonly long _endPackage;
    private long _nextPackage;
    private long _skip;
    private long _take;
    private readonly byte[] _stored;
    private int _storedCount;
    private readonly byte[] _plain;
    private bool _failed;
    private bool _disposed;

    /// <summary>
    /// The write of the last batch of packages, still in flight: the next batch is opened while it goes out, since a
    /// response body's write returns only once most of it has left through the socket. Its buffer is returned after.
    /// </summary>
    private Task _pendingWrite = Task.CompletedTask;
    private byte[]? _pendingBuffer;

    /// <exception cref="InvalidDataException"><c>storedTotal</c> is no payload's stored length.</exception>
    public DecryptingStream(Stream destination, ReadOnlyMemory<byte> key, ReadOnlyMemory<byte> associatedData,
        long firstPackage, long storedTotal, int skip, long take)
    {
        ArgumentNullException.ThrowIfNull(destination);
        Packages.ValidateKey(key);
        long plainTotal = Packages.PlainLength(storedTotal);
        long packageCount = (storedTotal + Packages.StoredSize - 1) / Packages.StoredSize;
        ArgumentOutOfRangeException.ThrowIfNegative(firstPackage);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(firstPackage, packageCount);
        ArgumentOutOfRangeException.ThrowIfNegative(skip);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(skip, Packages.PlainSize);
        ArgumentOutOfRangeException.ThrowIfNegative(take);
        if (take > 0)
        {
            ArgumentOutOfRangeException.ThrowIfGreaterThan(take, plainTotal - (firstPackage * Packages.PlainSize) - skip);
        }
        _destination = destination;
        _key = key.ToArray();
        _aes = new AesGcm(_key, Packages.TagSize);
        _associatedData = associatedData.ToArray();
        _lastPackage = packageCount - 1;
        _lastPackageStoredSize = (int)(storedTotal - (_lastPackage * Packages.StoredSize));
        _nextPackage = firstPackage;
        _endPackage = take == 0 ? firstPackage : firstPackage + ((skip + take - 1) / Packages.PlainSize) + 1;
        _skip = skip;
        _take = take;
        _stored = ArrayPool<byte>.Shared.Rent(Packages.StoredSize);
        _plain = ArrayPool<byte>.Shared.Rent(Packages.PlainSize);
    }

    public override bool CanWrite => !_disposed;

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_failed)
        {
            throw new InvalidOperationException("A package of this range already failed its tag check.");
        }
        while (!buffer.IsEmpty)
        {
            if (_nextPackage == _endPackage)
            {
                throw new InvalidOperationException(
                    $"More stored bytes than the range's packages (up to package {_endPackage - 1}) were written.");
            }
            int size = _nextPackage == _lastPackage ? _lastPackageStoredSize : Packages.StoredSize;
            if (_storedCount == 0 && WholePackagesIn(buffer.Length) is var (count, bytes) && count >= ParallelFrom)
            {
                await OpenManyAndWriteAsync(buffer[..bytes], count, cancellationToken).ConfigureAwait(false);
                buffer = buffer[bytes..];
                continue;
            }
            // A writer that hands whole packages has them opened where they are, without the copy through _stored.
            if (_storedCount == 0 && buffer.Length >= size)
            {
                await OpenAndWriteAsync(buffer[..size], cancellationToken).ConfigureAwait(false);
                buffer = buffer[size..];
                continue;
            }
            int copied = Math.Min(size - _storedCount, buffer.Length);
            buffer.Span[..copied].CopyTo(_stored.AsSpan(_storedCount));
            _storedCount += copied;
            buffer = buffer[copied..];
            if (_storedCount == size)
            {
                _storedCount = 0;
                await OpenAndWriteAsync(_stored.AsMemory(0, size), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>How many whole packages of the range, and how many bytes, the first <paramref name="length"/> bytes hold.</summary>
    private (int Count, int Bytes) WholePackagesIn(int length)
    {
        int count = 0, bytes = 0;
        for (long index = _nextPackage; index < _endPackage; index++)
        {
            int size = index == _lastPackage ? _lastPackageStoredSize : Packages.StoredSize;
            if (bytes + size > length)
            {
                break;
            }
            bytes += size;
            count++;
        }
        return (count, bytes);
    }

    /// <summary>
    /// Opens <paramref name="count"/> whole packages on every core (one AesGcm per share), then writes their
    /// plaintext in range with one write. A package that fails its tag fails them all: none of their bytes is written.
    /// </summary>
    private async ValueTask OpenManyAndWriteAsync(ReadOnlyMemory<byte> packages, int count, CancellationToken cancellationToken)
    {
        int plainBytes = packages.Length - (count * Packages.TagSize);
        byte[]? plain = ArrayPool<byte>.Shared.Rent(plainBytes);
        try
        {
            long first = _nextPackage;
            long failedAt = -1;
            // The calling thread opens its share while the others run on the pool: nothing blocks waiting for them.
            int workers = Math.Min(Environment.ProcessorCount, count);
            int share = (count + workers - 1) / workers;
            var others = new Task[workers - 1];
            for (int w = 1; w < workers; w++)
            {
                int begin = w * share, end = Math.Min(count, begin + share);
                others[w - 1] = Task.Run(() => OpenRange(begin, end), CancellationToken.None);
            }
            OpenRange(0, Math.Min(share, count));
            await Task.WhenAll(others).ConfigureAwait(false);

            void OpenRange(int begin, int end)
            {
                using var aes = new AesGcm(_key, Packages.TagSize);
                Span<byte> nonce = stackalloc byte[Packages.NonceSize];
                for (int i = begin; i < end && Interlocked.Read(ref failedAt) < 0; i++)
                {
                    long index = first + i;
                    int size = index == _lastPackage ? _lastPackageStoredSize : Packages.StoredSize;
                    var package = packages.Span.Slice(i * Packages.StoredSize, size);
                    int plainCount = size - Packages.TagSize;
                    Packages.WriteNonce(nonce, index, index == _lastPackage);
                    try
                    {
                        aes.Decrypt(nonce, package[..plainCount], package[plainCount..], plain.AsSpan(i * Packages.PlainSize, plainCount), _associatedData);
                    }
                    catch (AuthenticationTagMismatchException)
                    {
                        Interlocked.CompareExchange(ref failedAt, index, -1);
                    }
                }
            }
            if (failedAt >= 0)
            {
                _failed = true;
                throw new PayloadTamperedException(
                    $"Package {failedAt} failed its tag check: the stored bytes, their order, the key or the associated " +
                    "data are not the ones it was sealed with.");
            }
            _nextPackage += count;
            int from = (int)Math.Min(_skip, plainBytes);
            _skip -= from;
            int taken = (int)Math.Min(_take, plainBytes - from);
            _take -= taken;
            if (taken > 0)
            {
                await AwaitPendingWriteAsync().ConfigureAwait(false);
                _pendingWrite = _destination.WriteAsync(plain.AsMemory(from, taken), cancellationToken).AsTask();
                (_pendingBuffer, plain) = (plain, null); // returned once its write is done
            }
        }
        finally
        {
            if (plain is not null)
            {
                ArrayPool<byte>.Shared.Return(plain, clearArray: true);
            }
        }
    }

    /// <summary>Waits for the write in flight (in order: nothing is written before it) and returns its buffer.</summary>
    private async ValueTask AwaitPendingWriteAsync()
    {
        try
        {
            await _pendingWrite.ConfigureAwait(false);
        }
        finally
        {
            _pendingWrite = Task.CompletedTask;
            if (_pendingBuffer is { } buffer)
            {
                _pendingBuffer = null;
                ArrayPool<byte>.Shared.Return(buffer, clearArray: true);
            }
        }
    }

    private async ValueTask OpenAndWriteAsync(ReadOnlyMemory<byte> package, CancellationToken cancellationToken)
    {
        int plainCount = package.Length - Packages.TagSize;
        Open(package.Span, plainCount);
        int from = (int)Math.Min(_skip, plainCount);
        _skip -= from;
        int count = (int)Math.Min(_take, plainCount - from);
        _take -= count;
        if (count > 0)
        {
            await AwaitPendingWriteAsync().ConfigureAwait(false);
            await _destination.WriteAsync(_plain.AsMemory(from, count), cancellationToken).ConfigureAwait(false);
        }
    }

    private void Open(ReadOnlySpan<byte> package, int plainCount)
    {
        long index = _nextPackage++;
        Span<byte> nonce = stackalloc byte[Packages.NonceSize];
        Packages.WriteNonce(nonce, index, index == _lastPackage);
        try
        {
            // On a mismatch AesGcm clears the plaintext it wrote, and nothing of _plain is written on.
            _aes.Decrypt(nonce, package[..plainCount], package[plainCount..], _plain.AsSpan(0, plainCount),
                _associatedData);
        }
        catch (AuthenticationTagMismatchException e)
        {
            _failed = true;
            throw new PayloadTamperedException(
                $"Package {index} failed its tag check: the stored bytes, their order, the key or the associated " +
                "data are not the ones it was sealed with.", e);
        }
    }

    /// <summary>Throws <see cref="PayloadTamperedException"/> when fewer stored bytes arrived than the range needs.</summary>
    public async Task CompleteAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        cancellationToken.ThrowIfCancellationRequested();
        await AwaitPendingWriteAsync().ConfigureAwait(false);
        if (_failed || _nextPackage < _endPackage)
        {
            throw new PayloadTamperedException(
                $"The range ended before its packages did: {_endPackage - _nextPackage} of them missing or cut short.");
        }
    }



    public override async ValueTask DisposeAsync()
    {
        if (!_disposed)
        {
            try
            {
                await _pendingWrite.ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException or InvalidOperationException)
            {
                // the read has failed already; waiting was for the buffer's sake
            }
        }
        await base.DisposeAsync().ConfigureAwait(false);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_disposed)
        {
            _disposed = true;
            // A write still in flight (the read failed or was abandoned) ends before its buffer goes back.
            try
            {
                _pendingWrite.Wait();
            }
            catch (AggregateException)
            {
                // the read has failed already
            }
            if (_pendingBuffer is { } pending)
            {
                ArrayPool<byte>.Shared.Return(pending, clearArray: true);
            }
            _aes.Dispose();
            CryptographicOperations.ZeroMemory(_key);
            ArrayPool<byte>.Shared.Return(_stored);
            ArrayPool<byte>.Shared.Return(_plain, clearArray: true);
        }
        base.Dispose(disposing);
    }
}
