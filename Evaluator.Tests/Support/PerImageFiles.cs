using System.Text;
using System.Text.Json;
using Evaluator.Messages;

namespace Evaluator.Tests.Support;

/// <summary>
/// Per-image results files written for tests, in the contract of the per-image file (one JSON
/// object per line: image, prediction, pixels, confusion as [row, col, count], mean_iou,
/// pixel_accuracy), from per-image matrices the test keeps for its own recount.
/// </summary>
public static class PerImageFiles
{
    /// <summary>
    /// Random per-image matrices: each image shows a few classes, predicted right with probability
    /// <paramref name="accuracy"/> (else as a random class).
    /// </summary>
    public static List<(string Image, ConfusionMatrix Matrix)> Random(int images, int classes, int seed, double accuracy = 0.8,
        int classesPerImage = 4, int pixelsPerClass = 200)
    {
        var rng = new Random(seed);
        var result = new List<(string, ConfusionMatrix)>(images);
        for (var i = 0; i < images; i++)
        {
            var m = new ConfusionMatrix(classes);
            for (var j = 0; j < classesPerImage; j++)
            {
                var t = rng.Next(classes);
                var n = rng.Next(1, pixelsPerClass);
                var right = (long)Math.Round(n * Math.Clamp(accuracy + (rng.NextDouble() - 0.5) * 0.2, 0, 1));
                m.Add(t, t, right);
                if (n - right > 0) m.Add(t, rng.Next(classes), n - right);
            }
            result.Add(($"city/img_{i:D5}.png", m));
        }
        return result;
    }

    /// <summary>The same images, predictions changed: each cell moved off the diagonal with <paramref name="worse"/> probability per pixel row.</summary>
    public static List<(string Image, ConfusionMatrix Matrix)> Perturbed(List<(string Image, ConfusionMatrix Matrix)> images, int seed, double shift)
    {
        var rng = new Random(seed);
        var result = new List<(string, ConfusionMatrix)>(images.Count);
        foreach (var (image, m) in images)
        {
            var c = m.NumClasses;
            var copy = new ConfusionMatrix(c);
            for (var t = 0; t < c; t++)
            {
                for (var p = 0; p < c; p++)
                {
                    var v = m[t, p];
                    if (v == 0) continue;
                    if (t == p)
                    {
                        // shift > 0: some right pixels go wrong; shift < 0: stays.
                        var moved = shift > 0 ? (long)Math.Round(v * shift * rng.NextDouble()) : 0;
                        copy.Add(t, t, v - moved);
                        if (moved > 0) copy.Add(t, (t + 1) % c, moved);
                    }
                    else
                    {
                        // shift < 0: some wrong pixels become right.
                        var fixedPx = shift < 0 ? (long)Math.Round(v * -shift * rng.NextDouble()) : 0;
                        copy.Add(t, p, v - fixedPx);
                        if (fixedPx > 0) copy.Add(t, t, fixedPx);
                    }
                }
            }
            result.Add((image, copy));
        }
        return result;
    }

    /// <summary>Writes the file; <paramref name="ignored"/> pixels per image are reported as ignored.</summary>
    public static string Write(string path, IEnumerable<(string Image, ConfusionMatrix Matrix)> images, long ignored = 7)
    {
        using var stream = File.Create(path);
        foreach (var (image, m) in images)
        {
            using (var w = new Utf8JsonWriter(stream))
            {
                var report = MetricReport.Compute(new RunSpec(m.NumClasses), m, new PixelCounts(m.Total, ignored, 0));
                w.WriteStartObject();
                w.WriteString("image", image);
                w.WriteString("prediction", image.Replace(".png", "_pred.png", StringComparison.Ordinal));
                w.WriteStartObject("pixels");
                w.WriteNumber("total", m.Total + ignored);
                w.WriteNumber("counted", m.Total);
                w.WriteNumber("ignored", ignored);
                w.WriteNumber("out_of_range", 0);
                w.WriteEndObject();
                w.WriteStartArray("confusion");
                for (var t = 0; t < m.NumClasses; t++)
                {
                    for (var p = 0; p < m.NumClasses; p++)
                    {
                        if (m[t, p] == 0) continue;
                        w.WriteStartArray();
                        w.WriteNumberValue(t);
                        w.WriteNumberValue(p);
                        w.WriteNumberValue(m[t, p]);
                        w.WriteEndArray();
                    }
                }
                w.WriteEndArray();
                if (report.MeanIou is { } iou) w.WriteNumber("mean_iou", iou);
                else w.WriteNull("mean_iou");
                if (report.PixelAccuracy is { } acc) w.WriteNumber("pixel_accuracy", acc);
                else w.WriteNull("pixel_accuracy");
                w.WriteEndObject();
            }
            stream.Write("\n"u8);
        }
        return path;
    }

    public static string WriteLines(string path, params string[] lines)
    {
        File.WriteAllText(path, string.Join("\n", lines) + "\n", new UTF8Encoding(false));
        return path;
    }

    /// <summary>The summed matrix of the images (independent of the code under test).</summary>
    public static long[,] Sum(IEnumerable<(string Image, ConfusionMatrix Matrix)> images, int classes)
    {
        var sum = new long[classes, classes];
        foreach (var (_, m) in images)
        {
            for (var t = 0; t < classes; t++)
            {
                for (var p = 0; p < classes; p++) sum[t, p] = checked(sum[t, p] + m[t, p]);
            }
        }
        return sum;
    }

    /// <summary>IoU per class of a dense matrix, recounted naively (null where the union is 0).</summary>
    public static double?[] Iou(long[,] m)
    {
        var c = m.GetLength(0);
        var iou = new double?[c];
        for (var k = 0; k < c; k++)
        {
            long tp = m[k, k], row = 0, col = 0;
            for (var j = 0; j < c; j++)
            {
                row += m[k, j];
                col += m[j, k];
            }
            var union = row + col - tp;
            iou[k] = union == 0 ? null : (double)tp / union;
        }
        return iou;
    }
}
