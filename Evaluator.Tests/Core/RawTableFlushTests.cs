using Evaluator.Messages;
using Evaluator.Node.Kernel;

namespace Evaluator.Tests.Core;

/// <summary>
/// The uint8 kernel flushes only the raw-table rows a call touched (issue #12: an image holds a
/// few of 150 classes). One counter, reused over images that each hold a different handful of
/// ground-truth classes, must count every image exactly like the per-pixel reference: a row
/// skipped as clean must really be clean, and a row touched by one image must not leak into the
/// next. A call refused for an out-of-range label leaves nothing behind for the sparse calls after it.
/// </summary>
public class RawTableFlushTests
{
    private static (byte[] Gt, byte[] Pred) SparseImage(Random rng, int classes, int present, int n, bool outOfRange)
    {
        // A few ground-truth classes per image (sometimes the ignored 255), blobs of 1–60 pixels.
        var chosen = Enumerable.Range(0, present).Select(_ => (byte)rng.Next(classes)).Append((byte)255).ToArray();
        var gt = new byte[n];
        var pred = new byte[n];
        for (var i = 0; i < n;)
        {
            var run = rng.Next(1, 60);
            var g = chosen[rng.Next(chosen.Length)];
            var p = (byte)rng.Next(classes);
            for (var k = 0; k < run && i < n; k++, i++)
            {
                gt[i] = g;
                pred[i] = rng.Next(8) == 0 ? (byte)rng.Next(classes) : p;
            }
        }
        if (outOfRange) gt[rng.Next(n)] = (byte)(classes + rng.Next(256 - classes - 1));
        return (gt, pred);
    }

    [Theory]
    [InlineData(150, 3)]
    [InlineData(150, 12)]
    [InlineData(19, 2)]
    [InlineData(254, 40)]
    public void Sparse_images_count_exactly_call_after_call_through_one_counter(int classes, int present)
    {
        var rng = new Random(4111 + classes + present);
        var spec = new RunSpec(classes, ignoreLabels: [255]);
        var counter = new ConfusionCounter(spec);
        var fast = new ConfusionMatrix(classes);
        var reference = new ConfusionMatrix(classes);
        for (var call = 0; call < 25; call++)
        {
            var refused = call % 5 == 4;
            var (gt, pred) = SparseImage(rng, classes, present, rng.Next(100, 20_000), refused);
            if (refused)
            {
                // Refused whole (policy Error): the matrix as it was, the table clean for the next image.
                var before = fast.Clone();
                Assert.Throws<LabelOutOfRangeException>(() => counter.Count<byte, byte>(gt, pred, fast));
                Assert.Equal(before, fast);
                continue;
            }
            var expected = ReferenceCounter.Count(spec, gt.Select(v => (long)v).ToArray(), pred.Select(v => (long)v).ToArray(),
                reference);
            Assert.Equal(expected, counter.Count<byte, byte>(gt, pred, fast));
            Assert.Equal(reference, fast);
        }
    }

    [Fact]
    public void An_image_of_ignored_pixels_only_counts_nothing_and_leaves_the_table_clean()
    {
        var spec = new RunSpec(150, ignoreLabels: [255]);
        var counter = new ConfusionCounter(spec);
        var m = new ConfusionMatrix(150);
        var ignoredOnly = Enumerable.Repeat((byte)255, 1000).ToArray();
        var pred = Enumerable.Range(0, 1000).Select(i => (byte)(i % 150)).ToArray();
        Assert.Equal(new PixelCounts(0, 1000, 0), counter.Count<byte, byte>(ignoredOnly, pred, m));
        Assert.Equal(new ConfusionMatrix(150), m);
        byte[] one = [149];
        byte[] onePred = [0];
        Assert.Equal(new PixelCounts(1, 0, 0), counter.Count<byte, byte>(one, onePred, m));
        Assert.Equal(1, m[149, 0]);
        Assert.Equal(1, m.Total);
    }
}
