using Akka.Actor;
using Akka.Event;
using Akka.Serialization;
using Evaluator.Messages.Protocol;

namespace Evaluator.Messages.Serialization;

/// <summary>
/// The one serializer of the whole protocol (every <see cref="IEvaluatorMessage"/> but the
/// node-local <see cref="ILocalMessage"/>s: messages, persisted events, snapshots). A compact
/// hand-written binary form: varints, and the sparse matrix encoding of <see cref="ConfusionMatrix.ToBytes"/>, so a 1024-class partial is
/// kilobytes, not megabytes. Written by hand (not protobuf or MessagePack) so that the value
/// types keep their validating constructors and the wire layout is explicit and versioned
/// by manifest. An unknown type or manifest is an error, never a fallback.
/// </summary>
public sealed class ProtocolSerializer(ExtendedActorSystem system) : SerializerWithStringManifest(system)
{
    public const int Id = 7311;

    public override int Identifier => Id;

    private delegate object Reader(ref WireReader r);

    /// <summary>One message type: its manifest, how it is written, how it is read back.</summary>
    private sealed record Entry(Type Type, string Manifest, Action<WireWriter, object> Write, Reader Read);

    private static Entry On<T>(string manifest, Action<WireWriter, T> write, Reader read) =>
        new(typeof(T), manifest, (w, o) => write(w, (T)o), read);

    /// <summary>
    /// The whole protocol but its <see cref="ILocalMessage"/>s, one entry a type (retired
    /// manifests: "B", "SI", "SA", "SC", "SF", the stream protocol, never persisted; "SR", "E-RS"
    /// and "S-C" are still read: see <see cref="ReadOnly"/>). Manifests
    /// and layouts are the wire format: journals hold them, so an entry's manifest and field
    /// order never change (add a new entry instead).
    /// </summary>
    private static readonly Entry[] Table =
    [
        // Cityscapes protocol (issue #13 item 4): the flag travels with StartRun/StartPartition, the
        // instance statistics with partials and snapshots; the forms before it stay readable below.
        On<StartPartition>("SP4", (w, s) =>
        {
            WriteStartPartitionV1(w, s);
            w.Bool(s.PerImage);
            w.NullableDouble(s.BoundaryDilation);
            w.Boundary(s.Resume.Boundary);
            w.Bool(s.CityscapesProtocol);
            w.Cityscapes(s.Resume.Cityscapes); // a resumed ledger goes on from the partial's statistics
        }, static (ref WireReader r) =>
        {
            var s = ReadStartPartitionV1(ref r) with { PerImage = r.Bool(), BoundaryDilation = r.NullableDouble() };
            s = s with { Resume = s.Resume with { Boundary = r.Boundary() }, CityscapesProtocol = r.Bool() };
            return s with { Resume = s.Resume with { Cityscapes = r.Cityscapes() } };
        }),
        On<PartitionPartial>("PP4", (w, p) =>
        {
            w.Partial(p);
            w.Images(p.Images);
            w.Boundary(p.Boundary);
            w.Cityscapes(p.Cityscapes);
        }, static (ref WireReader r) => r.Partial() with { Images = r.Images(), Boundary = r.Boundary(), Cityscapes = r.Cityscapes() }),
        On<StartRun>("SR5", (w, s) =>
        {
            w.Start(s);
            w.Stamps(s.Stamps);
            w.PerImage(s);
            w.NullableDouble(s.BoundaryDilation);
            w.Bool(s.CityscapesProtocol);
        }, static (ref WireReader r) => r.PerImage(r.Start() with { Stamps = r.Stamps() }) with
        {
            BoundaryDilation = r.NullableDouble(),
            CityscapesProtocol = r.Bool(),
        }),
        On<RunAccepted>("RA3", (w, a) =>
        {
            w.String(a.RunId);
            w.Bool(a.Resumed);
            w.Snapshot(a.Snapshot);
            w.Boundary(a.Snapshot.Boundary);
            w.NullableDouble(a.Snapshot.BoundaryDilation);
            w.Cityscapes(a.Snapshot.Cityscapes);
        }, static (ref WireReader r) => new RunAccepted(r.String(), r.Bool(),
            r.Snapshot() with { Boundary = r.Boundary(), BoundaryDilation = r.NullableDouble(), Cityscapes = r.Cityscapes() })),
        On<RunSnapshot>("RS3", (w, s) =>
        {
            w.Snapshot(s);
            w.Boundary(s.Boundary);
            w.NullableDouble(s.BoundaryDilation);
            w.Cityscapes(s.Cityscapes);
        }, static (ref WireReader r) =>
            r.Snapshot() with { Boundary = r.Boundary(), BoundaryDilation = r.NullableDouble(), Cityscapes = r.Cityscapes() }),
        On<RunStarted>("E-RS5", (w, e) =>
        {
            w.Start(e.Start);
            w.Stamps(e.Start.Stamps);
            w.PerImage(e.Start);
            w.NullableDouble(e.Start.BoundaryDilation);
            w.Bool(e.Start.CityscapesProtocol);
        }, static (ref WireReader r) => new RunStarted(r.PerImage(r.Start() with { Stamps = r.Stamps() }) with
        {
            BoundaryDilation = r.NullableDouble(),
            CityscapesProtocol = r.Bool(),
        })),
        On<PartialRecorded>("E-PR4", (w, e) =>
        {
            w.Partial(e.Partial);
            w.Images(e.Partial.Images);
            w.Boundary(e.Partial.Boundary);
            w.Cityscapes(e.Partial.Cityscapes);
        }, static (ref WireReader r) =>
            new PartialRecorded(r.Partial() with { Images = r.Images(), Boundary = r.Boundary(), Cityscapes = r.Cityscapes() })),
        On<CoordinatorSnapshot>("S-C5", (w, s) =>
        {
            WriteSnapshotV1(w, s);
            w.Stamps(s.Start.Stamps);
            w.PerImage(s.Start);
            w.NullableDouble(s.Start.BoundaryDilation);
            w.List(s.Partials, p => w.Boundary(p.Boundary));
            w.Bool(s.Start.CityscapesProtocol);
            w.List(s.Partials, p => w.Cityscapes(p.Cityscapes));
        }, static (ref WireReader r) =>
        {
            var s = ReadSnapshotV4(ref r);
            var start = s.Start with { CityscapesProtocol = r.Bool() };
            var stats = WireReader.ReadList(ref r, static (ref WireReader x) => x.Cityscapes());
            if (stats.Length != s.Partials.Length)
                throw new WireFormatException("coordinator snapshot", $"{stats.Length} Cityscapes statistics for {s.Partials.Length} partitions");
            return s with { Start = start, Partials = [.. s.Partials.Select((p, i) => p with { Cityscapes = stats[i] })] };
        }),
        On<StopPartition>("ST", (w, s) => w.Key(s.RunId, s.Partition), static (ref WireReader r) => new StopPartition(r.String(), r.Int())),
        On<PartialAccepted>("PA", (w, a) =>
        {
            w.Key(a.RunId, a.Partition);
            w.Var(a.Watermark);
            w.Bool(a.Final);
        }, static (ref WireReader r) => new PartialAccepted(r.String(), r.Int(), r.Var(), r.Bool())),
        On<PartitionFailed>("PF", (w, f) =>
        {
            w.Key(f.RunId, f.Partition);
            w.Var(f.Watermark);
            w.String(f.Error);
        }, static (ref WireReader r) => new PartitionFailed(r.String(), r.Int(), r.Var(), r.String())),
        On<RunRejected>("RR", (w, x) =>
        {
            w.String(x.RunId);
            w.String(x.Reason);
        }, static (ref WireReader r) => new RunRejected(r.String(), r.String())),
        On<RunInputsChanged>("RIC", (w, x) =>
        {
            w.String(x.RunId);
            w.String(x.Reason);
            w.List(x.Files, w.String);
        }, static (ref WireReader r) =>
            new RunInputsChanged(r.String(), r.String(), WireReader.ReadList(ref r, static (ref WireReader x) => x.String()))),
        On<GetSnapshot>("GS", (w, g) => w.String(g.RunId), static (ref WireReader r) => new GetSnapshot(r.String())),
        On<RunUnknown>("RU", (w, u) => w.String(u.RunId), static (ref WireReader r) => new RunUnknown(r.String())),
        On<RunFailed>("E-RF", (w, e) =>
        {
            w.Var(e.Partition);
            w.String(e.Error);
        }, static (ref WireReader r) => new RunFailed(r.Int(), r.String())),
        On<RunResumed>("E-RR", (w, e) => w.Bool(e.SkipBad), static (ref WireReader r) => new RunResumed(r.Bool())),
        On<RunRestamped>("E-RT", (w, e) => w.Stamps(e.Stamps), static (ref WireReader r) => new RunRestamped(r.Stamps())),
        On<IngestBatch>("IB", (w, b) =>
        {
            w.Key(b.RunId, b.Partition);
            w.Var(b.Seq);
            w.Labels(b.GroundTruth, 0, b.GroundTruth.Length);
            w.Labels(b.Prediction, 0, b.Prediction.Length);
            w.String(b.Source);
        }, static (ref WireReader r) => new IngestBatch(r.String(), r.Int(), r.Var(), r.Labels(), r.Labels(), r.String())),
        On<IngestMatrix>("IM", (w, m) =>
        {
            w.Key(m.RunId, m.Partition);
            w.Var(m.Seq);
            w.Matrix(m.Matrix);
            w.Pixels(m.Pixels);
        }, static (ref WireReader r) => new IngestMatrix(r.String(), r.Int(), r.Var(), r.Matrix(), r.Pixels())),
        On<IngestResult>("IR", (w, x) =>
        {
            w.Key(x.RunId, x.Partition);
            w.Var(x.Seq);
            w.Byte((byte)x.Outcome);
            w.Var(x.Watermark);
            w.NullableString(x.Error);
        }, static (ref WireReader r) =>
            new IngestResult(r.String(), r.Int(), r.Var(), (IngestOutcome)r.Byte(), r.Var(), r.NullableString())),
        On<RequestStart>("RQ", (w, q) => w.Key(q.RunId, q.Partition), static (ref WireReader r) => new RequestStart(r.String(), r.Int())),
        On<CompleteRun>("CR", (w, c) => w.String(c.RunId), static (ref WireReader r) => new CompleteRun(r.String())),
        On<CompletePartition>("CP", (w, c) => w.Key(c.RunId, c.Partition), static (ref WireReader r) => new CompletePartition(r.String(), r.Int())),
        // Run lifecycle: cancel, delete, abandon (and their events).
        On<CancelRun>("CN", (w, c) => w.String(c.RunId), static (ref WireReader r) => new CancelRun(r.String())),
        On<DeleteRun>("DR", (w, d) => w.String(d.RunId), static (ref WireReader r) => new DeleteRun(r.String())),
        On<RunDeleted>("RD", (w, d) => w.String(d.RunId), static (ref WireReader r) => new RunDeleted(r.String())),
        On<AbandonRun>("AB", (w, a) =>
        {
            w.String(a.RunId);
            w.Var(a.SequenceNr);
            w.Var(a.Idle.Ticks);
        }, static (ref WireReader r) => new AbandonRun(r.String(), r.Var(), TimeSpan.FromTicks(r.Var()))),
        On<RunCancelled>("E-RC", (w, e) => w.String(e.Reason), static (ref WireReader r) => new RunCancelled(r.String())),
        On<RunAbandoned>("E-RAB", (w, e) => w.Var(e.Idle.Ticks), static (ref WireReader r) => new RunAbandoned(TimeSpan.FromTicks(r.Var()))),
    ];

    /// <summary>
    /// Manifests no longer written but still read (journals and snapshots hold them): the forms
    /// of StartRun, RunStarted and CoordinatorSnapshot before pair stamps (they read with none),
    /// and the forms before per-image runs.
    /// </summary>
    private static readonly Entry[] ReadOnly =
    [
        // Before the Cityscapes protocol: these forms read as runs without it.
        On<StartPartition>("SP3", (w, s) =>
        {
            WriteStartPartitionV1(w, s);
            w.Bool(s.PerImage);
            w.NullableDouble(s.BoundaryDilation);
            w.Boundary(s.Resume.Boundary); // a resumed ledger goes on from the partial's sums
        }, static (ref WireReader r) =>
        {
            var s = ReadStartPartitionV1(ref r) with { PerImage = r.Bool(), BoundaryDilation = r.NullableDouble() };
            return s with { Resume = s.Resume with { Boundary = r.Boundary() } };
        }),
        On<PartitionPartial>("PP3", (w, p) =>
        {
            w.Partial(p);
            w.Images(p.Images);
            w.Boundary(p.Boundary);
        }, static (ref WireReader r) => r.Partial() with { Images = r.Images(), Boundary = r.Boundary() }),
        On<StartRun>("SR4", (w, s) =>
        {
            w.Start(s);
            w.Stamps(s.Stamps);
            w.PerImage(s);
            w.NullableDouble(s.BoundaryDilation);
        }, static (ref WireReader r) => r.PerImage(r.Start() with { Stamps = r.Stamps() }) with { BoundaryDilation = r.NullableDouble() }),
        On<RunAccepted>("RA2", (w, a) =>
        {
            w.String(a.RunId);
            w.Bool(a.Resumed);
            w.Snapshot(a.Snapshot);
            w.Boundary(a.Snapshot.Boundary);
            w.NullableDouble(a.Snapshot.BoundaryDilation);
        }, static (ref WireReader r) => new RunAccepted(r.String(), r.Bool(),
            r.Snapshot() with { Boundary = r.Boundary(), BoundaryDilation = r.NullableDouble() })),
        On<RunSnapshot>("RS2", (w, s) =>
        {
            w.Snapshot(s);
            w.Boundary(s.Boundary);
            w.NullableDouble(s.BoundaryDilation);
        }, static (ref WireReader r) => r.Snapshot() with { Boundary = r.Boundary(), BoundaryDilation = r.NullableDouble() }),
        On<RunStarted>("E-RS4", (w, e) =>
        {
            w.Start(e.Start);
            w.Stamps(e.Start.Stamps);
            w.PerImage(e.Start);
            w.NullableDouble(e.Start.BoundaryDilation);
        }, static (ref WireReader r) =>
            new RunStarted(r.PerImage(r.Start() with { Stamps = r.Stamps() }) with { BoundaryDilation = r.NullableDouble() })),
        On<PartialRecorded>("E-PR3", (w, e) =>
        {
            w.Partial(e.Partial);
            w.Images(e.Partial.Images);
            w.Boundary(e.Partial.Boundary);
        }, static (ref WireReader r) => new PartialRecorded(r.Partial() with { Images = r.Images(), Boundary = r.Boundary() })),
        On<CoordinatorSnapshot>("S-C4", (w, s) =>
        {
            WriteSnapshotV1(w, s);
            w.Stamps(s.Start.Stamps);
            w.PerImage(s.Start);
            w.NullableDouble(s.Start.BoundaryDilation);
            w.List(s.Partials, p => w.Boundary(p.Boundary));
        }, static (ref WireReader r) => ReadSnapshotV4(ref r)),
        // Before boundary IoU: these forms read as runs without boundary sums.
        On<RunAccepted>("RA", (w, a) =>
        {
            w.String(a.RunId);
            w.Bool(a.Resumed);
            w.Snapshot(a.Snapshot);
        }, static (ref WireReader r) => new RunAccepted(r.String(), r.Bool(), r.Snapshot())),
        On<StartPartition>("SP2", (w, s) =>
        {
            WriteStartPartitionV1(w, s);
            w.Bool(s.PerImage);
        }, static (ref WireReader r) => ReadStartPartitionV1(ref r) with { PerImage = r.Bool() }),
        On<PartitionPartial>("PP2", (w, p) =>
        {
            w.Partial(p);
            w.Images(p.Images);
        }, static (ref WireReader r) => r.Partial() with { Images = r.Images() }),
        On<StartRun>("SR3", (w, s) =>
        {
            w.Start(s);
            w.Stamps(s.Stamps);
            w.PerImage(s);
        }, static (ref WireReader r) => r.PerImage(r.Start() with { Stamps = r.Stamps() })),
        On<RunSnapshot>("RS", (w, s) => w.Snapshot(s), static (ref WireReader r) => r.Snapshot()),
        On<RunStarted>("E-RS3", (w, e) =>
        {
            w.Start(e.Start);
            w.Stamps(e.Start.Stamps);
            w.PerImage(e.Start);
        }, static (ref WireReader r) => new RunStarted(r.PerImage(r.Start() with { Stamps = r.Stamps() }))),
        On<PartialRecorded>("E-PR2", (w, e) =>
        {
            w.Partial(e.Partial);
            w.Images(e.Partial.Images);
        }, static (ref WireReader r) => new PartialRecorded(r.Partial() with { Images = r.Images() })),
        On<CoordinatorSnapshot>("S-C3", (w, s) =>
        {
            WriteSnapshotV1(w, s);
            w.Stamps(s.Start.Stamps);
            w.PerImage(s.Start);
        }, static (ref WireReader r) =>
        {
            var s = ReadSnapshotV2(ref r);
            return s with { Start = r.PerImage(s.Start) };
        }),
        On<StartRun>("SR", (w, s) => w.Start(s), static (ref WireReader r) => r.Start()),
        On<RunStarted>("E-RS", (w, e) => w.Start(e.Start), static (ref WireReader r) => new RunStarted(r.Start())),
        On<CoordinatorSnapshot>("S-C", WriteSnapshotV1, static (ref WireReader r) => ReadSnapshotV1(ref r)),
        // Before per-image runs: StartPartition, StartRun, RunStarted and CoordinatorSnapshot without
        // the per-image flag (they read as runs without per-image results), partials without images.
        On<StartPartition>("SP", WriteStartPartitionV1, static (ref WireReader r) => ReadStartPartitionV1(ref r)),
        On<PartitionPartial>("PP", (w, p) => w.Partial(p), static (ref WireReader r) => r.Partial()),
        On<StartRun>("SR2", (w, s) =>
        {
            w.Start(s);
            w.Stamps(s.Stamps);
        }, static (ref WireReader r) => r.Start() with { Stamps = r.Stamps() }),
        On<RunStarted>("E-RS2", (w, e) =>
        {
            w.Start(e.Start);
            w.Stamps(e.Start.Stamps);
        }, static (ref WireReader r) => new RunStarted(r.Start() with { Stamps = r.Stamps() })),
        On<PartialRecorded>("E-PR", (w, e) => w.Partial(e.Partial), static (ref WireReader r) => new PartialRecorded(r.Partial())),
        On<CoordinatorSnapshot>("S-C2", (w, s) =>
        {
            WriteSnapshotV1(w, s);
            w.Stamps(s.Start.Stamps);
        }, static (ref WireReader r) => ReadSnapshotV2(ref r)),
    ];

    /// <summary>A StartPartition as "SP" holds it (no per-image flag); "SP2" appends it.</summary>
    private static void WriteStartPartitionV1(WireWriter w, StartPartition s)
    {
        w.Key(s.RunId, s.Partition);
        w.Spec(s.Spec);
        w.Assignment(s.Assignment);
        w.Partial(s.Resume);
        w.Bool(s.SkipBad);
        w.Bool(s.Ingest);
    }

    private static StartPartition ReadStartPartitionV1(ref WireReader r) =>
        new(r.String(), r.Int(), r.Spec(), r.Assignment(), r.Partial(), r.Bool(), r.Bool());

    /// <summary>A coordinator snapshot as "S-C4" holds it (boundary IoU, no Cityscapes protocol).</summary>
    private static CoordinatorSnapshot ReadSnapshotV4(ref WireReader r)
    {
        var s = ReadSnapshotV2(ref r);
        var start = r.PerImage(s.Start) with { BoundaryDilation = r.NullableDouble() };
        var sums = WireReader.ReadList(ref r, static (ref WireReader x) => x.Boundary());
        if (sums.Length != s.Partials.Length)
            throw new WireFormatException("coordinator snapshot", $"{sums.Length} boundary sums for {s.Partials.Length} partitions");
        return s with { Start = start, Partials = [.. s.Partials.Select((p, i) => p with { Boundary = sums[i] })] };
    }

    /// <summary>A coordinator snapshot as "S-C2" holds it (pair stamps, no per-image flag).</summary>
    private static CoordinatorSnapshot ReadSnapshotV2(ref WireReader r)
    {
        var s = ReadSnapshotV1(ref r);
        return s with { Start = s.Start with { Stamps = r.Stamps() } };
    }

    /// <summary>A coordinator snapshot as "S-C" holds it (no pair stamps); "S-C2" appends them.</summary>
    private static void WriteSnapshotV1(WireWriter w, CoordinatorSnapshot s)
    {
        w.Start(s.Start);
        w.List(s.Partials, w.Partial);
        w.Byte((byte)s.Status);
        w.NullableString(s.Error);
        w.Var(s.SnapshotNumber);
    }

    private static CoordinatorSnapshot ReadSnapshotV1(ref WireReader r) => new(r.Start(),
        WireReader.ReadList(ref r, static (ref WireReader x) => x.Partial()), (RunStatus)r.Byte(), r.NullableString(), r.Var());

    // Lazy: serializers are created while the ActorSystem starts, before it can name a log source.
    private readonly Lazy<ILoggingAdapter> _log = new(() => Logging.GetLogger(system, typeof(ProtocolSerializer)));

    /// <summary>
    /// The error for a manifest this build does not read: a message or event of another release
    /// (the upgrade rule, README's Upgrades: every manifest a release writes stays readable by
    /// every later one, so only a newer node or journal can hold one).
    /// </summary>
    public static string UnknownManifest(string manifest, int length) =>
        $"ProtocolSerializer: unknown manifest '{manifest}' ({length} bytes): this node reads " +
        $"{string.Join(", ", ByManifest.Keys.Order(StringComparer.Ordinal))}. It was written by a newer release of " +
        "the evaluator (a node of the cluster or the journal): upgrade this node; releases only add manifests, so a " +
        "node reads everything an older one writes";

    private static readonly Dictionary<Type, Entry> ByType = Table.ToDictionary(e => e.Type);
    private static readonly Dictionary<string, Entry> ByManifest = Table.Concat(ReadOnly).ToDictionary(e => e.Manifest);

    /// <summary>Every type this serializer knows (tests check the protocol has no other).</summary>
    public static IReadOnlyCollection<Type> KnownTypes => ByType.Keys;

    public override string Manifest(object o) =>
        ByType.TryGetValue(o.GetType(), out var e)
            ? e.Manifest
            : throw new ArgumentException($"ProtocolSerializer has no manifest for {o.GetType().FullName}");

    public override byte[] ToBinary(object obj)
    {
        if (!ByType.TryGetValue(obj.GetType(), out var e))
            throw new ArgumentException($"ProtocolSerializer cannot serialize {obj.GetType().FullName}");
        var w = new WireWriter();
        e.Write(w, obj);
        return w.ToArray();
    }

    public override object FromBinary(byte[] bytes, string manifest)
    {
        if (!ByManifest.TryGetValue(manifest, out var e))
        {
            // Logged here as well as thrown: a journal replay or a remote message fails far from
            // where an operator looks (remoting logs the failure too, naming the sending node).
            var message = UnknownManifest(manifest, bytes.Length);
            _log.Value.Error(message);
            throw new System.Runtime.Serialization.SerializationException(message);
        }
        var r = new WireReader(bytes, $"message '{manifest}'");
        var result = e.Read(ref r);
        r.End();
        return result;
    }
}
