using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Sharding;
using Evaluator.Messages;
using Evaluator.Messages.Protocol;
using Evaluator.Node.Actors;
using Evaluator.Node.Inputs;
using Evaluator.Node.Runs;
using Evaluator.Node.Runtime;
using Evaluator.Tests.Support;

namespace Evaluator.Tests.Cluster;

[CollectionDefinition("cluster", DisableParallelization = true)]
public sealed class ClusterCollection;

/// <summary>
/// Several ActorSystems in one process, each a node on a real loopback TCP port: two workers
/// and a client. Sharding spreads the partitions, pub-sub reaches the client, and a worker
/// that dies mid-run loses nothing: its partitions re-home and resume from the coordinator.
/// </summary>
// Category=Slow: several ActorSystems forming clusters, run serially; ./run-tests.sh --fast leaves them out.
[Trait("Category", "Slow")]
[Collection("cluster")]
public sealed class InProcessClusterTests : IAsyncLifetime
{
    private readonly List<EvaluatorNode> _nodes = [];
    private readonly string _dir = TestEnvironment.TempDir("cluster");

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var n in _nodes)
        {
            await n.System.Terminate().WaitAsync(TimeSpan.FromSeconds(20)).ContinueWith(_ => { });
        }
    }

    private async Task<EvaluatorNode> Node(string roles, Address? seed, ConfigOverrides journal, ConfigOverrides? extra = null)
    {
        var overrides = ConfigOverrides.Cluster("127.0.0.1", 0, seed?.ToString(), roles, Path.Combine(_dir, "data"))
            .Set("akka.cluster.split-brain-resolver.stable-after", "2s")
            .Set("akka.cluster.failure-detector.acceptable-heartbeat-pause", "1s")
            .Set("akka.cluster.failure-detector.heartbeat-interval", "200ms")
            .Add(journal);
        if (extra is not null) overrides.Add(extra);
        var node = await EvaluatorNode.StartAsync(NodeConfig.Load("cluster", overrides), TimeSpan.FromSeconds(30));
        _nodes.Add(node);
        return node;
    }

    private StartRun Run(Dataset ds, string runId, int partitions, RunSpec spec)
    {
        var pairs = PairDiscovery.Discover(ds.GroundTruthDir, ds.PredictionDir, PairLayout.Plain);
        var parts = PairDiscovery.Partition(pairs, partitions, 1 << 20, null);
        return new StartRun(runId, spec, parts, PairDiscovery.ExpectedPixels(pairs, null), RunIds.Fingerprint(spec, parts), false);
    }

    [Fact]
    public async Task A_node_with_another_max_shards_refuses_to_join_and_leaves()
    {
        var j = Journals.Overrides(Journals.Sqlite);
        var a = await Node("worker", null, j, new ConfigOverrides().Set("evaluator.sharding.max-shards", 100));
        var e = await Assert.ThrowsAsync<Akka.Configuration.ConfigurationException>(() =>
            Node("worker", a.Address, j, new ConfigOverrides().Set("evaluator.sharding.max-shards", 60)));
        Assert.Contains("evaluator.sharding.max-shards is 60 on this node but", e.Message);
        Assert.Contains($"{a.Address} has 100", e.Message);
        // It left: the cluster is the first node again, and a node that agrees joins.
        var cluster = Akka.Cluster.Cluster.Get(a.System);
        await Poll.UntilAsync(() => cluster.State.Members.Count(m => m.Status == MemberStatus.Up) == 1,
            TimeSpan.FromSeconds(20), "one member up");
        var b = await Node("worker", a.Address, j, new ConfigOverrides().Set("evaluator.sharding.max-shards", 100));
        Assert.Equal(100, b.Settings.MaxShards);
    }

    /// <summary>The same against PostgreSQL, which only ./run-tests.sh starts (Category=Services).</summary>
    [Theory]
    [Trait("Category", "Services")]
    [InlineData(Journals.Postgres)]
    public Task Partitions_spread_over_the_workers_and_the_client_gets_the_exact_result_on_postgres(string journal) => Partitions_spread_over_the_workers_and_the_client_gets_the_exact_result(journal);

    [Theory]
    [InlineData(Journals.Sqlite)]
    public async Task Partitions_spread_over_the_workers_and_the_client_gets_the_exact_result(string journal)
    {
        var j = Journals.Overrides(journal);
        var a = await Node("worker", null, j);
        var b = await Node("worker", a.Address, j);
        var client = await Node("client", a.Address, j);
        var ds = new Dataset(_dir, Dataset.Format.NpyU16, pairs: 24, width: 64, height: 64, classes: 40, seed: 5);
        var spec = new RunSpec(40, ignoreLabels: [255]);
        var start = Run(ds, "spread-" + Guid.NewGuid().ToString("N")[..8], 8, spec);

        var snapshots = 0;
        var final = await RunLauncher.RunAsync(client, start, (_, _) => snapshots++).WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(RunStatus.Completed, final.Status);
        var expected = ds.Recount(spec);
        Assert.Equal(expected.Matrix, final.Matrix);
        Assert.Equal(expected.Pixels, final.Pixels);
        Assert.True(snapshots >= 1);

        // Both workers host shards of the partition entities.
        var stats = await a.Shards.Ask<ShardRegionStats>(GetShardRegionStats.Instance, TimeSpan.FromSeconds(5));
        var statsB = await b.Shards.Ask<ShardRegionStats>(GetShardRegionStats.Instance, TimeSpan.FromSeconds(5));
        Assert.True(stats.Stats.Count > 0 || statsB.Stats.Count > 0);
        var regions = await a.Shards.Ask<ClusterShardingStats>(new GetClusterShardingStats(TimeSpan.FromSeconds(3)), TimeSpan.FromSeconds(5));
        Assert.Equal(2, regions.Regions.Count(r => r.Value.Stats.Count > 0));
    }

    /// <summary>The same against PostgreSQL, which only ./run-tests.sh starts (Category=Services).</summary>
    [Theory]
    [Trait("Category", "Services")]
    [InlineData(Journals.Postgres)]
    public Task A_worker_lost_mid_run_loses_and_duplicates_nothing_on_postgres(string journal) => A_worker_lost_mid_run_loses_and_duplicates_nothing(journal);

    [Theory]
    [InlineData(Journals.Sqlite)]
    public async Task A_worker_lost_mid_run_loses_and_duplicates_nothing(string journal)
    {
        var j = Journals.Overrides(journal);
        // Both workers are slow (10 pairs a partition at 5 a second: ~2 s), so that the run is
        // certainly seen mid-way and B dies then, wherever the partitions were allocated: the
        // client's pub-sub subscription needs a gossip round (1 s) to reach the coordinator's
        // node, and a run that ends before it shows the client no mid-run snapshot.
        var slow = new ConfigOverrides()
            .Set("evaluator.throttle-pairs-per-second", 5)
            .Set("evaluator.snapshot-interval", "100ms");
        var a = await Node("worker", null, j, slow);
        var b = await Node("worker", a.Address, j, slow);
        var client = await Node("client", a.Address, j);
        var ds = new Dataset(_dir, Dataset.Format.NpyU8, pairs: 80, width: 32, height: 32, classes: 7, seed: 6);
        var spec = new RunSpec(7, ignoreLabels: [255]);
        var start = Run(ds, "lost-worker-" + Guid.NewGuid().ToString("N")[..8], 8, spec);

        // Once some but not all batches are in, crash worker B (no graceful leave).
        var final = await WorkerCrash.RunCrashingMidRun(client, start, b);
        Assert.Equal(RunStatus.Completed, final.Status);
        var expected = ds.Recount(spec);
        Assert.Equal(expected.Matrix, final.Matrix);
        Assert.Equal(expected.Pixels, final.Pixels);
    }
}
