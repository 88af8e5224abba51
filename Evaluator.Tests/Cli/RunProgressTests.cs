using System.Collections.Immutable;
using Evaluator.Messages;
using Evaluator.Messages.Protocol;
using Evaluator.Node.Cli;
using Spectre.Console;

namespace Evaluator.Tests.Cli;

/// <summary>The plain progress lines from synthetic snapshots on a clock the test moves.</summary>
public sealed class RunProgressTests
{
    private sealed class ManualTime : TimeProvider
    {
        public long Ticks;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => Ticks;

        public void Advance(double seconds) => Ticks += (long)(seconds * TimeSpan.TicksPerSecond);
    }

    private const long Expected = 1_000_000_000;

    private static RunSnapshot Snapshot(long pixels, RunStatus status = RunStatus.Running, int done = 0) =>
        new("r", pixels, DateTimeOffset.UnixEpoch, new RunSpec(2), new ConfusionMatrix(2), new PixelCounts(pixels, 0, 0), Expected,
            [new PartitionProgress(0, done, 7, pixels, status != RunStatus.Running)], ImmutableArray<BadPair>.Empty, status, null);

    private static (RunProgress Progress, ManualTime Time) New()
    {
        var time = new ManualTime();
        return (new RunProgress(CliConsole.Null(), interactive: false, time), time);
    }

    [Fact]
    public void The_eta_is_unknown_until_a_rate_is_measured()
    {
        var (p, _) = New();
        var first = p.Line(Snapshot(0));
        Assert.NotNull(first);
        Assert.Contains("0.0%", first);
        Assert.EndsWith("ETA -", first);
        Assert.Contains("- Mpx/s", first);
    }

    [Fact]
    public void The_rate_is_over_the_last_seconds_not_since_the_start()
    {
        var (p, time) = New();
        p.Line(Snapshot(0));
        // A slow start (10 s for 10 Mpx), then 100 Mpx/s.
        time.Advance(10);
        p.Line(Snapshot(10_000_000));
        long pixels = 10_000_000;
        string? line = null;
        for (var i = 0; i < 10; i++)
        {
            time.Advance(1);
            pixels += 100_000_000;
            line = p.Line(Snapshot(pixels)) ?? line;
        }
        Assert.Equal(100e6, p.Rate!.Value, 1e-3);
        Assert.Contains("100.0 Mpx/s", line);
    }

    [Fact]
    public void The_eta_follows_the_windowed_rate()
    {
        var (p, time) = New();
        p.Line(Snapshot(0));
        time.Advance(2);
        var line = p.Line(Snapshot(200_000_000));
        Assert.Equal(100e6, p.Rate!.Value, 1e-3);
        Assert.Contains("20.0%", line);
        Assert.EndsWith("ETA 00:00:08", line);
    }

    [Fact]
    public void The_final_snapshot_is_100_percent_whatever_was_skipped()
    {
        var (p, time) = New();
        p.Line(Snapshot(0));
        time.Advance(2);
        // 5 of 7 pairs skipped: only 30.8 % of the expected pixels were counted.
        var line = p.Line(Snapshot(308_000_000, RunStatus.Completed, done: 7));
        Assert.Contains("100.0% 7/7 pairs", line);
        Assert.EndsWith("ETA 00:00:00", line);
    }

    [Fact]
    public void Plain_lines_come_at_most_once_a_second_but_the_final_one_always()
    {
        var (p, time) = New();
        Assert.NotNull(p.Line(Snapshot(0)));
        time.Advance(0.3);
        Assert.Null(p.Line(Snapshot(1000)));
        Assert.NotNull(p.Line(Snapshot(2000, RunStatus.Completed)));
    }
}
