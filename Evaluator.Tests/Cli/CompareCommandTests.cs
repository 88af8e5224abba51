using System.Text.Json;
using Evaluator.Tests.Support;

namespace Evaluator.Tests.Cli;

/// <summary>
/// The real program's <c>compare</c> and <c>bootstrap</c> commands: files written, exit codes
/// (2 for unmatched images, 3 for a bad file naming file and line), the console table.
/// </summary>
[Trait("Category", "Services")]
[Collection("processes")]
public sealed class CompareCommandTests
{
    private static (int Exit, string Stdout, string Stderr) Run(params string[] args)
    {
        using var child = ChildProcess.StartEvaluator(args);
        var exit = child.WaitForExit(TimeSpan.FromSeconds(60));
        Assert.DoesNotContain("   at ", child.Stdout + child.Stderr);
        return (exit, child.Stdout, child.Stderr);
    }

    [Fact]
    public void Compare_writes_the_report_and_CSV_and_prints_the_table()
    {
        var dir = TestEnvironment.TempDir("compare-cli");
        var images = PerImageFiles.Random(80, 4, 3);
        var a = PerImageFiles.Write(Path.Combine(dir, "a.jsonl"), images);
        var b = PerImageFiles.Write(Path.Combine(dir, "b.jsonl"), PerImageFiles.Perturbed(images, 4, -0.4));
        var names = PerImageFiles.WriteLines(Path.Combine(dir, "names.txt"), "road", "car", "sky", "tree");
        var report = Path.Combine(dir, "cmp.json");
        var csv = Path.Combine(dir, "cmp.csv");
        var (exit, stdout, stderr) = Run("compare", "--a", a, "--b", b, "--bootstrap", "200", "--seed", "9", "--class-names", names,
            "--report", report, "--csv", csv);
        Assert.True(exit == 0, stderr);
        using var doc = JsonDocument.Parse(File.ReadAllText(report));
        Assert.Equal(80, doc.RootElement.GetProperty("images").GetInt32());
        Assert.Equal(9, doc.RootElement.GetProperty("bootstrap").GetProperty("seed").GetInt64());
        Assert.Equal("sky", doc.RootElement.GetProperty("per_class")[2].GetProperty("name").GetString());
        Assert.StartsWith("id,name,iou_a,iou_b,delta,low,high\n0,road,", File.ReadAllText(csv));
        Assert.Contains("95 % CI", stdout);
        Assert.Contains("mean IoU a ", stdout);
        Assert.Contains("most better in b:", stdout);
    }

    [Fact]
    public void Compare_refuses_unmatched_images_with_exit_2_and_a_bad_file_with_exit_3()
    {
        var dir = TestEnvironment.TempDir("compare-cli");
        var images = PerImageFiles.Random(5, 3, 3);
        var a = PerImageFiles.Write(Path.Combine(dir, "a.jsonl"), images);
        var b = PerImageFiles.Write(Path.Combine(dir, "b.jsonl"), images.Take(4));
        var (exit, _, stderr) = Run("compare", "--a", a, "--b", b);
        Assert.Equal(2, exit);
        Assert.Contains("city/img_00004.png", stderr);
        Assert.Contains("--intersect", stderr);
        Assert.Equal(0, Run("compare", "--a", a, "--b", b, "--intersect", "--bootstrap", "50").Exit);

        var bad = PerImageFiles.WriteLines(Path.Combine(dir, "bad.jsonl"), File.ReadAllLines(a)[0], "{\"image\": 3}");
        (exit, _, stderr) = Run("compare", "--a", a, "--b", bad);
        Assert.Equal(3, exit);
        Assert.Contains($"{bad}:2: 'image' is missing or not a non-empty string", stderr);

        (exit, _, stderr) = Run("compare", "--a", a, "--b", a, "--confidence", "1.5");
        Assert.Equal(2, exit);
        Assert.Contains("--confidence 1.5", stderr);
    }

    [Fact]
    public void Bootstrap_recomputes_the_report_with_intervals_from_a_per_image_file()
    {
        var dir = TestEnvironment.TempDir("bootstrap-cli");
        var file = PerImageFiles.Write(Path.Combine(dir, "a.jsonl"), PerImageFiles.Random(100, 5, 8));
        var report = Path.Combine(dir, "report.json");
        var (exit, stdout, stderr) = Run("bootstrap", "--per-image", file, "--bootstrap", "300", "--seed", "1", "--confidence", "0.9", "--report", report);
        Assert.True(exit == 0, stderr);
        using var doc = JsonDocument.Parse(File.ReadAllText(report));
        var b = doc.RootElement.GetProperty("bootstrap");
        Assert.Equal(0.9, b.GetProperty("confidence").GetDouble());
        Assert.Equal(5, b.GetProperty("per_class_iou").GetArrayLength());
        var mean = doc.RootElement.GetProperty("mean_iou").GetDouble();
        Assert.InRange(mean, b.GetProperty("mean_iou").GetProperty("low").GetDouble(), b.GetProperty("mean_iou").GetProperty("high").GetDouble());
        Assert.Equal(700, doc.RootElement.GetProperty("pixels").GetProperty("ignored").GetInt64());
        Assert.Matches(@"mean IoU \d\.\d{4} \(90 % CI \d\.\d{4}–\d\.\d{4}\)", stdout);
    }
}
