using System.Collections.Immutable;
using Akka.Actor;
using Evaluator.Messages;
using Evaluator.Messages.Protocol;
using Evaluator.Messages.Serialization;
using Evaluator.Node.Runtime;

namespace Evaluator.Tests.Serialization;

/// <summary>One ActorSystem with the node's real HOCON (bindings, allow-unregistered-types = off).</summary>
public sealed class SerializationSystem : IDisposable
{
    public SerializationSystem()
    {
        System = ActorSystem.Create("serialization", NodeConfig.Load(environment: _ => null));
        Serializer = new ProtocolSerializer((ExtendedActorSystem)System);
    }

    public ActorSystem System { get; }
    public ProtocolSerializer Serializer { get; }

    public void Dispose() => System.Terminate().Wait(TimeSpan.FromSeconds(10));
}

public sealed class ProtocolSerializerTests(SerializationSystem fixture) : IClassFixture<SerializationSystem>
{
    private readonly ActorSystem _system = fixture.System;
    private readonly ProtocolSerializer _serializer = fixture.Serializer;

    private static readonly RunSpec Spec = new(19, ClassCategory.CityscapesClassNames, [255, -1], LabelMap.Cityscapes,
        mapPredictions: true, OutOfRangePolicy.Ignore, [0, 5, 7], ClassCategory.Cityscapes, beta: 0.5);

    private static ConfusionMatrix Matrix(int c, int seed)
    {
        var rng = new Random(seed);
        var m = new ConfusionMatrix(c);
        for (var i = 0; i < c * 3; i++) m.Add(rng.Next(c), rng.Next(c), rng.NextInt64(1, long.MaxValue / (c * 4)));
        return m;
    }

    private static readonly PartitionAssignment Assignment = new(1,
        [new FilePair("/d/gt/a.png", "/d/pred/a.png"), new FilePair("/d/gt/b.png", "")], 4096,
        new RawLayout([1024, 2048], LabelDType.UInt16));

    private static readonly PartitionPartial Partial = new("r1", 1, 17, Matrix(19, 1), new PixelCounts(5, 6, 7),
        [new BadPair("/d/gt/b.png", "", "missing partner")], true);

    private static readonly StartRun Start = new("r1", Spec, [Assignment with { Partition = 0 }, Assignment], 123456789012,
        "abc123", true);

    private static readonly RunSnapshot Snapshot = new("r1", 42, DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_123),
        Spec, Matrix(19, 2), new PixelCounts(1L << 40, 3, 0), 1L << 41,
        [new PartitionProgress(0, 3, 10, 999, false), new PartitionProgress(1, 10, 10, 1000, true)],
        [new BadPair("g", "p", "corrupt")], RunStatus.Failed, "boom");

    public static TheoryData<IEvaluatorMessage> Messages() =>
    [
        new StartPartition("r1", 1, Spec, Assignment, Partial, true),
        new StopPartition("r1", 2),
        Partial,
        PartitionPartial.Empty("r2", 0, 4096),
        new PartialAccepted("r1", 1, 17, true),
        new PartitionFailed("r1", 1, 3, "x.png: corrupt"),
        Start,
        new RunAccepted("r1", true, Snapshot),
        new RunRejected("r1", "no"),
        new GetSnapshot("r1"),
        new RunUnknown("r1"),
        Snapshot,
        Snapshot with { Status = RunStatus.Running, Error = null },
        new RunStarted(Start),
        new PartialRecorded(Partial),
        new RunFailed(1, "x"),
        new RunResumed(false),
        new CoordinatorSnapshot(Start, [Partial, Partial with { Partition = 0 }], RunStatus.Completed, null, 9),
        Stamped,
        new RunStarted(Stamped),
        new RunRestamped(Stamped.Stamps),
        new CoordinatorSnapshot(Stamped, [Partial, Partial with { Partition = 0 }], RunStatus.Failed, "boom", 9),
        new RunInputsChanged("r1", "2 pair(s) changed", ["/d/gt/a.png", "/d/pred/b.png"]),
        new CancelRun("r1"),
        new DeleteRun("r1"),
        new RunDeleted("r1"),
        new AbandonRun("r1", 42, TimeSpan.FromMinutes(61)),
        new RunCancelled("cancelled on request"),
        new RunAbandoned(TimeSpan.FromHours(1)),
        Snapshot with { Status = RunStatus.Cancelled, Error = "cancelled on request" },
        new CoordinatorSnapshot(Stamped, [Partial, Partial with { Partition = 0 }], RunStatus.Abandoned, "abandoned", 9),
    ];

    private static readonly StartRun Stamped = Start with
    {
        Stamps = [new PairStamp(100, 638_000_000_000_000_000, 120, 638_000_000_000_000_001), new PairStamp(-1, -1, 0, 0),
            new PairStamp(1L << 40, 1, 2, 3), new PairStamp(0, 0, 0, 0)],
    };

    /// <summary>
    /// Journals and persistence snapshots written before pair stamps hold "SR", "E-RS" and "S-C"
    /// in the layout <see cref="WireWriter.Start"/> still writes: they load, with no stamps.
    /// </summary>
    [Fact]
    public void Starts_events_and_snapshots_of_the_previous_version_still_load()
    {
        var w = new WireWriter();
        w.Start(Start);
        var startBytes = w.ToArray();
        Assert.Equal(Start, _serializer.FromBinary(startBytes, "SR"));
        Assert.Equal(new RunStarted(Start), _serializer.FromBinary(startBytes, "E-RS"));
        Assert.Empty(((StartRun)_serializer.FromBinary(startBytes, "SR")).Stamps);

        var snapshot = new CoordinatorSnapshot(Start, [Partial], RunStatus.Failed, "boom", 9);
        w = new WireWriter();
        w.Start(snapshot.Start);
        w.List(snapshot.Partials, w.Partial);
        w.Byte((byte)snapshot.Status);
        w.NullableString(snapshot.Error);
        w.Var(snapshot.SnapshotNumber);
        Assert.Equal(snapshot, _serializer.FromBinary(w.ToArray(), "S-C"));

        // The new manifests append the stamps after the old layout.
        Assert.Equal("E-RS5", _serializer.Manifest(new RunStarted(Stamped)));
        Assert.StartsWith(Convert.ToHexString(startBytes), Convert.ToHexString(_serializer.ToBinary(new RunStarted(Stamped))));
    }

    [Theory]
    [MemberData(nameof(Messages))]
    public void Every_message_round_trips_through_the_bound_serializer(IEvaluatorMessage message)
    {
        var bound = _system.Serialization.FindSerializerFor(message);
        Assert.IsType<ProtocolSerializer>(bound);
        var manifest = _serializer.Manifest(message);
        var back = _serializer.FromBinary(_serializer.ToBinary(message), manifest);
        Assert.Equal(message, back);
    }

    public static TheoryData<IEvaluatorMessage> LocalMessages() =>
    [
        new Batch("r", 3, 8, 0, 1, "b.png", null, null, 0, 0, new BadPair("b.png", "", "missing")),
        new StreamInit("r1", 1),
        StreamAck.Instance,
        new StreamCompleted("r1", 1),
        new StreamFailed("r1", 1, "bad"),
    ];

    [Theory]
    [MemberData(nameof(LocalMessages))]
    public void The_local_stream_protocol_has_no_wire_form_and_skips_verification(IEvaluatorMessage message)
    {
        Assert.IsAssignableFrom<INoSerializationVerificationNeeded>(message);
        Assert.Throws<ArgumentException>(() => _serializer.Manifest(message));
        Assert.Throws<ArgumentException>(() => _serializer.ToBinary(message));
    }

    [Fact]
    public void Every_protocol_type_has_a_manifest_and_every_local_one_none()
    {
        var protocolTypes = typeof(IEvaluatorMessage).Assembly.GetTypes()
            .Where(t => typeof(IEvaluatorMessage).IsAssignableFrom(t) && t is { IsAbstract: false, IsInterface: false })
            .ToLookup(t => typeof(ILocalMessage).IsAssignableFrom(t));
        Assert.Empty(protocolTypes[false].Except(ProtocolSerializer.KnownTypes));
        Assert.Equal([typeof(Batch), typeof(StreamAck), typeof(StreamCompleted), typeof(StreamFailed), typeof(StreamInit)],
            protocolTypes[true].OrderBy(t => t.Name));
        Assert.Empty(protocolTypes[true].Intersect(ProtocolSerializer.KnownTypes));
    }

    [Fact]
    public void A_1024_class_partial_crosses_well_under_the_frame_limit()
    {
        var m = new ConfusionMatrix(1024);
        var rng = new Random(9);
        for (var k = 0; k < 1024; k++)
        {
            m.Add(k, k, 3_000_000_000L + rng.Next());
            for (var j = 0; j < 8; j++) m.Add(k, rng.Next(1024), rng.Next(1, 1_000_000));
        }
        var partial = new PartitionPartial("r", 0, 1, m, new PixelCounts(m.Total, 0, 0), [], false);
        var bytes = _serializer.ToBinary(partial);
        Assert.True(bytes.Length < 128_000, $"{bytes.Length} bytes");
        Assert.Equal(partial, _serializer.FromBinary(bytes, _serializer.Manifest(partial)));
    }

    [Fact]
    public void Unknown_types_and_manifests_are_refused()
    {
        Assert.Throws<ArgumentException>(() => _serializer.ToBinary("a string"));
        Assert.Throws<ArgumentException>(() => _serializer.Manifest(42));
        Assert.Throws<System.Runtime.Serialization.SerializationException>(() => _serializer.FromBinary([], "??"));
        // An unbound type has no serializer at all: no silent JSON fallback.
        Assert.ThrowsAny<Exception>(() => _system.Serialization.FindSerializerFor(new Unbound(1)));
    }

    [Fact]
    public void Truncated_or_garbage_bytes_are_a_wire_format_error()
    {
        var bytes = _serializer.ToBinary(Partial);
        // The latest form appends 3 one-byte fields (images, boundary, Cityscapes) to "PP": cut into the partial itself.
        Assert.Throws<WireFormatException>(() => _serializer.FromBinary(bytes[..^5], "PP"));
        Assert.Throws<WireFormatException>(() => _serializer.FromBinary([.. bytes, 1], "PP"));
    }

    private sealed record Unbound(int X);
}

/// <summary>
/// A manifest this build does not know (a message or event of a newer release): refused with an
/// error that names it, and logged as an error through Akka's logging where operators look.
/// </summary>
public sealed class UnknownManifestTests : Akka.TestKit.Xunit2.TestKit
{
    [Fact]
    public void An_unknown_manifest_is_refused_and_logged_naming_it_the_manifests_read_and_the_upgrade_rule()
    {
        var serializer = new ProtocolSerializer((ExtendedActorSystem)Sys);
        System.Runtime.Serialization.SerializationException? thrown = null;
        EventFilter.Error(contains: "unknown manifest 'E-PR9' (3 bytes)").ExpectOne(() =>
            thrown = Assert.Throws<System.Runtime.Serialization.SerializationException>(() => serializer.FromBinary([1, 2, 3], "E-PR9")));
        Assert.Equal(ProtocolSerializer.UnknownManifest("E-PR9", 3), thrown!.Message);
        // Every manifest of the first release (journal-v1) is still listed as read, whatever later releases add.
        var read = thrown.Message.Split("this node reads ")[1].Split(". It was")[0].Split(", ");
        Assert.Subset(read.ToHashSet(), new HashSet<string> { "CP", "CR", "E-PR", "E-RF", "E-RR", "E-RS", "E-RS2", "E-RT", "S-C", "S-C2" });
        Assert.Contains("written by a newer release of the evaluator", thrown.Message);
        Assert.Contains("upgrade this node", thrown.Message);
    }
}
