using Akka.Actor;
using Akka.Event;
using Evaluator.Messages.Protocol;

namespace Evaluator.Node.Actors;

/// <summary>
/// Runs over files that the journal holds unfinished (running: neither completed nor failed),
/// and their resumption when a worker starts: a restarted cluster does not leave them parked
/// until someone resubmits them. Poking a run's coordinator (any message) makes it recover
/// from the journal; a running one then re-kicks its unfinished partitions, from their
/// persisted partials. Ingest runs are left alone: their clients push their batches again.
/// </summary>
internal static class UnfinishedRuns
{
    /// <summary>The ids of the journal's unfinished runs over files, folded by the coordinator's own <see cref="RunState"/>.</summary>
    public static async Task<IReadOnlyList<string>> FindAsync(ActorSystem system, CancellationToken cancel = default)
    {
        // A run this node cannot read is not resumed here (the run listing shows it as unreadable, with the reason).
        var runs = (await JournalRuns.FoldAllAsync(system, cancel))
            .Where(r => r.Run?.State is { Start.Ingest: false, Status: RunStatus.Running })
            .Select(r => r.RunId).ToList();
        return runs;
    }

    /// <summary>Finds the unfinished runs in the background and pokes their coordinators (idempotent).</summary>
    public static Task ResumeAsync(ActorSystem system, IActorRef coordinators)
    {
        var log = Logging.GetLogger(system, typeof(UnfinishedRuns));
        return Task.Run(async () =>
        {
            try
            {
                var runs = await FindAsync(system);
                foreach (var runId in runs) coordinators.Tell(new GetSnapshot(runId), ActorRefs.NoSender);
                if (runs.Count > 0) log.Info("resuming {0} unfinished run(s): {1}", runs.Count, string.Join(", ", runs));
            }
            catch (Exception e)
            {
                log.Warning("unfinished runs not resumed: {0}", e.Message);
            }
        });
    }
}
