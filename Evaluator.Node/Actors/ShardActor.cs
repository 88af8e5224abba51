using System.Collections.Immutable;
using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.Event;
using Akka.Streams;
using Evaluator.Messages;
using Evaluator.Messages.Protocol;
using Evaluator.Node.Kernel;
using Evaluator.Node.Runtime;
using Evaluator.Node.Streams;

namespace Evaluator.Node.Actors;

/// <summary>
/// One partition of one run: owns <c>(watermark, int64 matrix)</c>, where the matrix holds
/// exactly batches [0, watermark). Drives its partition's stream locally (files are read
/// where the shard lives) and receives its batches with acknowledgement; sends its
/// cumulative partial to the coordinator on an interval and at the end, until acknowledged.
/// On (re)start it resumes from the coordinator's partial, so a batch is counted once.
/// </summary>
public sealed class ShardActor : ReceiveActor, IWithTimers
{
    private sealed record SendPartial
    {
        public static SendPartial Instance { get; } = new();
    }

    private readonly EvaluatorSettings _settings;
    private readonly Func<StartPartition, IActorRef, UniqueKillSwitch> _startStream;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly IActorRef _coordinators;

    private StartPartition? _start;
    private ConfusionCounter? _counter;
    private ConfusionMatrix _matrix = null!;
    private PixelCounts _pixels;
    private long _watermark;
    private ImmutableArray<BadPair> _badPairs = [];
    private bool _final;
    private long _ackedWatermark = -1;
    private long _sentWatermark = -1;
    private bool _ackedFinal;

    // A pair that arrives in several slices is counted into a scratch matrix first and
    // committed with its last slice, so a bad slice never leaves half a pair counted.
    private ConfusionMatrix? _pairMatrix;
    private PixelCounts _pairPixels;
    private UniqueKillSwitch? _stream;

    // Ingest (HTTP): requests that wait for a start, and replies that wait for the coordinator to
    // persist the watermark they report (so a client never sees a watermark that could be lost).
    private readonly List<(IActorRef Sender, object Message)> _waiting = [];
    private readonly List<(IActorRef Sender, long Seq, IngestOutcome Outcome, long Needed)> _pendingReplies = [];

    public ShardActor(EvaluatorSettings settings, IActorRef coordinators,
        Func<StartPartition, IActorRef, UniqueKillSwitch> startStream)
    {
        _settings = settings;
        _coordinators = coordinators;
        _startStream = startStream;
        Idle();
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(EvaluatorSettings settings, IActorRef coordinators, Func<StartPartition, IActorRef, UniqueKillSwitch> startStream) =>
        Akka.Actor.Props.Create(() => new ShardActor(settings, coordinators, startStream));

    /// <summary>Production wiring: streams decode files on this node.</summary>
    public static Props Props(EvaluatorSettings settings, IActorRef coordinators, IMaterializer materializer) =>
        Props(settings, coordinators, (start, self) => PartitionSource.Run(start, settings, self, materializer));

    private void Idle()
    {
        Receive<StartPartition>(Begin);
        Receive<StopPartition>(_ => { });
        Receive<PartialAccepted>(OnAccepted);
        Receive<SendPartial>(_ => SendIfNeeded());
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
        Receive<RunUnknown>(u =>
        {
            foreach (var (sender, message) in _waiting)
            {
                if (message is IPartitionMessage m and (IngestBatch or IngestMatrix))
                    sender.Tell(new IngestResult(m.RunId, m.Partition, SeqOf(message), IngestOutcome.UnknownRun, 0,
                        $"run '{u.RunId}' has no ingest partition {m.Partition}"));
            }
            _waiting.Clear();
        });
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
        if (_start is { Ingest: true } && _final)
        {
            if (seq >= 0)
                Sender.Tell(new IngestResult(runId, partition, seq, IngestOutcome.Closed, _ackedWatermark,
                    $"run '{runId}' is complete"));
            return;
        }
        _waiting.Add((Sender, message));
        if (_waiting.Count == 1) _coordinators.Tell(new RequestStart(runId, partition));
    }

    private void Ingesting()
    {
        Receive<StartPartition>(_ => { });
        Receive<IngestBatch>(b => Ingest(b.RunId, b.Partition, b.Seq,
            () => LabelCounting.Count(_counter!, b.GroundTruth, b.Prediction, _matrix, b.Source)));
        Receive<IngestMatrix>(m => Ingest(m.RunId, m.Partition, m.Seq, () =>
        {
            if (m.Matrix.NumClasses != _matrix.NumClasses)
                throw new InvalidRunSpecException($"a {m.Matrix.NumClasses}-class matrix for a {_matrix.NumClasses}-class run");
            if (m.Pixels.Counted != m.Matrix.Total)
                throw new InvalidRunSpecException($"counted pixels {m.Pixels.Counted} differ from the matrix total {m.Matrix.Total}");
            _matrix.Merge(m.Matrix);
            return m.Pixels;
        }));
        Receive<CompletePartition>(_ =>
        {
            _final = true;
            SendIfNeeded();
            ReplyCommitted();
        });
        Receive<PartialAccepted>(OnAccepted);
        Receive<SendPartial>(_ => SendIfNeeded());
        Receive<StopPartition>(_ => { });
    }

    private void Ingest(string runId, int partition, long seq, Func<PixelCounts> count)
    {
        if (_final)
        {
            Sender.Tell(new IngestResult(runId, partition, seq, IngestOutcome.Closed, _ackedWatermark, $"run '{runId}' is complete"));
            return;
        }
        if (seq < _watermark)
        {
            _pendingReplies.Add((Sender, seq, IngestOutcome.Duplicate, seq + 1));
        }
        else if (seq > _watermark)
        {
            Sender.Tell(new IngestResult(runId, partition, seq, IngestOutcome.Gap, _watermark,
                $"batch {seq} is ahead: the next expected batch of partition {partition} is {_watermark}"));
            return;
        }
        else
        {
            try
            {
                _pixels += count();
            }
            catch (EvaluatorException e)
            {
                Sender.Tell(new IngestResult(runId, partition, seq, IngestOutcome.Invalid, _ackedWatermark, e.Message));
                return;
            }
            _watermark++;
            _pendingReplies.Add((Sender, seq, IngestOutcome.Counted, _watermark));
            SendSoon();
        }
        ReplyCommitted();
    }

    /// <summary>Answers every ingest whose watermark the coordinator has persisted.</summary>
    private void ReplyCommitted()
    {
        _pendingReplies.RemoveAll(p =>
        {
            if (p.Needed > _ackedWatermark) return false;
            p.Sender.Tell(new IngestResult(_start!.RunId, _start.Partition, p.Seq, p.Outcome, _ackedWatermark, null));
            return true;
        });
    }

    private void Running()
    {
        Receive<StartPartition>(_ => { }); // idempotent: already running
        Receive<StreamInit>(_ => Sender.Tell(StreamAck.Instance));
        Receive<Batch>(OnBatch);
        Receive<StreamCompleted>(_ =>
        {
            _final = true;
            _stream = null;
            _log.Info("run {0} partition {1}: all {2} batches counted", _start!.RunId, _start.Partition, _watermark);
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
        Receive<PartialAccepted>(OnAccepted);
        Receive<SendPartial>(_ => SendIfNeeded());
    }

    private void Begin(StartPartition start)
    {
        if (start.Resume.Final)
        {
            // Nothing left to do; waiting ingest requests learn that the run is closed.
            _start = start;
            _final = true;
            _ackedWatermark = start.Resume.Watermark;
            Retell();
            return;
        }
        _start = start;
        _counter = _counter is not null && _counter.Spec.Equals(start.Spec) ? _counter : new ConfusionCounter(start.Spec);
        _matrix = start.Resume.Matrix.Clone();
        _pixels = start.Resume.Pixels;
        _watermark = start.Resume.Watermark;
        _badPairs = start.Resume.BadPairs;
        _final = false;
        _ackedWatermark = start.Resume.Watermark;
        _sentWatermark = start.Resume.Watermark;
        _ackedFinal = false;
        _pairMatrix = null;
        _log.Info("run {0} partition {1}: starting at batch {2} of {3}", start.RunId, start.Partition, _watermark,
            start.Assignment.Pairs.Length);
        Timers.StartPeriodicTimer("partial", SendPartial.Instance, _settings.PartialInterval);
        if (start.Ingest)
        {
            Become(Ingesting);
        }
        else
        {
            _stream = _startStream(start, Self);
            Become(Running);
        }
        Retell();
    }

    /// <summary>Requests that waited for the start go round again, in their order.</summary>
    private void Retell()
    {
        foreach (var (sender, message) in _waiting) Self.Tell(message, sender);
        _waiting.Clear();
    }

    private void OnBatch(Batch b)
    {
        try
        {
            OnBatchCounted(b);
        }
        finally
        {
            Release(b);
        }
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

    private void OnBatchCounted(Batch b)
    {
        if (b.Seq == _watermark)
        {
            if (b.Bad is { } unreadable && !_start!.SkipBad)
            {
                // Every batch before it is counted: the run stops here, keeping them.
                Sender.Tell(StreamAck.Instance);
                Fail(unreadable.Error);
                return;
            }
            try
            {
                Count(b);
            }
            catch (EvaluatorException e) when (_start!.SkipBad)
            {
                // Record the pair as bad and skip it whole: later slices of it are now stale.
                var pair = PairOf(b);
                _badPairs = _badPairs.Add(new BadPair(pair.GroundTruth, pair.Prediction, e.Message));
                _pairMatrix = null;
                _watermark++;
            }
            catch (EvaluatorException e)
            {
                Sender.Tell(StreamAck.Instance);
                Fail(e.Message);
                return;
            }
        }
        else if (b.Seq > _watermark)
        {
            _log.Error("run {0} partition {1}: batch {2} arrived at watermark {3}; dropped", b.RunId, b.Partition, b.Seq, _watermark);
        }
        // b.Seq < watermark: a duplicate, already counted.
        Sender.Tell(StreamAck.Instance);
    }

    /// <summary>Batch n of a partition is its n-th pair.</summary>
    private FilePair PairOf(Batch b) =>
        b.Seq < _start!.Assignment.Pairs.Length ? _start.Assignment.Pairs[(int)b.Seq] : new FilePair(b.Source, "");

    private void Count(Batch b)
    {
        if (b.Bad is { } bad)
        {
            _badPairs = _badPairs.Add(bad);
            _pairMatrix = null;
            _watermark++;
            return;
        }
        var gt = b.GroundTruth!;
        var pred = b.Prediction!;
        if (b.SliceCount == 1)
        {
            _pixels += LabelCounting.Count(_counter!, gt, pred, b.Offset, b.Length, _matrix, b.Source);
            _watermark++;
            return;
        }
        if (b.Slice == 0)
        {
            _pairMatrix ??= new ConfusionMatrix(_matrix.NumClasses);
            _pairMatrix.Clear();
            _pairPixels = PixelCounts.Zero;
        }
        if (_pairMatrix is null) return; // a slice of a pair already skipped
        _pairPixels += LabelCounting.Count(_counter!, gt, pred, b.Offset, b.Length, _pairMatrix, b.Source);
        if (!b.IsLastSlice) return;
        _matrix.Merge(_pairMatrix);
        _pixels += _pairPixels;
        _watermark++;
    }

    private void Fail(string error)
    {
        _log.Warning("run {0} partition {1}: stopped at batch {2}: {3}", _start!.RunId, _start.Partition, _watermark, error);
        StopStream();
        SendIfNeeded();
        _coordinators.Tell(new PartitionFailed(_start.RunId, _start.Partition, _watermark, error));
        Become(Idle);
    }

    private void StopStream()
    {
        _stream?.Shutdown();
        _stream = null;
        _pairMatrix = null;
    }

    /// <summary>
    /// Timer ticks and the end of a stream: (re)sends the partial whenever the coordinator has
    /// not acknowledged everything; a lost partial is so sent again.
    /// </summary>
    private void SendIfNeeded()
    {
        if (_start is null) return;
        if (_watermark <= _ackedWatermark && (!_final || _ackedFinal))
        {
            if (_final || (_stream is null && !_start.Ingest)) Timers.Cancel("partial");
            return;
        }
        _sentWatermark = _watermark;
        _coordinators.Tell(new PartitionPartial(_start.RunId, _start.Partition, _watermark, _matrix.Clone(), _pixels,
            _badPairs, _final));
    }

    /// <summary>
    /// After an ingest: sends at once when no partial is in flight, so an idle client waits one
    /// journal write; under load the batches counted meanwhile ride on the next partial (one
    /// matrix copy and write per round trip, not per batch).
    /// </summary>
    private void SendSoon()
    {
        if (_sentWatermark > _ackedWatermark) return;
        SendIfNeeded();
    }

    private void OnAccepted(PartialAccepted a)
    {
        if (a.Watermark >= _ackedWatermark) _ackedWatermark = a.Watermark;
        if (a.Final) _ackedFinal = true;
        ReplyCommitted();
        if (_start is { Ingest: true } && !_final) SendSoon();
        if (_final && _ackedFinal)
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
