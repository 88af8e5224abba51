using Evaluator.Messages;
using Evaluator.Node.Kernel;

namespace Evaluator.Tests.Core;

public class LabelMapTests
{
    [Fact]
    public void Cityscapes_preset_maps_label_ids_to_the_19_train_ids_and_ignores_the_rest()
    {
        var map = LabelMap.Cityscapes;
        long[] evalIds = [7, 8, 11, 12, 13, 17, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 31, 32, 33];
        for (var k = 0; k < evalIds.Length; k++) Assert.Equal(k, map.Apply(evalIds[k]));
        foreach (var other in new long[] { 0, 1, 4, 6, 9, 10, 14, 15, 16, 18, 29, 30, 34, -1, 255 })
            Assert.Null(map.Apply(other));
    }

    [Fact]
    public void Ade20k_preset_reduces_the_zero_label()
    {
        var map = LabelMap.Ade20k;
        Assert.Null(map.Apply(0));
        Assert.Null(map.Apply(255));
        Assert.Equal(0, map.Apply(1));
        Assert.Equal(149, map.Apply(150));
    }

    [Fact]
    public void A_label_map_file_is_read_and_applied_before_counting()
    {
        var path = Path.Combine(Path.GetTempPath(), $"map-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, """{ "map": { "10": 0, "20": 1, "30": "ignore" }, "unmapped": "ignore" }""");
        try
        {
            var map = LabelMap.Resolve(path);
            var spec = new RunSpec(2, labelMap: map);
            var m = new ConfusionMatrix(2);
            var counts = new ConfusionCounter(spec).Count<byte, byte>([10, 20, 30, 40, 10], [0, 1, 1, 1, 1], m);
            Assert.Equal(new PixelCounts(3, 2, 0), counts);
            Assert.Equal(ConfusionMatrix.FromRows([[1, 1], [0, 1]]), m);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Cityscapes_label_ids_count_like_their_train_ids()
    {
        var withMap = RunSpec.Cityscapes(LabelMap.Cityscapes);
        var m = new ConfusionMatrix(19);
        // labelIds: road(7), car(26), unlabeled(0), sky(23); predictions are trainIds
        var counts = new ConfusionCounter(withMap).Count<byte, byte>([7, 26, 0, 23], [0, 13, 5, 0], m);
        Assert.Equal(new PixelCounts(3, 1, 0), counts);
        Assert.Equal(1, m[0, 0]);
        Assert.Equal(1, m[13, 13]);
        Assert.Equal(1, m[10, 0]);
    }

    /// <summary>
    /// uint8 labels with a label map count through the 256 × 256 table of raw pairs (the map applied
    /// when it is flushed): one counter, reused over calls, equals the per-pixel reference for the
    /// Cityscapes and ADE20K presets, with mapped predictions too, and a call refused for an
    /// out-of-range label leaves nothing behind in the table for the next call.
    /// </summary>
    [Theory]
    [InlineData("cityscapes", 19, false)]
    [InlineData("cityscapes", 19, true)]
    [InlineData("ade20k", 150, false)]
    [InlineData("ade20k", 150, true)]
    public void Uint8_labels_with_a_label_map_count_like_the_reference_call_after_call(string preset, int classes, bool mapPredictions)
    {
        var map = LabelMap.Resolve(preset);
        var rng = new Random(20574 + classes + (mapPredictions ? 1 : 0));
        var ignoring = new RunSpec(classes, labelMap: map, mapPredictions: mapPredictions, outOfRange: OutOfRangePolicy.Ignore);
        var strict = new RunSpec(classes, labelMap: map, mapPredictions: mapPredictions);
        var counter = new ConfusionCounter(ignoring);
        var strictCounter = new ConfusionCounter(strict);
        var fast = new ConfusionMatrix(classes);
        var strictFast = new ConfusionMatrix(classes);
        var reference = new ConfusionMatrix(classes);
        var valid = Enumerable.Range(0, 256).Where(v => map.Apply(v) is >= 0 and var k && k < classes).Select(v => (byte)v).ToArray();
        for (var call = 0; call < 6; call++)
        {
            var n = rng.Next(500, 5000);
            var gt = new byte[n];
            var pred = new byte[n];
            for (var i = 0; i < n;)
            {
                // Runs (the kernel's 16-pixel fast path) and noise, over every byte value.
                var run = rng.Next(1, 40);
                byte t = rng.Next(2) == 0 ? valid[rng.Next(valid.Length)] : (byte)rng.Next(256), q = (byte)rng.Next(mapPredictions ? 256 : classes + 3);
                for (var k = 0; k < run && i < n; k++, i++)
                {
                    gt[i] = t;
                    pred[i] = rng.Next(10) == 0 ? (byte)rng.Next(256) : q;
                }
            }
            var expected = ReferenceCounter.Count(ignoring, gt.Select(v => (long)v).ToArray(), pred.Select(v => (long)v).ToArray(), reference);
            Assert.Equal(expected, counter.Count<byte, byte>(gt, pred, fast));
            Assert.Equal(reference, fast);
            Assert.True(expected.OutOfRange > 0, "each call has out-of-range pixels");
            // Policy Error: refused whole, the matrix untouched; the next call (in range) counts exactly.
            var before = strictFast.Clone();
            Assert.Throws<LabelOutOfRangeException>(() => strictCounter.Count<byte, byte>(gt, pred, strictFast));
            Assert.Equal(before, strictFast);
        }
        var inRange = new ConfusionMatrix(classes);
        byte[] g = [.. Enumerable.Range(0, 3000).Select(i => valid[i / 7 % valid.Length])];
        byte[] p = mapPredictions ? g : [.. Enumerable.Range(0, 3000).Select(i => (byte)(i / 5 % classes))];
        var counts = strictCounter.Count<byte, byte>(g, p, strictFast);
        Assert.Equal(ReferenceCounter.Count(strict, g.Select(v => (long)v).ToArray(), p.Select(v => (long)v).ToArray(), inRange), counts);
        Assert.Equal(inRange, strictFast);
    }
}
