namespace Evaluator.Tests.Support;

/// <summary>Files of this repository, found from the test binaries (nothing outside the repository is read).</summary>
public static class RepoFiles
{
    /// <summary>A file of Evaluator.Tests/Fixtures, copied beside the test binaries by the project file.</summary>
    public static string Fixture(string relative)
    {
        var path = Path.Combine(AppContext.BaseDirectory, "Fixtures", relative);
        return File.Exists(path)
            ? path
            : throw new FileNotFoundException($"Fixtures/{relative} is not beside the test binaries ({AppContext.BaseDirectory})");
    }

    /// <summary>The repository root (the folder holding Evaluator.sln).</summary>
    public static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Evaluator.sln"))) return dir.FullName;
        }
        throw new DirectoryNotFoundException($"Evaluator.sln not found above {AppContext.BaseDirectory}");
    }
}
