using Evaluator.Messages;
using Evaluator.Tests.Support;

namespace Evaluator.Tests.Processes;

/// <summary>
/// Multi-core JIT (EVALUATOR_JIT_PROFILE): the real program records a profile of `evaluate` and
/// replays it on the next start, with the same exact result; a directory it cannot write is
/// skipped without a word.
/// </summary>
// Category=Services: runs the evaluator as a child process; ./run-tests.sh --fast leaves it out.
[Trait("Category", "Services")]
[Collection("processes")]
public sealed class JitProfileProcessTests
{
    private const int Classes = 5;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    private static ReportFile Evaluate(Dataset ds, string dir, string profile, string name)
    {
        var report = Path.Combine(dir, $"{name}.json");
        using var child = ChildProcess.StartEvaluator(
        [
            "evaluate", "--gt", ds.GroundTruthDir, "--pred", ds.PredictionDir, "--classes", $"{Classes}", "--ignore", "255",
            "--data-dir", Path.Combine(dir, $"data-{name}"), "--report", report, "--quiet",
        ], new Dictionary<string, string?> { ["EVALUATOR_JIT_PROFILE"] = profile });
        var exit = child.WaitForExit(Timeout);
        Assert.True(exit == 0, $"exit code {exit}\n{child.Transcript}");
        Assert.Equal("", child.Stderr.Trim());
        return ReportFile.Read(report);
    }

    [Fact]
    public void Evaluate_records_its_profile_and_replays_it_with_the_same_exact_result()
    {
        var dir = TestEnvironment.TempDir("jit-profile");
        var ds = new Dataset(Path.Combine(dir, "ds"), Dataset.Format.NpyU8, pairs: 3, width: 16, height: 8, classes: Classes, seed: 41);
        var expected = ds.Recount(new RunSpec(Classes, ignoreLabels: [255]));
        var profiles = Path.Combine(dir, "profiles");

        var first = Evaluate(ds, dir, profiles, "first");
        var profile = new FileInfo(Path.Combine(profiles, "evaluate.jitprofile"));
        Assert.True(profile.Exists && profile.Length > 0, "no evaluate.jitprofile after the first run");
        var second = Evaluate(ds, dir, profiles, "second");

        foreach (var r in new[] { first, second })
        {
            Assert.Equal("completed", r.Status);
            Assert.Equal(expected.Matrix, r.Matrix);
            Assert.Equal(expected.Pixels, r.Pixels);
        }
        Assert.Empty(Directory.GetFiles(profiles, ".probe-*"));
    }

    [Fact]
    public void A_profile_directory_that_cannot_be_created_is_skipped_silently()
    {
        var dir = TestEnvironment.TempDir("jit-profile-bad");
        var ds = new Dataset(Path.Combine(dir, "ds"), Dataset.Format.NpyU8, pairs: 1, width: 8, height: 8, classes: Classes, seed: 43);
        var file = Path.Combine(dir, "a-file");
        File.WriteAllText(file, "not a directory");

        var report = Evaluate(ds, dir, Path.Combine(file, "jit"), "bad");
        Assert.Equal(ds.Recount(new RunSpec(Classes, ignoreLabels: [255])).Matrix, report.Matrix);
    }
}
