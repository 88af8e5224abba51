namespace Evaluator.Tests.Core;

/// <summary>Finds files of ../shared (beside the checkout) from the test binaries.</summary>
public static class SharedFiles
{
    public static string Find(string relative)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "shared", relative);
            if (File.Exists(candidate)) return candidate;
        }
        throw new FileNotFoundException($"shared/{relative} not found above {AppContext.BaseDirectory}");
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
