using System.Text.Json;
using System.Text.RegularExpressions;
using Evaluator.Tests.Support;

namespace Evaluator.Tests.EndToEnd;

/// <summary>
/// evaluate as CI runs it: the real program with redirected output. Nothing wraps (paths, run
/// ids, the throughput line stay whole), --json leaves the report alone on stdout, errors and
/// skipped pairs go to stderr, and skipped pairs decide the exit code (--max-bad).
/// </summary>
[Trait("Category", "Services")]
[Collection("processes")]
public sealed partial class RedirectedOutputTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(120);

    [GeneratedRegex(@"^throughput: [\d,]+ pixels in [\d.]+ s = [\d.]+ Mpx/s \(after [\d.]+ s starting the run: journal, cluster\)$")]
    private static partial Regex Throughput();

    private static string[] Args(Dataset ds, string dir, params string[] extra) =>
    [
        "evaluate", "--gt", ds.GroundTruthDir, "--pred", ds.PredictionDir, "--classes", "5", "--ignore", "255",
        "--data-dir", Path.Combine(dir, "data"), "--report", Path.Combine(dir, "report.json"), .. extra,
    ];

    private static string[] Lines(string text) => text.Split('\n').Select(l => l.TrimEnd('\r')).ToArray();

    /// <summary>A dataset under a deep directory with long names: its paths are far wider than 80 columns.</summary>
    private static Dataset DeepDataset(string dir, int pairs = 4)
    {
        var deep = Path.Combine(dir, "a_rather_long_directory_name_for_the_ground_truth_of_this_test",
            "and_another_level_frankfurt_000000_000007_gtFine_labelTrainIds");
        return new Dataset(deep, Dataset.Format.NpyU8, pairs: pairs, width: 16, height: 16, classes: 5, seed: 11);
    }

    /// <summary>Breaks pair <paramref name="i"/>'s ground truth (a truncated .npy).</summary>
    private static void Break(Dataset ds, int i)
    {
        var path = ds.GroundTruthPath(i);
        File.WriteAllBytes(path, File.ReadAllBytes(path)[..20]);
    }

    [Fact]
    public void Redirected_output_never_splits_a_path_or_the_throughput_line()
    {
        var dir = TestEnvironment.TempDir("redirected");
        var ds = DeepDataset(dir);
        Break(ds, 1);
        using var child = ChildProcess.StartEvaluator(Args(ds, dir, "--skip-bad", "--max-bad", "1"));

        Assert.True(child.WaitForExit(Limit) == 0, child.Transcript);
        var bad = ds.GroundTruthPath(1);
        Assert.True(bad.Length > 120, bad);
        // The skipped pair is a warning on stderr, its path whole on one line.
        Assert.Contains(Lines(child.Stderr), l => l.Contains(bad, StringComparison.Ordinal));
        Assert.DoesNotContain(bad, child.Stdout);
        Assert.Single(Lines(child.Stdout), l => Throughput().IsMatch(l));
    }

    [Fact]
    public void Json_prints_the_report_alone_on_stdout()
    {
        var dir = TestEnvironment.TempDir("json");
        var ds = DeepDataset(dir, pairs: 3);
        using var child = ChildProcess.StartEvaluator(Args(ds, dir, "--json"));

        Assert.True(child.WaitForExit(Limit) == 0, child.Transcript);
        using var printed = JsonDocument.Parse(child.Stdout);
        using var written = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "report.json")));
        Assert.True(JsonElement.DeepEquals(printed.RootElement, written.RootElement), child.Transcript);
        // Messages and progress went to stderr.
        Assert.Contains("throughput:", child.Stderr);
    }

    [Fact]
    public void Quiet_json_prints_nothing_but_the_report()
    {
        var dir = TestEnvironment.TempDir("quiet");
        var ds = DeepDataset(dir, pairs: 2);
        using var child = ChildProcess.StartEvaluator(Args(ds, dir, "--json", "--quiet"));

        Assert.True(child.WaitForExit(Limit) == 0, child.Transcript);
        using var printed = JsonDocument.Parse(child.Stdout);
        Assert.Equal("completed", printed.RootElement.GetProperty("status").GetString());
        Assert.Equal("", child.Stderr.Trim());
    }

    [Fact]
    public void Skipped_pairs_exit_4_by_default_and_the_progress_ends_at_100_percent()
    {
        var dir = TestEnvironment.TempDir("skip4");
        var ds = DeepDataset(dir, pairs: 5);
        Break(ds, 0);
        Break(ds, 3);
        using var child = ChildProcess.StartEvaluator(Args(ds, dir, "--skip-bad"));

        Assert.True(child.WaitForExit(Limit) == 4, child.Transcript);
        var progress = Lines(child.Stdout).Where(l => l.StartsWith('[') && l.Contains(" pairs, ", StringComparison.Ordinal)).ToArray();
        Assert.NotEmpty(progress);
        Assert.Contains("100.0% 5/5 pairs", progress[^1]);
        Assert.EndsWith("ETA 00:00:00", progress[^1]);
        Assert.Contains("2 of 5 pairs skipped, more than --max-bad 0 allows", child.Stderr);
        Assert.Contains("warning: 2 pair(s) skipped", child.Stderr);
        Assert.Equal("completed", ReportFile.Read(Path.Combine(dir, "report.json")).Status);
    }

    [Theory]
    [InlineData("2", 0)]
    [InlineData("40%", 0)]
    [InlineData("1", 4)]
    [InlineData("39%", 4)]
    public void Max_bad_allows_that_many_skipped_pairs(string maxBad, int exit)
    {
        var dir = TestEnvironment.TempDir("maxbad");
        var ds = DeepDataset(dir, pairs: 5);
        Break(ds, 1);
        Break(ds, 2);
        using var child = ChildProcess.StartEvaluator(Args(ds, dir, "--skip-bad", "--max-bad", maxBad));

        Assert.True(child.WaitForExit(Limit) == exit, child.Transcript);
    }

    [Fact]
    public void A_failed_run_puts_its_error_and_resume_advice_on_stderr()
    {
        var dir = TestEnvironment.TempDir("failed");
        var ds = DeepDataset(dir, pairs: 3);
        Break(ds, 2);
        using var child = ChildProcess.StartEvaluator(Args(ds, dir));

        Assert.True(child.WaitForExit(Limit) == 3, child.Transcript);
        Assert.Contains("error: ", child.Stderr);
        var resume = Assert.Single(child.Stderr.Split('\n'), l => l.StartsWith("resume with: ", StringComparison.Ordinal));
        Assert.Contains(" evaluate ", resume);
        Assert.Contains("--run-id ", resume);
        Assert.DoesNotContain("error: ", child.Stdout);
    }
}
