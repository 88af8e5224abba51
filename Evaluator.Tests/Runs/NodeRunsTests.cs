using Akka.Actor;
using Evaluator.Messages;
using Evaluator.Messages.Protocol;
using Evaluator.Node.Runs;
using Evaluator.Node.Runtime;
using Evaluator.Tests.Support;

namespace Evaluator.Tests.Runs;

/// <summary>The application layer on a one-node cluster: launching, following, and the node's cached catalog.</summary>
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
}
