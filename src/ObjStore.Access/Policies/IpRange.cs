using System.Globalization;

namespace ObjStore.Access.Policies;

/// <summary>
/// A CIDR block of an IpAddress/NotIpAddress condition. Addresses parse without allocating (IPAddress.TryParse would
/// allocate on every request), as 128-bit numbers; an IPv4-mapped IPv6 address (::ffff:a.b.c.d, what a dual-stack
/// socket reports for an IPv4 client) is read as the IPv4 address it maps.
/// </summary>
internal readonly record struct IpRange(bool IsV6, UInt128 Network, int PrefixLength)
{
    /// <summary>A block that contains every address of its family (0.0.0.0/0, ::/0): it pins nothing.</summary>
    public bool IsEverything => PrefixLength == 0;

    /// <summary>A bare address is a block of one: /32 or /128.</summary>
    public static bool TryParse(string text, out IpRange range)
    {
        range = default;
        ReadOnlySpan<char> span = text.AsSpan().Trim();
        int slash = span.IndexOf('/');
        ReadOnlySpan<char> address = slash < 0 ? span : span[..slash];
        if (!TryParseAddress(address, normalizeMapped: false, out bool v6, out UInt128 value))
        {
            return false;
        }
        int bits = v6 ? 128 : 32;
        int prefix = bits;
        if (slash >= 0)
        {
            ReadOnlySpan<char> digits = span[(slash + 1)..];
            if (digits.Length is 0 or > 3 || !IsAsciiDigits(digits)
                || !int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out prefix) || prefix > bits)
            {
                return false;
            }
        }
        range = new IpRange(v6, value & Mask(prefix, bits), prefix);
        return true;
    }

    public bool Contains(bool v6, UInt128 address) =>
        v6 == IsV6 && (address & Mask(PrefixLength, IsV6 ? 128 : 32)) == Network;

    private static UInt128 Mask(int prefix, int bits)
    {
        if (prefix == 0)
        {
            return UInt128.Zero;
        }
        UInt128 all = bits == 128 ? UInt128.MaxValue : uint.MaxValue;
        return all << (bits - prefix) & all;
    }

    /// <summary>An IPv4 dotted quad or an IPv6 address (with '::', an embedded IPv4 tail, or a %zone).</summary>
    public static bool TryParseAddress(ReadOnlySpan<char> text, bool normalizeMapped, out bool v6, out UInt128 value)
    {
        value = UInt128.Zero;
        v6 = text.Contains(':');
        if (!v6)
        {
            bool ok = TryParseV4(text, out uint v4);
            value = v4;
            return ok;
        }
        if (!TryParseV6(text, out value))
        {
            return false;
        }
        if (normalizeMapped && value >> 32 == 0xFFFF)
        {
            v6 = false;
            value &= uint.MaxValue;
        }
        return true;
    }

    private static bool TryParseV4(ReadOnlySpan<char> text, out uint value)
    {
        value = 0;
        for (int part = 0; part < 4; part++)
        {
            int dot = text.IndexOf('.');
            ReadOnlySpan<char> digits = part < 3 ? (dot < 0 ? [] : text[..dot]) : text;
            if (part == 3 && dot >= 0)
            {
                return false;
            }
            if (digits.Length is 0 or > 3 || !IsAsciiDigits(digits))
            {
                return false;
            }
            int octet = int.Parse(digits, NumberStyles.None, CultureInfo.InvariantCulture);
            if (octet > 255)
            {
                return false;
            }
            value = value << 8 | (uint)octet;
            if (part < 3)
            {
                text = text[(dot + 1)..];
            }
        }
        return true;
    }

    private static bool TryParseV6(ReadOnlySpan<char> text, out UInt128 value)
    {
        value = UInt128.Zero;
        int zone = text.IndexOf('%');
        if (zone == 0)
        {
            return false;
        }
        if (zone > 0)
        {
            text = text[..zone];
        }
        Span<ushort> head = stackalloc ushort[8];
        Span<ushort> tail = stackalloc ushort[8];
        int gap = text.IndexOf("::", StringComparison.Ordinal);
        int headCount, tailCount = 0;
        if (gap < 0)
        {
            if (!TryParseGroups(text, head, allowV4Tail: true, out headCount) || headCount != 8)
            {
                return false;
            }
        }
        else
        {
            ReadOnlySpan<char> after = text[(gap + 2)..];
            if (after.Contains("::", StringComparison.Ordinal)
                || !TryParseGroups(text[..gap], head, allowV4Tail: false, out headCount)
                || !TryParseGroups(after, tail, allowV4Tail: true, out tailCount)
                || headCount + tailCount > 7)
            {
                return false;
            }
        }
        for (int i = 0; i < headCount; i++)
        {
            value |= (UInt128)head[i] << (16 * (7 - i));
        }
        for (int i = 0; i < tailCount; i++)
        {
            value |= (UInt128)tail[i] << (16 * (tailCount - 1 - i));
        }
        return true;
    }

    /// <summary>Colon-separated hex groups; an empty text is zero groups (either side of '::').</summary>
    private static bool TryParseGroups(ReadOnlySpan<char> text, Span<ushort> groups, bool allowV4Tail, out int count)
    {
        count = 0;
        if (text.IsEmpty)
        {
            return true;
        }
        while (true)
        {
            int colon = text.IndexOf(':');
            ReadOnlySpan<char> group = colon < 0 ? text : text[..colon];
            if (colon < 0 && allowV4Tail && group.Contains('.'))
            {
                if (count > 6 || !TryParseV4(group, out uint v4))
                {
                    return false;
                }
                groups[count++] = (ushort)(v4 >> 16);
                groups[count++] = (ushort)v4;
                return true;
            }
            if (count == 8 || group.Length is 0 or > 4
                || !ushort.TryParse(group, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ushort number))
            {
                return false;
            }
            groups[count++] = number;
            if (colon < 0)
            {
                return true;
            }
            text = text[(colon + 1)..];
        }
    }

    private static bool IsAsciiDigits(ReadOnlySpan<char> text)
    {
        foreach (char c in text)
        {
            if (!char.IsAsciiDigit(c))
            {
                return false;
            }
        }
        return true;
    }
}
