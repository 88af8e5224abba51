using Akka.Actor;
using Evaluator.Messages;
using Evaluator.Messages.Protocol;
using Evaluator.Messages.Serialization;

namespace Evaluator.Tests.Serialization;

/// <summary>The manifests boundary IoU added, and that the per-image forms written before them still read.</summary>
public sealed class BoundarySerializationTests(SerializationSystem fixture) : IClassFixture<SerializationSystem>
{
    private readonly ActorSystem _system = fixture.System;
    private readonly ProtocolSerializer _serializer = fixture.Serializer;

    private static readonly RunSpec Spec = new(3, ignoreLabels: [255]);

    private static readonly PartitionAssignment Assignment = new(0, [new FilePair("/gt/a.png", "/pred/a.png")], 4096, null);

    private static readonly BoundaryCounts Sums = new([4, 0, long.MaxValue - 1], [9, 0, long.MaxValue]);

    private static readonly PartitionPartial Partial = new("r", 0, 2, ConfusionMatrix.FromRows([[5, 0, 0], [0, 4, 0], [0, 0, 0]]),
        new PixelCounts(9, 1, 0), [], false)
    {
        Images = [new ImageResult(1, [new MatrixCell(1, 1, 4)], new PixelCounts(4, 0, 0))],
        Boundary = Sums,
    };

    private static readonly StartRun Start = new("r", Spec, [Assignment], 100, "fp", false,
        Stamps: [new PairStamp(1, 2, 3, 4)], PerImage: true)
    {
        GroundTruthRoot = "/data/gt",
        PredictionRoot = "/data/pred",
        BoundaryDilation = 0.02,
    };

    private static readonly RunSnapshot Snapshot = new("r", 7, DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000), Spec,
        Partial.Matrix, Partial.Pixels, 100, [new PartitionProgress(0, 2, 1, 10, false)], [], RunStatus.Running, null)
    {
        Boundary = Sums,
        BoundaryDilation = 0.02,
    };

    private static readonly IEvaluatorMessage[] All =
    [
        Partial,
        new PartialRecorded(Partial),
        Start,
        new RunStarted(Start),
        new StartPartition("r", 0, Spec, Assignment, Partial with { Images = [] }, true, PerImage: true) { BoundaryDilation = 0.02 },
        new CoordinatorSnapshot(Start, [Partial with { Images = [] }, Partial with { Partition = 1, Images = [], Boundary = null }],
            RunStatus.Running, null, 3),
        Snapshot,
        new RunAccepted("r", true, Snapshot),
    ];

    public static TheoryData<IEvaluatorMessage> Messages() => [.. All];

    [Theory]
    [MemberData(nameof(Messages))]
    public void Boundary_messages_round_trip_with_dilation_and_sums(IEvaluatorMessage message)
    {
        Assert.IsType<ProtocolSerializer>(_system.Serialization.FindSerializerFor(message));
        var back = _serializer.FromBinary(_serializer.ToBinary(message), _serializer.Manifest(message));
        Assert.Equal(message, back);
    }

    [Fact]
    public void The_changed_records_have_new_manifests()
    {
        // Since written under the Cityscapes protocol manifests (CityscapesSerializationTests), which append to these.
        Assert.Equal(["PP4", "E-PR4", "SR5", "E-RS5", "SP4", "S-C5", "RS3", "RA3"], All.Select(_serializer.Manifest));
    }

    [Fact]
    public void Equality_sees_the_dilation_and_the_sums()
    {
        Assert.NotEqual(Start, Start with { BoundaryDilation = 0.03 });
        Assert.NotEqual(Partial, Partial with { Boundary = Sums with { Union = [9, 1, long.MaxValue] } });
        Assert.NotEqual(Snapshot, Snapshot with { Boundary = null });
    }

    [Fact]
    public void Per_image_manifests_written_before_boundary_iou_still_read_as_runs_without_it()
    {
        var plain = Start with { BoundaryDilation = null };
        var bare = Partial with { Boundary = null };
        Assert.Equal(plain, _serializer.FromBinary(Bytes(w => { w.Start(plain); w.Stamps(plain.Stamps); w.PerImage(plain); }), "SR3"));
        Assert.Equal(new RunStarted(plain),
            _serializer.FromBinary(Bytes(w => { w.Start(plain); w.Stamps(plain.Stamps); w.PerImage(plain); }), "E-RS3"));
        Assert.Equal(bare, _serializer.FromBinary(Bytes(w => { w.Partial(bare); w.Images(bare.Images); }), "PP2"));
        Assert.Equal(new PartialRecorded(bare), _serializer.FromBinary(Bytes(w => { w.Partial(bare); w.Images(bare.Images); }), "E-PR2"));
        var oldSnapshot = Snapshot with { Boundary = null, BoundaryDilation = null };
        Assert.Equal(oldSnapshot, _serializer.FromBinary(Bytes(w => w.Snapshot(oldSnapshot)), "RS"));
        Assert.Equal(new RunAccepted("r", false, oldSnapshot),
            _serializer.FromBinary(Bytes(w => { w.String("r"); w.Bool(false); w.Snapshot(oldSnapshot); }), "RA"));
        var noImages = bare with { Images = [] };
        var coordinator = new CoordinatorSnapshot(plain, [noImages], RunStatus.Completed, null, 4);
        Assert.Equal(coordinator, _serializer.FromBinary(Bytes(w =>
        {
            w.Start(plain);
            w.List(coordinator.Partials, w.Partial);
            w.Byte((byte)coordinator.Status);
            w.NullableString(coordinator.Error);
            w.Var(coordinator.SnapshotNumber);
            w.Stamps(plain.Stamps);
            w.PerImage(plain);
        }), "S-C3"));
        var sp = new StartPartition("r", 0, Spec, Assignment, noImages, true, PerImage: true);
        Assert.Equal(sp, _serializer.FromBinary(Bytes(w =>
        {
            w.Key("r", 0);
            w.Spec(Spec);
            w.Assignment(Assignment);
            w.Partial(noImages);
            w.Bool(true);
            w.Bool(false);
            w.Bool(true);
        }), "SP2"));
    }

    [Fact]
    public void Boundary_sums_of_unequal_lengths_are_a_wire_format_error()
    {
        var bytes = Bytes(w =>
        {
            w.Partial(Partial);
            w.Images([]);
            w.Bool(true);
            w.List(new long[] { 1, 2 }, w.Var);
            w.List(new long[] { 1 }, w.Var);
        });
        Assert.Throws<WireFormatException>(() => _serializer.FromBinary(bytes, "PP3"));
    }

    private static byte[] Bytes(Action<WireWriter> write)
    {
        var w = new WireWriter();
        write(w);
        return w.ToArray();
    }
}
