using Evaluator.Messages;

namespace Evaluator.Node.Bench;

/// <summary>
/// The baseline of the kernel benchmark: the plain single-table loop everyone writes first
/// (an ignore check, a range check, one int64 increment per pixel). Same semantics as the
/// kernel for uint8 labels without a label map.
/// </summary>
internal static class PlainLoopCounter
{
    public static PixelCounts Count(RunSpec spec, ReadOnlySpan<byte> gt, ReadOnlySpan<byte> pred, long[] cells)
    {
        var ignore = new bool[256];
        foreach (var l in spec.IgnoreLabels)
        {
            if (l is >= 0 and < 256) ignore[l] = true;
        }
        var c = spec.NumClasses;
        long counted = 0, ignored = 0, oor = 0;
        for (var i = 0; i < gt.Length; i++)
        {
            int t = gt[i];
            if (ignore[t])
            {
                ignored++;
                continue;
            }
            int p = pred[i];
            if (t >= c || p >= c)
            {
                oor++;
                continue;
            }
            cells[t * c + p]++;
            counted++;
        }
        return new PixelCounts(counted, ignored, oor);
    }
}
