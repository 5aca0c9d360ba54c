namespace ObjStore.Integration.Tests;

/// <summary>Where the repository and the built <c>objstore</c> are, for tests that run it as a separate process.</summary>
internal static class RepoPaths
{
    public static readonly string Root = FindRoot();

    /// <summary>The Release build of the binary (.ci/run and the README build it before the tests).</summary>
    public static string Objstore => Path.Combine(Root, "src", "ObjStore", "bin", "Release", "net10.0", "objstore.dll");

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "ObjStore.sln")))
        {
            dir = dir.Parent;
        }
        return dir?.FullName ?? throw new InvalidOperationException("ObjStore.sln not found above the test binaries.");
    }
}
