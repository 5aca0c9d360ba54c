using System.Reflection;
using ObjStore.Core;

namespace ObjStore.S3.Tests;

public class ErrorCatalogueTests
{
    private static IEnumerable<(string Name, S3Error Error)> Entries() =>
        typeof(S3Error).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.FieldType == typeof(S3Error))
            .Select(f => (f.Name, (S3Error)f.GetValue(null)!));

    [Fact]
    public void EveryEntryIsNamedAfterItsCode()
    {
        foreach (var (name, error) in Entries())
        {
            Assert.Equal(name, error.Code.Replace(".", "", StringComparison.Ordinal)); // KMS.NotFoundException is KMSNotFoundException
        }
    }

    [Fact]
    public void EveryEntryHasAnErrorStatusAndAMessage()
    {
        foreach (var (name, error) in Entries())
        {
            Assert.True(error.Status is 304 or (>= 400 and < 600), $"{name}: {error.Status}");
            Assert.False(string.IsNullOrWhiteSpace(error.Message), name);
        }
    }

    /// <summary>Lost quorums are 503 (clients retry); too little space is 507 (retrying soon will not help).</summary>
    [Theory]
    [InlineData(ErrorKind.WriteQuorumLost, "SlowDown", 503)]
    [InlineData(ErrorKind.ReadQuorumLost, "ServiceUnavailable", 503)]
    [InlineData(ErrorKind.InsufficientStorage, "InsufficientStorage", 507)]
    public void StoreFailuresMapToRetryableStatuses(ErrorKind kind, string code, int status)
    {
        var error = S3Error.From(kind);
        Assert.Equal((code, status), (error.Code, error.Status));
    }

    /// <summary>
    /// Every kind has its own entry, but a data key sealed under a master key the store was not given: that is the
    /// store's fault (its configuration), an internal error with a message saying which key is missing.
    /// </summary>
    [Fact]
    public void EveryErrorKindHasItsOwnEntry()
    {
        Assert.All(Enum.GetValues<ErrorKind>().Where(k => k != ErrorKind.KeyUnavailable),
            kind => Assert.NotEqual(S3Error.InternalError.Code, S3Error.From(kind).Code));
        Assert.Equal((500, "InternalError"), (S3Error.From(ErrorKind.KeyUnavailable).Status, S3Error.From(ErrorKind.KeyUnavailable).Code));
    }
}
