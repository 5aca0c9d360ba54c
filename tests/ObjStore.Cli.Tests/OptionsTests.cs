namespace ObjStore.Cli.Tests;

/// <summary>The command line's "--name value" parsing: nothing a user types is dropped or guessed at.</summary>
public class OptionsTests
{
    [Fact]
    public void AnOptionGivenWithoutItsValueIsAnError()
    {
        var options = Options.Parse(["--ec", "--data", "dir"]);
        Assert.Equal("dir", options.Get("data"));
        var e = Assert.Throws<OptionException>(() => options.Get("ec"));
        Assert.Equal("--ec needs a value", e.Message);
    }

    [Fact]
    public void AnOptionLastOnTheLineWithoutItsValueIsAnError() =>
        Assert.Throws<OptionException>(() => Options.Parse(["--data", "dir", "--ec"]).Get("ec"));

    [Fact]
    public void AnAbsentOptionIsNull() => Assert.Null(Options.Parse(["--data", "dir"]).Get("ec"));

    [Theory]
    [InlineData("5", 5)]
    [InlineData("-1", -1)]
    public void WholeNumbersParse(string text, int expected) => Assert.Equal(expected, Options.Parse(["--write-quorum", text]).GetInt("write-quorum"));

    [Theory]
    [InlineData("abc")]
    [InlineData("4.5")]
    [InlineData("5x")]
    [InlineData("99999999999")]
    public void AnythingElseThanAWholeNumberIsAnError(string text)
    {
        var e = Assert.Throws<OptionException>(() => Options.Parse(["--write-quorum", text]).GetInt("write-quorum"));
        Assert.Equal($"--write-quorum expects a whole number, got '{text}'", e.Message);
    }

    [Fact]
    public void AFlagFollowedByAWordIsAnErrorRatherThanSwallowingIt()
    {
        var options = Options.Parse(["--wait", "node-3"]);
        var e = Assert.Throws<OptionException>(() => options.Flag("wait"));
        Assert.Contains("'node-3'", e.Message, StringComparison.Ordinal);
        Assert.Empty(options.Positional);
    }

    [Fact]
    public void AFlagAfterTheArgumentsIsSet()
    {
        var options = Options.Parse(["node-3", "--wait"]);
        Assert.True(options.Flag("wait"));
        Assert.False(options.Flag("json"));
        Assert.Equal(["node-3"], options.Positional);
    }

    [Fact]
    public void AnOptionNobodyReadsIsRefused()
    {
        var options = Options.Parse(["--data", "dir", "--write-qourum", "5"]);
        _ = options.Get("data");
        Assert.Equal("unknown option(s): --write-qourum", Assert.Throws<OptionException>(options.RejectUnknown).Message);
    }
}
