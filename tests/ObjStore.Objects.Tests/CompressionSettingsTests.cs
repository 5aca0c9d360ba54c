using ObjStore.Core;

namespace ObjStore.Objects.Tests;

public class CompressionSettingsTests
{
    [Theory]
    [InlineData("app.log", "application/octet-stream", true)]   // extension
    [InlineData("APP.LOG", null, true)]                          // extensions ignore case
    [InlineData("notes.txt", "text/plain; charset=utf-8", true)] // a family, parameters ignored
    [InlineData("data.json", "application/json", true)]          // one content type
    [InlineData("photo.jpg", "image/jpeg", false)]               // nothing matches
    [InlineData("archive.log.gz", "text/plain", false)]          // an exclude wins
    public void IncludeAndExcludeListsMatchExtensionsTypesAndFamilies(string key, string? contentType, bool compressed)
    {
        var settings = CompressionSettings.Parse("""{"level":3,"include":[".log","text/*","application/json"],"exclude":[".gz"]}""");
        Assert.Equal(3, settings.Level);
        Assert.Equal(compressed, settings.Matches(key, contentType));
    }

    [Fact]
    public void AnEmptyIncludeListMatchesEverythingButTheExcluded()
    {
        var settings = CompressionSettings.Parse("""{"exclude":["image/*"]}""");
        Assert.Equal(CompressionSettings.DefaultLevel, settings.Level);
        Assert.True(settings.Matches("x.bin", null));
        Assert.False(settings.Matches("x.png", "image/png"));
        var again = CompressionSettings.Parse(settings.ToJson());
        Assert.Equal(settings.Level, again.Level);
        Assert.Empty(again.Include);
        Assert.Equal(["image/*"], again.Exclude);
    }

    [Theory]
    [InlineData("""{"level":0}""")]
    [InlineData("""{"level":20}""")]
    [InlineData("""{"include":[""]}""")]
    [InlineData("""{"exclude":["."]}""")]
    [InlineData("not json")]
    [InlineData("null")]
    public void InvalidSettingsAreRefused(string json) => Assert.Throws<ArgumentException>(() => CompressionSettings.Parse(json));
}
