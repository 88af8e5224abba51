using System.CommandLine;
using System.Diagnostics;
using Evaluator.Messages;
using Evaluator.Node.Bench;
using Evaluator.Node.Inputs;
using Evaluator.Node.Kernel;
using Evaluator.Node.Synthetic;
using Spectre.Console;

namespace Evaluator.Node.Cli;

/// <summary>
/// <c>bench</c>: the one-core kernel benchmark. For every (classes, map kind) it times the
/// kernel and, in the same process on the same buffers, the plain single-table loop, checks
/// that both give the same exact matrix, and prints medians and the ratio.
/// </summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var classes = new Option<int[]>("--classes") { Description = "Class counts to measure.", DefaultValueFactory = _ => [19, 150], AllowMultipleArgumentsPerToken = true };
        var maps = new Option<MapKind[]>("--maps") { Description = "Map kinds: blobby (Cityscapes-like) and/or uniform.", DefaultValueFactory = _ => [MapKind.Blobby, MapKind.Uniform], AllowMultipleArgumentsPerToken = true };
        var width = new Option<int>("--width") { Description = "Image width.", DefaultValueFactory = _ => 2048 };
        var height = new Option<int>("--height") { Description = "Image height.", DefaultValueFactory = _ => 1024 };
        var images = new Option<int>("--images") { Description = "Images per timed pass.", DefaultValueFactory = _ => 8 };
        var repeats = new Option<int>("--repeats") { Description = "Timed passes (the median is reported).", DefaultValueFactory = _ => 7 };
        var ignore = new Option<double>("--ignore-fraction") { Description = "Share of ground-truth pixels labelled 255 (ignored).", DefaultValueFactory = _ => 0.05 };
        var files = new Option<string?>("--files")
        {
            Description = "Instead: count the label files of DIR/gt and DIR/pred (e.g. from `generate`) in this one " +
                          "thread, memory-mapped and read into pooled arrays: the file-reading baseline of `evaluate`, without actors.",
        };
        var png = new Option<string?>("--png")
        {
            Description = "Instead: decode every .png under DIR in this one thread, from memory, and print the median " +
                          "M labels/s of the decoder and of zlib inflating the same image data alone.",
        };
        var boundary = new Option<bool>("--boundary-iou")
        {
            Description = "With --files: time the boundary IoU kernel next to the decoding of the same pairs, in one thread.",
        };
        var dilation = new Option<double>("--boundary-dilation")
        {
            Description = "With --boundary-iou: the dilation ratio.",
            DefaultValueFactory = _ => Runs.RunRequest.DefaultBoundaryDilation,
        };
        var cmd = new Command("bench", "Measure the counting kernel against a plain loop on one core.")
        {
            classes, maps, width, height, images, repeats, ignore, files, png, boundary, dilation,
        };
        cmd.SetAction(r => r.GetValue(png) is { } pngDir
            ? RunPng(pngDir, r.GetValue(repeats))
            : r.GetValue(files) is { } dir
            ? r.GetValue(boundary)
                ? RunBoundary(dir, r.GetValue(classes)![0], r.GetValue(dilation), Math.Min(r.GetValue(repeats), 5))
                : RunFiles(dir, r.GetValue(classes)![0], Math.Min(r.GetValue(repeats), 5))
            : Run(r.GetValue(classes)!, r.GetValue(maps)!, r.GetValue(width), r.GetValue(height),
                r.GetValue(images), r.GetValue(repeats), r.GetValue(ignore)));
        return cmd;
    }

    public static int Run(int[] classList, MapKind[] kinds, int width, int height, int images, int repeats,
        double ignoreFraction)
    {
        if (width <= 0 || height <= 0 || images <= 0 || repeats <= 0)
            throw new InvalidRunSpecException("--width, --height, --images and --repeats must be positive");
        var console = CliConsole.Stdout();
        console.MarkupLine($"Kernel benchmark: {images} images of {width}×{height} per pass, {repeats} passes, median; " +
                           $"{ignoreFraction:P0} ignored (255); one thread; {Environment.ProcessorCount} cores seen; " +
                           $".NET {Environment.Version}.");
        var table = new Table();
        table.AddColumn("classes").AddColumn("maps")
            .AddColumn(new TableColumn("kernel Gpx/s").RightAligned())
            .AddColumn(new TableColumn("plain loop Gpx/s").RightAligned())
            .AddColumn(new TableColumn("kernel / plain").RightAligned())
            .AddColumn("same matrix");
        var allSame = true;
        foreach (var c in classList)
            foreach (var kind in kinds)
            {
                var spec = new RunSpec(c, ignoreLabels: [255]);
                var maps = new SyntheticMaps(kind, c, width, height, ignoreFraction);
                var data = Enumerable.Range(0, images).Select(maps.Create).ToArray();
                var pixels = (long)images * maps.PixelsPerImage;

                var counter = new ConfusionCounter(spec);
                var kernelMatrix = new ConfusionMatrix(c);
                var plainCells = new long[c * c];
                var kernelTimes = new List<double>();
                var plainTimes = new List<double>();
                // One untimed pass of each warms the JIT (tiered compilation, PGO).
                for (var r = -1; r < repeats; r++)
                {
                    kernelMatrix.Clear();
                    Array.Clear(plainCells);
                    var sw = Stopwatch.StartNew();
                    foreach (var (g, p) in data) counter.Count<byte, byte>(g, p, kernelMatrix);
                    var k = sw.Elapsed.TotalSeconds;
                    sw.Restart();
                    foreach (var (g, p) in data) PlainLoopCounter.Count(spec, g, p, plainCells);
                    var b = sw.Elapsed.TotalSeconds;
                    if (r < 0) continue;
                    kernelTimes.Add(k);
                    plainTimes.Add(b);
                }
                var same = kernelMatrix.Cells.SequenceEqual(plainCells);
                allSame &= same;
                double kr = pixels / Median(kernelTimes) / 1e9, pr = pixels / Median(plainTimes) / 1e9;
                table.AddRow(c.ToString(), kind.ToString().ToLowerInvariant(), $"{kr:F2}", $"{pr:F2}", $"{kr / pr:F1}×",
                    same ? "[green]yes[/]" : "[red]NO[/]");
            }
        console.Write(table);
        return allSame ? EvaluatorCli.ExitOk : EvaluatorCli.ExitFailure;
    }

    /// <summary>
    /// One thread reads and counts every pair of a dataset, as a shard does but with no stream or
    /// actor around it: memory-mapped, then read into pooled arrays; medians of the passes; both
    /// must give the same matrix.
    /// </summary>
    public static int RunFiles(string dir, int classes, int repeats)
    {
        var pairs = PairDiscovery.Discover(Path.Combine(dir, "gt"), Path.Combine(dir, "pred"), PairLayout.Plain);
        if (pairs.IsEmpty) throw new BadInputException(dir, "no label file pairs under gt/ and pred/");
        var console = CliConsole.Stdout();
        var spec = new RunSpec(classes, ignoreLabels: [255]);
        var counter = new ConfusionCounter(spec);
        var table = new Table();
        table.AddColumn("reading").AddColumn(new TableColumn("Gpx/s").RightAligned()).AddColumn("pixels");
        ConfusionMatrix? first = null;
        var same = true;
        foreach (var mapped in new[] { true, false })
        {
            var times = new List<double>();
            var matrix = new ConfusionMatrix(classes);
            long pixels = 0;
            for (var r = 0; r < repeats; r++)
            {
                matrix.Clear();
                pixels = 0;
                var sw = Stopwatch.StartNew();
                foreach (var pair in pairs)
                {
                    var (gt, pred) = LabelFileReader.ReadPair(pair, null, mapped);
                    pixels += LabelCounting.Count(counter, gt, pred, matrix, pair.GroundTruth).Total;
                    gt.Dispose();
                    pred.Dispose();
                }
                times.Add(sw.Elapsed.TotalSeconds);
            }
            first ??= matrix.Clone();
            same &= first.Equals(matrix);
            table.AddRow(mapped ? "memory-mapped" : "pooled read", $"{pixels / Median(times) / 1e9:F2}", $"{pixels:N0}");
        }
        console.MarkupLine(Markup.Escape($"Counting {pairs.Length} pairs of {dir} in one thread, {repeats} passes, median; " +
                                         $"{Environment.ProcessorCount} cores seen."));
        console.Write(table);
        console.MarkupLine(same ? "same matrix both ways: yes" : "[red]the two readings gave different matrices[/]");
        return same ? EvaluatorCli.ExitOk : EvaluatorCli.ExitFailure;
    }

    /// <summary>
    /// One thread decodes every PNG of a directory, held in memory: the decoder's median rate, and
    /// zlib's alone on the same image data (the part that unfiltering and emitting labels cannot speed up).
    /// </summary>
    public static int RunPng(string dir, int repeats)
    {
        if (repeats <= 0) throw new InvalidRunSpecException("--repeats must be positive");
        var r = PngDecodeBench.Run(dir, repeats);
        var console = CliConsole.Stdout();
        console.MarkupLine(Markup.Escape($"Decoding {r.Files} PNGs ({r.Labels:N0} labels) of {dir} in one thread, from memory, " +
                                         $"{repeats} passes, median; .NET {Environment.Version}."));
        console.MarkupLine($"png decode: {r.DecodeMLabelsPerSecond:F1} M labels/s");
        console.MarkupLine($"zlib inflate alone: {r.InflateMLabelsPerSecond:F1} M labels/s");
        return EvaluatorCli.ExitOk;
    }

    /// <summary>Boundary IoU's cost next to decoding the same pairs (one thread, medians of the passes).</summary>
    public static int RunBoundary(string dir, int classes, double dilation, int repeats)
    {
        var pairs = PairDiscovery.Discover(Path.Combine(dir, "gt"), Path.Combine(dir, "pred"), PairLayout.Plain);
        if (pairs.IsEmpty) throw new BadInputException(dir, "no label file pairs under gt/ and pred/");
        var counter = BoundaryBench.Counter(classes, dilation);
        BoundaryBench.Pass(pairs, counter); // warms the JIT and the pooled buffers
        var passes = Enumerable.Range(0, Math.Max(1, repeats)).Select(_ => BoundaryBench.Pass(pairs, counter)).ToList();
        double decode = Median([.. passes.Select(p => p.Decode)]), boundary = Median([.. passes.Select(p => p.Boundary)]);
        var console = CliConsole.Stdout();
        console.MarkupLine(Markup.Escape($"{pairs.Length} pairs of {dir} ({passes[0].Pixels:N0} px), one thread, {passes.Count} passes, median; " +
                                         $"dilation {dilation}; {Environment.ProcessorCount} cores seen."));
        console.MarkupLine(Markup.Escape($"decode (gt + pred): {decode / pairs.Length * 1e3:F1} ms/pair; " +
                                         $"boundary IoU kernel: {boundary / pairs.Length * 1e3:F1} ms/pair; " +
                                         $"kernel / decode = {boundary / decode:F2}"));
        return EvaluatorCli.ExitOk;
    }

    private static double Median(List<double> xs)
    {
        var s = xs.Order().ToArray();
        return s.Length % 2 == 1 ? s[s.Length / 2] : (s[s.Length / 2 - 1] + s[s.Length / 2]) / 2;
    }
}
