using Evaluator.Messages;
using Evaluator.Node.Kernel;

namespace Evaluator.Tests.Core;

/// <summary>The boundary IoU kernel against the test suite's erode-d-times recount, exactly.</summary>
public class BoundaryCounterTests
{
    /// <summary>Blobby labels: a few random rectangles and discs painted over a background, touching the edges.</summary>
    internal static int[] Blobs(Random rng, int h, int w, int classes, int extraValue)
    {
        var img = new int[h * w];
        Array.Fill(img, rng.Next(classes));
        for (var s = 0; s < 6; s++)
        {
            var v = rng.Next(5) == 0 ? extraValue : rng.Next(classes);
            int cy = rng.Next(-2, h + 2), cx = rng.Next(-2, w + 2), r = rng.Next(1, Math.Max(2, Math.Min(h, w) / 2));
            var disc = rng.Next(2) == 0;
            for (var y = 0; y < h; y++)
            {
                for (var x = 0; x < w; x++)
                {
                    int dy = y - cy, dx = x - cx;
                    if (disc ? dy * dy + dx * dx <= r * r : Math.Abs(dy) <= r && Math.Abs(dx) <= r / 2 + 1) img[y * w + x] = v;
                }
            }
        }
        for (var i = 0; i < img.Length / 40; i++) img[rng.Next(img.Length)] = rng.Next(classes); // a few specks
        return img;
    }

    public static TheoryData<int, int, int, int> Cases()
    {
        var data = new TheoryData<int, int, int, int>();
        var seed = 0;
        foreach (var (h, w) in new[] { (1, 9), (5, 5), (7, 13), (17, 11), (23, 31), (40, 3), (33, 57) })
        {
            foreach (var d in new[] { 1, 2, 3 }) data.Add(h, w, d, seed++);
        }
        // Wider windows: the row pass's doubling reads two overlapping windows (2d not a power of two).
        foreach (var d in new[] { 5, 7, 10, 12 }) data.Add(61, 83, d, seed++);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Kernel_equals_the_erosion_recount(int h, int w, int d, int seed)
    {
        const int classes = 4;
        const int ignored = 255;
        var rng = new Random(seed);
        var gt = Blobs(rng, h, w, classes, ignored);
        var pred = Blobs(rng, h, w, classes, classes); // predictions never ignored; extra = another class
        for (var i = 0; i < pred.Length; i++) pred[i] %= classes;
        var spec = new RunSpec(classes, ignoreLabels: [ignored]);
        // a dilation ratio that gives exactly d pixels
        var ratio = d / Math.Sqrt((double)h * h + (double)w * w);
        Assert.Equal(d, BoundaryCounter.DilationPixels(ratio, h, w));

        var counted = gt.Select(v => v != ignored).ToArray();
        var (inter, union) = NaiveBoundary.Run(classes, h, w, d, gt, pred, counted);
        var got = new BoundaryCounter(spec, ratio).Count(
            LabelArray.Of(gt.Select(v => (byte)v).ToArray(), h, w), LabelArray.Of(pred.Select(v => (ushort)v).ToArray(), h, w), "t");

        Assert.Equal(inter, got.Intersection.ToArray());
        Assert.Equal(union, got.Union.ToArray());
        Assert.True(union.Sum() > 0);
    }

    [Fact]
    public void A_counter_reused_on_images_of_other_sizes_counts_each_afresh()
    {
        var spec = new RunSpec(3);
        var counter = new BoundaryCounter(spec, 0.02);
        var rng = new Random(7);
        foreach (var (h, w) in new[] { (60, 80), (9, 7), (31, 45) })
        {
            var gt = Blobs(rng, h, w, 3, 0);
            var pred = Blobs(rng, h, w, 3, 1);
            var d = NaiveBoundary.Dilation(0.02, h, w);
            var (inter, union) = NaiveBoundary.Run(3, h, w, d, gt, pred, gt.Select(_ => true).ToArray());
            var got = counter.Count(LabelArray.Of(gt, h, w), LabelArray.Of(pred, 1, h, w), "t");
            Assert.Equal(inter, got.Intersection.ToArray());
            Assert.Equal(union, got.Union.ToArray());
        }
    }

    [Fact]
    public void Out_of_range_predictions_are_in_no_term_under_the_ignore_policy()
    {
        // 5×5, class 0 everywhere, one out-of-range prediction in the centre: that pixel is not counted.
        var gt = new int[25];
        var pred = new int[25];
        pred[12] = 9;
        var spec = new RunSpec(2, outOfRange: OutOfRangePolicy.Ignore);
        var got = new BoundaryCounter(spec, 1.0 / Math.Sqrt(50)).Count(LabelArray.Of(gt, 5, 5), LabelArray.Of(pred, 5, 5), "t");
        var counted = Enumerable.Range(0, 25).Select(i => i != 12).ToArray();
        var (inter, union) = NaiveBoundary.Run(2, 5, 5, 1, gt, pred.Select(v => v == 9 ? -1 : v).ToArray(), counted);
        Assert.Equal(inter, got.Intersection.ToArray());
        Assert.Equal(union, got.Union.ToArray());
        Assert.Equal(16, got.Intersection[0]); // the ring of the gt; pred's ring plus the centre's neighbours, centre dropped
    }

    [Fact]
    public void Three_dimensional_labels_are_refused_with_the_shape()
    {
        var a = LabelArray.Of(new byte[8], 2, 2, 2);
        var e = Assert.Throws<BadInputException>(() => new BoundaryCounter(new RunSpec(2), 0.02).Count(a, a, "x.npy"));
        Assert.Contains("(2, 2, 2)", e.Message);
        Assert.Contains("x.npy", e.Message);
    }
}
