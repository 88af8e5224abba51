using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Evaluator.Messages;
using Evaluator.Tests.Support;
using Xunit.Abstractions;

namespace Evaluator.Tests.Processes;

/// <summary>
/// Memory stays flat whatever the dataset size: a dataset of ~600 million pixels (300 pairs of
/// 2048×1024, far more than the stream buffers hold) read by the real program, whose peak
/// resident memory (the "peak memory" line it prints) must stay small, and whose matrix must be
/// exact. Two real pairs on disk, the rest symbolic links to them, so it costs 8 MiB of disk.
/// </summary>
// Category=Services: measures a child process's peak memory; ./run-tests.sh --fast leaves it out.
[Trait("Category", "Services")]
[Collection("processes")]
public sealed partial class MemoryBoundTests(ITestOutputHelper output)
{
    private const int Classes = 19;
    private const int Width = 2048;
    private const int Height = 1024;
    private const int Pairs = 300;
    private const long BoundMiB = 1024;

    [GeneratedRegex(@"peak memory: (\d[\d,]*) MiB")]
    private static partial Regex PeakPattern();

    [Fact]
    public void A_dataset_far_larger_than_the_buffers_runs_in_bounded_memory_and_exactly()
    {
        var clock = Stopwatch.StartNew();
        var dir = TestEnvironment.TempDir("memory");
        var real = new Dataset(Path.Combine(dir, "real"), Dataset.Format.NpyU8, pairs: 2, width: Width, height: Height,
            classes: Classes, seed: 23);
        var gtDir = Path.Combine(dir, "gt");
        var predDir = Path.Combine(dir, "pred");
        Directory.CreateDirectory(gtDir);
        Directory.CreateDirectory(predDir);
        for (var i = 0; i < Pairs; i++)
        {
            File.CreateSymbolicLink(Path.Combine(gtDir, $"img_{i:D4}.npy"), real.GroundTruthPath(i % 2));
            File.CreateSymbolicLink(Path.Combine(predDir, $"img_{i:D4}.npy"), real.PredictionPath(i % 2));
        }

        // The expected result: each real pair's independent recount, Pairs / 2 times.
        var spec = new RunSpec(Classes, ignoreLabels: [255]);
        var expectedMatrix = new ConfusionMatrix(Classes);
        var expectedPixels = PixelCounts.Zero;
        for (var k = 0; k < 2; k++)
        {
            var one = real.Recount(spec, only: [k]);
            for (var t = 0; t < Classes; t++)
                for (var p = 0; p < Classes; p++)
                    expectedMatrix.Add(t, p, one.Matrix[t, p] * (Pairs / 2));
            var times = Pairs / 2;
            expectedPixels += new PixelCounts(one.Pixels.Counted * times, one.Pixels.Ignored * times, one.Pixels.OutOfRange * times);
        }
        Assert.Equal((long)Pairs * Width * Height, expectedPixels.Total);

        var reportPath = Path.Combine(dir, "report.json");
        using var child = ChildProcess.StartEvaluator(
        [
            // Two partitions whatever the machine: each holds its own stream buffers, so the
            // figure (and the bound) would otherwise grow with the number of cores.
            "evaluate", "--gt", gtDir, "--pred", predDir, "--classes", $"{Classes}", "--ignore", "255",
            "--allow-duplicate-files", // the pairs are links to two real pairs
            "--partitions", "2", "--run-id", "memory", "--data-dir", Path.Combine(dir, "data"), "--report", reportPath,
        ], new Dictionary<string, string?> { ["EVALUATOR_THROTTLE_PAIRS_PER_SECOND"] = null });
        var exit = child.WaitForExit(TimeSpan.FromMinutes(5));
        Assert.True(exit == 0, $"exit code {exit}\n{child.Transcript}");

        var peak = PeakPattern().Match(child.Stdout);
        Assert.True(peak.Success, $"no 'peak memory' line\n{child.Transcript}");
        var peakMiB = long.Parse(peak.Groups[1].Value, NumberStyles.AllowThousands, CultureInfo.InvariantCulture);
        var read = 2.0 * Pairs * Width * Height / (1024 * 1024);
        output.WriteLine($"peak memory {peakMiB} MiB for {read:N0} MiB of label files ({expectedPixels.Total:N0} pixels); " +
                         $"{clock.Elapsed.TotalSeconds:F1} s in all");
        Assert.InRange(peakMiB, 1, BoundMiB);

        var report = ReportFile.Read(reportPath);
        Assert.Equal("completed", report.Status);
        Assert.Empty(report.BadPairs);
        Assert.Equal(expectedMatrix, report.Matrix);
        Assert.Equal(expectedPixels, report.Pixels);
    }
}
