using Evaluator.Messages;

namespace Evaluator.Tests.Core;

/// <summary>
/// The test suite's own boundary IoU recount, the definition written out with nothing shared
/// with the product: per class c, the masks G = (gt == c) and P = (pred == c) are eroded by a
/// 3×3 square d times (pixels outside the image are not in the mask), the boundary region is
/// mask ∧ ¬eroded, and intersection/union are counted over pixels whose ground truth is counted.
/// </summary>
public static class NaiveBoundary
{
    /// <summary>Per class (intersection, union). Labels are already class ids; <paramref name="counted"/> says which pixels count.</summary>
    public static (long[] Inter, long[] Union) Run(int numClasses, int h, int w, int d, int[] gt, int[] pred, bool[] counted)
    {
        var inter = new long[numClasses];
        var union = new long[numClasses];
        for (var c = 0; c < numClasses; c++)
        {
            var gb = BoundaryOf(Mask(gt, c), h, w, d);
            var pb = BoundaryOf(Mask(pred, c), h, w, d);
            for (var i = 0; i < gt.Length; i++)
            {
                if (!counted[i]) continue;
                if (gb[i] && pb[i]) inter[c]++;
                if (gb[i] || pb[i]) union[c]++;
            }
        }
        return (inter, union);
    }

    public static int Dilation(double ratio, int h, int w) =>
        Math.Max(1, (int)Math.Round(ratio * Math.Sqrt((double)h * h + (double)w * w), MidpointRounding.ToEven));

    private static bool[] Mask(int[] labels, int c) => labels.Select(v => v == c).ToArray();

    private static bool[] BoundaryOf(bool[] mask, int h, int w, int d)
    {
        var eroded = mask;
        for (var k = 0; k < d; k++) eroded = Erode3x3(eroded, h, w);
        return mask.Select((m, i) => m && !eroded[i]).ToArray();
    }

    private static bool[] Erode3x3(bool[] m, int h, int w)
    {
        var r = new bool[m.Length];
        for (var y = 0; y < h; y++)
        {
            for (var x = 0; x < w; x++)
            {
                var all = true;
                for (var dy = -1; dy <= 1 && all; dy++)
                {
                    for (var dx = -1; dx <= 1 && all; dx++)
                    {
                        int yy = y + dy, xx = x + dx;
                        all = yy >= 0 && yy < h && xx >= 0 && xx < w && m[yy * w + xx];
                    }
                }
                r[y * w + x] = all;
            }
        }
        return r;
    }
}
