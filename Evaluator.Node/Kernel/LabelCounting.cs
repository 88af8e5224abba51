using Evaluator.Messages;

namespace Evaluator.Node.Kernel;

/// <summary>Counts typed <see cref="LabelArray"/> pairs, dispatching to the kernel's generic entry.</summary>
public static class LabelCounting
{
    public static PixelCounts Count(ConfusionCounter counter, LabelArray gt, LabelArray pred, int offset, int length,
        ConfusionMatrix into, string? source)
    {
        if (gt.Length != pred.Length)
            throw new ShapeMismatchException(source, gt.Length, pred.Length);
        return gt.DType switch
        {
            LabelDType.UInt8 => WithPred(counter, ((byte[])gt.Data).AsSpan(offset, length), pred, offset, length, into, source),
            LabelDType.UInt16 => WithPred(counter, ((ushort[])gt.Data).AsSpan(offset, length), pred, offset, length, into, source),
            LabelDType.Int32 => WithPred(counter, ((int[])gt.Data).AsSpan(offset, length), pred, offset, length, into, source),
            _ => WithPred(counter, ((long[])gt.Data).AsSpan(offset, length), pred, offset, length, into, source),
        };
    }

    public static PixelCounts Count(ConfusionCounter counter, LabelArray gt, LabelArray pred, ConfusionMatrix into,
        string? source) => Count(counter, gt, pred, 0, gt.Length, into, source);

    private static PixelCounts WithPred<TG>(ConfusionCounter counter, ReadOnlySpan<TG> gt, LabelArray pred, int offset,
        int length, ConfusionMatrix into, string? source)
        where TG : unmanaged, System.Numerics.IBinaryInteger<TG> =>
        pred.DType switch
        {
            LabelDType.UInt8 => counter.Count(gt, (ReadOnlySpan<byte>)((byte[])pred.Data).AsSpan(offset, length), into, source),
            LabelDType.UInt16 => counter.Count(gt, (ReadOnlySpan<ushort>)((ushort[])pred.Data).AsSpan(offset, length), into, source),
            LabelDType.Int32 => counter.Count(gt, (ReadOnlySpan<int>)((int[])pred.Data).AsSpan(offset, length), into, source),
            _ => counter.Count(gt, (ReadOnlySpan<long>)((long[])pred.Data).AsSpan(offset, length), into, source),
        };
}
