using System.Globalization;
using System.Text;
using Evaluator.Messages.Protocol;
using Evaluator.Node.Runs;
using Evaluator.Node.Runtime;

namespace Evaluator.Node.Http;

/// <summary>
/// <c>GET /metrics</c> in the Prometheus text format: per run, mean IoU, per-class IoU, pixels
/// counted and processed, and pixels/s since the previous scrape. Written by hand: the format
/// is a few lines, and no metrics library is needed for gauges read from snapshots. One per
/// HTTP server: it keeps each run's pixels at the previous scrape.
/// </summary>
internal sealed class PrometheusMetrics(EvaluatorNode node, RunCatalog catalog)
{
    private readonly Dictionary<string, (DateTimeOffset Time, long Pixels)> _lastScrape = [];

    public async Task<string> RenderAsync(CancellationToken cancel = default)
    {
        var runs = await catalog.ListAsync(cancel);
        var sb = new StringBuilder();
        sb.AppendLine("# HELP evaluator_mean_iou Mean IoU of a run (absent classes left out).");
        sb.AppendLine("# TYPE evaluator_mean_iou gauge");
        var snapshots = new List<RunSnapshot>();
        foreach (var r in runs)
        {
            if (await SnapshotFeed.GetAsync(node, r.RunId, cancel) is { } s) snapshots.Add(s);
        }
        foreach (var s in snapshots)
        {
            if (s.ToReport().MeanIou is { } m) Line(sb, "evaluator_mean_iou", s.RunId, null, m);
        }
        sb.AppendLine("# HELP evaluator_class_iou IoU of one class of a run.");
        sb.AppendLine("# TYPE evaluator_class_iou gauge");
        foreach (var s in snapshots)
        {
            foreach (var c in s.ToReport().PerClass)
            {
                if (c.Iou is { } v) Line(sb, "evaluator_class_iou", s.RunId, c.Name, v);
            }
        }
        sb.AppendLine("# HELP evaluator_pixels_counted_total Pixels counted into the confusion matrix.");
        sb.AppendLine("# TYPE evaluator_pixels_counted_total counter");
        foreach (var s in snapshots) Line(sb, "evaluator_pixels_counted_total", s.RunId, null, s.Pixels.Counted);
        sb.AppendLine("# HELP evaluator_pixels_processed_total Pixels processed (counted, ignored or out of range).");
        sb.AppendLine("# TYPE evaluator_pixels_processed_total counter");
        foreach (var s in snapshots) Line(sb, "evaluator_pixels_processed_total", s.RunId, null, s.Pixels.Total);
        sb.AppendLine("# HELP evaluator_pixels_per_second Pixels processed per second since the previous scrape.");
        sb.AppendLine("# TYPE evaluator_pixels_per_second gauge");
        lock (_lastScrape)
        {
            foreach (var s in snapshots)
            {
                var now = DateTimeOffset.UtcNow;
                var rate = _lastScrape.TryGetValue(s.RunId, out var last) && now > last.Time
                    ? (s.Pixels.Total - last.Pixels) / (now - last.Time).TotalSeconds
                    : 0;
                _lastScrape[s.RunId] = (now, s.Pixels.Total);
                Line(sb, "evaluator_pixels_per_second", s.RunId, null, rate);
            }
        }
        return sb.ToString();
    }

    private static void Line(StringBuilder sb, string name, string run, string? cls, double value)
    {
        sb.Append(name).Append("{run=\"").Append(Escape(run)).Append('"');
        if (cls is not null) sb.Append(",class=\"").Append(Escape(cls)).Append('"');
        sb.Append("} ").Append(value.ToString("R", CultureInfo.InvariantCulture)).Append('\n');
    }

    private static string Escape(string s) => s.Replace("\\", "\\\\").Replace("\"", "\\\"").Replace("\n", "\\n");
}
