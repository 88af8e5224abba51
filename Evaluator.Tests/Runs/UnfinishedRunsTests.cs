using Evaluator.Messages;
using Evaluator.Messages.Protocol;
using Evaluator.Node.Actors;
using Evaluator.Node.Inputs;
using Evaluator.Node.Runs;
using Evaluator.Node.Runtime;
using Evaluator.Tests.Support;

namespace Evaluator.Tests.Runs;

/// <summary>A restarted node resumes the journal's unfinished runs without anyone resubmitting them.</summary>
// Category=Slow: three node lifetimes over one journal; ./run-tests.sh --fast leaves it out.
[Trait("Category", "Slow")]
public sealed class UnfinishedRunsTests
{
    private static Task<EvaluatorNode> Node(string dataDir, bool resume) =>
        EvaluatorNode.StartAsync(NodeConfig.Load("single-node", new ConfigOverrides()
            .Set("evaluator.data-dir", dataDir)
            .Set("evaluator.throttle-pairs-per-second", 10)
            .Set("evaluator.resume-unfinished-runs", resume), environment: _ => null));

    [Fact]
    public async Task A_restarted_node_resumes_an_unfinished_run_by_itself_and_completes_it_exactly()
    {
        var dir = TestEnvironment.TempDir("unfinished");
        var data = Path.Combine(dir, "data");
        var ds = new Dataset(dir, Dataset.Format.NpyU8, pairs: 30, width: 16, height: 16, classes: 5, seed: 11);
        var spec = new RunSpec(5, ignoreLabels: [255]);
        var pairs = PairDiscovery.Discover(ds.GroundTruthDir, ds.PredictionDir, PairLayout.Plain);
        var parts = PairDiscovery.Partition(pairs, 2, 1 << 20, null);
        var start = new StartRun("parked", spec, parts, PairDiscovery.ExpectedPixels(pairs, null),
            RunIds.Fingerprint(spec, parts), false, Stamps: RunLauncher.Stamps(parts));

        // 15 pairs a partition at 10 a second: stopped after ~1 s, mid-way.
        var first = await Node(data, resume: true);
        var ingestRun = await RunLauncher.StartIngestAsync(first, "ingest-open", new RunSpec(2), 1);
        Assert.False(ingestRun.Resumed);
        await RunLauncher.StartAsync(first, start);
        // Stopped once it has counted a little (it needs 1.5 s at least): mid-way.
        var mid = await Poll.UntilAsync(async () => (await SnapshotFeed.GetAsync(first, "parked"))!,
            s => s.Partitions.Sum(p => p.Watermark) >= 2, TimeSpan.FromSeconds(30), "the run counting its first pairs");
        Assert.Equal(RunStatus.Running, mid.Status);
        await first.DisposeAsync();

        Assert.Equal(["parked"], await UnfinishedRunsOf(data));

        // Nobody resubmits, nor asks the run anything (that would recover its coordinator): the
        // journal is watched from outside. A node with resume-unfinished-runs off leaves it parked...
        var parked = await Node(data, resume: false);
        await Task.Delay(TimeSpan.FromSeconds(2)); // a negative check (like ExpectNoMsg): nothing may happen meanwhile
        await parked.DisposeAsync();
        var summary = (await RunCatalog.ListAsync(data)).Single(r => r.RunId == "parked");
        Assert.Equal(RunStatus.Running, summary.Status);
        Assert.True(summary.PairsDone < 30);

        // ... and one with it on resumes it by itself.
        var second = await Node(data, resume: true);
        try
        {
            summary = await Poll.UntilAsync(async () => (await RunCatalog.ListAsync(data)).Single(r => r.RunId == "parked"),
                s => s.Status != RunStatus.Running, TimeSpan.FromSeconds(60), "the parked run resumed by itself");
            Assert.Equal(RunStatus.Completed, summary.Status);
            var expected = ds.Recount(spec);
            var last = (await SnapshotFeed.GetAsync(second, "parked"))!;
            Assert.Equal(expected.Matrix, last.Matrix);
            Assert.Equal(expected.Pixels, last.Pixels);
            // The ingest run waits for its clients: not poked, still open.
            Assert.Equal(RunStatus.Running, (await RunCatalog.ListAsync(data)).Single(r => r.RunId == "ingest-open").Status);
        }
        finally
        {
            await second.DisposeAsync();
        }
    }

    private static async Task<IReadOnlyList<string>> UnfinishedRunsOf(string dataDir)
    {
        var config = new ConfigOverrides().Set("akka.actor.provider", "local").Set("akka.extensions", [])
            .ToConfig(NodeConfig.Load("single-node", new ConfigOverrides().Set("evaluator.data-dir", dataDir), _ => null));
        var system = Akka.Actor.ActorSystem.Create("unfinished", config);
        try
        {
            return await UnfinishedRuns.FindAsync(system);
        }
        finally
        {
            await system.Terminate();
        }
    }
}
