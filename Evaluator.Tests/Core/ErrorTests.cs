using Evaluator.Messages;
using Evaluator.Node.Kernel;

namespace Evaluator.Tests.Core;

/// <summary>Every bad input is a clear, typed error that names what is wrong.</summary>
public class ErrorTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(-3)]
    [InlineData(4097)]
    public void Class_counts_outside_1_to_4096_are_refused(int c)
    {
        var e = Assert.Throws<InvalidRunSpecException>(() => new RunSpec(c));
        Assert.Contains(c.ToString(), e.Message);
        Assert.Contains("4096", e.Message);
        Assert.Throws<InvalidRunSpecException>(() => new ConfusionMatrix(c));
    }

    [Fact]
    public void Bad_specs_say_what_is_wrong()
    {
        Assert.Contains("2 class names", Assert.Throws<InvalidRunSpecException>(() => new RunSpec(3, ["a", "b"])).Message);
        Assert.Contains("target class 5", Assert.Throws<InvalidRunSpecException>(() => new RunSpec(3, targetClasses: [5])).Message);
        Assert.Contains("more than one category", Assert.Throws<InvalidRunSpecException>(() =>
            new RunSpec(3, categories: [new ClassCategory("a", [0, 1]), new ClassCategory("b", [1])])).Message);
        Assert.Contains("beta", Assert.Throws<InvalidRunSpecException>(() => new RunSpec(3, beta: 0)).Message);
        Assert.Contains("class 18", Assert.Throws<InvalidRunSpecException>(() => new RunSpec(10, labelMap: LabelMap.Cityscapes)).Message);
    }

    [Fact]
    public void Mismatched_lengths_name_both_sizes_and_the_source()
    {
        var counter = new ConfusionCounter(new RunSpec(3));
        var m = new ConfusionMatrix(3);
        var e = Assert.Throws<ShapeMismatchException>(() =>
            counter.Count<byte, byte>(new byte[10], new byte[9], m, "frankfurt_000000_000294"));
        Assert.Equal(10, e.GroundTruthLength);
        Assert.Equal(9, e.PredictionLength);
        Assert.Contains("frankfurt_000000_000294", e.Message);
        Assert.Equal(0, m.Total);
    }

    [Theory]
    [InlineData(19)]   // byte-code table path
    [InlineData(300)]  // direct int64 path
    public void Out_of_range_labels_name_the_value_and_index_and_count_nothing(int c)
    {
        var spec = new RunSpec(c, ignoreLabels: [65535]);
        var counter = new ConfusionCounter(spec);
        var m = new ConfusionMatrix(c);
        ushort[] gt = [0, 1, 65535, 2, (ushort)(c + 7), 1];
        ushort[] pred = [0, 1, 60000, 2, 0, 1];
        var e = Assert.Throws<LabelOutOfRangeException>(() => counter.Count<ushort, ushort>(gt, pred, m, "a.png"));
        Assert.Equal((LabelSide.GroundTruth, 4L, (long)c + 7), (e.Side, e.Index, e.Value));
        Assert.Contains($"label {c + 7} at pixel 4", e.Message);
        Assert.Contains("a.png", e.Message);
        Assert.Equal(0, m.Total);

        ushort[] badPred = [0, 1, 2, (ushort)c];
        var p = Assert.Throws<LabelOutOfRangeException>(() => counter.Count<ushort, ushort>([0, 1, 2, 0], badPred, m));
        Assert.Equal((LabelSide.Prediction, 3L, (long)c), (p.Side, p.Index, p.Value));
        Assert.Equal(0, m.Total);

        // With policy ignore the same pixels are dropped and counted as out of range.
        var lenient = new ConfusionCounter(new RunSpec(c, ignoreLabels: [65535], outOfRange: OutOfRangePolicy.Ignore));
        var counts = lenient.Count<ushort, ushort>(gt, pred, m);
        Assert.Equal(new PixelCounts(4, 1, 1), counts);
        Assert.Equal(4, m.Total);
    }

    [Fact]
    public void Negative_int64_labels_are_out_of_range_unless_ignored()
    {
        var m = new ConfusionMatrix(4);
        var e = Assert.Throws<LabelOutOfRangeException>(() =>
            new ConfusionCounter(new RunSpec(4)).Count<long, long>([1, -1], [1, 1], m));
        Assert.Equal(-1, e.Value);
        var counts = new ConfusionCounter(new RunSpec(4, ignoreLabels: [-1])).Count<long, long>([1, -1], [1, 1], m);
        Assert.Equal(new PixelCounts(1, 1, 0), counts);
    }

    [Theory]
    [InlineData("not json", "not valid JSON")]
    [InlineData("[1, 2]", "top level")]
    [InlineData("{\"unmapped\": \"keep\"}", "missing the \"map\"")]
    [InlineData("{\"map\": {\"x\": 1}}", "\"x\" is not an integer")]
    [InlineData("{\"map\": {\"1\": -4}}", "value 1 maps to -4")]
    [InlineData("{\"map\": {\"1\": 2.5}}", "value 1 maps to 2.5")]
    [InlineData("{\"map\": {\"1\": 2, \"01\": 3}}", "value 1 is mapped twice")]
    [InlineData("{\"map\": {}, \"unmapped\": \"drop\"}", "\"unmapped\" is \"drop\"")]
    [InlineData("{\"map\": {}, \"colour\": 1}", "unknown key \"colour\"")]
    public void Malformed_label_maps_are_refused_with_the_reason(string json, string expected)
    {
        var e = Assert.Throws<LabelMapFormatException>(() => LabelMap.Parse(json, "maps/my.json"));
        Assert.Contains(expected, e.Message);
        Assert.Contains("maps/my.json", e.Message);
    }

    [Fact]
    public void A_missing_label_map_file_names_the_path_and_the_presets()
    {
        var e = Assert.Throws<LabelMapFormatException>(() => LabelMap.Resolve("/nonexistent/map.json"));
        Assert.Contains("/nonexistent/map.json", e.Message);
        Assert.Contains("cityscapes", e.Message);
    }
}
