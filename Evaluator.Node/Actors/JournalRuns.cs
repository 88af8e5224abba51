using Akka.Actor;
using Akka.Persistence.Query;
using Akka.Persistence.Sql.Query;
using Akka.Streams;
using Akka.Streams.Dsl;
using Evaluator.Messages.Protocol;

namespace Evaluator.Node.Actors;

/// <summary>
/// One run of the journal folded from its events by the coordinator's own <see cref="RunState"/>,
/// with the journal's times: created (the first event applied), finished (the event after which it
/// stopped running; null again once a resume sets it running), the last event and its sequence number.
/// </summary>
internal sealed class FoldedRun
{
    public RunState State { get; } = new();
    public DateTimeOffset? Created { get; private set; }
    public DateTimeOffset? Finished { get; private set; }
    public DateTimeOffset? LastEvent { get; private set; }
    public long SequenceNr { get; private set; }

    public void Apply(object e, DateTimeOffset? time, long sequenceNr)
    {
        var before = State.Status;
        if (!State.Apply(e)) return;
        Created ??= time;
        LastEvent = time ?? LastEvent;
        SequenceNr = sequenceNr;
        if (State.Status == RunStatus.Running) Finished = null;
        else if (before == RunStatus.Running || Finished is null) Finished = time;
    }
}

/// <summary>
/// Every run of the journal, folded one at a time as its events stream by (no run's events are
/// held at once). A run whose events this node cannot read (a newer release's manifest, a damaged
/// row) comes back with the reason instead, so that it never hides the others: the run listing,
/// the lifecycle sweep and the resume of unfinished runs all read the journal through this.
/// </summary>
internal static class JournalRuns
{
    public static async Task<IReadOnlyList<(string RunId, FoldedRun? Run, string? Error)>> FoldAllAsync(ActorSystem system,
        CancellationToken cancel = default)
    {
        var query = PersistenceQuery.Get(system).ReadJournalFor<SqlReadJournal>(SqlReadJournal.Identifier);
        var mat = system.Materializer();
        var ids = await query.CurrentPersistenceIds().Where(id => id.StartsWith(EntityIds.RunPrefix, StringComparison.Ordinal))
            .RunWith(Sink.Seq<string>(), mat).WaitAsync(cancel);
        var runs = new List<(string, FoldedRun?, string?)>();
        foreach (var id in ids.Order(StringComparer.Ordinal))
        {
            var runId = id[EntityIds.RunPrefix.Length..];
            var run = new FoldedRun();
            try
            {
                await query.CurrentEventsByPersistenceId(id, 0, long.MaxValue)
                    .RunForeach(e => run.Apply(e.Event, JournalTime.Of(e.Timestamp), e.SequenceNr), mat).WaitAsync(cancel);
                runs.Add((runId, run, null));
            }
            catch (Exception e) when (e is not OperationCanceledException && !cancel.IsCancellationRequested)
            {
                runs.Add((runId, null, e.GetBaseException().Message));
            }
        }
        return runs;
    }
}
