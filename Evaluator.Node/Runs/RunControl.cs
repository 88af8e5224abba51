using Akka.Actor;
using Evaluator.Messages.Protocol;
using Evaluator.Node.Runtime;

namespace Evaluator.Node.Runs;

/// <summary>What became of a cancel or a delete.</summary>
internal enum RunControlOutcome
{
    /// <summary>Cancelled (or cancelled already), or deleted.</summary>
    Done,

    /// <summary>Refused by the run's state: cancelling a finished run, deleting a running one.</summary>
    Refused,

    /// <summary>No such run.</summary>
    Unknown,
}

/// <param name="Snapshot">The cancelled run's final snapshot (cancel only).</param>
internal sealed record RunControlResult(RunControlOutcome Outcome, string Message, RunSnapshot? Snapshot = null);

/// <summary>
/// Cancels and deletes runs through their coordinators: the one code path of POST
/// /runs/{id}/cancel, DELETE /runs/{id}, and the <c>cancel</c> and <c>delete</c> commands.
/// </summary>
internal static class RunControl
{
    public static async Task<RunControlResult> CancelAsync(EvaluatorNode node, string runId, CancellationToken cancel = default)
    {
        if (!RunIds.IsValid(runId)) return Unknown(runId);
        var reply = await node.Coordinators.Ask<IRunMessage>(new CancelRun(runId), node.Settings.AskTimeout, cancel);
        return reply switch
        {
            RunSnapshot s => new RunControlResult(RunControlOutcome.Done, $"run '{runId}' is cancelled", s),
            RunRejected r => new RunControlResult(RunControlOutcome.Refused, r.Reason),
            _ => Unknown(runId),
        };
    }

    public static async Task<RunControlResult> DeleteAsync(EvaluatorNode node, string runId, CancellationToken cancel = default)
    {
        if (!RunIds.IsValid(runId)) return Unknown(runId);
        var reply = await node.Coordinators.Ask<IRunMessage>(new DeleteRun(runId), node.Settings.AskTimeout, cancel);
        return reply switch
        {
            RunDeleted => new RunControlResult(RunControlOutcome.Done, $"run '{runId}' is deleted"),
            RunRejected r => new RunControlResult(RunControlOutcome.Refused, r.Reason),
            _ => Unknown(runId),
        };
    }

    private static RunControlResult Unknown(string runId) => new(RunControlOutcome.Unknown, $"run '{runId}' not found");
}
