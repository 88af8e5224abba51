using System.Diagnostics;
using System.Globalization;
using Evaluator.Messages.Protocol;
using Spectre.Console;

namespace Evaluator.Node.Cli;

/// <summary>
/// Live progress from snapshots: a progress bar with pixels/s, ETA and mean IoU on a terminal;
/// plain periodic lines when output is redirected.
/// </summary>
internal sealed class RunProgress(IAnsiConsole console, bool interactive)
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private long _startPixels = -1;
    private TimeSpan _lastLine = TimeSpan.FromSeconds(-10);
    private ProgressTask? _task;

    public static bool IsInteractive => !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive;

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

    public void Update(RunSnapshot s)
    {
        var processed = s.Pixels.Total;
        if (_startPixels < 0) _startPixels = processed;
        var elapsed = _clock.Elapsed;
        var rate = elapsed.TotalSeconds > 0 ? (processed - _startPixels) / elapsed.TotalSeconds : 0;
        var meanIou = s.ToReport().MeanIou;
        var batches = s.Partitions.Sum(p => p.Watermark);
        var total = s.Partitions.Sum(p => p.Batches);
        var text = string.Create(CultureInfo.InvariantCulture,
            $"{batches:N0}/{total:N0} pairs, {processed:N0} px, {rate / 1e6:F1} Mpx/s, mean IoU {ReportOutput.Fmt(meanIou)}");
        if (_task is not null)
        {
            _task.MaxValue = Math.Max(1, s.ExpectedPixels);
            _task.Value = Math.Min(processed, _task.MaxValue);
            _task.Description = Markup.Escape(text);
            return;
        }
        if (!s.Final && elapsed - _lastLine < TimeSpan.FromSeconds(1)) return;
        _lastLine = elapsed;
        var pct = s.ExpectedPixels > 0 ? 100.0 * processed / s.ExpectedPixels : 0;
        var eta = rate > 0 && s.ExpectedPixels > processed ? TimeSpan.FromSeconds((s.ExpectedPixels - processed) / rate) : TimeSpan.Zero;
        console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"[{elapsed.TotalSeconds,6:F1} s] {pct,5:F1}% {text}, ETA {eta:hh\\:mm\\:ss}"));
    }
}
