using System.Text.Json;
using System.Text.Json.Nodes;
using Evaluator.Messages;
using Evaluator.Tests.Core;
using Evaluator.Tests.Support;
using Xunit.Abstractions;

namespace Evaluator.Tests.Processes;

/// <summary>
/// The upgrade rule, checked against a journal that an earlier release wrote
/// (<c>Fixtures/journal-v1</c>, see its SOURCE.md): this build lists its runs exactly as that
/// release did, gives the completed run's report, and resumes the run that was interrupted to the
/// exact matrix of the whole dataset. Every later release must keep passing this test; a release
/// that changes a persisted record adds a manifest and keeps reading the old one.
/// </summary>
// Category=Services: runs the evaluator as a child process; ./run-tests.sh --fast leaves it out.
[Trait("Category", "Services")]
[Collection("processes")]
public sealed class JournalFixtureTests(ITestOutputHelper output)
{
    /// <summary>Where the fixture's runs were made (their pair paths are absolute): make-fixture.sh's root.</summary>
    private const string Root = "/tmp/evaluator-journal-v1";

    /// <summary>The modification time make-fixture.sh gave every data file (runs record it).</summary>
    private static readonly DateTime FileTime = new(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    private static readonly RunSpec Spec = new(5, ignoreLabels: [255]);
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    private static string Fixture(string name) => Path.Combine(RepoFiles.RepoRoot(), "Evaluator.Tests", "Fixtures", "journal-v1", name);

    [Fact]
    public void A_v1_journal_lists_its_runs_as_v1_did_and_its_interrupted_run_resumes_to_the_exact_matrix()
    {
        var journal = LayOut();
        var recount = Recount();

        // runs: exactly what the release that wrote the journal printed (matrix-derived mean IoU, pixels, rows' times).
        var runs = Run(["runs", "--data-dir", journal, "--json"]);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(File.ReadAllText(Fixture("runs.json"))), JsonNode.Parse(runs)),
            $"runs --json differs from the fixture's runs.json:\n{runs}");

        // The completed run: its stored matrix is the full recount.
        var complete = Path.Combine(Root, "complete.json");
        Run(Evaluate("v1-complete", 3, complete));
        AssertExact(recount, complete);

        // The interrupted run (4 of 12 pairs counted) resumes and ends exactly.
        var resumed = Path.Combine(Root, "resumed.json");
        var stdout = Run(Evaluate("v1-interrupted", 2, resumed));
        Assert.Contains("resuming run v1-interrupted at 1,024 pixels already counted", stdout);
        AssertExact(recount, resumed);

        using var after = JsonDocument.Parse(Run(["runs", "--data-dir", journal, "--json"]));
        Assert.All(after.RootElement.EnumerateArray(), r =>
        {
            Assert.Equal("completed", r.GetProperty("status").GetString());
            Assert.Equal(12, r.GetProperty("pairs_done").GetInt32());
            Assert.Equal(recount.Pixels.Total, r.GetProperty("pixels").GetInt64());
        });
    }

    /// <summary>The fixture's data at its original paths and times, and a copy of its journal (the fixture stays untouched).</summary>
    private static string LayOut()
    {
        if (Directory.Exists(Root)) Directory.Delete(Root, recursive: true);
        var data = Path.Combine(Root, "data");
        foreach (var file in Directory.EnumerateFiles(Fixture("data"), "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(data, Path.GetRelativePath(Fixture("data"), file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
            File.SetLastWriteTimeUtc(target, FileTime);
        }
        var journal = Path.Combine(Root, "journal");
        Directory.CreateDirectory(journal);
        File.Copy(Fixture("evaluator.db"), Path.Combine(journal, "evaluator.db"));
        return journal;
    }

    private static string[] Evaluate(string runId, int partitions, string report) =>
    [
        "evaluate", "--gt", Path.Combine(Root, "data", "gt"), "--pred", Path.Combine(Root, "data", "pred"), "--classes", "5",
        "--ignore", "255", "--data-dir", Path.Combine(Root, "journal"), "--partitions", $"{partitions}", "--run-id", runId,
        "--report", report,
    ];

    private string Run(string[] args)
    {
        using var child = ChildProcess.StartEvaluator(args, new Dictionary<string, string?>
        {
            ["EVALUATOR_THROTTLE_PAIRS_PER_SECOND"] = null,
            ["EVALUATOR_JOURNAL_PROVIDER"] = null,
            ["EVALUATOR_JOURNAL_CONNECTION"] = null,
        });
        var exit = child.WaitForExit(Timeout);
        output.WriteLine($"{string.Join(' ', args[..1])}: exit {exit}");
        Assert.True(exit == 0, $"{string.Join(' ', args)}: exit {exit}\n{child.Transcript}");
        return child.Stdout;
    }

    /// <summary>The independent recount of the fixture's 12 pairs (uint8 .npy, read here without the product's reader).</summary>
    private static NaiveCount.Result Recount()
    {
        var gt = new List<long>();
        var pred = new List<long>();
        foreach (var file in Directory.EnumerateFiles(Fixture("data/gt"), "*.npy").Order(StringComparer.Ordinal))
        {
            gt.AddRange(NpyUInt8(file));
            pred.AddRange(NpyUInt8(Path.Combine(Fixture("data/pred"), Path.GetFileName(file))));
        }
        Assert.Equal(12 * 16 * 16, gt.Count);
        return NaiveCount.Run(Spec, gt, pred);
    }

    /// <summary>The values of a version-1 .npy of dtype |u1: magic (6 bytes), version (2), header length (2, LE), header, data.</summary>
    private static IEnumerable<long> NpyUInt8(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var headerLength = bytes[8] | (bytes[9] << 8);
        Assert.Contains("'descr': '|u1'", System.Text.Encoding.ASCII.GetString(bytes, 10, headerLength));
        return bytes.Skip(10 + headerLength).Select(b => (long)b);
    }

    private static void AssertExact(NaiveCount.Result expected, string reportPath)
    {
        var report = ReportFile.Read(reportPath);
        Assert.Equal("completed", report.Status);
        Assert.Equal(expected.Matrix, report.Matrix);
        Assert.Equal(expected.Pixels, report.Pixels);
    }
}
