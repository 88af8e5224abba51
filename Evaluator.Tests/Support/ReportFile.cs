using System.Text.Json;
using Evaluator.Messages;

namespace Evaluator.Tests.Support;

/// <summary>Reads the fields of a written JSON report that tests compare.</summary>
public sealed record ReportFile(ConfusionMatrix Matrix, PixelCounts Pixels, string Status, string? Error,
    IReadOnlyList<(string GroundTruth, string Error)> BadPairs, double? MeanIou)
{
    public static ReportFile Read(string path)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        var r = doc.RootElement;
        var rows = r.GetProperty("confusion_matrix").EnumerateArray()
            .Select(row => (IReadOnlyList<long>)row.EnumerateArray().Select(v => v.GetInt64()).ToList()).ToList();
        var px = r.GetProperty("pixels");
        var bad = r.GetProperty("bad_pairs").EnumerateArray()
            .Select(b => (b.GetProperty("ground_truth").GetString()!, b.GetProperty("error").GetString()!)).ToList();
        var mean = r.GetProperty("mean_iou");
        return new ReportFile(ConfusionMatrix.FromRows(rows),
            new PixelCounts(px.GetProperty("counted").GetInt64(), px.GetProperty("ignored").GetInt64(),
                px.GetProperty("out_of_range").GetInt64()),
            r.GetProperty("status").GetString()!,
            r.GetProperty("error").ValueKind == JsonValueKind.Null ? null : r.GetProperty("error").GetString(),
            bad, mean.ValueKind == JsonValueKind.Null ? null : mean.GetDouble());
    }
}
