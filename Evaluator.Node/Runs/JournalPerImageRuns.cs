using Evaluator.Node.Runtime;

namespace Evaluator.Node.Runs;

/// <summary>
/// The per-image results of a node's runs, read back from its journal (<see cref="PerImageResults"/>):
/// the rows below the watermarks of the run's current snapshot, in pair order, written as the
/// JSONL of <c>--per-image</c> and checked to add up exactly to that snapshot's matrix (as
/// <see cref="PerImageWriter.WriteFileAsync"/> checks the file) before anything is compared.
/// </summary>
internal sealed class JournalPerImageRuns(EvaluatorNode node) : IPerImageRuns
{
    public async ValueTask<PerImageSource?> FindAsync(string runId, CancellationToken cancel)
    {
        if (!RunIds.IsValid(runId)) return null;
        if (await PerImageResults.StartOfAsync(node.System, runId, cancel) is not { PerImage: true } start) return null;
        var snapshot = await SnapshotFeed.GetAsync(node, runId, cancel);
        if (snapshot is null) return null;
        // In memory: a compare reads both files whole anyway, and the rows are sparse cells (a few
        // kB an image), so a run of thousands of images is megabytes.
        var buffer = new MemoryStream();
        var summary = await PerImageWriter.WriteAsync(PerImageResults.ReadAsync(node.System, start,
            [.. snapshot.Partitions.Select(p => p.Watermark)], cancel), start, buffer, 0, cancel);
        if (!summary.Sum.Equals(snapshot.Matrix))
            throw new PerImageMismatchException(
                $"per-image results of run '{runId}' ({summary.Images} images, {summary.Sum.Total} pixels counted) do not sum to its report's matrix ({snapshot.Matrix.Total} pixels counted)");
        var bytes = buffer.GetBuffer();
        var length = (int)buffer.Length;
        return new PerImageSource(runId, () => new MemoryStream(bytes, 0, length, writable: false), start.Spec);
    }
}
