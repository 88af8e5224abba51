using System.Numerics;
using Akka.Actor;
using Evaluator.Messages;
using Evaluator.Messages.Cityscapes;
using Evaluator.Messages.Protocol;
using Evaluator.Messages.Serialization;

namespace Evaluator.Tests.Serialization;

/// <summary>The manifests the Cityscapes protocol added, and that the boundary IoU forms written before them still read.</summary>
public sealed class CityscapesSerializationTests(SerializationSystem fixture) : IClassFixture<SerializationSystem>
{
    private readonly ActorSystem _system = fixture.System;
    private readonly ProtocolSerializer _serializer = fixture.Serializer;

    private static readonly RunSpec Spec = CityscapesLabels.Spec();

    private static readonly PartitionAssignment Assignment = new(0, [new FilePair("/gt/a_1_2_gtFine_labelIds.png", "/pred/a_1_2.png")], 4096, null);

    /// <summary>Statistics with large, tiny and subnormal exact sums (the wire form must keep every bit).</summary>
    private static readonly CityscapesInstanceStats Stats = CityscapesInstanceStats.Zero.Add(CityscapesScores.OfImage(
        [new CityscapesInstance(26001, 7, 3, 5), new CityscapesInstance(24003, 1_000_000, 999_999, 1_000_000), new CityscapesInstance(33002, 3, 0, 1)],
        "test")) with
    {
        ClassFnWeighted = CityscapesInstanceStats.Zero.ClassFnWeighted.SetItem(7, ExactSum.Zero.Add(double.Epsilon).Add(1e300)),
    };

    private static readonly PartitionPartial Partial = new("r", 0, 2, new ConfusionMatrix(CityscapesLabels.NumIds), new PixelCounts(9, 0, 0), [], false)
    {
        Boundary = BoundaryCounts.Zero(CityscapesLabels.NumIds),
        Cityscapes = Stats,
    };

    private static readonly StartRun Start = new("r", Spec, [Assignment], 100, "fp", false, Stamps: [new PairStamp(1, 2, 3, 4)])
    {
        CityscapesProtocol = true,
        BoundaryDilation = 0.02,
    };

    private static readonly RunSnapshot Snapshot = new("r", 7, DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000), Spec,
        Partial.Matrix, Partial.Pixels, 100, [new PartitionProgress(0, 2, 1, 10, false)], [], RunStatus.Running, null)
    {
        Cityscapes = Stats,
    };

    private static readonly IEvaluatorMessage[] All =
    [
        Partial,
        new PartialRecorded(Partial),
        Start,
        new RunStarted(Start),
        new StartPartition("r", 0, Spec, Assignment, Partial, true) { CityscapesProtocol = true },
        new CoordinatorSnapshot(Start, [Partial, Partial with { Partition = 1, Cityscapes = null }], RunStatus.Running, null, 3),
        Snapshot,
        new RunAccepted("r", true, Snapshot),
    ];

    public static TheoryData<IEvaluatorMessage> Messages() => [.. All];

    [Theory]
    [MemberData(nameof(Messages))]
    public void Cityscapes_messages_round_trip_bit_for_bit(IEvaluatorMessage message)
    {
        Assert.IsType<ProtocolSerializer>(_system.Serialization.FindSerializerFor(message));
        var bytes = _serializer.ToBinary(message);
        var back = _serializer.FromBinary(bytes, _serializer.Manifest(message));
        Assert.Equal(message, back);
        Assert.Equal(bytes, _serializer.ToBinary(back));
    }

    [Fact]
    public void The_changed_records_have_new_manifests()
    {
        Assert.Equal(["PP4", "E-PR4", "SR5", "E-RS5", "SP4", "S-C5", "RS3", "RA3"], All.Select(_serializer.Manifest));
    }

    [Fact]
    public void Equality_sees_the_flag_and_every_exact_bit()
    {
        Assert.NotEqual(Start, Start with { CityscapesProtocol = false });
        var oneUnitMore = Stats with { ClassTpWeighted = Stats.ClassTpWeighted.SetItem(26, ExactSum.FromUnits(Stats.ClassTpWeighted[26].Units + 1)) };
        Assert.NotEqual(Partial, Partial with { Cityscapes = oneUnitMore });
        Assert.NotEqual(Snapshot, Snapshot with { Cityscapes = null });
    }

    [Fact]
    public void Boundary_manifests_written_before_the_protocol_still_read_as_runs_without_it()
    {
        var plain = Start with { CityscapesProtocol = false };
        var bare = Partial with { Cityscapes = null };
        Assert.Equal(plain, _serializer.FromBinary(Bytes(w =>
        {
            w.Start(plain);
            w.Stamps(plain.Stamps);
            w.PerImage(plain);
            w.NullableDouble(plain.BoundaryDilation);
        }), "SR4"));
        Assert.Equal(bare, _serializer.FromBinary(Bytes(w =>
        {
            w.Partial(bare);
            w.Images(bare.Images);
            w.Boundary(bare.Boundary);
        }), "PP3"));
        var oldSnapshot = Snapshot with { Cityscapes = null };
        Assert.Equal(oldSnapshot, _serializer.FromBinary(Bytes(w =>
        {
            w.Snapshot(oldSnapshot);
            w.Boundary(oldSnapshot.Boundary);
            w.NullableDouble(oldSnapshot.BoundaryDilation);
        }), "RS2"));
        var coordinator = new CoordinatorSnapshot(plain, [bare], RunStatus.Completed, null, 4);
        Assert.Equal(coordinator, _serializer.FromBinary(Bytes(w =>
        {
            w.Start(plain);
            w.List(coordinator.Partials, w.Partial);
            w.Byte((byte)coordinator.Status);
            w.NullableString(coordinator.Error);
            w.Var(coordinator.SnapshotNumber);
            w.Stamps(plain.Stamps);
            w.PerImage(plain);
            w.NullableDouble(plain.BoundaryDilation);
            w.List(coordinator.Partials, p => w.Boundary(p.Boundary));
        }), "S-C4"));
    }

    [Fact]
    public void Statistics_of_the_wrong_shape_are_a_wire_format_error()
    {
        var bytes = Bytes(w =>
        {
            w.Partial(Partial);
            w.Images([]);
            w.Boundary(null);
            w.Bool(true);
            for (var i = 0; i < 4; i++) w.List(new long[] { 1, 2 }, w.Var);
            for (var i = 0; i < 4; i++) w.List(new[] { BigInteger.One }, b => w.Bytes(b.ToByteArray(true, false)));
        });
        Assert.Throws<WireFormatException>(() => _serializer.FromBinary(bytes, "PP4"));
    }

    private static byte[] Bytes(Action<WireWriter> write)
    {
        var w = new WireWriter();
        write(w);
        return w.ToArray();
    }
}
