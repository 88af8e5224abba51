using System.Text.Json;
using Evaluator.Messages;
using Evaluator.Messages.Protocol;
using Evaluator.Node.Cli;
using Evaluator.Tests.Support;

namespace Evaluator.Tests.EndToEnd;

/// <summary><c>evaluate --per-image</c> end to end: every row against an independent recount of its own pair.</summary>
public class PerImageCommandTests
{
    private const int Classes = 5;

    private static string[] Args(Dataset ds, string dir, params string[] extra) =>
    [
        "evaluate", "--gt", ds.GroundTruthDir, "--pred", ds.PredictionDir, "--classes", Classes.ToString(),
        "--ignore", "255", "--report", Path.Combine(dir, "report.json"), "--data-dir", Path.Combine(dir, "data"),
        "--per-image", Path.Combine(dir, "images.jsonl"), .. extra,
    ];

    private static string Relative(Dataset ds, int i) => Path.GetRelativePath(ds.GroundTruthDir, ds.GroundTruthPath(i));

    [Fact]
    public void Every_row_is_its_pairs_exact_recount_in_pair_order_and_the_rows_sum_to_the_report()
    {
        var dir = TestEnvironment.TempDir("per-image");
        var ds = new Dataset(dir, Dataset.Format.NpyU8, pairs: 9, width: 40, height: 30, classes: Classes, seed: 11);
        // Pair 4 has no prediction: skipped with --skip-bad, and it gets no row.
        File.Delete(ds.PredictionPath(4));
        // Slices of 500 pixels and 3 partitions: pairs cross the stream in pieces, on 3 shards.
        var exit = EvaluatorCli.Run(Args(ds, dir, "--partitions", "3", "--batch-pixels", "500", "--skip-bad",
            "--max-bad", "1", "--worst", "3"));
        Assert.Equal(EvaluatorCli.ExitOk, exit);

        var spec = new RunSpec(Classes, ignoreLabels: [255]);
        var lines = PerImageLine.ReadAll(Path.Combine(dir, "images.jsonl"));
        int[] order = [.. ds.SortedIndices.Where(i => i != 4)];
        Assert.Equal(order.Select(i => Relative(ds, i)), lines.Select(l => l.Image));
        foreach (var (line, i) in lines.Zip(order))
        {
            var recount = ds.Recount(spec, [i]);
            Assert.Equal(Path.GetRelativePath(ds.PredictionDir, ds.PredictionPath(i)), line.Prediction);
            Assert.Equal(PerImageLine.CellsOf(recount.Matrix), line.Cells);
            Assert.Equal(recount.Pixels, line.Pixels);
            Assert.Equal(PerImageLine.MeanIouOf(recount.Matrix), line.MeanIou);
            Assert.Equal((double)recount.Matrix.Trace / recount.Matrix.Total, line.PixelAccuracy);
        }

        var report = ReportFile.Read(Path.Combine(dir, "report.json"));
        Assert.Equal(report.Matrix, PerImageLine.Sum(lines, Classes));
        Assert.Equal(ds.Recount(spec, order).Matrix, report.Matrix);

        // worst_images: the three lowest mean IoUs (ties in pair order), with their counts.
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "report.json")));
        var worst = json.RootElement.GetProperty("worst_images").EnumerateArray().ToList();
        var expected = lines.Select((l, k) => (l, k)).OrderBy(x => x.l.MeanIou).ThenBy(x => x.k).Take(3).Select(x => x.l).ToList();
        Assert.Equal(expected.Select(l => l.Image), worst.Select(w => w.GetProperty("image").GetString()));
        Assert.Equal(expected.Select(l => l.MeanIou), worst.Select(w => (double?)w.GetProperty("mean_iou").GetDouble()));
        Assert.Equal(expected.Select(l => l.Pixels.Counted), worst.Select(w => w.GetProperty("pixels").GetProperty("counted").GetInt64()));
    }

    [Fact]
    public void A_resumed_run_writes_each_image_once_and_worst_zero_leaves_the_list_out()
    {
        var dir = TestEnvironment.TempDir("per-image-rerun");
        var ds = new Dataset(dir, Dataset.Format.NpyU8, pairs: 5, width: 16, height: 16, classes: Classes, seed: 5);
        Assert.Equal(EvaluatorCli.ExitOk, EvaluatorCli.Run(Args(ds, dir, "--run-id", "pi1", "--partitions", "2")));
        var first = File.ReadAllText(Path.Combine(dir, "images.jsonl"));
        // Rerunning the completed run counts nothing again and reads the same rows back from the journal.
        Assert.Equal(EvaluatorCli.ExitOk, EvaluatorCli.Run(Args(ds, dir, "--run-id", "pi1", "--partitions", "2", "--worst", "0")));
        Assert.Equal(first, File.ReadAllText(Path.Combine(dir, "images.jsonl")));
        Assert.Equal(5, PerImageLine.ReadAll(Path.Combine(dir, "images.jsonl")).Count);
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "report.json")));
        Assert.False(json.RootElement.TryGetProperty("worst_images", out _));
    }

    [Fact]
    public void A_run_stopped_by_bad_input_writes_the_rows_of_what_its_report_counted()
    {
        var dir = TestEnvironment.TempDir("per-image-bad");
        var ds = new Dataset(dir, Dataset.Format.NpyU8, pairs: 8, width: 16, height: 16, classes: Classes, seed: 6);
        File.WriteAllText(ds.GroundTruthPath(ds.SortedIndices[5]), "not an npy file");
        Assert.Equal(EvaluatorCli.ExitBadInput, EvaluatorCli.Run(Args(ds, dir, "--partitions", "2")));
        var report = ReportFile.Read(Path.Combine(dir, "report.json"));
        Assert.Equal("failed", report.Status);
        var lines = PerImageLine.ReadAll(Path.Combine(dir, "images.jsonl"));
        Assert.Equal(report.Matrix, PerImageLine.Sum(lines, Classes));
        Assert.DoesNotContain(Path.GetRelativePath(ds.GroundTruthDir, ds.GroundTruthPath(ds.SortedIndices[5])), lines.Select(l => l.Image));
        var spec = new RunSpec(Classes, ignoreLabels: [255]);
        foreach (var l in lines)
        {
            var i = ds.SortedIndices.Single(k => Path.GetRelativePath(ds.GroundTruthDir, ds.GroundTruthPath(k)) == l.Image);
            Assert.Equal(PerImageLine.CellsOf(ds.Recount(spec, [i]).Matrix), l.Cells);
        }
    }

    [Fact]
    public void A_run_without_per_image_cannot_be_resumed_with_it_and_worst_needs_it()
    {
        var dir = TestEnvironment.TempDir("per-image-mix");
        var ds = new Dataset(dir, Dataset.Format.NpyU8, pairs: 2, width: 8, height: 8, classes: Classes, seed: 2);
        string[] plain = ["evaluate", "--gt", ds.GroundTruthDir, "--pred", ds.PredictionDir, "--classes", "5", "--ignore", "255",
            "--data-dir", Path.Combine(dir, "data"), "--run-id", "mix", "-q"];
        Assert.Equal(EvaluatorCli.ExitOk, EvaluatorCli.Run(plain));
        Assert.Equal(EvaluatorCli.ExitUsage, EvaluatorCli.Run([.. plain, "--per-image", Path.Combine(dir, "x.jsonl")]));
        Assert.False(File.Exists(Path.Combine(dir, "x.jsonl")));
        Assert.Equal(EvaluatorCli.ExitUsage, EvaluatorCli.Run([.. plain, "--worst", "3"]));
    }

    [Fact]
    public void Image_metrics_from_sparse_cells_are_the_reports_on_the_dense_matrix()
    {
        var rng = new Random(4);
        foreach (var targets in new[] { Array.Empty<int>(), [1, 3] })
        {
            var spec = new RunSpec(6, targetClasses: targets);
            for (var trial = 0; trial < 200; trial++)
            {
                var m = new ConfusionMatrix(6);
                for (var k = rng.Next(0, 12); k > 0; k--) m.Add(rng.Next(6), rng.Next(6), rng.Next(1, 1000));
                var cells = PerImageLine.CellsOf(m).Select(c => new MatrixCell(c.Item1, c.Item2, c.Item3));
                var dense = MetricReport.Compute(spec, m, new PixelCounts(m.Total, 0, 0));
                Assert.Equal((dense.MeanIou, dense.PixelAccuracy), MetricReport.ImageMetrics(spec, cells));
            }
        }
    }
}
