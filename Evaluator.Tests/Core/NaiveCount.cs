using Evaluator.Messages;

namespace Evaluator.Tests.Core;

/// <summary>
/// The test suite's own reference: DESIGN.md's semantics written out per pixel, with nothing
/// shared with the product's kernel. Returns the matrix, the counts, or the first offender.
/// </summary>
public static class NaiveCount
{
    public sealed record Result(ConfusionMatrix Matrix, PixelCounts Pixels, (long Index, LabelSide Side, long Value)? FirstOutOfRange);

    public static Result Run(RunSpec spec, IReadOnlyList<long> gt, IReadOnlyList<long> pred)
    {
        var c = spec.NumClasses;
        var m = new ConfusionMatrix(c);
        long counted = 0, ignored = 0, oor = 0;
        (long, LabelSide, long)? first = null;
        for (var i = 0; i < gt.Count; i++)
        {
            long? t = gt[i];
            if (spec.LabelMap is { } map) t = map.Apply(gt[i]);
            if (t is null || spec.IgnoreLabels.Contains(t.Value))
            {
                ignored++;
                continue;
            }
            if (t < 0 || t >= c)
            {
                first ??= (i, LabelSide.GroundTruth, gt[i]);
                oor++;
                continue;
            }
            long? p = pred[i];
            if (spec.MapPredictions) p = spec.LabelMap!.Apply(pred[i]);
            if (p is null || p < 0 || p >= c)
            {
                first ??= (i, LabelSide.Prediction, pred[i]);
                oor++;
                continue;
            }
            m.Add((int)t, (int)p, 1);
            counted++;
        }
        return new Result(m, new PixelCounts(counted, ignored, oor), first);
    }
}
