using System.Text.Json;
using Evaluator.Messages;

namespace Evaluator.Tests.Core;

public class MetricReportTests
{
    // rows ground truth, columns prediction
    private static readonly ConfusionMatrix Sample = ConfusionMatrix.FromRows(
    [
        [50, 2, 0, 3],
        [4, 30, 0, 0],
        [0, 0, 0, 0],   // class 2: absent from ground truth and never predicted → no IoU
        [0, 6, 0, 0],   // class 3: predicted 3 times, never right → IoU 0
    ]);

    [Fact]
    public void Per_class_values_are_exact_ratios_of_the_counts()
    {
        var r = MetricReport.Compute(new RunSpec(4), Sample, new PixelCounts(95, 5, 0));
        var road = r.PerClass[0];
        Assert.Equal(50.0 / (50 + 4 + 5), road.Iou);
        Assert.Equal(50.0 / 55, road.Accuracy);
        Assert.Equal(50.0 / 54, road.Precision);
        Assert.Equal(100.0 / (100 + 4 + 5), road.Dice);
        Assert.Equal(road.Dice, road.FBeta); // beta 1: F1 = Dice
        Assert.Equal((55L, 54L, 50L), (road.Support, road.Predicted, road.TruePositives));

        Assert.Null(r.PerClass[2].Iou);
        Assert.Null(r.PerClass[2].Accuracy);
        Assert.Null(r.PerClass[2].Precision);
        Assert.Equal(0.0, r.PerClass[3].Iou);
        Assert.Equal(0.0, r.PerClass[3].Precision); // predicted 3 times, never right

        double iou0 = 50.0 / 59, iou1 = 30.0 / (30 + 8 + 4), iou3 = 0;
        Assert.Equal((iou0 + iou1 + iou3) / 3, r.MeanIou);
        Assert.Equal(80.0 / 95, r.PixelAccuracy);
        Assert.Equal((50.0 / 55 + 30.0 / 34 + 0) / 3, r.MeanAccuracy);
        Assert.Equal(55.0 / 95 * iou0 + 34.0 / 95 * iou1 + 6.0 / 95 * iou3, r.FrequencyWeightedIou);
    }

    [Fact]
    public void Target_classes_restrict_the_means_not_the_per_class_values()
    {
        var r = MetricReport.Compute(new RunSpec(4, targetClasses: [1, 0]), Sample, new PixelCounts(95, 0, 0));
        Assert.Equal((50.0 / 59 + 30.0 / 42) / 2, r.MeanIou);
        Assert.Equal(4, r.PerClass.Length);
        Assert.Equal(55.0 / 89 * (50.0 / 59) + 34.0 / 89 * (30.0 / 42), r.FrequencyWeightedIou);
    }

    [Fact]
    public void F_beta_follows_its_definition()
    {
        var r = MetricReport.Compute(new RunSpec(4, beta: 2), Sample, new PixelCounts(95, 0, 0));
        // class 0: tp 50, fn 5, fp 4
        Assert.Equal(5.0 * 50 / (5.0 * 50 + 4 * 5 + 4), r.PerClass[0].FBeta);
    }

    [Fact]
    public void Category_iou_merges_classes_on_both_axes()
    {
        var spec = new RunSpec(4, categories: [new ClassCategory("ab", [0, 1]), new ClassCategory("d", [3])]);
        var r = MetricReport.Compute(spec, Sample, new PixelCounts(95, 0, 0));
        // "ab": tp = 50+2+4+30 = 86, fn = 3, fp = 6
        Assert.Equal(86.0 / 95, r.Categories[0].Iou);
        Assert.Equal(0.0, r.Categories[1].Iou);
        Assert.Equal((86.0 / 95 + 0) / 2, r.MeanCategoryIou);
    }

    [Fact]
    public void An_empty_matrix_has_no_metrics_at_all()
    {
        var r = MetricReport.Compute(new RunSpec(3), new ConfusionMatrix(3), PixelCounts.Zero);
        Assert.Null(r.MeanIou);
        Assert.Null(r.PixelAccuracy);
        Assert.Null(r.FrequencyWeightedIou);
        Assert.DoesNotContain("NaN", r.ToJson());
    }

    [Fact]
    public void Json_has_the_design_shape_with_integer_counts_and_nulls()
    {
        var spec = new RunSpec(4, ["road", "car", "sky", "bus"], ignoreLabels: [255],
            categories: [new ClassCategory("ab", [0, 1])]);
        var big = Sample.Clone();
        big.Add(0, 0, (1L << 40) + 1); // far past 2^53? no, but past float32 and int32
        var json = MetricReport.Compute(spec, big, new PixelCounts(big.Total, 12, 3), run: "r1").ToJson();
        using var doc = JsonDocument.Parse(json);
        var root = doc.RootElement;
        Assert.Equal("r1", root.GetProperty("run").GetString());
        Assert.Equal(4, root.GetProperty("num_classes").GetInt32());
        Assert.Equal(["road", "car", "sky", "bus"], root.GetProperty("class_names").EnumerateArray().Select(x => x.GetString()!));
        var pixels = root.GetProperty("pixels");
        Assert.Equal(big.Total + 15, pixels.GetProperty("total").GetInt64());
        Assert.Equal(big.Total, pixels.GetProperty("counted").GetInt64());
        Assert.Equal(12, pixels.GetProperty("ignored").GetInt64());
        Assert.Equal(3, pixels.GetProperty("out_of_range").GetInt64());
        Assert.Equal((1L << 40) + 51, root.GetProperty("confusion_matrix")[0][0].GetInt64());
        Assert.Contains("1099511627827", json); // written as an integer, not 1.099E+12
        var sky = root.GetProperty("per_class")[2];
        Assert.Equal("sky", sky.GetProperty("name").GetString());
        Assert.Equal(JsonValueKind.Null, sky.GetProperty("iou").ValueKind);
        Assert.Equal(0, sky.GetProperty("support").GetInt64());
        foreach (var field in new[] { "mean_iou", "frequency_weighted_iou", "pixel_accuracy", "mean_accuracy", "mean_dice", "mean_category_iou" })
            Assert.Equal(JsonValueKind.Number, root.GetProperty(field).ValueKind);
        Assert.Equal("ab", root.GetProperty("categories")[0].GetProperty("name").GetString());
        Assert.DoesNotContain("NaN", json);
    }
}
