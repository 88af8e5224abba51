using System.Collections.Immutable;
using Evaluator.Messages;

namespace Evaluator.Node.Runs;

/// <summary>One class of a comparison: IoU of a and b, b − a, and the paired-bootstrap interval of b − a.</summary>
internal sealed record ClassComparison(int Id, string Name, double? IouA, double? IouB, double? Delta, ConfidenceInterval? Interval);

/// <summary>One image of a comparison: its own mean IoU in a and in b.</summary>
internal sealed record ImageComparison(string Image, double MeanIouA, double MeanIouB)
{
    public double Delta => MeanIouB - MeanIouA;
}

/// <summary>Two runs compared over the same images (<c>compare</c>, <c>GET /compare</c>).</summary>
internal sealed record Comparison(
    string A,
    string B,
    int Images,
    ImmutableArray<string> OnlyInA,
    ImmutableArray<string> OnlyInB,
    ImmutableArray<string> GroundTruthDiffers,
    int NumClasses,
    ImmutableArray<int> TargetClasses,
    double? MeanIouA,
    double? MeanIouB,
    double? Delta,
    BootstrapOptions? Bootstrap,
    ConfidenceInterval? DeltaInterval,
    double? PValue,
    ImmutableArray<ClassComparison> PerClass,
    ImmutableArray<ImageComparison> ImagesMostWorse,
    ImmutableArray<ImageComparison> ImagesMostBetter);

/// <summary>Images present in one run only, refused unless --intersect: names them (exit 2).</summary>
internal sealed class UnmatchedImagesException(string a, string b, IReadOnlyList<string> onlyInA, IReadOnlyList<string> onlyInB)
    : EvaluatorException(
        $"the runs do not cover the same images ({onlyInA.Count} only in {a}, {onlyInB.Count} only in {b}); " +
        $"compare them on the common images with --intersect{List(a, onlyInA)}{List(b, onlyInB)}")
{
    /// <summary>How many images a message names per side.</summary>
    public const int Shown = 10;

    public IReadOnlyList<string> OnlyInA { get; } = onlyInA;
    public IReadOnlyList<string> OnlyInB { get; } = onlyInB;

    private static string List(string name, IReadOnlyList<string> images) => images.Count == 0
        ? ""
        : $"\n  only in {name}: {string.Join(", ", images.Take(Shown))}{(images.Count > Shown ? $" and {images.Count - Shown} more" : "")}";
}

/// <summary>What a comparison was asked for, beyond the two files.</summary>
internal sealed record ComparisonRequest
{
    /// <summary>The number of classes, if known (else one more than the largest class id in either file).</summary>
    public int? Classes { get; init; }

    public IReadOnlyList<string>? ClassNames { get; init; }

    /// <summary>The means are over these classes (all when empty), as in the report.</summary>
    public ImmutableArray<int> TargetClasses { get; init; } = [];

    /// <summary>Compare on the images present in both instead of refusing the others.</summary>
    public bool Intersect { get; init; }

    /// <summary>The paired bootstrap; null: point values only.</summary>
    public BootstrapOptions? Bootstrap { get; init; }

    /// <summary>How many images in each of images_most_worse and images_most_better.</summary>
    public int Top { get; init; } = DefaultTop;

    public const int DefaultTop = 10;
}

/// <summary>
/// Compares two per-image results files, paired by <c>image</c>. Point values (mean IoU of a and b,
/// b − a, per-class IoU and b − a) are exact functions of the summed per-image matrices, with the
/// report's semantics (<see cref="IouMath"/>). The paired bootstrap resamples images with the same
/// weights for a and b; the delta interval is a percentile interval of b* − a*; the two-sided
/// p-value (H0: no difference) is p = min(1, 2 min((1 + #{δ* ≤ 0}) / (m + 1), (1 + #{δ* ≥ 0}) / (m + 1)))
/// over the m resamples where δ* is defined: the inversion of the percentile interval, with the
/// usual +1 so that a finite number of resamples never claims p = 0 (its floor is 2 / (m + 1)).
/// </summary>
internal static class RunComparison
{
    public static Comparison Compare(string nameA, IEnumerable<PerImageLine> a, string nameB, IEnumerable<PerImageLine> b, ComparisonRequest q)
    {
        if (q.Bootstrap?.Problem() is { } problem) throw new ArgumentException(problem);
        var linesA = a.ToList();
        var byImageB = new Dictionary<string, PerImageLine>(StringComparer.Ordinal);
        var orderB = new List<string>();
        foreach (var line in b)
        {
            byImageB[line.Image] = line;
            orderB.Add(line.Image);
        }
        if (linesA.Count == 0) throw new PerImageFormatException(nameA, 0, "no image in the file: nothing to compare");
        if (orderB.Count == 0) throw new PerImageFormatException(nameB, 0, "no image in the file: nothing to compare");
        var inA = linesA.Select(l => l.Image).ToHashSet(StringComparer.Ordinal);
        var onlyA = linesA.Where(l => !byImageB.ContainsKey(l.Image)).Select(l => l.Image).ToImmutableArray();
        var onlyB = orderB.Where(i => !inA.Contains(i)).ToImmutableArray();
        if ((onlyA.Length > 0 || onlyB.Length > 0) && !q.Intersect) throw new UnmatchedImagesException(nameA, nameB, onlyA, onlyB);

        var pairs = linesA.Where(l => byImageB.ContainsKey(l.Image)).Select(l => (A: l, B: byImageB[l.Image])).ToList();
        if (pairs.Count == 0) throw new UnmatchedImagesException(nameA, nameB, onlyA, onlyB);
        var statsA = new ImageClassStats();
        var statsB = new ImageClassStats();
        foreach (var (la, lb) in pairs)
        {
            statsA.Add(la.Cells);
            statsB.Add(lb.Cells);
        }
        statsA.Freeze();
        statsB.Freeze();
        var c = q.Classes ?? Math.Max(1, Math.Max(q.ClassNames?.Count ?? 0, Math.Max(statsA.ClassesSeen, statsB.ClassesSeen)));
        if (Math.Max(statsA.ClassesSeen, statsB.ClassesSeen) > c)
            throw new InvalidRunSpecException($"the files have class ids up to {Math.Max(statsA.ClassesSeen, statsB.ClassesSeen) - 1}, more than the {c} classes given");
        // The report's rules for names and targets (unique, in range; targets in ascending order).
        var spec = new RunSpec(c, q.ClassNames, targetClasses: q.TargetClasses);
        var names = spec.ClassNames;
        var targets = spec.TargetClasses;
        var pointA = Point(statsA, c);
        var pointB = Point(statsB, c);
        var meanA = IouMath.Mean(pointA, targets);
        var meanB = IouMath.Mean(pointB, targets);

        ConfidenceInterval? deltaInterval = null;
        double? pValue = null;
        var classIntervals = new ConfidenceInterval?[c];
        if (q.Bootstrap is { } o)
            (deltaInterval, pValue) = Paired(statsA, statsB, c, targets, o, pointA, pointB, classIntervals);

        var perClass = Enumerable.Range(0, c).Select(k => new ClassComparison(k, names[k],
            IouMath.Nullable(pointA[k]), IouMath.Nullable(pointB[k]), IouMath.Nullable(pointB[k] - pointA[k]), classIntervals[k])).ToImmutableArray();

        var images = PerImage(pairs, statsA, statsB, c, targets);
        var top = Math.Max(0, q.Top);
        return new Comparison(nameA, nameB, pairs.Count, onlyA, onlyB, [.. pairs.Where(p => !SameGroundTruth(p.A, p.B)).Select(p => p.A.Image)], c, targets,
            IouMath.Nullable(meanA), IouMath.Nullable(meanB), IouMath.Nullable(meanB - meanA), q.Bootstrap, deltaInterval, pValue, perClass,
            [.. images.Where(i => i.Delta < 0).OrderBy(i => i.Delta).ThenBy(i => i.Image, StringComparer.Ordinal).Take(top)],
            [.. images.Where(i => i.Delta > 0).OrderByDescending(i => i.Delta).ThenBy(i => i.Image, StringComparer.Ordinal).Take(top)]);
    }

    /// <summary>Whether a and b saw the same ground truth for an image: the same counted pixels per true class.</summary>
    private static bool SameGroundTruth(PerImageLine a, PerImageLine b)
    {
        static Dictionary<int, long> Support(PerImageLine l)
        {
            var d = new Dictionary<int, long>();
            foreach (var c in l.Cells) d[c.Truth] = checked(d.GetValueOrDefault(c.Truth) + c.Count);
            return d;
        }
        var (sa, sb) = (Support(a), Support(b));
        return sa.Count == sb.Count && sa.All(kv => sb.TryGetValue(kv.Key, out var n) && n == kv.Value);
    }

    private static double[] Point(ImageClassStats stats, int c)
    {
        var (tp, fp, fn) = (new long[c], new long[c], new long[c]);
        stats.Totals(tp, fp, fn);
        var iou = new double[c];
        IouMath.PerClass(tp, fp, fn, iou);
        return iou;
    }

    /// <summary>Each image's own mean IoU in a and b (images where either is undefined are left out).</summary>
    private static List<ImageComparison> PerImage(List<(PerImageLine A, PerImageLine B)> pairs, ImageClassStats a, ImageClassStats b, int c, ImmutableArray<int> targets)
    {
        var result = new List<ImageComparison>(pairs.Count);
        var sa = new Bootstrap.Sums(c);
        var sb = new Bootstrap.Sums(c);
        for (var i = 0; i < pairs.Count; i++)
        {
            var ma = Mean(a, i, sa, targets);
            var mb = Mean(b, i, sb, targets);
            if (!double.IsNaN(ma) && !double.IsNaN(mb)) result.Add(new ImageComparison(pairs[i].A.Image, ma, mb));
        }
        return result;
    }

    private static double Mean(ImageClassStats stats, int image, Bootstrap.Sums s, ImmutableArray<int> targets)
    {
        s.Clear();
        stats.AddTo(image, 1, s.Tp, s.Fp, s.Fn);
        IouMath.PerClass(s.Tp, s.Fp, s.Fn, s.Iou);
        return IouMath.Mean(s.Iou, targets);
    }

    /// <summary>The paired bootstrap: the same resampled images for a and b.</summary>
    private static (ConfidenceInterval?, double?) Paired(ImageClassStats a, ImageClassStats b, int c, ImmutableArray<int> targets,
        BootstrapOptions o, double[] pointA, double[] pointB, ConfidenceInterval?[] classIntervals)
    {
        var n = o.Resamples;
        var deltas = new double[n];
        var classDeltas = new double[c * n];
        Resampling.ForEach(a.Count, n, o.Seed, () => (A: new Bootstrap.Sums(c), B: new Bootstrap.Sums(c)), (r, weights, s) =>
        {
            s.A.Clear();
            s.B.Clear();
            a.AddWeighted(weights, s.A.Tp, s.A.Fp, s.A.Fn);
            b.AddWeighted(weights, s.B.Tp, s.B.Fp, s.B.Fn);
            IouMath.PerClass(s.A.Tp, s.A.Fp, s.A.Fn, s.A.Iou);
            IouMath.PerClass(s.B.Tp, s.B.Fp, s.B.Fn, s.B.Iou);
            deltas[r] = IouMath.Mean(s.B.Iou, targets) - IouMath.Mean(s.A.Iou, targets);
            for (var k = 0; k < c; k++) classDeltas[k * n + r] = s.B.Iou[k] - s.A.Iou[k];
        });
        for (var k = 0; k < c; k++)
        {
            if (!double.IsNaN(pointB[k] - pointA[k])) classIntervals[k] = Percentile.Interval(classDeltas.AsSpan(k * n, n), o.Confidence);
        }
        var point = IouMath.Mean(pointB, targets) - IouMath.Mean(pointA, targets);
        if (double.IsNaN(point)) return (null, null);
        return (Percentile.Interval(deltas, o.Confidence), TwoSidedP(deltas));
    }

    /// <summary>The two-sided bootstrap p-value of the class comment, over the defined deltas (null if none).</summary>
    public static double? TwoSidedP(ReadOnlySpan<double> deltas)
    {
        long defined = 0, atMost = 0, atLeast = 0;
        foreach (var d in deltas)
        {
            if (double.IsNaN(d)) continue;
            defined++;
            if (d <= 0) atMost++;
            if (d >= 0) atLeast++;
        }
        if (defined == 0) return null;
        return Math.Min(1.0, 2.0 * Math.Min((1.0 + atMost) / (defined + 1), (1.0 + atLeast) / (defined + 1)));
    }
}
