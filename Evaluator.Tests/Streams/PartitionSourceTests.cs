using Akka.Streams;
using Akka.Streams.TestKit;
using Evaluator.Messages;
using Evaluator.Messages.Protocol;
using Evaluator.Node.Streams;
using Evaluator.Tests.Support;

namespace Evaluator.Tests.Streams;

/// <summary>A partition's stream under Akka.Streams.TestKit: order, resume point, slicing, bad pairs, demand.</summary>
public sealed class PartitionSourceTests : Akka.TestKit.Xunit2.TestKit
{
    private readonly IMaterializer _mat;

    public PartitionSourceTests() : base(TestConfigs.LocalSerializing()) => _mat = Sys.Materializer();

    private static StartPartition Start(Dataset ds, long watermark, bool skipBad, int batchPixels, params FilePair[] extra)
    {
        var pairs = Directory.GetFiles(ds.GroundTruthDir, "*.npy", SearchOption.AllDirectories).Order(StringComparer.Ordinal)
            .Select(g => new FilePair(g, g.Replace(ds.GroundTruthDir, ds.PredictionDir))).Concat(extra).ToArray();
        var spec = new RunSpec(5, ignoreLabels: [255]);
        var resume = PartitionPartial.Empty("r", 0, 5) with { Watermark = watermark };
        return new StartPartition("r", 0, spec, new PartitionAssignment(0, [.. pairs], batchPixels, null), resume, skipBad);
    }

    [Fact]
    public void Emits_pairs_in_order_from_the_watermark_in_slices_only_on_demand()
    {
        var ds = new Dataset(TestEnvironment.TempDir("stream"), Dataset.Format.NpyU8, 5, 10, 10, 5, seed: 1);
        var start = Start(ds, watermark: 2, skipBad: false, batchPixels: 40);
        var probe = PartitionSource.Create(start, TestConfigs.Settings()).RunWith(this.SinkProbe<Batch>(), _mat);

        probe.Request(1);
        var first = probe.ExpectNext();
        Assert.Equal((2L, 0, 3, 0, 40), (first.Seq, first.Slice, first.SliceCount, first.Offset, first.Length));
        probe.ExpectNoMsg(TimeSpan.FromMilliseconds(200)); // backpressure: nothing without demand

        probe.Request(100);
        var rest = probe.ExpectNextN(8).ToList(); // 3 slices each for pairs 2, 3, 4; one already taken
        probe.ExpectComplete();
        Assert.Equal([2L, 2, 3, 3, 3, 4, 4, 4], rest.Select(b => b.Seq));
        Assert.Equal([1, 2, 0, 1, 2, 0, 1, 2], rest.Select(b => b.Slice));
        Assert.Equal(20, rest[1].Length); // the last slice of 100 pixels holds 20
        Assert.True(rest.All(b => b.Bad is null && b.GroundTruth!.Length == 100));
    }

    [Fact]
    public void An_unreadable_pair_travels_as_a_marker_after_the_pairs_before_it()
    {
        // Whatever the decode parallelism, the pairs before a bad one reach the shard first;
        // the shard then skips the marker (--skip-bad) or fails the run there.
        var ds = new Dataset(TestEnvironment.TempDir("stream-bad"), Dataset.Format.NpyU8, 2, 10, 10, 5, seed: 2);
        var missing = new FilePair(Path.Combine(ds.GroundTruthDir, "zz.npy"), Path.Combine(ds.PredictionDir, "zz.npy"));
        var probe = PartitionSource.Create(Start(ds, 0, false, 1000, missing), TestConfigs.Settings())
            .RunWith(this.SinkProbe<Batch>(), _mat);
        probe.Request(10);
        var batches = probe.ExpectNextN(3).ToList();
        probe.ExpectComplete();
        Assert.True(batches[0].Bad is null && batches[1].Bad is null);
        var marker = batches[2];
        Assert.Equal((2L, 0, 1), (marker.Seq, marker.Slice, marker.SliceCount));
        Assert.Null(marker.GroundTruth);
        Assert.Contains("zz.npy", marker.Bad!.Error);
        Assert.Contains("file not found", marker.Bad.Error);
    }
}
