using Evaluator.Messages;
using Evaluator.Node.Kernel;

namespace Evaluator.Tests.Core;

/// <summary>
/// The boundary kernel's paths against the erode-d-times recount, exactly: 8-bit labels read as
/// they are, labels coded into bytes (wider dtypes, a label map), the ushort fallback (more than
/// 254 classes, windows wider than 254), on shapes that hit the vector tails, 1×n and n×1 images,
/// images smaller than the window, noisy rows, two ignore labels and out-of-range predictions.
/// </summary>
public class BoundaryFastPathTests
{
    public enum KernelPath { RawBytes, CodedInt32, LabelMapBytes, UShortManyClasses }

    public static TheoryData<KernelPath, int, int, int, int> Cases()
    {
        var data = new TheoryData<KernelPath, int, int, int, int>();
        var seed = 100;
        var shapes = new[] { (1, 40), (40, 1), (3, 50), (6, 6), (31, 33), (32, 64), (45, 65), (70, 97) };
        foreach (var path in Enum.GetValues<KernelPath>())
        {
            foreach (var (h, w) in shapes)
            {
                foreach (var d in new[] { 1, 3, 9 }) data.Add(path, h, w, d, seed++);
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Each_path_equals_the_erosion_recount(KernelPath path, int h, int w, int d, int seed)
    {
        var rng = new Random(seed);
        var classes = path == KernelPath.UShortManyClasses ? 300 : 5;
        var map = path == KernelPath.LabelMapBytes
            ? new LabelMap("shifted", [new(10, 0), new(11, 1), new(12, 2), new(13, 3), new(14, 4), new(15, null)], UnmappedRule.Keep)
            : null;
        var spec = new RunSpec(classes, ignoreLabels: [254, 255], labelMap: map, outOfRange: OutOfRangePolicy.Ignore);
        var gt = Labels(rng, h, w, path, ignored: true);
        var pred = Labels(rng, h, w, path, ignored: false);
        LabelArray Array(int[] v) => path switch
        {
            KernelPath.RawBytes or KernelPath.LabelMapBytes => LabelArray.Of(v.Select(x => (byte)x).ToArray(), h, w),
            KernelPath.CodedInt32 => LabelArray.Of(v, h, w),
            _ => LabelArray.Of(v.Select(x => (ushort)x).ToArray(), 1, h, w),
        };
        AssertExact(spec, h, w, d, gt, pred, Array(gt), Array(pred));
    }

    /// <summary>Windows of 253 (the widest on bytes) and 255 (the ushort fallback) on an image they fit in.</summary>
    [Theory]
    [InlineData(126)]
    [InlineData(127)]
    public void Windows_around_the_byte_limit_are_exact(int d)
    {
        const int h = 256, w = 300;
        var rng = new Random(d);
        var spec = new RunSpec(3, ignoreLabels: [255]);
        var gt = Big(rng, h, w, 255);
        var pred = Big(rng, h, w, 0);
        AssertExact(spec, h, w, d, gt, pred, LabelArray.Of(gt.Select(x => (byte)x).ToArray(), h, w),
            LabelArray.Of(pred.Select(x => (byte)x).ToArray(), h, w));
    }

    /// <summary>8-bit labels read as they are serve any number of classes: 300 here, labels up to 254, 255 ignored.</summary>
    [Fact]
    public void Raw_bytes_with_more_classes_than_a_byte_holds_are_exact()
    {
        const int h = 37, w = 71, d = 4;
        var rng = new Random(11);
        var spec = new RunSpec(300, ignoreLabels: [255]);
        var gt = BoundaryCounterTests.Blobs(rng, h, w, 255, 255);
        var pred = BoundaryCounterTests.Blobs(rng, h, w, 255, 254);
        AssertExact(spec, h, w, d, gt, pred, LabelArray.Of(gt.Select(x => (byte)x).ToArray(), h, w),
            LabelArray.Of(pred.Select(x => (byte)x).ToArray(), h, w));
    }

    [Fact]
    public void Row_pass_marks_exactly_the_windows_without_a_change()
    {
        var rng = new Random(5);
        for (var trial = 0; trial < 400; trial++)
        {
            var w = rng.Next(1, 200);
            var row = new byte[w];
            for (var x = 1; x < w; x++) row[x] = rng.Next(6) == 0 ? (byte)rng.Next(3) : row[x - 1];
            var d = rng.Next(1, w + 2);
            var got = new byte[w];
            ByteBoundarySweep.RowConstant(row, got, d, new int[w]);
            for (var x = 0; x < w; x++)
            {
                var constant = x - d >= 0 && x + d < w && Enumerable.Range(x - d, 2 * d + 1).All(i => row[i] == row[x]);
                Assert.True(got[x] == (constant ? 0xFF : 0), $"w {w} d {d} x {x}");
            }
        }
    }

    private static void AssertExact(RunSpec spec, int h, int w, int d, int[] gt, int[] pred, LabelArray gtArray, LabelArray predArray)
    {
        var ratio = d / Math.Sqrt((double)h * h + (double)w * w);
        Assert.Equal(d, BoundaryCounter.DilationPixels(ratio, h, w));
        var gtClass = gt.Select(v => GroundTruthClass(spec, v)).ToArray();
        var predClass = pred.Select(v => PredictionClass(spec, v)).ToArray();
        var counted = gtClass.Zip(predClass, (t, q) => t >= 0 && q >= 0).ToArray();
        var (inter, union) = NaiveBoundary.Run(spec.NumClasses, h, w, d, gtClass, predClass, counted);
        var got = new BoundaryCounter(spec, ratio).Count(gtArray, predArray, "t");
        Assert.Equal(inter, got.Intersection.ToArray());
        Assert.Equal(union, got.Union.ToArray());
        Assert.True(union.Sum() > 0);
    }

    /// <summary>The class the test expects: the map, then the ignore set (−2), then the range (−1).</summary>
    private static int GroundTruthClass(RunSpec spec, int raw)
    {
        var v = spec.LabelMap is { } map ? map.Apply(raw) : raw;
        if (v is not { } c || spec.IgnoreLabels.Contains(c)) return -2;
        return c >= 0 && c < spec.NumClasses ? (int)c : -1;
    }

    private static int PredictionClass(RunSpec spec, int raw) => raw >= 0 && raw < spec.NumClasses ? raw : -1;

    /// <summary>Blobs of the path's classes with specks, noisy rows, and (gt) both ignore labels or (pred) out-of-range values.</summary>
    private static int[] Labels(Random rng, int h, int w, KernelPath path, bool ignored)
    {
        var classes = path == KernelPath.UShortManyClasses ? 300 : 5;
        var offset = path == KernelPath.LabelMapBytes && ignored ? 10 : 0; // raw 10..14 map to 0..4, 15 to ignore
        var img = BoundaryCounterTests.Blobs(rng, h, w, 5, -1);
        for (var i = 0; i < img.Length; i++)
        {
            img[i] = img[i] < 0
                ? ignored ? (rng.Next(3) switch { 0 => 254, 1 => 255, _ => offset + 5 }) : classes + 1
                : img[i] * (classes / 5) + offset;
        }
        var noisyRow = rng.Next(h);
        for (var x = 0; x < w; x++) img[noisyRow * w + x] = rng.Next(5) * (classes / 5) + offset;
        return img;
    }

    private static int[] Big(Random rng, int h, int w, int extra)
    {
        var img = new int[h * w];
        for (var s = 0; s < 3; s++)
        {
            var v = s == 0 ? extra : rng.Next(3);
            int y0 = rng.Next(h), x0 = rng.Next(w), y1 = Math.Min(h, y0 + rng.Next(20, 200)), x1 = Math.Min(w, x0 + rng.Next(20, 200));
            for (var y = y0; y < y1; y++)
            {
                for (var x = x0; x < x1; x++) img[y * w + x] = v;
            }
        }
        return img;
    }
}
