namespace ObjStore.Cli.Tests;

/// <summary>
/// `objstore dev` with a value it cannot use stops before it starts (no data folder is made, no port taken) with a
/// one-line reason and exit status 2, never a stack trace nor a silently corrected value.
/// </summary>
[Collection(ConsoleUsers.Name)]
public sealed class DevCommandLineTests : IDisposable
{
    private readonly string _data = Path.Combine(Path.GetTempPath(), "objstore-cli-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_data))
        {
            Directory.Delete(_data, recursive: true);
        }
    }

    private async Task<(int Exit, string Error)> RunDevAsync(params string[] extra)
    {
        var error = new StringWriter();
        var previous = Console.Error;
        Console.SetError(error);
        try
        {
            // An address that cannot be listened on is checked last: were the value under test let through, the
            // command fails on it instead of starting a server the test would wait on.
            int exit = await CommandLine.RunAsync(["dev", "--data", _data, "--listen", "not-a-url", .. extra]);
            return (exit, error.ToString());
        }
        finally
        {
            Console.SetError(previous);
        }
    }

    [Theory]
    [InlineData("0", "Write quorum 0 must be from K (4) to K+M (6) for erasure 4+2.")]
    [InlineData("3", "Write quorum 3 must be from K (4) to K+M (6) for erasure 4+2.")]
    [InlineData("7", "Write quorum 7 must be from K (4) to K+M (6) for erasure 4+2.")]
    [InlineData("99", "Write quorum 99 must be from K (4) to K+M (6) for erasure 4+2.")]
    [InlineData("abc", "--write-quorum expects a whole number, got 'abc'")]
    public async Task AWriteQuorumOutsideTheLayoutIsRefused(string quorum, string message)
    {
        var (exit, error) = await RunDevAsync("--write-quorum", quorum);
        Assert.Equal(2, exit);
        Assert.StartsWith("objstore: " + message + Environment.NewLine, error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(_data));
    }

    [Fact]
    public async Task AWriteQuorumIsCheckedAgainstTheLayoutGiven()
    {
        var (exit, error) = await RunDevAsync("--ec", "2+1", "--write-quorum", "4");
        Assert.Equal(2, exit);
        Assert.Contains("Write quorum 4 must be from K (2) to K+M (3) for erasure 2+1.", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--ec")]
    [InlineData("--ec", "--write-quorum", "5")]
    public async Task AnErasureLayoutWithoutAValueIsRefused(params string[] arguments)
    {
        var (exit, error) = await RunDevAsync(arguments);
        Assert.Equal(2, exit);
        Assert.StartsWith("objstore: --ec needs a value", error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(_data));
    }
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ConsoleUsers
{
    /// <summary>Tests that redirect the process's console run alone.</summary>
    public const string Name = "console";
}
