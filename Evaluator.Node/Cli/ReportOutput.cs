using System.Globalization;
using System.Text;
using Evaluator.Messages;
using Evaluator.Messages.Protocol;
using Spectre.Console;

namespace Evaluator.Node.Cli;

/// <summary>The end of a run on the console (per-class table, summary) and in files (JSON, CSV).</summary>
public static class ReportOutput
{
    public static void PrintTable(IAnsiConsole console, MetricReport r)
    {
        var table = new Table().Title($"run {Markup.Escape(r.Run ?? "")}");
        table.AddColumn(new TableColumn("id").RightAligned()).AddColumn("class")
            .AddColumn(new TableColumn("IoU").RightAligned()).AddColumn(new TableColumn("accuracy").RightAligned())
            .AddColumn(new TableColumn("precision").RightAligned()).AddColumn(new TableColumn("Dice").RightAligned())
            .AddColumn(new TableColumn("support").RightAligned());
        foreach (var m in r.PerClass)
        {
            table.AddRow(m.Id.ToString(CultureInfo.InvariantCulture), Markup.Escape(m.Name), Fmt(m.Iou), Fmt(m.Accuracy),
                Fmt(m.Precision), Fmt(m.Dice), m.Support.ToString("N0", CultureInfo.InvariantCulture));
        }
        console.Write(table);
        if (!r.Categories.IsEmpty)
        {
            var cats = new Table().AddColumn("category").AddColumn(new TableColumn("IoU").RightAligned());
            foreach (var c in r.Categories) cats.AddRow(Markup.Escape(c.Name), Fmt(c.Iou));
            console.Write(cats);
        }
        var p = r.Pixels;
        console.MarkupLine(Markup.Escape(
            $"pixels: {p.Total:N0} total, {p.Counted:N0} counted, {p.Ignored:N0} ignored, {p.OutOfRange:N0} out of range"));
        console.MarkupLine(Markup.Escape(
            $"mean IoU {Fmt(r.MeanIou)}   fw IoU {Fmt(r.FrequencyWeightedIou)}   pixel acc {Fmt(r.PixelAccuracy)}   " +
            $"mean acc {Fmt(r.MeanAccuracy)}   mean Dice {Fmt(r.MeanDice)}" +
            (r.Categories.IsEmpty ? "" : $"   mean category IoU {Fmt(r.MeanCategoryIou)}")));
    }

    public static void PrintBadPairs(IAnsiConsole console, IReadOnlyCollection<BadPair> bad)
    {
        if (bad.Count == 0) return;
        console.MarkupLine($"[yellow]{bad.Count} pair(s) skipped (--skip-bad):[/]");
        foreach (var b in bad.Take(20)) console.MarkupLine(Markup.Escape($"  {b.Error}"));
        if (bad.Count > 20) console.MarkupLine($"  ... and {bad.Count - 20} more (see the report)");
    }

    public static string Fmt(double? v) => v is { } x ? x.ToString("0.0000", CultureInfo.InvariantCulture) : "-";

    /// <summary>The report JSON of DESIGN.md, plus the pairs skipped with --skip-bad and the run status.</summary>
    public static string Json(RunSnapshot s, bool indented = true)
    {
        using var stream = new MemoryStream();
        using (var w = new System.Text.Json.Utf8JsonWriter(stream, new System.Text.Json.JsonWriterOptions { Indented = indented }))
        {
            // The metric report, then the run's extra fields, in one object.
            var report = System.Text.Json.JsonDocument.Parse(s.ToReport().ToJson(indented: false));
            w.WriteStartObject();
            foreach (var prop in report.RootElement.EnumerateObject()) prop.WriteTo(w);
            w.WriteString("status", s.Status.ToString().ToLowerInvariant());
            w.WriteBoolean("final", s.Final);
            w.WriteNumber("snapshot", s.Number);
            w.WriteString("time", s.Time);
            w.WriteNumber("expected_pixels", s.ExpectedPixels);
            w.WriteStartArray("partitions");
            foreach (var p in s.Partitions)
            {
                w.WriteStartObject();
                w.WriteNumber("partition", p.Partition);
                w.WriteNumber("watermark", p.Watermark);
                w.WriteNumber("batches", p.Batches);
                w.WriteNumber("pixels", p.Pixels);
                w.WriteBoolean("final", p.Final);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            if (s.Error is null) w.WriteNull("error");
            else w.WriteString("error", s.Error);
            w.WriteStartArray("bad_pairs");
            foreach (var b in s.BadPairs)
            {
                w.WriteStartObject();
                w.WriteString("ground_truth", b.GroundTruth);
                w.WriteString("prediction", b.Prediction);
                w.WriteString("error", b.Error);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    /// <summary>Per-class CSV: id,name,iou,accuracy,precision,dice,f_beta,support,predicted,true_positives.</summary>
    public static string Csv(MetricReport r)
    {
        var sb = new StringBuilder("id,name,iou,accuracy,precision,dice,f_beta,support,predicted,true_positives\n");
        foreach (var m in r.PerClass)
        {
            sb.Append(CultureInfo.InvariantCulture,
                $"{m.Id},{CsvField(m.Name)},{Num(m.Iou)},{Num(m.Accuracy)},{Num(m.Precision)},{Num(m.Dice)},{Num(m.FBeta)},{m.Support},{m.Predicted},{m.TruePositives}\n");
        }
        return sb.ToString();
    }

    private static string Num(double? v) => v is { } x ? x.ToString("R", CultureInfo.InvariantCulture) : "";

    private static string CsvField(string s) =>
        s.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? "\"" + s.Replace("\"", "\"\"") + "\"" : s;
}
