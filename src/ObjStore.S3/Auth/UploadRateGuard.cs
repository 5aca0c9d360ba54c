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

    /// <summary>Slow bodies allowed at once from one client address, so a few clients cannot take every slot.</summary>
    public int MaxSlowUploadsPerClient { get; set; } = 8;
}

/// <summary>
/// Enforces <see cref="UploadRateOptions"/> on request bodies. Kestrel's own minimum rate is an average since the
/// body began, so a client that sends a megabyte and then a byte every few seconds stays within it for over an hour
/// while it holds stripe buffers and a connection. Here every window of waiting must meet the minimum, so such a
/// body fails within two windows, and bodies that meet the minimum but crawl are capped in number, server-wide and
/// per client address. Time the store
/// spends not reading (backpressure from a slow disk or node) is not counted against the client. Either failure is
/// S3's RequestTimeout.
/// </summary>
public sealed class UploadRateGuard(UploadRateOptions options, TimeProvider clock)
{
    private readonly UploadRateOptions _options = options;
    private readonly TimeProvider _clock = clock;
    private readonly Dictionary<string, int> _slowByClient = new(StringComparer.Ordinal);
    private int _slow;

    public int SlowUploads
    {
        get
        {
            lock (_slowByClient)
            {
                return _slow;
            }
        }
    }

    /// <summary>The body of a request from <paramref name="client"/> (its address), rate-checked.</summary>
    public Stream Wrap(Stream body, string client) => _options.MinBytesPerSecond <= 0 ? body : new RateCheckedStream(body, this, client);

    private bool TryEnterSlow(string client)
    {
        lock (_slowByClient)
        {
            int mine = _slowByClient.GetValueOrDefault(client);
            if (_slow >= _options.MaxSlowUploads || mine >= _options.MaxSlowUploadsPerClient)
            {
                return false;
            }
            _slow++;
            _slowByClient[client] = mine + 1;
            return true;
        }
    }

    private void LeaveSlow(string client)
    {
        lock (_slowByClient)
        {
            _slow--;
            if (_slowByClient.TryGetValue(client, out int mine) && mine > 1)
            {
                _slowByClient[client] = mine - 1;
            }
            else
            {
                _slowByClient.Remove(client);
            }
        }
    }

    private static S3Exception Timeout() =>
        new(S3Error.RequestTimeout, "Your socket connection to the server was not read from or written to within the timeout period.");

    private sealed class RateCheckedStream(Stream inner, UploadRateGuard guard, string client) : ReadOnlyBodyStream
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
                if (slow && !_slow && !guard.TryEnterSlow(client))
                {
                    throw Timeout();
                }
                if (!slow && _slow)
                {
                    guard.LeaveSlow(client);
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
                guard.LeaveSlow(client);
            }
        }

        protected override void Dispose(bool disposing)
        {
            Release();
            base.Dispose(disposing);
        }
    }

}
