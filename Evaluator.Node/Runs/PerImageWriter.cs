using System.Collections.Immutable;
using System.Text.Json;
using Evaluator.Messages;
using Evaluator.Messages.Protocol;

namespace Evaluator.Node.Runs;

/// <summary>What writing a run's per-image results found: how many rows, their exact sum, the worst images.</summary>
internal sealed record PerImageSummary(long Images, ConfusionMatrix Sum, PixelCounts Pixels, ImmutableArray<WorstImage> Worst);

/// <summary>
/// Writes a run's per-image results as JSON Lines, one object a pair in pair order:
/// <c>image</c> and <c>prediction</c> (relative to the run's --gt and --pred), <c>pixels</c>,
/// <c>confusion</c> (the nonzero cells as [row, column, count]), <c>mean_iou</c> and
/// <c>pixel_accuracy</c> (null where undefined). Streams: it holds one row, the running int64
/// sum of the cells and the k worst images (a bounded heap), never every image's matrix.
/// </summary>
internal static class PerImageWriter
{
    /// <summary>The images with the lowest mean IoU a per-image report lists, unless --worst (or ?k=) says otherwise.</summary>
    public const int DefaultWorst = 10;

    private static readonly ReadOnlyMemory<byte> NewLine = "\n"u8.ToArray();

    /// <summary>Writes the rows to <paramref name="output"/> (the HTTP body) and returns what they sum to.</summary>
    public static async Task<PerImageSummary> WriteAsync(IAsyncEnumerable<PerImageRow> rows, StartRun start, Stream output,
        int worst, CancellationToken cancel = default)
    {
        var spec = start.Spec;
        var sum = new ConfusionMatrix(spec.NumClasses);
        var pixels = PixelCounts.Zero;
        long count = 0;
        // A max-heap of the k lowest (mean IoU, pair index): its root is the best of them, the one to drop.
        var heap = new PriorityQueue<WorstImage, (double Iou, long Index)>(
            Comparer<(double Iou, long Index)>.Create((a, b) => b.CompareTo(a)));
        await using var w = new Utf8JsonWriter(output, new JsonWriterOptions { Indented = false });
        await foreach (var row in rows.WithCancellation(cancel))
        {
            var (meanIou, accuracy) = MetricReport.ImageMetrics(spec, row.Result.Cells);
            var image = Relative(start.GroundTruthRoot, row.Pair.GroundTruth);
            var prediction = Relative(start.PredictionRoot, row.Pair.Prediction);
            w.WriteStartObject();
            MetricReportJson.WriteImageFields(w, image, prediction, row.Result.Pixels);
            w.WriteStartArray("confusion");
            foreach (var cell in row.Result.Cells)
            {
                w.WriteStartArray();
                w.WriteNumberValue(cell.Row);
                w.WriteNumberValue(cell.Column);
                w.WriteNumberValue(cell.Count);
                w.WriteEndArray();
                sum.Add(cell.Row, cell.Column, cell.Count); // checked
            }
            w.WriteEndArray();
            MetricReportJson.Metric(w, "mean_iou", meanIou);
            MetricReportJson.Metric(w, "pixel_accuracy", accuracy);
            w.WriteEndObject();
            await w.FlushAsync(cancel);
            w.Reset();
            await output.WriteAsync(NewLine, cancel); // async: a Kestrel body refuses synchronous writes
            pixels += row.Result.Pixels;
            count++;
            if (worst > 0 && meanIou is { } iou)
            {
                var entry = new WorstImage(image, prediction, meanIou, accuracy, row.Result.Pixels);
                if (heap.Count < worst) heap.Enqueue(entry, (iou, row.Index));
                else if (heap.TryPeek(out _, out var top) && (iou, row.Index).CompareTo(top) < 0) heap.DequeueEnqueue(entry, (iou, row.Index));
            }
        }
        await output.FlushAsync(cancel);
        var ranked = heap.UnorderedItems.OrderBy(e => e.Priority).Select(e => e.Element).ToImmutableArray();
        return new PerImageSummary(count, sum, pixels, ranked);
    }

    /// <summary>
    /// Writes the run's per-image file at <paramref name="path"/>, all or nothing: into a temporary
    /// file beside it, renamed over <paramref name="path"/> only once the rows' cells sum exactly to
    /// <paramref name="expected"/> (the report's matrix).
    /// </summary>
    /// <exception cref="PerImageMismatchException">the rows do not sum to the report's matrix (nothing is written)</exception>
    public static async Task<PerImageSummary> WriteFileAsync(string path, IAsyncEnumerable<PerImageRow> rows, StartRun start,
        ConfusionMatrix expected, int worst, CancellationToken cancel = default)
    {
        var full = Path.GetFullPath(path);
        var temp = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Environment.ProcessId}.tmp");
        try
        {
            PerImageSummary summary;
            await using (var file = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true))
            {
                summary = await WriteAsync(rows, start, file, worst, cancel);
            }
            if (!summary.Sum.Equals(expected))
                throw new PerImageMismatchException(
                    $"per-image results of run '{start.RunId}' ({summary.Images} images, {summary.Sum.Total} pixels counted) do not sum to the report's matrix ({expected.Total} pixels counted): '{path}' not written");
            File.Move(temp, full, overwrite: true);
            return summary;
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    /// <summary>A pair's path relative to its run's root (the file name where the root is unknown).</summary>
    public static string Relative(string root, string path) =>
        path.Length == 0 ? "" : root.Length == 0 ? Path.GetFileName(path) : Path.GetRelativePath(root, path);
}

/// <summary>The per-image rows of a run do not add up to its report: a bug, never written out.</summary>
internal sealed class PerImageMismatchException(string message) : Exception(message);
