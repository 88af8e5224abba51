using System.Collections.Immutable;
using Akka.Actor;
using Akka.Cluster.Tools.PublishSubscribe;
using Akka.Event;
using Akka.Persistence;
using Evaluator.Messages;
using Evaluator.Messages.Protocol;
using Evaluator.Node.Runtime;

namespace Evaluator.Node.Actors;

/// <summary>
/// One per run (a sharded, persistent entity). Keeps, per partition, the partial with the
/// highest watermark it has seen (a max-register: duplicates, re-sends and reordering change
/// nothing); the run's total is the exact int64 sum of those partials. Persists every change,
/// re-kicks unfinished partitions (which re-creates shards lost with a node), and publishes
/// snapshots on the run's DistributedPubSub topic at most every snapshot-interval, only on
/// change, and always the final one.
/// </summary>
public sealed class CoordinatorActor : ReceivePersistentActor, IWithTimers
{
    private sealed record PublishTick
    {
        public static PublishTick Instance { get; } = new();
    }

    private sealed record RestartTick
    {
        public static RestartTick Instance { get; } = new();
    }

    private readonly string _runId;
    private readonly EvaluatorSettings _settings;
    private readonly IActorRef _shards;
    private readonly IActorRef _mediator;
    private readonly ILoggingAdapter _log = Context.GetLogger();

    private StartRun? _start;
    private PartitionPartial[] _partials = [];
    private RunStatus _status = RunStatus.Running;
    private string? _error;
    private long _snapshotNumber;
    private bool _dirty;

    public CoordinatorActor(string runId, EvaluatorSettings settings, IActorRef shards, IActorRef mediator)
    {
        _runId = runId;
        _settings = settings;
        _shards = shards;
        _mediator = mediator;
        PersistenceId = "run-" + runId;

        Recover<RunStarted>(e => ApplyStart(e.Start));
        Recover<PartialRecorded>(e => ApplyPartial(e.Partial));
        Recover<RunFailed>(e => ApplyFailed(e.Error));
        Recover<RunResumed>(e => ApplyResumed(e.SkipBad));
        Recover<SnapshotOffer>(o =>
        {
            var s = (CoordinatorSnapshot)o.Snapshot;
            ApplyStart(s.Start);
            foreach (var p in s.Partials) _partials[p.Partition] = p;
            _status = s.Status;
            _error = s.Error;
            _snapshotNumber = s.SnapshotNumber;
        });

        Command<StartRun>(OnStartRun);
        Command<PartitionPartial>(OnPartial);
        Command<PartitionFailed>(OnFailed);
        Command<GetSnapshot>(_ =>
        {
            if (_start is null) Sender.Tell(new RunUnknown(_runId));
            else Sender.Tell(CurrentSnapshot());
        });
        Command<RequestStart>(OnRequestStart);
        Command<CompleteRun>(OnCompleteRun);
        Command<PublishTick>(_ => Publish(force: false));
        Command<RestartTick>(_ => KickPartitions());
        Command<SaveSnapshotSuccess>(s =>
            DeleteSnapshots(new SnapshotSelectionCriteria(s.Metadata.SequenceNr - 1)));
        Command<SaveSnapshotFailure>(f => _log.Warning("run {0}: snapshot not saved: {1}", _runId, f.Cause.Message));
        Command<DeleteSnapshotsSuccess>(_ => { });
        Command<DeleteSnapshotsFailure>(_ => { });
    }

    public override string PersistenceId { get; }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(string runId, EvaluatorSettings settings, IActorRef shards, IActorRef mediator) =>
        Akka.Actor.Props.Create(() => new CoordinatorActor(runId, settings, shards, mediator));

    public static string Topic(string runId) => "evaluator-run-" + runId;

    protected override void OnReplaySuccess()
    {
        // The provider's address: the node's remote address on a cluster, and no Cluster
        // extension needed (which a local actor system, as in unit tests, does not have).
        _log.Info("run {0}: coordinator up on {1}", _runId, ((ExtendedActorSystem)Context.System).Provider.DefaultAddress);
        if (_start is not null && _status == RunStatus.Running) StartTimers();
    }

    // ---- state transitions (shared by commands and recovery) --------------------------------

    private void ApplyStart(StartRun start)
    {
        _start = start;
        _partials = start.Partitions
            .Select(p => PartitionPartial.Empty(start.RunId, p.Partition, start.Spec.NumClasses)).ToArray();
        _status = RunStatus.Running;
    }

    private void ApplyPartial(PartitionPartial p)
    {
        _partials[p.Partition] = p;
        if (_status == RunStatus.Running && _partials.All(x => x.Final)) _status = RunStatus.Completed;
        _dirty = true;
    }

    private void ApplyFailed(string error)
    {
        _status = RunStatus.Failed;
        _error = error;
        _dirty = true;
    }

    private void ApplyResumed(bool skipBad)
    {
        _start = _start! with { SkipBad = skipBad };
        _status = _partials.All(x => x.Final) ? RunStatus.Completed : RunStatus.Running;
        _error = null;
        _dirty = true;
    }

    // ---- commands ---------------------------------------------------------------------------

    private void OnStartRun(StartRun start)
    {
        if (_start is null)
        {
            if (start.Partitions.Select((p, i) => p.Partition != i).Any(bad => bad))
            {
                Sender.Tell(new RunRejected(start.RunId, "partitions must be numbered 0..n-1 in order"));
                return;
            }
            Persist(new RunStarted(start), e =>
            {
                ApplyStart(e.Start);
                _log.Info("run {0}: started with {1} partitions", _runId, _partials.Length);
                Sender.Tell(new RunAccepted(_runId, false, CurrentSnapshot()));
                StartTimers();
                KickPartitions();
            });
            return;
        }

        if (start.Fingerprint != _start.Fingerprint)
        {
            Sender.Tell(new RunRejected(_runId,
                $"run '{_runId}' already exists with a different spec or dataset; use another --run-id"));
            return;
        }

        if (_status == RunStatus.Failed || start.SkipBad != _start.SkipBad)
        {
            var sender = Sender;
            Persist(new RunResumed(start.SkipBad), e =>
            {
                ApplyResumed(e.SkipBad);
                sender.Tell(new RunAccepted(_runId, true, CurrentSnapshot()));
                if (_status == RunStatus.Running)
                {
                    StartTimers();
                    KickPartitions();
                }
                else
                {
                    Publish(force: true);
                }
            });
            return;
        }

        Sender.Tell(new RunAccepted(_runId, true, CurrentSnapshot()));
        if (_status == RunStatus.Running)
        {
            StartTimers();
            KickPartitions();
        }
    }

    private void OnPartial(PartitionPartial p)
    {
        if (_start is null || p.Partition < 0 || p.Partition >= _partials.Length
            || p.Matrix.NumClasses != _start.Spec.NumClasses)
        {
            _log.Warning("run {0}: partial for unknown run or partition {1} dropped", _runId, p.Partition);
            return;
        }
        var held = _partials[p.Partition];
        var newer = p.Watermark > held.Watermark || (p.Watermark == held.Watermark && p.Final && !held.Final);
        if (!newer)
        {
            // Stale or duplicate: changes nothing; tell the shard what is held.
            Sender.Tell(new PartialAccepted(_runId, p.Partition, held.Watermark, held.Final));
            return;
        }
        var sender = Sender;
        Persist(new PartialRecorded(p), e =>
        {
            var wasRunning = _status == RunStatus.Running;
            ApplyPartial(e.Partial);
            sender.Tell(new PartialAccepted(_runId, p.Partition, p.Watermark, p.Final));
            MaybeSaveSnapshot();
            if (wasRunning && _status == RunStatus.Completed)
            {
                _log.Info("run {0}: completed, {1} pixels counted", _runId, Total().Pixels.Counted);
                Publish(force: true);
                Timers.CancelAll();
            }
        });
    }

    private void OnFailed(PartitionFailed f)
    {
        if (_start is null || _status != RunStatus.Running) return;
        var error = f.Error;
        Persist(new RunFailed(f.Partition, error), _ =>
        {
            ApplyFailed(error);
            _log.Warning("run {0}: failed in partition {1}: {2}", _runId, f.Partition, error);
            // Fail fast: stop the other partitions; what they counted is kept.
            for (var i = 0; i < _partials.Length; i++)
            {
                if (!_partials[i].Final) _shards.Tell(new StopPartition(_runId, i));
            }
            Publish(force: true);
            Timers.CancelAll();
        });
    }

    /// <summary>A shard asks for its start (it got an ingest request while idle).</summary>
    private void OnRequestStart(RequestStart r)
    {
        if (_start is null || r.Partition < 0 || r.Partition >= _partials.Length)
        {
            Sender.Tell(new RunUnknown(_runId));
            return;
        }
        var partial = _partials[r.Partition];
        if (_status != RunStatus.Running) partial = partial with { Final = true };
        Sender.Tell(new StartPartition(_runId, r.Partition, _start.Spec, _start.Partitions[r.Partition], partial,
            _start.SkipBad, _start.Ingest));
    }

    /// <summary>Closes an ingest run: each partition ends at its committed watermark.</summary>
    private void OnCompleteRun(CompleteRun c)
    {
        if (_start is null)
        {
            Sender.Tell(new RunUnknown(_runId));
            return;
        }
        if (_start.Ingest && _status == RunStatus.Running)
        {
            for (var i = 0; i < _partials.Length; i++)
            {
                if (!_partials[i].Final) _shards.Tell(new CompletePartition(_runId, i));
            }
        }
        Sender.Tell(CurrentSnapshot());
    }

    private void KickPartitions()
    {
        if (_start is null || _status != RunStatus.Running) return;
        for (var i = 0; i < _partials.Length; i++)
        {
            if (_partials[i].Final) continue;
            _shards.Tell(new StartPartition(_runId, i, _start.Spec, _start.Partitions[i], _partials[i], _start.SkipBad,
                _start.Ingest));
        }
    }

    private void StartTimers()
    {
        Timers.StartPeriodicTimer("publish", PublishTick.Instance, _settings.SnapshotInterval);
        Timers.StartPeriodicTimer("restart", RestartTick.Instance, _settings.RestartPartitionsInterval);
    }

    private void MaybeSaveSnapshot()
    {
        if (LastSequenceNr % _settings.CoordinatorSnapshotEvery != 0) return;
        SaveSnapshot(new CoordinatorSnapshot(_start!, [.. _partials], _status, _error, _snapshotNumber));
    }

    // ---- snapshots ----------------------------------------------------------------------

    private (ConfusionMatrix Matrix, PixelCounts Pixels) Total()
    {
        var m = new ConfusionMatrix(_start!.Spec.NumClasses);
        var pixels = PixelCounts.Zero;
        foreach (var p in _partials)
        {
            m.Merge(p.Matrix);
            pixels += p.Pixels;
        }
        return (m, pixels);
    }

    private RunSnapshot CurrentSnapshot()
    {
        var (matrix, pixels) = Total();
        return new RunSnapshot(_runId, _snapshotNumber, DateTimeOffset.UtcNow, _start!.Spec, matrix, pixels,
            _start.ExpectedPixels,
            [.. _partials.Select(p => new PartitionProgress(p.Partition, p.Watermark,
                _start.Partitions[p.Partition].Pairs.Length, p.Pixels.Total, p.Final))],
            [.. _partials.SelectMany(p => p.BadPairs)],
            _status, _error);
    }

    private void Publish(bool force)
    {
        if (_start is null || (!_dirty && !force)) return;
        // Strictly increasing, and across restarts too: never below the journal's sequence number.
        _snapshotNumber = Math.Max(_snapshotNumber + 1, LastSequenceNr);
        var snapshot = CurrentSnapshot();
        _dirty = false;
        _mediator.Tell(new Publish(Topic(_runId), snapshot));
    }
}
