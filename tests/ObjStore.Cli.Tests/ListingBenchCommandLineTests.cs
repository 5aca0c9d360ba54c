namespace ObjStore.Cli.Tests;

/// <summary>
/// `objstore bench list` with arguments it cannot use stops before it loads anything: exit status 2, a one-line
/// reason, no temporary data folder made.
/// </summary>
[Collection(ConsoleUsers.Name)]
public sealed class ListingBenchCommandLineTests
{
    private static async Task<(int Exit, string Error, bool FolderMade)> RunAsync(params string[] arguments)
    {
        var before = BenchFolders();
        var error = new StringWriter();
        var previous = Console.Error;
        Console.SetError(error);
        try
        {
            int exit = await CommandLine.RunAsync(["bench", "list", .. arguments]);
            return (exit, error.ToString(), !BenchFolders().SetEquals(before));
        }
        finally
        {
            Console.SetError(previous);
        }
    }

    private static HashSet<string> BenchFolders() =>
        [.. Directory.EnumerateDirectories(Path.GetTempPath(), "objstore-bench-list-*")];

    [Theory]
    [InlineData(new[] { "--keys", "0" }, "--keys takes whole numbers from 1 to 1000000000, comma-separated, not '0'")]
    [InlineData(new[] { "--keys", "1000000001" }, "--keys takes whole numbers from 1 to 1000000000, comma-separated, not '1000000001'")]
    [InlineData(new[] { "--keys", "1e6" }, "--keys takes whole numbers from 1 to 1000000000, comma-separated, not '1e6'")]
    [InlineData(new[] { "--keys", "1000,,10" }, "--keys takes whole numbers from 1 to 1000000000, comma-separated, not '1000,,10'")]
    [InlineData(new[] { "--keys", "-5" }, "--keys takes whole numbers from 1 to 1000000000, comma-separated, not '-5'")]
    [InlineData(new[] { "--keys" }, "--keys needs a value")]
    [InlineData(new[] { "--pages", "0" }, "--pages must be from 1 to 100000, not 0")]
    [InlineData(new[] { "--pages", "many" }, "--pages expects a whole number, got 'many'")]
    [InlineData(new[] { "--catalogue", "mysql" }, "--catalogue takes sqlite, postgres or both, comma-separated, not 'mysql'")]
    [InlineData(new[] { "--catalogue", "sqlite,sqlite" }, "--catalogue takes sqlite, postgres or both, comma-separated, not 'sqlite,sqlite'")]
    [InlineData(new[] { "--catalogue", "sqlite,postgres" }, "--catalogue postgres needs --postgres SERVER")]
    [InlineData(new[] { "--keys", "1000", "--page", "10" }, "unknown option '--page'; did you mean --pages? (see objstore bench list --help)")]
    public async Task ArgumentsItCannotUseAreRefusedBeforeAnythingIsLoaded(string[] arguments, string message)
    {
        var (exit, error, folderMade) = await RunAsync(arguments);
        Assert.Equal(2, exit);
        Assert.StartsWith("objstore: " + message, error, StringComparison.Ordinal);
        Assert.Single(error.TrimEnd().Split('\n'));
        Assert.DoesNotContain("   at ", error, StringComparison.Ordinal);
        Assert.False(folderMade);
    }

    [Fact]
    public void SizesAreParsedInTheOrderGiven()
    {
        Assert.Equal([1000L, 1_000_000, 10_000_000], Commands.ListingBenchCommand.ParseSizes("1000,1000000,10000000"));
    }
}
