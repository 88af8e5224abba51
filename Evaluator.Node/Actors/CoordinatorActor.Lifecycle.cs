using Akka.Actor;
using Akka.Event;
using Akka.Persistence;
using Evaluator.Messages.Protocol;

namespace Evaluator.Node.Actors;

/// <summary>
/// The coordinator's lifecycle commands (kept apart from the counting): cancel (stop, keep what
/// was committed), abandon (an idle ingest run, on the sweep's word) and delete (the run's events
/// and snapshots go; nothing is persisted after, and the coordinator stops).
/// </summary>
internal sealed partial class CoordinatorActor
{
    private IActorRef? _deleteReplyTo;
    private int _deletesPending;

    private void LifecycleCommands()
    {
        Recover<RunCancelled>(e => ApplyClosed(() => _state.ApplyCancelled(e.Reason)));
        Recover<RunAbandoned>(e => ApplyClosed(() => _state.ApplyAbandoned(e.Idle)));
        Command<CancelRun>(OnCancel);
        Command<AbandonRun>(OnAbandon);
        Command<DeleteRun>(OnDelete);
    }

    private void ApplyClosed(Action apply)
    {
        apply();
        _dirty = true;
    }

    private void OnCancel(CancelRun c)
    {
        if (_state.Start is null)
        {
            Sender.Tell(new RunUnknown(_runId));
            return;
        }
        if (_state.Status == RunStatus.Cancelled)
        {
            Sender.Tell(CurrentSnapshot()); // idempotent
            return;
        }
        if (_state.Status != RunStatus.Running)
        {
            Sender.Tell(new RunRejected(_runId,
                $"run '{_runId}' is {_state.Status.ToString().ToLowerInvariant()}: only a running run can be cancelled"));
            return;
        }
        var sender = Sender;
        Persist(new RunCancelled("cancelled on request"), e =>
        {
            ApplyClosed(() => _state.ApplyCancelled(e.Reason));
            _log.Info("run {0}: cancelled, {1} pixels counted stay", _runId, _state.Total().Pixels.Counted);
            Close();
            sender.Tell(CurrentSnapshot());
        });
    }

    private void OnAbandon(AbandonRun a)
    {
        // Only if nothing was persisted since the sweep read the journal: a batch that arrived
        // meanwhile keeps the run open.
        if (_state.Start is not { Ingest: true } || _state.Status != RunStatus.Running || LastSequenceNr != a.SequenceNr) return;
        Persist(new RunAbandoned(a.Idle), e =>
        {
            ApplyClosed(() => _state.ApplyAbandoned(e.Idle));
            _log.Warning("run {0}: {1}", _runId, _state.Error);
            Close();
        });
    }

    /// <summary>After a cancel or abandon: the partitions stop, the final snapshot goes out, the timers end.</summary>
    private void Close()
    {
        for (var i = 0; i < _state.Partials.Length; i++)
        {
            if (!_state.Partials[i].Final) _shards.Tell(new StopPartition(_runId, i));
        }
        Publish(force: true);
        Timers.CancelAll();
    }

    /// <summary>
    /// A partial for a cancelled or abandoned run: not counted (the run is the one at its close);
    /// the shard hears that the partition is final at the watermark held, and stops sending.
    /// </summary>
    private bool RefusedAsClosed(PartitionPartial p)
    {
        if (!_state.Closed) return false;
        var held = _state.Partials[p.Partition];
        Sender.Tell(new PartialAccepted(_runId, p.Partition, held.Watermark, true));
        Sender.Tell(new StopPartition(_runId, p.Partition));
        return true;
    }

    /// <summary>A start (resume) of a cancelled or abandoned run is refused: it is closed for good.</summary>
    private bool RefusedStartAsClosed()
    {
        if (!_state.Closed) return false;
        Sender.Tell(new RunRejected(_runId,
            $"run '{_runId}' was {_state.Status.ToString().ToLowerInvariant()} and cannot be resumed: start a new run (another run id)"));
        return true;
    }

    private void OnDelete(DeleteRun d)
    {
        if (_state.Start is null)
        {
            Sender.Tell(new RunUnknown(_runId));
            return;
        }
        if (_state.Status == RunStatus.Running)
        {
            Sender.Tell(new RunRejected(_runId, $"run '{_runId}' is running: cancel it first, then delete it"));
            return;
        }
        _deleteReplyTo = Sender;
        _deletesPending = 2;
        Timers.CancelAll();
        DeleteSnapshots(SnapshotSelectionCriteria.Latest);
        DeleteMessages(LastSequenceNr);
        Become(Deleting);
    }

    /// <summary>Waits for the journal and the snapshot store; answers nothing else but "unknown".</summary>
    private void Deleting()
    {
        Command<DeleteMessagesSuccess>(_ => Deleted());
        Command<DeleteSnapshotsSuccess>(_ => Deleted());
        Command<DeleteMessagesFailure>(f => DeleteFailed(f.Cause));
        Command<DeleteSnapshotsFailure>(f => DeleteFailed(f.Cause));
        Command<SaveSnapshotSuccess>(_ =>
        {
            // A snapshot saved just before the delete: it goes too.
            _deletesPending++;
            DeleteSnapshots(SnapshotSelectionCriteria.Latest);
        });
        CommandAny(m =>
        {
            if (m is IRunMessage and not PartitionPartial and not AbandonRun) Sender.Tell(new RunUnknown(_runId));
        });
    }

    private void Deleted()
    {
        if (--_deletesPending > 0) return;
        _log.Info("run {0}: deleted (journal events and snapshots)", _runId);
        _deleteReplyTo?.Tell(new RunDeleted(_runId));
        Context.Stop(Self);
    }

    private void DeleteFailed(Exception cause)
    {
        _log.Error("run {0}: not deleted: {1}", _runId, cause.Message);
        _deleteReplyTo?.Tell(new RunRejected(_runId, $"run '{_runId}' could not be deleted: {cause.Message}"));
        // Stopped: the next message recovers whatever the journal still holds.
        Context.Stop(Self);
    }
}
