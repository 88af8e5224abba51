using System.Globalization;
using Evaluator.Messages;
using Evaluator.Messages.Protocol;
using Spectre.Console;

namespace Evaluator.Node.Cli;

/// <summary>The end of a run on the console: per-class table, summary, skipped pairs.</summary>
internal static class ReportOutput
{
    public static void PrintTable(IAnsiConsole console, MetricReport r)
    {
        var table = new Table().Title($"run {Markup.Escape(r.Run ?? "")}");
        table.AddColumn(new TableColumn("id").RightAligned()).AddColumn("class")
            .AddColumn(new TableColumn("IoU").RightAligned()).AddColumn(new TableColumn("accuracy").RightAligned())
            .AddColumn(new TableColumn("precision").RightAligned()).AddColumn(new TableColumn("Dice").RightAligned())
            .AddColumn(new TableColumn("support").RightAligned());
        if (r.Boundary is not null) table.AddColumn(new TableColumn("boundary IoU").RightAligned());
        if (r.Cityscapes is not null) table.AddColumn(new TableColumn("iIoU").RightAligned());
        foreach (var m in r.PerClass)
        {
            string[] cells = [m.Id.ToString(CultureInfo.InvariantCulture), Markup.Escape(m.Name), Fmt(m.Iou), Fmt(m.Accuracy),
                Fmt(m.Precision), Fmt(m.Dice), m.Support.ToString("N0", CultureInfo.InvariantCulture)];
            if (r.Boundary is not null) cells = [.. cells, Fmt(r.BoundaryIou(m.Id))];
            table.AddRow(r.Cityscapes is null ? cells : [.. cells, Fmt(m.Iiou)]);
        }
        console.Write(table);
        if (!r.Categories.IsEmpty)
        {
            var cats = new Table().AddColumn("category").AddColumn(new TableColumn("IoU").RightAligned());
            if (r.Cityscapes is not null) cats.AddColumn(new TableColumn("iIoU").RightAligned());
            foreach (var c in r.Categories)
            {
                if (r.Cityscapes is null) cats.AddRow(Markup.Escape(c.Name), Fmt(c.Iou));
                else cats.AddRow(Markup.Escape(c.Name), Fmt(c.Iou), Fmt(c.Iiou));
            }
            console.Write(cats);
        }
        var p = r.Pixels;
        console.MarkupLine(Markup.Escape(
            $"pixels: {p.Total:N0} total, {p.Counted:N0} counted, {p.Ignored:N0} ignored, {p.OutOfRange:N0} out of range"));
        console.MarkupLine(Markup.Escape(
            $"mean IoU {Fmt(r.MeanIou)}{Interval(r.Bootstrap)}   fw IoU {Fmt(r.FrequencyWeightedIou)}   pixel acc {Fmt(r.PixelAccuracy)}   " +
            $"mean acc {Fmt(r.MeanAccuracy)}   mean Dice {Fmt(r.MeanDice)}" +
            (r.Categories.IsEmpty ? "" : $"   mean category IoU {Fmt(r.MeanCategoryIou)}") +
            (r.Boundary is null ? "" : $"   mean boundary IoU {Fmt(r.MeanBoundaryIou)}") +
            (r.Cityscapes is null ? "" : $"   mean iIoU {Fmt(r.MeanIiou)}   mean category iIoU {Fmt(r.MeanCategoryIiou)}")));
    }

    /// <summary>Per-image runs: the images with the lowest mean IoU, lowest first.</summary>
    public static void PrintWorstImages(IAnsiConsole console, IReadOnlyCollection<WorstImage>? worst)
    {
        if (worst is null || worst.Count == 0) return;
        var table = new Table().Title($"worst {worst.Count} image(s) by mean IoU");
        table.AddColumn("image").AddColumn(new TableColumn("mean IoU").RightAligned())
            .AddColumn(new TableColumn("pixel acc").RightAligned()).AddColumn(new TableColumn("counted").RightAligned());
        foreach (var w in worst)
        {
            table.AddRow(Markup.Escape(w.Image), Fmt(w.MeanIou), Fmt(w.PixelAccuracy),
                w.Pixels.Counted.ToString("N0", CultureInfo.InvariantCulture));
        }
        console.Write(table);
    }

    public static void PrintBadPairs(IAnsiConsole console, IReadOnlyCollection<BadPair> bad)
    {
        if (bad.Count == 0) return;
        console.MarkupLine($"[yellow]warning: {bad.Count} pair(s) skipped (--skip-bad):[/]");
        foreach (var b in bad.Take(20)) console.MarkupLine(Markup.Escape($"  {b.Error}"));
        if (bad.Count > 20) console.MarkupLine($"  ... and {bad.Count - 20} more (see the report)");
    }

    /// <summary>" (95 % CI 0.7051–0.7190)" after the mean IoU when the report has bootstrap intervals.</summary>
    public static string Interval(BootstrapIntervals? b) =>
        b?.MeanIou is { } ci
            ? $" ({(b.Confidence * 100).ToString("0.###", CultureInfo.InvariantCulture)} % CI {Fmt(ci.Low)}–{Fmt(ci.High)})"
            : "";

    public static string Fmt(double? v) => v is { } x ? x.ToString("0.0000", CultureInfo.InvariantCulture) : "-";
}
