using Evaluator.Messages;

namespace Evaluator.Node.Kernel;

/// <summary>Counts typed <see cref="LabelArray"/> pairs, dispatching to the kernel's generic entry.</summary>
internal static class LabelCounting
{
    public static PixelCounts Count(ConfusionCounter counter, LabelArray gt, LabelArray pred, int offset, int length,
        ConfusionMatrix into, string? source)
    {
        if (gt.Length != pred.Length)
            throw new ShapeMismatchException(source, gt.Length, pred.Length);
        var counts = gt.DType switch
        {
            LabelDType.UInt8 => WithPred(counter, gt.Labels<byte>(offset, length), pred, offset, length, into, source),
            LabelDType.UInt16 => WithPred(counter, gt.Labels<ushort>(offset, length), pred, offset, length, into, source),
            LabelDType.Int32 => WithPred(counter, gt.Labels<int>(offset, length), pred, offset, length, into, source),
            _ => WithPred(counter, gt.Labels<long>(offset, length), pred, offset, length, into, source),
        };
        // Native (memory-mapped) storage is released by a finalizer: keep both arrays alive while their spans are read.
        GC.KeepAlive(gt);
        GC.KeepAlive(pred);
        return counts;
    }

    public static PixelCounts Count(ConfusionCounter counter, LabelArray gt, LabelArray pred, ConfusionMatrix into,
        string? source) => Count(counter, gt, pred, 0, gt.Length, into, source);

    private static PixelCounts WithPred<TG>(ConfusionCounter counter, ReadOnlySpan<TG> gt, LabelArray pred, int offset,
        int length, ConfusionMatrix into, string? source)
        where TG : unmanaged, System.Numerics.IBinaryInteger<TG> =>
        pred.DType switch
        {
            LabelDType.UInt8 => counter.Count(gt, pred.Labels<byte>(offset, length), into, source),
            LabelDType.UInt16 => counter.Count(gt, pred.Labels<ushort>(offset, length), into, source),
            LabelDType.Int32 => counter.Count(gt, pred.Labels<int>(offset, length), into, source),
            _ => counter.Count(gt, pred.Labels<long>(offset, length), into, source),
        };
}
