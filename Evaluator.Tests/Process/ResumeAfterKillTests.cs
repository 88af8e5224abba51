using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Evaluator.Messages;
using Evaluator.Tests.Support;
using Xunit.Abstractions;

namespace Evaluator.Tests.Processes;

/// <summary>
/// Crash safety of <c>evaluate</c> as a user sees it: the program is killed with SIGKILL in the
/// middle of a run (no shutdown code runs), then started again with the same run id and data
/// directory; it must resume from its journal and end with exactly the independent recount.
/// </summary>
// Category=Services: runs and kills the evaluator as a child process; ./run-tests.sh --fast leaves it out.
[Trait("Category", "Services")]
[Collection("processes")]
public sealed partial class ResumeAfterKillTests(ITestOutputHelper output)
{
    private const int Classes = 7;

    [GeneratedRegex(@"(\d[\d,]*)/(\d[\d,]*) pairs")]
    private static partial Regex ProgressPattern();

    [GeneratedRegex(@"resuming run (\S+) at (\d[\d,]*) pixels already counted")]
    private static partial Regex ResumingPattern();

    private static long Number(string text) => long.Parse(text, NumberStyles.AllowThousands, CultureInfo.InvariantCulture);

    /// <summary>(pairs done, pairs in all) of a plain progress line, or null.</summary>
    private static (long Done, long Total)? Progress(string line)
    {
        var m = ProgressPattern().Match(line);
        return m.Success ? (Number(m.Groups[1].Value), Number(m.Groups[2].Value)) : null;
    }

    [Fact]
    public void A_run_killed_mid_way_resumes_and_counts_every_pixel_exactly_once()
    {
        var clock = Stopwatch.StartNew();
        var dir = TestEnvironment.TempDir("kill");
        // 80 pairs on 2 partitions at 20 pairs/s each: about 2 s of counting, so the kill lands
        // well inside the run (progress lines come once a second).
        var ds = new Dataset(dir, Dataset.Format.NpyU8, pairs: 80, width: 64, height: 48, classes: Classes, seed: 17);
        var reportPath = Path.Combine(dir, "report.json");
        string[] args =
        [
            "evaluate", "--gt", ds.GroundTruthDir, "--pred", ds.PredictionDir, "--classes", $"{Classes}",
            "--ignore", "255", "--partitions", "2", "--run-id", "killed-run", "--data-dir", Path.Combine(dir, "data"),
            "--report", reportPath,
        ];
        var expected = ds.Recount(new RunSpec(Classes, ignoreLabels: [255]));

        string line;
        using (var first = ChildProcess.StartEvaluator(args,
                   new Dictionary<string, string?> { ["EVALUATOR_THROTTLE_PAIRS_PER_SECOND"] = "20" }))
        {
            line = first.WaitForLine(l => Progress(l) is { } p && p.Done > 0 && p.Done < p.Total,
                TimeSpan.FromSeconds(90), "progress line with some but not all pairs done");
            Assert.False(first.HasExited, $"the run ended before it could be killed (at '{line}')\n{first.Transcript}");
            first.Kill();
            Assert.True(first.HasExited);
        }
        Assert.False(File.Exists(reportPath), "the killed run must not have written a report");

        using var second = ChildProcess.StartEvaluator(args,
            new Dictionary<string, string?> { ["EVALUATOR_THROTTLE_PAIRS_PER_SECOND"] = null });
        var exit = second.WaitForExit(TimeSpan.FromSeconds(120));
        Assert.True(exit == 0, $"exit code {exit}\n{second.Transcript}");

        // It resumed (from what the killed run had journaled) rather than starting over.
        var resumed = ResumingPattern().Match(second.Stdout);
        Assert.True(resumed.Success, $"no 'resuming' line\n{second.Transcript}");
        Assert.Equal("killed-run", resumed.Groups[1].Value);
        Assert.InRange(Number(resumed.Groups[2].Value), 1, expected.Pixels.Total - 1);

        // No pixel lost, none counted twice.
        var report = ReportFile.Read(reportPath);
        Assert.Equal("completed", report.Status);
        Assert.Empty(report.BadPairs);
        Assert.Equal(expected.Matrix, report.Matrix);
        Assert.Equal(expected.Pixels, report.Pixels);
        output.WriteLine($"killed after '{line}'; resumed at {resumed.Groups[2].Value} of {expected.Pixels.Total:N0} pixels; " +
                         $"{clock.Elapsed.TotalSeconds:F1} s in all");
    }
}
