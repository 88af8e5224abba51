using Evaluator.Messages;
using Evaluator.Messages.Protocol;

namespace Evaluator.Node.Runs;

/// <summary>
/// One run of the journal and its state, as listed by <see cref="RunCatalog"/>. A run over files
/// knows its pairs and expected pixels; an ingest run (POST /runs) knows only the batches posted
/// (<see cref="Batches"/>, also its <see cref="PairsDone"/> watermark), so <see cref="Pairs"/> and
/// <see cref="ExpectedPixels"/> mean nothing for it (see <see cref="Ingest"/>).
/// </summary>
/// <param name="Created">When the run's first event was written (from the journal row), if known.</param>
/// <param name="Finished">When the event that completed or failed it was written; null while it runs.</param>
/// <param name="Unreadable">
/// Its events could not be read by this node (<see cref="Error"/> says why, e.g. a manifest of a
/// newer release): listed as "unreadable" with no counts, so one such run never hides the others.
/// </param>
internal sealed record RunSummary(string RunId, RunStatus Status, long Pairs, long PairsDone, PixelCounts Pixels,
    long ExpectedPixels, double? MeanIou, int BadPairs, string? Error, bool Ingest = false, long Batches = 0,
    DateTimeOffset? Created = null, DateTimeOffset? Finished = null, bool Unreadable = false)
{
    /// <summary>The status as lists print it: the run's, or "unreadable".</summary>
    public string StatusName => Unreadable ? "unreadable" : Status.ToString().ToLowerInvariant();

    /// <summary>A run whose events this node cannot read, and why.</summary>
    public static RunSummary OfUnreadable(string runId, string error) =>
        new(runId, RunStatus.Failed, 0, 0, PixelCounts.Zero, 0, null, 0, error, Unreadable: true);

    /// <summary>"ingest" for a run whose data is posted to it, "files" for one over files.</summary>
    public string Kind => Ingest ? "ingest" : "files";
}
