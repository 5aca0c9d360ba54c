namespace ObjStore.TestKit;

/// <summary>
/// Where the repository and the built <c>objstore</c> are, for tests that run it as a separate process or run the
/// repository's scripts. Both are looked up once, on first use.
/// </summary>
public static class RepoPaths
{
    private static readonly Lazy<string> RootPath = new(FindRoot);
    private static readonly Lazy<string> Binary = new(FindBinary);

    /// <summary>The folder holding ObjStore.sln, above the test binaries.</summary>
    public static string Root => RootPath.Value;

    /// <summary>The Release build of the binary (.ci/run and the README build it before the tests).</summary>
    public static string Objstore => Binary.Value;

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "ObjStore.sln")))
        {
            dir = dir.Parent;
        }
        return dir?.FullName ?? throw new InvalidOperationException("ObjStore.sln not found above the test binaries.");
    }

    private static string FindBinary()
    {
        string path = Path.Combine(Root, "src", "ObjStore", "bin", "Release", "net10.0", "objstore.dll");
        return File.Exists(path)
            ? path
            : throw new FileNotFoundException($"{path} is missing: build the solution in Release first (dotnet build ObjStore.sln -c Release).", path);
    }
}
