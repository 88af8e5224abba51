using Akka.Actor;
using Akka.Serialization;
using Evaluator.Messages.Protocol;

namespace Evaluator.Messages.Serialization;

/// <summary>
/// The one serializer of the whole protocol (every <see cref="IEvaluatorMessage"/>: messages,
/// persisted events, snapshots). A compact hand-written binary form: varints, and the sparse
/// matrix encoding of <see cref="ConfusionMatrix.ToBytes"/>, so a 1024-class partial is
/// kilobytes, not megabytes. Written by hand (not protobuf or MessagePack) so that the value
/// types keep their validating constructors and the wire layout is explicit and versioned
/// by manifest. An unknown type or manifest is an error, never a fallback.
/// </summary>
public sealed class ProtocolSerializer(ExtendedActorSystem system) : SerializerWithStringManifest(system)
{
    public const int Id = 7311;

    public override int Identifier => Id;

    private static readonly Dictionary<Type, string> Manifests = new()
    {
        [typeof(StartPartition)] = "SP",
        [typeof(Batch)] = "B",
        [typeof(StopPartition)] = "ST",
        [typeof(StreamInit)] = "SI",
        [typeof(StreamAck)] = "SA",
        [typeof(StreamCompleted)] = "SC",
        [typeof(StreamFailed)] = "SF",
        [typeof(PartitionPartial)] = "PP",
        [typeof(PartialAccepted)] = "PA",
        [typeof(PartitionFailed)] = "PF",
        [typeof(StartRun)] = "SR",
        [typeof(RunAccepted)] = "RA",
        [typeof(RunRejected)] = "RR",
        [typeof(GetSnapshot)] = "GS",
        [typeof(RunUnknown)] = "RU",
        [typeof(RunSnapshot)] = "RS",
        [typeof(RunStarted)] = "E-RS",
        [typeof(PartialRecorded)] = "E-PR",
        [typeof(RunFailed)] = "E-RF",
        [typeof(RunResumed)] = "E-RR",
        [typeof(CoordinatorSnapshot)] = "S-C",
        [typeof(IngestBatch)] = "IB",
        [typeof(IngestMatrix)] = "IM",
        [typeof(IngestResult)] = "IR",
        [typeof(RequestStart)] = "RQ",
        [typeof(CompleteRun)] = "CR",
        [typeof(CompletePartition)] = "CP",
    };

    /// <summary>Every type this serializer knows (tests check the protocol has no other).</summary>
    public static IReadOnlyCollection<Type> KnownTypes => Manifests.Keys;

    public override string Manifest(object o) =>
        Manifests.TryGetValue(o.GetType(), out var m)
            ? m
            : throw new ArgumentException($"ProtocolSerializer has no manifest for {o.GetType().FullName}");

    public override byte[] ToBinary(object obj)
    {
        var w = new WireWriter();
        switch (obj)
        {
            case StartPartition s:
                w.String(s.RunId);
                w.Var(s.Partition);
                w.Spec(s.Spec);
                w.Assignment(s.Assignment);
                w.Partial(s.Resume);
                w.Bool(s.SkipBad);
                w.Bool(s.Ingest);
                break;
            case IngestBatch b:
                w.String(b.RunId);
                w.Var(b.Partition);
                w.Var(b.Seq);
                w.Labels(b.GroundTruth, 0, b.GroundTruth.Length);
                w.Labels(b.Prediction, 0, b.Prediction.Length);
                w.String(b.Source);
                break;
            case IngestMatrix m:
                w.String(m.RunId);
                w.Var(m.Partition);
                w.Var(m.Seq);
                w.Matrix(m.Matrix);
                w.Pixels(m.Pixels);
                break;
            case IngestResult r:
                w.String(r.RunId);
                w.Var(r.Partition);
                w.Var(r.Seq);
                w.Byte((byte)r.Outcome);
                w.Var(r.Watermark);
                w.NullableString(r.Error);
                break;
            case RequestStart q:
                w.String(q.RunId);
                w.Var(q.Partition);
                break;
            case CompleteRun c:
                w.String(c.RunId);
                break;
            case CompletePartition c:
                w.String(c.RunId);
                w.Var(c.Partition);
                break;
            case Batch b:
                w.String(b.RunId);
                w.Var(b.Partition);
                w.Var(b.Seq);
                w.Var(b.Slice);
                w.Var(b.SliceCount);
                w.String(b.Source);
                w.Bool(b.GroundTruth is not null && b.Prediction is not null);
                if (b.GroundTruth is not null && b.Prediction is not null)
                {
                    w.Labels(b.GroundTruth, b.Offset, b.Length);
                    w.Labels(b.Prediction, b.Offset, b.Length);
                }
                w.Optional(b.Bad, w.Bad);
                break;
            case StopPartition s:
                w.String(s.RunId);
                w.Var(s.Partition);
                break;
            case StreamInit s:
                w.String(s.RunId);
                w.Var(s.Partition);
                break;
            case StreamAck:
                break;
            case StreamCompleted s:
                w.String(s.RunId);
                w.Var(s.Partition);
                break;
            case StreamFailed s:
                w.String(s.RunId);
                w.Var(s.Partition);
                w.String(s.Error);
                break;
            case PartitionPartial p:
                w.Partial(p);
                break;
            case PartialAccepted a:
                w.String(a.RunId);
                w.Var(a.Partition);
                w.Var(a.Watermark);
                w.Bool(a.Final);
                break;
            case PartitionFailed f:
                w.String(f.RunId);
                w.Var(f.Partition);
                w.Var(f.Watermark);
                w.String(f.Error);
                break;
            case StartRun s:
                w.Start(s);
                break;
            case RunAccepted a:
                w.String(a.RunId);
                w.Bool(a.Resumed);
                w.Snapshot(a.Snapshot);
                break;
            case RunRejected r:
                w.String(r.RunId);
                w.String(r.Reason);
                break;
            case GetSnapshot g:
                w.String(g.RunId);
                break;
            case RunUnknown u:
                w.String(u.RunId);
                break;
            case RunSnapshot s:
                w.Snapshot(s);
                break;
            case RunStarted e:
                w.Start(e.Start);
                break;
            case PartialRecorded e:
                w.Partial(e.Partial);
                break;
            case RunFailed e:
                w.Var(e.Partition);
                w.String(e.Error);
                break;
            case RunResumed e:
                w.Bool(e.SkipBad);
                break;
            case CoordinatorSnapshot s:
                w.Start(s.Start);
                w.List(s.Partials, w.Partial);
                w.Byte((byte)s.Status);
                w.NullableString(s.Error);
                w.Var(s.SnapshotNumber);
                break;
            default:
                throw new ArgumentException($"ProtocolSerializer cannot serialize {obj.GetType().FullName}");
        }
        return w.ToArray();
    }

    public override object FromBinary(byte[] bytes, string manifest)
    {
        var r = new WireReader(bytes, $"message '{manifest}'");
        object result = manifest switch
        {
            "SP" => new StartPartition(r.String(), r.Int(), r.Spec(), r.Assignment(), r.Partial(), r.Bool(), r.Bool()),
            "IB" => new IngestBatch(r.String(), r.Int(), r.Var(), r.Labels(), r.Labels(), r.String()),
            "IM" => new IngestMatrix(r.String(), r.Int(), r.Var(), r.Matrix(), r.Pixels()),
            "IR" => new IngestResult(r.String(), r.Int(), r.Var(), (IngestOutcome)r.Byte(), r.Var(), r.NullableString()),
            "RQ" => new RequestStart(r.String(), r.Int()),
            "CR" => new CompleteRun(r.String()),
            "CP" => new CompletePartition(r.String(), r.Int()),
            "B" => ReadBatch(ref r),
            "ST" => new StopPartition(r.String(), r.Int()),
            "SI" => new StreamInit(r.String(), r.Int()),
            "SA" => StreamAck.Instance,
            "SC" => new StreamCompleted(r.String(), r.Int()),
            "SF" => new StreamFailed(r.String(), r.Int(), r.String()),
            "PP" => r.Partial(),
            "PA" => new PartialAccepted(r.String(), r.Int(), r.Var(), r.Bool()),
            "PF" => new PartitionFailed(r.String(), r.Int(), r.Var(), r.String()),
            "SR" => r.Start(),
            "RA" => new RunAccepted(r.String(), r.Bool(), r.Snapshot()),
            "RR" => new RunRejected(r.String(), r.String()),
            "GS" => new GetSnapshot(r.String()),
            "RU" => new RunUnknown(r.String()),
            "RS" => r.Snapshot(),
            "E-RS" => new RunStarted(r.Start()),
            "E-PR" => new PartialRecorded(r.Partial()),
            "E-RF" => new RunFailed(r.Int(), r.String()),
            "E-RR" => new RunResumed(r.Bool()),
            "S-C" => new CoordinatorSnapshot(r.Start(), WireReader.ReadList(ref r, static (ref WireReader x) => x.Partial()),
                (RunStatus)r.Byte(), r.NullableString(), r.Var()),
            _ => throw new System.Runtime.Serialization.SerializationException(
                $"ProtocolSerializer: unknown manifest '{manifest}'"),
        };
        r.End();
        return result;
    }

    private static Batch ReadBatch(ref WireReader r)
    {
        var runId = r.String();
        var partition = r.Int();
        var seq = r.Var();
        var slice = r.Int();
        var sliceCount = r.Int();
        var source = r.String();
        LabelArray? gt = null, pred = null;
        if (r.Bool())
        {
            gt = r.Labels();
            pred = r.Labels();
        }
        BadPair? bad = r.Bool() ? r.Bad() : null;
        return new Batch(runId, partition, seq, slice, sliceCount, source, gt, pred, 0, gt?.Length ?? 0, bad);
    }
}
