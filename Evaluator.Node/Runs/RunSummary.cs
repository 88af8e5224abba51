using Evaluator.Messages;
using Evaluator.Messages.Protocol;

namespace Evaluator.Node.Runs;

/// <summary>One run of the journal and its state, as listed by <see cref="RunCatalog"/>.</summary>
internal sealed record RunSummary(string RunId, RunStatus Status, long Pairs, long PairsDone, PixelCounts Pixels,
    long ExpectedPixels, double? MeanIou, int BadPairs, string? Error);
