using System.Collections.Immutable;

namespace Evaluator.Messages.Cityscapes;

/// <summary>
/// The scores of cityscapesScripts' <c>evalPixelLevelSemanticLabeling.py</c> (commit 0bcc4a7), computed
/// as its functions do: <c>getIouScoreForLabel</c>, <c>getInstanceIouScoreForLabel</c>,
/// <c>getIouScoreForCategory</c>, <c>getInstanceIouScoreForCategory</c> and <c>getScoreAverage</c>
/// (NaN where the script gives NaN; averages over the non-NaN entries in the script's order).
/// Lists are in the script's dict order: label ids 0..33, then categories as in labels.py.
/// </summary>
public sealed record CityscapesScores(
    ConfusionMatrix Matrix,
    ImmutableArray<double> ClassScores, ImmutableArray<double> ClassInstScores,
    ImmutableArray<double> CategoryScores, ImmutableArray<double> CategoryInstScores,
    double AverageScoreClasses, double AverageScoreInstClasses,
    double AverageScoreCategories, double AverageScoreInstCategories)
{
    public static CityscapesScores Compute(ConfusionMatrix m, CityscapesInstanceStats stats)
    {
        if (m.NumClasses != CityscapesLabels.NumIds)
            throw new InvalidRunSpecException($"the Cityscapes protocol needs a {CityscapesLabels.NumIds}-class labelId matrix, not {m.NumClasses}");
        var ids = CityscapesLabels.ById;
        var classScores = ids.Select(l => ClassIou(m, l.Id)).ToImmutableArray();
        var classInst = ids.Select(l => ClassInstIou(m, stats, l.Id)).ToImmutableArray();
        var cats = CityscapesLabels.Categories;
        var catScores = cats.Select(c => CategoryIou(m, c)).ToImmutableArray();
        var catInst = cats.Select((c, i) => CategoryInstIou(m, stats, c, i)).ToImmutableArray();
        return new CityscapesScores(m, classScores, classInst, catScores, catInst,
            Average(classScores), Average(classInst), Average(catScores), Average(catInst));
    }

    /// <summary>
    /// The instance statistics of one image, as <c>evaluatePair</c> adds them: instances in ascending
    /// id order; those of ignoreInEval labels skipped; an instance of a label without instance
    /// statistics (a label the official table gives no instances) is bad input, as it makes the
    /// script fail.
    /// </summary>
    public static CityscapesInstanceStats OfImage(IEnumerable<CityscapesInstance> instances, string source)
    {
        var s = CityscapesInstanceStats.Zero;
        var tp = s.ClassTp.ToArray();
        var fn = s.ClassFn.ToArray();
        var tpW = s.ClassTpWeighted.ToArray();
        var fnW = s.ClassFnWeighted.ToArray();
        var ctp = s.CategoryTp.ToArray();
        var cfn = s.CategoryFn.ToArray();
        var ctpW = s.CategoryTpWeighted.ToArray();
        var cfnW = s.CategoryFnWeighted.ToArray();
        foreach (var inst in instances.OrderBy(i => i.InstanceId))
        {
            var labelId = inst.InstanceId / CityscapesLabels.InstanceIdDivisor;
            if (labelId >= CityscapesLabels.NumIds)
                throw new BadInputException(source, $"instance id {inst.InstanceId} names label id {labelId}, which the Cityscapes label table does not have");
            var label = CityscapesLabels.ById[labelId];
            if (label.IgnoreInEval) continue;
            if (!label.HasInstances)
                throw new BadInputException(source,
                    $"instance id {inst.InstanceId} is an instance of '{label.Name}' (label id {labelId}), a class without instances in the Cityscapes label table");
            if (inst.Size <= 0 || inst.Tp < 0 || inst.Tp > inst.Size || inst.CategoryTp < inst.Tp || inst.CategoryTp > inst.Size)
                throw new BadInputException(source, $"instance {inst.InstanceId} has inconsistent counts");
            // weight = args.avgClassSize[label.name] / float(instSize); tpWeighted = float(tp) * weight
            var weight = CityscapesLabels.AvgClassSize[label.Name] / (double)inst.Size;
            var instFn = inst.Size - inst.Tp;
            tp[labelId] = checked(tp[labelId] + inst.Tp);
            fn[labelId] = checked(fn[labelId] + instFn);
            tpW[labelId] = tpW[labelId].Add(inst.Tp * weight);
            fnW[labelId] = fnW[labelId].Add(instFn * weight);
            var k = CityscapesLabels.CategoryIndex(label.Category);
            if (CityscapesLabels.InstanceCategoryIds[k] is null) continue;
            var catFn = inst.Size - inst.CategoryTp;
            ctp[k] = checked(ctp[k] + inst.CategoryTp);
            cfn[k] = checked(cfn[k] + catFn);
            ctpW[k] = ctpW[k].Add(inst.CategoryTp * weight);
            cfnW[k] = cfnW[k].Add(catFn * weight);
        }
        return new CityscapesInstanceStats([.. tp], [.. fn], [.. tpW], [.. fnW], [.. ctp], [.. cfn], [.. ctpW], [.. cfnW]);
    }

    private static bool Ignored(int id) => CityscapesLabels.ById[id].IgnoreInEval;

    /// <summary><c>confMatrix[notIgnored, label].sum()</c> with notIgnored excluding the label itself.</summary>
    private static long FalsePositives(ConfusionMatrix m, int label)
    {
        long fp = 0;
        for (var r = 0; r < m.NumClasses; r++)
        {
            if (!Ignored(r) && r != label) fp = checked(fp + m[r, label]);
        }
        return fp;
    }

    private static double ClassIou(ConfusionMatrix m, int label)
    {
        if (Ignored(label)) return double.NaN;
        var tp = m[label, label];
        var fn = m.RowSum(label) - tp;
        var fp = FalsePositives(m, label);
        var denom = checked(tp + fp + fn);
        return denom == 0 ? double.NaN : (double)tp / denom;
    }

    private static double ClassInstIou(ConfusionMatrix m, CityscapesInstanceStats s, int label)
    {
        var l = CityscapesLabels.ById[label];
        if (l.IgnoreInEval || !l.HasInstances) return double.NaN;
        var tp = s.ClassTpWeighted[label].Value;
        var fn = s.ClassFnWeighted[label].Value;
        var fp = FalsePositives(m, label);
        var denom = tp + fp + fn; // Python: (float + longlong) + float
        return denom == 0 ? double.NaN : tp / denom;
    }

    /// <summary>Sum of m[r, c] over rows not ignored and not in <paramref name="category"/>, columns <paramref name="columns"/>.</summary>
    private static long CategoryFalsePositives(ConfusionMatrix m, string category, IReadOnlyCollection<int> columns)
    {
        long fp = 0;
        for (var r = 0; r < m.NumClasses; r++)
        {
            if (Ignored(r) || CityscapesLabels.ById[r].Category == category) continue;
            foreach (var c in columns) fp = checked(fp + m[r, c]);
        }
        return fp;
    }

    private static double CategoryIou(ConfusionMatrix m, string category)
    {
        var ids = CityscapesLabels.Labels.Where(l => l.Category == category && !l.IgnoreInEval && l.Id >= 0).Select(l => l.Id).ToList();
        if (ids.Count == 0) return double.NaN;
        long tp = 0, rows = 0;
        foreach (var r in ids)
        {
            rows = checked(rows + m.RowSum(r));
            foreach (var c in ids) tp = checked(tp + m[r, c]);
        }
        var fn = rows - tp;
        var fp = CategoryFalsePositives(m, category, ids);
        var denom = checked(tp + fp + fn);
        return denom == 0 ? double.NaN : (double)tp / denom;
    }

    private static double CategoryInstIou(ConfusionMatrix m, CityscapesInstanceStats s, string category, int index)
    {
        if (CityscapesLabels.InstanceCategoryIds[index] is not { } ids) return double.NaN;
        var tp = s.CategoryTpWeighted[index].Value;
        var fn = s.CategoryFnWeighted[index].Value;
        var fp = CategoryFalsePositives(m, category, ids);
        var denom = tp + fp + fn;
        return denom == 0 ? double.NaN : tp / denom;
    }

    /// <summary><c>getScoreAverage</c>: the non-NaN scores added in order, divided by their number; NaN if none.</summary>
    public static double Average(IEnumerable<double> scores)
    {
        var sum = 0.0;
        var n = 0;
        foreach (var s in scores)
        {
            if (double.IsNaN(s)) continue;
            sum += s;
            n++;
        }
        return n == 0 ? double.NaN : sum / n;
    }

    /// <summary>A score as the report writes it: null for NaN.</summary>
    public static double? Nullable(double v) => double.IsNaN(v) ? null : v;
}
