using Akka.Actor;
using Evaluator.Messages;
using Evaluator.Messages.Protocol;
using Evaluator.Messages.Serialization;

namespace Evaluator.Tests.Serialization;

/// <summary>The manifests per-image runs added, and that what was written before them still reads.</summary>
public sealed class PerImageSerializationTests(SerializationSystem fixture) : IClassFixture<SerializationSystem>
{
    private readonly ActorSystem _system = fixture.System;
    private readonly ProtocolSerializer _serializer = fixture.Serializer;

    private static readonly RunSpec Spec = new(4, ignoreLabels: [255]);

    private static readonly PartitionAssignment Assignment = new(0, [new FilePair("/gt/a.png", "/pred/a.png")], 4096, null);

    private static readonly PartitionPartial Partial = new("r", 0, 3, ConfusionMatrix.FromRows([[5, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, long.MaxValue - 9]]),
        new PixelCounts(long.MaxValue - 4, 2, 0), [new BadPair("/gt/b.png", "", "missing")], false)
    {
        Images = [new ImageResult(0, [new MatrixCell(0, 0, 5)], new PixelCounts(5, 2, 0)),
            new ImageResult(2, [new MatrixCell(3, 3, long.MaxValue - 9)], new PixelCounts(long.MaxValue - 9, 0, 0))],
    };

    private static readonly StartRun Start = new("r", Spec, [Assignment], 100, "fp", false,
        Stamps: [new PairStamp(1, 2, 3, 4)], PerImage: true)
    {
        GroundTruthRoot = "/data/gt",
        PredictionRoot = "/data/pred",
    };

    public static TheoryData<IEvaluatorMessage> Messages() => [.. All];

    private static readonly IEvaluatorMessage[] All =
    [
        Partial,
        new PartialRecorded(Partial),
        Start,
        new RunStarted(Start),
        new StartPartition("r", 0, Spec, Assignment, Partial with { Images = [] }, true, PerImage: true),
        new CoordinatorSnapshot(Start, [Partial with { Images = [] }], RunStatus.Running, null, 3),
    ];

    [Theory]
    [MemberData(nameof(Messages))]
    public void Per_image_messages_round_trip_with_their_flag_and_rows(IEvaluatorMessage message)
    {
        Assert.IsType<ProtocolSerializer>(_system.Serialization.FindSerializerFor(message));
        var back = _serializer.FromBinary(_serializer.ToBinary(message), _serializer.Manifest(message));
        Assert.Equal(message, back);
    }

    [Fact]
    public void The_changed_records_have_new_manifests()
    {
        // Since written under the Cityscapes protocol manifests (CityscapesSerializationTests), which append to these.
        Assert.Equal(["PP4", "E-PR4", "SR5", "E-RS5", "SP4", "S-C5"],
            All.Select(_serializer.Manifest));
    }

    [Fact]
    public void Manifests_written_before_per_image_runs_still_read_as_runs_without_it()
    {
        var plain = Start with { PerImage = false, GroundTruthRoot = "", PredictionRoot = "" };
        var w = new WireWriter();
        w.Start(plain);
        w.Stamps(plain.Stamps);
        var startBytes = w.ToArray();
        Assert.Equal(plain, _serializer.FromBinary(startBytes, "SR2"));
        Assert.Equal(new RunStarted(plain), _serializer.FromBinary(startBytes, "E-RS2"));

        var bare = Partial with { Images = [] };
        w = new WireWriter();
        w.Partial(bare);
        Assert.Equal(bare, _serializer.FromBinary(w.ToArray(), "PP"));
        Assert.Equal(new PartialRecorded(bare), _serializer.FromBinary(w.ToArray(), "E-PR"));

        var snapshot = new CoordinatorSnapshot(plain, [bare], RunStatus.Completed, null, 4);
        w = new WireWriter();
        w.Start(plain);
        w.List(snapshot.Partials, w.Partial);
        w.Byte((byte)snapshot.Status);
        w.NullableString(snapshot.Error);
        w.Var(snapshot.SnapshotNumber);
        w.Stamps(plain.Stamps);
        Assert.Equal(snapshot, _serializer.FromBinary(w.ToArray(), "S-C2"));

        var start = new StartPartition("r", 0, Spec, Assignment, bare, true, Ingest: false);
        w = new WireWriter();
        w.Key("r", 0);
        w.Spec(Spec);
        w.Assignment(Assignment);
        w.Partial(bare);
        w.Bool(true);
        w.Bool(false);
        Assert.Equal(start, _serializer.FromBinary(w.ToArray(), "SP"));
    }
}
