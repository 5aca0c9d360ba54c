using System.Security.Cryptography;
using System.Text;
using ObjStore.Access.Secrets;

namespace ObjStore.Access.Tests;

public class MasterKeyTests
{
    private static readonly byte[] Row = Encoding.UTF8.GetBytes("AKEXAMPLE");

    [Fact]
    public void ASealedSecretOpensOnlyWithItsKeyAndItsRow()
    {
        var key = MasterKey.Generate();
        byte[] sealedSecret = key.Seal(Encoding.UTF8.GetBytes("the secret"), Row);
        Assert.DoesNotContain("the secret", Encoding.Latin1.GetString(sealedSecret), StringComparison.Ordinal);
        Assert.Equal("the secret", Encoding.UTF8.GetString(key.Unseal(sealedSecret, Row)));
        Assert.Equal(key.Id, MasterKey.SealedBy(sealedSecret));

        Assert.ThrowsAny<CryptographicException>(() => MasterKey.Generate().Unseal(sealedSecret, Row));
        Assert.ThrowsAny<CryptographicException>(() => key.Unseal(sealedSecret, Encoding.UTF8.GetBytes("AKOTHER")));
        sealedSecret[^1] ^= 1;
        Assert.ThrowsAny<CryptographicException>(() => key.Unseal(sealedSecret, Row));
    }

    [Fact]
    public void SealingTwiceGivesDifferentBlobs()
    {
        var key = MasterKey.Generate();
        Assert.NotEqual(key.Seal([1, 2, 3], Row), key.Seal([1, 2, 3], Row));
    }

    [Fact]
    public void AKeyIs32Bytes() => Assert.Throws<ArgumentException>(() => new MasterKey(new byte[16]));

    [Fact]
    public void GarbageIsNotASealedBlob() => Assert.Null(MasterKey.SealedBy([0, 1, 2]));
}
