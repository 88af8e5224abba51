using System.CommandLine;
using System.Diagnostics;
using Evaluator.Messages;
using Evaluator.Node.Kernel;
using Evaluator.Node.Synthetic;
using Spectre.Console;

namespace Evaluator.Node.Cli;

/// <summary>
/// <c>demo</c>: why this project exists. Streams a synthetic evaluation large enough that a
/// cell passes 2^24, accumulates it as Keras did before its fix (a float32 running total of
/// per-batch matrices), as a per-pixel float32 counter would, and exactly in int64, prints
/// them side by side, and checks the exact one against an independent naive recount.
/// </summary>
internal static class DemoCommand
{
    public static Command Create()
    {
        var pixels = new Option<long>("--pixels") { Description = "Pixels in the synthetic evaluation.", DefaultValueFactory = _ => 40_000_000 };
        var batch = new Option<int>("--batch") { Description = "Pixels per batch (one Keras update_state call).", DefaultValueFactory = _ => 4096 };
        var classes = new Option<int>("--classes") { Description = "Number of classes.", DefaultValueFactory = _ => 2 };
        var seed = new Option<int>("--seed") { Description = "Seed of the synthetic data.", DefaultValueFactory = _ => 20574 };
        var cmd = new Command("demo", "Show float32 drift past 2^24 counts next to the exact int64 count.")
        {
            pixels, batch, classes, seed,
        };
        cmd.SetAction(r => Run(r.GetValue(pixels), r.GetValue(batch), r.GetValue(classes), r.GetValue(seed)));
        return cmd;
    }

    public static int Run(long pixels, int batchPixels, int classes, int seed)
    {
        if (pixels <= 0 || batchPixels <= 0)
            throw new InvalidRunSpecException("--pixels and --batch must be positive");
        var spec = new RunSpec(classes);
        var console = CliConsole.Stdout();
        var batches = (int)Math.Min(int.MaxValue, (pixels + batchPixels - 1) / batchPixels);
        console.MarkupLine($"[bold]Evaluator demo[/]: {pixels:N0} pixels, {classes} classes, {batches:N0} batches of {batchPixels:N0} pixels.");
        console.MarkupLine("Accumulating three ways: Keras before #20584 (float32 total += per-batch matrix), a float32 counter per pixel, and Evaluator's int64.");

        var c = classes;
        var exact = new ConfusionMatrix(c);
        var kerasTotal = new float[c * c];
        var perPixel = new float[c * c];
        var counter = new ConfusionCounter(spec);
        var batchMatrix = new ConfusionMatrix(c);
        var gt = new byte[batchPixels];
        var pred = new byte[batchPixels];
        var stopwatch = Stopwatch.StartNew();
        for (var b = 0; b < batches; b++)
        {
            var n = (int)Math.Min(batchPixels, pixels - (long)b * batchPixels);
            Generate(seed, b, c, gt.AsSpan(0, n), pred.AsSpan(0, n));
            batchMatrix.Clear();
            counter.Count<byte, byte>(gt.AsSpan(0, n), pred.AsSpan(0, n), batchMatrix);
            exact.Merge(batchMatrix);
            for (var i = 0; i < c * c; i++)
            {
                var k = batchMatrix.Cells[i];
                kerasTotal[i] += k; // a per-batch count < 2^24 is exact in float32; the running sum is not
                for (long j = 0; j < k; j++) perPixel[i] += 1f;
            }
        }
        var elapsed = stopwatch.Elapsed;

        var table = new Table().Title("confusion matrix cells (rows: ground truth, columns: prediction)");
        table.AddColumn("cell").AddColumn(new TableColumn("exact int64").RightAligned())
            .AddColumn(new TableColumn("float32 per batch (Keras)").RightAligned()).AddColumn(new TableColumn("diff").RightAligned())
            .AddColumn(new TableColumn("float32 per pixel").RightAligned()).AddColumn(new TableColumn("diff").RightAligned());
        var differing = 0;
        for (var t = 0; t < c; t++)
            for (var p = 0; p < c; p++)
            {
                var i = t * c + p;
                var e = exact[t, p];
                var k = (long)kerasTotal[i];
                var q = (long)perPixel[i];
                if (k != e || q != e) differing++;
                table.AddRow($"({t}, {p})", $"{e:N0}", $"{kerasTotal[i]:N0}", Diff(k - e), $"{perPixel[i]:N0}", Diff(q - e));
            }
        console.Write(table);

        var exactReport = MetricReport.Compute(spec, exact, new PixelCounts(exact.Total, 0, 0));
        var floatMatrix = ConfusionMatrix.FromRows(Enumerable.Range(0, c)
            .Select(t => (IReadOnlyList<long>)Enumerable.Range(0, c).Select(p => (long)kerasTotal[t * c + p]).ToList()).ToList());
        var floatReport = MetricReport.Compute(spec, floatMatrix, new PixelCounts(floatMatrix.Total, 0, 0));
        console.MarkupLine($"{differing} of {c * c} cells differ from the exact count in float32.");
        console.MarkupLine($"pixels counted: exact [green]{exact.Total:N0}[/], float32 (Keras) total {floatMatrix.Total:N0}");
        console.MarkupLine($"mean IoU: exact [green]{exactReport.MeanIou:R}[/], float32 (Keras) {floatReport.MeanIou:R}");

        console.MarkupLine("Recounting every pixel independently (one pixel at a time, int64) ...");
        var naive = new ConfusionMatrix(c);
        var g64 = new long[batchPixels];
        var p64 = new long[batchPixels];
        for (var b = 0; b < batches; b++)
        {
            var n = (int)Math.Min(batchPixels, pixels - (long)b * batchPixels);
            Generate(seed, b, c, gt.AsSpan(0, n), pred.AsSpan(0, n));
            for (var i = 0; i < n; i++)
            {
                g64[i] = gt[i];
                p64[i] = pred[i];
            }
            ReferenceCounter.Count(spec, g64.AsSpan(0, n), p64.AsSpan(0, n), naive);
        }
        var same = naive.Equals(exact) && exact.Total == pixels;
        console.MarkupLine(same
            ? $"[green]exact int64 matrix == independent recount, all {pixels:N0} pixels[/] (counted in {elapsed.TotalSeconds:F2} s)"
            : "[red]MISMATCH between the int64 matrix and the recount[/]");
        return same ? EvaluatorCli.ExitOk : EvaluatorCli.ExitFailure;
    }

    private static string Diff(long d) => d == 0 ? "0" : $"[red]{d:+#,0;-#,0}[/]";

    /// <summary>
    /// Batch <paramref name="b"/>: ground truth is class 0 for ~70% of pixels (so cell (0, 0)
    /// passes 2^24 after ~24 M pixels), predictions right ~90% of the time.
    /// </summary>
    private static void Generate(int seed, int b, int classes, Span<byte> gt, Span<byte> pred)
    {
        // A fixed mix of seed and batch: HashCode.Combine is randomised per process, which made
        // the demo's figures change from run to run (and README's example stale).
        var rng = new Random(unchecked((seed * 1_000_003) + b));
        for (var i = 0; i < gt.Length; i++)
        {
            var t = rng.NextDouble() < 0.7 ? 0 : rng.Next(classes);
            gt[i] = (byte)t;
            pred[i] = rng.NextDouble() < 0.9 ? (byte)t : (byte)rng.Next(classes);
        }
    }
}
