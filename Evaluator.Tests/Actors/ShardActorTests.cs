using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.Streams;
using Akka.Streams.Dsl;
using Akka.TestKit;
using Evaluator.Messages;
using Evaluator.Messages.Protocol;
using Evaluator.Node.Actors;
using Evaluator.Tests.Support;

namespace Evaluator.Tests.Actors;

/// <summary>
/// ShardActor under TestKit, every message serialized (serialize-messages = on): the test plays
/// the stream (init, batches, completion) and the coordinator (partials, acknowledgements).
/// </summary>
public sealed class ShardActorTests : Akka.TestKit.Xunit2.TestKit
{
    private static readonly RunSpec Spec = new(3, ignoreLabels: [255]);
    private readonly TestProbe _coordinator;
    private readonly TestProbe _parent;
    private readonly TestProbe _stream;
    private readonly List<StartPartition> _streamsStarted = [];

    public ShardActorTests() : base(TestConfigs.LocalSerializing())
    {
        _coordinator = CreateTestProbe("coordinator");
        _parent = CreateTestProbe("parent");
        _stream = CreateTestProbe("stream");
    }

    private sealed class Parent : ReceiveActor
    {
        public Parent(Props child, IActorRef probe)
        {
            var c = Context.ActorOf(child, "shard");
            ReceiveAny(m =>
            {
                if (Sender.Equals(c)) probe.Forward(m);
                else c.Forward(m);
            });
        }
    }

    private IActorRef Shard()
    {
        var mat = Sys.Materializer();
        var props = ShardActor.Props(TestConfigs.Settings(), _coordinator.Ref, (start, _) =>
        {
            lock (_streamsStarted) _streamsStarted.Add(start);
            return Source.Never<int>().ViaMaterialized(KillSwitches.Single<int>(), Keep.Right).To(Sink.Ignore<int>()).Run(mat);
        });
        return Sys.ActorOf(Akka.Actor.Props.Create(() => new Parent(props, _parent.Ref)));
    }

    private static FilePair Pair(int i) => new($"/gt/{i}.png", $"/pred/{i}.png");

    private static StartPartition Start(PartitionPartial? resume = null, bool skipBad = false) =>
        new("r", 0, Spec, new PartitionAssignment(0, [Pair(0), Pair(1), Pair(2), Pair(3)], 1000, null),
            resume ?? PartitionPartial.Empty("r", 0, 3), skipBad);

    private static Batch Whole(long seq, byte[] gt, byte[] pred) =>
        new("r", 0, seq, 0, 1, $"/gt/{seq}.png", LabelArray.Of(gt), LabelArray.Of(pred), 0, gt.Length, null);

    private void Feed(IActorRef shard, Batch b)
    {
        _stream.Send(shard, b);
        _stream.ExpectMsg<StreamAck>(TimeSpan.FromSeconds(5));
    }

    private PartitionPartial AwaitPartial(Predicate<PartitionPartial> until) =>
        _coordinator.FishForMessage<PartitionPartial>(until, TimeSpan.FromSeconds(5));

    [Fact]
    public void Acknowledges_every_element_counts_batches_and_reports_the_watermark()
    {
        var shard = Shard();
        shard.Tell(Start());
        AwaitAssert(() => Assert.Single(_streamsStarted), TimeSpan.FromSeconds(5));
        _stream.Send(shard, new StreamInit("r", 0));
        _stream.ExpectMsg<StreamAck>();
        Feed(shard, Whole(0, [0, 1, 2, 255], [0, 1, 1, 2]));
        Feed(shard, Whole(1, [2, 2], [2, 0]));

        var p = AwaitPartial(x => x.Watermark == 2);
        Assert.Equal(ConfusionMatrix.FromRows([[1, 0, 0], [0, 1, 0], [1, 1, 1]]), p.Matrix);
        Assert.Equal(new PixelCounts(5, 1, 0), p.Pixels);
        Assert.False(p.Final);
    }

    [Fact]
    public void A_duplicate_or_stale_batch_is_acknowledged_but_not_counted()
    {
        var shard = Shard();
        shard.Tell(Start());
        Feed(shard, Whole(0, [1, 1], [1, 1]));
        Feed(shard, Whole(0, [1, 1], [1, 1])); // re-sent
        Feed(shard, Whole(3, [2], [2]));       // a gap: dropped, not counted
        Feed(shard, Whole(1, [0], [0]));
        var p = AwaitPartial(x => x.Watermark == 2);
        Assert.Equal(ConfusionMatrix.FromRows([[1, 0, 0], [0, 2, 0], [0, 0, 0]]), p.Matrix);
    }

    [Fact]
    public void Resumes_from_the_coordinators_partial_and_ends_with_a_final_partial_until_acknowledged()
    {
        var resume = new PartitionPartial("r", 0, 3, ConfusionMatrix.FromRows([[5, 0, 0], [0, 0, 0], [0, 0, 7]]),
            new PixelCounts(12, 4, 0), [], false);
        var shard = Shard();
        shard.Tell(Start(resume));
        AwaitAssert(() => Assert.Equal(3, Assert.Single(_streamsStarted).Resume.Watermark), TimeSpan.FromSeconds(5));
        shard.Tell(Start()); // a re-kick while running: ignored, no second stream
        Feed(shard, Whole(3, [1], [1]));
        _stream.Send(shard, new StreamCompleted("r", 0));

        var final = AwaitPartial(x => x.Final);
        Assert.Equal(4, final.Watermark);
        Assert.Equal(ConfusionMatrix.FromRows([[5, 0, 0], [0, 1, 0], [0, 0, 7]]), final.Matrix);
        Assert.Equal(new PixelCounts(13, 4, 0), final.Pixels);
        Assert.Single(_streamsStarted);

        // Not acknowledged yet: it is sent again. Acknowledged: the shard passivates.
        AwaitPartial(x => x.Final);
        shard.Tell(new PartialAccepted("r", 0, 4, true));
        _parent.FishForMessage<Passivate>(_ => true, TimeSpan.FromSeconds(5));
    }

    [Fact]
    public void A_bad_slice_fails_the_partition_without_counting_any_of_its_pair()
    {
        var shard = Shard();
        shard.Tell(Start());
        Feed(shard, Whole(0, [0], [0]));
        var gt = LabelArray.Of(new byte[] { 1, 1, 1, 9 });
        var pred = LabelArray.Of(new byte[] { 1, 1, 1, 1 });
        Feed(shard, new Batch("r", 0, 1, 0, 2, "/gt/1.png", gt, pred, 0, 2, null));
        Feed(shard, new Batch("r", 0, 1, 1, 2, "/gt/1.png", gt, pred, 2, 2, null)); // label 9 ≥ 3

        var failed = _coordinator.FishForMessage<PartitionFailed>(_ => true, TimeSpan.FromSeconds(5));
        Assert.Contains("/gt/1.png", failed.Error);
        Assert.Contains("label 9", failed.Error);
        var p = AwaitPartial(_ => true);
        Assert.Equal(1, p.Watermark);
        Assert.Equal(1, p.Matrix.Total);
    }

    [Fact]
    public void With_skip_bad_a_bad_pair_is_recorded_and_skipped_whole()
    {
        var shard = Shard();
        shard.Tell(Start(skipBad: true));
        var gt = LabelArray.Of(new byte[] { 1, 9, 1, 1 });
        var pred = LabelArray.Of(new byte[] { 1, 1, 1, 1 });
        Feed(shard, new Batch("r", 0, 0, 0, 2, "/gt/0.png", gt, pred, 0, 2, null)); // label 9 ≥ 3
        Feed(shard, new Batch("r", 0, 0, 1, 2, "/gt/0.png", gt, pred, 2, 2, null)); // rest of the bad pair
        Feed(shard, new Batch("r", 0, 1, 0, 1, "/gt/1.png", null, null, 0, 0, new BadPair("/gt/1.png", "/pred/1.png", "corrupt")));
        Feed(shard, Whole(2, [2], [2]));

        var p = AwaitPartial(x => x.Watermark == 3);
        Assert.Equal(1, p.Matrix.Total);
        Assert.Equal(1, p.Matrix[2, 2]);
        Assert.Equal(["/gt/0.png", "/gt/1.png"], p.BadPairs.Select(b => b.GroundTruth));
        Assert.Contains("label 9", p.BadPairs[0].Error);
    }

    [Fact]
    public void An_ingest_waiting_for_its_start_asks_again_when_the_first_request_is_lost()
    {
        var shard = Shard();
        var client = CreateTestProbe("client");
        var m = ConfusionMatrix.FromRows([[1, 0, 0], [0, 0, 0], [0, 0, 0]]);
        client.Send(shard, new IngestMatrix("r", 0, 0, m, new PixelCounts(1, 0, 0)));
        _coordinator.ExpectMsg<RequestStart>(TimeSpan.FromSeconds(5)); // lost: not answered
        var again = _coordinator.ExpectMsg<RequestStart>(TimeSpan.FromSeconds(5)); // restart-partitions-interval later
        Assert.Equal(("r", 0), (again.RunId, again.Partition));
        _coordinator.Reply(Start() with { Ingest = true });
        var partial = AwaitPartial(p => p.Watermark == 1);
        _coordinator.Reply(new PartialAccepted("r", 0, 1, false));
        Assert.Equal(IngestOutcome.Counted, client.ExpectMsg<IngestResult>(TimeSpan.FromSeconds(5)).Outcome);
        Assert.Equal(m, partial.Matrix);
    }
}
