using System.Collections.Immutable;
using Evaluator.Messages;

namespace Evaluator.Node.Runs;

/// <summary>
/// Bootstrap confidence intervals of a report's IoUs from its per-image results file: images are
/// resampled with replacement (<see cref="Resampling"/>), each resample's dataset-level IoUs are
/// recomputed from the summed per-image TP/FP/FN (the report's semantics, not a mean of per-image
/// IoUs), and the intervals are percentiles of those (<see cref="Percentile"/>).
/// </summary>
internal static class Bootstrap
{
    /// <summary>
    /// The report with <see cref="MetricReport.Bootstrap"/> set, from the per-image file the run
    /// wrote (evaluate and submit with --per-image --bootstrap). The file must add up to the report's matrix exactly, else it is refused.
    /// </summary>
    public static MetricReport Apply(MetricReport report, string perImageFile, BootstrapOptions options)
    {
        var (stats, matrix, _) = Load(perImageFile, report.Spec.NumClasses);
        if (!matrix.Equals(report.Matrix))
            throw new PerImageFormatException(perImageFile, 0,
                $"its images add up to {matrix.Total:N0} counted pixels in a matrix that differs from the report's ({report.Matrix.Total:N0}): not this run's file?");
        return report with { Bootstrap = Intervals(stats, report.Spec, options) };
    }

    /// <summary>
    /// The report of a per-image file alone (its summed matrix and pixels) with its intervals: the
    /// <c>bootstrap</c> command. The spec gives the classes; a cell beyond them is refused.
    /// </summary>
    public static MetricReport FromFile(string perImageFile, RunSpec spec, BootstrapOptions options, string? run = null)
    {
        var (stats, matrix, pixels) = Load(perImageFile, spec.NumClasses);
        var report = MetricReport.Compute(spec, matrix, pixels, run);
        return report with { Bootstrap = Intervals(stats, spec, options) };
    }

    /// <summary>The number of classes a per-image file needs: one more than its largest class id (at least 1).</summary>
    public static int ClassesIn(string perImageFile)
    {
        var max = 0;
        foreach (var line in PerImageReader.Read(perImageFile))
        {
            foreach (var c in line.Cells) max = Math.Max(max, Math.Max(c.Truth, c.Prediction) + 1);
        }
        return Math.Max(max, 1);
    }

    /// <summary>Reads a per-image file into statistics, its summed matrix and pixel counts.</summary>
    public static (ImageClassStats Stats, ConfusionMatrix Matrix, PixelCounts Pixels) Load(string perImageFile, int numClasses) =>
        Load(PerImageReader.Read(perImageFile, numClasses), perImageFile, numClasses);

    /// <summary>
    /// Per-image rows (a file, or a run's rows read back from the journal: GET /runs/{id}/bootstrap)
    /// into statistics, their summed matrix and pixel counts; <paramref name="name"/> names them in errors.
    /// </summary>
    public static (ImageClassStats Stats, ConfusionMatrix Matrix, PixelCounts Pixels) Load(IEnumerable<PerImageLine> lines, string name, int numClasses)
    {
        var stats = new ImageClassStats();
        var matrix = new ConfusionMatrix(numClasses);
        var pixels = PixelCounts.Zero;
        foreach (var line in lines)
        {
            stats.Add(line.Cells);
            foreach (var c in line.Cells) matrix.Add(c.Truth, c.Prediction, c.Count);
            pixels += line.Pixels;
        }
        if (stats.Count == 0) throw new PerImageFormatException(name, 0, "no image in the file: nothing to resample");
        return (stats.Freeze(), matrix, pixels);
    }

    /// <summary>The intervals of the mean IoU and of every class's IoU.</summary>
    public static BootstrapIntervals Intervals(ImageClassStats stats, RunSpec spec, BootstrapOptions o)
    {
        if (o.Problem() is { } problem) throw new ArgumentException(problem);
        int c = spec.NumClasses, b = o.Resamples;
        var targets = spec.TargetClasses;

        var point = new double[c];
        var (tp, fp, fn) = (new long[c], new long[c], new long[c]);
        stats.Totals(tp, fp, fn);
        IouMath.PerClass(tp, fp, fn, point);

        var means = new double[b];
        var perClass = new double[c * b];
        Resampling.ForEach(stats.Count, b, o.Seed, () => new Sums(c), (r, weights, s) =>
        {
            s.Clear();
            stats.AddWeighted(weights, s.Tp, s.Fp, s.Fn);
            IouMath.PerClass(s.Tp, s.Fp, s.Fn, s.Iou);
            means[r] = IouMath.Mean(s.Iou, targets);
            for (var k = 0; k < c; k++) perClass[k * b + r] = s.Iou[k];
        });

        var intervals = ImmutableArray.CreateBuilder<ConfidenceInterval?>(c);
        for (var k = 0; k < c; k++)
            intervals.Add(double.IsNaN(point[k]) ? null : Percentile.Interval(perClass.AsSpan(k * b, b), o.Confidence));
        var meanPoint = IouMath.Mean(point, targets);
        return new BootstrapIntervals(b, o.Confidence, o.Seed,
            double.IsNaN(meanPoint) ? null : Percentile.Interval(means, o.Confidence), intervals.MoveToImmutable());
    }

    /// <summary>A worker's sums and IoUs, reused from one resample to the next.</summary>
    internal sealed class Sums(int classes)
    {
        public long[] Tp { get; } = new long[classes];
        public long[] Fp { get; } = new long[classes];
        public long[] Fn { get; } = new long[classes];
        public double[] Iou { get; } = new double[classes];

        public void Clear()
        {
            Array.Clear(Tp);
            Array.Clear(Fp);
            Array.Clear(Fn);
        }
    }
}
