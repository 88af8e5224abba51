using System.Globalization;
using Evaluator.Messages.Protocol;
using Spectre.Console;

namespace Evaluator.Node.Cli;

/// <summary>
/// Live progress from snapshots: a progress bar with pixels/s, ETA and mean IoU on a terminal;
/// plain periodic lines when output is redirected. The rate is measured over a sliding window of
/// the last snapshots (not since the process started), the ETA is "-" until a rate is measured,
/// and the final snapshot is 100 % whatever was skipped.
/// </summary>
internal sealed class RunProgress(IAnsiConsole console, bool interactive, TimeProvider? time = null)
{
    /// <summary>How far back the rate looks.</summary>
    public static readonly TimeSpan RateWindow = TimeSpan.FromSeconds(5);

    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly Queue<(TimeSpan At, long Pixels)> _window = new();
    private long? _started;
    private TimeSpan _lastLine = TimeSpan.FromSeconds(-10);
    private ProgressTask? _task;

    public static bool IsInteractive => !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive;

    private TimeSpan Elapsed => _time.GetElapsedTime(_started ??= _time.GetTimestamp());

    /// <summary>Runs <paramref name="body"/> with a live progress display (or none, when plain).</summary>
    public async Task<T> RunAsync<T>(Func<RunProgress, Task<T>> body)
    {
        if (!interactive) return await body(this);
        return await console.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .StartAsync(async ctx =>
            {
                _task = ctx.AddTask("starting", maxValue: 1);
                var result = await body(this);
                _task.StopTask();
                return result;
            });
    }

    /// <summary>Pixels per second over the last <see cref="RateWindow"/>; null until measured.</summary>
    public double? Rate { get; private set; }

    public void Update(RunSnapshot s)
    {
        var line = Line(s);
        if (line is not null) console.WriteLine(line);
    }

    /// <summary>Takes a snapshot in; returns the plain line to print now, if any (null on a terminal, or within a second of the last).</summary>
    public string? Line(RunSnapshot s)
    {
        var processed = s.Pixels.Total;
        var elapsed = Elapsed;
        _window.Enqueue((elapsed, processed));
        // Keep one point at or before the window's start, so that the rate spans the whole window.
        while (_window.Count > 2 && _window.ElementAt(1).At <= elapsed - RateWindow) _window.Dequeue();
        var (firstAt, firstPixels) = _window.Peek();
        var span = (elapsed - firstAt).TotalSeconds;
        if (span > 0 && processed > firstPixels) Rate = (processed - firstPixels) / span;
        else if (span >= RateWindow.TotalSeconds) Rate = 0;

        var meanIou = s.ToReport().MeanIou;
        var batches = s.Partitions.Sum(p => p.Watermark);
        var total = s.Partitions.Sum(p => p.Batches);
        var rate = Rate is { } r ? string.Create(CultureInfo.InvariantCulture, $"{r / 1e6:F1} Mpx/s") : "- Mpx/s";
        var text = string.Create(CultureInfo.InvariantCulture,
            $"{batches:N0}/{total:N0} pairs, {processed:N0} px, {rate}, mean IoU {ReportOutput.Fmt(meanIou)}");
        if (_task is not null)
        {
            _task.MaxValue = Math.Max(1, s.ExpectedPixels);
            _task.Value = s.Final ? _task.MaxValue : Math.Min(processed, _task.MaxValue);
            _task.Description = Markup.Escape(text);
            return null;
        }
        if (!s.Final && elapsed - _lastLine < TimeSpan.FromSeconds(1)) return null;
        _lastLine = elapsed;
        var pct = s.Final ? 100.0 : s.ExpectedPixels > 0 ? Math.Min(100.0, 100.0 * processed / s.ExpectedPixels) : 0;
        var eta = s.Final ? "00:00:00"
            : Rate is > 0 && s.ExpectedPixels > processed
                ? TimeSpan.FromSeconds(Math.Min((s.ExpectedPixels - processed) / Rate.Value, TimeSpan.MaxValue.TotalSeconds / 2))
                    .ToString(@"hh\:mm\:ss", CultureInfo.InvariantCulture)
                : "-";
        return string.Create(CultureInfo.InvariantCulture, $"[{elapsed.TotalSeconds,6:F1} s] {pct,5:F1}% {text}, ETA {eta}");
    }
}
