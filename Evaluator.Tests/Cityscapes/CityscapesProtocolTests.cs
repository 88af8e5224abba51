using Evaluator.Messages;
using Evaluator.Node.Cli;
using Evaluator.Node.Inputs;
using Evaluator.Node.Runs;
using Evaluator.Tests.Support;

namespace Evaluator.Tests.Cityscapes;

/// <summary>--protocol cityscapes without Python: discovery errors and the options it refuses.</summary>
public class CityscapesProtocolTests
{
    /// <summary>A tiny tree: gt/&lt;city&gt;/…_gtFine_labelIds.png (+ instanceIds) and pred/…, 4×3 images.</summary>
    private static (string Gt, string Pred) Tree(string name, params string[] frames)
    {
        var dir = TestEnvironment.TempDir(name);
        var gt = Directory.CreateDirectory(Path.Combine(dir, "gt", "aachen")).FullName;
        var pred = Directory.CreateDirectory(Path.Combine(dir, "pred", "sub")).FullName;
        foreach (var f in frames)
        {
            Dataset.Write(Path.Combine(gt, f + "_gtFine_labelIds"), Dataset.Format.PngGray8, 4, 3, [7, 7, 26, 26, 7, 7, 26, 26, 0, 0, 0, 0]);
            Dataset.Write(Path.Combine(gt, f + "_gtFine_instanceIds"), Dataset.Format.PngGray16, 4, 3,
                [7, 7, 26001, 26001, 7, 7, 26001, 26001, 0, 0, 0, 0]);
            Dataset.Write(Path.Combine(pred, f + "_leftImg8bit"), Dataset.Format.PngGray8, 4, 3, [7, 7, 26, 7, 7, 7, 26, 26, 0, 0, 0, 7]);
        }
        return (Path.Combine(dir, "gt"), Path.Combine(dir, "pred"));
    }

    [Fact]
    public void Pairs_each_labelIds_file_with_the_one_prediction_of_its_city_sequence_and_frame()
    {
        var (gt, pred) = Tree("cs-discover", "aachen_000000_000019", "aachen_000001_000019");
        var pairs = CityscapesDiscovery.Discover(gt, pred);
        Assert.Equal(2, pairs.Length);
        Assert.EndsWith("aachen_000000_000019_leftImg8bit.png", pairs[0].Prediction);
        Assert.EndsWith("aachen_000001_000019_leftImg8bit.png", pairs[1].Prediction);
    }

    [Fact]
    public void No_prediction_is_bad_input_naming_the_ground_truth_and_the_pattern()
    {
        var (gt, pred) = Tree("cs-none", "aachen_000000_000019");
        File.Delete(Path.Combine(pred, "sub", "aachen_000000_000019_leftImg8bit.png"));
        var e = Assert.Throws<BadInputException>(() => CityscapesDiscovery.Discover(gt, pred));
        Assert.Contains("aachen_000000_000019_gtFine_labelIds.png", e.Message);
        Assert.Contains("aachen_000000_000019*.png", e.Message);
    }

    [Fact]
    public void Two_predictions_are_bad_input_naming_both()
    {
        var (gt, pred) = Tree("cs-two", "aachen_000000_000019");
        File.Copy(Path.Combine(pred, "sub", "aachen_000000_000019_leftImg8bit.png"), Path.Combine(pred, "aachen_000000_000019_pred.png"));
        var e = Assert.Throws<BadInputException>(() => CityscapesDiscovery.Discover(gt, pred));
        Assert.Contains("found 2 predictions", e.Message);
        Assert.Contains("aachen_000000_000019_pred.png", e.Message);
        Assert.Contains("aachen_000000_000019_leftImg8bit.png", e.Message);
    }

    [Fact]
    public void A_missing_instanceIds_file_is_bad_input_naming_it()
    {
        var (gt, pred) = Tree("cs-noinst", "aachen_000000_000019");
        File.Delete(Path.Combine(gt, "aachen", "aachen_000000_000019_gtFine_instanceIds.png"));
        var e = Assert.Throws<BadInputException>(() => CityscapesDiscovery.Discover(gt, pred));
        Assert.Contains("aachen_000000_000019_gtFine_instanceIds.png", e.Message);
        Assert.Equal(EvaluatorCli.ExitBadInput, EvaluatorCli.Run(["evaluate", "--protocol", "cityscapes", "--gt", gt, "--pred", pred,
            "--data-dir", Path.Combine(gt, "..", "data")]));
    }

    [Theory]
    [InlineData("--classes", "19")]
    [InlineData("--ignore", "255")]
    [InlineData("--label-map", "cityscapes")]
    [InlineData("--categories", "cityscapes")]
    [InlineData("--layout", "cityscapes")]
    public void Options_the_protocol_sets_itself_are_usage_errors(string option, string value)
    {
        var (gt, pred) = Tree("cs-conflict", "aachen_000000_000019");
        var e = Assert.Throws<InvalidRunSpecException>(() => RunLauncher.Plan(new RunRequest
        {
            GroundTruth = gt,
            Prediction = pred,
            Protocol = "cityscapes",
            Classes = option == "--classes" ? 19 : 0,
            Ignore = option == "--ignore" ? [255] : [],
            LabelMap = option == "--label-map" ? Setting<LabelMap>.Named(value) : null,
            Categories = option == "--categories" ? Setting<IReadOnlyList<ClassCategory>>.Named(value) : null,
            Layout = option == "--layout" ? value : "plain",
        }));
        Assert.Contains(option, e.Message);
        Assert.Equal(EvaluatorCli.ExitUsage, EvaluatorCli.Run(["evaluate", "--protocol", "cityscapes", "--gt", gt, "--pred", pred,
            option, value, "--data-dir", Path.Combine(gt, "..", "data")]));
    }

    [Fact]
    public void Cityscapes_json_without_the_protocol_and_no_classes_without_it_are_usage_errors()
    {
        var (gt, pred) = Tree("cs-usage", "aachen_000000_000019");
        Assert.Equal(EvaluatorCli.ExitUsage, EvaluatorCli.Run(["evaluate", "--gt", gt, "--pred", pred, "--classes", "34",
            "--cityscapes-json", Path.Combine(gt, "x.json")]));
        Assert.Equal(EvaluatorCli.ExitUsage, EvaluatorCli.Run(["evaluate", "--gt", gt, "--pred", pred]));
    }

    [Fact]
    public void A_prediction_outside_the_34_labelIds_is_bad_input_naming_the_pair_and_the_value()
    {
        var (gt, pred) = Tree("cs-range", "aachen_000000_000019");
        var file = Path.Combine(pred, "sub", "aachen_000000_000019_leftImg8bit");
        Dataset.Write(file, Dataset.Format.PngGray8, 4, 3, [7, 7, 26, 7, 7, 7, 26, 26, 0, 0, 0, 34]);
        var (exit, stderr) = Run(["evaluate", "--protocol", "cityscapes", "--gt", gt, "--pred", pred,
            "--data-dir", Path.Combine(gt, "..", "data")]);
        Assert.Equal(EvaluatorCli.ExitBadInput, exit);
        // The pair is named by its ground-truth file, as for every counting error.
        Assert.Contains("aachen_000000_000019_gtFine_labelIds.png: prediction label 34 at pixel 11", stderr);
        // The hint is the protocol's (it refuses --ignore and --out-of-range): the prediction file and the labelIds it accepts.
        Assert.Contains($"of {file}.png is not a Cityscapes labelId: --protocol cityscapes accepts labelIds 0–33 only", stderr);
        Assert.DoesNotContain("--out-of-range", stderr);
        Assert.DoesNotContain("--ignore", stderr);
    }

    [Fact]
    public void An_instance_of_a_class_the_table_gives_no_instances_is_bad_input_naming_the_instanceIds_file()
    {
        var (gt, pred) = Tree("cs-inst", "aachen_000000_000019");
        Dataset.Write(Path.Combine(gt, "aachen", "aachen_000000_000019_gtFine_instanceIds"), Dataset.Format.PngGray16, 4, 3,
            [7001, 7001, 26001, 26001, 7, 7, 26001, 26001, 0, 0, 0, 0]);
        var (exit, stderr) = Run(["evaluate", "--protocol", "cityscapes", "--gt", gt, "--pred", pred,
            "--data-dir", Path.Combine(gt, "..", "data")]);
        Assert.Equal(EvaluatorCli.ExitBadInput, exit);
        Assert.Contains("aachen_000000_000019_gtFine_instanceIds.png", stderr);
        Assert.Contains("instance id 7001", stderr);
    }

    /// <summary>Runs the CLI in-process with stderr captured.</summary>
    private static (int Exit, string Stderr) Run(string[] args)
    {
        var saved = Console.Error;
        var capture = new StringWriter();
        Console.SetError(capture);
        try
        {
            return (EvaluatorCli.Run(args), capture.ToString());
        }
        finally
        {
            Console.SetError(saved);
        }
    }

    [Fact]
    public void Post_runs_takes_the_protocol_for_runs_over_files_only()
    {
        using var files = System.Text.Json.JsonDocument.Parse("""{"gt": "val/gtFine", "pred": "val/pred", "protocol": "cityscapes"}""");
        var r = Evaluator.Node.Http.RunSpecJson.Parse(files.RootElement);
        Assert.True(r.CityscapesProtocol);
        using var ingest = System.Text.Json.JsonDocument.Parse("""{"num_classes": 34, "protocol": "cityscapes"}""");
        var e = Assert.Throws<InvalidRunSpecException>(() => Evaluator.Node.Http.RunSpecJson.Parse(ingest.RootElement));
        Assert.Contains("runs over files", e.Message);
    }

    [Fact]
    public void A_small_run_gives_the_hand_counted_scores()
    {
        // Per image: gt road (7) 4 px, car instance 26001 4 px, unlabeled (0) 4 px; prediction: one car
        // pixel as road, one unlabeled pixel as road. Two images.
        var (gt, pred) = Tree("cs-hand", "aachen_000000_000019", "aachen_000001_000019");
        var dir = Path.GetDirectoryName(gt)!;
        var json = Path.Combine(dir, "cs.json");
        var report = Path.Combine(dir, "report.json");
        Assert.Equal(EvaluatorCli.ExitOk, EvaluatorCli.Run(["evaluate", "--protocol", "cityscapes", "--gt", gt, "--pred", pred,
            "--cityscapes-json", json, "--report", report, "--data-dir", Path.Combine(dir, "data")]));
        using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllText(report));
        var perClass = doc.RootElement.GetProperty("per_class");
        // road: tp 8, fn 0, fp 2 (car→road; the unlabeled→road pixel is left out: its ground truth is ignored)
        Assert.Equal(8.0 / 10, perClass[7].GetProperty("iou").GetDouble(), 15);
        // car: tp 6, fn 2, fp 0; iIoU: tp 3 × w + 3 × w, fn 1 × w + 1 × w, w = 12794.0202738185 / 4
        Assert.Equal(6.0 / 8, perClass[26].GetProperty("iou").GetDouble(), 15);
        var w = 12794.0202738185 / 4;
        Assert.Equal(6 * w / (6 * w + 0 + 2 * w), perClass[26].GetProperty("iiou").GetDouble(), 15);
        Assert.Equal(System.Text.Json.JsonValueKind.Null, perClass[0].GetProperty("iou").ValueKind);
        Assert.Equal((0.8 + 0.75) / 2, doc.RootElement.GetProperty("mean_iou").GetDouble(), 15);
        var text = File.ReadAllText(json);
        Assert.Contains("\"averageScoreClasses\": 0.775", text);
        Assert.Contains("\"unlabeled\": NaN", text);
    }
}
