using System.Globalization;
using System.Text;
using Evaluator.Messages;
using Evaluator.Messages.Protocol;

namespace Evaluator.Node.Runs;

/// <summary>A run's report as files and HTTP bodies: the report JSON and the per-class CSV.</summary>
internal static class ReportFormats
{
    /// <summary>The report JSON of DESIGN.md, plus the pairs skipped with --skip-bad and the run status.</summary>
    /// <param name="worst">Per-image runs: the report's <c>worst_images</c> (null: none, the field is left out).</param>
    /// <param name="bootstrap">Runs with <c>--bootstrap</c>: the report's <c>bootstrap</c> intervals (null: left out).</param>
    public static string Json(RunSnapshot s, bool indented = true, IReadOnlyList<WorstImage>? worst = null, BootstrapIntervals? bootstrap = null) =>
        Encoding.UTF8.GetString(JsonBytes(s, indented, sparseMatrix: false, worst, bootstrap));

    /// <summary>
    /// The report JSON as UTF-8. With <paramref name="sparseMatrix"/> the matrix is
    /// <c>confusion_cells</c> (nonzero cells as [row, column, count]) instead of the dense
    /// <c>confusion_matrix</c>: what the event stream sends, since a many-class matrix is mostly zeros.
    /// </summary>
    public static byte[] JsonBytes(RunSnapshot s, bool indented, bool sparseMatrix, IReadOnlyList<WorstImage>? worst = null,
        BootstrapIntervals? bootstrap = null)
    {
        var report = (worst is null ? s.ToReport() : s.ToReport() with { WorstImages = [.. worst] }) with { Bootstrap = bootstrap };
        using var stream = new MemoryStream();
        using (var w = new System.Text.Json.Utf8JsonWriter(stream, new System.Text.Json.JsonWriterOptions { Indented = indented }))
        {
            // The metric report, then the run's extra fields, in one object.
            w.WriteStartObject();
            MetricReportJson.WriteFields(w, report, sparseMatrix);
            w.WriteString("status", s.Status.ToString().ToLowerInvariant());
            w.WriteBoolean("final", s.Final);
            w.WriteNumber("snapshot", s.Number);
            w.WriteString("time", s.Time);
            w.WriteNumber("expected_pixels", s.ExpectedPixels);
            WriteArray(w, "partitions", s.Partitions, p =>
            {
                w.WriteNumber("partition", p.Partition);
                w.WriteNumber("watermark", p.Watermark);
                w.WriteNumber("batches", p.Batches);
                w.WriteNumber("pixels", p.Pixels);
                w.WriteBoolean("final", p.Final);
            });
            if (s.Error is null) w.WriteNull("error");
            else w.WriteString("error", s.Error);
            WriteArray(w, "bad_pairs", s.BadPairs, b =>
            {
                w.WriteString("ground_truth", b.GroundTruth);
                w.WriteString("prediction", b.Prediction);
                w.WriteString("error", b.Error);
            });
            w.WriteEndObject();
        }
        return stream.ToArray();
    }

    /// <summary>An array of objects, each written by <paramref name="fields"/>.</summary>
    private static void WriteArray<T>(System.Text.Json.Utf8JsonWriter w, string name, IEnumerable<T> items, Action<T> fields)
    {
        w.WriteStartArray(name);
        foreach (var item in items)
        {
            w.WriteStartObject();
            fields(item);
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

    /// <summary>
    /// Per-class CSV: id,name,iou,accuracy,precision,dice,f_beta,support,predicted,true_positives,
    /// plus boundary_iou,boundary_intersection,boundary_union in boundary IoU runs.
    /// </summary>
    public static string Csv(MetricReport r)
    {
        var b = r.Boundary;
        var sb = new StringBuilder("id,name,iou,accuracy,precision,dice,f_beta,support,predicted,true_positives"
            + (b is null ? "" : ",boundary_iou,boundary_intersection,boundary_union") + "\n");
        foreach (var m in r.PerClass)
        {
            sb.Append(CultureInfo.InvariantCulture,
                $"{m.Id},{CsvField(m.Name)},{Num(m.Iou)},{Num(m.Accuracy)},{Num(m.Precision)},{Num(m.Dice)},{Num(m.FBeta)},{m.Support},{m.Predicted},{m.TruePositives}");
            if (b is not null) sb.Append(CultureInfo.InvariantCulture, $",{Num(b.Iou(m.Id))},{b.Intersection[m.Id]},{b.Union[m.Id]}");
            sb.Append('\n');
        }
        return sb.ToString();
    }

    private static string Num(double? v) => v is { } x ? x.ToString("R", CultureInfo.InvariantCulture) : "";

    /// <summary>
    /// A text cell: one that a spreadsheet would read as a formula (=, +, -, @, tab, carriage
    /// return first) gets a leading single quote (OWASP's CSV injection advice); then quoted if needed.
    /// </summary>
    internal static string CsvField(string s)
    {
        if (s.Length > 0 && s[0] is '=' or '+' or '-' or '@' or '\t' or '\r') s = "'" + s;
        return s.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? "\"" + s.Replace("\"", "\"\"") + "\"" : s;
    }
}
