using System.Globalization;
using System.Text;
using System.Text.Json;
using Evaluator.Messages;

namespace Evaluator.Node.Runs;

/// <summary>A comparison as the JSON report (<c>--report</c>, <c>GET /compare</c>) and the per-class CSV (<c>--csv</c>).</summary>
internal static class ComparisonFormats
{
    public static string Json(Comparison c, bool indented = true) => Encoding.UTF8.GetString(JsonBytes(c, indented));

    public static byte[] JsonBytes(Comparison c, bool indented = true)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = indented }))
        {
            w.WriteStartObject();
            w.WriteString("a", c.A);
            w.WriteString("b", c.B);
            w.WriteNumber("images", c.Images);
            Strings(w, "only_in_a", c.OnlyInA);
            Strings(w, "only_in_b", c.OnlyInB);
            Strings(w, "ground_truth_differs", c.GroundTruthDiffers);
            w.WriteNumber("num_classes", c.NumClasses);
            if (c.TargetClasses.IsDefaultOrEmpty) w.WriteNull("target_classes");
            else
            {
                w.WriteStartArray("target_classes");
                foreach (var k in c.TargetClasses) w.WriteNumberValue(k);
                w.WriteEndArray();
            }
            Number(w, "mean_iou_a", c.MeanIouA);
            Number(w, "mean_iou_b", c.MeanIouB);
            Number(w, "delta", c.Delta);
            Number(w, "delta_low", c.DeltaInterval?.Low);
            Number(w, "delta_high", c.DeltaInterval?.High);
            Number(w, "p_value", c.PValue);
            if (c.Bootstrap is not { } o) w.WriteNull("bootstrap");
            else
            {
                w.WriteStartObject("bootstrap");
                w.WriteNumber("resamples", o.Resamples);
                w.WriteNumber("confidence", o.Confidence);
                w.WriteNumber("seed", o.Seed);
                w.WriteEndObject();
            }
            w.WriteStartArray("per_class");
            foreach (var k in c.PerClass)
            {
                w.WriteStartObject();
                w.WriteNumber("id", k.Id);
                w.WriteString("name", k.Name);
                Number(w, "iou_a", k.IouA);
                Number(w, "iou_b", k.IouB);
                Number(w, "delta", k.Delta);
                Number(w, "low", k.Interval?.Low);
                Number(w, "high", k.Interval?.High);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            Images(w, "images_most_worse", c.ImagesMostWorse);
            Images(w, "images_most_better", c.ImagesMostBetter);
            w.WriteEndObject();
        }
        return stream.ToArray();
    }

    /// <summary>Per-class CSV: id,name,iou_a,iou_b,delta,low,high (empty where undefined or not bootstrapped).</summary>
    public static string Csv(Comparison c)
    {
        var sb = new StringBuilder("id,name,iou_a,iou_b,delta,low,high\n");
        foreach (var k in c.PerClass)
        {
            sb.Append(CultureInfo.InvariantCulture,
                $"{k.Id},{ReportFormats.CsvField(k.Name)},{Num(k.IouA)},{Num(k.IouB)},{Num(k.Delta)},{Num(k.Interval?.Low)},{Num(k.Interval?.High)}\n");
        }
        return sb.ToString();
    }

    private static void Images(Utf8JsonWriter w, string name, IEnumerable<ImageComparison> images)
    {
        w.WriteStartArray(name);
        foreach (var i in images)
        {
            w.WriteStartObject();
            w.WriteString("image", i.Image);
            w.WriteNumber("mean_iou_a", i.MeanIouA);
            w.WriteNumber("mean_iou_b", i.MeanIouB);
            w.WriteNumber("delta", i.Delta);
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

    private static void Strings(Utf8JsonWriter w, string name, IEnumerable<string> values)
    {
        w.WriteStartArray(name);
        foreach (var v in values) w.WriteStringValue(v);
        w.WriteEndArray();
    }

    private static void Number(Utf8JsonWriter w, string name, double? value)
    {
        if (value is { } v && double.IsFinite(v)) w.WriteNumber(name, v);
        else w.WriteNull(name);
    }

    private static string Num(double? v) => v is { } x && double.IsFinite(x) ? x.ToString("R", CultureInfo.InvariantCulture) : "";
}
