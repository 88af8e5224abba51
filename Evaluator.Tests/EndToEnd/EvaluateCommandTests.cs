using Evaluator.Messages;
using Evaluator.Node.Cli;
using Evaluator.Tests.Support;

namespace Evaluator.Tests.EndToEnd;

/// <summary>
/// <c>evaluate</c> end to end, in process: generated datasets of every format through the
/// actor pipeline (one-node cluster, SQLite journal), compared with an independent recount.
/// </summary>
public class EvaluateCommandTests
{
    private static string[] Args(Dataset ds, string dir, int classes, params string[] extra) =>
    [
        "evaluate", "--gt", ds.GroundTruthDir, "--pred", ds.PredictionDir, "--classes", classes.ToString(),
        "--ignore", "255", "--report", Path.Combine(dir, "report.json"), "--csv", Path.Combine(dir, "report.csv"),
        "--data-dir", Path.Combine(dir, "data"), "--run-id", "t1", .. extra,
    ];

    [Theory]
    [InlineData(Dataset.Format.PngGray8, 19)]
    [InlineData(Dataset.Format.PngGray16, 300)]
    [InlineData(Dataset.Format.PngPalette, 21)]
    [InlineData(Dataset.Format.NpyU8, 19)]
    [InlineData(Dataset.Format.NpyU16, 1000)]
    [InlineData(Dataset.Format.NpyI32, 19)]
    [InlineData(Dataset.Format.NpyI64, 150)]
    [InlineData(Dataset.Format.RawU8, 19)]
    public void Every_format_gives_exactly_the_recount(Dataset.Format format, int classes)
    {
        var dir = TestEnvironment.TempDir("e2e");
        var ds = new Dataset(dir, format, pairs: 7, width: 64, height: 48, classes: classes, seed: (int)format);
        string[] raw = format == Dataset.Format.RawU8 ? ["--shape", "48,64", "--dtype", "uint8"] : [];
        // Small slices and several partitions: pairs cross the stream in pieces, on 3 shards.
        var exit = EvaluatorCli.Run(Args(ds, dir, classes, ["--partitions", "3", "--batch-pixels", "1000", .. raw]));

        Assert.Equal(EvaluatorCli.ExitOk, exit);
        var report = ReportFile.Read(Path.Combine(dir, "report.json"));
        var expected = ds.Recount(new RunSpec(classes, ignoreLabels: [255]));
        Assert.Equal(expected.Matrix, report.Matrix);
        Assert.Equal(expected.Pixels, report.Pixels);
        Assert.Equal("completed", report.Status);
        var csv = File.ReadAllLines(Path.Combine(dir, "report.csv"));
        Assert.Equal(classes + 1, csv.Length);
        Assert.StartsWith("id,name,iou", csv[0]);
    }

    [Fact]
    public void Rerunning_a_completed_run_gives_the_same_report_without_counting_again()
    {
        var dir = TestEnvironment.TempDir("rerun");
        var ds = new Dataset(dir, Dataset.Format.NpyU8, pairs: 4, width: 32, height: 32, classes: 5, seed: 3);
        Assert.Equal(EvaluatorCli.ExitOk, EvaluatorCli.Run(Args(ds, dir, 5)));
        var first = ReportFile.Read(Path.Combine(dir, "report.json"));
        Assert.Equal(EvaluatorCli.ExitOk, EvaluatorCli.Run(Args(ds, dir, 5)));
        var second = ReportFile.Read(Path.Combine(dir, "report.json"));
        Assert.Equal(first.Matrix, second.Matrix);
        Assert.Equal(first.Pixels, second.Pixels);
    }

    [Fact]
    public void A_run_id_reused_for_another_spec_is_refused_as_bad_usage()
    {
        var dir = TestEnvironment.TempDir("reuse");
        var ds = new Dataset(dir, Dataset.Format.NpyU8, pairs: 2, width: 16, height: 16, classes: 5, seed: 4);
        Assert.Equal(EvaluatorCli.ExitOk, EvaluatorCli.Run(Args(ds, dir, 5)));
        Assert.Equal(EvaluatorCli.ExitUsage, EvaluatorCli.Run(Args(ds, dir, 6)));
    }

    [Fact]
    public void Bad_usage_exits_2()
    {
        Assert.Equal(EvaluatorCli.ExitUsage, EvaluatorCli.Run(["evaluate", "--gt", "x"]));
        Assert.Equal(EvaluatorCli.ExitUsage, EvaluatorCli.Run(["evaluate", "--gt", "x", "--pred", "y", "--classes", "0"]));
        Assert.Equal(EvaluatorCli.ExitUsage, EvaluatorCli.Run(["evaluate", "--gt", "x", "--pred", "y", "--classes", "3", "--run-id", "bad/id"]));
        Assert.Equal(EvaluatorCli.ExitUsage, EvaluatorCli.Run(["evaluate", "--gt", "x", "--pred", "y", "--classes", "3", "--shape", "4,4"]));
        Assert.Equal(EvaluatorCli.ExitUsage, EvaluatorCli.Run(["evaluate", "--gt", "x", "--pred", "y", "--classes", "3", "--label-map", "/no/such.json"]));
    }

    [Fact]
    public void A_missing_dataset_directory_is_bad_input()
    {
        Assert.Equal(EvaluatorCli.ExitBadInput,
            EvaluatorCli.Run(["evaluate", "--gt", "/no/such/dir", "--pred", "/tmp", "--classes", "3"]));
    }

    [Fact]
    public void The_cityscapes_samples_evaluate_through_the_label_map_free_layout()
    {
        var dir = TestEnvironment.TempDir("samples");
        var samples = Path.Combine(RepoFiles.RepoRoot(), "samples", "cityscapes");
        var report = Path.Combine(dir, "r.json");
        var exit = EvaluatorCli.Run(["evaluate", "--gt", Path.Combine(samples, "gtFine"), "--pred", Path.Combine(samples, "pred"),
            "--layout", "cityscapes", "--classes", "19", "--class-names", "cityscapes", "--ignore", "255",
            "--categories", "cityscapes", "--report", report, "--data-dir", Path.Combine(dir, "data")]);
        Assert.Equal(EvaluatorCli.ExitOk, exit);
        var r = ReportFile.Read(report);
        Assert.Equal(8 * 256 * 512, r.Pixels.Total);
        Assert.True(r.Pixels.Ignored > 0);
        Assert.Equal(r.Pixels.Counted, r.Matrix.Total);
        Assert.NotNull(r.MeanIou);
    }
}
