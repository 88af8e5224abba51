using System.Collections.Immutable;

namespace Evaluator.Messages;

/// <summary>Metrics of one class. A value with a zero denominator is null (never NaN).</summary>
public sealed record ClassMetrics(
    int Id,
    string Name,
    double? Iou,
    double? Accuracy,
    double? Precision,
    double? Dice,
    double? FBeta,
    long Support,
    long Predicted,
    long TruePositives)
{
    /// <summary>Cityscapes protocol: the class's instance-level IoU (null: NaN in the script, or not computed).</summary>
    public double? Iiou { get; init; }
}

/// <summary>IoU of a category: its classes merged into one on both axes (cityscapesScripts).</summary>
public sealed record CategoryMetrics(string Name, ImmutableArray<int> Classes, double? Iou)
{
    /// <summary>Cityscapes protocol: the category's instance-level IoU (null: NaN in the script, or not computed).</summary>
    public double? Iiou { get; init; }
}

/// <summary>
/// Every metric of DESIGN.md computed from an exact confusion matrix and the pixel counts.
/// Semantics: IoU_c = TP / (TP + FP + FN); a class whose union is 0 has no IoU (null) and is
/// left out of the mean; a class predicted but absent from ground truth has IoU 0 and counts.
/// Means are over <see cref="RunSpec.TargetClasses"/> when given, else over all classes.
/// </summary>
public sealed record MetricReport(
    string? Run,
    RunSpec Spec,
    PixelCounts Pixels,
    ConfusionMatrix Matrix,
    ImmutableArray<ClassMetrics> PerClass,
    double? MeanIou,
    double? FrequencyWeightedIou,
    double? PixelAccuracy,
    double? MeanAccuracy,
    double? MeanDice,
    double? MeanFBeta,
    ImmutableArray<CategoryMetrics> Categories,
    double? MeanCategoryIou)
{
    /// <summary>Bootstrap intervals of the IoUs (<c>--bootstrap</c>); null when not requested.</summary>
    public BootstrapIntervals? Bootstrap { get; init; }

    /// <summary>Per-image runs: the images with the lowest mean IoU, lowest first; null when not computed.</summary>
    public ImmutableArray<WorstImage>? WorstImages { get; init; }

    /// <summary>Boundary IoU runs: the exact per-class boundary sums (null when not computed).</summary>
    public BoundaryCounts? Boundary { get; init; }

    /// <summary>Boundary IoU runs: the dilation ratio of the boundary regions.</summary>
    public double? BoundaryDilation { get; init; }

    /// <summary>Class <paramref name="k"/>'s boundary IoU (null: not computed, or its boundary union is 0).</summary>
    public double? BoundaryIou(int k) => Boundary?.Iou(k);

    /// <summary>The mean boundary IoU over the classes the mean IoU is taken over, nulls skipped.</summary>
    public double? MeanBoundaryIou => Boundary is null
        ? null
        : Mean((Spec.TargetClasses.IsEmpty ? Enumerable.Range(0, Spec.NumClasses) : Spec.TargetClasses).Select(BoundaryIou));

    /// <summary>This report with boundary sums (a no-op for null).</summary>
    public MetricReport WithBoundary(BoundaryCounts? boundary, double? dilation) =>
        boundary is null ? this
        : boundary.NumClasses != Spec.NumClasses
            ? throw new InvalidRunSpecException($"boundary sums of {boundary.NumClasses} classes for a {Spec.NumClasses}-class run")
            : this with { Boundary = boundary, BoundaryDilation = dilation };

    /// <summary>
    /// Cityscapes protocol runs (<c>--protocol cityscapes</c>): the script's scores (null otherwise). A
    /// report with them says the protocol's values in per_class[].iou, mean_iou, categories and
    /// mean_category_iou (see <see cref="WithCityscapes"/>).
    /// </summary>
    public Messages.Cityscapes.CityscapesScores? Cityscapes { get; init; }

    /// <summary>Cityscapes protocol: averageScoreInstClasses (null for NaN).</summary>
    public double? MeanIiou => Cityscapes is { } s ? Messages.Cityscapes.CityscapesScores.Nullable(s.AverageScoreInstClasses) : null;

    /// <summary>Cityscapes protocol: averageScoreInstCategories (null for NaN).</summary>
    public double? MeanCategoryIiou => Cityscapes is { } s ? Messages.Cityscapes.CityscapesScores.Nullable(s.AverageScoreInstCategories) : null;

    /// <summary>
    /// This report under the Cityscapes protocol (a no-op for null): per-class IoU, mean IoU,
    /// categories and mean category IoU become the script's (its FP leaves out pixels whose ground
    /// truth is ignored; its means are over the 19 evaluated classes and 7 categories), with iIoU.
    /// </summary>
    public MetricReport WithCityscapes(Messages.Cityscapes.CityscapesInstanceStats? stats)
    {
        if (stats is null) return this;
        var s = Messages.Cityscapes.CityscapesScores.Compute(Matrix, stats);
        static double? N(double v) => Messages.Cityscapes.CityscapesScores.Nullable(v);
        var labels = Messages.Cityscapes.CityscapesLabels.Labels;
        var categories = Messages.Cityscapes.CityscapesLabels.Categories.Select((c, i) => new CategoryMetrics(c,
            [.. labels.Where(l => l.Category == c && l.Id >= 0 && !l.IgnoreInEval).Select(l => l.Id)], N(s.CategoryScores[i]))
        {
            Iiou = N(s.CategoryInstScores[i]),
        }).ToImmutableArray();
        return this with
        {
            Cityscapes = s,
            PerClass = [.. PerClass.Select(m => m with { Iou = N(s.ClassScores[m.Id]), Iiou = N(s.ClassInstScores[m.Id]) })],
            MeanIou = N(s.AverageScoreClasses),
            Categories = categories,
            MeanCategoryIou = N(s.AverageScoreCategories),
        };
    }

    /// <summary>
    /// The mean IoU and pixel accuracy of one image from its nonzero cells, with exactly the
    /// semantics of <see cref="Compute"/> (IoU null where a class's union is 0, the mean over the
    /// target classes that have one): computed from the sparse cells in O(cells + classes), not
    /// from a dense C×C matrix, so that a many-class run pays per image only for what it saw.
    /// </summary>
    public static (double? MeanIou, double? PixelAccuracy) ImageMetrics(RunSpec spec, IEnumerable<Protocol.MatrixCell> cells)
    {
        var c = spec.NumClasses;
        var tp = new long[c];
        var support = new long[c];
        var predicted = new long[c];
        long total = 0;
        foreach (var cell in cells)
        {
            if (cell.Row == cell.Column) tp[cell.Row] = checked(tp[cell.Row] + cell.Count);
            support[cell.Row] = checked(support[cell.Row] + cell.Count);
            predicted[cell.Column] = checked(predicted[cell.Column] + cell.Count);
            total = checked(total + cell.Count);
        }
        var targets = spec.TargetClasses.IsEmpty ? Enumerable.Range(0, c) : spec.TargetClasses;
        var ious = targets.Select(k => Ratio(tp[k], checked(support[k] + predicted[k] - tp[k])));
        return (Mean(ious), Ratio(tp.Sum(), total));
    }

    public static MetricReport Compute(RunSpec spec, ConfusionMatrix matrix, PixelCounts pixels, string? run = null)
    {
        if (matrix.NumClasses != spec.NumClasses)
            throw new InvalidRunSpecException($"a {matrix.NumClasses}-class matrix for a {spec.NumClasses}-class run");
        var c = spec.NumClasses;
        var b2 = spec.Beta * spec.Beta;
        var perClass = ImmutableArray.CreateBuilder<ClassMetrics>(c);
        for (var k = 0; k < c; k++)
        {
            long tp = matrix[k, k], support = matrix.RowSum(k), predicted = matrix.ColumnSum(k);
            long fn = support - tp, fp = predicted - tp;
            long union = checked(tp + fp + fn);
            perClass.Add(new ClassMetrics(
                k, spec.ClassNames[k],
                Iou: Ratio(tp, union),
                Accuracy: Ratio(tp, support),
                Precision: Ratio(tp, predicted),
                Dice: Ratio(2.0 * tp, 2.0 * tp + fp + fn),
                FBeta: Ratio((1 + b2) * tp, (1 + b2) * tp + b2 * fn + fp),
                Support: support, Predicted: predicted, TruePositives: tp));
        }
        var classes = perClass.MoveToImmutable();
        var targets = spec.TargetClasses.IsEmpty ? classes : [.. spec.TargetClasses.Select(k => classes[k])];

        // Frequency-weighted IoU (FCN, cityscapesScripts): sum of support/total × IoU over the
        // (target) classes present in the ground truth.
        long weight = 0;
        foreach (var m in targets) weight = checked(weight + m.Support);
        double? fwIou = weight == 0
            ? null
            : targets.Where(m => m.Support > 0).Sum(m => (double)m.Support / weight * m.Iou!.Value);

        var total = matrix.Total;
        var categories = spec.Categories.Select(cat => CategoryIou(matrix, cat)).ToImmutableArray();

        return new MetricReport(
            run, spec, pixels, matrix, classes,
            MeanIou: Mean(targets.Select(m => m.Iou)),
            FrequencyWeightedIou: fwIou,
            PixelAccuracy: Ratio(matrix.Trace, total),
            MeanAccuracy: Mean(targets.Select(m => m.Accuracy)),
            MeanDice: Mean(targets.Select(m => m.Dice)),
            MeanFBeta: Mean(targets.Select(m => m.FBeta)),
            Categories: categories,
            MeanCategoryIou: Mean(categories.Select(x => x.Iou)));
    }

    private static CategoryMetrics CategoryIou(ConfusionMatrix m, ClassCategory cat)
    {
        var inCat = new bool[m.NumClasses];
        foreach (var k in cat.Classes) inCat[k] = true;
        long tp = 0, fp = 0, fn = 0;
        for (var t = 0; t < m.NumClasses; t++)
        {
            for (var p = 0; p < m.NumClasses; p++)
            {
                var v = m[t, p];
                if (v == 0) continue;
                if (inCat[t] && inCat[p]) tp = checked(tp + v);
                else if (inCat[t]) fn = checked(fn + v);
                else if (inCat[p]) fp = checked(fp + v);
            }
        }
        return new CategoryMetrics(cat.Name, cat.Classes, Ratio(tp, checked(tp + fp + fn)));
    }

    private static double? Ratio(double numerator, double denominator) =>
        denominator == 0 ? null : numerator / denominator;

    /// <summary>The mean of the present values, null if none is present.</summary>
    private static double? Mean(IEnumerable<double?> values)
    {
        double sum = 0;
        var n = 0;
        foreach (var v in values)
        {
            if (v is not { } x) continue;
            sum += x;
            n++;
        }
        return n == 0 ? null : sum / n;
    }

    public string ToJson(bool indented = true) => MetricReportJson.Write(this, indented);
}

/// <summary>One of a run's images with the lowest mean IoU (per-image runs: the report's <c>worst_images</c>).</summary>
public sealed record WorstImage(string Image, string Prediction, double? MeanIou, double? PixelAccuracy, PixelCounts Pixels);
