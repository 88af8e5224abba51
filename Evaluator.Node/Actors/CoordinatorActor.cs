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
internal sealed partial class CoordinatorActor : ReceivePersistentActor, IWithTimers
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

    private readonly RunState _state = new();
    private long _snapshotNumber;
    private bool _dirty;

    public CoordinatorActor(string runId, EvaluatorSettings settings, IActorRef shards, IActorRef mediator)
    {
        _runId = runId;
        _settings = settings;
        _shards = shards;
        _mediator = mediator;
        PersistenceId = EntityIds.RunPersistenceId(runId);

        Recover<RunStarted>(e => ApplyStart(e.Start));
        Recover<PartialRecorded>(e => ApplyPartial(e.Partial));
        Recover<RunFailed>(e => ApplyFailed(e.Error));
        Recover<RunResumed>(e => ApplyResumed(e.SkipBad));
        Recover<RunRestamped>(e => _state.ApplyRestamped(e.Stamps));
        Recover<SnapshotOffer>(o =>
        {
            var s = (CoordinatorSnapshot)o.Snapshot;
            _state.Restore(s);
            _snapshotNumber = s.SnapshotNumber;
        });

        Command<StartRun>(OnStartRun);
        Command<PartitionPartial>(OnPartial);
        Command<PartitionFailed>(OnFailed);
        Command<GetSnapshot>(_ =>
        {
            if (_state.Start is null) Sender.Tell(new RunUnknown(_runId));
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
        LifecycleCommands();
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
        if (_state.Start is not null && _state.Status == RunStatus.Running) StartTimers();
    }

    // ---- state transitions (shared by commands and recovery; the fold itself is RunState's) ----

    private void ApplyStart(StartRun start) => _state.ApplyStart(start);

    private void ApplyPartial(PartitionPartial p)
    {
        _state.ApplyPartial(p);
        _dirty = true;
    }

    private void ApplyFailed(string error)
    {
        _state.ApplyFailed(error);
        _dirty = true;
    }

    private void ApplyResumed(bool skipBad)
    {
        _state.ApplyResumed(skipBad);
        _dirty = true;
    }

    // ---- commands ---------------------------------------------------------------------------

    private void OnStartRun(StartRun start)
    {
        if (_state.Start is null)
        {
            if (start.Partitions.Select((p, i) => p.Partition != i).Any(bad => bad))
            {
                Sender.Tell(new RunRejected(start.RunId, "partitions must be numbered 0..n-1 in order"));
                return;
            }
            Persist(new RunStarted(start), e =>
            {
                ApplyStart(e.Start);
                _log.Info("run {0}: started with {1} partitions", _runId, _state.Partials.Length);
                Sender.Tell(new RunAccepted(_runId, false, CurrentSnapshot()));
                StartTimers();
                KickPartitions();
            });
            return;
        }

        if (RefusedStartAsClosed()) return;

        // A run's partitioning is fixed when it is created: a resume over the same spec and
        // pairs is accepted however the request partitioned them (it came from the workers up
        // and the cores of the moment) and continues with the stored partitions.
        if (start.Fingerprint != _state.Start.Fingerprint)
        {
            if (!RunState.SameData(start, _state.Start))
            {
                var counts = start.Partitions.Length != _state.Start.Partitions.Length && start.Ingest
                    ? $" ({_state.Start.Partitions.Length} partitions, not {start.Partitions.Length})"
                    : start.PerImage != _state.Start.PerImage
                    ? _state.Start.PerImage ? " (it records per-image results: resume it with --per-image)" : " (without per-image results)"
                    : start.BoundaryDilation != _state.Start.BoundaryDilation
                    ? _state.Start.BoundaryDilation is { } d ? $" (it computes boundary IoU: resume it with --boundary-iou --boundary-dilation {d.ToString(System.Globalization.CultureInfo.InvariantCulture)})" : " (without boundary IoU)"
                    : start.CityscapesProtocol != _state.Start.CityscapesProtocol
                    ? _state.Start.CityscapesProtocol ? " (it uses the Cityscapes protocol: resume it with --protocol cityscapes)" : " (without the Cityscapes protocol)"
                    : "";
                Sender.Tell(new RunRejected(_runId,
                    $"run '{_runId}' already exists with a different spec or dataset{counts}; use another --run-id"));
                return;
            }
            _log.Warning("run {0}: resumed with its stored {1} partitions (the request had {2})", _runId,
                _state.Start.Partitions.Length, start.Partitions.Length);
        }

        if (_state.ChangedInputs(start) is { } changed)
        {
            Sender.Tell(changed);
            return;
        }
        if (_state.Start.Stamps.Length > 0 && start.Stamps.Length == _state.Start.Stamps.Length
            && !start.Stamps.SequenceEqual(_state.Start.Stamps))
        {
            // Only pairs not counted yet changed: they will be counted as they are now, so a
            // later resume compares with what they are now.
            Persist(new RunRestamped(start.Stamps), e => _state.ApplyRestamped(e.Stamps));
        }

        if (_state.Status == RunStatus.Failed || start.SkipBad != _state.Start.SkipBad)
        {
            var sender = Sender;
            Persist(new RunResumed(start.SkipBad), e =>
            {
                ApplyResumed(e.SkipBad);
                sender.Tell(new RunAccepted(_runId, true, CurrentSnapshot()));
                if (_state.Status == RunStatus.Running)
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
        if (_state.Status == RunStatus.Running)
        {
            StartTimers();
            KickPartitions();
        }
    }

    private void OnPartial(PartitionPartial p)
    {
        if (_state.Start is null || p.Partition < 0 || p.Partition >= _state.Partials.Length
            || p.Matrix.NumClasses != _state.Start.Spec.NumClasses)
        {
            _log.Warning("run {0}: partial for unknown run or partition {1} dropped", _runId, p.Partition);
            return;
        }
        if (RefusedAsClosed(p)) return;
        var held = _state.Partials[p.Partition];
        var newer = p.Watermark > held.Watermark || (p.Watermark == held.Watermark && p.Final && !held.Final);
        if (!newer)
        {
            // Stale or duplicate: changes nothing; tell the shard what is held.
            Sender.Tell(new PartialAccepted(_runId, p.Partition, held.Watermark, held.Final));
            return;
        }
        if (_state.Refusal(p) is { } refusal)
        {
            // Counts the run cannot represent: refused, and the run fails with the reason
            // (rather than a snapshot that throws on every read, forever).
            if (_state.Status == RunStatus.Running) FailRun(p.Partition, refusal);
            else _log.Warning("run {0}: partial of partition {1} refused: {2}", _runId, p.Partition, refusal);
            return;
        }
        var sender = Sender;
        // Per-image results: only those of pairs not yet recorded, so a re-sent or overlapping
        // partial (a shard resumed from an older partial) journals every pair exactly once.
        if (!p.Images.IsEmpty) p = p with { Images = [.. p.Images.Where(i => i.Seq >= held.Watermark && i.Seq < p.Watermark)] };
        Persist(new PartialRecorded(p), e =>
        {
            var wasRunning = _state.Status == RunStatus.Running;
            ApplyPartial(e.Partial);
            sender.Tell(new PartialAccepted(_runId, p.Partition, p.Watermark, p.Final));
            MaybeSaveSnapshot();
            if (wasRunning && _state.Status == RunStatus.Completed)
            {
                _log.Info("run {0}: completed, {1} pixels counted", _runId, _state.Total().Pixels.Counted);
                Publish(force: true);
                Timers.CancelAll();
            }
        });
    }

    private void OnFailed(PartitionFailed f)
    {
        if (_state.Start is null || _state.Status != RunStatus.Running) return;
        FailRun(f.Partition, f.Error);
    }

    private void FailRun(int partition, string error)
    {
        Persist(new RunFailed(partition, error), _ =>
        {
            ApplyFailed(error);
            _log.Warning("run {0}: failed in partition {1}: {2}", _runId, partition, error);
            // Fail fast: stop the other partitions; what they counted is kept.
            for (var i = 0; i < _state.Partials.Length; i++)
            {
                if (!_state.Partials[i].Final) _shards.Tell(new StopPartition(_runId, i));
            }
            Publish(force: true);
            Timers.CancelAll();
        });
    }

    /// <summary>A shard asks for its start (it got an ingest request while idle).</summary>
    private void OnRequestStart(RequestStart r)
    {
        if (_state.Start is null || r.Partition < 0 || r.Partition >= _state.Partials.Length)
        {
            Sender.Tell(new RunUnknown(_runId));
            return;
        }
        var partial = _state.Partials[r.Partition];
        if (_state.Status != RunStatus.Running) partial = partial with { Final = true };
        Sender.Tell(StartOf(r.Partition, partial));
    }

    /// <summary>Closes an ingest run: each partition ends at its committed watermark.</summary>
    private void OnCompleteRun(CompleteRun c)
    {
        if (_state.Start is null)
        {
            Sender.Tell(new RunUnknown(_runId));
            return;
        }
        if (_state.Start.Ingest && _state.Status == RunStatus.Running)
        {
            for (var i = 0; i < _state.Partials.Length; i++)
            {
                if (!_state.Partials[i].Final) _shards.Tell(new CompletePartition(_runId, i));
            }
        }
        Sender.Tell(CurrentSnapshot());
    }

    private void KickPartitions()
    {
        if (_state.Start is null || _state.Status != RunStatus.Running) return;
        for (var i = 0; i < _state.Partials.Length; i++)
        {
            if (_state.Partials[i].Final) continue;
            _shards.Tell(StartOf(i, _state.Partials[i]));
        }
    }

    /// <summary>The start of partition <paramref name="partition"/> from <paramref name="resume"/>, with the run's options.</summary>
    private StartPartition StartOf(int partition, PartitionPartial resume)
    {
        var start = _state.Start!;
        return new StartPartition(_runId, partition, start.Spec, start.Partitions[partition], resume, start.SkipBad, start.Ingest,
            start.PerImage)
        {
            BoundaryDilation = start.BoundaryDilation,
            CityscapesProtocol = start.CityscapesProtocol,
        };
    }

    private void StartTimers()
    {
        Timers.StartPeriodicTimer("publish", PublishTick.Instance, _settings.SnapshotInterval);
        Timers.StartPeriodicTimer("restart", RestartTick.Instance, _settings.RestartPartitionsInterval);
    }

    private void MaybeSaveSnapshot()
    {
        if (LastSequenceNr % _settings.CoordinatorSnapshotEvery != 0) return;
        SaveSnapshot(new CoordinatorSnapshot(_state.Start!, [.. _state.Partials], _state.Status, _state.Error, _snapshotNumber));
    }

    // ---- snapshots ----------------------------------------------------------------------

    private RunSnapshot CurrentSnapshot()
    {
        var (matrix, pixels) = _state.Total();
        return new RunSnapshot(_runId, _snapshotNumber, DateTimeOffset.UtcNow, _state.Start!.Spec, matrix, pixels,
            _state.Start.ExpectedPixels,
            [.. _state.Partials.Select(p => new PartitionProgress(p.Partition, p.Watermark,
                _state.Start.Partitions[p.Partition].Pairs.Length, p.Pixels.Total, p.Final))],
            [.. _state.Partials.SelectMany(p => p.BadPairs)],
            _state.Status, _state.Error)
        {
            Boundary = _state.BoundaryTotal(),
            BoundaryDilation = _state.Start.BoundaryDilation,
            Cityscapes = _state.CityscapesTotal(),
        };
    }

    private void Publish(bool force)
    {
        if (_state.Start is null || (!_dirty && !force)) return;
        // Strictly increasing, and across restarts too: never below the journal's sequence number.
        _snapshotNumber = Math.Max(_snapshotNumber + 1, LastSequenceNr);
        var snapshot = CurrentSnapshot();
        _dirty = false;
        _mediator.Tell(new Publish(Topic(_runId), snapshot));
    }

    /// <summary>Every Persist of this actor, timed from the call to its callback (the journal's write latency, for /metrics).</summary>
    private new void Persist<TEvent>(TEvent e, Action<TEvent> handler)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        base.Persist(e, x =>
        {
            JournalLatency.Get(Context.System).Record(System.Diagnostics.Stopwatch.GetElapsedTime(started));
            handler(x);
        });
    }
}
