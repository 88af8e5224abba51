using System.Collections.Immutable;
using System.Text.Json;
using Evaluator.Messages;
using Evaluator.Node.Runs;
using Evaluator.Tests.Support;

namespace Evaluator.Tests.Runs;

/// <summary>
/// Bootstrap intervals: the random numbers against the published reference outputs, the IoU of
/// the statistics against <see cref="MetricReport"/> bit for bit, determinism for a seed (and
/// against a serial recomputation of every resample), percentiles, and the report field.
/// </summary>
public sealed class BootstrapTests
{
    private static readonly BootstrapOptions Options = new(200, 42, 0.95);

    [Fact]
    public void Xoshiro256StarStar_and_SplitMix64_give_the_reference_outputs()
    {
        // xoshiro256** from state {1, 2, 3, 4}: the reference outputs (rand_xoshiro's test vector).
        var r = StreamRandom.FromState(1, 2, 3, 4);
        ulong[] expected = [11520, 0, 1509978240, 1215971899390074240, 1216172134540287360, 607988272756665600];
        Assert.Equal(expected, expected.Select(_ => r.Next()).ToArray());
        // SplitMix64 from 1234567 (Vigna's splitmix64.c test vector).
        var x = 1234567UL;
        ulong[] split = [6457827717110365317, 3203168211198807973, 9817491932198370423, 4593380528125082431, 16408922859458223821];
        Assert.Equal(split, split.Select(_ => StreamRandom.SplitMix(ref x)).ToArray());
    }

    [Fact]
    public void A_stream_is_a_function_of_seed_and_index_and_draws_stay_in_range()
    {
        var a = StreamRandom.For(7, 3);
        var b = StreamRandom.For(7, 3);
        var c = StreamRandom.For(7, 4);
        var d = StreamRandom.For(8, 3);
        var seqA = Enumerable.Range(0, 8).Select(_ => a.Next()).ToArray();
        Assert.Equal(seqA, Enumerable.Range(0, 8).Select(_ => b.Next()).ToArray());
        Assert.NotEqual(seqA, Enumerable.Range(0, 8).Select(_ => c.Next()).ToArray());
        Assert.NotEqual(seqA, Enumerable.Range(0, 8).Select(_ => d.Next()).ToArray());
        var counts = new int[7];
        var rng = StreamRandom.For(1, 1);
        for (var i = 0; i < 70_000; i++) counts[rng.NextBelow(7)]++;
        Assert.All(counts, n => Assert.InRange(n, 9_000, 11_000));
    }

    [Fact]
    public void Percentiles_interpolate_linearly_as_numpy_does()
    {
        // numpy.percentile([1, 2, 3, 4], [2.5, 25, 50, 97.5]) = [1.075, 1.75, 2.5, 3.925]
        double[] sorted = [1, 2, 3, 4];
        Assert.Equal(1.75, Percentile.Quantile(sorted, 0.25), 15);
        Assert.Equal(2.5, Percentile.Quantile(sorted, 0.5), 15);
        var ci = Percentile.Interval([4, double.NaN, 2, 1, 3], 0.95)!;
        Assert.Equal(1.075, ci.Low, 12);
        Assert.Equal(3.925, ci.High, 12);
        Assert.Null(Percentile.Interval([double.NaN], 0.95));
    }

    [Theory]
    [InlineData(1, 5, false)]
    [InlineData(2, 19, false)]
    [InlineData(3, 19, true)]
    [InlineData(4, 150, true)]
    public void The_IoU_of_the_statistics_is_the_report_s_bit_for_bit(int seed, int classes, bool targets)
    {
        var rng = new Random(seed);
        for (var round = 0; round < 20; round++)
        {
            var images = PerImageFiles.Random(rng.Next(1, 30), classes, rng.Next(), accuracy: rng.NextDouble(), classesPerImage: rng.Next(1, 6));
            var stats = new ImageClassStats();
            var matrix = new ConfusionMatrix(classes);
            foreach (var (_, m) in images)
            {
                stats.Add(Cells(m));
                matrix.Merge(m);
            }
            var targetClasses = targets ? Enumerable.Range(0, classes).Where(_ => rng.Next(2) == 0).Reverse().ToImmutableArray() : [];
            var report = MetricReport.Compute(new RunSpec(classes, targetClasses: targetClasses), matrix, new PixelCounts(matrix.Total, 0, 0));
            var (tp, fp, fn) = (new long[classes], new long[classes], new long[classes]);
            stats.Freeze().Totals(tp, fp, fn);
            var iou = new double[classes];
            IouMath.PerClass(tp, fp, fn, iou);
            Assert.Equal(report.PerClass.Select(m => m.Iou), iou.Select(IouMath.Nullable));
            Assert.Equal(report.MeanIou, IouMath.Nullable(IouMath.Mean(iou, report.Spec.TargetClasses)));
        }
    }

    [Fact]
    public void Intervals_are_deterministic_for_a_seed_and_equal_a_serial_recomputation()
    {
        var dir = TestEnvironment.TempDir("bootstrap");
        var images = PerImageFiles.Random(300, 6, 11);
        var file = PerImageFiles.Write(Path.Combine(dir, "a.jsonl"), images);
        var spec = new RunSpec(6);
        var first = Bootstrap.FromFile(file, spec, Options).Bootstrap!;
        var again = Bootstrap.FromFile(file, spec, Options).Bootstrap!;
        Assert.Equal(first.MeanIou, again.MeanIou);
        Assert.Equal(first.PerClassIou.ToArray(), again.PerClassIou.ToArray());
        Assert.NotEqual(first.MeanIou, Bootstrap.FromFile(file, spec, Options with { Seed = 43 }).Bootstrap!.MeanIou);

        // The same resamples computed one by one, on this thread, straight from the matrices.
        var means = new double[Options.Resamples];
        var weights = new int[images.Count];
        for (var r = 0; r < Options.Resamples; r++)
        {
            Resampling.Weights(images.Count, Options.Seed, r, weights);
            var sum = new long[6, 6];
            for (var i = 0; i < images.Count; i++)
            {
                for (var t = 0; t < 6; t++)
                {
                    for (var p = 0; p < 6; p++) sum[t, p] += weights[i] * images[i].Matrix[t, p];
                }
            }
            var iou = PerImageFiles.Iou(sum).Where(v => v is not null).Select(v => v!.Value).ToList();
            means[r] = iou.Sum() / iou.Count;
        }
        var serial = Percentile.Interval(means, Options.Confidence)!;
        Assert.Equal(serial.Low, first.MeanIou!.Low, 12);
        Assert.Equal(serial.High, first.MeanIou!.High, 12);
    }

    [Fact]
    public void The_intervals_contain_the_point_values_on_typical_data()
    {
        var dir = TestEnvironment.TempDir("bootstrap");
        var file = PerImageFiles.Write(Path.Combine(dir, "a.jsonl"), PerImageFiles.Random(500, 8, 5));
        var report = Bootstrap.FromFile(file, new RunSpec(8), Options with { Resamples = 500 });
        var b = report.Bootstrap!;
        Assert.InRange(report.MeanIou!.Value, b.MeanIou!.Low, b.MeanIou.High);
        Assert.True(b.MeanIou.High - b.MeanIou.Low is > 0 and < 0.1, $"a narrow, non-empty interval on 500 images: {b.MeanIou}");
        for (var k = 0; k < 8; k++) Assert.InRange(report.PerClass[k].Iou!.Value, b.PerClassIou[k]!.Low, b.PerClassIou[k]!.High);
    }

    [Fact]
    public void The_report_carries_the_intervals_in_its_JSON_and_a_class_without_IoU_has_none()
    {
        var dir = TestEnvironment.TempDir("bootstrap");
        // Class 3 of 4 never appears: no IoU, no interval.
        var images = PerImageFiles.Random(50, 3, 9).Select(x => (x.Image, Widen(x.Matrix, 4))).ToList();
        var file = PerImageFiles.Write(Path.Combine(dir, "a.jsonl"), images);
        var matrix = ConfusionMatrix.Sum(4, images.Select(x => x.Item2));
        var plain = MetricReport.Compute(new RunSpec(4), matrix, new PixelCounts(matrix.Total, 7L * images.Count, 0), "r1");
        using (var none = JsonDocument.Parse(plain.ToJson()))
            Assert.Equal(JsonValueKind.Null, none.RootElement.GetProperty("bootstrap").ValueKind);

        var withCi = Bootstrap.Apply(plain, file, Options);
        using var doc = JsonDocument.Parse(withCi.ToJson());
        var b = doc.RootElement.GetProperty("bootstrap");
        Assert.Equal(200, b.GetProperty("resamples").GetInt32());
        Assert.Equal(0.95, b.GetProperty("confidence").GetDouble());
        Assert.Equal(42, b.GetProperty("seed").GetInt64());
        Assert.True(b.GetProperty("mean_iou").GetProperty("low").GetDouble() <= b.GetProperty("mean_iou").GetProperty("high").GetDouble());
        var perClass = b.GetProperty("per_class_iou").EnumerateArray().ToList();
        Assert.Equal(4, perClass.Count);
        Assert.Equal(JsonValueKind.Object, perClass[0].ValueKind);
        Assert.Equal(JsonValueKind.Null, perClass[3].ValueKind);

        // A file of another run (one image less) is refused.
        var other = PerImageFiles.Write(Path.Combine(dir, "b.jsonl"), images.Skip(1));
        var e = Assert.Throws<PerImageFormatException>(() => Bootstrap.Apply(plain, other, Options));
        Assert.Contains("b.jsonl", e.Message);
        Assert.Contains("differs from the report", e.Message);
    }

    [Fact]
    public void The_95_percent_intervals_cover_the_population_value_about_95_percent_of_the_time()
    {
        // Two classes, n0 and n1 pixels per image (uniform 100..2000), each image's model right on
        // a fraction q ~ U(0.6, 0.9) of each class. Population IoU of either class (ratio of the
        // expected counts): E[q] E[n0] / (E[n0] + (1 - E[q]) E[n1]) = 0.75 / 1.25 = 0.6.
        const double truth = 0.6;
        const int datasets = 100, images = 100;
        var rng = new Random(20261201);
        var covered = 0;
        for (var d = 0; d < datasets; d++)
        {
            var stats = new ImageClassStats();
            for (var i = 0; i < images; i++)
            {
                long n0 = rng.Next(100, 2001), n1 = rng.Next(100, 2001);
                var q = 0.6 + 0.3 * rng.NextDouble();
                long r0 = (long)Math.Round(q * n0), r1 = (long)Math.Round(q * n1);
                stats.Add([new CellCount(0, 0, r0), new CellCount(0, 1, n0 - r0), new CellCount(1, 1, r1), new CellCount(1, 0, n1 - r1)]);
            }
            var ci = Bootstrap.Intervals(stats.Freeze(), new RunSpec(2), new BootstrapOptions(200, d, 0.95)).MeanIou!;
            if (ci.Low <= truth && truth <= ci.High) covered++;
        }
        // Binomial(100, 0.95) is below 88 with probability under 0.1 %.
        Assert.InRange(covered, 88, 100);
    }

    [Theory]
    [InlineData("{\"image\": \"x.png\"}", "'prediction' is missing")]
    [InlineData("[1, 2]", "a JSON array, not an object")]
    [InlineData("not json", "not a JSON object")]
    [InlineData("{\"image\":\"x\",\"prediction\":\"y\",\"pixels\":{\"total\":5,\"counted\":5,\"ignored\":0,\"out_of_range\":0},\"confusion\":[[0,0,4]]}",
        "confusion: the cells add up to 4 pixels but pixels.counted is 5")]
    [InlineData("{\"image\":\"x\",\"prediction\":\"y\",\"pixels\":{\"total\":6,\"counted\":5,\"ignored\":0,\"out_of_range\":0},\"confusion\":[[0,0,5]]}",
        "pixels: total 6 is not counted + ignored + out_of_range (5)")]
    [InlineData("{\"image\":\"x\",\"prediction\":\"y\",\"pixels\":{\"total\":5,\"counted\":5,\"ignored\":0,\"out_of_range\":0},\"confusion\":[[0,0,-5]]}",
        "has a count that is not a non-negative int64")]
    [InlineData("{\"image\":\"x\",\"prediction\":\"y\",\"pixels\":{\"total\":5,\"counted\":5,\"ignored\":0,\"out_of_range\":0},\"confusion\":[[0,\"a\",5]]}",
        "has a class id outside [0, 4)")]
    [InlineData("{\"image\":\"x\",\"prediction\":\"y\",\"pixels\":{\"total\":5,\"counted\":5,\"ignored\":0,\"out_of_range\":0},\"confusion\":[[0,9,5]]}",
        "has a class id outside [0, 4)")]
    [InlineData("{\"image\":\"x\",\"prediction\":\"y\",\"pixels\":{\"total\":5,\"counted\":5,\"ignored\":0,\"out_of_range\":0},\"confusion\":[[0,0,2],[0,0,3]]}",
        "cell [0, 0] appears twice")]
    public void A_bad_line_is_refused_naming_the_file_the_line_and_the_problem(string line, string expected)
    {
        var dir = TestEnvironment.TempDir("perimage");
        var good = "{\"image\":\"ok\",\"prediction\":\"p\",\"pixels\":{\"total\":1,\"counted\":1,\"ignored\":0,\"out_of_range\":0},\"confusion\":[[1,1,1]],\"mean_iou\":1,\"pixel_accuracy\":1}";
        var file = PerImageFiles.WriteLines(Path.Combine(dir, "bad.jsonl"), line);
        var e = Assert.Throws<PerImageFormatException>(() => PerImageReader.Read(file, 4).ToList());
        Assert.Contains("bad.jsonl:1: ", e.Message);
        Assert.Contains(expected, e.Message);
        // On line 3 after a good line and a blank one, the error names line 3.
        var later = PerImageFiles.WriteLines(Path.Combine(dir, "later.jsonl"), good, "", line);
        Assert.Contains("later.jsonl:3: ", Assert.Throws<PerImageFormatException>(() => PerImageReader.Read(later, 4).ToList()).Message);
    }

    [Fact]
    public void An_image_twice_is_refused_naming_both_lines()
    {
        var dir = TestEnvironment.TempDir("perimage");
        var images = PerImageFiles.Random(3, 3, 1);
        var file = PerImageFiles.Write(Path.Combine(dir, "twice.jsonl"), images.Append(images[1]));
        var e = Assert.Throws<PerImageFormatException>(() => PerImageReader.Read(file).ToList());
        Assert.Contains("twice.jsonl:4: image 'city/img_00001.png' appears twice (lines 2 and 4)", e.Message);
    }

    internal static IReadOnlyList<CellCount> Cells(ConfusionMatrix m)
    {
        var cells = new List<CellCount>();
        for (var t = 0; t < m.NumClasses; t++)
        {
            for (var p = 0; p < m.NumClasses; p++)
            {
                if (m[t, p] != 0) cells.Add(new CellCount(t, p, m[t, p]));
            }
        }
        return cells;
    }

    private static ConfusionMatrix Widen(ConfusionMatrix m, int classes)
    {
        var w = new ConfusionMatrix(classes);
        for (var t = 0; t < m.NumClasses; t++)
        {
            for (var p = 0; p < m.NumClasses; p++)
            {
                if (m[t, p] != 0) w.Add(t, p, m[t, p]);
            }
        }
        return w;
    }
}
