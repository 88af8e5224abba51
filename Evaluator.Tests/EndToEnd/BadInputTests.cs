using System.Buffers.Binary;
using System.Text;
using Evaluator.Messages;
using Evaluator.Node.Cli;
using Evaluator.Tests.Support;

namespace Evaluator.Tests.EndToEnd;

/// <summary>
/// Bad input end to end, in process: one bad pair (corrupt or truncated file, mismatched shape,
/// missing partner, out-of-range label), last in the order the pairs are taken. Without
/// --skip-bad the run fails with exit 3, names the file and the problem, and keeps exactly the
/// pairs counted before it; with --skip-bad (fresh, or resuming the failed run) it completes,
/// reports the pair, and counts exactly the good pairs.
/// </summary>
public class BadInputTests
{
    private const int Classes = 5;
    private static readonly RunSpec Spec = new(Classes, ignoreLabels: [255]);

    public enum Defect { PngTruncated, PngFlippedIdatByte, NpyTruncated, ShapeMismatch, MissingPartner, LabelOutOfRange }

    /// <summary>A dataset whose last pair (in the order the product takes them) has <paramref name="defect"/>.</summary>
    private sealed record Case(Dataset Data, int Bad, int[] Good, string BadFile, string Problem);

    private static Case Make(Defect defect, string dir)
    {
        var format = defect is Defect.PngTruncated or Defect.PngFlippedIdatByte ? Dataset.Format.PngGray8 : Dataset.Format.NpyU8;
        var ds = new Dataset(dir, format, pairs: 5, width: 40, height: 30, classes: Classes, seed: 100 + (int)defect);
        var order = ds.SortedIndices;
        var bad = order[^1];
        int[] good = [.. order.Take(order.Count - 1)];
        var gt = ds.GroundTruthPath(bad);
        var pred = ds.PredictionPath(bad);
        switch (defect)
        {
            case Defect.PngTruncated:
            {
                var (offset, length) = Idat(File.ReadAllBytes(gt));
                var bytes = File.ReadAllBytes(gt);
                File.WriteAllBytes(gt, bytes[..(offset + length / 2)]);
                return new Case(ds, bad, good, gt, "truncated");
            }
            case Defect.PngFlippedIdatByte:
            {
                var bytes = File.ReadAllBytes(gt);
                var (offset, length) = Idat(bytes);
                bytes[offset + length / 2] ^= 0x10;
                File.WriteAllBytes(gt, bytes);
                return new Case(ds, bad, good, gt, "CRC mismatch");
            }
            case Defect.NpyTruncated:
            {
                var bytes = File.ReadAllBytes(pred);
                File.WriteAllBytes(pred, bytes[..(bytes.Length - 100)]);
                return new Case(ds, bad, good, pred, "truncated");
            }
            case Defect.ShapeMismatch:
            {
                // The prediction is one column wider: (30, 41) against (30, 40).
                var values = new long[ds.Height * (ds.Width + 1)];
                Dataset.Write(Path.ChangeExtension(pred, null), ds.DataFormat, ds.Width + 1, ds.Height, values);
                return new Case(ds, bad, good, pred, "does not match");
            }
            case Defect.MissingPartner:
                File.Delete(pred);
                return new Case(ds, bad, good, gt, "missing partner");
            case Defect.LabelOutOfRange:
            {
                var (g, p) = ds.Labels(bad);
                var at = Array.FindIndex(g, v => v != 255);
                g[at] = Classes; // not ignored, outside [0, C)
                ds.Rewrite(bad, g, p);
                return new Case(ds, bad, good, gt, $"label {Classes} at pixel {at} is outside [0, {Classes})");
            }
            default:
                throw new ArgumentOutOfRangeException(nameof(defect));
        }
    }

    /// <summary>Offset and length of the data of the (first) IDAT chunk.</summary>
    private static (int Offset, int Length) Idat(byte[] png)
    {
        for (var pos = 8; pos + 8 <= png.Length;)
        {
            var length = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(pos));
            if (Encoding.ASCII.GetString(png, pos + 4, 4) == "IDAT") return (pos + 8, length);
            pos += 12 + length;
        }
        throw new InvalidDataException("no IDAT chunk");
    }

    private static string[] Args(Case c, string dir, string runId, params string[] extra) => Args(c, dir, runId, 1, extra);

    private static string[] Args(Case c, string dir, string runId, int partitions, params string[] extra) =>
    [
        "evaluate", "--gt", c.Data.GroundTruthDir, "--pred", c.Data.PredictionDir, "--classes", $"{Classes}",
        "--ignore", "255", "--partitions", $"{partitions}", "--run-id", runId, "--data-dir", Path.Combine(dir, "data"),
        "--report", Path.Combine(dir, runId + ".json"), .. extra,
    ];

    private static void AssertGoodPairsExactly(Case c, ReportFile report)
    {
        var expected = c.Data.Recount(Spec, only: c.Good);
        Assert.Equal(expected.Matrix, report.Matrix);
        Assert.Equal(expected.Pixels, report.Pixels);
        Assert.True(expected.Pixels.Counted > 0);
    }

    private static void AssertOnlyTheBadPairListed(Case c, ReportFile report)
    {
        var (groundTruth, error) = Assert.Single(report.BadPairs);
        Assert.Equal(c.Data.GroundTruthPath(c.Bad), groundTruth);
        Assert.Contains(c.Problem, error);
        Assert.Contains(Path.GetFileName(c.BadFile), error);
    }

    [Theory]
    [InlineData(Defect.PngTruncated)]
    [InlineData(Defect.PngFlippedIdatByte)]
    [InlineData(Defect.NpyTruncated)]
    [InlineData(Defect.ShapeMismatch)]
    [InlineData(Defect.MissingPartner)]
    [InlineData(Defect.LabelOutOfRange)]
    public void A_bad_pair_fails_the_run_keeping_what_came_before_it(Defect defect)
    {
        var dir = TestEnvironment.TempDir("bad");
        var c = Make(defect, dir);

        var exit = EvaluatorCli.Run(Args(c, dir, "fail"));

        Assert.Equal(EvaluatorCli.ExitBadInput, exit);
        var report = ReportFile.Read(Path.Combine(dir, "fail.json"));
        Assert.Equal("failed", report.Status);
        Assert.NotNull(report.Error);
        Assert.Contains(c.BadFile, report.Error);
        Assert.Contains(c.Problem, report.Error);
        Assert.Empty(report.BadPairs);
        // The pairs before the bad one were counted, and are kept.
        AssertGoodPairsExactly(c, report);
    }

    [Theory]
    [InlineData(Defect.PngTruncated)]
    [InlineData(Defect.PngFlippedIdatByte)]
    [InlineData(Defect.NpyTruncated)]
    [InlineData(Defect.ShapeMismatch)]
    [InlineData(Defect.MissingPartner)]
    [InlineData(Defect.LabelOutOfRange)]
    public void With_skip_bad_the_bad_pair_is_reported_and_the_good_pairs_counted_exactly(Defect defect)
    {
        var dir = TestEnvironment.TempDir("skip");
        var c = Make(defect, dir);

        var exit = EvaluatorCli.Run(Args(c, dir, "skip", "--skip-bad", "--max-bad", "1"));

        Assert.Equal(EvaluatorCli.ExitOk, exit);
        var report = ReportFile.Read(Path.Combine(dir, "skip.json"));
        Assert.Equal("completed", report.Status);
        Assert.Null(report.Error);
        AssertOnlyTheBadPairListed(c, report);
        AssertGoodPairsExactly(c, report);
    }

    [Theory]
    [InlineData(Defect.NpyTruncated)]
    [InlineData(Defect.LabelOutOfRange)]
    [InlineData(Defect.PngFlippedIdatByte)]
    public void Rerunning_a_failed_run_with_skip_bad_resumes_and_completes_exactly(Defect defect)
    {
        var dir = TestEnvironment.TempDir("resume-bad");
        var c = Make(defect, dir);
        Assert.Equal(EvaluatorCli.ExitBadInput, EvaluatorCli.Run(Args(c, dir, "r")));
        Assert.Equal("failed", ReportFile.Read(Path.Combine(dir, "r.json")).Status);

        // Resuming must not read the good pairs again (they were counted before the failure):
        // make them unreadable too, so that a run starting over would report them all as bad.
        // Same size and modification time: a resume refuses counted pairs whose stamps changed.
        foreach (var i in c.Good)
        {
            var path = c.Data.GroundTruthPath(i);
            var written = File.GetLastWriteTimeUtc(path);
            var bytes = File.ReadAllBytes(path);
            Array.Fill(bytes, (byte)0xEE, 0, Math.Min(bytes.Length, 256));
            File.WriteAllBytes(path, bytes);
            File.SetLastWriteTimeUtc(path, written);
        }

        var exit = EvaluatorCli.Run(Args(c, dir, "r", "--skip-bad", "--max-bad", "1"));

        Assert.Equal(EvaluatorCli.ExitOk, exit);
        var report = ReportFile.Read(Path.Combine(dir, "r.json"));
        Assert.Equal("completed", report.Status);
        Assert.Null(report.Error);
        AssertOnlyTheBadPairListed(c, report);
        AssertGoodPairsExactly(c, report);
    }

    [Fact]
    public void Resuming_with_another_partition_count_continues_the_stored_partitions_exactly()
    {
        // The partition count of a run is fixed when it is created (it came from the workers up
        // and the cores of the moment): a resume that asks for another count is not "another dataset".
        var dir = TestEnvironment.TempDir("resume-parts");
        var c = Make(Defect.LabelOutOfRange, dir);
        Assert.Equal(EvaluatorCli.ExitBadInput, EvaluatorCli.Run(Args(c, dir, "r", 3)));
        Assert.Equal("failed", ReportFile.Read(Path.Combine(dir, "r.json")).Status);

        Assert.Equal(EvaluatorCli.ExitOk, EvaluatorCli.Run(Args(c, dir, "r", 2, "--skip-bad", "--max-bad", "1")));
        var report = ReportFile.Read(Path.Combine(dir, "r.json"));
        Assert.Equal("completed", report.Status);
        AssertOnlyTheBadPairListed(c, report);
        AssertGoodPairsExactly(c, report);
    }

    [Fact]
    public void Resuming_after_a_counted_file_changed_is_refused_with_exit_3()
    {
        var dir = TestEnvironment.TempDir("resume-changed");
        var c = Make(Defect.LabelOutOfRange, dir);
        Assert.Equal(EvaluatorCli.ExitBadInput, EvaluatorCli.Run(Args(c, dir, "r")));

        // Other data in a pair already counted: resuming would mix the two datasets.
        var (g, p) = c.Data.Labels(c.Good[0]);
        Array.Reverse(g);
        c.Data.Rewrite(c.Good[0], g, p);
        File.SetLastWriteTimeUtc(c.Data.GroundTruthPath(c.Good[0]), DateTime.UtcNow.AddMinutes(1));

        Assert.Equal(EvaluatorCli.ExitBadInput, EvaluatorCli.Run(Args(c, dir, "r", "--skip-bad")));
        Assert.Equal("failed", ReportFile.Read(Path.Combine(dir, "r.json")).Status);
    }
}
