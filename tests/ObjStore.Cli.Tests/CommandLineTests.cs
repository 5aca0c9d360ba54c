namespace ObjStore.Cli.Tests;

/// <summary>
/// The System.CommandLine tree: help for every command, --version, suggestions for typos, and parse mistakes as one
/// line and exit status 2.
/// </summary>
[Collection(ConsoleUsers.Name)]
public sealed class CommandLineTests
{
    [Fact]
    public async Task VersionPrintsTheInformationalVersion()
    {
        var (exit, output, _) = await CliRun.RunAsync("--version");
        Assert.Equal(0, exit);
        string expected = typeof(CommandLine).Assembly
            .GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false)
            .Cast<System.Reflection.AssemblyInformationalVersionAttribute>().Single().InformationalVersion;
        Assert.Equal(expected, output.Trim());
    }

    public static TheoryData<string[], string> Commands => new()
    {
        { ["dev"], "--stripe-size" },
        { ["node"], "--read-port" },
        { ["gateway"], "--config" },
        { ["restore-catalogue"], "--force" },
        { ["admin", "status"], "--endpoint" },
        { ["admin", "heal"], "--wait" },
        { ["admin", "user", "add"], "NAME" },
        { ["admin", "key", "remove"], "ACCESSKEY" },
        { ["admin", "policy", "set"], "--readwrite" },
        { ["admin", "kms", "rotate"], "--wait" },
        { ["admin", "compression", "set"], "--include" },
        { ["bench", "s3"], "--concurrency" },
        { ["bench", "codec"], "--format" },
        { ["bench", "list"], "--pages" },
    };

    [Theory]
    [MemberData(nameof(Commands))]
    public async Task EveryCommandHasHelp(string[] command, string mentioned)
    {
        var (exit, output, error) = await CliRun.RunAsync([.. command, "--help"]);
        Assert.Equal(0, exit);
        Assert.Empty(error);
        Assert.Contains("Usage:", output, StringComparison.Ordinal);
        Assert.Contains(mentioned, output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BareObjstoreShowsHelpAndIsAMistake()
    {
        var (exit, output, _) = await CliRun.RunAsync();
        Assert.Equal(2, exit);
        Assert.Contains("dev", output, StringComparison.Ordinal);
        Assert.Contains("admin", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new[] { "dev", "--write-qourum", "5" }, "objstore: unknown option '--write-qourum'; did you mean --write-quorum? (see objstore dev --help)")]
    [InlineData(new[] { "dve" }, "objstore: unknown command or argument 'dve'; did you mean dev? (see objstore --help)")]
    [InlineData(new[] { "admin", "scrub", "--wiat" }, "objstore: unknown option '--wiat'; did you mean --wait? (see objstore admin scrub --help)")]
    [InlineData(new[] { "admin", "kms", "key", "list", "--endpont", "http://h:1" }, "objstore: unknown option '--endpont'; did you mean --endpoint? (see objstore admin kms key list --help)")]
    [InlineData(new[] { "admin", "status", "--jsn" }, "objstore: unknown option '--jsn'; did you mean --json? (see objstore admin status --help)")]
    public async Task ATypoIsRefusedWithTheNearestName(string[] args, string message)
    {
        var (exit, _, error) = await CliRun.RunAsync(args);
        Assert.Equal(2, exit);
        Assert.Equal(message + Environment.NewLine, error);
    }

    [Fact]
    public async Task AnOptionWithoutItsValueIsNamed()
    {
        var (exit, _, error) = await CliRun.RunAsync("dev", "--ec", "--data", "x");
        Assert.Equal(2, exit);
        Assert.StartsWith("objstore: --ec needs a value", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new[] { "node", "--data", "d", "--cluster-secret", "0123456789abcdef" }, "objstore: Option '--node-id' is required.")]
    [InlineData(new[] { "admin" }, "objstore: objstore admin needs a command: info, status, jobs, heal, scrub, gc, rebuild-metadata, backup, drain, rebalance, lifecycle, user, key, policy, kms, compression (see objstore admin --help)")]
    public async Task WhatIsMissingIsNamed(string[] args, string message)
    {
        var (exit, _, error) = await CliRun.RunAsync(args);
        Assert.Equal(2, exit);
        Assert.Equal(message + Environment.NewLine, error);
    }

    [Fact]
    public async Task AMissingArgumentIsAOneLineMistake()
    {
        var (exit, _, error) = await CliRun.RunAsync("admin", "user", "add");
        Assert.Equal(2, exit);
        Assert.Single(error.TrimEnd().Split('\n'));
        Assert.StartsWith("objstore: ", error, StringComparison.Ordinal);
    }

    [Fact]
    public void AFlagFollowedByAWordLeavesTheWordAnArgument()
    {
        var parsed = CommandLine.Build().Parse(["admin", "scrub", "--wait", "node-3"]);
        Assert.Empty(parsed.Errors);
        var options = Options.From(parsed);
        Assert.True(options.Flag("wait"));
        Assert.Equal(["node-3"], options.Positional);
    }

    [Fact]
    public void OptionsOfAParentCommandCountAfterTheSubcommand()
    {
        var parsed = CommandLine.Build().Parse(["admin", "kms", "key", "add", "k1", "--endpoint", "http://h:1", "--json"]);
        Assert.Empty(parsed.Errors);
        var options = Options.From(parsed, ["key", "add"]);
        Assert.Equal("http://h:1", options.Get("endpoint"));
        Assert.True(options.Flag("json"));
        Assert.Equal(["key", "add", "k1"], options.Positional);
    }

    [Theory]
    [InlineData("1MiB", 1L << 20)]
    [InlineData("64KiB", 64L << 10)]
    [InlineData("1MB", 1_000_000L)]
    [InlineData("1048576", 1L << 20)]
    public void SizesTakeUnits(string text, long bytes)
    {
        var parsed = CommandLine.Build().Parse(["dev", "--stripe-size", text]);
        Assert.Empty(parsed.Errors);
        Assert.Equal(bytes, Options.From(parsed).GetBytes("stripe-size"));
    }

    [Theory]
    [InlineData("1MiBs")]
    [InlineData("lots")]
    public async Task ASizeThatIsNoSizeIsRefused(string text)
    {
        var (exit, _, error) = await CliRun.RunAsync("dev", "--stripe-size", text);
        Assert.Equal(2, exit);
        Assert.StartsWith("objstore: --stripe-size expects a size such as 1MiB, 64KiB or 1048576", error, StringComparison.Ordinal);
        Assert.Single(error.TrimEnd().Split('\n'));
    }

    [Fact]
    public void TheMasterKeyMismatchIsAStartupMistake() =>
        Assert.Equal("keys differ", CommandLine.StartupMistake(new Kms.MasterKeyMismatchException("keys differ")));

    [Fact]
    public void ABugIsNoStartupMistake() => Assert.Null(CommandLine.StartupMistake(new InvalidOperationException("a bug")));
}
