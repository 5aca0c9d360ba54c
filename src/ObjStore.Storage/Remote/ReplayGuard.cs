using System.Globalization;

namespace ObjStore.Storage.Remote;

/// <summary>
/// Refuses a signed node request seen before: an anti-replay window per sender, as IPsec keeps one per security
/// association (RFC 4303, 3.4.3). Every nonce is <c>&lt;sender&gt;-&lt;counter&gt;</c> (<see cref="NonceSource"/>); per
/// sender the guard keeps the highest counter seen and a bitmap of the <see cref="WindowSize"/> counters below it (a
/// ring of ulongs, 32 KiB a sender for the default 2^18: a gateway signing 20,000 requests a second may have one wait
/// five seconds for a slot and still be inside it), so requests may arrive out of order as long as no counter arrives
/// twice or falls out of the window. It also refuses requests dated before the guard was created, so a request
/// captured before a node restarted cannot be replayed after it (the window is in memory), and keeps the
/// <see cref="NodeAuth.MaxSkew"/> rule. Check requests only after their signature has been verified: the state it
/// keeps is only ever changed by holders of the cluster secret.
/// </summary>
/// <remarks>
/// A sender is forgotten <see cref="ForgetAfter"/> after its last request. That is safe because anything it signed
/// then is outside the skew window: a request dated T is accepted only until T + skew, and T is at most skew after
/// the time it was first seen. At most <see cref="MaxSenders"/> senders are tracked (1024 by default, 32 MiB at most;
/// each process that signs is one, so the bound is restarts and nodes within <see cref="ForgetAfter"/>, and only
/// holders of the secret create senders); a new one beyond that is refused until an old one has been forgotten.
/// </remarks>
public sealed class ReplayGuard
{
    public const int DefaultWindowBits = 18;
    public const int DefaultMaxSenders = 1024;

    private readonly TimeProvider _clock;
    private readonly int _windowBits;
    private readonly Dictionary<string, Window> _senders = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    public ReplayGuard(TimeProvider? clock = null, int windowBits = DefaultWindowBits, int maxSenders = DefaultMaxSenders)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(windowBits, 6);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(windowBits, 30);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxSenders, 1);
        _clock = clock ?? TimeProvider.System;
        _windowBits = windowBits;
        MaxSenders = maxSenders;
        // Whole milliseconds, as requests are dated: a request signed in the same millisecond is not "before".
        StartedUnixMs = _clock.GetUtcNow().ToUnixTimeMilliseconds();
    }

    /// <summary>Counters below the highest seen that are still accepted (once each).</summary>
    public long WindowSize => 1L << _windowBits;

    public int MaxSenders { get; }

    /// <summary>Twice the skew (a request's whole life) and a minute to spare.</summary>
    public static TimeSpan ForgetAfter { get; } = (2 * NodeAuth.MaxSkew) + TimeSpan.FromMinutes(1);

    /// <summary>When the verifier started: requests dated earlier are refused.</summary>
    public long StartedUnixMs { get; }

    public TimeProvider Clock => _clock;

    /// <summary>Senders currently tracked.</summary>
    public int Senders
    {
        get
        {
            lock (_lock)
            {
                return _senders.Count;
            }
        }
    }

    /// <summary>
    /// Checks the date of a request and records its nonce; null when the request is fresh, otherwise why it is
    /// refused (a refused nonce is not recorded, except that a replay stays recorded).
    /// </summary>
    public string? Check(long unixMs, string nonce)
    {
        var skew = _clock.GetUtcNow() - DateTimeOffset.FromUnixTimeMilliseconds(unixMs);
        if (skew.Duration() > NodeAuth.MaxSkew)
        {
            return "request time too far from now";
        }
        if (unixMs < StartedUnixMs)
        {
            return "request dated before the node started";
        }
        if (!NonceSource.TryParse(nonce, out string sender, out ulong counter))
        {
            return "bad nonce";
        }
        long now = _clock.GetTimestamp();
        Window window;
        lock (_lock)
        {
            if (!_senders.TryGetValue(sender, out window!))
            {
                ForgetIdle(now);
                if (_senders.Count >= MaxSenders)
                {
                    return "too many senders";
                }
                window = new Window(_windowBits);
                _senders[sender] = window;
            }
            return window.Accept(counter, now) ? null : "replayed or too old nonce";
        }
    }

    /// <summary>Drops senders idle for <see cref="ForgetAfter"/>.</summary>
    public void ForgetIdle() => ForgetIdle(_clock.GetTimestamp());

    private void ForgetIdle(long now)
    {
        lock (_lock)
        {
            foreach (var (sender, window) in _senders)
            {
                if (_clock.GetElapsedTime(window.LastSeen, now) >= ForgetAfter)
                {
                    _senders.Remove(sender);
                }
            }
        }
    }

    /// <summary>One sender's window: the highest counter seen and a ring of bits for the counters below it.</summary>
    private sealed class Window(int bits)
    {
        private readonly ulong[] _ring = new ulong[(1 << bits) / 64];
        private readonly ulong _size = 1UL << bits;
        private ulong _top; // highest counter accepted; 0 before any (counters start at 1)

        public long LastSeen { get; private set; }

        public bool Accept(ulong counter, long now)
        {
            if (counter == 0)
            {
                return false;
            }
            if (counter > _top)
            {
                Clear(_top + 1, counter);
                _top = counter;
            }
            else if (_top - counter >= _size)
            {
                return false; // older than the window: cannot tell whether it was seen
            }
            ulong bit = counter & (_size - 1);
            ref ulong word = ref _ring[bit >> 6];
            ulong mask = 1UL << (int)(bit & 63);
            if ((word & mask) != 0)
            {
                return false;
            }
            word |= mask;
            LastSeen = now;
            return true;
        }

        /// <summary>Clears the bits of counters [from, to], which now enter the window (a word at a time).</summary>
        private void Clear(ulong from, ulong to)
        {
            if (to - from + 1 >= _size)
            {
                Array.Clear(_ring);
                return;
            }
            for (ulong c = from; c <= to;)
            {
                ulong bit = c & (_size - 1);
                int offset = (int)(bit & 63);
                ulong run = Math.Min(64UL - (ulong)offset, to - c + 1);
                ulong mask = run == 64 ? ulong.MaxValue : ((1UL << (int)run) - 1) << offset;
                _ring[bit >> 6] &= ~mask;
                c += run;
            }
        }
    }
}

/// <summary>
/// Nonces of one signer: a random 64-bit sender id (new each process, or each source) and a counter that only goes
/// up, <c>&lt;16 hex digits&gt;-&lt;decimal counter&gt;</c>. Verifiers keep a <see cref="ReplayGuard"/> window per sender.
/// </summary>
public sealed class NonceSource
{
    private static readonly System.Buffers.SearchValues<char> HexDigits = System.Buffers.SearchValues.Create("0123456789abcdef");
    private long _counter;

    public NonceSource()
    {
        Sender = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(8));
    }

    /// <summary>The nonces of this process.</summary>
    public static NonceSource Shared { get; } = new();

    public string Sender { get; }

    public string Next() => string.Create(CultureInfo.InvariantCulture, $"{Sender}-{(ulong)Interlocked.Increment(ref _counter)}");

    public static bool TryParse(string nonce, out string sender, out ulong counter)
    {
        (sender, counter) = ("", 0);
        int dash = nonce.IndexOf('-', StringComparison.Ordinal);
        if (dash != 16 || nonce.AsSpan(0, 16).ContainsAnyExcept(HexDigits)
            || !ulong.TryParse(nonce.AsSpan(17), NumberStyles.None, CultureInfo.InvariantCulture, out counter))
        {
            return false;
        }
        sender = nonce[..16];
        return true;
    }
}
