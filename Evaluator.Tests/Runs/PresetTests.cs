using System.CommandLine;
using Evaluator.Messages;
using Evaluator.Node.Cli;
using Evaluator.Node.Runs;

namespace Evaluator.Tests.Runs;

/// <summary>Class-name and label-map presets (issue #14 item 7): counts, unique names, documented mappings.</summary>
public class PresetTests
{
    private static RunRequest FromCli(params string[] args)
    {
        var cmd = new Command("evaluate");
        var options = new RunOptions(cmd);
        var parse = cmd.Parse(["--gt", "gt", "--pred", "pred", .. args]);
        Assert.Empty(parse.Errors);
        return options.Bind(parse).Run;
    }

    [Theory]
    [InlineData("cityscapes", 19, "road", "bicycle")]
    [InlineData("ade20k", 150, "wall", "flag")]
    [InlineData("voc", 21, "background", "tvmonitor")]
    [InlineData("cocostuff", 171, "person", "wood")]
    [InlineData("mapillary", 66, "Bird", "Unlabeled")]
    public void Each_class_name_preset_has_its_count_of_unique_names(string preset, int count, string first, string last)
    {
        var names = ClassNamePresets.Find(preset)!;
        Assert.Equal(count, names.Count);
        Assert.Equal(count, names.Distinct(StringComparer.Ordinal).Count());
        Assert.All(names, n => Assert.Equal(n.Trim(), n));
        Assert.Equal((first, last), (names[0], names[^1]));
        var spec = RunSpecBuilder.Build(FromCli("--classes", count.ToString(), "--class-names", preset));
        Assert.Equal(names, spec.ClassNames);
    }

    [Fact]
    public void Coco_stuff_names_are_80_things_then_91_stuff()
    {
        var names = ClassNamePresets.CocoStuff;
        Assert.Equal("toothbrush", names[79]);
        Assert.Equal("banner", names[80]);
    }

    [Fact]
    public void Coco_stuff_map_skips_the_11_unused_thing_ids_and_maps_stuff_to_80_170()
    {
        var map = LabelMap.CocoStuff;
        // 0-based ids of the stuffthingmaps (mmsegmentation coco_stuff164k.py clsID_to_trID).
        Assert.Equal(0, map.Apply(0));
        Assert.Equal(10, map.Apply(10));
        Assert.Null(map.Apply(11));   // street sign: 12 in COCO's 1-based numbering, unused
        Assert.Equal(11, map.Apply(12));
        Assert.Equal(24, map.Apply(26));
        Assert.Equal(79, map.Apply(89));
        Assert.Equal(80, map.Apply(91));   // banner, the first stuff id
        Assert.Equal(170, map.Apply(181));
        Assert.Null(map.Apply(255));
        Assert.Null(map.Apply(182));
        foreach (var unused in LabelMap.CocoStuffUnused) Assert.Null(map.Apply(unused));
        Assert.Equal(171, Enumerable.Range(0, 256).Count(i => map.Apply(i) is not null));
        Assert.Equal(11, LabelMap.CocoStuffUnused.Count);
    }

    [Fact]
    public void Voc_map_keeps_the_21_classes_and_ignores_the_boundary()
    {
        var map = LabelMap.Voc;
        for (var i = 0; i < 21; i++) Assert.Equal(i, map.Apply(i));
        Assert.Null(map.Apply(255));
        Assert.Null(map.Apply(21));
    }

    [Fact]
    public void Ade20k_map_is_mmsegmentations_reduce_zero_label()
    {
        Assert.Null(LabelMap.Resolve("ade20k").Apply(0));
        Assert.Equal(0, LabelMap.Resolve("ade20k").Apply(1));
        Assert.Equal(149, LabelMap.Resolve("ade20k").Apply(150));
    }

    [Fact]
    public void An_unknown_preset_that_is_no_file_lists_the_presets()
    {
        // The command line refuses it while parsing; the builder (HTTP, and any other caller) too.
        var cmd = new Command("evaluate");
        _ = new RunOptions(cmd);
        var parseError = Assert.Single(cmd.Parse(["--gt", "gt", "--pred", "pred", "--classes", "3", "--class-names", "pascal"]).Errors);
        Assert.Contains("neither a preset nor a file", parseError.Message);
        Assert.Contains("cityscapes, ade20k, voc, cocostuff, mapillary", parseError.Message);
        var e = Assert.Throws<InvalidRunSpecException>(() => RunSpecBuilder.Build(new RunRequest
        {
            Classes = 3, ClassNames = Setting<IReadOnlyList<string>>.Named("pascal"), AllowFiles = true,
        }));
        Assert.Contains("neither a file nor a preset", e.Message);
        Assert.Contains("cityscapes, ade20k, voc, cocostuff, mapillary", e.Message);
        var m = Assert.Throws<LabelMapFormatException>(() => RunSpecBuilder.Build(FromCli("--classes", "3", "--label-map", "pascal")));
        Assert.Contains("cityscapes, ade20k, voc, cocostuff", m.Message);
    }

    [Fact]
    public void Help_lists_the_presets()
    {
        var cmd = new Command("evaluate");
        _ = new RunOptions(cmd);
        var names = cmd.Options.Single(o => o.Name == "--class-names").Description!;
        var maps = cmd.Options.Single(o => o.Name == "--label-map").Description!;
        Assert.Contains("mapillary", names);
        Assert.Contains("cocostuff", maps);
        Assert.Contains("auto", cmd.Options.Single(o => o.Name == "--layout").Description!);
    }
}
