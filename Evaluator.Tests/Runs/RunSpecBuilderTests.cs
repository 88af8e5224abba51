using System.CommandLine;
using System.Text.Json;
using Evaluator.Messages;
using Evaluator.Node.Cli;
using Evaluator.Node.Http;
using Evaluator.Node.Runs;
using Evaluator.Tests.Support;

namespace Evaluator.Tests.Runs;

/// <summary>
/// The command line's options and the equivalent POST /runs body go through the one
/// <see cref="RunSpecBuilder"/> and give equal specs.
/// </summary>
public class RunSpecBuilderTests
{
    private static RunRequest FromCli(params string[] args)
    {
        var cmd = new Command("evaluate");
        var options = new RunOptions(cmd);
        var parse = cmd.Parse(["--gt", "gt", "--pred", "pred", .. args]);
        Assert.Empty(parse.Errors);
        return options.Bind(parse).Run;
    }

    private static RunRequest FromJson(string json)
    {
        using var doc = JsonDocument.Parse(json);
        return RunSpecJson.Parse(doc.RootElement);
    }

    [Theory]
    [InlineData("--classes 19 --ignore 255", """{"num_classes": 19, "ignore_labels": [255]}""")]
    [InlineData("--classes 19 --class-names cityscapes --label-map cityscapes --categories cityscapes --ignore 255",
        """{"num_classes": 19, "class_names": "cityscapes", "label_map": "cityscapes", "categories": "cityscapes", "ignore_labels": [255]}""")]
    [InlineData("--classes 150 --label-map ade20k --map-predictions",
        """{"num_classes": 150, "label_map": "ade20k", "map_predictions": true}""")]
    [InlineData("--classes 5 --ignore 255 254 --target-classes 3 1 --beta 0.5 --out-of-range ignore",
        """{"num_classes": 5, "ignore_labels": [254, 255], "target_classes": [1, 3], "beta": 0.5, "out_of_range": "ignore"}""")]
    public void Options_and_json_give_equal_specs(string cli, string json)
    {
        var fromCli = RunSpecBuilder.Build(FromCli(cli.Split(' ')));
        var fromJson = RunSpecBuilder.Build(FromJson(json));
        Assert.Equal(fromCli, fromJson);
    }

    [Fact]
    public void Files_on_the_command_line_equal_inline_values_in_json()
    {
        var dir = TestEnvironment.TempDir("spec");
        var names = Path.Combine(dir, "names.txt");
        File.WriteAllLines(names, ["road", "car", "sky"]);
        var categories = Path.Combine(dir, "categories.json");
        File.WriteAllText(categories, """{"flat": [0], "things": [1, 2]}""");
        var map = Path.Combine(dir, "map.json");
        File.WriteAllText(map, """{"map": {"7": 0, "8": 1, "0": "ignore"}, "unmapped": "keep"}""");

        var cli = FromCli("--classes", "3", "--class-names", names, "--categories", categories, "--label-map", map);
        var json = FromJson("""
            {"num_classes": 3, "class_names": ["road", "car", "sky"], "categories": {"flat": [0], "things": [1, 2]},
             "label_map": {"map": {"7": 0, "8": 1, "0": "ignore"}, "unmapped": "keep"}}
            """);
        var fromCli = RunSpecBuilder.Build(cli);
        var fromJson = RunSpecBuilder.Build(json);

        // A label map's name says where it came from (the file, or the body's field): all else is equal.
        Assert.Equal(fromCli.LabelMap!.Entries, fromJson.LabelMap!.Entries);
        Assert.Equal(fromCli.LabelMap.Unmapped, fromJson.LabelMap.Unmapped);
        Assert.Equal(new[] { "road", "car", "sky" }, fromCli.ClassNames.ToArray());
        Assert.Equal(RunSpecBuilder.Build(cli with { LabelMap = null }), RunSpecBuilder.Build(json with { LabelMap = null }));
    }

    [Theory]
    [InlineData("""{"num_classes": 3, "label_map": "/etc/passwd"}""")]
    [InlineData("""{"num_classes": 3, "categories": "/tmp/categories.json"}""")]
    [InlineData("""{"num_classes": 3, "class_names": "/tmp/names.txt"}""")]
    public void A_body_never_names_a_file_of_the_server(string json) =>
        Assert.ThrowsAny<EvaluatorException>(() => RunSpecBuilder.Build(FromJson(json)));

    [Fact]
    public void The_file_layout_and_raw_shape_come_from_the_request()
    {
        var r = FromCli("--classes", "3", "--layout", "cityscapes", "--pred-suffix", "_pred.png", "--shape", "4x8", "--dtype", "uint16");
        Assert.Equal("_gtFine_labelTrainIds.png", RunSpecBuilder.Layout(r).GroundTruthSuffix);
        Assert.Equal("_pred.png", RunSpecBuilder.Layout(r).PredictionSuffix);
        Assert.Equal(new long[] { 4, 8 }, RunSpecBuilder.Raw(r)!.Shape);
        Assert.Throws<InvalidRunSpecException>(() => RunSpecBuilder.Raw(r with { DType = null }));
    }
}
