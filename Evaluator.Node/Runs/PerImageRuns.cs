using Evaluator.Messages;

namespace Evaluator.Node.Runs;

/// <summary>A run's per-image results: a name for messages, how to open the JSONL, and the run's spec if known.</summary>
internal sealed record PerImageSource(string Name, Func<Stream> Open, RunSpec? Spec = null);

/// <summary>
/// Where the per-image results of a run come from, for <c>GET /compare</c>. The runs record
/// their per-image rows in the journal (<c>--per-image</c>); a run without them answers null.
/// </summary>
internal interface IPerImageRuns
{
    /// <summary>The run's per-image results, or null if it was not started with them (or is unknown).</summary>
    ValueTask<PerImageSource?> FindAsync(string runId, CancellationToken cancel);
}

/// <summary>No run has per-image results (for tests; a node's API reads its journal: <see cref="JournalPerImageRuns"/>).</summary>
internal sealed class NoPerImageRuns : IPerImageRuns
{
    public ValueTask<PerImageSource?> FindAsync(string runId, CancellationToken cancel) => ValueTask.FromResult<PerImageSource?>(null);
}

/// <summary>The per-image results kept as <c>DIR/RUN.jsonl</c> (a run id is a safe file name: <see cref="RunIds"/>).</summary>
internal sealed class PerImageDirectory(string directory) : IPerImageRuns
{
    public ValueTask<PerImageSource?> FindAsync(string runId, CancellationToken cancel)
    {
        if (!RunIds.IsValid(runId)) return ValueTask.FromResult<PerImageSource?>(null);
        var path = Path.Combine(directory, runId + ".jsonl");
        return ValueTask.FromResult(File.Exists(path)
            ? new PerImageSource(runId, () => new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan))
            : null);
    }
}
