using Evaluator.Messages;

namespace Evaluator.Node.Kernel;

/// <summary>
/// The slowest, most obvious count: one pixel at a time, the spec applied with
/// <see cref="LabelMap.Apply"/> and set look-ups, straight into int64 cells. The independent
/// recount that <c>demo</c> checks the fast kernel against.
/// </summary>
internal static class ReferenceCounter
{
    public static PixelCounts Count(RunSpec spec, ReadOnlySpan<long> groundTruth, ReadOnlySpan<long> prediction,
        ConfusionMatrix into)
    {
        if (groundTruth.Length != prediction.Length)
            throw new ShapeMismatchException(null, groundTruth.Length, prediction.Length);
        long counted = 0, ignored = 0, oor = 0;
        for (var i = 0; i < groundTruth.Length; i++)
        {
            long? t = spec.LabelMap is null ? groundTruth[i] : spec.LabelMap.Apply(groundTruth[i]);
            if (t is null || spec.IgnoreLabels.Contains(t.Value))
            {
                ignored++;
                continue;
            }
            long? p = spec.MapPredictions ? spec.LabelMap!.Apply(prediction[i]) : prediction[i];
            if (t < 0 || t >= spec.NumClasses || p is null || p < 0 || p >= spec.NumClasses)
            {
                if (spec.OutOfRange == OutOfRangePolicy.Error)
                {
                    var side = t < 0 || t >= spec.NumClasses ? LabelSide.GroundTruth : LabelSide.Prediction;
                    throw new LabelOutOfRangeException(null, side, i,
                        side == LabelSide.GroundTruth ? groundTruth[i] : prediction[i], spec.NumClasses);
                }
                oor++;
                continue;
            }
            into.Add((int)t.Value, (int)p.Value, 1);
            counted++;
        }
        return new PixelCounts(counted, ignored, oor);
    }
}
