using System.Reflection;

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
            Assert.Equal(name, error.Code);
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
}
