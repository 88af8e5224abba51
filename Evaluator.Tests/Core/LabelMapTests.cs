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
}
