using Akka.Actor;
using Akka.Streams;
using Akka.Streams.Dsl;
using Akka.TestKit;
using Evaluator.Messages;
using Evaluator.Messages.Protocol;
using Evaluator.Node.Actors;
using Evaluator.Tests.Support;

namespace Evaluator.Tests.Actors;

/// <summary>
/// ShardActor of a per-image run (TestKit, every message serialized): its results ride on its
/// partials, and the stream waits while too many of them are unacknowledged.
/// </summary>
public sealed class ShardActorPerImageTests : Akka.TestKit.Xunit2.TestKit
{
    private static readonly RunSpec Spec = new(3, ignoreLabels: [255]);
    private readonly TestProbe _coordinator;
    private readonly TestProbe _stream;

    public ShardActorPerImageTests() : base(TestConfigs.LocalSerializing())
    {
        _coordinator = CreateTestProbe("coordinator");
        _stream = CreateTestProbe("stream");
    }

    private IActorRef Shard(long maxCells)
    {
        var mat = Sys.Materializer();
        var settings = TestConfigs.Settings() with { PerImageMaxCellsInFlight = maxCells, PartialInterval = TimeSpan.FromMinutes(1) };
        return Sys.ActorOf(ShardActor.Props(settings, _coordinator.Ref, (_, _) =>
            Source.Never<int>().ViaMaterialized(KillSwitches.Single<int>(), Keep.Right).To(Sink.Ignore<int>()).Run(mat)));
    }

    private static StartPartition Start() =>
        new("r", 0, Spec, new PartitionAssignment(0, [.. Enumerable.Range(0, 4).Select(i => new FilePair($"/gt/{i}.png", $"/pred/{i}.png"))], 1000, null),
            PartitionPartial.Empty("r", 0, 3), false, PerImage: true);

    private static Batch Whole(long seq, byte[] gt, byte[] pred) =>
        new("r", 0, seq, 0, 1, $"/gt/{seq}.png", LabelArray.Of(gt), LabelArray.Of(pred), 0, gt.Length, null);

    [Fact]
    public void The_stream_waits_while_too_many_results_are_unacknowledged()
    {
        var shard = Shard(maxCells: 3);
        shard.Tell(Start());
        _stream.Send(shard, new StreamInit("r", 0));
        _stream.ExpectMsg<StreamAck>();

        _stream.Send(shard, Whole(0, [0, 1], [0, 1]));        // 2 cells: under the bound
        _stream.ExpectMsg<StreamAck>();
        _stream.Send(shard, Whole(1, [2, 2], [2, 0]));        // 4 cells: the acknowledgement is held
        var partial = _coordinator.ExpectMsg<PartitionPartial>();
        Assert.Equal([0L, 1L], partial.Images.Select(i => i.Seq));
        Assert.Equal([new MatrixCell(2, 0, 1), new MatrixCell(2, 2, 1)], partial.Images[1].Cells.ToArray());
        _stream.ExpectNoMsg(TimeSpan.FromMilliseconds(300));

        _coordinator.Reply(new PartialAccepted("r", 0, partial.Watermark, false));
        _stream.ExpectMsg<StreamAck>();                       // the coordinator holds them: go on
        _stream.Send(shard, Whole(2, [1], [1]));
        _stream.ExpectMsg<StreamAck>();
    }
}
