using System.Net;
using ObjStore.Access.Policies;

namespace ObjStore.Access.Tests;

/// <summary>The allocation-free address parser agrees with IPAddress on what it accepts and what it reads.</summary>
public class IpRangeTests
{
    [Theory]
    [InlineData("192.0.2.1")]
    [InlineData("0.0.0.0")]
    [InlineData("255.255.255.255")]
    [InlineData("::")]
    [InlineData("::1")]
    [InlineData("1::")]
    [InlineData("2001:db8::")]
    [InlineData("2001:DB8:0:0:8:800:200C:417A")]
    [InlineData("ff01::101")]
    [InlineData("1:2:3:4:5:6:7::")]
    [InlineData("::2:3:4:5:6:7:8")]
    [InlineData("1:2:3:4:5:6:1.2.3.4")]
    [InlineData("::13.1.68.3")]
    [InlineData("64:ff9b::192.0.2.33")]
    [InlineData("fe80::1%eth0")]
    public void ValidAddressesReadAsIPAddressReadsThem(string text)
    {
        Assert.True(IpRange.TryParseAddress(text, normalizeMapped: false, out bool v6, out UInt128 value));
        var expected = IPAddress.Parse(text);
        byte[] bytes = expected.GetAddressBytes();
        UInt128 number = UInt128.Zero;
        foreach (byte b in bytes)
        {
            number = number << 8 | b;
        }
        Assert.Equal(bytes.Length == 16, v6);
        Assert.Equal(number, value);
    }

    [Theory]
    [InlineData("")]
    [InlineData("1.2.3")]
    [InlineData("1.2.3.4.5")]
    [InlineData("1.2.3.256")]
    [InlineData("1.2.3.-4")]
    [InlineData("1..3.4")]
    [InlineData(" 1.2.3.4")]
    [InlineData("1:2:3:4:5:6:7")]
    [InlineData("1:2:3:4:5:6:7:8:9")]
    [InlineData("1:2:3:4:5:6:7::8")]
    [InlineData("1::2::3")]
    [InlineData(":::")]
    [InlineData(":1::")]
    [InlineData("12345::")]
    [InlineData("g::")]
    [InlineData("1.2.3.4::")]
    [InlineData("::1.2.3")]
    [InlineData("%eth0")]
    public void InvalidAddressesAreRefused(string text) =>
        Assert.False(IpRange.TryParseAddress(text, normalizeMapped: false, out _, out _));

    [Theory]
    [InlineData("10.0.0.0/8", "10.255.255.255", true)]
    [InlineData("10.0.0.0/8", "11.0.0.0", false)]
    [InlineData("10.1.2.3/32", "10.1.2.3", true)]
    [InlineData("10.1.2.3/31", "10.1.2.2", true)]
    [InlineData("10.1.2.3/31", "10.1.2.4", false)]
    [InlineData("2001:db8::/128", "2001:db8::", true)]
    [InlineData("2001:db8::/127", "2001:db8::1", true)]
    [InlineData("2001:db8::/127", "2001:db8::2", false)]
    [InlineData("::/0", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", true)]
    [InlineData("::/0", "1.2.3.4", false)]
    [InlineData("1.2.3.0/24", "::ffff:1.2.3.9", true)]
    [InlineData("::ffff:1.2.3.0/120", "::ffff:1.2.3.9", false)]
    public void BlocksContainTheirAddressesOnly(string cidr, string address, bool expected)
    {
        Assert.True(IpRange.TryParse(cidr, out var range));
        Assert.True(IpRange.TryParseAddress(address, normalizeMapped: true, out bool v6, out UInt128 value));
        Assert.Equal(expected, range.Contains(v6, value));
    }

    [Theory]
    [InlineData("1.2.3.4/")]
    [InlineData("1.2.3.4/33")]
    [InlineData("1.2.3.4/-1")]
    [InlineData("1.2.3.4/+8")]
    [InlineData("::/129")]
    [InlineData("/8")]
    public void InvalidBlocksAreRefused(string cidr) => Assert.False(IpRange.TryParse(cidr, out _));
}
