using System.Runtime.CompilerServices;

namespace Evaluator.Tests.Support;

/// <summary>Process-wide settings of the test run (inherited by child processes).</summary>
public static class TestEnvironment
{
    [ModuleInitializer]
    public static void Init()
    {
        // Fast protocol timing so that tests converge quickly.
        Environment.SetEnvironmentVariable("EVALUATOR_SNAPSHOT_INTERVAL", "100ms");
        Environment.SetEnvironmentVariable("EVALUATOR_PARTIAL_INTERVAL", "100ms");
        Environment.SetEnvironmentVariable("EVALUATOR_RESTART_PARTITIONS_INTERVAL", "1s");
    }

    public static string TempDir(string prefix)
    {
        var dir = Path.Combine(Path.GetTempPath(), "evaluator-tests", $"{prefix}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        return dir;
    }
}
