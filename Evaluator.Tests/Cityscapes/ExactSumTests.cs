using Evaluator.Messages.Cityscapes;

namespace Evaluator.Tests.Cityscapes;

/// <summary>The exact accumulator of the Cityscapes instance statistics: order-free state, one correct rounding.</summary>
public class ExactSumTests
{
    [Fact]
    public void Any_order_and_grouping_gives_the_same_state_bit_for_bit()
    {
        var rng = new Random(3);
        var terms = Enumerable.Range(0, 2000).Select(_ => rng.NextDouble() * Math.Pow(10, rng.Next(-8, 9))).ToArray();
        var forward = terms.Aggregate(ExactSum.Zero, (s, t) => s.Add(t));
        var shuffled = terms.OrderBy(_ => rng.Next()).Aggregate(ExactSum.Zero, (s, t) => s.Add(t));
        // Two "shards" summed apart, then merged, as partitions are.
        var left = terms.Where((_, i) => i % 3 == 0).Aggregate(ExactSum.Zero, (s, t) => s.Add(t));
        var right = terms.Where((_, i) => i % 3 != 0).Reverse().Aggregate(ExactSum.Zero, (s, t) => s.Add(t));
        Assert.Equal(forward.Units, shuffled.Units);
        Assert.Equal(forward.Units, right.Add(left).Units);
        Assert.Equal(BitConverter.DoubleToInt64Bits(forward.Value), BitConverter.DoubleToInt64Bits(left.Add(right).Value));
        // Plain double sums in two orders generally differ in the last bits; the exact one is within an ulp of each.
        var naive = terms.Sum();
        Assert.True(Math.Abs(naive - forward.Value) <= 1e-12 * forward.Value);
    }

    [Fact]
    public void The_value_is_the_exact_sum_rounded_once_to_nearest_even()
    {
        var two53 = Math.ScaleB(1, 53);
        // 2^53 + 1 + 1 = 2^53 + 2 exactly (a double sum loses both ones).
        Assert.Equal(two53 + 2, ExactSum.Zero.Add(two53).Add(1).Add(1).Value);
        Assert.Equal(two53, two53 + 1 + 1);
        // 2^53 + 1 is a tie: to even (2^53); a hair above it rounds up (the sticky bit).
        Assert.Equal(two53, ExactSum.Zero.Add(two53).Add(1).Value);
        Assert.Equal(two53 + 2, ExactSum.Zero.Add(two53).Add(1).Add(Math.ScaleB(1, -100)).Value);
        // Exact values survive: subnormals, small integers, 0.1 + 0.2 rounded once.
        Assert.Equal(double.Epsilon * 3, ExactSum.Zero.Add(double.Epsilon).Add(double.Epsilon * 2).Value);
        Assert.Equal(0.30000000000000004, ExactSum.Zero.Add(0.1).Add(0.2).Value);
        Assert.Equal(0.0, ExactSum.Zero.Value);
        Assert.Equal(1e300 * 3, ExactSum.Zero.Add(1e300).Add(2e300).Value, 1e285);
    }

    [Fact]
    public void Negative_or_non_finite_terms_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => ExactSum.Zero.Add(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => ExactSum.Zero.Add(double.NaN));
        Assert.Throws<ArgumentOutOfRangeException>(() => ExactSum.Zero.Add(double.PositiveInfinity));
        Assert.Throws<ArgumentOutOfRangeException>(() => ExactSum.FromUnits(-1));
    }

    [Fact]
    public void Image_statistics_add_the_same_whatever_the_grouping_of_images()
    {
        var rng = new Random(5);
        var images = Enumerable.Range(0, 40).Select(_ => CityscapesScores.OfImage(Enumerable.Range(1, rng.Next(1, 6)).Select(k =>
        {
            var label = new[] { 24, 25, 26, 27, 28, 29, 30, 31, 32, 33 }[rng.Next(10)];
            var size = rng.Next(1, 50_000);
            var tp = rng.Next(0, size + 1);
            return new CityscapesInstance(label * 1000 + k, size, tp, rng.Next(tp, size + 1));
        }), "test")).ToList();
        var inOrder = images.Aggregate(CityscapesInstanceStats.Zero, (s, i) => s.Add(i));
        var grouped = images.Chunk(7).Select(c => c.Aggregate(CityscapesInstanceStats.Zero, (s, i) => s.Add(i)))
            .Reverse().Aggregate(CityscapesInstanceStats.Zero, (s, i) => s.Add(i));
        Assert.Equal(inOrder, grouped);
        // caravan (29) and trailer (30) are ignoreInEval: no statistics of their own
        Assert.Equal(0, inOrder.ClassTp[29] + inOrder.ClassFn[29] + inOrder.ClassTp[30] + inOrder.ClassFn[30]);
    }

    [Fact]
    public void An_instance_of_a_class_without_instances_is_bad_input_naming_the_file()
    {
        var e = Assert.Throws<Evaluator.Messages.BadInputException>(() =>
            CityscapesScores.OfImage([new CityscapesInstance(7001, 10, 5, 5)], "x_gtFine_instanceIds.png"));
        Assert.Contains("x_gtFine_instanceIds.png", e.Message);
        Assert.Contains("road", e.Message);
    }
}
