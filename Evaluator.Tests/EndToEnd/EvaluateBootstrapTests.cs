using System.Globalization;
using System.Text.Json;
using Evaluator.Node.Cli;
using Evaluator.Tests.Support;

namespace Evaluator.Tests.EndToEnd;

/// <summary>
/// <c>evaluate --per-image --bootstrap B --seed S</c>: the report's intervals are exactly those of
/// <c>bootstrap --per-image FILE</c> on the file the run wrote; usage errors exit 2.
/// </summary>
public class EvaluateBootstrapTests
{
    private const int Classes = 5;

    internal static string[] Args(Dataset ds, string dir, params string[] extra) =>
    [
        "evaluate", "--gt", ds.GroundTruthDir, "--pred", ds.PredictionDir, "--classes", Classes.ToString(CultureInfo.InvariantCulture),
        "--ignore", "255", "--report", Path.Combine(dir, "report.json"), "--data-dir", Path.Combine(dir, "data"), .. extra,
    ];

    [Fact]
    public void Evaluate_with_bootstrap_carries_the_bootstrap_commands_intervals_exactly()
    {
        var dir = TestEnvironment.TempDir("eval-bootstrap");
        var ds = new Dataset(dir, Dataset.Format.NpyU8, pairs: 12, width: 24, height: 20, classes: Classes, seed: 3);
        var images = Path.Combine(dir, "images.jsonl");
        Assert.Equal(EvaluatorCli.ExitOk, EvaluatorCli.Run(Args(ds, dir, "-q", "--partitions", "3", "--per-image", images,
            "--bootstrap", "200", "--seed", "7")));
        var again = Path.Combine(dir, "again.json");
        Assert.Equal(EvaluatorCli.ExitOk, EvaluatorCli.Run(["bootstrap", "--per-image", images, "--classes", "5",
            "--bootstrap", "200", "--seed", "7", "--report", again]));

        using var run = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "report.json")));
        using var alone = JsonDocument.Parse(File.ReadAllText(again));
        var b = run.RootElement.GetProperty("bootstrap");
        Assert.Equal(200, b.GetProperty("resamples").GetInt32());
        Assert.Equal(7, b.GetProperty("seed").GetInt64());
        Assert.Equal(0.95, b.GetProperty("confidence").GetDouble());
        Assert.Equal(Classes, b.GetProperty("per_class_iou").GetArrayLength());
        // The same file, seed and resamples: the same doubles, bit for bit (compared as written).
        Assert.Equal(alone.RootElement.GetProperty("bootstrap").GetRawText(), b.GetRawText());
        // And the same point values: the file adds up to the run's report.
        Assert.Equal(alone.RootElement.GetProperty("mean_iou").GetRawText(), run.RootElement.GetProperty("mean_iou").GetRawText());
        var mean = run.RootElement.GetProperty("mean_iou").GetDouble();
        Assert.InRange(mean, b.GetProperty("mean_iou").GetProperty("low").GetDouble(), b.GetProperty("mean_iou").GetProperty("high").GetDouble());
    }

    [Fact]
    public void Bootstrap_needs_per_image_and_valid_values()
    {
        var dir = TestEnvironment.TempDir("eval-bootstrap-usage");
        var ds = new Dataset(dir, Dataset.Format.NpyU8, pairs: 2, width: 8, height: 8, classes: Classes, seed: 2);
        var images = Path.Combine(dir, "images.jsonl");
        Assert.Equal(EvaluatorCli.ExitUsage, EvaluatorCli.Run(Args(ds, dir, "-q", "--bootstrap", "100")));
        Assert.Equal(EvaluatorCli.ExitUsage, EvaluatorCli.Run(Args(ds, dir, "-q", "--per-image", images, "--bootstrap", "-1")));
        Assert.Equal(EvaluatorCli.ExitUsage, EvaluatorCli.Run(Args(ds, dir, "-q", "--per-image", images, "--bootstrap", "100", "--confidence", "1.5")));
        Assert.Equal(EvaluatorCli.ExitUsage, EvaluatorCli.Run(Args(ds, dir, "-q", "--per-image", images, "--seed", "3")));
        Assert.False(File.Exists(images));
        Assert.False(File.Exists(Path.Combine(dir, "report.json")));
    }
}

/// <summary>The real program's table: the mean IoU line carries the interval.</summary>
[Trait("Category", "Services")]
[Collection("processes")]
public class EvaluateBootstrapTableTests
{
    [Fact]
    public void The_table_prints_the_mean_iou_with_its_interval()
    {
        var dir = TestEnvironment.TempDir("eval-bootstrap-table");
        var ds = new Dataset(dir, Dataset.Format.NpyU8, pairs: 6, width: 16, height: 16, classes: 5, seed: 4);
        using var child = ChildProcess.StartEvaluator(EvaluateBootstrapTests.Args(ds, dir, "--per-image", Path.Combine(dir, "images.jsonl"),
            "--bootstrap", "100", "--seed", "7"));
        Assert.True(child.WaitForExit(TimeSpan.FromSeconds(120)) == 0, child.Transcript);
        using var report = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "report.json")));
        var ci = report.RootElement.GetProperty("bootstrap").GetProperty("mean_iou");
        static string F(double v) => v.ToString("0.0000", CultureInfo.InvariantCulture);
        var expected = $"mean IoU {F(report.RootElement.GetProperty("mean_iou").GetDouble())} (95 % CI {F(ci.GetProperty("low").GetDouble())}–{F(ci.GetProperty("high").GetDouble())})";
        Assert.Contains(expected, child.Stdout);
    }
}
