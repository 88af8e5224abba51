using System.Text.Json;
using Evaluator.Messages;
using Evaluator.Node.Runs;
using Evaluator.Tests.Support;

namespace Evaluator.Tests.Runs;

/// <summary>
/// compare's arithmetic: point values against an independent recount of the summed matrices,
/// the paired bootstrap (identical runs, a clearly better run, determinism), unmatched images,
/// and the JSON and CSV shapes.
/// </summary>
public sealed class RunComparisonTests
{
    private const int Classes = 7;
    private static readonly BootstrapOptions Options = new(300, 5, 0.95);

    private static (string A, string B, List<(string Image, ConfusionMatrix Matrix)> ImagesA, List<(string Image, ConfusionMatrix Matrix)> ImagesB) Files(double shift, int images = 200)
    {
        var dir = TestEnvironment.TempDir("compare");
        var a = PerImageFiles.Random(images, Classes, 21, accuracy: 0.7);
        var b = PerImageFiles.Perturbed(a, 22, shift);
        return (PerImageFiles.Write(Path.Combine(dir, "a.jsonl"), a), PerImageFiles.Write(Path.Combine(dir, "b.jsonl"), b), a, b);
    }

    private static Comparison Compare(string a, string b, ComparisonRequest? q = null) =>
        RunComparison.Compare(a, PerImageReader.Read(a), b, PerImageReader.Read(b), q ?? new ComparisonRequest { Bootstrap = Options });

    [Fact]
    public void Point_values_equal_an_independent_recount_of_the_summed_matrices()
    {
        var (a, b, imagesA, imagesB) = Files(shift: -0.3);
        var c = Compare(a, b);
        var iouA = PerImageFiles.Iou(PerImageFiles.Sum(imagesA, Classes));
        var iouB = PerImageFiles.Iou(PerImageFiles.Sum(imagesB, Classes));
        double MeanOf(double?[] v) => v.Where(x => x is not null).Average(x => x!.Value);
        Assert.Equal(200, c.Images);
        Assert.Equal(MeanOf(iouA), c.MeanIouA!.Value, 1e-12);
        Assert.Equal(MeanOf(iouB), c.MeanIouB!.Value, 1e-12);
        Assert.Equal(MeanOf(iouB) - MeanOf(iouA), c.Delta!.Value, 1e-12);
        for (var k = 0; k < Classes; k++)
        {
            Assert.Equal(iouA[k]!.Value, c.PerClass[k].IouA!.Value, 1e-12);
            Assert.Equal(iouB[k]!.Value, c.PerClass[k].IouB!.Value, 1e-12);
            Assert.Equal(iouB[k]!.Value - iouA[k]!.Value, c.PerClass[k].Delta!.Value, 1e-12);
            Assert.Equal($"class_{k}", c.PerClass[k].Name);
        }
        // The most changed images, recounted image by image.
        var worst = c.ImagesMostBetter[0];
        var i = imagesA.FindIndex(x => x.Image == worst.Image);
        var single = (double?[] v) => v.Where(x => x is not null).Average(x => x!.Value);
        Assert.Equal(single(PerImageFiles.Iou(PerImageFiles.Sum([imagesA[i]], Classes))), worst.MeanIouA, 1e-12);
        Assert.Equal(single(PerImageFiles.Iou(PerImageFiles.Sum([imagesB[i]], Classes))), worst.MeanIouB, 1e-12);
        Assert.True(c.ImagesMostBetter.Zip(c.ImagesMostBetter.Skip(1)).All(p => p.Item1.Delta >= p.Item2.Delta), "most better first");
        Assert.Equal(ComparisonRequest.DefaultTop, c.ImagesMostBetter.Length);
        Assert.Empty(c.ImagesMostWorse); // b only fixes pixels
        Assert.Empty(c.GroundTruthDiffers); // b moves pixels within their ground-truth rows
    }

    [Fact]
    public void A_clearly_better_run_has_an_interval_above_zero_and_a_small_p_value()
    {
        var (a, b, _, _) = Files(shift: -0.3);
        var c = Compare(a, b);
        Assert.True(c.Delta > 0.02, $"delta {c.Delta}");
        Assert.InRange(c.Delta!.Value, c.DeltaInterval!.Low, c.DeltaInterval.High);
        Assert.True(c.DeltaInterval.Low > 0, $"interval {c.DeltaInterval}");
        // No resample has delta <= 0: the floor 2 / (m + 1).
        Assert.Equal(2.0 / (Options.Resamples + 1), c.PValue!.Value, 15);
        foreach (var k in c.PerClass) Assert.InRange(k.Delta!.Value, k.Interval!.Low, k.Interval.High);

        // Reversed: the same magnitude, negative, and the worst images are now listed as worse.
        var r = Compare(b, a);
        Assert.Equal(-c.Delta.Value, r.Delta!.Value, 1e-15);
        Assert.True(r.DeltaInterval!.High < 0);
        Assert.Equal(c.ImagesMostBetter.Select(x => x.Image), r.ImagesMostWorse.Select(x => x.Image));
    }

    [Fact]
    public void Identical_runs_differ_by_zero_with_p_one_and_the_same_seed_gives_the_same_numbers()
    {
        var (a, _, _, _) = Files(shift: 0);
        var c = Compare(a, a);
        Assert.Equal(0.0, c.Delta);
        Assert.Equal(new ConfidenceInterval(0, 0), c.DeltaInterval);
        Assert.Equal(1.0, c.PValue);

        var (x, y, _, _) = Files(shift: 0.05);
        var first = Compare(x, y);
        var again = Compare(x, y);
        Assert.Equal(first.DeltaInterval, again.DeltaInterval);
        Assert.Equal(first.PValue, again.PValue);
        Assert.Equal(first.PerClass.ToArray(), again.PerClass.ToArray());
        Assert.Equal(ComparisonFormats.Json(first), ComparisonFormats.Json(again));
        var other = Compare(x, y, new ComparisonRequest { Bootstrap = Options with { Seed = 6 } });
        Assert.NotEqual(first.DeltaInterval, other.DeltaInterval);
        Assert.Equal(first.Delta, other.Delta);
    }

    [Fact]
    public void Images_whose_ground_truth_counts_differ_are_listed()
    {
        var dir = TestEnvironment.TempDir("compare");
        var images = PerImageFiles.Random(6, 3, 2);
        var changed = images.Select((x, i) => (x.Image, i == 4 ? PerImageFiles.Random(1, 3, 99)[0].Matrix : x.Matrix)).ToList();
        var a = PerImageFiles.Write(Path.Combine(dir, "a.jsonl"), images);
        var b = PerImageFiles.Write(Path.Combine(dir, "b.jsonl"), changed);
        Assert.Equal(["city/img_00004.png"], Compare(a, b).GroundTruthDiffers.ToArray());
    }

    [Fact]
    public void Images_in_one_file_only_are_refused_naming_them_unless_intersect()
    {
        var dir = TestEnvironment.TempDir("compare");
        var images = PerImageFiles.Random(20, 3, 1);
        var a = PerImageFiles.Write(Path.Combine(dir, "a.jsonl"), images.Take(18));
        var b = PerImageFiles.Write(Path.Combine(dir, "b.jsonl"), images.Skip(1));
        var e = Assert.Throws<UnmatchedImagesException>(() => Compare(a, b));
        Assert.Contains("1 only in " + a, e.Message);
        Assert.Contains("2 only in " + b, e.Message);
        Assert.Contains("city/img_00000.png", e.Message);
        Assert.Contains("city/img_00018.png, city/img_00019.png", e.Message);
        Assert.Contains("--intersect", e.Message);

        var c = Compare(a, b, new ComparisonRequest { Intersect = true, Bootstrap = Options });
        Assert.Equal(17, c.Images);
        var empty = PerImageFiles.WriteLines(Path.Combine(dir, "empty.jsonl"), "");
        Assert.Contains("empty.jsonl: no image in the file", Assert.Throws<PerImageFormatException>(() => Compare(a, empty)).Message);
        Assert.Equal(["city/img_00000.png"], c.OnlyInA.ToArray());
        Assert.Equal(["city/img_00018.png", "city/img_00019.png"], c.OnlyInB.ToArray());
        Assert.Equal(0.0, c.Delta);
        var common = images.Skip(1).Take(17).ToList();
        var iou = PerImageFiles.Iou(PerImageFiles.Sum(common, 3)).Where(v => v is not null).Average(v => v!.Value);
        Assert.Equal(iou, c.MeanIouA!.Value, 1e-12);
    }

    [Fact]
    public void The_JSON_and_CSV_have_the_documented_shapes()
    {
        var (a, b, _, _) = Files(shift: 0.1, images: 60);
        var c = Compare(a, b, new ComparisonRequest { Bootstrap = Options, ClassNames = ["a", "b,c", "=x", "d", "e", "f", "g"], TargetClasses = [0, 1, 2], Top = 3 });
        using var doc = JsonDocument.Parse(ComparisonFormats.Json(c));
        var root = doc.RootElement;
        foreach (var field in new[] { "a", "b", "images", "only_in_a", "only_in_b", "ground_truth_differs", "num_classes", "target_classes", "mean_iou_a", "mean_iou_b", "delta",
                     "delta_low", "delta_high", "p_value", "bootstrap", "per_class", "images_most_worse", "images_most_better" })
            Assert.True(root.TryGetProperty(field, out _), $"field {field}");
        Assert.Equal(b, root.GetProperty("b").GetString());
        Assert.Equal(300, root.GetProperty("bootstrap").GetProperty("resamples").GetInt32());
        Assert.Equal([0, 1, 2], root.GetProperty("target_classes").EnumerateArray().Select(x => x.GetInt32()));
        var pc = root.GetProperty("per_class")[1];
        Assert.Equal(["id", "name", "iou_a", "iou_b", "delta", "low", "high"], pc.EnumerateObject().Select(p => p.Name));
        Assert.Equal("b,c", pc.GetProperty("name").GetString());
        var worse = root.GetProperty("images_most_worse");
        Assert.Equal(3, worse.GetArrayLength());
        Assert.Equal(["image", "mean_iou_a", "mean_iou_b", "delta"], worse[0].EnumerateObject().Select(p => p.Name));
        Assert.True(root.GetProperty("delta_low").GetDouble() <= root.GetProperty("delta").GetDouble());

        var csv = ComparisonFormats.Csv(c).Split('\n');
        Assert.Equal("id,name,iou_a,iou_b,delta,low,high", csv[0]);
        Assert.Equal(Classes + 2, csv.Length); // header, rows, trailing newline
        Assert.StartsWith("1,\"b,c\",", csv[2]);
        Assert.StartsWith("2,'=x,", csv[3]);
        Assert.Equal(7, csv[1].Split(',').Length);

        // Without the bootstrap: point values only, the interval fields null.
        var plain = Compare(a, b, new ComparisonRequest { TargetClasses = [0, 1, 2] });
        using var p = JsonDocument.Parse(ComparisonFormats.Json(plain));
        Assert.Equal(JsonValueKind.Null, p.RootElement.GetProperty("delta_low").ValueKind);
        Assert.Equal(JsonValueKind.Null, p.RootElement.GetProperty("p_value").ValueKind);
        Assert.Equal(JsonValueKind.Null, p.RootElement.GetProperty("bootstrap").ValueKind);
        Assert.Equal(c.Delta, plain.Delta);
    }
}
