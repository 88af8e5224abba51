using System.Text.Json;
using Evaluator.Messages;

namespace Evaluator.Tests.Support;

/// <summary>One line of a per-image JSONL file, as a test reads it (no product code involved).</summary>
public sealed record PerImageLine(string Image, string Prediction, PixelCounts Pixels, (int Row, int Column, long Count)[] Cells,
    double? MeanIou, double? PixelAccuracy)
{
    public static IReadOnlyList<PerImageLine> ReadAll(string path) => [.. File.ReadLines(path).Select(Parse)];

    public static PerImageLine Parse(string line)
    {
        using var doc = JsonDocument.Parse(line);
        var r = doc.RootElement;
        var px = r.GetProperty("pixels");
        return new PerImageLine(r.GetProperty("image").GetString()!, r.GetProperty("prediction").GetString()!,
            new PixelCounts(px.GetProperty("counted").GetInt64(), px.GetProperty("ignored").GetInt64(), px.GetProperty("out_of_range").GetInt64()),
            [.. r.GetProperty("confusion").EnumerateArray().Select(c => (c[0].GetInt32(), c[1].GetInt32(), c[2].GetInt64()))],
            Nullable(r.GetProperty("mean_iou")), Nullable(r.GetProperty("pixel_accuracy")));
    }

    private static double? Nullable(JsonElement e) => e.ValueKind == JsonValueKind.Null ? null : e.GetDouble();

    /// <summary>The nonzero cells of a matrix, row-major, as the file lists them.</summary>
    public static (int, int, long)[] CellsOf(ConfusionMatrix m) =>
        [.. from t in Enumerable.Range(0, m.NumClasses) from p in Enumerable.Range(0, m.NumClasses) where m[t, p] != 0 select (t, p, m[t, p])];

    /// <summary>The sum of every line's cells.</summary>
    public static ConfusionMatrix Sum(IEnumerable<PerImageLine> lines, int classes)
    {
        var m = new ConfusionMatrix(classes);
        foreach (var l in lines)
        {
            foreach (var (row, col, n) in l.Cells) m.Add(row, col, n);
        }
        return m;
    }

    /// <summary>Mean IoU written out by hand (DESIGN.md: TP / (TP + FP + FN), classes with no union left out).</summary>
    public static double? MeanIouOf(ConfusionMatrix m)
    {
        var ious = new List<double>();
        for (var k = 0; k < m.NumClasses; k++)
        {
            long tp = m[k, k], row = 0, col = 0;
            for (var j = 0; j < m.NumClasses; j++)
            {
                row += m[k, j];
                col += m[j, k];
            }
            var union = row + col - tp;
            if (union > 0) ious.Add((double)tp / union);
        }
        return ious.Count == 0 ? null : ious.Average();
    }
}
