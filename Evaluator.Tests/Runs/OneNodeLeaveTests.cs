using Akka.Actor;
using Akka.Cluster;
using Evaluator.Node.Runtime;
using Evaluator.Tests.Support;

namespace Evaluator.Tests.Runs;

/// <summary>
/// The embedded one-node cluster (`evaluate`) as it runs: the cluster timers single-node.conf
/// shortens are the ones the running cluster uses, and a node that leaves at once (before
/// Akka's default first tick) still leaves in order and stops.
/// </summary>
public sealed class OneNodeLeaveTests
{
    [Fact]
    public async Task A_one_node_cluster_runs_with_the_short_timers_and_leaves_in_order_right_after_joining()
    {
        var node = await EvaluatorNode.StartAsync(NodeConfig.Load("single-node",
            new ConfigOverrides().Set("evaluator.data-dir", TestEnvironment.TempDir("one-node-leave")),
            environment: _ => null));
        var cluster = Akka.Cluster.Cluster.Get(node.System);
        var settings = cluster.Settings;
        // What the running cluster read (README, Performance: the leave waited for the first leader tick).
        Assert.Equal(TimeSpan.Zero, settings.PeriodicTasksInitialDelay);
        Assert.True(settings.LeaderActionsInterval < TimeSpan.FromMilliseconds(100));
        Assert.Equal(MemberStatus.Up, cluster.SelfMember.Status);

        var removed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        cluster.RegisterOnMemberRemoved(() => removed.TrySetResult());
        // Bounded generously: what is checked is that the leave completes (Leaving -> Exiting ->
        // Removed, the ActorSystem terminated), not how fast.
        Assert.True(await node.ShutdownAsync(TimeSpan.FromSeconds(30)));
        await removed.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(node.System.WhenTerminated.IsCompleted);
        Assert.Equal(CoordinatedShutdown.ClrExitReason.Instance, CoordinatedShutdown.Get(node.System).ShutdownReason);
    }
}
