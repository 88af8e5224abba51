using Akka.Actor;
using Akka.Cluster.Sharding;
using Evaluator.Messages;
using Evaluator.Messages.Protocol;
using Evaluator.Node.Inputs;
using Evaluator.Node.Runs;
using Evaluator.Node.Runtime;
using Evaluator.Tests.Core;
using Evaluator.Tests.Support;

namespace Evaluator.Tests.Cluster;

/// <summary>
/// Boundary IoU runs on a real cluster (two workers and a client, each an ActorSystem on a
/// loopback TCP port, SQLite journal): the partitions, with pairs sliced over several batches,
/// spread over both workers, and the run's per-class boundary intersection and union equal the
/// test suite's own single-process erosion recount (<see cref="NaiveBoundary"/>) exactly, also when
/// a worker dies mid-run and its partitions resume on the other.
/// </summary>
// Category=Slow: several ActorSystems forming clusters, run serially; ./run-tests.sh --fast leaves them out.
[Trait("Category", "Slow")]
[Collection("cluster")]
public sealed class BoundaryClusterTests : IAsyncLifetime
{
    private const int Classes = 5;
    private const double Dilation = 0.05;

    /// <summary>Pixels per batch: below a pair's 32×32, so pairs cross the stream in slices.</summary>
    private const int BatchPixels = 700;

    private readonly List<EvaluatorNode> _nodes = [];
    private readonly string _dir = TestEnvironment.TempDir("boundary-cluster");

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var n in _nodes)
        {
            await n.System.Terminate().WaitAsync(TimeSpan.FromSeconds(20)).ContinueWith(_ => { });
        }
    }

    private async Task<EvaluatorNode> Node(string roles, Address? seed, ConfigOverrides? extra = null)
    {
        var overrides = ConfigOverrides.Cluster("127.0.0.1", 0, seed?.ToString(), roles, Path.Combine(_dir, "data"))
            .Set("akka.cluster.split-brain-resolver.stable-after", "2s")
            .Set("akka.cluster.failure-detector.acceptable-heartbeat-pause", "1s")
            .Set("akka.cluster.failure-detector.heartbeat-interval", "200ms")
            .Add(Journals.Overrides(Journals.Sqlite));
        if (extra is not null) overrides.Add(extra);
        var node = await EvaluatorNode.StartAsync(NodeConfig.Load("cluster", overrides), TimeSpan.FromSeconds(30));
        _nodes.Add(node);
        return node;
    }

    private static StartRun Run(Dataset ds, string runId, int partitions, RunSpec spec)
    {
        var pairs = PairDiscovery.Discover(ds.GroundTruthDir, ds.PredictionDir, PairLayout.Plain);
        var parts = PairDiscovery.Partition(pairs, partitions, BatchPixels, null);
        return new StartRun(runId, spec, parts, PairDiscovery.ExpectedPixels(pairs, null),
            RunIds.Fingerprint(spec, parts, boundaryDilation: Dilation), false)
        {
            BoundaryDilation = Dilation,
        };
    }

    /// <summary>The single-process recount: every pair's erosion boundaries, summed per class (int64).</summary>
    private static (long[] Inter, long[] Union) Recount(Dataset ds)
    {
        var inter = new long[Classes];
        var union = new long[Classes];
        var d = NaiveBoundary.Dilation(Dilation, ds.Height, ds.Width);
        for (var i = 0; i < ds.Count; i++)
        {
            var (gt, pred) = ds.Labels(i);
            var (pi, pu) = NaiveBoundary.Run(Classes, ds.Height, ds.Width, d,
                gt.Select(v => (int)v).ToArray(), pred.Select(v => (int)v).ToArray(), gt.Select(v => v != 255).ToArray());
            for (var c = 0; c < Classes; c++)
            {
                inter[c] += pi[c];
                union[c] += pu[c];
            }
        }
        return (inter, union);
    }

    private static void AssertExact(Dataset ds, RunSpec spec, RunSnapshot final)
    {
        Assert.Equal(RunStatus.Completed, final.Status);
        var expected = ds.Recount(spec);
        Assert.Equal(expected.Matrix, final.Matrix);
        Assert.Equal(expected.Pixels, final.Pixels);
        var (inter, union) = Recount(ds);
        Assert.NotNull(final.Boundary);
        Assert.Equal(inter, final.Boundary!.Intersection.ToArray());
        Assert.Equal(union, final.Boundary.Union.ToArray());
        Assert.Contains(union, u => u > 0);
        Assert.Equal(Dilation, final.BoundaryDilation);
    }

    [Fact]
    public async Task Boundary_sums_over_two_workers_equal_the_single_process_recount()
    {
        var a = await Node("worker", null);
        var b = await Node("worker", a.Address);
        var client = await Node("client", a.Address);
        var ds = new Dataset(_dir, Dataset.Format.NpyU8, pairs: 24, width: 32, height: 32, classes: Classes, seed: 41);
        var spec = new RunSpec(Classes, ignoreLabels: [255]);
        var start = Run(ds, "boundary-spread-" + Guid.NewGuid().ToString("N")[..8], 8, spec);

        var final = await RunLauncher.RunAsync(client, start, (_, _) => { }).WaitAsync(TimeSpan.FromSeconds(60));

        AssertExact(ds, spec, final);
        // Both workers hosted partitions of the run.
        var regions = await a.Shards.Ask<ClusterShardingStats>(new GetClusterShardingStats(TimeSpan.FromSeconds(3)), TimeSpan.FromSeconds(5));
        Assert.Equal(2, regions.Regions.Count(r => r.Value.Stats.Count > 0));
        Assert.NotNull(b);
    }

    [Fact]
    public async Task A_worker_lost_mid_boundary_run_leaves_the_boundary_sums_exact()
    {
        // Slow workers (5 pairs a second each) so that the run is certainly seen mid-way and B dies then.
        var slow = new ConfigOverrides()
            .Set("evaluator.throttle-pairs-per-second", 5)
            .Set("evaluator.snapshot-interval", "100ms");
        var a = await Node("worker", null, slow);
        var b = await Node("worker", a.Address, slow);
        var client = await Node("client", a.Address);
        var ds = new Dataset(_dir, Dataset.Format.NpyU8, pairs: 48, width: 32, height: 32, classes: Classes, seed: 42);
        var spec = new RunSpec(Classes, ignoreLabels: [255]);
        var start = Run(ds, "boundary-lost-" + Guid.NewGuid().ToString("N")[..8], 8, spec);

        // Once some but not all batches are in, crash worker B (no graceful leave).
        var final = await WorkerCrash.RunCrashingMidRun(client, start, b);
        AssertExact(ds, spec, final);
    }
}
