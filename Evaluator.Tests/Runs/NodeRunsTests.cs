using Akka.Actor;
using Evaluator.Messages;
using Evaluator.Messages.Protocol;
using Evaluator.Node.Runs;
using Evaluator.Node.Runtime;
using Evaluator.Tests.Support;

namespace Evaluator.Tests.Runs;

/// <summary>The application layer on a one-node cluster: launching, following, and the node's cached catalog.</summary>
// Serial (the processes collection runs alone, after the parallel ones): one test measures the
// process's allocations, which tests running beside it would inflate.
[Collection("processes")]
public sealed class NodeRunsTests : IAsyncLifetime
{
    private EvaluatorNode _node = null!;

    public async Task InitializeAsync() =>
        _node = await EvaluatorNode.StartAsync(NodeConfig.Load("single-node",
            new ConfigOverrides().Set("evaluator.data-dir", TestEnvironment.TempDir("node-runs"))));

    public async Task DisposeAsync() => await _node.DisposeAsync();

    [Fact]
    public async Task The_catalog_keeps_its_list_until_invalidated()
    {
        var catalog = new RunCatalog(_node, TimeSpan.FromHours(1));
        Assert.DoesNotContain(await catalog.ListAsync(), r => r.RunId == "cached");
        await RunLauncher.StartIngestAsync(_node, "cached", new RunSpec(2), 1);
        Assert.DoesNotContain(await catalog.ListAsync(), r => r.RunId == "cached");
        catalog.Invalidate();
        Assert.Equal(RunStatus.Running, (await catalog.FindAsync("cached"))?.Status);
    }

    [Fact]
    public async Task The_feed_gives_the_current_snapshot_then_newer_ones_and_ends_after_the_final()
    {
        Assert.Null(await SnapshotFeed.GetAsync(_node, "no-such-run"));
        Assert.Null(await SnapshotFeed.GetAsync(_node, "bad/id"));
        await using var empty = SnapshotFeed.FollowAsync(_node, "no-such-run").GetAsyncEnumerator();
        Assert.False(await empty.MoveNextAsync());

        var accepted = await RunLauncher.StartIngestAsync(_node, "followed", new RunSpec(2), 1);
        Assert.False(accepted.Resumed);
        await using var feed = SnapshotFeed.FollowAsync(_node, "followed").GetAsyncEnumerator();
        Assert.True(await feed.MoveNextAsync());
        Assert.False(feed.Current.Final);
        var first = feed.Current.Number;

        await _node.Coordinators.Ask<IRunMessage>(new CompleteRun("followed"), _node.Settings.AskTimeout);
        RunSnapshot last;
        do
        {
            Assert.True(await feed.MoveNextAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30)));
            last = feed.Current;
            Assert.True(last.Number > first || last.Final);
        }
        while (!last.Final);
        Assert.False(await feed.MoveNextAsync());

        // The same run id for another spec is refused; for the same spec it resumes.
        await Assert.ThrowsAsync<RunRejectedException>(() => RunLauncher.StartIngestAsync(_node, "followed", new RunSpec(3), 1));
        Assert.True((await RunLauncher.StartIngestAsync(_node, "followed", new RunSpec(2), 1)).Resumed);
    }

    [Fact]
    public async Task A_run_whose_worst_case_memory_exceeds_the_budget_is_refused_naming_the_limit()
    {
        // 4096 classes × (1024 + 2) partials of 128 MiB: about 128 GiB, far over the 4 GiB default.
        var e = await Assert.ThrowsAsync<InvalidRunSpecException>(() =>
            RunLauncher.StartIngestAsync(_node, "too-large", new RunSpec(4096), 1024));
        Assert.Contains("evaluator.max-run-memory = 4 GiB", e.Message);
        Assert.Contains("EVALUATOR_MAX_RUN_MEMORY", e.Message);
        Assert.Null(await SnapshotFeed.GetAsync(_node, "too-large"));
        Assert.Equal(EvaluatorSettings.DefaultMaxRunMemory, _node.Settings.MaxRunMemory);
        Assert.Equal((30L + 2) * 4096 * 4096 * 8, RunLauncher.WorstCaseMemory(4096, 30));
        RunLauncher.CheckMemory(_node.Settings, new RunSpec(4096), 30); // 4 GiB exactly: allowed
        Assert.Throws<InvalidRunSpecException>(() => RunLauncher.CheckMemory(_node.Settings, new RunSpec(4096), 31));
    }

    [Fact]
    public async Task Creating_a_4096_class_ingest_run_allocates_no_dense_partials()
    {
        // Dense, its 8 partials would be 8 × 128 MiB on the coordinator and as much in the shards.
        GC.Collect();
        var before = GC.GetTotalAllocatedBytes(precise: true);
        var accepted = await RunLauncher.StartIngestAsync(_node, "lazy-4096", new RunSpec(4096), 8);
        Assert.Equal(8, accepted.Snapshot.Partitions.Length);
        // Every shard has its StartPartition once it answers an ingest: a gap (seq 1 before 0),
        // which changes nothing and carries an empty (cell-less) matrix.
        for (var p = 0; p < 8; p++)
        {
            var gap = await _node.Shards.Ask<IngestResult>(
                new IngestMatrix("lazy-4096", p, 1, new ConfusionMatrix(4096), PixelCounts.Zero), _node.Settings.AskTimeout);
            Assert.Equal(IngestOutcome.Gap, gap.Outcome);
        }
        Assert.Equal(RunStatus.Running, (await SnapshotFeed.GetAsync(_node, "lazy-4096"))!.Status);
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
        Assert.True(allocated < 100L << 20, $"creating the run allocated {allocated >> 20} MiB");

        // Counting into one partition allocates that partition's cells, and the result is exact.
        var m = new ConfusionMatrix(4096);
        m.Add(4095, 7, 3);
        var r = await _node.Shards.Ask<IngestResult>(new IngestMatrix("lazy-4096", 5, 0, m, new PixelCounts(3, 1, 0)),
            _node.Settings.AskTimeout);
        Assert.Equal(IngestOutcome.Counted, r.Outcome);
        var s = (await SnapshotFeed.GetAsync(_node, "lazy-4096"))!;
        Assert.Equal(m, s.Matrix);
        Assert.Equal(new PixelCounts(3, 1, 0), s.Pixels);
    }
}
