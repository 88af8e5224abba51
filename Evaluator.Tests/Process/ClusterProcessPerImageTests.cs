using Evaluator.Messages;
using Evaluator.Tests.Support;

namespace Evaluator.Tests.Processes;

/// <summary>
/// A per-image run on the real cluster of <see cref="ClusterProcessTests"/>: a worker counting a
/// partition is killed with SIGKILL mid-run; its partition resumes on a survivor from the
/// coordinator's watermark, and the per-image file still lists every image exactly once, each
/// with its own exact recount, summing to the exact matrix.
/// </summary>
public sealed partial class ClusterProcessTests
{
    [Theory]
    [InlineData(Journals.Sqlite)]
    [InlineData(Journals.Postgres)]
    public void A_worker_killed_mid_per_image_run_still_writes_each_image_once_exactly(string journal)
    {
        var (ds, spec) = MakeDataset();
        var runId = RunId("image");
        var report = Path.Combine(_dir, "report.json");
        var images = Path.Combine(_dir, "images.jsonl");
        var nodes = StartCluster(journal, Throttle);
        string[] args =
        [
            "submit", "--gt", ds.GroundTruthDir, "--pred", ds.PredictionDir, "--classes", $"{Classes}", "--ignore", "255",
            "--partitions", $"{Partitions}", "--run-id", runId, "--report", report, "--per-image", images,
            "--bootstrap", "100", "--seed", "3",
        ];
        // The client reads the per-image rows from the cluster's journal: it gets the workers' journal settings.
        var env = SubmitEnvironment(string.Join(",", nodes.Select(n => n.Address)), Path.Combine(_dir, "journal"));
        foreach (var (name, value) in Journals.Environment(journal)) env[name] = value;
        var submit = ChildProcess.StartEvaluator(args, env);
        _children.Add(submit);

        KillAWorkerMidRunAndFinish(nodes, submit, runId);
        AssertExact(ds, spec, report);

        var lines = PerImageLine.ReadAll(images);
        var order = ds.SortedIndices;
        // Each image exactly once, in pair order, each its own exact recount.
        Assert.Equal(order.Select(i => Path.GetRelativePath(ds.GroundTruthDir, ds.GroundTruthPath(i))), lines.Select(l => l.Image));
        foreach (var (l, i) in lines.Zip(order))
        {
            var recount = ds.Recount(spec, [i]);
            Assert.Equal(PerImageLine.CellsOf(recount.Matrix), l.Cells);
            Assert.Equal(recount.Pixels, l.Pixels);
        }
        Assert.Equal(ds.Recount(spec).Matrix, PerImageLine.Sum(lines, Classes));
        // submit --bootstrap: the report carries the intervals resampled from that file.
        using var json = System.Text.Json.JsonDocument.Parse(File.ReadAllText(report));
        var b = json.RootElement.GetProperty("bootstrap");
        Assert.Equal(100, b.GetProperty("resamples").GetInt32());
        Assert.Equal(3, b.GetProperty("seed").GetInt64());
        Assert.Equal(Classes, b.GetProperty("per_class_iou").GetArrayLength());
    }
}
