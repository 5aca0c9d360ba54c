namespace ObjStore.S3.Auth;

/// <summary>How slowly a client may send a request body, and how many slow ones may be open at once.</summary>
public sealed class UploadRateOptions
{
    /// <summary>Every <see cref="Window"/> of waiting for the body must bring at least this many bytes a second (0: off).</summary>
    public long MinBytesPerSecond { get; set; } = 1024;

    /// <summary>The window over which the rate is measured; only time spent waiting for the client counts.</summary>
    public TimeSpan Window { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>A body whose last window brought less than this a second counts as slow.</summary>
    public long SlowBytesPerSecond { get; set; } = 64 * 1024;

    /// <summary>Slow bodies allowed at once, server-wide; one more is refused.</summary>
    public int MaxSlowUploads { get; set; } = 64;
}

/// <summary>
/// Enforces <see cref="UploadRateOptions"/> on request bodies. Kestrel's own minimum rate is an average since the
/// body began, so a client that sends a megabyte and then a byte every few seconds stays within it for over an hour
/// while it holds stripe buffers and a connection. Here every window of waiting must meet the minimum, so such a
/// body fails within two windows, and bodies that meet the minimum but crawl are capped in number. Time the store
/// spends not reading (backpressure from a slow disk or node) is not counted against the client. Either failure is
/// S3's RequestTimeout.
/// </summary>
public sealed class UploadRateGuard(UploadRateOptions options, TimeProvider clock)
{
    private readonly UploadRateOptions _options = options;
    private readonly TimeProvider _clock = clock;
    private int _slow;

    public int SlowUploads => Volatile.Read(ref _slow);

    public Stream Wrap(Stream body) => _options.MinBytesPerSecond <= 0 ? body : new RateCheckedStream(body, this);

    private bool TryEnterSlow()
    {
        if (Interlocked.Increment(ref _slow) <= _options.MaxSlowUploads)
        {
            return true;
        }
        Interlocked.Decrement(ref _slow);
        return false;
    }

    private void LeaveSlow() => Interlocked.Decrement(ref _slow);

    private static S3Exception Timeout() =>
        new(S3Error.RequestTimeout, "Your socket connection to the server was not read from or written to within the timeout period.");

    private sealed class RateCheckedStream(Stream inner, UploadRateGuard guard) : ReadOnlyBodyStream
    {
        private readonly TimeSpan _window = guard._options.Window;
        private readonly double _minimum = guard._options.MinBytesPerSecond * guard._options.Window.TotalSeconds;
        private readonly double _slowBelow = guard._options.SlowBytesPerSecond * guard._options.Window.TotalSeconds;
        private TimeSpan _waited;
        private long _bytes;
        private bool _slow;

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            using var deadline = new CancellationTokenSource(Allowance(), guard._clock);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
            long started = guard._clock.GetTimestamp();
            int n = 0;
            try
            {
                n = await inner.ReadAsync(buffer, linked.Token);
            }
            catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                Release();
                throw Timeout();
            }
            catch
            {
                Release();
                throw;
            }
            Account(guard._clock.GetElapsedTime(started), n);
            if (n == 0)
            {
                Release();
            }
            return n;
        }

        /// <summary>How long this read may wait before the window it is in (or, if that one is met, the next) fails.</summary>
        private TimeSpan Allowance()
        {
            var left = _window - _waited;
            return _bytes >= _minimum ? left + _window : left;
        }

        /// <summary>
        /// Counts one read: a window that ended during it must have brought the minimum before it; the read's own
        /// bytes, and the wait past the window's end, count for the next window (which may itself already be over,
        /// when the read waited longer than a window on a window that had met the minimum).
        /// </summary>
        private void Account(TimeSpan waited, int n)
        {
            _waited += waited;
            while (_waited >= _window)
            {
                if (_bytes < _minimum && n > 0)
                {
                    Release();
                    throw Timeout();
                }
                bool slow = _bytes < _slowBelow;
                if (slow && !_slow && !guard.TryEnterSlow())
                {
                    throw Timeout();
                }
                if (!slow && _slow)
                {
                    guard.LeaveSlow();
                }
                _slow = slow;
                _waited -= _window;
                _bytes = 0;
            }
            _bytes += n;
        }

        private void Release()
        {
            if (_slow)
            {
                _slow = false;
                guard.LeaveSlow();
            }
        }

        protected override void Dispose(bool disposing)
        {
            Release();
            base.Dispose(disposing);
        }
    }

}
