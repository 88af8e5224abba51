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
/// A pair's label arrays are pooled or memory-mapped: the shard hands them back after the pair's
/// last slice, whatever became of the pair, and never earlier. Messages keep their identity
/// here (no serialize-messages), so the test sees the very arrays the shard received.
/// </summary>
public sealed class ShardActorReleaseTests : Akka.TestKit.Xunit2.TestKit
{
    private static readonly RunSpec Spec = new(3, ignoreLabels: [255]);
    private readonly TestProbe _coordinator;
    private readonly TestProbe _stream;

    public ShardActorReleaseTests() : base(TestConfigs.Local())
    {
        _coordinator = CreateTestProbe("coordinator");
        _stream = CreateTestProbe("stream");
    }

    /// <summary>Counts how often a label array's storage was handed back.</summary>
    private sealed class Owner : IDisposable
    {
        private int _disposals;
        public int Disposals => Volatile.Read(ref _disposals);
        public void Dispose() => Interlocked.Increment(ref _disposals);
    }

    private static (LabelArray Labels, Owner Owner) Tracked(params byte[] labels)
    {
        var owner = new Owner();
        return (LabelArray.Rented(labels, labels.Length, [labels.Length], owner), owner);
    }

    private IActorRef Shard(bool skipBad)
    {
        var mat = Sys.Materializer();
        var props = ShardActor.Props(TestConfigs.Settings(), _coordinator.Ref, (_, _) =>
            Source.Never<int>().ViaMaterialized(KillSwitches.Single<int>(), Keep.Right).To(Sink.Ignore<int>()).Run(mat));
        var shard = Sys.ActorOf(props);
        var pairs = Enumerable.Range(0, 4).Select(i => new FilePair($"/gt/{i}.npy", $"/pred/{i}.npy")).ToArray();
        shard.Tell(new StartPartition("r", 0, Spec, new PartitionAssignment(0, [.. pairs], 1000, null),
            PartitionPartial.Empty("r", 0, 3), skipBad));
        return shard;
    }

    private void Feed(IActorRef shard, Batch b)
    {
        _stream.Send(shard, b);
        _stream.ExpectMsg<StreamAck>(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public void A_sliced_pair_is_released_after_its_last_slice_and_not_before()
    {
        var shard = Shard(skipBad: false);
        var (gt, gtOwner) = Tracked(0, 1, 2, 2);
        var (pred, predOwner) = Tracked(0, 1, 2, 0);
        Feed(shard, new Batch("r", 0, 0, 0, 2, "/gt/0.npy", gt, pred, 0, 2, null));
        Assert.Equal((0, 0), (gtOwner.Disposals, predOwner.Disposals));
        Feed(shard, new Batch("r", 0, 0, 1, 2, "/gt/0.npy", gt, pred, 2, 2, null));
        Assert.Equal((1, 1), (gtOwner.Disposals, predOwner.Disposals));

        var p = _coordinator.FishForMessage<PartitionPartial>(x => x.Watermark == 1, TimeSpan.FromSeconds(5));
        Assert.Equal(ConfusionMatrix.FromRows([[1, 0, 0], [0, 1, 0], [1, 0, 1]]), p.Matrix);
        Assert.Throws<ObjectDisposedException>(() => gt.Labels<byte>().ToArray());
    }

    [Fact]
    public void Duplicate_and_skipped_pairs_are_released_too()
    {
        var shard = Shard(skipBad: true);
        var (gt0, o0) = Tracked(1);
        var (pred0, p0) = Tracked(1);
        Feed(shard, new Batch("r", 0, 0, 0, 1, "/gt/0.npy", gt0, pred0, 0, 1, null));
        var (dupGt, dupOwner) = Tracked(1);
        var (dupPred, dupPredOwner) = Tracked(1);
        Feed(shard, new Batch("r", 0, 0, 0, 1, "/gt/0.npy", dupGt, dupPred, 0, 1, null)); // re-sent
        var (badGt, badOwner) = Tracked(9, 1); // label 9 is out of range for 3 classes: skipped
        var (badPred, badPredOwner) = Tracked(1, 1);
        Feed(shard, new Batch("r", 0, 1, 0, 2, "/gt/1.npy", badGt, badPred, 0, 1, null));
        Assert.Equal(0, badOwner.Disposals);
        Feed(shard, new Batch("r", 0, 1, 1, 2, "/gt/1.npy", badGt, badPred, 1, 1, null)); // stale slice of a skipped pair

        Assert.Equal([1, 1, 1, 1, 1, 1],
            new[] { o0, p0, dupOwner, dupPredOwner, badOwner, badPredOwner }.Select(o => o.Disposals));
        var p = _coordinator.FishForMessage<PartitionPartial>(x => x.Watermark == 2, TimeSpan.FromSeconds(5));
        Assert.Equal(1, p.Matrix.Total);
        Assert.Contains("/gt/1.npy", Assert.Single(p.BadPairs).GroundTruth);
    }
}
