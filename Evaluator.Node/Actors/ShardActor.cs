using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.Event;
using Akka.Streams;
using Evaluator.Messages.Protocol;
using Evaluator.Node.Runtime;
using Evaluator.Node.Streams;

namespace Evaluator.Node.Actors;

/// <summary>
/// One partition of one run, around its <see cref="ShardLedger"/> (the watermark, the int64
/// matrix and the seq rules). Drives its partition's stream locally (files are read where the
/// shard lives) or takes a client's batches (HTTP ingest); sends its cumulative partial to the
/// coordinator on an interval and at the end, until acknowledged. On (re)start it resumes from
/// the coordinator's partial, so a batch is counted once.
/// </summary>
internal sealed class ShardActor : ReceiveActor, IWithTimers
{
    private sealed record SendPartial
    {
        public static SendPartial Instance { get; } = new();
    }

    /// <summary>While ingest requests wait for a start: ask the coordinator again (a lost request must not park them).</summary>
    private sealed record AskStart
    {
        public static AskStart Instance { get; } = new();
    }

    private readonly EvaluatorSettings _settings;
    private readonly Func<StartPartition, IActorRef, UniqueKillSwitch> _startStream;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private IActorRef? _coordinators;

    private ShardLedger? _ledger;
    private UniqueKillSwitch? _stream;

    // Per-image runs: the stream's acknowledgement held back while too many results wait for the coordinator.
    private IActorRef? _heldAck;

    // Ingest (HTTP): requests that wait for a start, and replies that wait for the coordinator to
    // persist the watermark they report (so a client never sees a watermark that could be lost).
    private readonly List<(IActorRef Sender, object Message)> _waiting = [];
    private readonly List<(IActorRef Sender, long Seq, IngestOutcome Outcome, long Needed)> _pendingReplies = [];

    /// <param name="coordinators">
    /// The coordinator region, or null to look it up by name (<see cref="EntityIds.CoordinatorRegion"/>)
    /// when first needed: the regions are started one after the other, and entities exist only later.
    /// </param>
    public ShardActor(EvaluatorSettings settings, IActorRef? coordinators,
        Func<StartPartition, IActorRef, UniqueKillSwitch> startStream)
    {
        _settings = settings;
        _coordinators = coordinators;
        _startStream = startStream;
        Idle();
    }

    public ITimerScheduler Timers { get; set; } = null!;

    private IActorRef Coordinators =>
        _coordinators ??= ClusterSharding.Get(Context.System).ShardRegion(EntityIds.CoordinatorRegion);

    public static Props Props(EvaluatorSettings settings, IActorRef? coordinators,
        Func<StartPartition, IActorRef, UniqueKillSwitch> startStream) =>
        Akka.Actor.Props.Create(() => new ShardActor(settings, coordinators, startStream));

    /// <summary>Production wiring: streams decode files on this node.</summary>
    public static Props Props(EvaluatorSettings settings, IActorRef? coordinators, IMaterializer materializer) =>
        Props(settings, coordinators, (start, self) => PartitionSource.Run(start, settings, self, materializer));

    /// <summary>Production wiring inside the shard region: the coordinator region is looked up by name.</summary>
    public static Props Props(EvaluatorSettings settings, IMaterializer materializer) =>
        Props(settings, null, materializer);

    /// <summary>Handlers of every behaviour: the partial's timer, its acknowledgement, stray stops.</summary>
    private void Common()
    {
        Receive<PartialAccepted>(OnAccepted);
        Receive<SendPartial>(_ => SendIfNeeded());
        Receive<StopPartition>(_ => { });
        Receive<AskStart>(_ => Timers.Cancel(nameof(AskStart))); // started meanwhile
    }

    private void Idle()
    {
        Receive<StartPartition>(Begin);
        Receive<Batch>(b =>
        {
            // A stale stream's leftovers.
            Release(b);
            Sender.Tell(StreamAck.Instance);
        });
        Receive<StreamInit>(_ => Sender.Tell(StreamAck.Instance));
        Receive<StreamCompleted>(_ => { });
        Receive<StreamFailed>(_ => { });
        Receive<IngestBatch>(b => WaitForStart(b, b.RunId, b.Partition, b.Seq));
        Receive<IngestMatrix>(m => WaitForStart(m, m.RunId, m.Partition, m.Seq));
        Receive<CompletePartition>(c => WaitForStart(c, c.RunId, c.Partition, -1));
        Receive<AskStart>(_ =>
        {
            if (_waiting.Count > 0 && _waiting[0].Message is IPartitionMessage m)
                Coordinators.Tell(new RequestStart(m.RunId, m.Partition));
            else
                Timers.Cancel(nameof(AskStart));
        });
        Receive<RunUnknown>(u =>
        {
            Timers.Cancel(nameof(AskStart));
            foreach (var (sender, message) in _waiting)
            {
                if (message is IPartitionMessage m and (IngestBatch or IngestMatrix))
                    sender.Tell(new IngestResult(m.RunId, m.Partition, SeqOf(message), IngestOutcome.UnknownRun, 0,
                        $"run '{u.RunId}' has no ingest partition {m.Partition}"));
            }
            _waiting.Clear();
        });
        Common();
    }

    private static long SeqOf(object message) => message switch
    {
        IngestBatch b => b.Seq,
        IngestMatrix m => m.Seq,
        _ => -1,
    };

    /// <summary>
    /// An ingest request for a shard that is not running: finished partitions answer at once;
    /// otherwise the request waits while the shard asks its coordinator for a start.
    /// </summary>
    private void WaitForStart(object message, string runId, int partition, long seq)
    {
        if (_ledger is { Start.Ingest: true, Final: true })
        {
            if (seq >= 0)
                Sender.Tell(new IngestResult(runId, partition, seq, IngestOutcome.Closed, _ledger.AckedWatermark,
                    $"run '{runId}' is complete"));
            return;
        }
        _waiting.Add((Sender, message));
        if (_waiting.Count > 1) return;
        Coordinators.Tell(new RequestStart(runId, partition));
        Timers.StartPeriodicTimer(nameof(AskStart), AskStart.Instance, _settings.RestartPartitionsInterval);
    }

    private void Begin(StartPartition start)
    {
        Timers.Cancel(nameof(AskStart));
        _ledger = new ShardLedger(start, _ledger?.BuiltCounter);
        if (start.Resume.Final)
        {
            // Nothing left to do; waiting ingest requests learn that the run is closed.
            Retell();
            return;
        }
        _log.Info("run {0} partition {1}: starting at batch {2} of {3}", start.RunId, start.Partition, _ledger.Watermark,
            start.Assignment.Pairs.Length);
        Timers.StartPeriodicTimer("partial", SendPartial.Instance, _settings.PartialInterval);
        if (start.Ingest)
        {
            Become(Ingesting);
        }
        else
        {
            _stream = _startStream(start, Self);
            Become(Streaming);
        }
        Retell();
    }

    /// <summary>Requests that waited for the start go round again, in their order.</summary>
    private void Retell()
    {
        foreach (var (sender, message) in _waiting) Self.Tell(message, sender);
        _waiting.Clear();
    }

    // ---- file stream ----------------------------------------------------------------------

    private void Streaming()
    {
        Receive<StartPartition>(_ => { }); // idempotent: already running
        Receive<StreamInit>(_ => Sender.Tell(StreamAck.Instance));
        Receive<Batch>(OnBatch);
        Receive<StreamCompleted>(_ =>
        {
            _ledger!.Close();
            _stream = null;
            _log.Info("run {0} partition {1}: all {2} batches counted", _ledger.Start.RunId, _ledger.Start.Partition,
                _ledger.Watermark);
            SendIfNeeded();
            Become(Idle);
        });
        Receive<StreamFailed>(f => Fail(f.Error));
        Receive<StopPartition>(_ =>
        {
            StopStream();
            SendIfNeeded();
            Become(Idle);
        });
        Common();
    }

    private void OnBatch(Batch b)
    {
        LedgerStep step;
        try
        {
            step = _ledger!.CountSlice(b);
        }
        finally
        {
            Release(b);
        }
        // Acknowledged whatever became of it, once its storage is handed back (the next pair may
        // reuse it); a refused pair stops the run here, keeping every batch before it. A per-image
        // run holds the acknowledgement while its unacknowledged results are too many
        // (evaluator.per-image-max-cells-in-flight): the stream waits for the coordinator.
        if (_ledger.CellsInFlight >= _settings.PerImageMaxCellsInFlight)
        {
            _heldAck = Sender;
            SendSoon();
        }
        else
        {
            Sender.Tell(StreamAck.Instance);
        }
        if (step.Outcome == LedgerOutcome.Refused) Fail(step.Error!);
        else if (step.Outcome == LedgerOutcome.Gap)
            _log.Error("run {0} partition {1}: batch {2} arrived at watermark {3}; dropped", b.RunId, b.Partition,
                b.Seq, _ledger.Watermark);
    }

    /// <summary>
    /// A pair's label arrays are pooled or memory-mapped: hand them back after its last slice,
    /// whatever became of it (counted, duplicate, skipped, failed).
    /// </summary>
    private static void Release(Batch b)
    {
        if (!b.IsLastSlice) return;
        b.GroundTruth?.Dispose();
        b.Prediction?.Dispose();
    }

    private void Fail(string error)
    {
        var start = _ledger!.Start;
        _log.Warning("run {0} partition {1}: stopped at batch {2}: {3}", start.RunId, start.Partition, _ledger.Watermark,
            error);
        StopStream();
        SendIfNeeded();
        Coordinators.Tell(new PartitionFailed(start.RunId, start.Partition, _ledger.Watermark, error));
        Become(Idle);
    }

    private void StopStream()
    {
        _heldAck = null;
        _stream?.Shutdown();
        _stream = null;
        _ledger?.DropPair();
    }

    // ---- ingest (HTTP) --------------------------------------------------------------------

    private void Ingesting()
    {
        Receive<StartPartition>(_ => { });
        Receive<IngestBatch>(b => Reply(b.RunId, b.Partition, b.Seq,
            _ledger!.IngestLabels(b.Seq, b.GroundTruth, b.Prediction, b.Source)));
        Receive<IngestMatrix>(m => Reply(m.RunId, m.Partition, m.Seq, _ledger!.IngestMatrix(m.Seq, m.Matrix, m.Pixels)));
        Receive<CompletePartition>(_ =>
        {
            _ledger!.Close();
            SendIfNeeded();
            ReplyCommitted();
        });
        Receive<StopPartition>(_ => StopIngest());
        Common();
    }

    /// <summary>
    /// The run was cancelled or abandoned: batches not yet committed are answered "closed" (they
    /// were not counted), later ones too (the coordinator starts this partition as final).
    /// </summary>
    private void StopIngest()
    {
        var ledger = _ledger!;
        ledger.Close();
        foreach (var p in _pendingReplies)
        {
            p.Sender.Tell(new IngestResult(ledger.Start.RunId, ledger.Start.Partition, p.Seq, IngestOutcome.Closed,
                ledger.AckedWatermark, $"run '{ledger.Start.RunId}' is closed (cancelled or abandoned): batch {p.Seq} was not counted"));
        }
        _pendingReplies.Clear();
        Timers.Cancel("partial");
        Become(Idle);
    }

    /// <summary>
    /// Answers an ingest by the ledger's <paramref name="step"/>: refusals at once; counted and
    /// duplicate batches once the coordinator has persisted a watermark that covers them.
    /// </summary>
    private void Reply(string runId, int partition, long seq, LedgerStep step)
    {
        var ledger = _ledger!;
        switch (step.Outcome)
        {
            case LedgerOutcome.Closed:
                Sender.Tell(new IngestResult(runId, partition, seq, IngestOutcome.Closed, ledger.AckedWatermark, step.Error));
                return;
            case LedgerOutcome.Gap:
                Sender.Tell(new IngestResult(runId, partition, seq, IngestOutcome.Gap, ledger.Watermark, step.Error));
                return;
            case LedgerOutcome.Refused:
                Sender.Tell(new IngestResult(runId, partition, seq, IngestOutcome.Invalid, ledger.AckedWatermark, step.Error));
                return;
            case LedgerOutcome.Duplicate:
                _pendingReplies.Add((Sender, seq, IngestOutcome.Duplicate, seq + 1));
                break;
            default:
                _pendingReplies.Add((Sender, seq, IngestOutcome.Counted, ledger.Watermark));
                SendSoon();
                break;
        }
        ReplyCommitted();
    }

    /// <summary>Answers every ingest whose watermark the coordinator has persisted.</summary>
    private void ReplyCommitted()
    {
        var ledger = _ledger!;
        _pendingReplies.RemoveAll(p =>
        {
            if (p.Needed > ledger.AckedWatermark) return false;
            p.Sender.Tell(new IngestResult(ledger.Start.RunId, ledger.Start.Partition, p.Seq, p.Outcome,
                ledger.AckedWatermark, null));
            return true;
        });
    }

    // ---- partials -------------------------------------------------------------------------

    /// <summary>
    /// Timer ticks and the end of a stream: (re)sends the partial whenever the coordinator has
    /// not acknowledged everything; a lost partial is so sent again.
    /// </summary>
    private void SendIfNeeded()
    {
        if (_ledger is null) return;
        if (!_ledger.NeedsPartial)
        {
            if (_ledger.Final || (_stream is null && !_ledger.Start.Ingest)) Timers.Cancel("partial");
            return;
        }
        Coordinators.Tell(_ledger.TakePartial());
    }

    /// <summary>
    /// After an ingest: sends at once when no partial is in flight, so an idle client waits one
    /// journal write; under load the batches counted meanwhile ride on the next partial (one
    /// matrix copy and write per round trip, not per batch).
    /// </summary>
    private void SendSoon()
    {
        if (_ledger!.PartialInFlight) return;
        SendIfNeeded();
    }

    private void OnAccepted(PartialAccepted a)
    {
        if (_ledger is null) return;
        _ledger.Accept(a.Watermark, a.Final);
        if (_heldAck is not null && _ledger.CellsInFlight < _settings.PerImageMaxCellsInFlight)
        {
            _heldAck.Tell(StreamAck.Instance);
            _heldAck = null;
        }
        ReplyCommitted();
        if (_ledger is { Start.Ingest: true, Final: false }) SendSoon();
        if (_ledger.Done)
        {
            Timers.Cancel("partial");
            Context.Parent.Tell(new Passivate(PoisonPill.Instance));
        }
    }

    protected override void PostStop()
    {
        _stream?.Shutdown();
        base.PostStop();
    }
}
