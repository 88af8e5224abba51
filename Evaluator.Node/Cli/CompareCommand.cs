using System.CommandLine;
using System.Globalization;
using Evaluator.Node.Runs;
using Spectre.Console;

namespace Evaluator.Node.Cli;

/// <summary>
/// <c>compare --a A.jsonl --b B.jsonl</c>: two runs' per-image results, paired by image: mean IoU
/// of each, b − a with its paired-bootstrap interval and p-value, per class, and the images that
/// changed most. Exit 2 for images present in one file only (unless --intersect), 3 for a bad file.
/// </summary>
internal static class CompareCommand
{
    /// <summary>The default number of resamples of compare (the interval is the point of comparing).</summary>
    public const int DefaultResamples = 1000;

    public static Command Create()
    {
        var cmd = new Command("compare", "Compare two runs from their per-image results files (paired bootstrap).");
        var a = new Option<string>("--a") { Description = "Per-image results of run a (JSONL).", Required = true };
        var b = new Option<string>("--b") { Description = "Per-image results of run b (JSONL); deltas are b - a.", Required = true };
        var intersect = new Option<bool>("--intersect") { Description = "Compare on the images present in both files instead of refusing the others." };
        var report = new Option<string?>("--report") { Description = "Write the comparison JSON here." };
        var csv = new Option<string?>("--csv") { Description = "Write the per-class CSV here (id,name,iou_a,iou_b,delta,low,high)." };
        var top = new Option<int>("--top") { Description = "How many images in each of images_most_worse and images_most_better.", DefaultValueFactory = _ => ComparisonRequest.DefaultTop };
        var json = new Option<bool>("--json") { Description = "Print the comparison JSON to stdout and nothing else." };
        foreach (var o in new Option[] { a, b, intersect, report, csv, top, json }) cmd.Options.Add(o);
        var stats = new BootstrapArguments(cmd, DefaultResamples, $"Paired-bootstrap resamples (default {DefaultResamples}; 0: point values only).");
        cmd.SetAction(r =>
        {
            var request = new ComparisonRequest
            {
                Classes = stats.Classes(r),
                ClassNames = stats.ClassNames(r),
                TargetClasses = [.. stats.TargetClasses(r)],
                Intersect = r.GetValue(intersect),
                Bootstrap = stats.Bootstrap(r),
                Top = r.GetValue(top),
            };
            return Run(r.GetValue(a)!, r.GetValue(b)!, request, r.GetValue(report), r.GetValue(csv), r.GetValue(json));
        });
        return cmd;
    }

    private static int Run(string a, string b, ComparisonRequest request, string? report, string? csv, bool json)
    {
        Comparison c;
        try
        {
            c = RunComparison.Compare(a, PerImageReader.Read(a, request.Classes), b, PerImageReader.Read(b, request.Classes), request);
        }
        catch (UnmatchedImagesException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return EvaluatorCli.ExitUsage;
        }
        if (c.GroundTruthDiffers.Length > 0)
        {
            Console.Error.WriteLine($"warning: {c.GroundTruthDiffers.Length} image(s) have different ground-truth counts in {a} and {b} " +
                $"(not the same labels or ignore settings?), e.g. {string.Join(", ", c.GroundTruthDiffers.Take(UnmatchedImagesException.Shown))}");
        }
        if (report is not null) File.WriteAllBytes(report, ComparisonFormats.JsonBytes(c));
        if (csv is not null) File.WriteAllText(csv, ComparisonFormats.Csv(c));
        if (json)
        {
            Console.Out.WriteLine(ComparisonFormats.Json(c));
            return EvaluatorCli.ExitOk;
        }
        Print(CliConsole.Stdout(), c);
        return EvaluatorCli.ExitOk;
    }

    public static void Print(IAnsiConsole console, Comparison c)
    {
        var ci = c.Bootstrap is { } o ? $"{Percent(o.Confidence)} % CI" : null;
        var table = new Table().Title(Markup.Escape($"b - a: {c.B} vs {c.A}"));
        table.AddColumn(new TableColumn("id").RightAligned()).AddColumn("class")
            .AddColumn(new TableColumn("IoU a").RightAligned()).AddColumn(new TableColumn("IoU b").RightAligned())
            .AddColumn(new TableColumn("delta").RightAligned());
        if (ci is not null) table.AddColumn(new TableColumn(Markup.Escape(ci)).RightAligned());
        foreach (var k in c.PerClass)
        {
            var cells = new List<string>
            {
                k.Id.ToString(CultureInfo.InvariantCulture), Markup.Escape(k.Name), ReportOutput.Fmt(k.IouA), ReportOutput.Fmt(k.IouB), Signed(k.Delta),
            };
            if (ci is not null) cells.Add(k.Interval is { } i ? $"{Signed(i.Low)}–{Signed(i.High)}" : "-");
            table.AddRow([.. cells]);
        }
        console.Write(table);
        var only = c.OnlyInA.Length + c.OnlyInB.Length > 0 ? $" (--intersect left out {c.OnlyInA.Length} only in a, {c.OnlyInB.Length} only in b)" : "";
        console.MarkupLine(Markup.Escape($"{c.Images:N0} images{only}"));
        var interval = c.DeltaInterval is { } d ? $" ({ci} {Signed(d.Low)}–{Signed(d.High)}, p = {c.PValue?.ToString("0.####", CultureInfo.InvariantCulture)})" : "";
        console.MarkupLine(Markup.Escape(
            $"mean IoU a {ReportOutput.Fmt(c.MeanIouA)}   b {ReportOutput.Fmt(c.MeanIouB)}   delta {Signed(c.Delta)}{interval}"));
        Images(console, "most worse in b", c.ImagesMostWorse);
        Images(console, "most better in b", c.ImagesMostBetter);
    }

    private static void Images(IAnsiConsole console, string title, IReadOnlyCollection<ImageComparison> images)
    {
        if (images.Count == 0) return;
        console.MarkupLine(Markup.Escape($"{title}:"));
        foreach (var i in images)
            console.MarkupLine(Markup.Escape($"  {Signed(i.Delta)}  {ReportOutput.Fmt(i.MeanIouA)} -> {ReportOutput.Fmt(i.MeanIouB)}  {i.Image}"));
    }

    internal static string Percent(double confidence) => (confidence * 100).ToString("0.###", CultureInfo.InvariantCulture);

    private static string Signed(double? v) => v is { } x ? x.ToString("+0.0000;-0.0000;0.0000", CultureInfo.InvariantCulture) : "-";
}
