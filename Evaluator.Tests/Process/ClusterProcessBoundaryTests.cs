using System.Text.Json;
using Evaluator.Tests.Core;
using Evaluator.Tests.Support;

namespace Evaluator.Tests.Processes;

/// <summary>
/// A boundary IoU run (<c>submit --boundary-iou</c>) on the real cluster of
/// <see cref="ClusterProcessTests"/>: a worker counting a partition is killed with SIGKILL mid-run;
/// its partitions resume on a survivor, and the report's per-class boundary intersection and
/// union still equal the test suite's own single-process erosion recount exactly.
/// </summary>
public sealed partial class ClusterProcessTests
{
    private const double BoundaryDilation = 0.05;

    [Theory]
    [InlineData(Journals.Sqlite)]
    public void A_worker_killed_mid_boundary_run_leaves_the_boundary_sums_exact(string journal)
    {
        var (ds, spec) = MakeDataset();
        var runId = RunId("bound");
        var report = Path.Combine(_dir, "report.json");
        var nodes = StartCluster(journal, Throttle);
        string[] args =
        [
            "submit", "--gt", ds.GroundTruthDir, "--pred", ds.PredictionDir, "--classes", $"{Classes}", "--ignore", "255",
            "--partitions", $"{Partitions}", "--run-id", runId, "--report", report,
            "--boundary-iou", "--boundary-dilation", "0.05",
        ];
        var submit = ChildProcess.StartEvaluator(args,
            SubmitEnvironment(string.Join(",", nodes.Select(n => n.Address)), Path.Combine(_dir, "client")));
        _children.Add(submit);

        KillAWorkerMidRunAndFinish(nodes, submit, runId);
        AssertExact(ds, spec, report);

        // The single-process recount: each pair's erosion boundaries, summed per class (int64).
        var inter = new long[Classes];
        var union = new long[Classes];
        var d = NaiveBoundary.Dilation(BoundaryDilation, ds.Height, ds.Width);
        for (var i = 0; i < ds.Count; i++)
        {
            var (gt, pred) = ds.Labels(i);
            var (pi, pu) = NaiveBoundary.Run(Classes, ds.Height, ds.Width, d,
                [.. gt.Select(v => (int)v)], [.. pred.Select(v => (int)v)], [.. gt.Select(v => v != 255)]);
            for (var c = 0; c < Classes; c++)
            {
                inter[c] += pi[c];
                union[c] += pu[c];
            }
        }
        using var json = JsonDocument.Parse(File.ReadAllText(report));
        var perClass = json.RootElement.GetProperty("per_class").EnumerateArray().ToList();
        Assert.Equal(inter, perClass.Select(c => c.GetProperty("boundary_intersection").GetInt64()));
        Assert.Equal(union, perClass.Select(c => c.GetProperty("boundary_union").GetInt64()));
        Assert.Contains(union, u => u > 0);
        Assert.Equal(BoundaryDilation, json.RootElement.GetProperty("boundary_dilation").GetDouble());
    }
}
