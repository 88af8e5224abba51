using Evaluator.Messages;
using Evaluator.Node.Kernel;

namespace Evaluator.Tests.Core;

/// <summary>Exactness where float32 breaks: a cell past 2^24 and a total past 2^32 pixels.</summary>
public class ScaleTests
{
    [Fact]
    public void A_total_beyond_2_pow_32_pixels_is_exact()
    {
        // One 64 Mi-pixel batch counted 65 times: 4,362,076,160 pixels, with no 4 GB array.
        const int n = 1 << 26;
        const int repeats = 65;
        var gt = new byte[n];
        var pred = new byte[n];
        var rng = new Random(42);
        for (var i = 0; i < n;)
        {
            // Long runs (fast path) and short noisy stretches (per-pixel path), 5 % ignored.
            var run = rng.Next(4) == 0 ? rng.Next(1, 8) : rng.Next(8, 300);
            var t = rng.Next(20) == 0 ? (byte)255 : (byte)rng.Next(19);
            for (var k = 0; k < run && i < n; k++, i++)
            {
                gt[i] = t;
                pred[i] = rng.Next(16) == 0 ? (byte)rng.Next(19) : t == 255 ? (byte)0 : t;
            }
        }
        var spec = new RunSpec(19, ignoreLabels: [255]);

        // Expected: one naive count of the batch, times 65, in checked int64.
        var once = new long[19 * 19];
        long onceIgnored = 0;
        for (var i = 0; i < n; i++)
        {
            if (gt[i] == 255) onceIgnored++;
            else once[gt[i] * 19 + pred[i]]++;
        }

        var counter = new ConfusionCounter(spec);
        var total = new ConfusionMatrix(19);
        var pixels = PixelCounts.Zero;
        var float32Cell00 = 0f;
        for (var r = 0; r < repeats; r++)
        {
            var batch = new ConfusionMatrix(19);
            pixels += counter.Count<byte, byte>(gt, pred, batch);
            total.Merge(batch);
            float32Cell00 += batch[0, 0];
        }

        for (var k = 0; k < 19 * 19; k++)
            Assert.Equal(checked(once[k] * repeats), total.Cells[k]);
        Assert.Equal((long)n * repeats, pixels.Total);
        Assert.True(pixels.Total > (1L << 32));
        Assert.Equal(checked(onceIgnored * repeats), pixels.Ignored);
        Assert.Equal(pixels.Counted, total.Total);
        Assert.True(total[0, 0] > 1 << 24, "the cell must pass 2^24 for this test to mean anything");
        // ... where a float32 running total is already wrong.
        Assert.NotEqual(total[0, 0], (long)float32Cell00);
    }

    [Fact]
    public void One_cell_past_2_pow_24_in_a_single_call_is_exact()
    {
        // 2^24 + 3 identical pixels in one call: every count lands in one uint32 counter.
        const int n = (1 << 24) + 3;
        var gt = new byte[n];
        var pred = new byte[n];
        var m = new ConfusionMatrix(2);
        var pixels = new ConfusionCounter(new RunSpec(2)).Count<byte, byte>(gt, pred, m);
        Assert.Equal(n, m[0, 0]);
        Assert.Equal(n, pixels.Counted);
        Assert.NotEqual(n, (long)(float)n); // float32 cannot even hold this count
    }

    [Fact]
    public void Merge_refuses_to_overflow_and_changes_nothing()
    {
        var a = new ConfusionMatrix(2);
        a.Add(0, 1, long.MaxValue - 1);
        a.Add(1, 1, 5);
        var b = new ConfusionMatrix(2);
        b.Add(1, 1, 1);
        b.Add(0, 1, 2);
        var before = a.Clone();
        Assert.Throws<CountOverflowException>(() => a.Merge(b));
        Assert.Equal(before, a);
        Assert.Throws<CountOverflowException>(() => a.Add(0, 1, 2));
    }
}
