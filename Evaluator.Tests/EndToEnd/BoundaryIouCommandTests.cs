using System.Text.Json;
using Evaluator.Node.Cli;
using Evaluator.Tests.Core;
using Evaluator.Tests.Support;

namespace Evaluator.Tests.EndToEnd;

/// <summary>
/// evaluate --boundary-iou end to end (one-node cluster, SQLite journal): the report's per-class
/// boundary intersection and union equal the test suite's erosion recount summed over the pairs,
/// with pairs crossing the stream in slices over several partitions.
/// </summary>
public class BoundaryIouCommandTests
{
    private const int Classes = 4;
    private const double Dilation = 0.05;

    [Theory]
    [InlineData(Dataset.Format.PngGray8)]
    [InlineData(Dataset.Format.NpyU16)]
    public void Report_boundary_sums_equal_the_erosion_recount(Dataset.Format format)
    {
        var dir = TestEnvironment.TempDir("boundary");
        var gtDir = Directory.CreateDirectory(Path.Combine(dir, "gt")).FullName;
        var predDir = Directory.CreateDirectory(Path.Combine(dir, "pred")).FullName;
        var inter = new long[Classes];
        var union = new long[Classes];
        var rng = new Random(11);
        var sizes = new[] { (37, 53), (48, 64), (21, 90), (64, 33), (45, 45) };
        for (var i = 0; i < sizes.Length; i++)
        {
            var (h, w) = sizes[i];
            var gt = BoundaryCounterTests.Blobs(rng, h, w, Classes, 255);
            var pred = BoundaryCounterTests.Blobs(rng, h, w, Classes, 0);
            Dataset.Write(Path.Combine(gtDir, $"img{i}"), format, w, h, gt.Select(v => (long)v).ToArray());
            Dataset.Write(Path.Combine(predDir, $"img{i}"), format, w, h, pred.Select(v => (long)v).ToArray());
            var d = NaiveBoundary.Dilation(Dilation, h, w);
            var (pi, pu) = NaiveBoundary.Run(Classes, h, w, d, gt, pred, gt.Select(v => v != 255).ToArray());
            for (var c = 0; c < Classes; c++)
            {
                inter[c] += pi[c];
                union[c] += pu[c];
            }
        }
        var report = Path.Combine(dir, "report.json");
        var csv = Path.Combine(dir, "report.csv");
        var exit = EvaluatorCli.Run([
            "evaluate", "--gt", gtDir, "--pred", predDir, "--classes", Classes.ToString(), "--ignore", "255",
            "--report", report, "--csv", csv, "--data-dir", Path.Combine(dir, "data"), "--run-id", "b1",
            "--partitions", "2", "--batch-pixels", "700", "--boundary-iou", "--boundary-dilation", "0.05",
        ]);

        Assert.Equal(EvaluatorCli.ExitOk, exit);
        using var doc = JsonDocument.Parse(File.ReadAllText(report));
        var perClass = doc.RootElement.GetProperty("per_class").EnumerateArray().ToList();
        Assert.Equal(inter, perClass.Select(c => c.GetProperty("boundary_intersection").GetInt64()).ToArray());
        Assert.Equal(union, perClass.Select(c => c.GetProperty("boundary_union").GetInt64()).ToArray());
        var ious = Enumerable.Range(0, Classes).Where(c => union[c] > 0).Select(c => (double)inter[c] / union[c]).ToList();
        Assert.Equal(ious.Average(), doc.RootElement.GetProperty("mean_boundary_iou").GetDouble(), 12);
        Assert.Equal(Dilation, doc.RootElement.GetProperty("boundary_dilation").GetDouble());
        Assert.EndsWith(",boundary_iou,boundary_intersection,boundary_union", File.ReadLines(csv).First());
    }

    [Fact]
    public void Without_the_option_the_report_has_no_boundary_fields()
    {
        var dir = TestEnvironment.TempDir("noboundary");
        var ds = new Dataset(dir, Dataset.Format.NpyU8, pairs: 2, width: 16, height: 12, classes: 3, seed: 5);
        var report = Path.Combine(dir, "report.json");
        Assert.Equal(EvaluatorCli.ExitOk, EvaluatorCli.Run([
            "evaluate", "--gt", ds.GroundTruthDir, "--pred", ds.PredictionDir, "--classes", "3", "--ignore", "255",
            "--report", report, "--data-dir", Path.Combine(dir, "data"),
        ]));
        var text = File.ReadAllText(report);
        Assert.DoesNotContain("boundary", text);
    }

    [Fact]
    public void A_run_resumed_with_another_dilation_or_without_boundary_iou_is_refused_as_bad_usage()
    {
        var dir = TestEnvironment.TempDir("boundary-resume");
        var ds = new Dataset(dir, Dataset.Format.NpyU8, pairs: 2, width: 16, height: 12, classes: 3, seed: 6);
        string[] Args(params string[] extra) =>
        [
            "evaluate", "--gt", ds.GroundTruthDir, "--pred", ds.PredictionDir, "--classes", "3", "--ignore", "255",
            "--data-dir", Path.Combine(dir, "data"), "--run-id", "b2", .. extra,
        ];
        Assert.Equal(EvaluatorCli.ExitOk, EvaluatorCli.Run(Args("--boundary-iou")));
        Assert.Equal(EvaluatorCli.ExitOk, EvaluatorCli.Run(Args("--boundary-iou"))); // the same run: its stored report
        Assert.Equal(EvaluatorCli.ExitUsage, EvaluatorCli.Run(Args()));
        Assert.Equal(EvaluatorCli.ExitUsage, EvaluatorCli.Run(Args("--boundary-iou", "--boundary-dilation", "0.1")));
    }

    [Fact]
    public void A_dilation_without_the_option_or_not_positive_is_bad_usage()
    {
        Assert.Equal(EvaluatorCli.ExitUsage, EvaluatorCli.Run(["evaluate", "--gt", "x", "--pred", "y", "--classes", "3", "--boundary-dilation", "0.1"]));
        Assert.Equal(EvaluatorCli.ExitUsage, EvaluatorCli.Run(["evaluate", "--gt", "x", "--pred", "y", "--classes", "3", "--boundary-iou", "--boundary-dilation", "0"]));
    }
}
