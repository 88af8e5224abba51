using System.Numerics;
using CsCheck;
using Evaluator.Messages;
using Evaluator.Node.Kernel;

namespace Evaluator.Tests.Core;

/// <summary>
/// Differential tests: on random class counts, ignore sets, label maps, policies, dtypes and
/// run-heavy or noisy arrays, the kernel equals the naive per-pixel reference exactly.
/// </summary>
public class KernelPropertyTests
{
    public enum DType { U8, U16, I32, I64 }

    public sealed record Case(RunSpec Spec, DType GtType, DType PredType, long[] Gt, long[] Pred)
    {
        public override string ToString() =>
            $"C={Spec.NumClasses} ignore=[{string.Join(",", Spec.IgnoreLabels)}] map={Spec.LabelMap?.Name ?? "none"}" +
            $"{(Spec.MapPredictions ? "(+pred)" : "")} policy={Spec.OutOfRange} {GtType}/{PredType} n={Gt.Length}";
    }

    private static readonly Gen<int> Classes = Gen.Frequency(
        (6, Gen.Int[1, 30]), (2, Gen.Int[31, 256]), (1, Gen.Int[250, 256]), (1, Gen.Int[257, 1100]));

    private static readonly Gen<Case> Cases =
        Gen.Select(Classes, Gen.Int, Gen.Int[0, 2500], Gen.Bool, Gen.Int[0, 3])
            .Select((c, seed, n, ignorePolicy, mapKind) => MakeCase(c, seed, n, ignorePolicy, mapKind));

    private static Case MakeCase(int c, int seed, int n, bool ignorePolicy, int mapKind)
    {
        var rng = new Random(seed);
        var ignore = Enumerable.Range(0, rng.Next(0, 4)).Select(_ => rng.Next(4) switch
        {
            0 => 255L,
            1 => -1L,
            2 => (long)rng.Next(0, c + 2),
            _ => (long)rng.Next(0, 70000),
        }).ToArray();
        LabelMap? map = mapKind switch
        {
            1 => new LabelMap("random", Enumerable.Range(0, rng.Next(1, 12)).Select(_ =>
                    new KeyValuePair<long, long?>(rng.Next(-2, c + 5), rng.Next(5) == 0 ? null : rng.Next(0, c)))
                .DistinctBy(e => e.Key), (UnmappedRule)rng.Next(3), shift: rng.Next(-2, 3)),
            2 when c >= 2 => LabelMap.Ade20k,
            _ => null,
        };
        var spec = new RunSpec(c, ignoreLabels: ignore, labelMap: map, mapPredictions: map is not null && rng.Next(3) == 0,
            outOfRange: ignorePolicy ? OutOfRangePolicy.Ignore : OutOfRangePolicy.Error);

        var gtType = PickType(rng, c);
        var predType = PickType(rng, c);
        var gt = new long[n];
        var pred = new long[n];
        // Runs of identical pairs (the kernel's fast path) mixed with noise; mostly valid labels
        // so that policy Error does not always fail at the first pixel.
        var oorRate = rng.Next(3) == 0 ? 0.0 : 0.002;
        for (var i = 0; i < n;)
        {
            var run = rng.Next(4) == 0 ? rng.Next(1, 3) : rng.Next(1, 40);
            var t = Label(rng, c, ignore, oorRate, gtType);
            var p = Label(rng, c, [], oorRate, predType);
            for (var k = 0; k < run && i < n; k++, i++)
            {
                gt[i] = t;
                pred[i] = rng.Next(10) == 0 ? Label(rng, c, [], oorRate, predType) : p;
            }
        }
        return new Case(spec, gtType, predType, gt, pred);
    }

    private static DType PickType(Random rng, int c) =>
        c > 256 ? (DType)rng.Next(1, 4) : (DType)rng.Next(0, 4);

    private static long Label(Random rng, int c, long[] ignore, double oorRate, DType type)
    {
        long v;
        if (ignore.Length > 0 && rng.Next(8) == 0) v = ignore[rng.Next(ignore.Length)];
        else if (rng.NextDouble() < oorRate) v = rng.Next(2) == 0 ? c + rng.Next(0, 300) : -rng.Next(1, 5);
        else v = rng.Next(0, c);
        return type switch
        {
            DType.U8 => (byte)v,
            DType.U16 => (ushort)v,
            DType.I32 => (int)v,
            _ => v,
        };
    }

    [Fact]
    public void Kernel_equals_the_naive_reference_on_random_cases()
    {
        Cases.Sample(Check, iter: 400);
    }

    private static void Check(Case k)
    {
        var expected = NaiveCount.Run(k.Spec, k.Gt, k.Pred);
        var counter = new ConfusionCounter(k.Spec);
        // Start from a non-empty matrix: a call adds to it, or on error leaves it untouched.
        var matrix = new ConfusionMatrix(k.Spec.NumClasses);
        matrix.Add(0, 0, 7);
        var before = matrix.Clone();
        try
        {
            var pixels = CountAs(counter, k, matrix);
            Assert.True(k.Spec.OutOfRange == OutOfRangePolicy.Ignore || expected.FirstOutOfRange is null,
                $"expected an out-of-range error for {k}");
            Assert.Equal(expected.Pixels, pixels);
            before.Merge(expected.Matrix);
            Assert.Equal(before, matrix);
        }
        catch (LabelOutOfRangeException e)
        {
            Assert.Equal(OutOfRangePolicy.Error, k.Spec.OutOfRange);
            var (index, side, value) = expected.FirstOutOfRange ?? throw new Xunit.Sdk.XunitException($"unexpected error {e.Message} for {k}");
            Assert.Equal((index, side, value), (e.Index, e.Side, e.Value));
            Assert.Equal(before, matrix);
        }

        // The counter is reusable after either outcome: a second call gives the same answer.
        if (k.Spec.OutOfRange == OutOfRangePolicy.Ignore || expected.FirstOutOfRange is null)
        {
            var again = new ConfusionMatrix(k.Spec.NumClasses);
            CountAs(counter, k, again);
            Assert.Equal(expected.Matrix, again);
        }
    }

    private static PixelCounts CountAs(ConfusionCounter counter, Case k, ConfusionMatrix into) =>
        k.GtType switch
        {
            DType.U8 => WithPred(counter, k, k.Gt.Select(v => (byte)v).ToArray(), into),
            DType.U16 => WithPred(counter, k, k.Gt.Select(v => (ushort)v).ToArray(), into),
            DType.I32 => WithPred(counter, k, k.Gt.Select(v => (int)v).ToArray(), into),
            _ => WithPred(counter, k, k.Gt, into),
        };

    private static PixelCounts WithPred<TG>(ConfusionCounter counter, Case k, TG[] gt, ConfusionMatrix into)
        where TG : unmanaged, IBinaryInteger<TG> =>
        k.PredType switch
        {
            DType.U8 => counter.Count<TG, byte>(gt, k.Pred.Select(v => (byte)v).ToArray(), into),
            DType.U16 => counter.Count<TG, ushort>(gt, k.Pred.Select(v => (ushort)v).ToArray(), into),
            DType.I32 => counter.Count<TG, int>(gt, k.Pred.Select(v => (int)v).ToArray(), into),
            _ => counter.Count<TG, long>(gt, k.Pred, into),
        };

    [Fact]
    public void Merging_partials_in_any_order_and_grouping_equals_counting_all_at_once()
    {
        Gen.Select(Gen.Int[1, 40], Gen.Int, Gen.Int[1, 12]).Sample((c, seed, parts) =>
        {
            var rng = new Random(seed);
            var spec = new RunSpec(c, ignoreLabels: [255]);
            var counter = new ConfusionCounter(spec);
            var chunks = Enumerable.Range(0, parts).Select(_ =>
            {
                var n = rng.Next(0, 3000);
                var g = new byte[n];
                var p = new byte[n];
                for (var i = 0; i < n; i++)
                {
                    g[i] = rng.Next(20) == 0 ? (byte)255 : (byte)rng.Next(c);
                    p[i] = (byte)rng.Next(c);
                }
                return (g, p);
            }).ToArray();

            var all = new ConfusionMatrix(c);
            counter.Count<byte, byte>(chunks.SelectMany(x => x.g).ToArray(), chunks.SelectMany(x => x.p).ToArray(), all);

            var partials = chunks.Select(x =>
            {
                var m = new ConfusionMatrix(c);
                counter.Count<byte, byte>(x.g, x.p, m);
                return m;
            }).ToList();

            // Random order, then a random grouping into sub-sums that are merged again.
            var shuffled = partials.OrderBy(_ => rng.Next()).ToList();
            var groups = shuffled.GroupBy(_ => rng.Next(3)).Select(g => ConfusionMatrix.Sum(c, g)).ToList();
            Assert.Equal(all, ConfusionMatrix.Sum(c, groups));
            Assert.Equal(all, ConfusionMatrix.Sum(c, partials.AsEnumerable().Reverse()));
        }, iter: 150);
    }
}
