using CsCheck;
using Evaluator.Messages;

namespace Evaluator.Tests.Core;

public class ConfusionMatrixTests
{
    [Fact]
    public void An_untouched_matrix_holds_no_cells_and_reads_as_zeros()
    {
        var before = GC.GetAllocatedBytesForCurrentThread();
        var empty = new ConfusionMatrix(4096);
        var clone = empty.Clone();
        var merged = new ConfusionMatrix(4096);
        merged.Merge(empty);
        var back = ConfusionMatrix.FromBytes(empty.ToBytes());
        Assert.Equal((0L, 0L, 0L, 0L), (empty[4095, 4095], empty.Total, empty.Trace, empty.RowSum(7)));
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 1 << 20, "an untouched 4096-class matrix allocated its cells");
        Assert.False(empty.IsAllocated || clone.IsAllocated || merged.IsAllocated || back.IsAllocated);

        // Equal (and hashed alike) to an allocated matrix of zeros.
        var zeros = new ConfusionMatrix(4096);
        zeros.Add(1, 2, 0);
        Assert.True(zeros.IsAllocated);
        Assert.Equal(zeros, empty);
        Assert.Equal(empty, zeros);
        Assert.Equal(zeros.GetHashCode(), empty.GetHashCode());
        Assert.Equal(zeros.ToBytes(), empty.ToBytes());

        // The first count allocates; merging into an untouched matrix copies.
        var one = new ConfusionMatrix(3);
        one.Add(2, 1, 5);
        var into = new ConfusionMatrix(3);
        into.Merge(one);
        one.Add(2, 1, 1);
        Assert.Equal(5, into[2, 1]);
        Assert.NotEqual(into, new ConfusionMatrix(3));
    }

    [Fact]
    public void Wire_form_round_trips_any_matrix()
    {
        Gen.Select(Gen.Int[1, 300], Gen.Int, Gen.Double[0, 1]).Sample((c, seed, density) =>
        {
            var rng = new Random(seed);
            var m = new ConfusionMatrix(c);
            for (var i = 0; i < c * c; i++)
            {
                if (rng.NextDouble() < density)
                    m.Add(i / c, i % c, rng.Next(4) == 0 ? rng.NextInt64(0, long.MaxValue) : rng.Next(0, 1000));
            }
            var back = ConfusionMatrix.FromBytes(m.ToBytes());
            Assert.Equal(m, back);
        }, iter: 200);
    }

    [Fact]
    public void A_1024_class_matrix_is_compact_on_the_wire()
    {
        var m = new ConfusionMatrix(1024);
        var rng = new Random(3);
        for (var k = 0; k < 1024; k++)
        {
            m.Add(k, k, 1_000_000_000L + rng.Next());
            m.Add(k, rng.Next(1024), rng.Next(1, 100_000));
        }
        var bytes = m.ToBytes();
        Assert.True(bytes.Length < 16_000, $"{bytes.Length} bytes");
        Assert.Equal(m, ConfusionMatrix.FromBytes(bytes));
    }

    [Fact]
    public void Malformed_wire_bytes_are_refused()
    {
        var good = ConfusionMatrix.FromRows([[1, 2], [3, 4]]).ToBytes();
        Assert.Throws<WireFormatException>(() => ConfusionMatrix.FromBytes([]));
        Assert.Contains("version", Assert.Throws<WireFormatException>(() => ConfusionMatrix.FromBytes([9, .. good[1..]])).Message);
        Assert.Contains("truncated", Assert.Throws<WireFormatException>(() => ConfusionMatrix.FromBytes(good[..^1])).Message);
        Assert.Contains("trailing", Assert.Throws<WireFormatException>(() => ConfusionMatrix.FromBytes([.. good, 0])).Message);
        Assert.Contains("classes", Assert.Throws<WireFormatException>(() => ConfusionMatrix.FromBytes([1, 0, 0])).Message);
        // 2 classes, one non-zero cell at gap 5: past the end of 4 cells.
        Assert.Contains("past the end", Assert.Throws<WireFormatException>(() => ConfusionMatrix.FromBytes([1, 2, 1, 5, 1])).Message);
        Assert.Contains("positive", Assert.Throws<WireFormatException>(() => ConfusionMatrix.FromBytes([1, 2, 1, 1, 0])).Message);
    }

    [Fact]
    public void Equality_is_by_value()
    {
        var a = ConfusionMatrix.FromRows([[1, 2], [3, 4]]);
        var b = ConfusionMatrix.FromRows([[1, 2], [3, 4]]);
        Assert.Equal(a, b);
        Assert.Equal(a.GetHashCode(), b.GetHashCode());
        b.Add(1, 0, 1);
        Assert.NotEqual(a, b);
        Assert.NotEqual(a, new ConfusionMatrix(3));
        Assert.Equal((10L, 5L, 7L, 6L), (a.Total, a.Trace, a.RowSum(1), a.ColumnSum(1)));
    }
}
