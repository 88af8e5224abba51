using Evaluator.Messages;
using Evaluator.Tests.Support;

namespace Evaluator.Tests.Processes;

/// <summary>
/// The decode memory budget as a user sets it (EVALUATOR_DECODE_MEMORY_BUDGET): a pair larger
/// than the whole budget is refused (exit 3, or skipped with --skip-bad); many pairs under a
/// small budget still give the exact matrix.
/// </summary>
// Category=Services: runs the evaluator as a child process with its own environment.
[Trait("Category", "Services")]
[Collection("processes")]
public sealed class DecodeBudgetProcessTests
{
    private const int Classes = 5;

    private static string[] Args(Dataset ds, string dir, params string[] extra) =>
    [
        "evaluate", "--gt", ds.GroundTruthDir, "--pred", ds.PredictionDir, "--classes", $"{Classes}", "--ignore", "255",
        "--data-dir", Path.Combine(dir, "data"), "--report", Path.Combine(dir, "report.json"), .. extra,
    ];

    [Fact]
    public void A_pair_larger_than_the_budget_is_refused_with_exit_3_or_skipped_with_skip_bad()
    {
        var dir = TestEnvironment.TempDir("budget-refused");
        var ds = new Dataset(dir, Dataset.Format.PngGray8, pairs: 2, width: 64, height: 48, classes: Classes, seed: 8);
        var env = new Dictionary<string, string?> { ["EVALUATOR_DECODE_MEMORY_BUDGET"] = "4000" };
        using (var refused = ChildProcess.StartEvaluator(Args(ds, dir), env))
        {
            var exit = refused.WaitForExit(TimeSpan.FromSeconds(120));
            Assert.True(exit == 3, $"exit code {exit}\n{refused.Transcript}");
            Assert.Contains("more than the decode memory budget of 4,000 bytes", refused.Stderr);
            Assert.Contains(".png", refused.Stderr);
        }
        var skipDir = Path.Combine(dir, "skip");
        using var skipped = ChildProcess.StartEvaluator(Args(ds, skipDir, "--skip-bad", "--max-bad", "2"), env);
        var skipExit = skipped.WaitForExit(TimeSpan.FromSeconds(120));
        Assert.True(skipExit == 0, $"exit code {skipExit}\n{skipped.Transcript}");
        var report = ReportFile.Read(Path.Combine(skipDir, "report.json"));
        Assert.Equal(2, report.BadPairs.Count);
        Assert.All(report.BadPairs, b => Assert.Contains("decode memory budget", b.Error));
    }

    [Fact]
    public void Many_pairs_under_a_small_budget_give_the_exact_matrix()
    {
        var dir = TestEnvironment.TempDir("budget-small");
        var ds = new Dataset(dir, Dataset.Format.PngGray8, pairs: 40, width: 16, height: 16, classes: Classes, seed: 9);
        // About two 16×16 pairs at a time over 4 partitions decoding 4 pairs each in parallel.
        var env = new Dictionary<string, string?>
        {
            ["EVALUATOR_DECODE_MEMORY_BUDGET"] = "3000",
            ["EVALUATOR_DECODE_PARALLELISM"] = "4",
        };
        using var run = ChildProcess.StartEvaluator(Args(ds, dir, "--partitions", "4"), env);
        var exit = run.WaitForExit(TimeSpan.FromSeconds(120));
        Assert.True(exit == 0, $"exit code {exit}\n{run.Transcript}");
        var expected = ds.Recount(new RunSpec(Classes, ignoreLabels: [255]));
        var report = ReportFile.Read(Path.Combine(dir, "report.json"));
        Assert.Empty(report.BadPairs);
        Assert.Equal(expected.Matrix, report.Matrix);
        Assert.Equal(expected.Pixels, report.Pixels);
    }
}
